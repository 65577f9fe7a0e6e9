/**
 * Who sees which change, and when a caller's view has changed. Both are SQL over the caller `k`
 * (an authenticated batch's statements have it in front), made of the access rules of
 * auth/access.ts.
 *
 * A change is seen by those who may see its scope now: a change of the organisation itself, its
 * members, or what belongs to no project, by every member (the feed already required that); one
 * of a project's, by those who may see the project (a project's own changes also by the
 * organisation's admins while it is in the trash, as they see it there). A resource is seen
 * through its attachments in the organisation, as they are. A project that no longer exists (purged) leaves its changes to the
 * organisation's admins, to everyone when it was open to the organisation, and to its members
 * (each member's deletion, written by the purge, names them). A project now in another
 * organisation (moved, issue 15) leaves nothing of it to anyone in this one's feed; a `moved`
 * entry (migrations/0016) is shown to nobody.
 *
 * A view changes (viewChanged) when the caller's membership of the organisation or role in it
 * changes, when they join or leave a project that existed before the cursor, or when such a
 * project they saw or now see changes its access or goes to or from the trash, or when something
 * leaves a project they saw (a `moved` entry: the project to another organisation, an asset to
 * another project). Then the feed
 * answers 410 and the client starts again from the beginning: filtering what follows the cursor
 * by what the caller sees now would silently keep what left the view and miss what entered it.
 */
import { sql, type SQL } from 'drizzle-orm';
import { ME, projectAdministered, projectVisible } from '../auth/access';

/** The caller's user id (auth/access.ts: every statement of an authenticated batch has the caller `k` in front of it). */
const me = sql.raw(ME);

/** SQL: an access rule of auth/access.ts (text over a column) applied to `value`, SQL with parameters of its own. */
function ruleOver(rule: (column: string) => string, value: SQL): SQL {
  const hole = '\u0000';
  const parts = rule(hole).split(hole).map((part) => sql.raw(part));
  return sql.join(parts.flatMap((part, i) => (i === 0 ? [part] : [value, part])));
}

/** SQL: the caller administers the organisation `org` (the audience of a project's trash and of a purged project's changes). */
const administers = (org: SQL) => ruleOver(projectAdministered, org);

const EP = { id: 'ep.id', organizationId: 'ep.organization_id', access: 'ep.access' };

const col = (alias: string, name: string) => sql.raw(`${alias}.${name}`);

/** SQL: the caller may see the scope of change `e` (an alias of `changes`) of the feed of `org`. */
function scopeVisible(e: string, org: SQL): SQL {
  const project = col(e, 'project_id');
  return sql`(CASE
    WHEN ${project} IS NULL THEN 1
    WHEN EXISTS (SELECT 1 FROM projects ep WHERE ep.id = ${project})
      THEN EXISTS (SELECT 1 FROM projects ep WHERE ep.id = ${project} AND ep.organization_id = ${org}
        AND ((ep.deleted_at IS NULL AND ${sql.raw(projectVisible(EP, 'page'))}) OR (${col(e, 'entity_type')} = 'project' AND ${administers(org)})))
    ELSE ${administers(org)}
      OR EXISTS (SELECT 1 FROM changes eg WHERE eg.entity_type = 'project' AND eg.entity_id = ${project} AND eg.view = 'open_purge')
      OR EXISTS (SELECT 1 FROM changes em WHERE em.entity_type = 'project_member' AND em.entity_id = ${me} AND em.project_id = ${project})
    END)`;
}

/**
 * SQL: the caller may see change `e` of the feed of `org`. A resource, through its attachments in
 * this organisation (resources/access.ts: it is seen through an entity it is attached to), each
 * seen as its change is, by its scope (the attached entity's project, or the organisation's own):
 * those it has, while it exists; once it is gone, those it had.
 */
export function changeVisible(e: string, org: SQL): SQL {
  const id = col(e, 'entity_id');
  const feed = col(e, 'organization_id');
  // An attachment's id begins with its resource's and a slash: the range of those of this one.
  const attachmentsOf = sql`xa.entity_type = 'attachment' AND xa.entity_id > ${id} || '/' AND xa.entity_id < ${id} || '0'`;
  return sql`(CASE WHEN ${col(e, 'view')} = 'moved' THEN 0
    WHEN ${col(e, 'entity_type')} = 'resource' THEN
      CASE WHEN EXISTS (SELECT 1 FROM resources er WHERE er.id = ${id})
      THEN EXISTS (SELECT 1 FROM resource_attachments ra JOIN changes xa ON xa.entity_type = 'attachment'
          AND xa.entity_id = ra.resource_id || '/' || ra.entity_type || '/' || ra.entity_id AND xa.organization_id = ra.organization_id
        WHERE ra.resource_id = ${id} AND ra.organization_id = ${feed} AND ${scopeVisible('xa', org)})
      ELSE EXISTS (SELECT 1 FROM changes xa WHERE ${attachmentsOf} AND xa.organization_id = ${feed} AND ${scopeVisible('xa', org)})
      END
    ELSE ${scopeVisible(e, org)} END)`;
}

/** SQL: project `project` (a column) was created after the change `after` (its first change follows it). */
const createdAfter = (project: SQL, after: number) =>
  sql`EXISTS (SELECT 1 FROM changes vc WHERE vc.entity_type = 'project' AND vc.entity_id = ${project} AND vc.op = 'insert' AND vc.seq > ${after})`;

/** SQL: the caller is a member of project `project` (a column). */
const memberOf = (project: SQL) => sql`EXISTS (SELECT 1 FROM project_members vm WHERE vm.project_id = ${project} AND vm.user_id = ${me})`;

/**
 * SQL: something in the feed of `org` after change `after`
 * changed what the caller may see (see above). A project that came after the cursor is seen whole
 * or not at all, so what happens to it changes nothing.
 */
export function viewChanged(org: SQL, after: number): SQL {
  const project = sql`v.project_id`;
  const admin = administers(org);
  const existed = sql`NOT ${createdAfter(project, after)}`;
  const exists = sql`EXISTS (SELECT 1 FROM projects vp WHERE vp.id = ${project})`;
  const open = sql`EXISTS (SELECT 1 FROM projects vp WHERE vp.id = ${project} AND vp.access = 'organization')`;
  return sql`EXISTS (SELECT 1 FROM changes v WHERE v.organization_id = ${org} AND v.seq > ${after} AND v.view IS NOT NULL AND (
      (v.view = 'member' AND v.entity_id = ${me})
      OR (v.view = 'project_member' AND v.entity_id = ${me} AND NOT ${admin} AND ${exists} AND ${existed})
      OR (v.view = 'access' AND NOT ${admin} AND ${existed} AND NOT ${memberOf(project)})
      OR (v.view IN ('trash', 'moved') AND ${existed} AND (${admin} OR NOT ${exists} OR ${open} OR ${memberOf(project)}))))`;
}
