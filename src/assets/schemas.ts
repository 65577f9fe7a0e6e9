import { z } from '@hono/zod-openapi';
import { ASSET_STATUSES } from '../db/schema';
import { MAX_LIMIT, PAGE_LINK } from '../http/list';
import { numberOf } from '../db/numbers';
import { freeJsonObject } from '../http/json-limits';
import { COUNT, exactlyOneOf, ENTITY_NUMBER, ID, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';
import { OrganizationRefSchema } from '../organizations/schemas';
import { LAT, LON, PROJECT_LIMITS } from '../projects/schemas';
import { USERNAME_OUT } from '../users/schemas';
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
  .openapi({
    type: ['string', 'null'],
    maxLength: 10,
    pattern: '^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})$',
    example: '2018-11-23',
    description: 'A date: YYYY-MM-DD, or M/D/YYYY as seed 003 sends it (stored as YYYY-MM-DD).',
  });

const ATTRIBUTES = freeJsonObject();

const TEXT = (max: number) => z.string().trim().max(max);

/** Field limits, shared by the bodies and the answers (which hold only what the bodies let in). */
export const ASSET_LIMITS = { asset_tag: 100, name: 200, description: 10_000, asset_type: 100, asset_subtype: 100, location: 500 } as const;

const fields = {
  asset_tag: z.string().trim().min(1).max(ASSET_LIMITS.asset_tag).nullable().optional().openapi({ description: 'Unique in the organisation.' }),
  name: z.string().trim().min(1).max(ASSET_LIMITS.name),
  description: TEXT(ASSET_LIMITS.description).optional(),
  asset_type: TEXT(ASSET_LIMITS.asset_type).optional(),
  asset_subtype: TEXT(ASSET_LIMITS.asset_subtype).optional(),
  asset_status: ASSET_STATUS.optional(),
  location: TEXT(ASSET_LIMITS.location).optional(),
  lat: LAT.optional(),
  lon: LON.optional(),
  in_service_date: SERVICE_DATE.optional(),
  attributes: ATTRIBUTES.optional(),
};

export const AssetCreateBody = z.object(fields).strict().openapi('AssetCreate');

// The shape, not .extend(): the generator would emit allOf with the strict AssetCreate, whose
// additionalProperties: false refuses the very fields added here.
export const AssetCreateAnywhereBody = z
  .object({
    ...fields,
    project_id: z.string().trim().max(64).optional().openapi({ description: 'The project (seed 000); or leave it out and name `organization`.' }),
    organization: z.string().trim().max(254).optional().openapi({ description: 'For an asset of the organisation alone (seed 003): slug or id.' }),
  })
  .strict()
  .refine((b) => (b.project_id === undefined) !== (b.organization === undefined), {
    message: 'Send exactly one of project_id or organization.',
    path: ['project_id'],
  })
  .openapi('AssetCreateAnywhere', exactlyOneOf('project_id', 'organization'));

export const AssetPatchBody = z
  .object({
    ...fields,
    name: fields.name.optional(),
    project_id: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .nullable()
      .optional()
      .openapi({
        description:
          "Moves the asset, with its folders, data, spheres and reports, to another project of its organisation (writers of both), or with null out of every project (org admins; 409 while it has reports).",
      }),
  })
  .strict()
  .openapi('AssetPatch');

export const AssetPutBody = z
  .object({
    asset_tag: z.string().trim().min(1).max(ASSET_LIMITS.asset_tag).nullable().default(null),
    name: fields.name,
    description: TEXT(ASSET_LIMITS.description).default(''),
    asset_type: TEXT(ASSET_LIMITS.asset_type).default(''),
    asset_subtype: TEXT(ASSET_LIMITS.asset_subtype).default(''),
    asset_status: ASSET_STATUS.default('Active'),
    location: TEXT(ASSET_LIMITS.location).default(''),
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
    id: ID.openapi({ description: "The asset's object key.", example: 'ast_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    organization: OrganizationRefSchema,
    project: z.object({ id: ID, number: ENTITY_NUMBER, name: z.string().max(PROJECT_LIMITS.name) }).nullable().openapi('ProjectRef'),
    asset_tag: z.string().max(ASSET_LIMITS.asset_tag).nullable(),
    name: z.string().max(ASSET_LIMITS.name),
    description: z.string().max(ASSET_LIMITS.description),
    asset_type: z.string().max(ASSET_LIMITS.asset_type),
    asset_subtype: z.string().max(ASSET_LIMITS.asset_subtype),
    asset_status: ASSET_STATUS,
    location: z.string().max(ASSET_LIMITS.location),
    lat: z.number().nullable(),
    lon: z.number().nullable(),
    in_service_date: z.string().max(10).nullable(),
    attributes: z.record(z.string(), z.any()).openapi({ type: 'object', additionalProperties: true }),
    created_by: z.object({ id: ID, username: USERNAME_OUT }).nullable(),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  })
  .openapi('Asset');
export type AssetOut = z.infer<typeof AssetSchema>;

export function toAsset(
  row: Pick<AssetAccessRow, 'asset' | 'organization' | 'creator'> & { project: { id: string | null; number: number | null; name: string | null } },
): AssetOut {
  const a = row.asset;
  return {
    id: a.id,
    number: numberOf(a),
    organization: { id: row.organization.id, number: numberOf(row.organization), slug: row.organization.slug, name: row.organization.name },
    project: a.projectId && row.project.id && row.project.name !== null ? { id: row.project.id, number: numberOf(row.project), name: row.project.name } : null,
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
    features: z
      .array(
        z
          .object({
            type: z.literal('Feature'),
            id: ID,
            geometry: z.object({ type: z.literal('Point'), coordinates: z.array(z.number()).min(2).max(2).openapi({ description: '[lon, lat]' }) }),
            properties: AssetSchema.omit({ lat: true, lon: true }),
          })
          .openapi('AssetFeature'),
      )
      .max(MAX_LIMIT),
    count: COUNT.openapi({ description: 'Assets with coordinates matching the filters (foreign member).' }),
    next: PAGE_LINK,
    previous: PAGE_LINK,
  })
  .openapi('AssetFeatureCollection');

export function toFeature(asset: AssetOut) {
  const { lat, lon, ...properties } = asset;
  return { type: 'Feature' as const, id: asset.id, geometry: { type: 'Point' as const, coordinates: [lon!, lat!] }, properties };
}
