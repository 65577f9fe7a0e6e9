/**
 * Data files: files of an asset's data tab, at its top level or in one of its folders. The bytes
 * go to R2 first (streamed, SHA-256 on the way, type checked against the magic bytes), then the
 * blob row and the file row in one batch; if that batch fails the object is removed. Deleting
 * drops the rows first (blob row while the file still names it) and the object after.
 */
import { and, eq, sql } from 'drizzle-orm';
import { isForeignKeyFailure } from '../db/errors';
import { alias } from 'drizzle-orm/sqlite-core';
import { authed, withCaller, type Caller, type Scope } from '../auth/caller';
import { assetItemAndCaller, joinAsset, assetWithAccess, toAssetAccessRows, type AssetAccessRow, type AssetNeed } from '../assets/access';
import { numberOfId, refSql, type IdRef } from '../db/numbers';
import { blobs, dataFiles, users, type DataFileRow } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { int, intOrNull, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { folderById, folderInAsset, levelText, requireAssetOf } from '../folders/access';
import { checkIfMatch, versionGuard } from '../http/etag';
import { planTextPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { discardObjects } from '../storage/logos';
import { blobOwnedBy } from '../storage/objects';
import { storeFile, type IncomingFile } from '../storage/uploads';
import { toDataFile, type DataChanges, type DataFileOut } from './schemas';
import { changeSet } from '../db/changes';

const fileCreator = alias(users, 'file_creator');

/**
 * SELECT what a data file representation needs FROM data_files, as a drizzle query, for batches of
 * drizzle queries (the change feed, changes/render.ts); the authenticated reads use the fixed
 * statements below.
 */
export function selectDataFiles(scope: Scope) {
  return scope.db
    .select({
      file: columnsAs(dataFiles, 'd'),
      creator: pick({ id: fileCreator.id, username: fileCreator.username }, 'dc'),
      numbers: { asset: numberOfId('asset', dataFiles.assetId).as('d_asset_number'), folder: numberOfId('folder', dataFiles.folderId).as('d_folder_number') },
    })
    .from(dataFiles)
    .leftJoin(fileCreator, eq(fileCreator.id, dataFiles.createdBy));
}

export interface DataFileJoined {
  file: DataFileRow;
  creator: { id: string | null; username: string | null };
  /** The numbers of its asset and folder, for a dialect that names them by number. */
  numbers: { asset: number | null; folder: number | null };
}

/**
 * What a data file representation needs, over `data_files d` and its creator `dc`. Fixed SQL,
 * rows mapped by hand (db/statement.ts): drizzle building and mapping them was most of a read's
 * own CPU in issue 11's measurements.
 */
const FILE_COLUMNS = `d.id AS d_id, d.number AS d_number, d.asset_id AS d_asset, d.folder_id AS d_folder, d.name AS d_name,
  d.mime_type AS d_mime, d.size AS d_size, d.sha256 AS d_sha256, d.blob_id AS d_blob, d.created_by AS d_created_by,
  d.created_at AS d_created, d.updated_at AS d_updated, d.version AS d_version, dc.id AS dc_id, dc.username AS dc_username,
  (SELECT dna.number FROM assets dna WHERE dna.id = d.asset_id) AS d_asset_number,
  (SELECT dnf.number FROM folders dnf WHERE dnf.id = d.folder_id) AS d_folder_number`;
const FILE_CREATOR = 'LEFT JOIN users dc ON dc.id = d.created_by';

/** A row of FILE_COLUMNS, mapped by hand. */
function toDataFileJoined(r: Row): DataFileJoined {
  return {
    file: {
      id: text(r.d_id),
      number: intOrNull(r.d_number),
      assetId: text(r.d_asset),
      folderId: textOrNull(r.d_folder),
      name: text(r.d_name),
      mimeType: text(r.d_mime),
      size: int(r.d_size),
      sha256: text(r.d_sha256),
      blobId: text(r.d_blob),
      createdBy: textOrNull(r.d_created_by),
      createdAt: int(r.d_created),
      updatedAt: int(r.d_updated),
      version: int(r.d_version),
    },
    creator: { id: textOrNull(r.dc_id), username: textOrNull(r.dc_username) },
    numbers: { asset: intOrNull(r.d_asset_number), folder: intOrNull(r.d_folder_number) },
  };
}

type DataFileWithBlob = DataFileJoined & { blob: { r2Key: string | null } };

interface DataFileWithAccess {
  files: DataFileWithBlob[];
  assets: AssetAccessRow[];
}

const WITH_ACCESS = variants();

/**
 * A data file with the R2 key of its body, its asset's rights and the caller check, in one
 * statement for `authed`. `fileId` may be SQL that finds it (idOfNumber); with `assetId`, only if
 * it is that asset's (none otherwise, as for an unknown id).
 */
export function dataFileWithAccess(_scope: Scope, fileId: IdRef, assetId?: IdRef): Statement<DataFileWithAccess> {
  const ref = refSql(fileId);
  const asset = assetId === undefined ? undefined : refSql(assetId);
  const on = `d.id = ${ref.text}${asset ? ` AND d.asset_id = ${asset.text}` : ''}`;
  const statement = WITH_ACCESS(`${ref.text}|${asset ? asset.text : ''}`, () =>
    assetItemAndCaller(`${FILE_COLUMNS}, b.r2_key AS b_key`, `LEFT JOIN data_files d ON ${on} ${FILE_CREATOR} LEFT JOIN blobs b ON b.id = d.blob_id ${joinAsset('d.asset_id')}`),
  );
  return new Statement(
    statement,
    asset ? [...ref.params, ...asset.params] : ref.params,
    (rows) => ({
      files: rows.filter((r) => r.d_id !== null).map((r) => ({ ...toDataFileJoined(r), blob: { r2Key: textOrNull(r.b_key) } })),
      assets: toAssetAccessRows(rows),
    }),
    true,
  );
}

/** 404 (as for an id that does not exist) unless the file is there (and is the asset's asked for) and the caller may `need` its asset. */
function requireDataFile(caller: Caller, found: DataFileWithAccess, need: AssetNeed) {
  const row = found.files[0];
  if (!row) throw problems.notFound('Data file');
  const access = requireAssetOf('Data file', caller, found.assets, need);
  return { row, access };
}

async function loadDataFile(scope: Scope, fileId: IdRef, need: AssetNeed, assetId?: IdRef) {
  const [caller, found] = await authed(scope, dataFileWithAccess(scope, fileId, assetId));
  return { caller, ...requireDataFile(caller, found, need) };
}

const notInAsset = () => problems.invalid([{ path: 'folder_id', message: 'No such folder in this asset.' }]);

export const dataListSpec: ListSpec<DataFileJoined, string> = {
  fields: {
    name: { expr: 'd.name', key: (r) => r.file.name },
    created_at: { expr: 'd.created_at', key: (r) => r.file.createdAt },
    size: { expr: 'd.size', key: (r) => r.file.size },
  },
  tiebreaker: { expr: 'd.id', key: (r) => r.file.id },
  defaultOrdering: 'name',
};

const LIST = variants();
const COUNT = variants();

/** The asset's files; `render` makes each row's representation (/v1's, or a dialect's from the same row). */
export async function listDataFiles<T = DataFileOut>(
  scope: Scope,
  assetId: IdRef,
  q: ListQuery & { folder?: string | undefined },
  url: string,
  render: (row: DataFileJoined) => T = toDataFile as unknown as (row: DataFileJoined) => T,
) {
  const plan = planTextPage(dataListSpec, q);
  const asset = refSql(assetId);
  const level = levelText('d.folder_id', q.folder);
  const variant = `${asset.text}|${level.variant}`;
  const where = `d.asset_id = ${asset.text}${level.text}`;
  const params = [...asset.params, ...level.params];
  const page = LIST(`${variant}|${plan.variant}`, () =>
    withCaller(`SELECT ${FILE_COLUMNS} FROM data_files d ${FILE_CREATOR} WHERE ${where} ${plan.keyset} ORDER BY ${plan.orderBy} LIMIT ? OFFSET ?`),
  );
  const count = COUNT(variant, () => withCaller(`SELECT count(*) AS n FROM data_files d WHERE ${where}`));
  // The rows are only shown once requireAsset has let the caller see the asset.
  const [caller, assetRows, rows, counted] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    new Statement(page, [...params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toDataFileJoined)),
    new Statement(count, params, (found) => (found[0]?.n as number | undefined) ?? 0),
  );
  requireAssetOf('Asset', caller, assetRows, 'read');
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map(render) };
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
  const [caller, found, folderRows] = await authed(scope, dataFileWithAccess(scope, fileId), folderById(scope, target ?? ''));
  const { row } = requireDataFile(caller, found, 'write');
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
