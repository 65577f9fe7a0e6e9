import { drizzle } from 'drizzle-orm/d1';
import type { Context } from 'hono';
import type { Db } from '../db/client';
import type { D1Stats } from '../db/timed-d1';
import type { Bindings } from '../env';
import type { Credential } from '../auth/credentials';
import type { IdempotencyClaim } from './idempotency';
import type { Problem } from './problem';

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    d1Stats: D1Stats;
    /** The request's D1 client (db/client.ts, requestD1): counted for Server-Timing, writes bracketed. */
    d1: D1Database;
    /** Drizzle over `d1`, built on first use (requestDb): an authenticated read of fixed statements needs none. */
    db: Db | undefined;
    /** Parsed from the request's headers by requireCredential; checked against D1 with the handler's own query. */
    credential: Credential;
    /** A keyed POST's claim on its Idempotency-Key (http/idempotency.ts), taken by its first D1 batch. */
    idempotency: IdempotencyClaim | undefined;
    /** Set for a request under a seed dialect's base path: renders every problem as that dialect's error (src/compat). */
    renderProblem: ((c: Context, p: Problem) => Response) | undefined;
    /** The error texts the operation declared (a dialect words some errors per operation). */
    errorMessages: Partial<Record<number, string>> | undefined;
  };
}

/**
 * The request's drizzle client, built on first use: drizzle's construction is a measurable part
 * of a read served by fixed statements alone (issue 11: about 0.1 ms of GET one project's 2.9).
 */
export function requestDb(c: Context<AppEnv>): Db {
  let db = c.get('db');
  if (!db) {
    db = drizzle(c.get('d1'));
    c.set('db', db);
  }
  return db;
}
