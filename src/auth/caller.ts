/**
 * Who is calling, checked inside the handler's own D1 batch.
 *
 * Every authenticated service call goes through `authed(scope, queries)`: the token check is the
 * first statement of one `db.batch`, and the handler's queries refer to the caller through the
 * `callerId(scope)` subquery (a unique-index lookup), so permission-filtered reads need no
 * earlier round trip. An invalid credential makes the subquery NULL, so those queries see
 * nothing, and `authed` answers 401 before anything is shown.
 */
import { and, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Context } from 'hono';
import type { Db } from '../db/client';
import { columnsAs } from '../db/select';
import * as schema from '../db/schema';
import { drizzle } from 'drizzle-orm/d1';
import { tokens, users } from '../db/schema';
import { settings, type Settings } from '../env';
import type { AppEnv } from '../http/context';
import { problems } from '../http/problem';
import { writes } from '../db/write-context';
import type { IdempotencyClaim } from '../http/idempotency';
import type { Credential } from './credentials';
import { sameDigest } from './tokens';

/** What a service needs to know about the request it serves. */
export interface Scope {
  db: Db;
  files: R2Bucket;
  credential: Credential;
  now: number;
  settings: Settings;
  waitUntil: (work: Promise<unknown>) => void;
  /** For writes off the response's path (waitUntil): not counted in Server-Timing. */
  background: () => Db;
  /** A keyed POST's claim on its Idempotency-Key, taken by its first `authed` batch. */
  idempotency?: IdempotencyClaim | undefined;
}

export interface Caller {
  tokenId: string;
  userId: string;
  username: string;
  email: string;
  isSuperuser: boolean;
}

/** last_used_at is kept to this resolution, so that reads do not write on every request. */
export const LAST_USED_RESOLUTION_MS = 5 * 60_000;

export function scopeOf(c: Context<AppEnv>): Scope {
  return {
    db: c.get('db'),
    files: c.env.FILES,
    credential: c.get('credential'),
    now: Date.now(),
    settings: settings(c.env),
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    background: () => drizzle(c.env.DB, { schema }),
    idempotency: c.get('idempotency'),
  };
}

function validToken(scope: Scope): SQL {
  const { tokenHash, email } = scope.credential;
  return and(
    eq(tokens.tokenHash, tokenHash),
    isNull(tokens.revokedAt),
    gt(tokens.expiresAt, scope.now),
    eq(users.isActive, true),
    email ? eq(users.email, email) : undefined,
  )!;
}

/** SQL: one column of the presented token's row, or NULL when the credential is not valid at `now`. */
function ofValidToken(credential: Credential, now: number, column: 'user_id' | 'id'): SQL {
  const { tokenHash, email } = credential;
  return sql`(SELECT ct.${sql.raw(column)} FROM tokens ct JOIN users cu ON cu.id = ct.user_id
    WHERE ct.token_hash = ${tokenHash} AND ct.revoked_at IS NULL AND ct.expires_at > ${now}
    AND cu.is_active = 1${email ? sql` AND cu.email = ${email}` : sql``})`;
}

/** SQL: the user id of a credential, or NULL when it is not valid (also who writes: db/write-context.ts). */
export const credentialUserId = (credential: Credential, now: number): SQL => ofValidToken(credential, now, 'user_id');

/** SQL: the caller's user id, or NULL when the credential is not valid. */
export const callerId = (scope: Scope): SQL => credentialUserId(scope.credential, scope.now);

/** SQL: the id of the presenting token, or NULL when the credential is not valid. */
export const callerTokenId = (scope: Scope): SQL => ofValidToken(scope.credential, scope.now, 'id');

/** SQL: true when the caller is a superuser. */
export function callerIsSuperuser(scope: Scope): SQL {
  return sql`EXISTS (SELECT 1 FROM users su WHERE su.id = ${callerId(scope)} AND su.is_superuser = 1)`;
}

/**
 * The caller as visibility rules name it: SQL for the user id and the superuser flag. Bound in
 * place (callerTerms), or columns of a one-row table joined once per statement where a statement
 * names the caller too often for D1's 100 bound parameters (resources/access.ts).
 */
export interface CallerTerms {
  me: SQL;
  su: SQL;
}

export const callerTerms = (scope: Scope): CallerTerms => ({ me: callerId(scope), su: callerIsSuperuser(scope) });

function callerQuery(scope: Scope) {
  return scope.db
    .select({
      token: columnsAs(tokens, 'caller_token'),
      user: columnsAs(users, 'caller_user'),
    })
    .from(tokens)
    .innerJoin(users, eq(users.id, tokens.userId))
    .where(validToken(scope))
    .limit(1);
}

type CallerRow = Awaited<ReturnType<typeof callerQuery>>[number];


type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

function toCaller(scope: Scope, rows: CallerRow[]): Caller {
  const row = rows[0];
  if (!row || !sameDigest(row.token.tokenHash, scope.credential.tokenHash)) {
    throw problems.unauthenticated('The token is wrong, expired or revoked.', 'invalid');
  }
  const { token, user } = row;
  if (token.lastUsedAt === null || scope.now - token.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    scope.waitUntil(
      scope.background().update(tokens).set({ lastUsedAt: scope.now }).where(eq(tokens.id, token.id)).run().catch(() => undefined),
    );
  }
  return { tokenId: token.id, userId: user.id, username: user.username, email: user.email, isSuperuser: user.isSuperuser };
}

const isWrite = (query: unknown) => writes((query as { toSQL(): { sql: string } }).toSQL().sql);

/**
 * One D1 round trip: the caller check, then `queries`, in one batch. A keyed POST's first call
 * also claims its Idempotency-Key (http/idempotency.ts) in that batch, before anything else: when
 * the key is taken this throws before anything is written. Queries that write (sign-out's
 * revocation) cannot share that batch, so the claim then takes a round trip of its own first.
 */
export async function authed<T extends readonly BatchItem<'sqlite'>[]>(
  scope: Scope,
  ...queries: T
): Promise<[Caller, ...Results<T>]> {
  const claim = scope.idempotency?.outcome === 'pending' ? scope.idempotency : undefined;
  const claiming = claim ? claim.statements(scope.db, callerId(scope)) : [];
  if (claim && queries.some(isWrite)) {
    const [, inserted, rows] = await scope.db.batch(claiming as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
    claim.settle(inserted as unknown[], rows as Parameters<IdempotencyClaim['settle']>[1]);
    return authed(scope, ...queries);
  }
  const results = (await scope.db.batch([...claiming, callerQuery(scope), ...queries] as unknown as [
    BatchItem<'sqlite'>,
    ...BatchItem<'sqlite'>[],
  ])) as unknown[];
  if (claim) {
    const [, inserted, rows] = results.splice(0, claiming.length);
    claim.settle(inserted as unknown[], rows as Parameters<IdempotencyClaim['settle']>[1]);
  }
  const [callerRows, ...rest] = results as [CallerRow[], ...unknown[]];
  return [toCaller(scope, callerRows), ...(rest as Results<T>)];
}
