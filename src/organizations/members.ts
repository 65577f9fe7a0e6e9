import { and, eq, sql, type SQL } from 'drizzle-orm';
import { authed, type Scope } from '../auth/caller';
import { memberships, organizations, users } from '../db/schema';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { iso } from '../lib/time';
import { memberUserColumns, toMemberUser, type MemberUserRow } from '../users/schemas';
import { insertUser, userRef, type NewUser } from '../users/service';
import { orgRef, orgWithRole, requireOrg, requireWritable, type OrgAccess, type OrgRole } from './access';

type MemberRow = MemberUserRow & { role: OrgRole; createdAt: number };

export const memberListSpec: ListSpec<MemberRow> = {
  fields: {
    username: { expr: users.username, key: (r) => r.username },
    joined_at: { expr: memberships.createdAt, key: (r) => r.createdAt },
  },
  tiebreaker: { expr: memberships.userId, key: (r) => r.userId },
  defaultOrdering: 'username',
};

/** A member as the lists show them. */
export function toMember(r: MemberRow) {
  return { user: toMemberUser(r), role: r.role, joined_at: iso(r.createdAt) };
}

/** The columns toMember reads (one name each: safe in a batch). */
export const memberColumns = {
  ...memberUserColumns,
  role: memberships.role,
  createdAt: memberships.createdAt,
};

const orgIdOf = (ref: string) => sql`(SELECT id FROM ${organizations} WHERE ${orgRef(ref)})`;

export async function listMembers(scope: Scope, ref: string, q: ListQuery & { role?: OrgRole | undefined }, url: string) {
  const plan = planPage(memberListSpec, q);
  // Rows of an organisation the caller may not see are fetched but never shown: requireOrg answers 404 first.
  const filters = and(eq(memberships.organizationId, orgIdOf(ref)), q.role ? eq(memberships.role, q.role) : undefined);
  const [caller, org, rows, counted] = await authed(
    scope,
    orgWithRole(scope, ref),
    paged(scope.db.select(memberColumns).from(memberships).innerJoin(users, eq(users.id, memberships.userId)).$dynamic(), plan, filters),
    scope.db.select({ n: sql<number>`count(*)` }).from(memberships).where(filters),
  );
  requireOrg(caller, org, 'read');
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map(toMember) };
}

/** The organisation (admin rights required, not archived), the target's membership and the admin count, in one batch. */
async function loadForMemberChange(scope: Scope, ref: string, userRefText: string) {
  const [caller, org, target] = await authed(
    scope,
    orgWithRole(scope, ref),
    scope.db
      // One column per name: D1 batches key rows by column name (see db/select.ts).
      .select(memberColumns)
      .from(users)
      .leftJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.organizationId, orgIdOf(ref))))
      .where(userRef(userRefText))
      .limit(1),
  );
  return { caller, org, target: target[0] };
}

/**
 * SQL: the membership row being changed is not the organisation's last admin. Part of the
 * write's own WHERE, so two admins demoting each other at once cannot leave none.
 */
function notLastAdmin(organizationId: string): SQL {
  return sql`(${memberships.role} <> 'admin' OR (SELECT count(*) FROM memberships other
    WHERE other.organization_id = ${organizationId} AND other.role = 'admin') > 1)`;
}

const ALREADY_MEMBER = 'That user is already a member; change their role instead.';
const LAST_ADMIN = 'This is the last admin of the organization: make someone else admin first.';

function requireAdminWritable(access: OrgAccess) {
  requireWritable(access);
  return access;
}

export async function addMember(scope: Scope, ref: string, input: { user: string; role: OrgRole }) {
  const { caller, org, target } = await loadForMemberChange(scope, ref, input.user);
  const access = requireAdminWritable(requireOrg(caller, org, 'admin'));
  if (!target) throw problems.notFound('User');
  if (target.role) throw problems.conflict(ALREADY_MEMBER);
  // The insert decides, not the read above: of parallel adds one writes, the others answer 409.
  const added = await scope.db
    .insert(memberships)
    .values({ organizationId: access.org.id, userId: target.userId, role: input.role, createdAt: scope.now })
    .onConflictDoNothing()
    .returning({ userId: memberships.userId });
  if (added.length === 0) throw problems.conflict(ALREADY_MEMBER);
  return toMember({ ...target, role: input.role, createdAt: scope.now });
}

export async function createMemberAccount(scope: Scope, ref: string, input: NewUser & { role: OrgRole }) {
  const [caller, org] = await authed(scope, orgWithRole(scope, ref));
  const access = requireAdminWritable(requireOrg(caller, org, 'admin'));
  const { row, invitation } = await insertUser(scope, input, access.org.id);
  return { member: toMember({ ...row, userId: row.id, role: input.role, createdAt: scope.now }), invitation };
}

export async function changeRole(scope: Scope, ref: string, userRefText: string, role: OrgRole) {
  const { caller, org, target } = await loadForMemberChange(scope, ref, userRefText);
  const access = requireOrg(caller, org, 'read');
  if (!target?.role) throw problems.notFound('Member');
  if (!access.isAdmin) throw problems.forbidden('Only an admin of this organization may change roles.');
  requireWritable(access);
  const changed = await scope.db
    .update(memberships)
    .set({ role })
    .where(
      and(
        eq(memberships.organizationId, access.org.id),
        eq(memberships.userId, target.userId),
        role === 'admin' ? undefined : notLastAdmin(access.org.id),
      ),
    )
    .returning({ userId: memberships.userId });
  if (changed.length === 0) throw problems.conflict(LAST_ADMIN);
  return toMember({ ...target, role, createdAt: target.createdAt! });
}

/**
 * An admin removes anyone; a member may leave. The account stays; the roles in the
 * organisation's projects end with the membership (a trigger does it, whatever deletes it:
 * migrations/0008_membership_ends_project_roles.sql).
 */
export async function removeMember(scope: Scope, ref: string, userRefText: string) {
  const { caller, org, target } = await loadForMemberChange(scope, ref, userRefText);
  const access = requireOrg(caller, org, 'read');
  if (!target?.role) throw problems.notFound('Member');
  if (!access.isAdmin && target.userId !== caller.userId) throw problems.forbidden('Only an admin of this organization may remove members.');
  requireWritable(access);
  const removed = await scope.db
    .delete(memberships)
    .where(and(eq(memberships.organizationId, access.org.id), eq(memberships.userId, target.userId), notLastAdmin(access.org.id)))
    .returning({ userId: memberships.userId });
  if (removed.length === 0) throw problems.conflict(LAST_ADMIN);
}
