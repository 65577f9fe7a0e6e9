import { sql, type SQL } from 'drizzle-orm';
import { blobsUnderAssets } from '../assets/service';
import { blobs } from '../db/schema';

/**
 * SQL: the blobs of everything stored under the project: its assets' data files, spheres and
 * reports, the project's reports and its logo (the one it has when the statement runs). What a
 * purge deletes and a move to another organisation re-owns (resources aside: resources/move.ts).
 */
export function blobsUnderProject(projectId: string): SQL {
  const assetIds = sql`(SELECT id FROM assets WHERE project_id = ${projectId})`;
  return sql`(${blobsUnderAssets(assetIds)}
    OR ${blobs.id} IN (SELECT blob_id FROM reports WHERE project_id = ${projectId} AND blob_id IS NOT NULL)
    OR ${blobs.id} IN (SELECT logo_blob_id FROM projects WHERE id = ${projectId}))`;
}
