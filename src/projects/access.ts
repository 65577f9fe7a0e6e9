/**
 * Who may see and do what with a project, decided from one row fetched in the caller's batch:
 * the project, its organisation, and the caller's roles in both.
 *
 * See: superuser, org admin, any project member, and every org member when access is
 * `organization`. Write (assets, files, reports): also editors. Manage (the project and its
 * members): managers. Restore and purge: org admins. A project in the trash is 404 to all but
 * the trash operations. An archived project, or one in an archived organisation, is read-only.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { alias, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { authed, callerId, callerIsSuperuser, type Caller, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { blobs, organizations, projects, users } from '../db/schema';
import { columnsAs, joined, outer, pick } from '../db/select';
import { problems } from '../http/problem';
import { callerRole, type OrgRole } from '../organizations/access';
import type { ProjectJoined, ProjectRole } from './schemas';

export type ProjectNeed = 'read' | 'write' | 'manage' | 'admin';

/**
 * SQL: the caller may see the project of the current row (trash aside). Two equivalent forms,
 * for two query plans (measured in scripts/bench/projects.mjs):
 * - `page`: the superuser test stands alone, so SQLite walks the ordering index and checks each
 *   row (the covering ordering indexes hold the columns checked): a page costs about its length,
 *   on page 1 as on page 10,000 through a keyset cursor.
 * - `count`: every branch is an `IN` on an indexed column, so SQLite counts through a union of
 *   index ranges ("MULTI-INDEX OR") instead of scanning the table.
 */
export function visibleProject(scope: Scope, form: 'page' | 'count'): SQL {
  const me = callerId(scope);
  if (form === 'page') {
    return sql`(${callerIsSuperuser(scope)}
      OR ${projects.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${me} AND role = 'admin')
      OR (${projects.access} = 'organization' AND ${projects.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${me}))
      OR ${projects.id} IN (SELECT project_id FROM project_members WHERE user_id = ${me}))`;
  }
  return sql`(${projects.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${me} AND role = 'admin'
        UNION ALL SELECT id FROM organizations WHERE ${callerIsSuperuser(scope)})
      OR (${projects.access} = 'organization' AND ${projects.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${me}))
      OR ${projects.id} IN (SELECT project_id FROM project_members WHERE user_id = ${me}))`;
}

/**
 * SQL: the id of the project `projectSlug` of the organisation `orgSlug` (seed 002 addresses
 * projects so), NULL when there is none; passed in place of an id, so that the lookup happens in
 * the statement that checks access and a hidden project answers as a missing one.
 */
export function projectIdOfSlugs(orgSlug: string, projectSlug: string): SQL<string | null> {
  return sql<string | null>`(SELECT ps.id FROM projects ps JOIN organizations os ON os.id = ps.organization_id
    WHERE os.slug = ${orgSlug.toLowerCase()} AND ps.slug = ${projectSlug.toLowerCase()})`;
}

/** SQL: the project of the current row is in an organisation the caller administers (the trash's audience). */
export function administeredProject(scope: Scope): SQL {
  return sql`(${callerIsSuperuser(scope)}
    OR ${projects.organizationId} IN (SELECT organization_id FROM memberships WHERE user_id = ${callerId(scope)} AND role = 'admin'))`;
}

const creator = alias(users, 'creator');
const logo = alias(blobs, 'logo');

/** The columns a project representation needs, aliased for batches; used by item and list queries. */
export function projectColumns() {
  return {
    project: columnsAs(projects, 'p'),
    organization: pick({ id: organizations.id, number: organizations.number, slug: organizations.slug, name: organizations.name, archived: organizations.archived }, 'o'),
    creator: pick({ id: creator.id, number: creator.number, username: creator.username }, 'c'),
    logo: columnsAs(logo, 'l'),
  };
}

/** SELECT what a project representation needs (and `extra`) FROM projects with its joins. */
export function selectProjects<E extends Record<string, SQL.Aliased | SQL>>(scope: Scope, extra: E) {
  return scope.db
    .select({ ...projectColumns(), ...extra })
    .from(projects)
    // LEFT, though every project has its organisation: an inner join lets SQLite start from
    // organizations and sort every visible project for one page (measured: 640 ms at 100k).
    .leftJoin(organizations, eq(organizations.id, projects.organizationId))
    .leftJoin(creator, eq(creator.id, projects.creatorId))
    .leftJoin(logo, eq(logo.id, projects.logoBlobId));
}

/** SQL: the caller's role in the project of the current row (a column of the outer query), or NULL. */
export function callerProjectRole(scope: Scope, projectId: SQLiteColumn): SQL<ProjectRole | null> {
  return sql<ProjectRole | null>`(SELECT pm.role FROM project_members pm WHERE pm.project_id = ${outer(projectId)} AND pm.user_id = ${callerId(scope)})`;
}

/** A project with the caller's roles, for `authed`; `projectId` may be SQL that finds it (the project of a report, idOfNumber). */
export function projectWithAccess(scope: Scope, projectId: IdRef) {
  return selectProjects(scope, { orgRole: callerRole(scope, projects.organizationId), projectRole: callerProjectRole(scope, projects.id) })
    .where(eq(projects.id, projectId))
    .limit(1);
}

type AccessRow = Awaited<ReturnType<typeof projectWithAccess>>[number];

export interface ProjectAccess extends ProjectJoined {
  orgArchived: boolean;
  orgRole: OrgRole | null;
  projectRole: ProjectRole | null;
  can: Record<ProjectNeed, boolean>;
}

export function toJoined(row: Pick<AccessRow, 'project' | 'organization' | 'creator' | 'logo'>): ProjectJoined & { orgArchived: boolean } {
  const { archived, ...organization } = row.organization;
  return { project: row.project, organization, creator: row.creator, logo: joined(row.logo), orgArchived: archived };
}

const DENIED: Record<Exclude<ProjectNeed, 'read'>, string> = {
  write: 'Only editors, managers and org admins may change what is in this project.',
  manage: 'Only managers of this project and org admins may do that.',
  admin: 'Only an admin of the organization may do that.',
};

/**
 * 404 when the caller may not see the project (exactly as when it does not exist) or it is in
 * the trash (unless `trash` is asked for); 403 when they see it but lack `need`.
 */
export function requireProject(caller: Caller, rows: AccessRow[], need: ProjectNeed, opts: { trash?: boolean | 'any' } = {}): ProjectAccess {
  const row = rows[0];
  if (!row) throw problems.notFound('Project');
  const { orgRole, projectRole } = row;
  const isAdmin = caller.isSuperuser || orgRole === 'admin';
  const can: Record<ProjectNeed, boolean> = {
    read: isAdmin || projectRole !== null || (orgRole !== null && row.project.access === 'organization'),
    write: isAdmin || projectRole === 'manager' || projectRole === 'editor',
    manage: isAdmin || projectRole === 'manager',
    admin: isAdmin,
  };
  if (!can.read) throw problems.notFound('Project');
  const inTrash = row.project.deletedAt !== null;
  if (opts.trash !== 'any' && inTrash !== Boolean(opts.trash)) {
    // A trashed project is gone for every route but the trash's own. A live one asked for by a
    // trash route: a conflict for an org admin; for others, who may see it, the 403 below.
    if (inTrash) throw problems.notFound('Project');
    if (isAdmin) throw problems.conflict('The project is not in the trash.');
  }
  if (inTrash && !isAdmin) throw problems.notFound('Project');
  if (need !== 'read' && !can[need]) throw problems.forbidden(DENIED[need]);
  return { ...toJoined(row), orgRole, projectRole, can };
}

export function requireProjectWritable(access: ProjectAccess): void {
  if (access.orgArchived) throw problems.archived('The organization');
  if (access.project.archived) throw problems.archived('The project');
}

export async function loadProject(scope: Scope, projectId: IdRef, need: ProjectNeed, opts: { trash?: boolean | 'any' } = {}) {
  const [caller, rows] = await authed(scope, projectWithAccess(scope, projectId));
  return { caller, access: requireProject(caller, rows, need, opts) };
}

