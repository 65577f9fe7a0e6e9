import { z } from '@hono/zod-openapi';
import { ASSET_STATUSES } from '../db/schema';
import { iso } from '../lib/time';
import { OrganizationRefSchema } from '../organizations/schemas';
import { LAT, LON } from '../projects/schemas';
import type { AssetAccessRow } from './access';

export const ASSET_STATUS = z.enum(ASSET_STATUSES).openapi({ description: 'A fixed vocabulary; seed 000 uses "To Be Inspected".' });

/** ISO 8601 (2018-11-23), or as seed 003 sends it (11/23/2018). */
const SERVICE_DATE = z
  .string()
  .trim()
  .transform((v) => {
    const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
    return us ? `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}` : v;
  })
  .pipe(z.iso.date())
  .nullable()
  .openapi({ type: ['string', 'null'], example: '2018-11-23' });

export const ATTRIBUTES_MAX_BYTES = 16 * 1024;
const ATTRIBUTES = z
  .record(z.string().max(100), z.unknown())
  // Bytes of UTF-8, not UTF-16 code units: "€" is one character but three bytes.
  .refine((v) => new TextEncoder().encode(JSON.stringify(v)).byteLength <= ATTRIBUTES_MAX_BYTES, `At most ${ATTRIBUTES_MAX_BYTES} bytes of JSON.`)
  .openapi({ type: 'object', additionalProperties: true, description: `Free JSON object, at most ${ATTRIBUTES_MAX_BYTES} bytes.` });

const TEXT = (max: number) => z.string().trim().max(max);

const fields = {
  asset_tag: z.string().trim().min(1).max(100).nullable().optional().openapi({ description: 'Unique in the organisation.' }),
  name: z.string().trim().min(1).max(200),
  description: TEXT(10_000).optional(),
  asset_type: TEXT(100).optional(),
  asset_subtype: TEXT(100).optional(),
  asset_status: ASSET_STATUS.optional(),
  location: TEXT(500).optional(),
  lat: LAT.optional(),
  lon: LON.optional(),
  in_service_date: SERVICE_DATE.optional(),
  attributes: ATTRIBUTES.optional(),
};

export const AssetCreateBody = z.object(fields).strict().openapi('AssetCreate');

export const AssetCreateAnywhereBody = AssetCreateBody.extend({
  project_id: z.string().trim().max(64).optional().openapi({ description: 'The project (seed 000); or leave it out and name `organization`.' }),
  organization: z.string().trim().max(254).optional().openapi({ description: 'For an asset of the organisation alone (seed 003): slug or id.' }),
})
  .refine((b) => (b.project_id === undefined) !== (b.organization === undefined), {
    message: 'Send exactly one of project_id or organization.',
    path: ['project_id'],
  })
  .openapi('AssetCreateAnywhere');

export const AssetPatchBody = z.object({ ...fields, name: fields.name.optional() }).strict().openapi('AssetPatch');

export const AssetPutBody = z
  .object({
    asset_tag: z.string().trim().min(1).max(100).nullable().default(null),
    name: fields.name,
    description: TEXT(10_000).default(''),
    asset_type: TEXT(100).default(''),
    asset_subtype: TEXT(100).default(''),
    asset_status: ASSET_STATUS.default('Active'),
    location: TEXT(500).default(''),
    lat: LAT.default(null),
    lon: LON.default(null),
    in_service_date: SERVICE_DATE.default(null),
    attributes: ATTRIBUTES.default({}),
  })
  .strict()
  .openapi('AssetPut');

export type AssetChanges = z.infer<typeof AssetPatchBody>;

export const AssetSchema = z
  .object({
    id: z.string().openapi({ description: "The asset's object key.", example: 'ast_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    organization: OrganizationRefSchema,
    project: z.object({ id: z.string(), name: z.string() }).nullable().openapi('ProjectRef'),
    asset_tag: z.string().nullable(),
    name: z.string(),
    description: z.string(),
    asset_type: z.string(),
    asset_subtype: z.string(),
    asset_status: ASSET_STATUS,
    location: z.string(),
    lat: z.number().nullable(),
    lon: z.number().nullable(),
    in_service_date: z.string().nullable(),
    attributes: z.record(z.string(), z.any()).openapi({ type: 'object', additionalProperties: true }),
    created_by: z.object({ id: z.string(), username: z.string() }).nullable(),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi('Asset');
export type AssetOut = z.infer<typeof AssetSchema>;

export function toAsset(
  row: Pick<AssetAccessRow, 'asset' | 'organization' | 'creator'> & { project: { id: string | null; name: string | null } },
): AssetOut {
  const a = row.asset;
  return {
    id: a.id,
    organization: { id: row.organization.id, slug: row.organization.slug, name: row.organization.name },
    project: a.projectId && row.project.id && row.project.name !== null ? { id: row.project.id, name: row.project.name } : null,
    asset_tag: a.assetTag,
    name: a.name,
    description: a.description,
    asset_type: a.assetType,
    asset_subtype: a.assetSubtype,
    asset_status: a.assetStatus,
    location: a.location,
    lat: a.lat,
    lon: a.lon,
    in_service_date: a.inServiceDate,
    attributes: a.attributes,
    created_by: row.creator.id && row.creator.username ? { id: row.creator.id, username: row.creator.username } : null,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

export const GEOJSON = 'application/geo+json';

export const AssetFeatureCollection = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(
      z
        .object({
          type: z.literal('Feature'),
          id: z.string(),
          geometry: z.object({ type: z.literal('Point'), coordinates: z.array(z.number()).length(2).openapi({ description: '[lon, lat]' }) }),
          properties: AssetSchema.omit({ lat: true, lon: true }),
        })
        .openapi('AssetFeature'),
    ),
    count: z.number().int().openapi({ description: 'Assets with coordinates matching the filters (foreign member).' }),
    next: z.string().url().nullable(),
    previous: z.string().url().nullable(),
  })
  .openapi('AssetFeatureCollection');

export function toFeature(asset: AssetOut) {
  const { lat, lon, ...properties } = asset;
  return { type: 'Feature' as const, id: asset.id, geometry: { type: 'Point' as const, coordinates: [lon!, lat!] }, properties };
}
