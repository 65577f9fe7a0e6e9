/**
 * Who may see and change what: every access rule, written once.
 *
 * The roles and what each grants are one table (ROLE_RIGHTS). From it come both forms the rules
 * take:
 * - SQL text over the caller `k` (auth/caller.ts: the one-row table every statement of an
 *   authenticated batch has in front of it): the sets of organisations, projects, assets,
 *   reports and entities the caller may see or change, for lists, counts, search and the
 *   dashboard, and the caller's roles fetched with an item;
 * - TypeScript rights decided from those roles (orgRights, projectRights, assetRights), which the
 *   item checks (requireOrg, requireProject, requireAsset and those built on them) read.
 * A new role, or a rule that changes, changes here; the domains' access.ts files hold only their
 * statements and their answers (404 for what is hidden, 403 for what is seen but not allowed).
 *
 * The rules: a superuser may do anything. An organisation is seen by its members; its admins
 * manage it, its members, all its projects and its assets. A project is seen by its members, its
 * organisation's admins and, when its access is `organization`, every member of the
 * organisation; managers manage it, editors and managers change what is in it. A project member is
 * always a member of the project's organisation (a trigger holds it: migrations/0008). An asset in
 * a project follows the project (a project in the trash hides its assets); an asset of the
 * organisation alone is seen by the organisation's members and changed by its admins. Folders,
 * data files and spheres follow their asset, reports their project. A resource is seen through
 * any entity it is attached to and changed only through an attached entity of the organisation
 * that owns it (writableResource). A user is seen by those who share an organisation with them.
 *
 * Several rules have two SQL forms that answer the same, for two query plans (measured in
 * scripts/bench/projects.mjs): `page`, where the superuser test stands alone so that SQLite walks
 * an ordering index and checks each row (a page costs about its length at any depth), and
 * `count`, where every branch is an `IN` on an indexed column so that SQLite reads only what the
 * caller may see through a union of index ranges ("MULTI-INDEX OR") instead of scanning a table.
 */
import type { OrgRole } from '../organizations/access';
import type { ProjectRole } from '../projects/schemas';

export type Right = 'read' | 'write' | 'manage' | 'admin';

/**
 * What each role grants. An organisation's admin has every right over everything of the
 * organisation; a project role grants rights in its project only.
 */
export const ROLE_RIGHTS = {
  organization: { admin: ['read', 'write', 'manage', 'admin'], member: ['read'] } satisfies Record<OrgRole, Rights>,
  project: { manager: ['read', 'write', 'manage'], editor: ['read', 'write'], viewer: ['read'] } satisfies Record<ProjectRole, Rights>,
} as const;

/** Every role grants read: the SQL below takes a membership of any role as the right to read. */
type Rights = readonly ['read', ...Right[]];

const grants = (table: Record<string, Rights>, role: string | null, right: Right): boolean =>
  role !== null && (table[role]?.includes(right) ?? false);

/** SQL: the roles of `table` that grant `right`, as an IN list. */
function rolesWith(table: Record<string, Rights>, right: Right): string {
  return Object.entries(table)
    .filter(([, rights]) => rights.includes(right))
    .map(([role]) => `'${role}'`)
    .join(', ');
}

const ORG_ADMINS = rolesWith(ROLE_RIGHTS.organization, 'admin');
const PROJECT_WRITERS = rolesWith(ROLE_RIGHTS.project, 'write');

// ---------------------------------------------------------------------------------------------
// TypeScript: rights from the roles fetched with an item.

export interface OrgRights {
  read: boolean;
  admin: boolean;
}

export function orgRights(superuser: boolean, orgRole: OrgRole | null): OrgRights {
  return { read: superuser || orgRole !== null, admin: superuser || grants(ROLE_RIGHTS.organization, orgRole, 'admin') };
}

export type ProjectNeed = 'read' | 'write' | 'manage' | 'admin';

export interface ProjectRoles {
  superuser: boolean;
  orgRole: OrgRole | null;
  projectRole: ProjectRole | null;
  access: 'private' | 'organization';
}

/**
 * The caller's rights in a project (its trash aside: see requireProject). An organisation's admin
 * has them all; an organisation role reaches a project whose access is `organization` with the
 * rights it grants (a member reads it), and a private one only through its admin right.
 */
export function projectRights({ superuser, orgRole, projectRole, access }: ProjectRoles): Record<ProjectNeed, boolean> {
  const byOrg = (right: Right) => superuser || grants(ROLE_RIGHTS.organization, orgRole, right);
  const can = (right: Right) => byOrg('admin') || grants(ROLE_RIGHTS.project, projectRole, right) || (access === 'organization' && byOrg(right));
  return { read: can('read'), write: can('write'), manage: can('manage'), admin: byOrg('admin') };
}

export interface AssetRoles {
  superuser: boolean;
  orgRole: OrgRole | null;
  /** Null for an asset of the organisation alone. */
  project: { role: ProjectRole | null; access: 'private' | 'organization'; inTrash: boolean } | null;
}

/** The caller's rights on an asset (and so on its folders, data files and spheres). */
export function assetRights({ superuser, orgRole, project }: AssetRoles): { read: boolean; write: boolean } {
  if (!project) {
    const org = orgRights(superuser, orgRole);
    return { read: org.read, write: org.admin };
  }
  const rights = projectRights({ superuser, orgRole, projectRole: project.role, access: project.access });
  return { read: rights.read && !project.inTrash, write: rights.write };
}

// ---------------------------------------------------------------------------------------------
// SQL over the caller `k`. Column arguments are SQL text naming the current row's columns.

/** SQL: the caller's user id, superuser flag and token id. */
export const ME = '(SELECT cu FROM k)';
export const SU = '(SELECT cs FROM k)';
export const MY_TOKEN = '(SELECT ct FROM k)';

/** SQL: the ids of the organisations the caller belongs to. */
export const MEMBER_ORGS = `(SELECT organization_id FROM memberships WHERE user_id = ${ME})`;

/** SQL: the ids of the organisations the caller administers (not a superuser's). */
const ADMIN_MEMBERSHIPS = `(SELECT organization_id FROM memberships WHERE user_id = ${ME} AND role IN (${ORG_ADMINS}))`;

/** SQL: the ids of the organisations the caller administers, every one for a superuser (an index-range form). */
export const ADMIN_ORGS = `(SELECT organization_id FROM memberships WHERE user_id = ${ME} AND role IN (${ORG_ADMINS})
    UNION ALL SELECT id FROM organizations WHERE ${SU})`;

/** SQL: the ids of the organisations the caller sees (belongs to, or every one for a superuser; an index-range form). */
export const SEEN_ORGS = `(SELECT organization_id FROM memberships WHERE user_id = ${ME} UNION ALL SELECT id FROM organizations WHERE ${SU})`;

/** SQL: the ids of the projects the caller is a member of. */
const MY_PROJECTS = `(SELECT project_id FROM project_members WHERE user_id = ${ME})`;

/** SQL: the caller's role in organisation `organizationId` (of the current row), or NULL. */
export const orgRoleOf = (organizationId: string) =>
  `(SELECT cm.role FROM memberships cm WHERE cm.organization_id = ${organizationId} AND cm.user_id = ${ME})`;

/** SQL: the caller's role in project `projectId` (of the current row), or NULL. */
export const projectRoleOf = (projectId: string) =>
  `(SELECT pm.role FROM project_members pm WHERE pm.project_id = ${projectId} AND pm.user_id = ${ME})`;

/** SQL: the caller sees organisation `id`. */
export const orgVisible = (id: string) => `(${SU} OR ${id} IN ${MEMBER_ORGS})`;

export interface ProjectColumns {
  id: string;
  organizationId: string;
  access: string;
}

/** SQL: the caller may see the project of the current row (its trash aside). */
export function projectVisible(p: ProjectColumns, form: 'page' | 'count'): string {
  const byRole = `(${p.access} = 'organization' AND ${p.organizationId} IN ${MEMBER_ORGS}) OR ${p.id} IN ${MY_PROJECTS}`;
  if (form === 'page') return `(${SU} OR ${p.organizationId} IN ${ADMIN_MEMBERSHIPS} OR ${byRole})`;
  return `(${p.organizationId} IN ${ADMIN_ORGS} OR ${byRole})`;
}

/**
 * SQL: how many live projects the caller may see (projectVisible, its trash aside), from the
 * per-organisation counts that triggers keep (db/schema.ts, projectCounts), so that it costs a
 * row per organisation the caller belongs to, not a row per project: every live project of an
 * organisation they administer (every organisation for a superuser), the `organization` ones
 * of the others they belong to, and the private ones of those they are a member of (a project
 * member always belongs to the project's organisation). `organizationId`: SQL text of one
 * organisation's id to count in, or undefined for all.
 */
export function visibleProjectCount(organizationId?: string): string {
  const inOrg = (column: string) => (organizationId ? ` AND ${column} = ${organizationId}` : '');
  return `(SELECT coalesce(sum(CASE WHEN pc.organization_id IN ${ADMIN_ORGS} THEN pc.live ELSE pc.open END), 0)
      FROM project_counts pc WHERE pc.organization_id IN ${SEEN_ORGS}${inOrg('pc.organization_id')})
    + (SELECT count(*) FROM project_members pcm JOIN projects pcp ON pcp.id = pcm.project_id
      WHERE pcm.user_id = ${ME} AND pcp.deleted_at IS NULL AND pcp.access = 'private'
        AND pcp.organization_id NOT IN ${ADMIN_ORGS}${inOrg('pcp.organization_id')})`;
}

/** SQL: the project of the current row is in an organisation the caller administers (the trash's audience). */
export const projectAdministered = (organizationId: string) => `(${SU} OR ${organizationId} IN ${ADMIN_MEMBERSHIPS})`;

/** SQL: the ids of the live projects the caller may see, in the page form (for `x IN …` tests of single rows). */
export const VISIBLE_PROJECTS = `(SELECT vp.id FROM projects vp WHERE vp.deleted_at IS NULL
    AND ${projectVisible({ id: 'vp.id', organizationId: 'vp.organization_id', access: 'vp.access' }, 'page')})`;

/** SQL: the same set in the count form (for sets read whole: counts, the dashboard). */
export const VISIBLE_PROJECTS_INDEXED = `(SELECT cp.id FROM projects cp WHERE cp.deleted_at IS NULL
    AND ${projectVisible({ id: 'cp.id', organizationId: 'cp.organization_id', access: 'cp.access' }, 'count')})`;

/** SQL: the ids of the live projects whose contents the caller may change. */
export const WRITABLE_PROJECTS = `(SELECT wp.id FROM projects wp WHERE wp.deleted_at IS NULL AND (wp.organization_id IN ${ADMIN_ORGS}
    OR wp.id IN (SELECT project_id FROM project_members WHERE user_id = ${ME} AND role IN (${PROJECT_WRITERS}))))`;

export interface AssetColumns {
  projectId: string;
  organizationId: string;
}

/** SQL: the caller may see the asset of the current row. */
export function assetVisible(a: AssetColumns, form: 'page' | 'count'): string {
  if (form === 'page') {
    // `+`: no index on the project may serve these tests. A keyset page's range on the ordering
    // column otherwise makes SQLite read every visible project's assets past the key through
    // (project_id, name) and sort them all: 186 ms for a page 10,000 deep of 100,000 assets
    // (npm run bench:transam), against a walk of the ordering index that stops at the page.
    return `(+${a.projectId} IN ${VISIBLE_PROJECTS} OR (+${a.projectId} IS NULL AND (${SU} OR ${a.organizationId} IN ${MEMBER_ORGS})))`;
  }
  // `+` keeps SQLite off the project index, where every tenant's organisation-alone assets share NULL.
  return `(${a.projectId} IN ${VISIBLE_PROJECTS_INDEXED} OR (+${a.projectId} IS NULL AND ${a.organizationId} IN ${SEEN_ORGS}))`;
}

/**
 * SQL: how many assets the caller may see (assetVisible, either form), added up from the counts
 * that triggers keep per organisation and per project (db/schema.ts, assetCounts and
 * projectAssetCounts), so that it costs a row per organisation the caller belongs to (every one
 * for a superuser) and a row per project they are a member of, not a row per asset:
 * - of each organisation they see, its assets in no project and those of its live projects, all
 *   of them where they are an admin (or a superuser), those of projects open to members elsewhere;
 * - the assets of the live projects they are a member of that the first term left out.
 * test/asset-counts.test.ts holds it equal to the rows assetVisible lets through.
 */
export const VISIBLE_ASSET_COUNT = `(SELECT coalesce(sum(ac.alone + CASE WHEN ac.organization_id IN ${ADMIN_ORGS} THEN ac.live ELSE ac.open END), 0)
      FROM asset_counts ac WHERE ac.organization_id IN ${SEEN_ORGS})
    + (SELECT coalesce(sum(pac.assets), 0) FROM project_members pam
      JOIN projects pap ON pap.id = pam.project_id JOIN project_asset_counts pac ON pac.project_id = pap.id
      WHERE pam.user_id = ${ME} AND pap.deleted_at IS NULL AND pap.organization_id NOT IN ${ADMIN_ORGS}
        AND NOT (pap.access = 'organization' AND pap.organization_id IN ${MEMBER_ORGS}))`;

/**
 * SQL: how many assets of the project `?` the caller may see, from its kept count: all of them when
 * it is live and they see it, none otherwise; `checked`: its visibility is checked apart (the
 * statement that reads the project with the caller's roles: requireProject).
 */
export const projectAssetCount = (checked: boolean) =>
  `coalesce((SELECT pac.assets FROM project_asset_counts pac WHERE pac.project_id = ?${checked ? '' : ` AND pac.project_id IN ${VISIBLE_PROJECTS_INDEXED}`}), 0)`;

/** SQL: the ids of the assets the caller may see. */
export const VISIBLE_ASSETS = `(SELECT va.id FROM assets va WHERE ${assetVisible({ projectId: 'va.project_id', organizationId: 'va.organization_id' }, 'page')})`;

/** SQL: the ids of the assets the caller may change (and what is in them). */
const WRITABLE_ASSETS = `(SELECT xa.id FROM assets xa WHERE xa.project_id IN ${WRITABLE_PROJECTS}
    OR (xa.project_id IS NULL AND xa.organization_id IN ${ADMIN_ORGS}))`;

/** SQL: the caller may see the user of the current row: themselves, anyone sharing an organisation, anyone for a superuser. */
export const userVisible = (id: string) => `(${id} = ${ME} OR ${SU} OR ${id} IN (
    SELECT theirs.user_id FROM memberships mine JOIN memberships theirs ON theirs.organization_id = mine.organization_id
    WHERE mine.user_id = ${ME}))`;

/**
 * SQL: the caller may delete the account of the current users row (their own aside, refused
 * apart). A superuser any; an org admin one made by an organisation they administer (the
 * account-creating routes record it), that belongs to no other organisation and is no
 * superuser's. Adding someone to your organisation does not make their account yours.
 */
export function userDeletable(u: { id: string; isSuperuser: string; createdByOrganizationId: string }): string {
  const made = u.createdByOrganizationId;
  return `(${SU} OR (${u.isSuperuser} = 0 AND ${made} IN ${ADMIN_MEMBERSHIPS}
    AND NOT EXISTS (SELECT 1 FROM memberships tm WHERE tm.user_id = ${u.id} AND tm.organization_id <> ${made})))`;
}

// ---------------------------------------------------------------------------------------------
// Entities a resource is attached to, named by an (entity_type, entity_id) pair of SQL text, so
// that the same words decide item routes, lists, attachment targets and the attachments a
// representation shows. An attachment whose entity was deleted elsewhere (it has no foreign key)
// matches no entity, so it grants nothing and is not shown.

/** SQL: the caller may see the entity (type, id). */
export function entityReadable(type: string, id: string): string {
  return `(CASE ${type}
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations xo WHERE xo.id = ${id} AND ${orgVisible('xo.id')})
    WHEN 'project' THEN ${id} IN ${VISIBLE_PROJECTS}
    WHEN 'asset' THEN ${id} IN ${VISIBLE_ASSETS}
    WHEN 'report' THEN ${id} IN (SELECT xr.id FROM reports xr WHERE xr.project_id IN ${VISIBLE_PROJECTS})
    ELSE 0 END)`;
}

/** SQL: the caller may change what is attached to the entity (type, id). */
export function entityWritable(type: string, id: string): string {
  return `(CASE ${type}
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations xo WHERE xo.id = ${id} AND xo.id IN ${ADMIN_ORGS})
    WHEN 'project' THEN ${id} IN ${WRITABLE_PROJECTS}
    WHEN 'asset' THEN ${id} IN ${WRITABLE_ASSETS}
    WHEN 'report' THEN ${id} IN (SELECT xr.id FROM reports xr WHERE xr.project_id IN ${WRITABLE_PROJECTS})
    ELSE 0 END)`;
}

/** SQL: the entity, its project or its organisation is archived. */
export function entityReadOnly(type: string, id: string): string {
  return `(CASE ${type}
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations xo WHERE xo.id = ${id} AND xo.archived = 1)
    WHEN 'project' THEN EXISTS (SELECT 1 FROM projects xp JOIN organizations xo ON xo.id = xp.organization_id
      WHERE xp.id = ${id} AND (xp.archived = 1 OR xo.archived = 1))
    WHEN 'asset' THEN EXISTS (SELECT 1 FROM assets xa JOIN organizations xo ON xo.id = xa.organization_id
      LEFT JOIN projects xp ON xp.id = xa.project_id WHERE xa.id = ${id} AND (xo.archived = 1 OR xp.archived = 1))
    WHEN 'report' THEN EXISTS (SELECT 1 FROM reports xr JOIN projects xp ON xp.id = xr.project_id
      JOIN organizations xo ON xo.id = xp.organization_id WHERE xr.id = ${id} AND (xp.archived = 1 OR xo.archived = 1))
    ELSE 0 END)`;
}

/** SQL: the organisation the entity belongs to. */
export function entityOrganization(type: string, id: string): string {
  return `(CASE ${type}
    WHEN 'organization' THEN (SELECT xo.id FROM organizations xo WHERE xo.id = ${id})
    WHEN 'project' THEN (SELECT xp.organization_id FROM projects xp WHERE xp.id = ${id})
    WHEN 'asset' THEN (SELECT xa.organization_id FROM assets xa WHERE xa.id = ${id})
    WHEN 'report' THEN (SELECT xp.organization_id FROM reports xr JOIN projects xp ON xp.id = xr.project_id WHERE xr.id = ${id})
    END)`;
}

/**
 * SQL: the caller may change the resource itself, the owner rule. Through an attached entity of
 * the organisation that owns it that the caller may write (and, `open`, that is not read-only).
 * Seeing the resource is never enough, and neither is writing an entity of another organisation
 * it is shared with.
 */
export function writableResource(resourceId: string, ownerId: string, open: boolean): string {
  const type = 'wa.entity_type';
  const id = 'wa.entity_id';
  const ofOwner = `${entityOrganization(type, id)} = ${ownerId}`;
  // A superuser may do anything: also change a resource its owner detached from all of its own
  // entities while another organisation still holds it (no owner's writer is left to do it).
  return `(EXISTS (SELECT 1 FROM resource_attachments wa WHERE wa.resource_id = ${resourceId}
    AND ${ofOwner} AND ${entityReadable(type, id)} AND ${entityWritable(type, id)}
    ${open ? `AND NOT ${entityReadOnly(type, id)}` : ''})
    OR (${SU} AND NOT EXISTS (SELECT 1 FROM resource_attachments wa WHERE wa.resource_id = ${resourceId} AND ${ofOwner})))`;
}

/** SQL: the resource `resourceId` has an attachment the caller may see (`entityType`: of that type). */
export function resourceVisible(resourceId: string, entityType?: string): string {
  return `EXISTS (SELECT 1 FROM resource_attachments ra WHERE ra.resource_id = ${resourceId}
    ${entityType ? `AND ra.entity_type = ${entityType} ` : ''}AND ${entityReadable('ra.entity_type', 'ra.entity_id')})`;
}
