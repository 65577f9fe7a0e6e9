/**
 * The folder tree's SQL: a subtree, the cycle test for a move, and the flattening every delete of
 * folders runs first. The walks are recursive CTEs, which SQLite runs as a loop over a queue (no
 * depth limit; a chain of 1,200 is tested), using folders_parent_idx downwards and the primary
 * key upwards.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Scope } from '../auth/caller';
import { folders } from '../db/schema';

/** SQL: the ids of folder `folderId` and of every folder below it. */
export function subtree(folderId: string): SQL {
  return sql`(WITH RECURSIVE sub(id) AS (SELECT ${folderId} UNION SELECT sf.id FROM folders sf JOIN sub ON sf.parent_id = sub.id) SELECT id FROM sub)`;
}

/**
 * SQL: true when folder `folderId` is `parentId` or one of its ancestors, i.e. when moving
 * `folderId` under `parentId` would make a cycle. UNION (not ALL) ends the walk on any loop.
 */
export function wouldCycle(folderId: string, parentId: string): SQL<number> {
  return sql<number>`EXISTS (WITH RECURSIVE up(id, parent_id) AS (
      SELECT uf.id, uf.parent_id FROM folders uf WHERE uf.id = ${parentId}
      UNION SELECT pf.id, pf.parent_id FROM folders pf JOIN up ON pf.id = up.parent_id)
    SELECT 1 FROM up WHERE up.id = ${folderId})`;
}

/** The folders a delete takes: one folder with everything below it, or every folder of some assets. */
export type DoomedFolders = { subtreeOf: string } | { ofAssets: SQL };

/**
 * The UPDATE that goes first in every batch deleting folders (a recursive folder delete, an asset,
 * a project purge, an organisation), so that the delete does not depend on the tree's depth.
 *
 * SQLite runs each level of an ON DELETE CASCADE as a level of trigger recursion, and D1 allows
 * 10 (measured on local D1: a chain of 10 folders deleted from its top works, 11 fails with "too
 * many levels of trigger recursion"). folders.parent_id cascades, so deleting a chain would take a
 * level per folder. Flattened first, every folder concerned hangs directly under the folder being
 * deleted (which keeps `subtree` finding them all) or, when its asset goes, at the asset's top
 * level, so the folders cascade is one level deep whatever the depth was.
 *
 * What is left, measured on local D1 by hanging a chain of cascading probe rows below a folder and
 * finding how long it may be: an organisation's delete and a project's purge take 3 of the 10
 * levels (organisation → assets → folders → the folders' own cascades, to sub-folders, none left,
 * and data files; project → assets → folders → …), an asset's delete and a recursive folder delete
 * 2. The other branches are no deeper: projects' FTS trigger and members, the assets' FTS and
 * R*Tree triggers, spheres and reports are leaves. (Were SQLite to reach an organisation's assets
 * through organisation → projects → assets first, that branch would take 4.)
 *
 * The change log's triggers (migrations/0014_change_log_triggers.sql) run one level below each
 * row they log and write only to `changes`, which has none: a project's purge writes its deepest
 * log rows 4 levels down (its data files'), an asset's delete 3, an account's or a membership's 2,
 * a recursive folder delete 2, an organisation's 1 (what it holds logs nothing). Measured by
 * hanging a chain of tables below every insert into `changes` (test/purge-cascade.test.ts).
 *
 * `guard`: the condition the batch's delete runs under, so that a delete that does not happen
 * leaves the tree as it was.
 */
export function flattenFolders(scope: Scope, doomed: DoomedFolders, guard: SQL = sql`1`) {
  if ('subtreeOf' in doomed) {
    const top = doomed.subtreeOf;
    return scope.db
      .update(folders)
      .set({ parentId: top })
      .where(sql`${folders.id} IN ${subtree(top)} AND ${folders.id} <> ${top} AND ${folders.parentId} <> ${top} AND ${guard}`);
  }
  return scope.db
    .update(folders)
    .set({ parentId: null })
    .where(sql`${folders.assetId} IN ${doomed.ofAssets} AND ${folders.parentId} IS NOT NULL AND ${guard}`);
}
