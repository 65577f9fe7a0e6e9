/**
 * Who is writing, for the change log's triggers (src/db/schema.ts, `changes`, `write_context`).
 *
 * Triggers cannot see the request. So every write a request makes to D1 runs as one batch that
 * begins by writing the one-row write_context (the caller's user id, found from the presented
 * credential in that same statement, and the time) and ends by deleting it: D1 runs one batch
 * at a time per database, so the triggers of the batch read its own row, and a write that does
 * not come this way (the scheduled clean-up, a background write) finds none and logs no actor.
 * No row outlives its batch, so no later write can be attributed to an earlier request's caller.
 * The per-request D1 wrapper (timed-d1.ts) adds the two statements to every batch that writes,
 * and runs a lone write statement as such a batch: one place, which every write goes through.
 */
import { sql, type SQL } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { withoutCaller } from '../auth/caller-table';

const dialect = new SQLiteAsyncDialect();

/** SQL for the caller's user id (NULL when there is no valid credential), or null for no caller at all. */
export type ActorSource = () => SQL | null;

export interface WriteContext {
  begin: D1PreparedStatement;
  end: D1PreparedStatement;
}

export function writeContext(d1: D1Database, actor: ActorSource, now = Date.now()): WriteContext {
  const q = dialect.sqlToQuery(
    sql`INSERT INTO write_context (id, actor_id, at) VALUES (1, ${actor() ?? sql`NULL`}, ${now})
      ON CONFLICT (id) DO UPDATE SET actor_id = excluded.actor_id, at = excluded.at`,
  );
  return { begin: d1.prepare(q.sql).bind(...q.params), end: d1.prepare('DELETE FROM write_context') };
}

/**
 * A statement that may write: anything but a plain read (a WITH may end in a write, so it counts),
 * read past the caller table that an authenticated batch puts in front of every statement.
 */
export const writes = (query: string) => !/^\s*(select|pragma|explain)\b/i.test(withoutCaller(query));
