/** The HTTP side of logo routes, shared by organisations and projects. */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { binary } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { fileBytes, readUpload, type UploadedFile } from './file-http';
import { LOGO_MAX_BYTES, type NewLogo } from './logos';
import { LOGO_TYPES } from './sniff';

const BINARY = { schema: binary(`At most ${LOGO_MAX_BYTES} bytes.`) };

/** The logo a form carried, as the logo store takes it (a form part is in memory). */
export const logoOf = (file: UploadedFile | null): NewLogo | undefined =>
  file?.bytes ? { filename: file.filename, mediaType: file.declaredType, bytes: file.bytes } : undefined;

/** The logo from a PUT: multipart/form-data with a `logo` file, or the image as the body. */
export async function readLogoUpload(c: Context): Promise<NewLogo> {
  const { file } = await readUpload(c, {
    fields: {},
    schema: z.object({}),
    file: { part: 'logo', required: true, raw: LOGO_TYPES, maxPartBytes: LOGO_MAX_BYTES, missing: 'Required: the image file.' },
  });
  return { filename: file!.filename || 'logo', mediaType: file!.declaredType, bytes: await fileBytes(file!, LOGO_MAX_BYTES) };
}

export const LOGO_UPLOAD_DESCRIPTION = `multipart/form-data with a \`logo\` file, or the image itself as the body. PNG, JPEG, GIF or WebP (checked against the content), at most ${LOGO_MAX_BYTES} bytes.`;

export const LOGO_UPLOAD_BODY = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: { type: 'object' as const, required: ['logo'], properties: { logo: binary(`PNG, JPEG, GIF or WebP, at most ${LOGO_MAX_BYTES} bytes.`) } },
    },
    ...Object.fromEntries(LOGO_TYPES.map((t) => [t, BINARY])),
  },
};

/** A multipart `logo` property for create forms. */
export const LOGO_FORM_PROPERTY = binary(`PNG, JPEG, GIF or WebP, at most ${LOGO_MAX_BYTES} bytes.`);

export const LOGO_DOWNLOAD_RESPONSES = {
  200: { description: 'The image.', content: Object.fromEntries(LOGO_TYPES.map((t) => [t, BINARY])) },
  206: { description: 'The requested range.' },
  ...errorResponses(404),
  416: errorResponses(416)[416]!,
};
