/**
 * Seed 003's representations, rendered from the services' (/v1's): users and organisations by
 * their integer number, assets and documents by their id as `object_key`, dates as MM/DD/YYYY.
 */
import { z } from '@hono/zod-openapi';
import { ASSET_LIMITS, type AssetOut } from '../../assets/schemas';
import { ORG_LIMITS } from '../../organizations/schemas';
import { RESOURCE_LIMITS, type ResourceOut } from '../../resources/schemas';
import { ID } from '../../http/schemas';
import { EMAIL_OUT } from '../../users/schemas';
import { NUMBER_ID, usDate } from '../values';

export const OrganizationSchema = z
  .object({ id: NUMBER_ID, name: z.string().max(ORG_LIMITS.name), short_name: z.string().max(ORG_LIMITS.short_name) })
  .openapi('Organization');

export const organization = (o: { number: number; name: string; short_name: string }): z.infer<typeof OrganizationSchema> => ({
  id: o.number,
  name: o.name,
  short_name: o.short_name,
});

const NAME_OUT = z.string().max(200);

export const UserBriefSchema = z.object({ id: NUMBER_ID, name: NAME_OUT, email: EMAIL_OUT }).openapi('UserBrief');
export const userBrief = (u: { number: number; name: string; email: string }): z.infer<typeof UserBriefSchema> => ({ id: u.number, name: u.name, email: u.email });

export const UserProfileSchema = UserBriefSchema.extend({
  organization: OrganizationSchema.nullable().openapi({ description: 'The first of the user’s organisations (by name) that you may see; null if none.' }),
}).openapi('UserProfile');

const OBJECT_KEY = ID.openapi({ description: 'The object’s key (its /v1 id).' });

const assetFields = {
  object_key: OBJECT_KEY,
  asset_tag: z.string().max(ASSET_LIMITS.asset_tag).nullable(),
  organization_id: NUMBER_ID,
  transam_assetible_type: z.string().max(ASSET_LIMITS.asset_type).openapi({ description: 'The asset’s type.' }),
};

export const AssetSchema = z
  .object({
    ...assetFields,
    asset_subtype: z.string().max(ASSET_LIMITS.asset_subtype),
    description: z.string().max(ASSET_LIMITS.description),
    in_service_date: z.string().max(10).regex(/^\d{2}\/\d{2}\/\d{4}$/).nullable().openapi({ example: '11/23/2018', description: 'MM/DD/YYYY, or null.' }),
  })
  .openapi('Asset');

export const asset = (a: AssetOut): z.infer<typeof AssetSchema> => ({
  object_key: a.id,
  asset_tag: a.asset_tag,
  organization_id: a.organization.number,
  transam_assetible_type: a.asset_type,
  asset_subtype: a.asset_subtype,
  description: a.description,
  in_service_date: usDate(a.in_service_date),
});

export const AssetListItemSchema = z
  .object({ ...assetFields, asset_subtype_id: z.string().max(ASSET_LIMITS.asset_subtype).openapi({ description: 'The asset’s subtype (the seed shows it as a string).' }) })
  .openapi('AssetListItem');

export const assetListItem = (a: AssetOut): z.infer<typeof AssetListItemSchema> => ({
  object_key: a.id,
  asset_tag: a.asset_tag,
  organization_id: a.organization.number,
  transam_assetible_type: a.asset_type,
  asset_subtype_id: a.asset_subtype,
});

export const DocumentSchema = z
  .object({
    object_key: OBJECT_KEY,
    description: z.string().max(RESOURCE_LIMITS.description),
    url: z.string().url().max(400).openapi({ description: 'Downloads the file (with the same credentials).' }),
  })
  .openapi('Document');

export const document = (r: ResourceOut, origin: string): z.infer<typeof DocumentSchema> => ({
  object_key: r.id,
  description: r.description,
  url: new URL(`/v1/resources/${r.id}/download`, origin).toString(),
});
