/**
 * A project with the caller's rights, decided from one row fetched in the caller's batch: the
 * project, its organisation, and the caller's roles in both, read as auth/access.ts says
 * (projectRights). Restore and purge need the organisation's admin right. A project in the trash
 * is 404 to all but the trash operations. An archived project, or one in an archived
 * organisation, is read-only.
 *
 * The statements are fixed SQL (db/statement.ts), their rows mapped by hand: the project item and
 * list are the hottest reads.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { orgRoleOf, projectAdministered, projectRights, projectRoleOf, projectVisible, type ProjectColumns, type ProjectNeed } from '../auth/access';
import { authed, CALLER_COLUMNS, withCaller, type Caller, type Scope } from '../auth/caller';
import { refSql, type IdRef } from '../db/numbers';
import { blobs, organizations, projects, users } from '../db/schema';
import { columnsAs, joined, pick } from '../db/select';
import { bool, int, intOrNull, json, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { problems } from '../http/problem';
import type { OrgRole } from '../organizations/access';
import type { LogoRef } from '../storage/logos';
import type { ProjectFields, ProjectJoined, ProjectRole } from './schemas';

export type { ProjectNeed };

/** The columns of `projects p` as the access rules take them. */
export const P: ProjectColumns = { id: 'p.id', organizationId: 'p.organization_id', access: 'p.access' };

/** SQL: the caller may see the project `p` (trash aside), in the page or count form (auth/access.ts). */
export const visibleP = (form: 'page' | 'count') => projectVisible(P, form);

/** SQL: the project `p` is in an organisation the caller administers (the trash's audience). */
export const administeredP = projectAdministered(P.organizationId);

/** The same rules over the unaliased `projects` table, for drizzle queries (projects/filter.ts). */
const PROJECTS: ProjectColumns = { id: 'projects.id', organizationId: 'projects.organization_id', access: 'projects.access' };
export const visibleProject = (form: 'page' | 'count'): SQL => sql.raw(projectVisible(PROJECTS, form));
export const administeredProject: SQL = sql.raw(projectAdministered(PROJECTS.organizationId));

/**
 * What a project representation needs, FROM `projects p` with its organisation, creator and logo
 * (LEFT, though every project has its organisation: an inner join lets SQLite start from
 * organizations and sort every visible project for one page; measured: 640 ms at 100k).
 */
export const PROJECT_COLUMNS = `p.id AS p_id, p.number AS p_number, p.organization_id AS p_org, p.slug AS p_slug, p.name AS p_name,
  p.description AS p_description, p.country AS p_country, p.location AS p_location, p.lat AS p_lat, p.lon AS p_lon,
  p.project_type AS p_type, p.urls AS p_urls, p.contacts AS p_contacts, p.access AS p_access, p.archived AS p_archived,
  p.created_at AS p_created, p.updated_at AS p_updated, p.deleted_at AS p_deleted, p.version AS p_version,
  o.number AS o_number, o.slug AS o_slug, o.name AS o_name, o.archived AS o_archived, pc.id AS c_id, pc.number AS c_number, pc.username AS c_username,
  pl.id AS l_id, pl.r2_key AS l_key, pl.mime_type AS l_type, pl.size AS l_size, pl.sha256 AS l_sha256`;
/** The joins of a project's organisation, creator and logo, after `projects p`. */
const PROJECT_JOINS = `LEFT JOIN organizations o ON o.id = p.organization_id
  LEFT JOIN users pc ON pc.id = p.creator_id LEFT JOIN blobs pl ON pl.id = p.logo_blob_id`;
export const PROJECT_FROM = `projects p ${PROJECT_JOINS}`;

/**
 * SQL: the id of the project `projectSlug` of the organisation `orgSlug` (seed 002 addresses
 * projects so), NULL when there is none; passed in place of an id, so that the lookup happens in
 * the statement that checks access and a hidden project answers as a missing one.
 */
export function projectIdOfSlugs(orgSlug: string, projectSlug: string): SQL<string | null> {
  return sql<string | null>`(SELECT ps.id FROM projects ps JOIN organizations os ON os.id = ps.organization_id
    WHERE os.slug = ${orgSlug.toLowerCase()} AND ps.slug = ${projectSlug.toLowerCase()})`;
}

/** A row of PROJECT_COLUMNS, mapped by hand. */
export function toJoined(r: Row): ProjectJoined & { orgArchived: boolean } {
  const project: ProjectFields = {
    id: text(r.p_id),
    number: intOrNull(r.p_number),
    organizationId: text(r.p_org),
    slug: text(r.p_slug),
    name: text(r.p_name),
    description: text(r.p_description),
    country: text(r.p_country),
    location: text(r.p_location),
    lat: r.p_lat as number | null,
    lon: r.p_lon as number | null,
    projectType: text(r.p_type),
    urls: json<string[]>(r.p_urls),
    contacts: json<unknown[]>(r.p_contacts),
    access: r.p_access as ProjectFields['access'],
    archived: bool(r.p_archived),
    createdAt: int(r.p_created),
    updatedAt: int(r.p_updated),
    deletedAt: intOrNull(r.p_deleted),
    version: int(r.p_version),
  };
  const logo: LogoRef | null =
    r.l_id === null ? null : { id: text(r.l_id), r2Key: text(r.l_key), mimeType: text(r.l_type), size: int(r.l_size), sha256: text(r.l_sha256) };
  return {
    project,
    organization: { id: project.organizationId, number: intOrNull(r.o_number), slug: text(r.o_slug), name: text(r.o_name) },
    creator: { id: textOrNull(r.c_id), number: intOrNull(r.c_number), username: textOrNull(r.c_username) },
    logo,
    orgArchived: bool(r.o_archived),
  };
}

export interface AccessRow {
  joined: ProjectJoined & { orgArchived: boolean };
  orgRole: OrgRole | null;
  projectRole: ProjectRole | null;
}

const BY_REF = variants();

/**
 * SQL: a project, with `columns`, and the caller's roles, in a row with the caller's columns
 * (FROM k LEFT JOIN: the row is there whenever the credential is valid; its project columns are
 * NULL when there is no such project). `ref` is SQL text naming the project's id.
 */
export function projectAndCaller(ref: string, columns = ''): string {
  return withCaller(`SELECT ${CALLER_COLUMNS}, ${PROJECT_COLUMNS}, ${orgRoleOf('p.organization_id')} AS org_role,
      ${projectRoleOf('p.id')} AS project_role${columns}
    FROM k LEFT JOIN projects p ON p.id = ${ref} ${PROJECT_JOINS}`);
}

export const toAccessRow = (r: Row): AccessRow => ({ joined: toJoined(r), orgRole: r.org_role as OrgRole | null, projectRole: r.project_role as ProjectRole | null });

/**
 * A project with the caller's roles, for `authed`, which reads the caller check from the same row;
 * `projectId` may be SQL that finds it (the project of a report, idOfNumber): the statement is
 * built once per kind of reference.
 */
export function projectWithAccess(_scope: Scope, projectId: IdRef): Statement<AccessRow[]> {
  const ref = refSql(projectId);
  const text = BY_REF(ref.text, () => projectAndCaller(ref.text));
  return new Statement(text, ref.params, (rows) => rows.filter((r) => r.p_id !== null).map(toAccessRow), true);
}

export interface ProjectAccess extends ProjectJoined {
  orgArchived: boolean;
  orgRole: OrgRole | null;
  projectRole: ProjectRole | null;
  can: Record<ProjectNeed, boolean>;
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
  const { orgRole, projectRole, joined } = row;
  const can = projectRights({ superuser: caller.isSuperuser, orgRole, projectRole, access: joined.project.access });
  const isAdmin = can.admin;
  if (!can.read) throw problems.notFound('Project');
  const inTrash = joined.project.deletedAt !== null;
  if (opts.trash !== 'any' && inTrash !== Boolean(opts.trash)) {
    // A trashed project is gone for every route but the trash's own. A live one asked for by a
    // trash route: a conflict for an org admin; for others, who may see it, the 403 below.
    if (inTrash) throw problems.notFound('Project');
    if (isAdmin) throw problems.conflict('The project is not in the trash.');
  }
  if (inTrash && !isAdmin) throw problems.notFound('Project');
  if (need !== 'read' && !can[need]) throw problems.forbidden(DENIED[need]);
  return { ...joined, orgRole, projectRole, can };
}

export function requireProjectWritable(access: ProjectAccess): void {
  if (access.orgArchived) throw problems.archived('The organization');
  if (access.project.archived) throw problems.archived('The project');
}

export async function loadProject(scope: Scope, projectId: IdRef, need: ProjectNeed, opts: { trash?: boolean | 'any' } = {}) {
  const [caller, rows] = await authed(scope, projectWithAccess(scope, projectId));
  return { caller, access: requireProject(caller, rows, need, opts) };
}

const creator = alias(users, 'creator');
const logo = alias(blobs, 'logo');

/**
 * SELECT what a project representation needs (and `extra`) FROM projects with its joins, as a
 * drizzle query, for batches of drizzle queries (the change feed, changes/render.ts); the
 * authenticated reads use the fixed statements above. LEFT joins: see PROJECT_FROM.
 */
export function selectProjects<E extends Record<string, SQL.Aliased | SQL>>(scope: Scope, extra: E) {
  return scope.db
    .select({
      project: columnsAs(projects, 'p'),
      organization: pick({ id: organizations.id, number: organizations.number, slug: organizations.slug, name: organizations.name, archived: organizations.archived }, 'o'),
      creator: pick({ id: creator.id, number: creator.number, username: creator.username }, 'c'),
      logo: columnsAs(logo, 'l'),
      ...extra,
    })
    .from(projects)
    .leftJoin(organizations, eq(organizations.id, projects.organizationId))
    .leftJoin(creator, eq(creator.id, projects.creatorId))
    .leftJoin(logo, eq(logo.id, projects.logoBlobId));
}

type SelectedProject = Awaited<ReturnType<typeof selectProjects>>[number];

/** A row of selectProjects as the representation reads it. */
export function toJoinedSelected(row: Pick<SelectedProject, 'project' | 'organization' | 'creator' | 'logo'>): ProjectJoined & { orgArchived: boolean } {
  const { archived, ...organization } = row.organization;
  return { project: row.project, organization, creator: row.creator, logo: joined(row.logo) as LogoRef | null, orgArchived: archived };
}
