/**
 * Who is calling, checked inside the handler's own D1 batch.
 *
 * Every authenticated service call goes through `authed(scope, queries)`: the token check is the
 * first statement of one D1 batch and the handler's statements follow it, so a permission-filtered
 * read needs no earlier round trip. Each statement of the batch names the caller once, as the
 * one-row table `k` of a common table expression put in front of it (CALLER_CTE): the token's
 * unique-index lookup is written and bound once per statement, however often the access rules
 * (auth/access.ts) refer to the caller. An invalid credential leaves `k` empty, so those statements
 * see nothing, and `authed` answers 401 before anything is shown.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { drizzle } from 'drizzle-orm/d1';
import type { Context } from 'hono';
import type { Db } from '../db/client';
import { tokens } from '../db/schema';
import { Statement, type Row } from '../db/statement';
import { settings, type Settings } from '../env';
import { requestDb, type AppEnv } from '../http/context';
import { problems } from '../http/problem';
import { writes } from '../db/write-context';
import type { IdempotencyClaim } from '../http/idempotency';
import { CALLER_TABLE } from './caller-table';
import type { Credential } from './credentials';
import { sameDigest } from './tokens';

/** What a service needs to know about the request it serves. */
export interface Scope {
  db: Db;
  /** The D1 client under `db`: fixed statements and batches go to it without drizzle. */
  d1: D1Database;
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
    get db() {
      return requestDb(c);
    },
    d1: c.get('d1'),
    files: c.env.FILES,
    credential: c.get('credential'),
    now: Date.now(),
    settings: settings(c.env),
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    background: () => drizzle(c.env.DB),
    idempotency: c.get('idempotency'),
  };
}

/** `text` with the caller table in front of it (merged into a WITH clause it already has). */
export function withCaller(text: string): string {
  const own = /^\s*WITH\s+(RECURSIVE\s+)?/i.exec(text);
  if (own) return `WITH ${own[1] ? 'RECURSIVE ' : ''}${CALLER_TABLE}, ${text.slice(own[0].length)}`;
  return `WITH ${CALLER_TABLE} ${text}`;
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

/** The parameters ?1 to ?3 of the caller table, first in every statement of an authenticated batch. */
export const callerParams = (scope: Pick<Scope, 'credential' | 'now'>) => [scope.credential.tokenHash, scope.now, scope.credential.email ?? null];

/** What the caller check reads (never the password hash), for a statement that selects FROM k. */
export const CALLER_COLUMNS = 'k.ct AS k_ct, k.cu AS k_cu, k.cs AS k_cs, k.th AS k_th, k.tl AS k_tl, k.cn AS k_cn, k.ce AS k_ce';

/** The caller check alone, for batches whose statements do not carry it (Statement.carriesCaller). */
const CALLER_CHECK = withCaller(`SELECT ${CALLER_COLUMNS} FROM k`);

const COUNTS = new Map<string, string>();

/**
 * A list's count, computed in the caller check's own row: `count` is SQL text of a scalar
 * subquery (`SELECT count(*) …`), fixed for its variant, over the caller `k`.
 */
export function countWithCaller(count: string, params: readonly unknown[]): Statement<number> {
  let text = COUNTS.get(count);
  if (text === undefined) {
    text = withCaller(`SELECT ${CALLER_COLUMNS}, (${count}) AS n FROM k`);
    COUNTS.set(count, text);
  }
  return new Statement(text, params, (rows) => (rows[0]?.n as number | undefined) ?? 0, true);
}

function toCaller(scope: Scope, rows: Row[]): Caller {
  const row = rows[0];
  if (!row || !sameDigest(row.k_th as string, scope.credential.tokenHash)) {
    throw problems.unauthenticated('The token is wrong, expired or revoked.', 'invalid');
  }
  const tokenId = row.k_ct as string;
  const lastUsedAt = row.k_tl as number | null;
  if (lastUsedAt === null || scope.now - lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    scope.waitUntil(
      scope.background().update(tokens).set({ lastUsedAt: scope.now }).where(eq(tokens.id, tokenId)).run().catch(() => undefined),
    );
  }
  return { tokenId, userId: row.k_cu as string, username: row.k_cn as string, email: row.k_ce as string, isSuperuser: row.k_cs === 1 };
}

/** A statement of a batch: fixed SQL (db/statement.ts) or a drizzle query. */
export type Query = Statement<unknown> | BatchItem<'sqlite'>;
export type ResultOf<Q> = Q extends Statement<infer T> ? T : Awaited<Q>;
type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: ResultOf<T[K]> };

interface DrizzlePrepared {
  stmt: unknown;
  getQuery(): { sql: string; params: unknown[] };
  mapResult(result: unknown, isFromBatch: boolean): unknown;
}

/**
 * One D1 round trip: `queries` in one batch (one transaction), each of which may name the caller
 * as `k`. A Statement's text already holds the caller table (built with withCaller when its module
 * loaded); a drizzle query gets it put in front here, and its rows are mapped as drizzle's own
 * batch maps them.
 */
export async function callerBatch<T extends readonly Query[]>(scope: Scope, ...queries: T): Promise<Results<T>> {
  const d1 = scope.d1;
  const head = callerParams(scope);
  const maps: ((result: D1Result) => unknown)[] = [];
  const statements = queries.map((query) => {
    if (query instanceof Statement) {
      maps.push((result) => query.map(result.results as Row[]));
      return d1.prepare(query.sql).bind(...head, ...query.params);
    }
    const prepared = (query as unknown as { _prepare(): DrizzlePrepared })._prepare();
    const built = prepared.getQuery();
    maps.push((result) => prepared.mapResult(result, true));
    return d1.prepare(withCaller(built.sql)).bind(...head, ...built.params);
  });
  const results = await d1.batch(statements);
  return results.map((result, i) => maps[i]!(result)) as Results<T>;
}

const isWrite = (query: Query) => !(query instanceof Statement) && writes((query as unknown as { toSQL(): { sql: string } }).toSQL().sql);

type ClaimResults = Parameters<IdempotencyClaim['settle']>;

/**
 * One D1 round trip: the caller check and `queries`, in one batch. The check is a statement of
 * its own, or rides in the first statement that carries the caller's columns (an item read). A
 * keyed POST's first call also claims its Idempotency-Key (http/idempotency.ts) in that batch,
 * before anything else: when the key is taken this throws before anything is written. Queries
 * that write (sign-out's revocation) cannot share that batch, so the claim then takes a round
 * trip of its own first.
 */
export async function authed<T extends readonly Query[]>(scope: Scope, ...queries: T): Promise<[Caller, ...Results<T>]> {
  const claim = scope.idempotency?.outcome === 'pending' ? scope.idempotency : undefined;
  const claiming = (claim ? claim.statements(scope.db, callerId(scope)) : []) as unknown as Query[];
  if (claim && queries.some(isWrite)) {
    const [, inserted, rows] = (await callerBatch(scope, ...claiming)) as unknown[];
    claim.settle(inserted as ClaimResults[0], rows as ClaimResults[1]);
    return authed(scope, ...queries);
  }
  const lead = queries.findIndex((q) => q instanceof Statement && q.carriesCaller);
  const sent = lead === -1 ? [new Statement(CALLER_CHECK, [], (rows) => rows), ...queries] : queries.map((q, i) => (i === lead ? new Statement((q as Statement<unknown>).sql, (q as Statement<unknown>).params, (rows) => rows) : q));
  const results = (await callerBatch(scope, ...claiming, ...sent)) as unknown[];
  if (claim) {
    const [, inserted, rows] = results.splice(0, claiming.length);
    claim.settle(inserted as ClaimResults[0], rows as ClaimResults[1]);
  }
  if (lead === -1) {
    const [callerRows, ...rest] = results;
    return [toCaller(scope, callerRows as Row[]), ...(rest as Results<T>)];
  }
  const caller = toCaller(scope, results[lead] as Row[]);
  results[lead] = (queries[lead] as Statement<unknown>).map(results[lead] as Row[]);
  return [caller, ...(results as Results<T>)];
}
