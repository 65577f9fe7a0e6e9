/**
 * Who may see and change an asset. An asset in a project follows the project (see
 * projects/access.ts: read for those who see it, write for editors, managers and org admins; a
 * project in the trash hides its assets). An asset of the organisation alone is read by its
 * members and written by its admins. Archived project or organisation: read-only.
 */
import { eq, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { authed, callerId, callerIsSuperuser, callerTerms, type Caller, type CallerTerms, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { assets, organizations, projects, users } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { problems } from '../http/problem';
import { callerRole, type OrgRole } from '../organizations/access';
import { callerProjectRole, visibleProject } from '../projects/access';
import type { ProjectRole } from '../projects/schemas';

export type AssetNeed = 'read' | 'write';

/** The columns of a projects row that who-may-see-it reads, as SQL (a table alias's). */
export interface ProjectColumns {
  id: SQL;
  organizationId: SQL;
  access: SQL;
  deletedAt: SQL;
}

/** SQL: `who` may see the live project of those columns (the rule of projects/access.ts, for one row). */
export function projectReadableBy(who: CallerTerms, p: ProjectColumns): SQL {
  return sql`(${p.deletedAt} IS NULL AND (${who.su}
    OR ${p.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${who.me} AND role = 'admin')
    OR (${p.access} = 'organization' AND ${p.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${who.me}))
    OR ${p.id} IN (SELECT project_id FROM project_members WHERE user_id = ${who.me})))`;
}

/** The columns of projects alias `alias` for projectReadableBy. */
export const projectColumnsOf = (alias: string): ProjectColumns => ({
  id: sql.raw(`${alias}.id`),
  organizationId: sql.raw(`${alias}.organization_id`),
  access: sql.raw(`${alias}.access`),
  deletedAt: sql.raw(`${alias}.deleted_at`),
});

/** SQL: the ids of the live projects `who` may see (the rule of projects/access.ts, as a set). */
export function projectIdsVisibleTo(who: CallerTerms): SQL {
  return sql`(SELECT vp.id FROM projects vp WHERE ${projectReadableBy(who, projectColumnsOf('vp'))})`;
}

/** SQL: `who` may see the asset whose project and organisation columns are given. */
export function assetVisibleTo(who: CallerTerms, projectId: SQL | AnyColumn, organizationId: SQL | AnyColumn): SQL {
  return sql`(${projectId} IN ${projectIdsVisibleTo(who)}
    OR (${projectId} IS NULL AND (${who.su} OR ${organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${who.me}))))`;
}

/** SQL: the ids of the live projects the caller may see (`count`: through projects' index-union form). */
export function visibleProjectIds(scope: Scope, form: 'page' | 'count' = 'page'): SQL {
  if (form === 'count') {
    return sql`(SELECT ${projects.id} FROM ${projects} WHERE ${projects.deletedAt} IS NULL AND ${visibleProject(scope, 'count')})`;
  }
  return projectIdsVisibleTo(callerTerms(scope));
}

/**
 * SQL: the caller may see the asset of the current row. Two equivalent forms, for two plans (as
 * visibleProject): `page` checks each row of an ordering index; `count` is a union of index
 * ranges, assets by visible project and organisation-alone assets by organisation (`+` keeps
 * SQLite off the project index, where every tenant's organisation-alone assets share NULL).
 */
export function visibleAsset(scope: Scope, form: 'page' | 'count' = 'page'): SQL {
  if (form === 'count') {
    return sql`(${assets.projectId} IN ${visibleProjectIds(scope, 'count')}
      OR (+${assets.projectId} IS NULL AND ${assets.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${callerId(scope)}
        UNION ALL SELECT id FROM organizations WHERE ${callerIsSuperuser(scope)})))`;
  }
  return assetVisibleTo(callerTerms(scope), assets.projectId, assets.organizationId);
}

const creator = alias(users, 'asset_creator');

export function assetColumns() {
  return {
    asset: columnsAs(assets, 'a'),
    organization: pick({ id: organizations.id, number: organizations.number, slug: organizations.slug, name: organizations.name, archived: organizations.archived }, 'o'),
    project: pick({ id: projects.id, number: projects.number, name: projects.name, archived: projects.archived, deletedAt: projects.deletedAt, access: projects.access }, 'p'),
    creator: pick({ id: creator.id, username: creator.username }, 'c'),
  };
}

/** SELECT what an asset representation needs (and `extra`) FROM assets with its joins (LEFT: see projects/access.ts). */
export function selectAssets<E extends Record<string, SQL.Aliased | SQL>>(scope: Scope, extra: E) {
  return scope.db
    .select({ ...assetColumns(), ...extra })
    .from(assets)
    .leftJoin(organizations, eq(organizations.id, assets.organizationId))
    .leftJoin(projects, eq(projects.id, assets.projectId))
    .leftJoin(creator, eq(creator.id, assets.createdBy));
}

/**
 * An asset with the caller's roles, for `authed`; `assetId` may be SQL that finds it (the asset of
 * a folder, a data file or a sphere, idOfNumber), so that an item read stays one round trip.
 */
export function assetWithAccess(scope: Scope, assetId: IdRef) {
  return selectAssets(scope, { orgRole: callerRole(scope, assets.organizationId), projectRole: callerProjectRole(scope, assets.projectId) })
    .where(eq(assets.id, assetId))
    .limit(1);
}

export type AssetAccessRow = Awaited<ReturnType<typeof assetWithAccess>>[number];

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
  const isAdmin = caller.isSuperuser || orgRole === 'admin';
  const inProject = row.asset.projectId !== null;
  const canRead = inProject
    ? row.project.deletedAt === null && (isAdmin || projectRole !== null || (orgRole !== null && row.project.access === 'organization'))
    : isAdmin || orgRole !== null;
  if (!canRead) throw problems.notFound('Asset');
  const canWrite = isAdmin || (inProject && (projectRole === 'manager' || projectRole === 'editor'));
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
