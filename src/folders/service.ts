/**
 * Folders of an asset's data tab. A folder sits at the asset's top level or in a parent folder of
 * the same asset; moves that would put a folder inside itself are refused, in the read and again
 * in the UPDATE itself (so two concurrent moves cannot make a loop). Deleting refuses a folder
 * with contents unless `recursive`, which removes the sub-folders and their data files: rows in
 * one batch (blob rows first, while the files still name them; the subtree flattened before the
 * folders go, so that the delete works at any depth: folders/tree.ts), R2 objects after.
 */
import { and, eq, sql } from 'drizzle-orm';
import { isForeignKeyFailure } from '../db/errors';
import { authed, withCaller, type Scope } from '../auth/caller';
import { assetWithAccess } from '../assets/access';
import { blobs, dataFiles, folders } from '../db/schema';
import { refSql, type IdRef } from '../db/numbers';
import { Statement, variants } from '../db/statement';
import { checkIfMatch, versionGuard } from '../http/etag';
import { planTextPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { discardObjects } from '../storage/logos';
import {
  FOLDER_COLUMNS,
  FOLDER_FROM,
  folderById,
  folderInAsset,
  folderWithAccess,
  levelText,
  requireAssetOf,
  requireFolder,
  toFolderJoined,
  type FolderJoined,
} from './access';
import { flattenFolders, subtree, wouldCycle } from './tree';
import { toFolder, type FolderChanges, type FolderOut } from './schemas';
import { changeSet } from '../db/changes';

export const folderListSpec: ListSpec<FolderJoined, string> = {
  fields: {
    name: { expr: 'f.name', key: (r) => r.folder.name },
    created_at: { expr: 'f.created_at', key: (r) => r.folder.createdAt },
    updated_at: { expr: 'f.updated_at', key: (r) => r.folder.updatedAt },
  },
  tiebreaker: { expr: 'f.id', key: (r) => r.folder.id },
  defaultOrdering: 'name',
};

const notInAsset = (path: string) => problems.invalid([{ path, message: 'No such folder in this asset.' }]);

const LIST = variants();
const COUNT = variants();

/** The asset's folders; `render` makes each row's representation (/v1's, or a dialect's from the same row). */
export async function listFolders<T = FolderOut>(
  scope: Scope,
  assetId: IdRef,
  q: ListQuery & { parent?: string | undefined },
  url: string,
  render: (row: FolderJoined) => T = toFolder as unknown as (row: FolderJoined) => T,
) {
  const plan = planTextPage(folderListSpec, q);
  const asset = refSql(assetId);
  const level = levelText('f.parent_id', q.parent);
  const variant = `${asset.text}|${level.variant}`;
  const where = `f.asset_id = ${asset.text}${level.text}`;
  const params = [...asset.params, ...level.params];
  const page = LIST(`${variant}|${plan.variant}`, () =>
    withCaller(`SELECT ${FOLDER_COLUMNS} FROM ${FOLDER_FROM} WHERE ${where} ${plan.keyset} ORDER BY ${plan.orderBy} LIMIT ? OFFSET ?`),
  );
  const count = COUNT(variant, () => withCaller(`SELECT count(*) AS n FROM folders f WHERE ${where}`));
  // The rows are only shown once requireAsset has let the caller see the asset.
  const [caller, assetRows, rows, counted] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    new Statement(page, [...params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toFolderJoined)),
    new Statement(count, params, (found) => (found[0]?.n as number | undefined) ?? 0),
  );
  requireAssetOf('Asset', caller, assetRows, 'read');
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map(render) };
}

/** A folder; with `assetId`, only if it is that asset's (404 otherwise, as for any unknown id). */
export async function getFolder<T = FolderOut>(scope: Scope, folderId: IdRef, assetId?: IdRef, render: (row: FolderJoined) => T = toFolder as unknown as (row: FolderJoined) => T) {
  const [caller, found] = await authed(scope, folderWithAccess(scope, folderId, assetId));
  const { row } = requireFolder(caller, found, 'read');
  return render(row);
}

export async function createFolder(scope: Scope, assetId: string, input: { name: string; parent_id?: string | null | undefined }) {
  const parentId = input.parent_id ?? null;
  const [caller, assetRows, parentRows] = await authed(scope, assetWithAccess(scope, assetId), folderById(scope, parentId ?? ''));
  requireAssetOf('Asset', caller, assetRows, 'write');
  if (parentId !== null && parentRows[0]?.folder.assetId !== assetId) throw notInAsset('parent_id');
  const id = newId('fld');
  let created;
  try {
    [created] = await scope.db
      .insert(folders)
      .values({ id, assetId, parentId, name: input.name, createdBy: caller.userId, createdAt: scope.now, updatedAt: scope.now })
      .returning();
  } catch (error) {
    if (isForeignKeyFailure(error)) throw problems.conflict('The asset or the parent folder was deleted meanwhile.');
    throw error;
  }
  return toFolder({ folder: created!, creator: { id: caller.userId, username: caller.username } });
}

export async function updateFolder(scope: Scope, folderId: string, changes: FolderChanges, ifMatch: string | undefined) {
  const target = changes.parent_id ?? null;
  const [caller, found, targetRows] = await authed(
    scope,
    folderWithAccess(scope, folderId),
    scope.db
      .select({ assetId: folders.assetId, cycle: wouldCycle(folderId, target ?? '').as('would_cycle') })
      .from(folders)
      .where(eq(folders.id, target ?? ''))
      .limit(1),
  );
  const { row } = requireFolder(caller, found, 'write');
  const current = row.folder;
  await checkIfMatch(ifMatch, toFolder(row));
  const moving = changes.parent_id !== undefined;
  if (moving && target !== null) {
    const parent = targetRows[0];
    if (!parent || parent.assetId !== current.assetId) throw notInAsset('parent_id');
    if (parent.cycle) {
      throw problems.conflict('A folder cannot move into itself or into one of its sub-folders.', [
        { path: 'parent_id', message: 'This folder is the folder being moved or lies inside it.' },
      ]);
    }
  }
  const set = changeSet(changes, { name: 'name' }, folders.version, scope.now);
  if (moving) set.parentId = target;
  const [updated] = await scope.db
    .update(folders)
    .set(set as typeof folders.$inferInsert)
    .where(
      and(
        eq(folders.id, current.id),
        versionGuard(ifMatch, folders.version, current.version),
        // Checked again here: a concurrent move may have changed the tree since the read.
        moving && target !== null ? and(folderInAsset(target, current.assetId), sql`NOT ${wouldCycle(current.id, target)}`) : undefined,
      ),
    )
    .returning();
  if (!updated) {
    if (ifMatch) throw problems.preconditionFailed();
    throw problems.conflict('The folder or its new parent changed meanwhile; fetch them again and retry.');
  }
  return toFolder({ ...row, folder: updated });
}

/**
 * Deletes an empty folder, or with `recursive` the folder with everything below it. Rows first
 * (one batch, every statement guarded so that nothing goes unless the folder does), R2 objects
 * after, in waitUntil.
 */
export async function deleteFolder(scope: Scope, folderId: string, recursive: boolean, ifMatch: string | undefined) {
  const under = subtree(folderId);
  const blobsUnder = sql`${blobs.id} IN (SELECT df.blob_id FROM data_files df WHERE df.folder_id IN ${under})`;
  const [caller, found, contents, stored] = await authed(
    scope,
    folderWithAccess(scope, folderId),
    scope.db
      .select({
        folders: sql<number>`(SELECT count(*) FROM folders cf WHERE cf.parent_id = ${folderId})`.as('child_folders'),
        files: sql<number>`(SELECT count(*) FROM data_files cd WHERE cd.folder_id = ${folderId})`.as('child_files'),
      })
      .from(folders)
      .where(eq(folders.id, folderId)),
    scope.db.select({ key: blobs.r2Key }).from(blobs).where(blobsUnder),
  );
  const { row } = requireFolder(caller, found, 'write');
  await checkIfMatch(ifMatch, toFolder(row));
  const inside = contents[0] ?? { folders: 0, files: 0 };
  if (!recursive && (inside.folders > 0 || inside.files > 0)) {
    throw problems.conflict(
      `The folder is not empty (${inside.folders} folders, ${inside.files} files): delete or move what is in it, or send recursive=true.`,
    );
  }
  // Every statement goes only if the folder is still there (at the version read, with If-Match)
  // and, without recursive, still empty.
  const guard = sql`EXISTS (SELECT 1 FROM folders gf WHERE gf.id = ${folderId}${ifMatch ? sql` AND gf.version = ${row.folder.version}` : sql``}
    ${recursive ? sql`` : sql`AND NOT EXISTS (SELECT 1 FROM folders gc WHERE gc.parent_id = ${folderId}) AND NOT EXISTS (SELECT 1 FROM data_files gd WHERE gd.folder_id = ${folderId})`})`;
  const [, , , deleted] = await scope.db.batch([
    scope.db.delete(blobs).where(and(blobsUnder, guard)),
    scope.db.delete(dataFiles).where(and(sql`${dataFiles.folderId} IN ${under}`, guard)),
    flattenFolders(scope, { subtreeOf: folderId }, guard),
    scope.db.delete(folders).where(and(sql`${folders.id} IN ${under}`, guard)).returning({ id: folders.id }),
  ]);
  if (!deleted.some((d) => d.id === folderId)) {
    if (ifMatch) throw problems.preconditionFailed();
    throw problems.conflict('The folder changed meanwhile (something was added to it, or it was deleted); fetch it again and retry.');
  }
  // A file added between the two round trips loses its row here and its object to the sweep.
  if (stored.length) scope.waitUntil(discardObjects(scope, stored.map((b) => b.key)));
}
