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
 */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { blobs } from '../db/schema';
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
}

export async function sweepOrphans(env: Bindings, now: number): Promise<SweepReport> {
  const db = drizzle(env.DB);
  const cutoff = now - SWEEP_GRACE_MS;
  const report: SweepReport = { orphanObjects: 0, unreferencedBlobs: 0 };

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

  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ limit: 500, ...(cursor ? { cursor } : {}) });
    const old = page.objects.filter((o) => o.uploaded.getTime() < cutoff);
    for (let i = 0; i < old.length; i += 50) {
      const keys = old.slice(i, i + 50).map((o) => o.key);
      const known = await db
        .select({ key: blobs.r2Key })
        .from(blobs)
        .where(sql`${blobs.r2Key} IN (${sql.join(keys.map((k) => sql`${k}`), sql`, `)})`);
      const have = new Set(known.map((k) => k.key));
      const orphans = keys.filter((k) => !have.has(k));
      if (orphans.length) {
        await env.FILES.delete(orphans);
        report.orphanObjects += orphans.length;
      }
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return report;
}
