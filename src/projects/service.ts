import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { blobsUnderProject } from './blobs';
import { flattenFolders } from '../folders/tree';
import { ME, visibleProjectCount } from '../auth/access';
import { authed, countWithCaller, withCaller, type Query, type Scope } from '../auth/caller';
import { conflictOnUnique } from '../db/errors';
import { ftsQuery } from '../db/fts';
import { refSql, type IdRef } from '../db/numbers';
import { assets, blobs, type AssetRow, memberships, projects, users, type ProjectRow } from '../db/schema';
import { Conditions, int, Statement, variants } from '../db/statement';
import { checkIfMatch, versionGuard } from '../http/etag';
import { planTextPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { orgWithRole, requireOrg, requireWritable } from '../organizations/access';
import { slugify } from '../organizations/schemas';
import { discardObjects, storeLogo, type NewLogo } from '../storage/logos';
import { memberUserColumns, toMemberUser } from '../users/schemas';
import { moveReads, requireMovable, requireMove, runMove, type MoveReadRows } from './move';
import {
  administeredP,
  PROJECT_COLUMNS,
  PROJECT_FROM,
  projectAndCaller,
  requireProject,
  requireProjectWritable,
  toAccessRow,
  toJoined,
  visibleP,
  type ProjectAccess,
  type ProjectNeed,
} from './access';
import { insertProjectMember } from './members';
import { MEMBERS_EMBEDDED, toProject, type ProjectChanges, type ProjectJoined, type ProjectRole } from './schemas';
import { changeSet, touched } from '../db/changes';

type ProjectListRow = ReturnType<typeof toJoined>;

export const projectListSpec: ListSpec<ProjectListRow, string> = {
  fields: {
    name: { expr: 'p.name', key: (r) => r.project.name },
    created_at: { expr: 'p.created_at', key: (r) => r.project.createdAt },
    updated_at: { expr: 'p.updated_at', key: (r) => r.project.updatedAt },
  },
  tiebreaker: { expr: 'p.id', key: (r) => r.project.id },
  defaultOrdering: 'name',
};

export interface ProjectFilters {
  organization?: string | undefined;
  archived?: boolean | undefined;
  project_type?: string | undefined;
  country?: string | undefined;
  deleted?: boolean | undefined;
}

/** SQL: the id of the organisation named by an id or a slug (two parameters). */
const ORGANIZATION = '(SELECT id FROM organizations WHERE id = ? OR slug = ?)';

/** A list's filters as SQL text over `p` in a fixed order, their parameters, and which were given (the text's variant). */
function projectFilters(q: ListQuery & ProjectFilters, organization: string | undefined) {
  const c = new Conditions();
  const add = c.add.bind(c);
  if (organization) add('o', `p.organization_id = ${ORGANIZATION}`, organization, organization.toLowerCase());
  if (q.archived !== undefined) add('a', 'p.archived = ?', q.archived ? 1 : 0);
  if (q.project_type !== undefined) add('t', 'p.project_type = ?', q.project_type);
  if (q.country !== undefined) add('c', 'p.country = ?', q.country);
  if (q.search) {
    const search = ftsQuery(q.search);
    if (search) add('s', 'p.seq IN (SELECT rowid FROM projects_fts WHERE projects_fts MATCH ?)', search);
    else add('n', '0');
  }
  return c;
}

/** ` AND <conditions>`, or nothing. */
const andAlso = (text: string) => (text ? ` AND ${text}` : '');

const LIST = variants();
const COUNT = variants();

/**
 * Every project the caller may see, or with `deleted=true` the trash of the organisations they
 * administer. `scopeOrg` narrows to one organisation and answers 404 when it is hidden.
 */
export async function listProjects(scope: Scope, q: ListQuery & ProjectFilters, url: string, scopeOrg?: string) {
  const plan = planTextPage(projectListSpec, q);
  const filters = projectFilters(q, scopeOrg ?? q.organization);
  const visible = (form: 'page' | 'count') => (q.deleted ? `p.deleted_at IS NOT NULL AND ${administeredP}` : `p.deleted_at IS NULL AND ${visibleP(form)}`);
  const variant = `${q.deleted ? 'd' : 'l'}${filters.variant}`;
  const page = LIST(`${variant}|${plan.variant}`, () =>
    withCaller(`SELECT ${PROJECT_COLUMNS} FROM ${PROJECT_FROM} WHERE ${visible('page')}${andAlso(filters.text)} ${plan.keyset}
      ORDER BY ${plan.orderBy} LIMIT ? OFFSET ?`),
  );
  // Without a filter but the organisation, the count is added up from the per-organisation counts
  // (a row per organisation, at any size); a filter or the trash counts the rows it matches.
  const kept = !q.deleted && (filters.variant === '' || filters.variant === 'o');
  const count = COUNT(variant, () =>
    kept
      ? `SELECT ${visibleProjectCount(filters.variant === 'o' ? ORGANIZATION : undefined)}`
      : `SELECT count(*) FROM projects p WHERE ${visible('count')}${andAlso(filters.text)}`,
  );
  const [caller, rows, counted, ...org] = await authed(
    scope,
    new Statement(page, [...filters.params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toJoined)),
    countWithCaller(count, kept ? [...filters.params, ...filters.params] : filters.params),
    ...(scopeOrg ? [orgWithRole(scope, scopeOrg)] : []),
  );
  if (scopeOrg) requireOrg(caller, org[0]!, 'read');
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map(toProject) };
}

const DETAIL = variants();

/**
 * The project's first members by username, as JSON (each an array of MEMBER_FIELDS), and how many
 * there are: two columns of the project's row, so that the detail is one statement.
 */
const MEMBER_COLUMNS = `, (SELECT json_group_array(json_array(m.id, m.number, m.username, m.email, m.name, m.last_login, m.date_joined, m.role, m.created_at)
      ORDER BY m.username, m.id)
    FROM (SELECT u.id, u.number, u.username, u.email, u.name, u.last_login, u.date_joined, pm.role, pm.created_at
      FROM project_members pm JOIN users u ON u.id = pm.user_id WHERE pm.project_id = p.id ORDER BY u.username, u.id LIMIT ${MEMBERS_EMBEDDED}) m) AS members,
  (SELECT count(*) FROM project_members pm WHERE pm.project_id = p.id) AS member_count`;

type EmbeddedMember = { user: ReturnType<typeof toMemberUser>; role: ProjectRole; joined_at: string };

type MemberCells = [string, number | null, string, string, string, number | null, number, ProjectRole, number];

function toEmbeddedMember([id, number, username, email, name, lastLogin, dateJoined, role, since]: MemberCells): EmbeddedMember {
  const user = toMemberUser({ userId: id, number, username, email, name, lastLogin, dateJoined });
  return { user, role, joined_at: iso(since) };
}

/**
 * One round trip: the caller, the project with the caller's rights and its first members (one
 * statement); and `extra` queries in the same batch, answered in `more`.
 */
export async function loadProjectDetail<T extends readonly Query[]>(
  scope: Scope,
  projectId: IdRef,
  need: ProjectNeed,
  opts: { trash?: boolean | 'any' } = {},
  ...extra: T
) {
  const ref = refSql(projectId);
  const detail = new Statement(
    DETAIL(ref.text, () => projectAndCaller(ref.text, MEMBER_COLUMNS)),
    ref.params,
    (rows) => rows.filter((r) => r.p_id !== null),
    true,
  );
  const [caller, found, ...more] = await authed(scope, detail, ...extra);
  const rows = found.map(toAccessRow);
  const access = requireProject(caller, rows, need, opts);
  const members = (JSON.parse(found[0]!.members as string) as MemberCells[]).map(toEmbeddedMember);
  return { caller, access, detail: toDetail(access, members, int(found[0]!.member_count)), more, rows };
}

/** The detail representation; writes build it from what they read and wrote, without reading again. */
function toDetail(joined: ProjectJoined, members: EmbeddedMember[], memberCount: number) {
  const id = joined.project.id;
  return {
    ...toProject(joined),
    members,
    member_count: memberCount,
    links: { members: `/v1/projects/${id}/members`, logo: `/v1/projects/${id}/logo` },
  };
}

export async function getProject(scope: Scope, projectId: IdRef) {
  return (await loadProjectDetail(scope, projectId, 'read')).detail;
}

/** The project with its first `n` assets by name (seed 000's project embeds them), in one round trip. */
/** SQL: the project's first `n` assets by name (seed 000's project embeds them). */
function embeddedAssets(scope: Scope, projectId: IdRef, n: number) {
  return scope.db.select().from(assets).where(eq(assets.projectId, projectId)).orderBy(assets.name, assets.id).limit(n);
}

/** The project with its first `n` assets (read only once requireProject has let the caller see it), in one round trip. */
export async function getProjectWithAssets(scope: Scope, projectId: IdRef, n: number) {
  const { detail, more } = await loadProjectDetail(scope, projectId, 'read', {}, embeddedAssets(scope, projectId, n));
  return { project: detail, assets: more[0] as AssetRow[] };
}

export type NewProject = ProjectChanges & { name: string };

/**
 * Any member of a live organisation may create a project there; the creator becomes its manager.
 * `organizationNamed`: a name or slug the request also gave the organisation (seed 002's form
 * field), which must be this one's.
 */
export async function createProject(scope: Scope, organization: IdRef, input: NewProject, logo?: NewLogo, organizationNamed?: string) {
  const [caller, orgRows, me] = await authed(
    scope,
    orgWithRole(scope, organization),
    scope.db.select(memberUserColumns).from(users).where(eq(users.id, sql.raw(ME))),
  );
  const org = requireOrg(caller, orgRows, 'read');
  if (organizationNamed !== undefined && organizationNamed !== org.org.name && organizationNamed.toLowerCase() !== org.org.slug) {
    throw problems.invalid([{ path: 'organization', message: 'Names another organization than the one the project is created in.' }], undefined, 'body');
  }
  requireWritable(org);
  const id = newId('prj');
  const values = {
    id,
    organizationId: org.org.id,
    slug: input.slug ?? slugify(input.name),
    name: input.name,
    description: input.description ?? '',
    country: input.country ?? '',
    location: input.location ?? '',
    lat: input.lat ?? null,
    lon: input.lon ?? null,
    projectType: input.project_type ?? '',
    urls: input.urls ?? [],
    contacts: input.contacts ?? [],
    access: input.access ?? 'organization',
    creatorId: caller.userId,
    createdAt: scope.now,
    updatedAt: scope.now,
  } satisfies Omit<typeof projects.$inferInsert, 'seq'>;
  const stored = logo ? await storeLogo(scope, org.org.id, logo) : null;
  // The creator manages the project, and a project member is a member of its organisation: a
  // superuser (the one caller who sees an organisation without being in it) joins it as a member.
  const joinOrganization = scope.db
    .insert(memberships)
    .select(sql`SELECT ${org.org.id}, ${caller.userId}, 'member', ${scope.now} WHERE ${caller.isSuperuser ? 1 : 0}`)
    .onConflictDoNothing();
  let created: ProjectRow | undefined;
  let managers: unknown[] = [];
  try {
    [[created], , managers] = await conflictOnUnique(
      scope.db.batch([
        scope.db.insert(projects).values({ ...values, logoBlobId: stored?.id ?? null }).returning(),
        joinOrganization,
        // Writes nothing when the creator left the organisation meanwhile: the project stays, without them.
        insertProjectMember(scope, id, caller.userId, 'manager'),
        ...(stored ? [scope.db.insert(blobs).values(stored)] : []),
      ]),
    );
  } catch (error) {
    if (stored) await discardObjects(scope, [stored.r2Key]);
    throw error;
  }
  const organizationRef = { id: org.org.id, number: org.org.number, slug: org.org.slug, name: org.org.name };
  const members = managers.length ? [{ user: toMemberUser(me[0]!), role: 'manager' as const, joined_at: iso(scope.now) }] : [];
  return toDetail(
    { project: created!, organization: organizationRef, creator: { id: caller.userId, number: me[0]!.number, username: caller.username }, logo: stored },
    members,
    members.length,
  );
}

/** What PATCH and PUT change: the fields, and `organization` (slug, id, or SQL that finds it) to move the project there (move.ts). */
export type ProjectUpdate = Omit<ProjectChanges, 'organization'> & { organization?: IdRef | undefined };

const COLUMNS = {
  name: 'name',
  slug: 'slug',
  description: 'description',
  country: 'country',
  location: 'location',
  lat: 'lat',
  lon: 'lon',
  project_type: 'projectType',
  urls: 'urls',
  contacts: 'contacts',
  access: 'access',
  archived: 'archived',
} as const;

/** Managers and org admins change the fields; a move also needs an admin of both organisations (move.ts). */
/** `embedAssets`: also answer the project's first that many assets (seed 000's project embeds them), read with the rights. */
export async function updateProject(scope: Scope, projectId: IdRef, update: ProjectUpdate, ifMatch: string | undefined, embedAssets?: number) {
  const { organization, ...changes } = update;
  const moving = organization !== undefined;
  const { caller, access, detail, more, rows } = await loadProjectDetail(
    scope,
    projectId,
    moving ? 'read' : 'manage',
    {},
    ...(moving ? moveReads(scope, projectId, organization, changes.slug) : []),
    ...(embedAssets ? [embeddedAssets(scope, projectId, embedAssets)] : []),
  );
  const embedded = (embedAssets ? more[more.length - 1] : []) as AssetRow[];
  const reads = (embedAssets ? more.slice(0, -1) : more) as unknown as MoveReadRows;
  const target = moving ? requireMove(caller, access, reads) : null;
  // Naming the project's own organisation moves nothing: the rights of a plain update.
  if (moving && !target) requireProject(caller, rows, 'manage');
  await checkIfMatch(ifMatch, detail);
  const set = changeSet(changes, COLUMNS, projects.version, scope.now);
  if (target) {
    const toCopy = requireMovable(access, target, reads, changes.archived === false);
    const moved = await runMove(scope, access, target, toCopy, set, ifMatch);
    const organizationRef = { id: target.org.id, number: target.org.number, slug: target.org.slug, name: target.org.name };
    const movedDetail: ReturnType<typeof toDetail> & { assets?: AssetRow[] } = toDetail({ ...access, project: moved, organization: organizationRef }, detail.members, detail.member_count);
    if (embedAssets) movedDetail.assets = embedded;
    return movedDetail;
  }
  if (access.orgArchived) throw problems.archived('The organization');
  if (access.project.archived && changes.archived !== false) throw problems.archived('The project');
  const [updated] = await conflictOnUnique(
    scope.db
      .update(projects)
      .set(set as typeof projects.$inferInsert)
      .where(and(eq(projects.id, access.project.id), versionGuard(ifMatch, projects.version, access.project.version)))
      .returning(),
  );
  if (!updated) throw problems.preconditionFailed();
  const result: ReturnType<typeof toDetail> & { assets?: AssetRow[] } = toDetail({ ...access, project: updated }, detail.members, detail.member_count);
  if (embedAssets) result.assets = embedded;
  return result;
}

/**
 * DELETE moves to the trash (managers, org admins); `permanent` purges (org admins). Answers the
 * project as it was read before (seed 001's hard delete shows the purged project).
 */
export async function deleteProject(scope: Scope, projectId: IdRef, permanent: boolean, ifMatch: string | undefined) {
  const { access, detail } = await loadProjectDetail(scope, projectId, permanent ? 'admin' : 'manage', { trash: permanent ? 'any' : false });
  await checkIfMatch(ifMatch, detail);
  requireProjectWritable(access);
  if (permanent) {
    await purge(scope, access);
    return detail;
  }
  const moved = await scope.db
    .update(projects)
    .set({ deletedAt: scope.now, ...touched(projects.version, scope.now) })
    .where(and(eq(projects.id, access.project.id), isNull(projects.deletedAt)))
    .returning({ id: projects.id });
  if (moved.length === 0) throw problems.notFound('Project');
  return detail;
}

/**
 * Rows first, R2 objects after: a failure in between leaves only objects, which the sweep removes.
 * One batch (one transaction): the blob rows of everything under the project (its assets' data
 * files, spheres and reports, the project's reports, its logo) go first, while the rows that name
 * them still exist, and answer their R2 keys (RETURNING), so the keys are exactly the rows deleted
 * with no read before and no race with an upload in between; then the project row, whose delete
 * cascades to its members, assets (with their folders, data files, spheres, reports) and reports.
 */
async function purge(scope: Scope, access: ProjectAccess) {
  const { project } = access;
  const assetIds = sql`(SELECT id FROM assets WHERE project_id = ${project.id})`;
  const [gone] = await scope.db.batch([
    scope.db.delete(blobs).where(blobsUnderProject(project.id)).returning({ key: blobs.r2Key }),
    flattenFolders(scope, { ofAssets: assetIds }),
    scope.db.delete(projects).where(eq(projects.id, project.id)),
  ]);
  if (gone.length > 0) scope.waitUntil(discardObjects(scope, gone.map((b) => b.key)));
}

export async function restoreProject(scope: Scope, projectId: IdRef) {
  const { access, detail } = await loadProjectDetail(scope, projectId, 'admin', { trash: true });
  if (access.orgArchived) throw problems.archived('The organization');
  const [restored] = await scope.db
    .update(projects)
    .set({ deletedAt: null, ...touched(projects.version, scope.now) })
    .where(and(eq(projects.id, access.project.id), isNotNull(projects.deletedAt)))
    .returning();
  if (!restored) throw problems.conflict('The project is not in the trash.');
  return toDetail({ ...access, project: restored }, detail.members, detail.member_count);
}

