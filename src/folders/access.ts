/**
 * Folders and data files take their rights from their asset (assets/access.ts): read for those
 * who see the asset, write for those who may change it, nothing while its project or
 * organisation is archived. An item whose asset the caller may not see is 404 exactly as an id
 * that does not exist, named as the item ("Folder does not exist."), never as the asset.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { withCaller, type Caller, type Scope } from '../auth/caller';
import { numberOfId, refSql, type IdRef } from '../db/numbers';
import { folders, users, type FolderRow } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { int, intOrNull, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { Problem, problems } from '../http/problem';
import { assetItemAndCaller, joinAsset, requireAsset, requireAssetWritable, toAssetAccessRows, type AssetAccess, type AssetAccessRow, type AssetNeed } from '../assets/access';

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

/**
 * SELECT what a folder representation needs FROM folders, as a drizzle query, for batches of
 * drizzle queries (the change feed, changes/render.ts); the authenticated reads use the fixed
 * statements below.
 */
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

export interface FolderJoined {
  folder: FolderRow;
  creator: { id: string | null; username: string | null };
  /** The numbers of its asset and parent, for a dialect that names them by number. */
  numbers: { asset: number | null; parent: number | null };
}

/**
 * What a folder representation needs, over `folders f` and its creator `fc`. Fixed SQL, rows
 * mapped by hand (db/statement.ts): drizzle building and mapping them was most of a read's own
 * CPU in issue 11's measurements (0.5 ms of a GET of one item, 1.5 ms of a page of 50).
 */
export const FOLDER_COLUMNS = `f.id AS f_id, f.number AS f_number, f.asset_id AS f_asset, f.parent_id AS f_parent, f.name AS f_name,
  f.created_by AS f_created_by, f.created_at AS f_created, f.updated_at AS f_updated, f.version AS f_version,
  fc.id AS fc_id, fc.username AS fc_username,
  (SELECT fna.number FROM assets fna WHERE fna.id = f.asset_id) AS f_asset_number,
  (SELECT fnp.number FROM folders fnp WHERE fnp.id = f.parent_id) AS f_parent_number`;
const FOLDER_CREATOR = 'LEFT JOIN users fc ON fc.id = f.created_by';
export const FOLDER_FROM = `folders f ${FOLDER_CREATOR}`;

/** A row of FOLDER_COLUMNS, mapped by hand. */
export function toFolderJoined(r: Row): FolderJoined {
  return {
    folder: {
      id: text(r.f_id),
      number: intOrNull(r.f_number),
      assetId: text(r.f_asset),
      parentId: textOrNull(r.f_parent),
      name: text(r.f_name),
      createdBy: textOrNull(r.f_created_by),
      createdAt: int(r.f_created),
      updatedAt: int(r.f_updated),
      version: int(r.f_version),
    },
    creator: { id: textOrNull(r.fc_id), username: textOrNull(r.fc_username) },
    numbers: { asset: intOrNull(r.f_asset_number), parent: intOrNull(r.f_parent_number) },
  };
}

const BY_ID = variants();

/** SQL: `folders f` whose id is `ref` and (`asset`) whose asset is `asset`, as the ON of a join or a WHERE. */
function folderRef(folderId: IdRef, assetId: IdRef | undefined) {
  const ref = refSql(folderId);
  const asset = assetId === undefined ? undefined : refSql(assetId);
  return {
    key: `${ref.text}|${asset ? asset.text : ''}`,
    on: `f.id = ${ref.text}${asset ? ` AND f.asset_id = ${asset.text}` : ''}`,
    params: asset ? [...ref.params, ...asset.params] : ref.params,
  };
}

/** A folder; with `assetId`, only if it is that asset's (none otherwise, as for an unknown id). */
export function folderById(_scope: Scope, folderId: IdRef, assetId?: IdRef): Statement<FolderJoined[]> {
  const ref = folderRef(folderId, assetId);
  const statement = BY_ID(ref.key, () => withCaller(`SELECT ${FOLDER_COLUMNS} FROM ${FOLDER_FROM} WHERE ${ref.on} LIMIT 1`));
  return new Statement(statement, ref.params, (rows) => rows.map(toFolderJoined));
}

/** SQL: `folderId` is a folder of asset `assetId`. */
export function folderInAsset(folderId: string, assetId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM folders tf WHERE tf.id = ${folderId} AND tf.asset_id = ${assetId})`;
}

export interface FolderWithAccess {
  folders: FolderJoined[];
  assets: AssetAccessRow[];
}

const WITH_ACCESS = variants();

/**
 * A folder with its asset's rights and the caller check, in one statement for `authed`.
 * `folderId` may be SQL that finds it (idOfNumber); with `assetId`, only if it is that asset's.
 */
export function folderWithAccess(_scope: Scope, folderId: IdRef, assetId?: IdRef): Statement<FolderWithAccess> {
  const ref = folderRef(folderId, assetId);
  const statement = WITH_ACCESS(ref.key, () => assetItemAndCaller(FOLDER_COLUMNS, `LEFT JOIN folders f ON ${ref.on} ${FOLDER_CREATOR} ${joinAsset('f.asset_id')}`));
  return new Statement(
    statement,
    ref.params,
    (rows) => ({ folders: rows.filter((r) => r.f_id !== null).map(toFolderJoined), assets: toAssetAccessRows(rows) }),
    true,
  );
}

/** 404 (as for an id that does not exist) unless the folder is there and the caller may `need` its asset. */
export function requireFolder(caller: Caller, found: FolderWithAccess, need: AssetNeed) {
  const row = found.folders[0];
  if (!row) throw problems.notFound('Folder');
  const access = requireAssetOf('Folder', caller, found.assets, need);
  return { row, access };
}

/**
 * atLevel as SQL text for fixed statements: ` AND …` over `column` (or '') with its parameters,
 * and the variant it makes of a statement's text (none, the top level, or one folder by id or
 * by a number's SQL).
 */
export function levelText(column: string, ref: IdRef | undefined): { text: string; params: unknown[]; variant: string } {
  if (ref === undefined) return { text: '', params: [], variant: '' };
  if (ref === 'root') return { text: ` AND ${column} IS NULL`, params: [], variant: 'r' };
  const folder = refSql(ref);
  return { text: ` AND ${column} = ${folder.text}`, params: folder.params, variant: `f${folder.text}` };
}
