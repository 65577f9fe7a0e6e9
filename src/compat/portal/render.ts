/**
 * Seed 000's representations, rendered from the services' (/v1's) ones: integer ids (entity
 * numbers), coordinates as six-place decimal strings, times as RFC 3339 with Z. What the seed
 * shows is kept exactly; what it leaves unsaid is rendered as a DRF ModelSerializer would
 * (relations as integer ids).
 */
import { z } from '@hono/zod-openapi';
import type { AssetRow } from '../../db/schema';
import { numberOf } from '../../db/numbers';
import { ASSET_LIMITS, ASSET_STATUS, type AssetOut } from '../../assets/schemas';
import { iso } from '../../lib/time';
import { PROJECT_LIMITS, type ProjectOut } from '../../projects/schemas';
import { EMAIL_OUT, USERNAME_OUT } from '../../users/schemas';
import { ORG_LIMITS } from '../../organizations/schemas';
import { DECIMAL6, decimal6, NUMBER_ID, Z_TIME, zTime } from '../values';

export const CompanySchema = z
  .object({
    id: NUMBER_ID,
    name: z.string().max(ORG_LIMITS.name),
    user: z.null().openapi({ description: 'The seed’s owner of a company; an organisation has admins, not one owner: always null.' }),
  })
  .openapi('Company');

export const company = (org: { number: number | null; name: string }): z.infer<typeof CompanySchema> => ({ id: numberOf(org), name: org.name, user: null });

/** A user as seed 000's project embeds them. */
export const ProjectUserBriefSchema = z.object({ id: NUMBER_ID, email: EMAIL_OUT, username: USERNAME_OUT }).openapi('ProjectUserBrief');

/** A user as seed 000's project users list shows them. */
export const PortalUserSchema = z
  .object({ id: NUMBER_ID, username: USERNAME_OUT, last_login: Z_TIME.nullable(), date_joined: Z_TIME, email: EMAIL_OUT })
  .openapi('PortalUser');

export const portalUser = (u: { number: number; username: string; email: string; last_login: string | null; date_joined: string }): z.infer<typeof PortalUserSchema> => ({
  id: u.number,
  username: u.username,
  last_login: zTime(u.last_login),
  date_joined: zTime(u.date_joined),
  email: u.email,
});

/** An asset as seed 000's project embeds it. */
export const ProjectAssetSchema = z
  .object({
    id: NUMBER_ID,
    name: z.string().max(ASSET_LIMITS.name),
    location: z.string().max(ASSET_LIMITS.location),
    asset_status: ASSET_STATUS,
    created_at: Z_TIME,
    updated_at: Z_TIME,
    lat: DECIMAL6,
    lon: DECIMAL6,
  })
  .openapi('ProjectAsset');

export const projectAsset = (a: AssetRow): z.infer<typeof ProjectAssetSchema> => ({
  id: numberOf(a),
  name: a.name,
  location: a.location,
  asset_status: a.assetStatus,
  created_at: zTime(iso(a.createdAt)),
  updated_at: zTime(iso(a.updatedAt)),
  lat: decimal6(a.lat),
  lon: decimal6(a.lon),
});

/** An asset (ModelSerializer): the embedded fields, its project and company as integers. */
export const AssetSchema = ProjectAssetSchema.extend({
  project: NUMBER_ID.nullable().openapi({ description: 'The project’s id; null for an asset of the company alone.' }),
  company: NUMBER_ID,
  description: z.string().max(ASSET_LIMITS.description),
}).openapi('Asset');

export const asset = (a: AssetOut): z.infer<typeof AssetSchema> => ({
  id: a.number,
  name: a.name,
  location: a.location,
  asset_status: a.asset_status,
  created_at: zTime(a.created_at),
  updated_at: zTime(a.updated_at),
  lat: decimal6(a.lat),
  lon: decimal6(a.lon),
  project: a.project?.number ?? null,
  company: a.organization.number,
  description: a.description,
});

const projectFields = {
  id: NUMBER_ID,
  company: CompanySchema,
  name: z.string().max(PROJECT_LIMITS.name),
  created_at: Z_TIME,
  updated_at: Z_TIME,
  location: z.string().max(PROJECT_LIMITS.location),
  lat: DECIMAL6,
  lon: DECIMAL6,
  project_type: z.string().max(PROJECT_LIMITS.project_type),
};

/** A project in a list: its own fields and company (the users and assets are the detail's). */
export const ProjectListItemSchema = z.object(projectFields).openapi('ProjectListItem');

export const projectListItem = (p: ProjectOut): z.infer<typeof ProjectListItemSchema> => ({
  id: p.number,
  company: company(p.organization),
  name: p.name,
  created_at: zTime(p.created_at),
  updated_at: zTime(p.updated_at),
  location: p.location,
  lat: decimal6(p.lat),
  lon: decimal6(p.lon),
  project_type: p.project_type,
});

/** The embedded assets of a project: the first ones by name. */
export const PROJECT_ASSETS_EMBEDDED = 200;

/** The seed's project object (its PATCH example), key for key. */
export const ProjectSchema = z
  .object({
    id: NUMBER_ID,
    company: CompanySchema,
    users: z.array(ProjectUserBriefSchema).max(20).openapi({ description: 'The first 20 members by username.' }),
    assets: z.array(ProjectAssetSchema).max(PROJECT_ASSETS_EMBEDDED).openapi({ description: `The first ${PROJECT_ASSETS_EMBEDDED} assets by name.` }),
    name: projectFields.name,
    created_at: Z_TIME,
    updated_at: Z_TIME,
    location: projectFields.location,
    lat: DECIMAL6,
    lon: DECIMAL6,
    project_type: projectFields.project_type,
  })
  .openapi('Project');

export function project(p: ProjectOut & { members: { user: { number: number; email: string; username: string } }[] }, assets: AssetRow[]): z.infer<typeof ProjectSchema> {
  const item = projectListItem(p);
  return {
    id: item.id,
    company: item.company,
    users: p.members.map(({ user }) => ({ id: user.number, email: user.email, username: user.username })),
    assets: assets.map(projectAsset),
    name: item.name,
    created_at: item.created_at,
    updated_at: item.updated_at,
    location: item.location,
    lat: item.lat,
    lon: item.lon,
    project_type: item.project_type,
  };
}
