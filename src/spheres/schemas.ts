import { z } from '@hono/zod-openapi';
import type { BlobRow, SphereRow } from '../db/schema';
import { numberOf } from '../db/numbers';
import { API_PATH, COUNT, ENTITY_NUMBER, ID, SHA256, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';
import { ASSET_LIMITS } from '../assets/schemas';
import { LAT, LON, NUMERIC_TEXT_MAX, numberOrNumericText } from '../projects/schemas';
import { USERNAME_OUT } from '../users/schemas';

/** The image types a sphere may be; the content must prove one of them (magic bytes). */
export const SPHERE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** Degrees clockwise from north, as a number or a numeric string (form fields, query); null clears it. */
const HEADING = numberOrNumericText()
  .pipe(z.number().min(0).max(360))
  .nullable()
  .openapi({
    type: ['number', 'string', 'null'],
    maxLength: NUMERIC_TEXT_MAX,
    example: 87.5,
    description: 'Degrees clockwise from north, 0 to 360.',
  });

/** The longest RFC 3339 date-time accepted (the query's limit; 2024-05-01T09:30:00.123456789+02:00 is 35). */
export const DATE_TIME_TEXT_MAX = 64;

/** RFC 3339 with an offset (`Z` or `+02:00`); kept as milliseconds, answered in UTC. Null clears it. */
const CAPTURED_AT = z
  .string()
  .trim()
  .max(DATE_TIME_TEXT_MAX)
  .pipe(z.iso.datetime({ offset: true, message: 'An RFC 3339 date-time with an offset, such as 2024-05-01T09:30:00Z.' }))
  .transform((v) => Date.parse(v))
  .nullable()
  .openapi({
    type: ['string', 'null'],
    format: 'date-time',
    maxLength: DATE_TIME_TEXT_MAX,
    example: '2024-05-01T09:30:00Z',
    description: 'When the photo was taken (RFC 3339).',
  });

export const SPHERE_NAME_MAX = 200;
const NAME = z.string().trim().min(1).max(SPHERE_NAME_MAX);

const fields = {
  name: NAME.openapi({ description: 'Defaults to the file name.' }),
  captured_at: CAPTURED_AT.optional(),
  lat: LAT.optional(),
  lon: LON.optional(),
  heading: HEADING.optional(),
};

/** The metadata of an upload (form fields, or the query with a raw image body). */
export const SphereCreateFields = z.object(fields).strict();
export type SphereInput = z.infer<typeof SphereCreateFields>;

export const SpherePatchBody = z
  .object({ ...fields, name: NAME.optional() })
  .strict()
  .openapi('SpherePatch');
export type SphereChanges = z.infer<typeof SpherePatchBody>;

/** Form fields of the upload and how they are read (see http/forms.ts). */
export const SPHERE_FORM_FIELDS = { name: 'text', captured_at: 'text', lat: 'text', lon: 'text', heading: 'text' } as const;

export const SphereImageSchema = z
  .object({
    url: API_PATH.openapi({ example: '/v1/spheres/sph_01jd8z3b6q0w4y1r7k5t2m9xce/image' }),
    mime_type: z.enum(SPHERE_TYPES as [string, ...string[]]),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256,
  })
  .openapi('SphereImage');

export const SphereSchema = z
  .object({
    id: ID.openapi({ example: 'sph_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    asset: z.object({ id: ID, number: ENTITY_NUMBER, name: z.string().max(ASSET_LIMITS.name) }),
    name: z.string().max(SPHERE_NAME_MAX),
    captured_at: TIMESTAMP.nullable(),
    lat: z.number().nullable(),
    lon: z.number().nullable(),
    heading: z.number().nullable(),
    image: SphereImageSchema,
    created_by: z.object({ id: ID, username: USERNAME_OUT }).nullable().openapi({ description: 'Null once the account is deleted.' }),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  })
  .openapi('Sphere');
export type SphereOut = z.infer<typeof SphereSchema>;

export interface SphereJoined {
  sphere: SphereRow;
  image: BlobRow;
  creator: { id: string | null; username: string | null };
}

export function toSphere({ sphere: s, image, creator }: SphereJoined, asset: { id: string; number: number | null; name: string }): SphereOut {
  return {
    id: s.id,
    number: numberOf(s),
    asset: { id: asset.id, number: numberOf(asset), name: asset.name },
    name: s.name,
    captured_at: iso(s.capturedAt),
    lat: s.lat,
    lon: s.lon,
    heading: s.heading,
    image: { url: `/v1/spheres/${s.id}/image`, mime_type: image.mimeType, size: image.size, sha256: image.sha256 },
    created_by: creator.id && creator.username ? { id: creator.id, username: creator.username } : null,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}
