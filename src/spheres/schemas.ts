import { z } from '@hono/zod-openapi';
import type { BlobRow, SphereRow } from '../db/schema';
import { iso } from '../lib/time';
import { LAT, LON } from '../projects/schemas';

/** The image types a sphere may be; the content must prove one of them (magic bytes). */
export const SPHERE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** Degrees clockwise from north, as a number or a numeric string (form fields, query); null clears it. */
const HEADING = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^[-+]?\d+(\.\d+)?$/, 'A decimal number.')
      .transform(Number),
  ])
  .pipe(z.number().min(0).max(360))
  .nullable()
  .openapi({ type: ['number', 'string', 'null'], example: 87.5, description: 'Degrees clockwise from north, 0 to 360.' });

/** RFC 3339 with an offset (`Z` or `+02:00`); kept as milliseconds, answered in UTC. Null clears it. */
const CAPTURED_AT = z
  .string()
  .trim()
  .pipe(z.iso.datetime({ offset: true, message: 'An RFC 3339 date-time with an offset, such as 2024-05-01T09:30:00Z.' }))
  .transform((v) => Date.parse(v))
  .nullable()
  .openapi({ type: ['string', 'null'], format: 'date-time', example: '2024-05-01T09:30:00Z', description: 'When the photo was taken (RFC 3339).' });

const NAME = z.string().trim().min(1).max(200);

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
    url: z.string().openapi({ example: '/v1/spheres/sph_01jd8z3b6q0w4y1r7k5t2m9xce/image' }),
    mime_type: z.enum(SPHERE_TYPES as [string, ...string[]]),
    size: z.number().int(),
    sha256: z.string(),
  })
  .openapi('SphereImage');

export const SphereSchema = z
  .object({
    id: z.string().openapi({ example: 'sph_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    asset: z.object({ id: z.string(), name: z.string() }),
    name: z.string(),
    captured_at: z.string().datetime().nullable(),
    lat: z.number().nullable(),
    lon: z.number().nullable(),
    heading: z.number().nullable(),
    image: SphereImageSchema,
    created_by: z.object({ id: z.string(), username: z.string() }).nullable().openapi({ description: 'Null once the account is deleted.' }),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi('Sphere');
export type SphereOut = z.infer<typeof SphereSchema>;

export interface SphereJoined {
  sphere: SphereRow;
  image: BlobRow;
  creator: { id: string | null; username: string | null };
}

export function toSphere({ sphere: s, image, creator }: SphereJoined, asset: { id: string; name: string }): SphereOut {
  return {
    id: s.id,
    asset: { id: asset.id, name: asset.name },
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
