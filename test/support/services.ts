/** Helpers for tests that call a service function directly, with a Scope of their own. */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import type { Scope } from '../../src/auth/caller';
import { tokenHash } from '../../src/auth/tokens';
import { createDb } from '../../src/db/client';
import type { D1Stats } from '../../src/db/timed-d1';
import { settings } from '../../src/env';
import { Problem } from '../../src/http/problem';
import type { Actor } from './actors';

/** A scope for calling a service directly as `actor`; `stats` counts its D1 round trips. */
export async function actorScope(actor: Actor): Promise<{ scope: Scope; stats: D1Stats }> {
  const stats = { roundTrips: 0, ms: 0 };
  const db = createDb(env.DB, stats);
  const scope: Scope = {
    db,
    d1: db.$client as D1Database,
    files: env.FILES,
    credential: { tokenHash: await tokenHash(actor.token), email: null },
    now: Date.now(),
    settings: settings(env),
    waitUntil: () => undefined,
    background: () => createDb(env.DB, { roundTrips: 0, ms: 0 }),
  };
  return { scope, stats };
}

/**
 * A scope for calling the service directly, whose D1 client runs `meanwhile` right after the
 * first round trip (the read): a concurrent request's write, landing between this request's
 * read and its write.
 */
export async function racingScope(actor: Actor, meanwhile: () => Promise<unknown>): Promise<Scope> {
  const { scope } = await actorScope(actor);
  // The D1 client under drizzle: every batch goes through it, drizzle's and the caller's (callerBatch).
  const d1 = scope.db.$client as D1Database;
  const batch = d1.batch.bind(d1);
  let first = true;
  (d1 as { batch: unknown }).batch = async (queries: Parameters<typeof batch>[0]) => {
    const result = await batch(queries);
    if (first) {
      first = false;
      await meanwhile();
    }
    return result;
  };
  return scope;
}

/** The Problem that `work` is rejected with (and that it is one). */
export async function problemOf(work: Promise<unknown>): Promise<Problem> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Problem);
  return error as Problem;
}
