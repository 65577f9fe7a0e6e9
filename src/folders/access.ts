/**
 * Folders and data files take their rights from their asset (assets/access.ts): read for those
 * who see the asset, write for those who may change it, nothing while its project or
 * organisation is archived. An item whose asset the caller may not see is 404 exactly as an id
 * that does not exist, named as the item ("Folder does not exist."), never as the asset.
 */
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Caller, Scope } from '../auth/caller';
import { numberOfId, type IdRef } from '../db/numbers';
import { dataFiles, folders, users } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { Problem, problems } from '../http/problem';
import { assetWithAccess, requireAsset, requireAssetWritable, type AssetAccess, type AssetAccessRow, type AssetNeed } from '../assets/access';

/**
 * requireAsset (and, to write, requireAssetWritable), with the 404 naming `what`: a hidden
 * asset's item answers exactly like an item that does not exist.
 */
export function requireAssetOf(what: string, caller: Caller, rows: AssetAccessRow[], need: AssetNeed): AssetAccess {
  try {
    const access = requireAsset(caller, rows, need);
    if (need === 'write') requireAssetWritable(access);
    return access;
  } catch (error) {
    if (error instanceof Problem && error.status === 404) throw problems.notFound(what);
    throw error;
  }
}

const folderCreator = alias(users, 'folder_creator');

/** SELECT what a folder representation needs FROM folders (unique aliases: safe in a batch). */
export function selectFolders(scope: Scope) {
  return scope.db
    .select({
      folder: columnsAs(folders, 'f'),
      creator: pick({ id: folderCreator.id, username: folderCreator.username }, 'fc'),
      // The numbers of its asset and parent, for a dialect that names them by number.
      numbers: { asset: numberOfId('asset', folders.assetId).as('f_asset_number'), parent: numberOfId('folder', folders.parentId).as('f_parent_number') },
    })
    .from(folders)
    .leftJoin(folderCreator, eq(folderCreator.id, folders.createdBy));
}

export type FolderJoined = Awaited<ReturnType<typeof selectFolders>>[number];

/** A folder; with `assetId`, only if it is that asset's (none otherwise, as for an unknown id). */
export function folderById(scope: Scope, folderId: IdRef, assetId?: IdRef) {
  return selectFolders(scope)
    .where(and(eq(folders.id, folderId), assetId !== undefined ? eq(folders.assetId, assetId) : undefined))
    .limit(1);
}

/** SQL: the asset id of folder `folderId` (NULL when there is none). */
export const assetOfFolder = (folderId: IdRef): SQL<string | null> => sql<string | null>`(SELECT af.asset_id FROM folders af WHERE af.id = ${folderId})`;

/** SQL: `folderId` is a folder of asset `assetId`. */
export function folderInAsset(folderId: string, assetId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM folders tf WHERE tf.id = ${folderId} AND tf.asset_id = ${assetId})`;
}

/** A folder with its asset's rights, for `authed`: [folder rows, asset rows]. `folderId` may be SQL that finds it (idOfNumber). */
export function folderWithAccess(scope: Scope, folderId: IdRef, assetId?: IdRef) {
  return [folderById(scope, folderId, assetId), assetWithAccess(scope, assetOfFolder(folderId))] as const;
}

/** 404 (as for an id that does not exist) unless the folder is there and the caller may `need` its asset. */
export function requireFolder(caller: Caller, folderRows: FolderJoined[], assetRows: AssetAccessRow[], need: AssetNeed) {
  const row = folderRows[0];
  if (!row) throw problems.notFound('Folder');
  const access = requireAssetOf('Folder', caller, assetRows, need);
  return { row, access };
}

/** SQL: the rows at the level `ref` names (`root`: the top level, or a folder id) by their folder column; no filter when undefined. */
export function atLevel(column: typeof folders.parentId | typeof dataFiles.folderId, ref: IdRef | undefined): SQL | undefined {
  if (ref === undefined) return undefined;
  return ref === 'root' ? isNull(column) : eq(column, ref);
}

