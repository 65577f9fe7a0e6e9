import { and, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { orgVisible, userDeletable, userVisible } from '../auth/access';
import { authed, callerBatch, countWithCaller, withCaller, type Scope } from '../auth/caller';
import { newInvitation } from '../auth/invitations';
import { hashPassword, UNUSABLE_PASSWORD } from '../auth/password';
import { passwordChange } from '../auth/password-change';
import { conflictOnUnique } from '../db/errors';
import { numberOf, type IdRef } from '../db/numbers';
import { memberships, tokens, users, type UserRow } from '../db/schema';
import { int, Statement, variants } from '../db/statement';
import { checkIfMatch, versionGuard } from '../http/etag';
import { planTextPage, textPageSql, type ListQuery, type ListSpec, type TextPagePlan } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { orgWithRole, requireOrg, requireWritable, type OrgRole } from '../organizations/access';
import { toUser } from './schemas';
import { orgRefText, profileOf, sharedOrganizations, toUserFields, USER_COLUMNS, VISIBLE_U, type UserFields } from './statements';
import { changeSet } from '../db/changes';

/** A user by id, username or email, or by SQL that finds their id (idOfNumber). */
export function userRef(ref: IdRef): SQL {
  if (typeof ref !== 'string') return eq(users.id, ref);
  const r = ref.trim().toLowerCase();
  return or(eq(users.id, ref), eq(users.username, r), eq(users.email, r))!;
}

/** SQL: the user of the current row shares an organisation with the caller, is the caller, or the caller is a superuser. */
export function visibleUser(): SQL {
  return sql.raw(userVisible('"users"."id"'));
}

export const userListSpec: ListSpec<UserFields, string> = {
  fields: {
    username: { expr: 'u.username', key: (r) => r.username },
    name: { expr: 'u.name', key: (r) => r.name },
    date_joined: { expr: 'u.date_joined', key: (r) => r.dateJoined },
  },
  tiebreaker: { expr: 'u.id', key: (r) => r.id },
  defaultOrdering: 'username',
};

export interface UserListFilters {
  /** An organisation's id or slug, or SQL that finds its id (idOfNumber). */
  organization?: IdRef | undefined;
  is_active?: boolean | undefined;
}

const PAGES = variants();
const COUNTS = variants();
const ORG_COUNTS = variants();

/** A page of users over `where` (SQL text over `users u`, fixed for `variant`), and the text of their count. */
function userPage(variant: string, where: string, params: unknown[], plan: TextPagePlan<UserFields>) {
  const page = PAGES(`${variant}|${plan.variant}`, () => withCaller(textPageSql(plan, { columns: USER_COLUMNS, from: 'users u', where })));
  return [
    new Statement(page, [...params, ...plan.keysetParams, plan.limit, plan.offset], (rows) => rows.map(toUserFields)),
    COUNTS(variant, () => `SELECT count(*) FROM users u WHERE ${where}`),
  ] as const;
}

export async function listUsers(scope: Scope, q: ListQuery & UserListFilters, url: string) {
  const plan = planTextPage(userListSpec, q);
  const where = [VISIBLE_U];
  const params: unknown[] = [];
  const org = q.organization ? orgRefText(q.organization, 'o') : undefined;
  if (org) {
    // Only an organisation the caller may see: filtering by a hidden one must not reveal who is in it.
    where.push(`u.id IN (SELECT m.user_id FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE ${org.text} AND ${orgVisible('o.id')})`);
    params.push(...org.params);
  }
  if (q.is_active !== undefined) {
    where.push('u.is_active = ?');
    params.push(q.is_active ? 1 : 0);
  }
  if (q.search) {
    // `instr` rather than LIKE: D1 rejects LIKE patterns over 50 bytes.
    where.push('(instr(lower(u.username), ?) > 0 OR instr(lower(u.email), ?) > 0 OR instr(lower(u.name), ?) > 0)');
    const term = q.search.toLowerCase();
    params.push(term, term, term);
  }
  const variant = `${org?.text ?? ''}|${q.is_active !== undefined}|${Boolean(q.search)}`;
  const [pageStatement, count] = userPage(variant, where.join(' AND '), params, plan);
  const [, rows, counted] = await authed(scope, pageStatement, countWithCaller(count, params));
  const page = plan.finish(rows, counted, url);
  return { ...page, results: page.results.map(toUser) };
}

/**
 * The users of one organisation with the organisation itself, in one round trip (seed 003's
 * users list): 404 when the caller may not see it, as when it does not exist.
 */
export async function listOrganizationUsers(scope: Scope, organization: IdRef, q: ListQuery, url: string) {
  const plan = planTextPage(userListSpec, q);
  const org = orgRefText(organization, 'o');
  const where = `${VISIBLE_U} AND u.id IN (SELECT m.user_id FROM memberships m WHERE m.organization_id = (SELECT o.id FROM organizations o WHERE ${org.text}))`;
  const [pageStatement, count] = userPage(`of ${org.text}`, where, org.params, plan);
  // The rows are only shown once requireOrg has let the caller see the organisation.
  const [caller, orgRows, rows, counted] = await authed(
    scope,
    orgWithRole(scope, organization),
    pageStatement,
    new Statement(ORG_COUNTS(org.text, () => withCaller(`SELECT (${count}) AS n`)), org.params, (found) => int(found[0]?.n ?? 0)),
  );
  const { org: found } = requireOrg(caller, orgRows, 'read');
  const page = plan.finish(rows, counted, url);
  return { organization: found, page: { ...page, results: page.results.map(toUser) } };
}

/**
 * SQL: the caller may delete the account of the current users row (their own aside, refused
 * apart). A superuser any; an org admin one made by an organisation they administer (the
 * account-creating routes record it), that belongs to no other organisation and is no
 * superuser's. Adding someone to your organisation does not make their account yours.
 */
export function deletableByCaller(): SQL<number> {
  return sql.raw(userDeletable({ id: '"users"."id"', isSuperuser: '"users"."is_superuser"', createdByOrganizationId: '"users"."created_by_organization_id"' })) as SQL<number>;
}

async function loadProfile(scope: Scope, ref: IdRef) {
  const [caller, found, orgs] = await authed(scope, profileOf(ref), sharedOrganizations(ref));
  const row = found[0];
  if (!row) throw problems.notFound('User');
  return { caller, user: row.user, deletable: row.deletable, profile: { ...toUser(row.user), organizations: orgs } };
}

export async function getUser(scope: Scope, ref: IdRef) {
  return (await loadProfile(scope, ref)).profile;
}

export interface NewUser {
  username: string;
  email: string;
  name?: string | undefined;
  password?: string | undefined;
  organization?: string | undefined;
  role?: OrgRole | undefined;
  is_superuser?: boolean | undefined;
}

/**
 * Inserts a user (and their membership) in one batch; 409 when the username or email is taken.
 * Every account-creating route comes here: the organisation it joins is recorded as the one that
 * made it, and an account made without a password gets an invitation, answered once.
 */
export async function insertUser(
  scope: Scope,
  input: NewUser,
  organizationId: string | null,
  more: (user: Omit<UserRow, 'number'>) => BatchItem<'sqlite'>[] = () => [],
) {
  const row: Omit<UserRow, 'number'> = {
    id: newId('usr'),
    username: input.username,
    email: input.email,
    name: input.name ?? '',
    passwordHash: input.password ? await hashPassword(input.password) : UNUSABLE_PASSWORD,
    isSuperuser: input.is_superuser ?? false,
    isActive: true,
    lastLogin: null,
    dateJoined: scope.now,
    updatedAt: scope.now,
    version: 1,
    createdByOrganizationId: organizationId,
  };
  const invitation = input.password ? undefined : await newInvitation(scope.db, scope.settings, row.id, scope.now);
  const [[created]] = await conflictOnUnique(
    scope.db.batch([
      scope.db.insert(users).values(row).returning(),
      ...(organizationId
        ? [scope.db.insert(memberships).values({ organizationId, userId: row.id, role: input.role ?? 'member', createdAt: scope.now })]
        : []),
      ...more(row),
      ...(invitation ? [invitation.insert] : []),
    ]),
  );
  return { row: created!, invitation: invitation?.answer };
}

/** A superuser creates anyone; an org admin creates accounts into their organisation. */
export async function createUser(scope: Scope, input: NewUser) {
  if (input.organization) {
    const [caller, orgRows] = await authed(scope, orgWithRole(scope, input.organization));
    const access = requireOrg(caller, orgRows, 'admin');
    requireWritable(access);
    if (input.is_superuser && !caller.isSuperuser) throw problems.forbidden('Only a superuser may create superusers.');
    const { row, invitation } = await insertUser(scope, input, access.org.id);
    const { org } = access;
    const profile = { ...toUser(row), organizations: [{ id: org.id, number: numberOf(org), slug: org.slug, name: org.name, short_name: org.shortName, role: input.role ?? 'member' }] };
    return { profile, invitation };
  }
  const [caller] = await authed(scope);
  if (!caller.isSuperuser) {
    throw problems.invalid([{ path: 'organization', message: 'Required: the organization (slug or id) the new user joins.' }]);
  }
  const { row, invitation } = await insertUser(scope, input, null);
  return { profile: { ...toUser(row), organizations: [] }, invitation };
}

export interface UserPatch {
  name?: string | undefined;
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  is_active?: boolean | undefined;
  is_superuser?: boolean | undefined;
}

export async function updateUser(scope: Scope, ref: string, patch: UserPatch, ifMatch: string | undefined) {
  const { caller, user, profile } = await loadProfile(scope, ref);
  if (!caller.isSuperuser) throw problems.forbidden('Only a superuser may change other accounts; use /v1/me for your own.');
  await checkIfMatch(ifMatch, profile);
  if (user.id === caller.userId && (patch.is_active === false || patch.is_superuser === false)) {
    throw problems.conflict('You cannot deactivate yourself or drop your own superuser rights.');
  }
  const columns = { name: 'name', email: 'email', username: 'username', is_active: 'isActive', is_superuser: 'isSuperuser' };
  const set = changeSet(patch, columns, users.version, scope.now);
  const change = patch.password !== undefined ? await passwordChange(scope.db, user.id, patch.password, scope.now, caller.tokenId) : undefined;
  const update = scope.db
    .update(users)
    .set({ ...set, ...change?.columns } as typeof users.$inferInsert)
    .where(and(eq(users.id, user.id), versionGuard(ifMatch, users.version, user.version)))
    .returning();
  // Deactivating revokes the account's tokens, so reactivating it later brings none of them back.
  const revoke = scope.db
    .update(tokens)
    .set({ revokedAt: scope.now })
    .where(and(eq(tokens.userId, user.id), isNull(tokens.revokedAt), sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${user.id} AND ${users.isActive} = 0)`));
  const [[updated]] = await conflictOnUnique<[UserRow[], ...unknown[]]>(
    scope.db.batch([update, ...(patch.is_active === false ? [revoke] : []), ...(change?.after ?? [])]),
  );
  if (!updated) throw problems.preconditionFailed();
  return { ...toUser(updated), organizations: profile.organizations };
}

export async function deleteUser(scope: Scope, ref: IdRef, ifMatch: string | undefined) {
  const { caller, user, deletable, profile } = await loadProfile(scope, ref);
  if (!deletable) throw forbiddenDelete();
  await checkIfMatch(ifMatch, profile);
  if (user.id === caller.userId) throw problems.conflict('You cannot delete your own account.');
  // The rule again in the DELETE: the account may have joined another organisation meanwhile.
  const outcome = await deleteUserRow(scope, user.id, deletableByCaller());
  if (outcome === 'refused') throw forbiddenDelete();
  if (outcome === 'gone') throw problems.notFound('User');
}

export const forbiddenDelete = () =>
  problems.forbidden(
    'Only a superuser may delete this account, or an admin of the organization that created it while it belongs to no other organization.',
  );

/**
 * Removes the account when `guard` (SQL on the users row) holds; its tokens, memberships and
 * invitations go with it (foreign keys cascade). Answers what happened: deleted, refused by the
 * guard, or gone already (another request deleted it).
 */
export async function deleteUserRow(scope: Scope, userId: string, guard?: SQL): Promise<'deleted' | 'refused' | 'gone'> {
  // The guard may name the caller (k): the batch has the caller table in front of each statement.
  const [deleted, left] = await callerBatch(
    scope,
    scope.db.delete(users).where(and(eq(users.id, userId), guard)).returning({ id: users.id }),
    scope.db.select({ id: users.id }).from(users).where(eq(users.id, userId)),
  );
  if (deleted.length > 0) return 'deleted';
  return left.length > 0 ? 'refused' : 'gone';
}
