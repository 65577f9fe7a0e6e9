/**
 * Data files: files of an asset's data tab, at its top level or in one of its folders. The bytes
 * go to R2 first (streamed, SHA-256 on the way, type checked against the magic bytes), then the
 * blob row and the file row in one batch; if that batch fails the object is removed. Deleting
 * drops the rows first (blob row while the file still names it) and the object after.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { isForeignKeyFailure } from '../db/errors';
import { alias } from 'drizzle-orm/sqlite-core';
import { authed, type Caller, type Scope } from '../auth/caller';
import { assetWithAccess, type AssetAccessRow, type AssetNeed } from '../assets/access';
import { numberOfId, type IdRef } from '../db/numbers';
import { blobs, dataFiles, users } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { atLevel, folderById, folderInAsset, requireAssetOf } from '../folders/access';
import { checkIfMatch, versionGuard } from '../http/etag';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { discardObjects } from '../storage/logos';
import { blobOwnedBy } from '../storage/objects';
import { storeFile, type IncomingFile } from '../storage/uploads';
import { toDataFile, type DataChanges, type DataFileOut } from './schemas';
import { changeSet } from '../db/changes';

const fileCreator = alias(users, 'file_creator');

const fileColumns = () => ({
  file: columnsAs(dataFiles, 'd'),
  creator: pick({ id: fileCreator.id, username: fileCreator.username }, 'dc'),
  // The numbers of its asset and folder, for a dialect that names them by number.
  numbers: { asset: numberOfId('asset', dataFiles.assetId).as('d_asset_number'), folder: numberOfId('folder', dataFiles.folderId).as('d_folder_number') },
});

/** SELECT what a data file representation needs FROM data_files (unique aliases: safe in a batch). */
export function selectDataFiles(scope: Scope) {
  return scope.db.select(fileColumns()).from(dataFiles).leftJoin(fileCreator, eq(fileCreator.id, dataFiles.createdBy));
}

export type DataFileJoined = Awaited<ReturnType<typeof selectDataFiles>>[number];

/** A data file with the R2 key of its body; with `assetId`, only if it is that asset's. */
function dataFileById(scope: Scope, fileId: IdRef, assetId?: IdRef) {
  return scope.db
    .select({ ...fileColumns(), blob: pick({ r2Key: blobs.r2Key }, 'b') })
    .from(dataFiles)
    .leftJoin(fileCreator, eq(fileCreator.id, dataFiles.createdBy))
    .leftJoin(blobs, eq(blobs.id, dataFiles.blobId))
    .where(and(eq(dataFiles.id, fileId), assetId !== undefined ? eq(dataFiles.assetId, assetId) : undefined))
    .limit(1);
}

type DataFileWithBlob = Awaited<ReturnType<typeof dataFileById>>[number];

const assetOfDataFile = (fileId: IdRef): SQL<string | null> => sql<string | null>`(SELECT ad.asset_id FROM data_files ad WHERE ad.id = ${fileId})`;

/** A data file with its asset's rights, for `authed`: [file rows, asset rows]. `fileId` may be SQL that finds it (idOfNumber). */
export function dataFileWithAccess(scope: Scope, fileId: IdRef, assetId?: IdRef) {
  return [dataFileById(scope, fileId, assetId), assetWithAccess(scope, assetOfDataFile(fileId))] as const;
}

/** 404 (as for an id that does not exist) unless the file is there (and is the asset's asked for) and the caller may `need` its asset. */
function requireDataFile(caller: Caller, fileRows: DataFileWithBlob[], assetRows: AssetAccessRow[], need: AssetNeed) {
  const row = fileRows[0];
  if (!row) throw problems.notFound('Data file');
  const access = requireAssetOf('Data file', caller, assetRows, need);
  return { row, access };
}

async function loadDataFile(scope: Scope, fileId: IdRef, need: AssetNeed, assetId?: IdRef) {
  const [caller, fileRows, assetRows] = await authed(scope, ...dataFileWithAccess(scope, fileId, assetId));
  return { caller, ...requireDataFile(caller, fileRows, assetRows, need) };
}

const notInAsset = () => problems.invalid([{ path: 'folder_id', message: 'No such folder in this asset.' }]);

export const dataListSpec: ListSpec<DataFileJoined> = {
  fields: {
    name: { expr: dataFiles.name, key: (r) => r.file.name },
    created_at: { expr: dataFiles.createdAt, key: (r) => r.file.createdAt },
    size: { expr: dataFiles.size, key: (r) => r.file.size },
  },
  tiebreaker: { expr: dataFiles.id, key: (r) => r.file.id },
  defaultOrdering: 'name',
};

/** The asset's files; `render` makes each row's representation (/v1's, or a dialect's from the same row). */
export async function listDataFiles<T = DataFileOut>(
  scope: Scope,
  assetId: IdRef,
  q: ListQuery & { folder?: string | undefined },
  url: string,
  render: (row: DataFileJoined) => T = toDataFile as unknown as (row: DataFileJoined) => T,
) {
  const plan = planPage(dataListSpec, q);
  const filters = and(eq(dataFiles.assetId, assetId), atLevel(dataFiles.folderId, q.folder));
  const [caller, assetRows, rows, counted] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    paged(selectDataFiles(scope).$dynamic(), plan, filters),
    scope.db.select({ n: sql<number>`count(*)` }).from(dataFiles).where(filters),
  );
  requireAssetOf('Asset', caller, assetRows, 'read');
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map(render) };
}

export async function getDataFile<T = DataFileOut>(scope: Scope, fileId: IdRef, assetId?: IdRef, render: (row: DataFileJoined) => T = toDataFile as unknown as (row: DataFileJoined) => T) {
  const { row } = await loadDataFile(scope, fileId, 'read', assetId);
  return render(row);
}

/** What a download streams: the R2 key and the file name. */
export async function dataFileObject(scope: Scope, fileId: IdRef, assetId?: IdRef) {
  const { row } = await loadDataFile(scope, fileId, 'read', assetId);
  if (!row.blob.r2Key) throw problems.notFound('File');
  return { key: row.blob.r2Key, filename: row.file.name };
}

/**
 * Stores `file` in the asset (in `folderId` when given): checks rights and the folder (one round
 * trip), streams the body to R2, then writes the blob and file rows in one batch.
 */
export async function createDataFile(scope: Scope, assetId: string, meta: { name: string; folderId: string | null }, file: IncomingFile) {
  const [caller, assetRows, folderRows] = await authed(scope, assetWithAccess(scope, assetId), folderById(scope, meta.folderId ?? ''));
  const access = requireAssetOf('Asset', caller, assetRows, 'write');
  if (meta.folderId !== null && folderRows[0]?.folder.assetId !== assetId) throw notInAsset();
  const blob = await storeFile(scope, access.row.asset.organizationId, 'data', file, { maxBytes: scope.settings.uploadMaxBytes });
  const id = newId('dat');
  let created;
  try {
    [, [created]] = await scope.db.batch([
      scope.db.insert(blobs).values(blobOwnedBy(blob, sql`(SELECT organization_id FROM assets WHERE id = ${assetId})`)),
      scope.db
        .insert(dataFiles)
        .values({
          id,
          assetId,
          folderId: meta.folderId,
          name: meta.name,
          mimeType: blob.mimeType,
          size: blob.size,
          sha256: blob.sha256,
          blobId: blob.id,
          createdBy: caller.userId,
          createdAt: scope.now,
          updatedAt: scope.now,
        })
        .returning(),
    ]);
  } catch (error) {
    await discardObjects(scope, [blob.r2Key]);
    if (isForeignKeyFailure(error)) throw problems.conflict('The asset or the folder was deleted while the file was uploading.');
    throw error;
  }
  return toDataFile({ file: created!, creator: { id: caller.userId, username: caller.username } });
}

export async function updateDataFile(scope: Scope, fileId: string, changes: DataChanges, ifMatch: string | undefined) {
  const target = changes.folder_id ?? null;
  const [caller, fileRows, assetRows, folderRows] = await authed(scope, ...dataFileWithAccess(scope, fileId), folderById(scope, target ?? ''));
  const { row } = requireDataFile(caller, fileRows, assetRows, 'write');
  const current = row.file;
  await checkIfMatch(ifMatch, toDataFile(row));
  const moving = changes.folder_id !== undefined;
  if (moving && target !== null && folderRows[0]?.folder.assetId !== current.assetId) throw notInAsset();
  const set = changeSet(changes, { name: 'name' }, dataFiles.version, scope.now);
  if (moving) set.folderId = target;
  const [updated] = await scope.db
    .update(dataFiles)
    .set(set as typeof dataFiles.$inferInsert)
    .where(
      and(
        eq(dataFiles.id, current.id),
        versionGuard(ifMatch, dataFiles.version, current.version),
        // The folder may have gone since the read.
        moving && target !== null ? folderInAsset(target, current.assetId) : undefined,
      ),
    )
    .returning();
  if (!updated) {
    if (ifMatch) throw problems.preconditionFailed();
    throw problems.conflict('The file or its new folder changed meanwhile; fetch them again and retry.');
  }
  return toDataFile({ ...row, file: updated });
}

export async function deleteDataFile(scope: Scope, fileId: string, ifMatch: string | undefined) {
  const { row } = await loadDataFile(scope, fileId, 'write');
  const current = row.file;
  await checkIfMatch(ifMatch, toDataFile(row));
  const guard = sql`EXISTS (SELECT 1 FROM data_files gd WHERE gd.id = ${fileId}${ifMatch ? sql` AND gd.version = ${current.version}` : sql``})`;
  const [, deleted] = await scope.db.batch([
    // The blob row while the file still names it, and only if the file goes too.
    scope.db.delete(blobs).where(and(eq(blobs.id, current.blobId), guard)),
    scope.db
      .delete(dataFiles)
      .where(and(eq(dataFiles.id, fileId), versionGuard(ifMatch, dataFiles.version, current.version)))
      .returning({ id: dataFiles.id }),
  ]);
  if (deleted.length === 0) {
    if (ifMatch) throw problems.preconditionFailed();
    throw problems.notFound('Data file');
  }
  if (row.blob.r2Key) scope.waitUntil(discardObjects(scope, [row.blob.r2Key]));
}
