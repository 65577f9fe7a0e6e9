/**
 * Project members (seeds 000 and 002). Managers and org admins add, change and remove them; a
 * member may leave. A project member is always a member of the project's organisation (the
 * database holds it: migrations/0008_membership_ends_project_roles.sql), so someone outside it can
 * be added by an org admin only (they join the organisation as a member), and a project manager
 * cannot widen the organisation.
 */
import { and, eq, sql } from 'drizzle-orm';
import { authed, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { memberships, projectMembers, projects, users } from '../db/schema';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { iso } from '../lib/time';
import { memberUserColumns, toMemberUser, type MemberUserRow } from '../users/schemas';
import { deletableByCaller, deleteUserRow, forbiddenDelete, insertUser, userRef, visibleUser, type NewUser } from '../users/service';
import { projectWithAccess, requireProject, requireProjectWritable } from './access';
import type { ProjectRole } from './schemas';

/** The columns toMember reads (one name each: safe in a batch). */
export const memberColumns = { ...memberUserColumns, role: projectMembers.role, createdAt: projectMembers.createdAt };
type MemberRow = MemberUserRow & { role: ProjectRole; createdAt: number };

export const projectMemberListSpec: ListSpec<MemberRow> = {
  fields: {
    username: { expr: users.username, key: (r) => r.username },
    joined_at: { expr: projectMembers.createdAt, key: (r) => r.createdAt },
  },
  tiebreaker: { expr: projectMembers.userId, key: (r) => r.userId },
  defaultOrdering: 'username',
};

/** A member as the lists show them. */
export function toMember(r: MemberRow) {
  return { user: toMemberUser(r), role: r.role, joined_at: iso(r.createdAt) };
}

export async function listProjectMembers(scope: Scope, projectId: IdRef, q: ListQuery & { role?: ProjectRole | undefined }, url: string) {
  const plan = planPage(projectMemberListSpec, q);
  const filters = and(eq(projectMembers.projectId, projectId), q.role ? eq(projectMembers.role, q.role) : undefined);
  // The rows are only shown once requireProject has let the caller see the project.
  const [caller, project, rows, counted] = await authed(
    scope,
    projectWithAccess(scope, projectId),
    paged(scope.db.select(memberColumns).from(projectMembers).innerJoin(users, eq(users.id, projectMembers.userId)).$dynamic(), plan, filters),
    scope.db.select({ n: sql<number>`count(*)` }).from(projectMembers).where(filters),
  );
  requireProject(caller, project, 'read');
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map(toMember) };
}

/**
 * INSERT the project role, for a batch, answering the row when it was written: not when the user
 * already has a role in the project (a parallel add won), nor when they are not (or no longer)
 * a member of the project's organisation. The insert decides, not an earlier read.
 */
export function insertProjectMember(scope: Scope, projectId: string, userId: string, role: ProjectRole) {
  return scope.db
    .insert(projectMembers)
    .select(
      sql`SELECT ${projectId}, ${userId}, ${role}, ${scope.now} WHERE EXISTS (SELECT 1 FROM ${projects} p
        JOIN ${memberships} m ON m.organization_id = p.organization_id WHERE p.id = ${projectId} AND m.user_id = ${userId})`,
    )
    .onConflictDoNothing()
    .returning({ role: projectMembers.role });
}

/** The project with the caller's rights, the target user, their project role, whether they are in the organisation and whether the caller may see them. */
async function loadForChange(scope: Scope, projectId: IdRef, user: IdRef) {
  const [caller, project, target] = await authed(
    scope,
    projectWithAccess(scope, projectId),
    // The join matters beyond role and joined_at: drizzle writes the columns inside sql`` of a
    // single-table select unqualified ("id"), which inside the EXISTS would mean projects.id.
    scope.db
      .select({
        ...memberUserColumns,
        role: projectMembers.role,
        joinedAt: projectMembers.createdAt,
        inOrganization: sql<number>`EXISTS (SELECT 1 FROM memberships m JOIN projects p ON p.organization_id = m.organization_id
          WHERE p.id = ${projectId} AND m.user_id = ${users.id})`,
        visible: visibleUser().mapWith(Boolean),
        deletable: deletableByCaller().mapWith(Boolean),
      })
      .from(users)
      .leftJoin(projectMembers, and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, users.id)))
      .where(userRef(user))
      .limit(1),
  );
  return { caller, project, target: target[0] };
}

export async function addProjectMember(scope: Scope, projectRef: IdRef, input: { user: IdRef; role: ProjectRole }) {
  const { caller, project, target } = await loadForChange(scope, projectRef, input.user);
  const access = requireProject(caller, project, 'manage');
  const projectId = access.project.id;
  requireProjectWritable(access);
  // An account the caller may not see answers as one that does not exist, whatever else is true
  // of it. An org admin may add any account (it joins the organisation), so nothing is hidden.
  if (!target || (!target.visible && !access.can.admin)) throw problems.notFound('User');
  if (target.role) throw problems.conflict(ALREADY_MEMBER);
  if (!target.inOrganization && !access.can.admin) throw problems.conflict(NOT_IN_ORGANIZATION);
  const joinOrganization = scope.db
    .insert(memberships)
    .values({ organizationId: access.project.organizationId, userId: target.userId, role: 'member', createdAt: scope.now })
    .onConflictDoNothing();
  const add = insertProjectMember(scope, projectId, target.userId, input.role);
  // Why nothing was written, read in the same batch: a parallel add won, or the membership ended meanwhile.
  const roleAfter = scope.db
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, target.userId)));
  const [added, stored] = access.can.admin
    ? await scope.db.batch([joinOrganization, add, roleAfter]).then(([, a, r]) => [a, r] as const)
    : await scope.db.batch([add, roleAfter]);
  if (added.length === 0) throw problems.conflict(stored.length > 0 ? ALREADY_MEMBER : NOT_IN_ORGANIZATION);
  return toMember({ ...target, role: input.role, createdAt: scope.now });
}

const ALREADY_MEMBER = 'That user is a member of the project already; change their role instead.';
const NOT_IN_ORGANIZATION = 'That user is not a member of the organization: an admin of the organization may add them.';

/** seed 000: a new account straight into the project (and so into its organisation). Org admins only. */
export async function createProjectAccount(scope: Scope, projectRef: IdRef, input: Omit<NewUser, 'role'> & { role: ProjectRole }) {
  const [caller, project] = await authed(scope, projectWithAccess(scope, projectRef));
  const access = requireProject(caller, project, 'admin');
  const projectId = access.project.id;
  requireProjectWritable(access);
  const { row, invitation } = await insertUser(scope, { ...input, role: 'member' }, access.project.organizationId, (user) => [
    scope.db.insert(projectMembers).values({ projectId, userId: user.id, role: input.role, createdAt: scope.now }),
  ]);
  return { member: toMember({ ...row, userId: row.id, role: input.role, createdAt: scope.now }), invitation };
}

export async function changeProjectRole(scope: Scope, projectRef: IdRef, user: IdRef, role: ProjectRole) {
  const { caller, project, target } = await loadForChange(scope, projectRef, user);
  const access = requireProject(caller, project, 'read');
  const projectId = access.project.id;
  if (!target?.role) throw problems.notFound('Member');
  if (!access.can.manage) throw problems.forbidden('Only managers of this project and org admins may change roles.');
  requireProjectWritable(access);
  await scope.db
    .update(projectMembers)
    .set({ role })
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, target.userId)));
  return toMember({ ...target, role, createdAt: target.joinedAt! });
}

/** Removes from the project; the account stays (seed 000's `?remove=true`). */
export async function removeProjectMember(scope: Scope, projectRef: IdRef, user: IdRef) {
  const { caller, project, target } = await loadForChange(scope, projectRef, user);
  const access = requireProject(caller, project, 'read');
  const projectId = access.project.id;
  if (!target?.role) throw problems.notFound('Member');
  if (!access.can.manage && target.userId !== caller.userId) {
    throw problems.forbidden('Only managers of this project and org admins may remove members.');
  }
  requireProjectWritable(access);
  await scope.db.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, target.userId)));
}

/**
 * seed 000: deletes the account of a member of the project (`DELETE …/users/:user_id/`), by the
 * rule of every account deletion (users/service.ts): a superuser, or an admin of the organisation
 * that made it while it is in no other. A user who is not in the project (or a project the caller
 * may not see) answers 404.
 */
export async function deleteProjectMemberAccount(scope: Scope, projectRef: IdRef, user: IdRef) {
  const { caller, project, target } = await loadForChange(scope, projectRef, user);
  requireProject(caller, project, 'read');
  if (!target?.role) throw problems.notFound('Member');
  if (!target.deletable) throw forbiddenDelete();
  if (target.userId === caller.userId) throw problems.conflict('You cannot delete your own account.');
  // The rule again in the DELETE: the account may have joined another organisation meanwhile.
  const outcome = await deleteUserRow(scope, target.userId, deletableByCaller());
  if (outcome === 'refused') throw forbiddenDelete();
  if (outcome === 'gone') throw problems.notFound('Member');
}
