/** The HTTP side of logo routes, shared by organisations and projects. */
import type { Context } from 'hono';
import { isMultipart, readBoundedBody, readMultipart } from '../http/multipart';
import { binary } from '../http/openapi';
import { errorResponses, problems } from '../http/problem';
import { LOGO_MAX_BYTES, type NewLogo } from './logos';
import { LOGO_TYPES } from './sniff';

const BINARY = { schema: binary(`At most ${LOGO_MAX_BYTES} bytes.`) };

/** The logo from a PUT: multipart/form-data with a `logo` file, or the image as the body. */
export async function readLogoUpload(c: Context): Promise<NewLogo> {
  const contentType = c.req.header('Content-Type') ?? '';
  if (isMultipart(contentType)) {
    const file = (await readMultipart(c.req.raw, LOGO_MAX_BYTES)).files.logo;
    if (!file) throw problems.invalid([{ path: 'logo', message: 'Required: the image file.' }]);
    return file;
  }
  if (LOGO_TYPES.includes(contentType.split(';')[0]!.trim().toLowerCase())) {
    return { filename: 'logo', mediaType: contentType, bytes: await readBoundedBody(c.req.raw, LOGO_MAX_BYTES) };
  }
  throw problems.unsupportedMediaType(['multipart/form-data', ...LOGO_TYPES]);
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
