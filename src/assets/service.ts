import { and, eq, isNotNull, sql, type SQL } from 'drizzle-orm';
import { authed, type Scope } from '../auth/caller';
import { conflictOnUnique } from '../db/errors';
import { ftsQuery } from '../db/fts';
import type { IdRef } from '../db/numbers';
import { assets, blobs, organizations, reports, type AssetRow } from '../db/schema';
import { checkIfMatch, versionGuard } from '../http/etag';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { orgRef, orgWithRole, requireOrg, requireWritable } from '../organizations/access';
import { projectWithAccess, requireProject, requireProjectWritable } from '../projects/access';
import { discardObjects } from '../storage/logos';
import { flattenFolders } from '../folders/tree';
import { assetWithAccess, loadAsset, requireAsset, requireAssetWritable, selectAssets, visibleAsset, type AssetAccessRow } from './access';
import { assetMoveReads, requireAssetMove, runAssetMove, type AssetMoveRows } from './move';
import { toAsset, type AssetChanges } from './schemas';
import { changeSet } from '../db/changes';

type AssetListRow = Awaited<ReturnType<typeof selectAssets<{}>>>[number];

export const assetListSpec: ListSpec<AssetListRow> = {
  fields: {
    name: { expr: assets.name, key: (r) => r.asset.name },
    created_at: { expr: assets.createdAt, key: (r) => r.asset.createdAt },
    updated_at: { expr: assets.updatedAt, key: (r) => r.asset.updatedAt },
  },
  tiebreaker: { expr: assets.id, key: (r) => r.asset.id },
  defaultOrdering: 'name',
};

export interface AssetFilters {
  project?: string | undefined;
  organization?: string | undefined;
  asset_status?: string | undefined;
  asset_type?: string | undefined;
  /** minLon, minLat, maxLon, maxLat */
  bbox?: [number, number, number, number] | undefined;
}

/**
 * Assets the caller may see (`scopeProject`: one project's, 404 when it is hidden). `located`
 * keeps only assets with coordinates (for GeoJSON, so that pages stay full).
 */
export async function listAssets(scope: Scope, q: ListQuery & AssetFilters, url: string, opts: { scopeProject?: string; located?: boolean } = {}) {
  const plan = planPage(assetListSpec, q);
  const search = q.search ? ftsQuery(q.search) : null;
  const project = opts.scopeProject ?? q.project;
  const narrowing = and(
    project ? eq(assets.projectId, project) : undefined,
    q.organization ? eq(assets.organizationId, sql`(SELECT id FROM ${organizations} WHERE ${orgRef(q.organization)})`) : undefined,
    q.asset_status ? eq(assets.assetStatus, q.asset_status as AssetRow['assetStatus']) : undefined,
    q.asset_type !== undefined ? eq(assets.assetType, q.asset_type) : undefined,
    // The R*Tree stores 32-bit floats rounded outwards, so a point's box is a little larger than
    // the point: the tree finds the candidates whose box overlaps, the real columns decide (a
    // point on the edge of the bbox is inside).
    q.bbox
      ? sql`${assets.seq} IN (SELECT seq FROM assets_rtree WHERE max_lon >= ${q.bbox[0]} AND min_lon <= ${q.bbox[2]} AND max_lat >= ${q.bbox[1]} AND min_lat <= ${q.bbox[3]})
          AND ${assets.lon} BETWEEN ${q.bbox[0]} AND ${q.bbox[2]} AND ${assets.lat} BETWEEN ${q.bbox[1]} AND ${q.bbox[3]}`
      : undefined,
    opts.located ? and(isNotNull(assets.lat), isNotNull(assets.lon)) : undefined,
    q.search ? (search ? sql`${assets.seq} IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH ${search})` : sql`0`) : undefined,
  );
  // In one project, its visibility is checked once (requireProject); across projects, per row.
  const visible = (form: 'page' | 'count') => (opts.scopeProject ? undefined : visibleAsset(scope, form));
  const [caller, rows, counted, ...scoped] = await authed(
    scope,
    paged(selectAssets(scope, {}).$dynamic(), plan, and(visible('page'), narrowing)),
    scope.db.select({ n: sql<number>`count(*)` }).from(assets).where(and(visible('count'), narrowing)),
    ...(opts.scopeProject ? [projectWithAccess(scope, opts.scopeProject)] : []),
  );
  if (opts.scopeProject) requireProject(caller, scoped[0]!, 'read');
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map(toAsset) };
}

export async function getAsset(scope: Scope, assetId: IdRef) {
  const { access } = await loadAsset(scope, assetId, 'read');
  return toAsset(access.row);
}

export type NewAsset = AssetChanges & { name: string };

function assetValues(input: NewAsset) {
  return {
    assetTag: input.asset_tag ?? null,
    name: input.name,
    description: input.description ?? '',
    assetType: input.asset_type ?? '',
    assetSubtype: input.asset_subtype ?? '',
    assetStatus: input.asset_status ?? 'Active',
    location: input.location ?? '',
    lat: input.lat ?? null,
    lon: input.lon ?? null,
    inServiceDate: input.in_service_date ?? null,
    attributes: input.attributes ?? {},
  };
}

/**
 * In a project (editors, managers, org admins), or of an organisation alone (its admins). Two
 * round trips: the representation is built from what was read and what the insert returned.
 */
export async function createAsset(scope: Scope, where: { project: IdRef } | { organization: string }, input: NewAsset) {
  let organization: AssetAccessRow['organization'];
  let project: { id: string | null; number: number | null; name: string | null } = { id: null, number: null, name: null };
  let caller;
  if ('project' in where) {
    const [c, rows] = await authed(scope, projectWithAccess(scope, where.project));
    caller = c;
    const access = requireProject(caller, rows, 'write');
    requireProjectWritable(access);
    organization = { ...access.organization, archived: access.orgArchived };
    project = access.project;
  } else {
    const [c, rows] = await authed(scope, orgWithRole(scope, where.organization));
    caller = c;
    const org = requireOrg(caller, rows, 'admin');
    requireWritable(org);
    organization = { id: org.org.id, number: org.org.number, slug: org.org.slug, name: org.org.name, archived: org.org.archived };
  }
  const [created] = await conflictOnUnique(
    scope.db
      .insert(assets)
      .values({
        id: newId('ast'),
        organizationId: organization.id,
        projectId: project.id,
        ...assetValues(input),
        createdBy: caller.userId,
        createdAt: scope.now,
        updatedAt: scope.now,
      })
      .returning(),
  );
  return toAsset({ asset: created!, organization, project, creator: { id: caller.userId, username: caller.username } });
}

/** Editors, managers and org admins change the fields; `project_id` moves the asset (move.ts). */
/** An asset's changes; `project_id` names the target project by id or, from a dialect, by a number's SQL (idOfNumber). */
export type AssetUpdate = Omit<AssetChanges, 'project_id'> & { project_id?: IdRef | null | undefined };

export async function updateAsset(scope: Scope, assetId: IdRef, update: AssetUpdate, ifMatch: string | undefined) {
  const { project_id: target, ...changes } = update;
  const [caller, rows, ...more] = await authed(scope, assetWithAccess(scope, assetId), ...(target === undefined ? [] : assetMoveReads(scope, assetId, target)));
  const access = requireAsset(caller, rows, 'write');
  requireAssetWritable(access);
  const destination = target === undefined ? null : requireAssetMove(caller, access, target, more as unknown as AssetMoveRows);
  const current = access.row.asset;
  await checkIfMatch(ifMatch, toAsset(access.row));
  const columns: Record<keyof typeof changes, keyof AssetRow> = {
    asset_tag: 'assetTag',
    name: 'name',
    description: 'description',
    asset_type: 'assetType',
    asset_subtype: 'assetSubtype',
    asset_status: 'assetStatus',
    location: 'location',
    lat: 'lat',
    lon: 'lon',
    in_service_date: 'inServiceDate',
    attributes: 'attributes',
  };
  const set = changeSet(changes, columns, assets.version, scope.now);
  if (destination) return toAsset({ ...access.row, asset: await runAssetMove(scope, access, destination, set, ifMatch), project: destination });
  // `project_id` naming where the asset was read: it must still be there, or the answer would claim a place it left meanwhile.
  const stays = target === undefined ? undefined : sql`${assets.projectId} IS ${current.projectId}`;
  const [updated] = await conflictOnUnique(
    scope.db
      .update(assets)
      .set(set as typeof assets.$inferInsert)
      .where(and(eq(assets.id, current.id), versionGuard(ifMatch, assets.version, current.version), stays))
      .returning(),
  );
  if (!updated) {
    if (ifMatch || target === undefined) throw problems.preconditionFailed();
    throw problems.conflict('The asset or its new project changed meanwhile; fetch them again and retry.');
  }
  return toAsset({ ...access.row, asset: updated });
}

/** SQL: the blobs of everything stored under the assets `assetIds` (a subquery or a list). */
export function blobsUnderAssets(assetIds: SQL): SQL {
  return sql`${blobs.id} IN (SELECT blob_id FROM data_files WHERE asset_id IN ${assetIds}
    UNION ALL SELECT blob_id FROM spheres WHERE asset_id IN ${assetIds}
    UNION ALL SELECT blob_id FROM reports WHERE asset_id IN ${assetIds} AND blob_id IS NOT NULL)`;
}

/** Deletes the asset and everything under it; rows first (one batch), R2 objects after. */
export async function deleteAsset(scope: Scope, assetRef: IdRef, ifMatch: string | undefined) {
  const blobsOf = (ref: IdRef) => blobsUnderAssets(sql`(${ref})`);
  const [caller, rows, stored] = await authed(scope, assetWithAccess(scope, assetRef), scope.db.select({ key: blobs.r2Key }).from(blobs).where(blobsOf(assetRef)));
  const access = requireAsset(caller, rows, 'write');
  requireAssetWritable(access);
  await checkIfMatch(ifMatch, toAsset(access.row));
  const assetId = access.row.asset.id;
  const under = blobsOf(assetId);
  await scope.db.batch([
    // Blob rows while the children still name them; the children go with the asset (cascade).
    scope.db.delete(blobs).where(under),
    scope.db.delete(reports).where(eq(reports.assetId, assetId)),
    flattenFolders(scope, { ofAssets: sql`(${assetId})` }),
    scope.db.delete(assets).where(eq(assets.id, assetId)),
  ]);
  // A file added between the two round trips loses its row here and its object to the sweep.
  scope.waitUntil(discardObjects(scope, stored.map((b) => b.key)));
}
