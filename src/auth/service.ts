import { and, desc, eq, gt, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { memberships, organizations, tokens, users, type TokenRow, type UserRow } from '../db/schema';
import type { Settings } from '../env';
import { checkIfMatch, versionGuard } from '../http/etag';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { toUser } from '../users/schemas';
import { conflictOnUnique } from '../db/errors';
import { ME, MY_TOKEN } from './access';
import { authed, type Caller, type Scope } from './caller';
import { accountSubject, attemptSucceeded, claimAttempt, loginSubject, requireClaimed } from './lockout';
import { burnVerification, verifyPassword } from './password';
import { passwordChange } from './password-change';
import { newTokenSecret, tokenHash } from './tokens';
import { changeSet } from '../db/changes';

const DAY_MS = 86_400_000;

export interface SignInInput {
  login: string;
  password: string;
}

/** A new session token for `userId`: its INSERT (only when `when` holds, if given) and its secret. */
export async function newSession(db: Db, s: Settings, userId: string, now: number, when?: SQL) {
  const secret = newTokenSecret();
  const expiresAt = now + s.tokenTtlMs;
  const hash = await tokenHash(secret);
  // INSERT … SELECT lists the table's columns in their schema order.
  const insert = db
    .insert(tokens)
    .select(sql`SELECT ${newId('tok')}, ${userId}, ${hash}, 'session', 'sign-in', ${now}, NULL, ${expiresAt}, NULL WHERE ${when ?? sql`1`}`);
  return { secret, expiresAt, insert };
}

/**
 * The attempt is claimed (lockout.ts) in the batch that reads the account, and only a claimed
 * attempt is evaluated. A login that names no active account is claimed, counted and answered
 * the same way, and costs the same password hash.
 */
export async function signIn(db: Db, s: Settings, input: SignInInput, now: number) {
  const login = input.login.trim().toLowerCase();
  const [claimed, locked, found] = await db.batch([
    ...claimAttempt(db, s, now, loginSubject(login)),
    db
      .select()
      .from(users)
      .where(and(or(eq(users.username, login), eq(users.email, login)), eq(users.isActive, true)))
      .limit(1),
  ]);
  requireClaimed(claimed, locked, now);
  const user = found[0];
  if (!user) {
    await burnVerification(input.password);
    throw problems.badCredentials();
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) throw problems.badCredentials();

  const session = await newSession(db, s, user.id, now);
  await db.batch([
    attemptSucceeded(db, accountSubject(user.id)),
    db.update(users).set({ lastLogin: now }).where(eq(users.id, user.id)),
    session.insert,
  ]);
  return { token: session.secret, expires_at: iso(session.expiresAt), user: toUser({ ...user, lastLogin: now }) };
}

/** One round trip: the revocation rides in the caller check's batch and only matches a valid token. */
export async function signOut(scope: Scope): Promise<Caller> {
  const [caller] = await authed(scope, scope.db.update(tokens).set({ revokedAt: scope.now }).where(eq(tokens.id, sql.raw(MY_TOKEN))));
  return caller;
}

function meQueries(scope: Scope, userId: SQL) {
  return [
    scope.db.select().from(users).where(eq(users.id, userId)).limit(1),
    scope.db
      .select({
        id: organizations.id,
        number: sql<number>`${organizations.number}`,
        slug: organizations.slug,
        name: organizations.name,
        short_name: organizations.shortName,
        role: memberships.role,
      })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
      .where(eq(memberships.userId, userId))
      .orderBy(organizations.name, organizations.id),
  ] as const;
}

export async function getMe(scope: Scope) {
  const [, userRows, orgs] = await authed(scope, ...meQueries(scope, sql.raw(ME)));
  const user = userRows[0];
  if (!user) throw problems.unauthenticated();
  return { ...toUser(user), organizations: orgs };
}

export interface MePatch {
  name?: string | undefined;
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  current_password?: string | undefined;
}

/**
 * `current_password`, whenever it is sent, is checked as sign-in checks a password: claimed in the
 * read's batch (lockout.ts, the account's own counter), then evaluated before anything else; a
 * wrong one counts as a failed sign-in, and while the account is locked the answer is sign-in's
 * 429. A right one resets the count, in the write's batch or, when the write is refused (412, a
 * taken email's 409), on its own.
 */
export async function updateMe(scope: Scope, patch: MePatch, ifMatch: string | undefined) {
  const checking = patch.current_password !== undefined;
  const [caller, userRows, orgs, claimed, locked] = await authed(
    scope,
    ...meQueries(scope, sql.raw(ME)),
    ...claimAttempt(scope.db, scope.settings, scope.now, checking ? accountSubject(sql.raw(ME)) : sql`NULL`),
  );
  const user = userRows[0];
  if (!user) throw problems.unauthenticated();
  const sensitive = patch.password !== undefined || (patch.email ?? user.email) !== user.email || (patch.username ?? user.username) !== user.username;
  if (checking) {
    requireClaimed(claimed, locked, scope.now);
    if (!(await verifyPassword(patch.current_password!, user.passwordHash))) {
      throw problems.invalid([{ path: 'current_password', message: 'Does not match your password.' }]);
    }
  } else if (sensitive) {
    throw problems.invalid([{ path: 'current_password', message: 'Required to change email, username or password.' }]);
  }
  const succeeded = checking ? [attemptSucceeded(scope.db, accountSubject(user.id))] : [];
  const me = { ...toUser(user), organizations: orgs };
  let updated: UserRow | undefined;
  try {
    await checkIfMatch(ifMatch, me);
    const set = changeSet(patch, { name: 'name', email: 'email', username: 'username' }, users.version, scope.now);
    const change = patch.password !== undefined ? await passwordChange(scope.db, user.id, patch.password, scope.now, caller.tokenId) : undefined;
    const update = scope.db
      .update(users)
      .set({ ...set, ...change?.columns } as typeof users.$inferInsert)
      .where(and(eq(users.id, user.id), versionGuard(ifMatch, users.version, user.version)))
      .returning();
    [[updated]] = await conflictOnUnique<[UserRow[], ...unknown[]]>(scope.db.batch([update, ...succeeded, ...(change?.after ?? [])]));
  } catch (error) {
    // The batch did not land (a stale If-Match, a taken email): the right password still resets the count.
    if (succeeded.length) await scope.db.batch([succeeded[0]!]);
    throw error;
  }
  // The batch landed (the reset with it) but the version guard stopped the UPDATE: a write came first.
  if (!updated) throw problems.preconditionFailed();
  return { ...toUser(updated), organizations: me.organizations };
}

function toToken(row: TokenRow, caller: Caller) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    created_at: iso(row.createdAt),
    last_used_at: iso(row.lastUsedAt),
    expires_at: iso(row.expiresAt),
    current: row.id === caller.tokenId,
  };
}

export async function listTokens(scope: Scope) {
  const [caller, rows] = await authed(
    scope,
    scope.db
      .select()
      .from(tokens)
      .where(and(eq(tokens.userId, sql.raw(ME)), isNull(tokens.revokedAt), gt(tokens.expiresAt, scope.now)))
      .orderBy(desc(tokens.createdAt), desc(tokens.id))
      .limit(500),
  );
  return rows.map((r) => toToken(r, caller));
}

export async function createToken(scope: Scope, input: { name: string; expires_in_days: number }) {
  const [caller] = await authed(scope);
  const secret = newTokenSecret();
  const row: TokenRow = {
    id: newId('tok'),
    userId: caller.userId,
    tokenHash: await tokenHash(secret),
    kind: 'personal',
    name: input.name,
    createdAt: scope.now,
    lastUsedAt: null,
    expiresAt: scope.now + input.expires_in_days * DAY_MS,
    revokedAt: null,
  };
  await scope.db.insert(tokens).values(row);
  return { ...toToken(row, caller), token: secret };
}

export async function revokeToken(scope: Scope, tokenId: string): Promise<void> {
  // The caller check and the revocation in one batch: the UPDATE only matches the caller's own token.
  const [, revoked] = await authed(
    scope,
    scope.db
      .update(tokens)
      .set({ revokedAt: scope.now })
      .where(and(eq(tokens.id, tokenId), eq(tokens.userId, sql.raw(ME)), isNull(tokens.revokedAt)))
      .returning({ id: tokens.id }),
  );
  if (revoked.length === 0) throw problems.notFound('Token');
}
