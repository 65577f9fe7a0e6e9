/**
 * The scheduled sweep. Uploads write R2 first and the blob row second, so a failure between the
 * two leaves an object no row names; replacing or deleting a file drops the row first and the
 * object after, so a failure there leaves the same. After a grace period (longer than any
 * upload can take) such objects are deleted. Blob rows that no entity refers to any more are
 * removed with their objects.
 *
 * Resources: an entity deleted elsewhere (an organisation, a purged project, an asset, a report)
 * leaves its resource attachments dangling, as they have no foreign key. The sweep deletes those
 * attachments, then the resources left without any (their blobs, unreferenced, then go with
 * the step after once past the grace period).
 *
 * The walk over the bucket is bounded per run (maxPages list calls) and resumes from a cursor kept
 * in D1 (sweep_state), so a run costs the same however large the bucket grows; a full pass takes
 * as many hourly runs as the bucket has pages beyond that.
 */
import { eq, sql } from 'drizzle-orm';
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import { blobs, sweepState } from '../db/schema';
import type { Bindings } from '../env';

export const SWEEP_GRACE_MS = 24 * 3_600_000;

/** Every column that refers to a blob. Later entities (data files, reports, resources) add theirs. */
const BLOB_REFERENCES = [
  sql`SELECT logo_blob_id FROM organizations WHERE logo_blob_id IS NOT NULL`,
  sql`SELECT logo_blob_id FROM projects WHERE logo_blob_id IS NOT NULL`,
  sql`SELECT blob_id FROM data_files`,
  sql`SELECT blob_id FROM spheres`,
  sql`SELECT blob_id FROM reports WHERE blob_id IS NOT NULL`,
  sql`SELECT blob_id FROM resources`,
];

export interface SweepReport {
  orphanObjects: number;
  unreferencedBlobs: number;
  /** Objects listed by this run's part of the walk over the bucket. */
  listedObjects: number;
  /** The walk reached the end of the bucket (the next run starts a new one). */
  walkFinished: boolean;
}

export interface SweepOptions {
  /** Keys per R2 list call (R2 gives at most 1,000). */
  pageSize?: number;
  /** List calls per run: a run's work is bounded whatever the bucket's size; the next resumes. */
  maxPages?: number;
}

const WALK = 'r2-orphans';

export async function sweepOrphans(env: Bindings, now: number, opts: SweepOptions = {}): Promise<SweepReport> {
  const db = drizzle(env.DB);
  const cutoff = now - SWEEP_GRACE_MS;
  const report: SweepReport = { orphanObjects: 0, unreferencedBlobs: 0, listedObjects: 0, walkFinished: false };

  await db.batch([
    db.run(sql`DELETE FROM resource_attachments WHERE
      (entity_type = 'organization' AND entity_id NOT IN (SELECT id FROM organizations))
      OR (entity_type = 'project' AND entity_id NOT IN (SELECT id FROM projects))
      OR (entity_type = 'asset' AND entity_id NOT IN (SELECT id FROM assets))
      OR (entity_type = 'report' AND entity_id NOT IN (SELECT id FROM reports))`),
    // A resource is created with its attachments in one batch, so none is ever legitimately bare.
    db.run(sql`DELETE FROM resources WHERE id NOT IN (SELECT resource_id FROM resource_attachments)`),
  ]);

  // One NOT IN per reference, not a UNION of them: D1 allows at most 5 terms in a compound SELECT.
  const unreferencedBlob = sql.join(
    BLOB_REFERENCES.map((r) => sql`${blobs.id} NOT IN (${r})`),
    sql` AND `,
  );
  const unreferenced = await db
    .select({ id: blobs.id, r2Key: blobs.r2Key })
    .from(blobs)
    .where(sql`${blobs.createdAt} < ${cutoff} AND ${unreferencedBlob}`)
    .limit(500);
  for (const blob of unreferenced) {
    await db.delete(blobs).where(sql`${blobs.id} = ${blob.id} AND ${unreferencedBlob}`);
    await env.FILES.delete(blob.r2Key);
    report.unreferencedBlobs += 1;
  }

  await walkObjects(env, db, cutoff, opts, report);
  return report;
}

/**
 * Walks the bucket from where the last run stopped, deleting objects past the grace period that
 * no blob row names, for at most `maxPages` list calls; keeps the cursor for the next run. One D1
 * query a page: the page's keys go in as one JSON parameter (D1 binds at most 100).
 */
async function walkObjects(env: Bindings, db: DrizzleD1Database, cutoff: number, opts: SweepOptions, report: SweepReport) {
  const pageSize = opts.pageSize ?? 1000;
  const maxPages = opts.maxPages ?? 25;
  const saved = await db.select({ cursor: sweepState.cursor }).from(sweepState).where(eq(sweepState.name, WALK));
  let cursor = saved[0]?.cursor ?? undefined;
  for (let pages = 0; pages < maxPages; pages++) {
    let page: R2Objects;
    try {
      page = await env.FILES.list({ limit: pageSize, ...(cursor ? { cursor } : {}) });
    } catch (error) {
      // A cursor R2 no longer takes: start the walk over next time rather than stall on it.
      if (cursor) await saveCursor(db, null);
      throw error;
    }
    report.listedObjects += page.objects.length;
    const old = page.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    if (old.length) {
      const orphans = await db.all<{ key: string }>(
        sql`SELECT j.value AS key FROM json_each(${JSON.stringify(old)}) j WHERE NOT EXISTS (SELECT 1 FROM ${blobs} WHERE ${blobs.r2Key} = j.value)`,
      );
      if (orphans.length) {
        await env.FILES.delete(orphans.map((o) => o.key));
        report.orphanObjects += orphans.length;
      }
    }
    cursor = page.truncated ? page.cursor : undefined;
    if (!cursor) {
      report.walkFinished = true;
      break;
    }
  }
  await saveCursor(db, cursor ?? null);
}

async function saveCursor(db: DrizzleD1Database, cursor: string | null) {
  const updatedAt = Date.now();
  await db.insert(sweepState).values({ name: WALK, cursor, updatedAt }).onConflictDoUpdate({ target: sweepState.name, set: { cursor, updatedAt } });
}
