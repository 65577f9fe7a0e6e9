import { and, desc, eq, gt, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { memberships, organizations, tokens, users, type TokenRow, type UserRow } from '../db/schema';
import type { Settings } from '../env';
import { checkIfMatch, versionGuard } from '../http/etag';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { toUser } from '../users/schemas';
import { conflictOnUnique } from '../db/errors';
import { authed, callerId, callerTokenId, type Caller, type Scope } from './caller';
import { burnVerification, hashPassword, verifyPassword } from './password';
import { newTokenSecret, tokenHash } from './tokens';
import { changeSet } from '../db/changes';

const DAY_MS = 86_400_000;

export interface SignInInput {
  login: string;
  password: string;
}

/**
 * Each attempt is claimed before the password is checked: one UPDATE raises the failure count
 * and sets the lock when it reaches the limit, and only a claimed attempt is evaluated. Parallel
 * guesses are serialised by D1, so no more than `lockoutMaxAttempts` are ever evaluated before
 * the lock; a success resets the count.
 */
export async function signIn(db: Db, s: Settings, input: SignInInput, now: number) {
  const login = input.login.trim().toLowerCase();
  const matches = or(eq(users.username, login), eq(users.email, login));
  const lockExpired = sql`(${users.lockedUntil} IS NOT NULL AND ${users.lockedUntil} <= ${now})`;
  const attempts = sql`(CASE WHEN ${lockExpired} THEN 1 ELSE ${users.failedAttempts} + 1 END)`;
  const [claimed, locked] = await db.batch([
    db
      .update(users)
      .set({
        failedAttempts: attempts,
        lockedUntil: sql`(CASE WHEN ${attempts} >= ${s.lockoutMaxAttempts} THEN ${now + s.lockoutMs} ELSE NULL END)`,
      })
      .where(and(matches, eq(users.isActive, true), or(isNull(users.lockedUntil), sql`${users.lockedUntil} <= ${now}`)))
      .returning(),
    db.select({ lockedUntil: users.lockedUntil }).from(users).where(and(matches, eq(users.isActive, true), gt(users.lockedUntil, now))),
  ]);
  const user = claimed[0];
  if (!user) {
    const until = locked[0]?.lockedUntil;
    if (until) throw problems.locked(Math.max(1, Math.ceil((until - now) / 1000)));
    await burnVerification(input.password);
    throw problems.badCredentials();
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) throw problems.badCredentials();

  const secret = newTokenSecret();
  const expiresAt = now + s.tokenTtlMs;
  await db.batch([
    db.update(users).set({ failedAttempts: 0, lockedUntil: null, lastLogin: now }).where(eq(users.id, user.id)),
    db.insert(tokens).values({
      id: newId('tok'),
      userId: user.id,
      tokenHash: await tokenHash(secret),
      kind: 'session',
      name: 'sign-in',
      createdAt: now,
      expiresAt,
    }),
  ]);
  return { token: secret, expires_at: iso(expiresAt), user: toUser({ ...user, lastLogin: now }) };
}

/** One round trip: the revocation rides in the caller check's batch and only matches a valid token. */
export async function signOut(scope: Scope): Promise<void> {
  await authed(scope, scope.db.update(tokens).set({ revokedAt: scope.now }).where(eq(tokens.id, callerTokenId(scope))));
}

function meQueries(scope: Scope, userId: SQL) {
  return [
    scope.db.select().from(users).where(eq(users.id, userId)).limit(1),
    scope.db
      .select({
        id: organizations.id,
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

async function loadMe(scope: Scope) {
  const [caller, userRows, orgs] = await authed(scope, ...meQueries(scope, callerId(scope)));
  const user = userRows[0];
  if (!user) throw problems.unauthenticated();
  return { caller, user, me: { ...toUser(user), organizations: orgs } };
}

export async function getMe(scope: Scope) {
  return (await loadMe(scope)).me;
}

export interface MePatch {
  name?: string | undefined;
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  current_password?: string | undefined;
}

export async function updateMe(scope: Scope, patch: MePatch, ifMatch: string | undefined) {
  const { caller, user, me } = await loadMe(scope);
  await checkIfMatch(ifMatch, me);
  const sensitive = patch.password !== undefined || (patch.email ?? user.email) !== user.email || (patch.username ?? user.username) !== user.username;
  if (sensitive) {
    if (!patch.current_password) {
      throw problems.invalid([{ path: 'current_password', message: 'Required to change email, username or password.' }]);
    }
    if (!(await verifyPassword(patch.current_password, user.passwordHash))) {
      throw problems.invalid([{ path: 'current_password', message: 'Does not match your password.' }]);
    }
  }
  const set = changeSet(patch, { name: 'name', email: 'email', username: 'username' }, users.version, scope.now);
  const newHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
  if (newHash !== undefined) set.passwordHash = newHash;
  const update = scope.db
    .update(users)
    .set(set as typeof users.$inferInsert)
    .where(and(eq(users.id, user.id), versionGuard(ifMatch, users.version, user.version)))
    .returning();
  const [[updated]] = await conflictOnUnique<[UserRow[], ...unknown[]]>(
    newHash !== undefined ? scope.db.batch([update, revokeOtherTokens(scope.db, caller, scope.now, newHash)]) : scope.db.batch([update]),
  );
  if (!updated) throw problems.preconditionFailed();
  return { ...toUser(updated), organizations: me.organizations };
}

/**
 * Runs in the same batch after the user UPDATE, and only if that UPDATE took effect (the new
 * hash, salted and so unique, is in place): a password change that loses to a concurrent write
 * answers 412 and must not have signed out the other sessions.
 */
function revokeOtherTokens(db: Db, caller: Caller, now: number, newHash: string) {
  return db
    .update(tokens)
    .set({ revokedAt: now })
    .where(
      and(
        eq(tokens.userId, caller.userId),
        ne(tokens.id, caller.tokenId),
        isNull(tokens.revokedAt),
        sql`EXISTS (SELECT 1 FROM users pu WHERE pu.id = ${caller.userId} AND pu.password_hash = ${newHash})`,
      ),
    );
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
      .where(and(eq(tokens.userId, callerId(scope)), isNull(tokens.revokedAt), gt(tokens.expiresAt, scope.now)))
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
      .where(and(eq(tokens.id, tokenId), eq(tokens.userId, callerId(scope)), isNull(tokens.revokedAt)))
      .returning({ id: tokens.id }),
  );
  if (revoked.length === 0) throw problems.notFound('Token');
}
