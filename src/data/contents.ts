/**
 * The data tab (seed 000): one folder level of an asset, its folders first then its files, each
 * by name, as one list paged by limit and offset. One round trip: the caller, the asset's rights,
 * the folder listed, the page (a UNION ALL ordered by kind, name, id) and the two counts.
 */
import { authed, withCaller, type Scope } from '../auth/caller';
import { assetWithAccess } from '../assets/access';
import { numberOf, refSql, type IdRef } from '../db/numbers';
import { int, intOrNull, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { folderById, levelText, requireAssetOf } from '../folders/access';
import { toCreator, toFolder } from '../folders/schemas';
import { DEFAULT_LIMIT } from '../http/list';
import { problems } from '../http/problem';
import { iso } from '../lib/time';
import type { ContentItem } from './schemas';

/**
 * One half of the page, folders or files, over `t` and its creator `c`: both halves select the
 * same columns under the same aliases. Fixed SQL, rows mapped by hand (db/statement.ts): drizzle
 * building and mapping them was most of a read's own CPU in issue 11's measurements.
 */
const half = (rank: 0 | 1, table: string, t: string, parent: string, file: boolean) => `SELECT ${rank} AS i_rank, ${t}.id AS i_id,
    ${t}.number AS i_number, ${t}.asset_id AS i_asset_id, ${t}.${parent} AS i_parent_id,
    (SELECT ${t}na.number FROM assets ${t}na WHERE ${t}na.id = ${t}.asset_id) AS i_asset_number,
    (SELECT ${t}nf.number FROM folders ${t}nf WHERE ${t}nf.id = ${t}.${parent}) AS i_parent_number, ${t}.name AS i_name,
    ${file ? `${t}.mime_type` : 'NULL'} AS i_mime_type, ${file ? `${t}.size` : 'NULL'} AS i_size, ${file ? `${t}.sha256` : 'NULL'} AS i_sha256,
    ${t}c.id AS i_creator_id, ${t}c.username AS i_creator_name, ${t}.created_at AS i_created_at, ${t}.updated_at AS i_updated_at
  FROM ${table} ${t} LEFT JOIN users ${t}c ON ${t}c.id = ${t}.created_by`;
const FOLDER_HALF = half(0, 'folders', 'f', 'parent_id', false);
const FILE_HALF = half(1, 'data_files', 'd', 'folder_id', true);

/** A row of the page, mapped by hand. */
const toContentRow = (r: Row): ContentRow => ({
  rank: int(r.i_rank),
  id: text(r.i_id),
  number: intOrNull(r.i_number),
  assetId: text(r.i_asset_id),
  parentId: textOrNull(r.i_parent_id),
  assetNumber: intOrNull(r.i_asset_number),
  parentNumber: intOrNull(r.i_parent_number),
  name: text(r.i_name),
  mimeType: textOrNull(r.i_mime_type),
  size: intOrNull(r.i_size),
  sha256: textOrNull(r.i_sha256),
  creatorId: textOrNull(r.i_creator_id),
  creatorName: textOrNull(r.i_creator_name),
  createdAt: int(r.i_created_at),
  updatedAt: int(r.i_updated_at),
});

const PAGE = variants();
const COUNTS = variants();

export interface ContentsQuery {
  /** `root` (the default) or the folder listed: its id, or SQL that finds it (idOfNumber). */
  folder?: IdRef | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

function pageLink(url: string, limit: number, offset: number): string {
  const u = new URL(url);
  u.searchParams.set('limit', String(limit));
  u.searchParams.set('offset', String(offset));
  return u.toString();
}

/**
 * `render` makes each item's representation from its row (/v1's ContentItem by default; a dialect
 * renders its own from the same row, which also holds the numbers of the asset and parent folder).
 */
export async function listContents<T = ContentItem>(scope: Scope, assetId: IdRef, q: ContentsQuery, url: string, render: (row: ContentRow) => T = toContentItem as unknown as (row: ContentRow) => T) {
  const parentId = q.folder === undefined || q.folder === 'root' ? null : q.folder;
  const limit = q.limit ?? DEFAULT_LIMIT;
  const offset = q.offset ?? 0;
  const level = parentId ?? 'root';
  const asset = refSql(assetId);
  const folderLevel = levelText('f.parent_id', level);
  const fileLevel = levelText('d.folder_id', level);
  const variant = `${asset.text}|${folderLevel.variant}`;
  const folderWhere = `f.asset_id = ${asset.text}${folderLevel.text}`;
  const fileWhere = `d.asset_id = ${asset.text}${fileLevel.text}`;
  const params = [...asset.params, ...folderLevel.params, ...asset.params, ...fileLevel.params];
  const page = PAGE(variant, () =>
    withCaller(`${FOLDER_HALF} WHERE ${folderWhere} UNION ALL ${FILE_HALF} WHERE ${fileWhere} ORDER BY i_rank, i_name, i_id LIMIT ? OFFSET ?`),
  );
  const counts = COUNTS(variant, () =>
    withCaller(`SELECT (SELECT count(*) FROM folders f WHERE ${folderWhere}) AS folders, (SELECT count(*) FROM data_files d WHERE ${fileWhere}) AS files`),
  );

  const [caller, assetRows, folderRows, rows, counted] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    folderById(scope, parentId ?? '', assetId),
    new Statement(page, [...params, limit, offset], (found) => found.map(toContentRow)),
    new Statement(counts, params, (found) => ({ folders: (found[0]?.folders as number | undefined) ?? 0, files: (found[0]?.files as number | undefined) ?? 0 })),
  );
  requireAssetOf('Asset', caller, assetRows, 'read');
  const current = folderRows[0];
  if (parentId !== null && !current) throw problems.notFound('Folder');

  const count = counted.folders + counted.files;
  const results = rows.map(render);
  const next = offset + limit < count ? pageLink(url, limit, offset + limit) : null;
  const previous = offset > 0 && count > 0 ? pageLink(url, limit, Math.max(0, Math.min(offset, count) - limit)) : null;
  const last = Math.max(0, Math.floor((count - 1) / limit) * limit);
  const link = [
    `<${pageLink(url, limit, 0)}>; rel="first"`,
    previous ? `<${previous}>; rel="prev"` : null,
    next ? `<${next}>; rel="next"` : null,
    `<${pageLink(url, limit, last)}>; rel="last"`,
  ]
    .filter(Boolean)
    .join(', ');
  return { count, counts: counted, next, previous, folder: current && parentId !== null ? toFolder(current) : null, results, link };
}

/** A row of the contents page: a folder (rank 0) or a file (rank 1). */
export interface ContentRow {
  rank: number;
  id: string;
  number: number | null;
  assetId: string;
  parentId: string | null;
  assetNumber: number | null;
  parentNumber: number | null;
  name: string;
  mimeType: string | null;
  size: number | null;
  sha256: string | null;
  creatorId: string | null;
  creatorName: string | null;
  createdAt: number;
  updatedAt: number;
}

function toContentItem(r: ContentRow): ContentItem {
  const common = { id: r.id, number: numberOf(r), asset_id: r.assetId, name: r.name, created_by: toCreator({ id: r.creatorId, username: r.creatorName }) };
  const times = { created_at: iso(r.createdAt), updated_at: iso(r.updatedAt) };
  if (r.rank === 0) return { kind: 'folder' as const, ...common, parent_id: r.parentId, ...times };
  return {
    kind: 'file' as const,
    ...common,
    folder_id: r.parentId,
    mime_type: r.mimeType ?? 'application/octet-stream',
    size: r.size ?? 0,
    sha256: r.sha256 ?? '',
    ...times,
    download_url: `/v1/data/${r.id}/download`,
  };
}
