/**
 * The data tab (seed 000): one folder level of an asset, its folders first then its files, each
 * by name, as one list paged by limit and offset. One round trip: the caller, the asset's rights,
 * the folder listed, the page (a UNION ALL ordered by kind, name, id) and the two counts.
 */
import { and, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { authed, type Scope } from '../auth/caller';
import { assetWithAccess } from '../assets/access';
import { numberOf, numberOfId, type IdRef } from '../db/numbers';
import { dataFiles, folders, users } from '../db/schema';
import { atLevel, folderById, requireAssetOf } from '../folders/access';
import { toCreator, toFolder } from '../folders/schemas';
import { DEFAULT_LIMIT } from '../http/list';
import { problems } from '../http/problem';
import { iso } from '../lib/time';
import type { ContentItem } from './schemas';

const folderCreator = alias(users, 'item_folder_creator');
const fileCreator = alias(users, 'item_file_creator');

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
  const folderLevel = and(eq(folders.assetId, assetId), atLevel(folders.parentId, level));
  const fileLevel = and(eq(dataFiles.assetId, assetId), atLevel(dataFiles.folderId, level));

  // Both halves select the same columns under the same aliases; the first half's name them.
  const folderItems = scope.db
    .select({
      rank: sql<number>`0`.as('i_rank'),
      id: sql<string>`${folders.id}`.as('i_id'),
      number: sql<number | null>`${folders.number}`.as('i_number'),
      assetId: sql<string>`${folders.assetId}`.as('i_asset_id'),
      parentId: sql<string | null>`${folders.parentId}`.as('i_parent_id'),
      assetNumber: sql<number | null>`${numberOfId('asset', folders.assetId)}`.as('i_asset_number'),
      parentNumber: sql<number | null>`${numberOfId('folder', folders.parentId)}`.as('i_parent_number'),
      name: sql<string>`${folders.name}`.as('i_name'),
      mimeType: sql<string | null>`NULL`.as('i_mime_type'),
      size: sql<number | null>`NULL`.as('i_size'),
      sha256: sql<string | null>`NULL`.as('i_sha256'),
      creatorId: sql<string | null>`${folderCreator.id}`.as('i_creator_id'),
      creatorName: sql<string | null>`${folderCreator.username}`.as('i_creator_name'),
      createdAt: sql<number>`${folders.createdAt}`.as('i_created_at'),
      updatedAt: sql<number>`${folders.updatedAt}`.as('i_updated_at'),
    })
    .from(folders)
    .leftJoin(folderCreator, eq(folderCreator.id, folders.createdBy))
    .where(folderLevel);
  const fileItems = scope.db
    .select({
      rank: sql<number>`1`.as('i_rank'),
      id: sql<string>`${dataFiles.id}`.as('i_id'),
      number: sql<number | null>`${dataFiles.number}`.as('i_number'),
      assetId: sql<string>`${dataFiles.assetId}`.as('i_asset_id'),
      parentId: sql<string | null>`${dataFiles.folderId}`.as('i_parent_id'),
      assetNumber: sql<number | null>`${numberOfId('asset', dataFiles.assetId)}`.as('i_asset_number'),
      parentNumber: sql<number | null>`${numberOfId('folder', dataFiles.folderId)}`.as('i_parent_number'),
      name: sql<string>`${dataFiles.name}`.as('i_name'),
      mimeType: sql<string | null>`${dataFiles.mimeType}`.as('i_mime_type'),
      size: sql<number | null>`${dataFiles.size}`.as('i_size'),
      sha256: sql<string | null>`${dataFiles.sha256}`.as('i_sha256'),
      creatorId: sql<string | null>`${fileCreator.id}`.as('i_creator_id'),
      creatorName: sql<string | null>`${fileCreator.username}`.as('i_creator_name'),
      createdAt: sql<number>`${dataFiles.createdAt}`.as('i_created_at'),
      updatedAt: sql<number>`${dataFiles.updatedAt}`.as('i_updated_at'),
    })
    .from(dataFiles)
    .leftJoin(fileCreator, eq(fileCreator.id, dataFiles.createdBy))
    .where(fileLevel);

  const [caller, assetRows, folderRows, rows, folderCount, fileCount] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    folderById(scope, parentId ?? '', assetId),
    folderItems
      .unionAll(fileItems)
      .orderBy(sql`i_rank`, sql`i_name`, sql`i_id`)
      .limit(limit)
      .offset(offset),
    scope.db.select({ n: sql<number>`count(*)` }).from(folders).where(folderLevel),
    scope.db.select({ n: sql<number>`count(*)` }).from(dataFiles).where(fileLevel),
  );
  requireAssetOf('Asset', caller, assetRows, 'read');
  const current = folderRows[0];
  if (parentId !== null && !current) throw problems.notFound('Folder');

  const counts = { folders: folderCount[0]?.n ?? 0, files: fileCount[0]?.n ?? 0 };
  const count = counts.folders + counts.files;
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
  return { count, counts, next, previous, folder: current && parentId !== null ? toFolder(current) : null, results, link };
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
