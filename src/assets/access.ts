/**
 * An asset with the caller's rights, decided from one row fetched in the caller's batch: the
 * asset, its project and organisation, and the caller's roles, read as auth/access.ts says
 * (assetRights: an asset in a project follows the project, one of the organisation alone is read
 * by its members and written by its admins). Archived project or organisation: read-only.
 *
 * The statements are fixed SQL (db/statement.ts), their rows mapped by hand.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { assetRights, assetVisible, orgRoleOf, projectRoleOf, VISIBLE_PROJECTS, VISIBLE_PROJECTS_INDEXED } from '../auth/access';
import { authed, CALLER_COLUMNS, withCaller, type Caller, type Scope } from '../auth/caller';
import { refSql, type IdRef } from '../db/numbers';
import { assets, organizations, projects, users, type AssetRow } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { bool, int, intOrNull, json, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { problems } from '../http/problem';
import type { OrgRole } from '../organizations/access';
import type { ProjectRole } from '../projects/schemas';

export type AssetNeed = 'read' | 'write';

/** SQL: the ids of the live projects the caller may see (`count`: the index-union form, for sets read whole). */
export function visibleProjectIds(form: 'page' | 'count' = 'page'): SQL {
  return sql.raw(form === 'count' ? VISIBLE_PROJECTS_INDEXED : VISIBLE_PROJECTS);
}

/** SQL: the caller may see the asset of the current row of `assets`, in the page or count form (auth/access.ts; drizzle queries). */
export function visibleAsset(form: 'page' | 'count' = 'page'): SQL {
  return sql.raw(assetVisible({ projectId: 'assets.project_id', organizationId: 'assets.organization_id' }, form));
}

/** The same over `assets a`, for fixed statements. */
export const visibleA = (form: 'page' | 'count') => assetVisible({ projectId: 'a.project_id', organizationId: 'a.organization_id' }, form);

/** The columns of an asset that its representation and the writes read. */
export type AssetFields = Omit<AssetRow, 'seq' | 'createdBy'>;

export interface AssetJoined {
  asset: AssetFields;
  organization: { id: string; number: number | null; slug: string; name: string; archived: boolean };
  project: { id: string | null; number: number | null; name: string | null; archived: boolean | null; deletedAt: number | null; access: 'private' | 'organization' | null };
  creator: { id: string | null; username: string | null };
}

/**
 * What an asset representation needs, FROM `assets a` with its organisation, project and creator
 * (LEFT joins: see projects/access.ts).
 */
export const ASSET_COLUMNS = `a.id AS a_id, a.number AS a_number, a.organization_id AS a_org, a.project_id AS a_project, a.asset_tag AS a_tag,
  a.name AS a_name, a.description AS a_description, a.asset_type AS a_type, a.asset_subtype AS a_subtype, a.asset_status AS a_status,
  a.location AS a_location, a.lat AS a_lat, a.lon AS a_lon, a.in_service_date AS a_in_service, a.attributes AS a_attributes,
  a.created_at AS a_created, a.updated_at AS a_updated, a.version AS a_version,
  ao.number AS ao_number, ao.slug AS ao_slug, ao.name AS ao_name, ao.archived AS ao_archived,
  ap.number AS ap_number, ap.name AS ap_name, ap.archived AS ap_archived, ap.deleted_at AS ap_deleted, ap.access AS ap_access,
  ac.id AS ac_id, ac.username AS ac_username`;
/** The joins of an asset's organisation, project and creator, after `assets a`. */
const ASSET_JOINS = `LEFT JOIN organizations ao ON ao.id = a.organization_id
  LEFT JOIN projects ap ON ap.id = a.project_id LEFT JOIN users ac ON ac.id = a.created_by`;
export const ASSET_FROM = `assets a ${ASSET_JOINS}`;

/** A row of ASSET_COLUMNS, mapped by hand. */
export function toAssetJoined(r: Row): AssetJoined {
  const asset: AssetFields = {
    id: text(r.a_id),
    number: intOrNull(r.a_number),
    organizationId: text(r.a_org),
    projectId: textOrNull(r.a_project),
    assetTag: textOrNull(r.a_tag),
    name: text(r.a_name),
    description: text(r.a_description),
    assetType: text(r.a_type),
    assetSubtype: text(r.a_subtype),
    assetStatus: r.a_status as AssetFields['assetStatus'],
    location: text(r.a_location),
    lat: r.a_lat as number | null,
    lon: r.a_lon as number | null,
    inServiceDate: textOrNull(r.a_in_service),
    attributes: json<Record<string, unknown>>(r.a_attributes),
    createdAt: int(r.a_created),
    updatedAt: int(r.a_updated),
    version: int(r.a_version),
  };
  const inProject = asset.projectId !== null && r.ap_name !== null;
  return {
    asset,
    organization: { id: asset.organizationId, number: intOrNull(r.ao_number), slug: text(r.ao_slug), name: text(r.ao_name), archived: bool(r.ao_archived) },
    project: inProject
      ? { id: asset.projectId, number: intOrNull(r.ap_number), name: text(r.ap_name), archived: bool(r.ap_archived), deletedAt: intOrNull(r.ap_deleted), access: r.ap_access as 'private' | 'organization' }
      : { id: null, number: null, name: null, archived: null, deletedAt: null, access: null },
    creator: { id: textOrNull(r.ac_id), username: textOrNull(r.ac_username) },
  };
}

export type AssetAccessRow = AssetJoined & { orgRole: OrgRole | null; projectRole: ProjectRole | null };

const BY_REF = variants();

/** An asset's columns and the caller's roles in its organisation and project, after `assets a` and its joins. */
const ASSET_ACCESS_COLUMNS = `${ASSET_COLUMNS}, ${orgRoleOf('a.organization_id')} AS org_role, ${projectRoleOf('a.project_id')} AS project_role`;

/** Rows of ASSET_ACCESS_COLUMNS that found an asset, mapped by hand. */
export const toAssetAccessRows = (rows: Row[]): AssetAccessRow[] =>
  rows
    .filter((r) => r.a_id !== null)
    .map((r) => ({ ...toAssetJoined(r), orgRole: r.org_role as OrgRole | null, projectRole: r.project_role as ProjectRole | null }));

/** SQL: `assets a`, its joins, LEFT JOINed where its id is `assetId` (SQL text), for assetItemAndCaller. */
export const joinAsset = (assetId: string) => `LEFT JOIN assets a ON a.id = ${assetId} ${ASSET_JOINS}`;

/**
 * SQL: an item of an asset (a folder, a data file, a sphere) with its asset and the caller's roles,
 * in a row with the caller's columns, so that the item, its access and the caller check are one
 * statement. `joins`: after `FROM k`, the item's LEFT JOINs and joinAsset, in either order (each
 * alias its own); `columns`: the item's selected columns.
 */
export function assetItemAndCaller(columns: string, joins: string): string {
  return withCaller(`SELECT ${CALLER_COLUMNS}, ${columns}, ${ASSET_ACCESS_COLUMNS} FROM k ${joins}`);
}

/**
 * An asset with the caller's roles, for `authed`, which reads the caller check from the same row
 * (FROM k LEFT JOIN: the row is there whenever the credential is valid). `assetId` may be SQL that
 * finds it (idOfNumber), so that an item read stays one round trip. The statement is built once
 * per kind of reference.
 */
export function assetWithAccess(_scope: Scope, assetId: IdRef): Statement<AssetAccessRow[]> {
  const ref = refSql(assetId);
  const text = BY_REF(ref.text, () => withCaller(`SELECT ${CALLER_COLUMNS}, ${ASSET_ACCESS_COLUMNS} FROM k ${joinAsset(ref.text)}`));
  return new Statement(text, ref.params, toAssetAccessRows, true);
}

export interface AssetAccess {
  row: AssetAccessRow;
  orgRole: OrgRole | null;
  projectRole: ProjectRole | null;
  canWrite: boolean;
  readOnly: string | null;
}

/** 404 when the caller may not see the asset (as when it does not exist), 403 when they may see but not write. */
export function requireAsset(caller: Caller, rows: AssetAccessRow[], need: AssetNeed): AssetAccess {
  const row = rows[0];
  if (!row) throw problems.notFound('Asset');
  const { orgRole, projectRole } = row;
  const inProject = row.asset.projectId !== null;
  // An asset whose project row is missing (it cannot be: the foreign key cascades) is read as hidden.
  const project = inProject ? { role: projectRole, access: row.project.access ?? 'private', inTrash: row.project.id === null || row.project.deletedAt !== null } : null;
  const rights = assetRights({ superuser: caller.isSuperuser, orgRole, project });
  if (!rights.read) throw problems.notFound('Asset');
  const canWrite = rights.write;
  if (need === 'write' && !canWrite) throw problems.forbidden('Only editors, managers and org admins may change this asset and what is in it.');
  const readOnly = row.organization.archived ? 'The organization' : inProject && row.project.archived ? 'The project' : null;
  return { row, orgRole, projectRole, canWrite, readOnly };
}

export function requireAssetWritable(access: AssetAccess): void {
  if (access.readOnly) throw problems.archived(access.readOnly);
}

export async function loadAsset(scope: Scope, assetId: IdRef, need: AssetNeed) {
  const [caller, rows] = await authed(scope, assetWithAccess(scope, assetId));
  const access = requireAsset(caller, rows, need);
  if (need === 'write') requireAssetWritable(access);
  return { caller, access };
}

const creator = alias(users, 'asset_creator');

/**
 * SELECT what an asset representation needs (and `extra`) FROM assets with its joins, as a drizzle
 * query, for batches of drizzle queries (the change feed, changes/render.ts); the authenticated
 * reads use the fixed statements above.
 */
export function selectAssets<E extends Record<string, SQL.Aliased | SQL>>(scope: Scope, extra: E) {
  return scope.db
    .select({
      asset: columnsAs(assets, 'a'),
      organization: pick({ id: organizations.id, number: organizations.number, slug: organizations.slug, name: organizations.name, archived: organizations.archived }, 'o'),
      project: pick({ id: projects.id, number: projects.number, name: projects.name, archived: projects.archived, deletedAt: projects.deletedAt, access: projects.access }, 'p'),
      creator: pick({ id: creator.id, username: creator.username }, 'c'),
      ...extra,
    })
    .from(assets)
    .leftJoin(organizations, eq(organizations.id, assets.organizationId))
    .leftJoin(projects, eq(projects.id, assets.projectId))
    .leftJoin(creator, eq(creator.id, assets.createdBy));
}
