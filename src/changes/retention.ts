/**
 * Retention of the change log, run by the hourly cron: changes older than CHANGE_RETENTION_DAYS
 * go, except each existing entity's latest one. So the log stays small, and a feed read from the
 * beginning still holds every entity there is (a new client, or one told to start again, gets all
 * it may see from the feed alone), while a deletion is kept for the retention period.
 *
 * Removed: a deletion, a change some later change of the same entity (in the same feed)
 * supersedes, and what an organisation that no longer exists left. The highest `seq` removed is
 * kept as the floor: a cursor below it may have missed a deletion, and the feed answers it 410.
 *
 * Bounded work per run, as the R2 sweep does: a pass walks the log by `seq` from the start up to
 * the first change younger than the cutoff, WALK_BATCH changes a step and at most `maxSteps`
 * steps a run, resuming where the last run stopped (sweep_state); the next pass starts over, so a
 * change superseded after a pass went by it is removed by a later pass.
 */
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import { eq, sql } from 'drizzle-orm';
import { changes, sweepState } from '../db/schema';
import { settings, type Bindings } from '../env';

/** sweep_state: the highest seq the retention removed (a cursor below it answers 410). */
export const CHANGE_LOG_FLOOR = 'change-log-floor';
/** sweep_state: where the current pass over the log is. */
const WALK = 'change-log-walk';
const WALK_BATCH = 1000;

export interface TrimReport {
  examined: number;
  removed: number;
  /** The pass reached the changes younger than the cutoff (the next run starts a new one). */
  passFinished: boolean;
}

async function state(db: DrizzleD1Database, name: string): Promise<number> {
  const rows = await db.select({ v: sweepState.cursor }).from(sweepState).where(eq(sweepState.name, name));
  return Number(rows[0]?.v ?? 0);
}

const save = (db: DrizzleD1Database, name: string, value: number, now: number) =>
  db
    .insert(sweepState)
    .values({ name, cursor: String(value), updatedAt: now })
    .onConflictDoUpdate({ target: sweepState.name, set: { cursor: String(value), updatedAt: now } });

export async function trimChangeLog(env: Bindings, now: number, opts: { maxSteps?: number } = {}): Promise<TrimReport> {
  const db = drizzle(env.DB);
  const cutoff = now - settings(env).changeRetentionMs;
  const report: TrimReport = { examined: 0, removed: 0, passFinished: false };
  let walk = await state(db, WALK);
  let floor = await state(db, CHANGE_LOG_FLOOR);
  for (let step = 0; step < (opts.maxSteps ?? 10); step++) {
    const batch = await db.select({ seq: changes.seq, at: changes.at }).from(changes).where(sql`${changes.seq} > ${walk}`).orderBy(changes.seq).limit(WALK_BATCH);
    const old = batch.filter((c) => c.at < cutoff);
    if (old.length > 0) {
      const upto = old.at(-1)!.seq;
      const removed = await db.all<{ seq: number }>(sql`DELETE FROM changes WHERE seq IN (
          SELECT c.seq FROM changes c WHERE c.seq > ${walk} AND c.seq <= ${upto} AND c.at < ${cutoff} AND (c.op = 'delete'
            OR c.organization_id NOT IN (SELECT id FROM organizations)
            OR EXISTS (SELECT 1 FROM changes n WHERE n.entity_type = c.entity_type AND n.entity_id = c.entity_id
              AND n.organization_id = c.organization_id AND n.seq > c.seq)))
        RETURNING seq`);
      report.removed += removed.length;
      for (const r of removed) floor = Math.max(floor, r.seq);
      walk = upto;
    }
    report.examined += old.length;
    // Younger changes follow (seq and time go together, near enough): this pass is done.
    if (old.length < batch.length || batch.length < WALK_BATCH) {
      report.passFinished = true;
      walk = 0;
      break;
    }
  }
  await db.batch([save(db, WALK, walk, now), save(db, CHANGE_LOG_FLOOR, floor, now)]);
  return report;
}
