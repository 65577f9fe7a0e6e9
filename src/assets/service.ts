import { and, eq, sql, type SQL } from 'drizzle-orm';
import { projectAssetCount, VISIBLE_ASSET_COUNT } from '../auth/access';
import { authed, countWithCaller, withCaller, type Scope } from '../auth/caller';
import { conflictOnUnique } from '../db/errors';
import { ftsQuery } from '../db/fts';
import type { IdRef } from '../db/numbers';
import { assets, blobs, reports, type AssetRow } from '../db/schema';
import { Conditions, Statement, variants } from '../db/statement';
import { checkIfMatch, versionGuard } from '../http/etag';
import { planTextPage, textPageSql, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { orgWithRole, requireOrg, requireWritable } from '../organizations/access';
import { projectWithAccess, requireProject, requireProjectWritable } from '../projects/access';
import { discardObjects } from '../storage/logos';
import { flattenFolders } from '../folders/tree';
import { ASSET_COLUMNS, ASSET_FROM, assetWithAccess, loadAsset, requireAsset, requireAssetWritable, toAssetJoined, visibleA, type AssetAccessRow, type AssetJoined } from './access';
import { assetMoveReads, requireAssetMove, runAssetMove, type AssetMoveRows } from './move';
import { toAsset, type AssetChanges } from './schemas';
import { changeSet } from '../db/changes';

export const assetListSpec: ListSpec<AssetJoined, string> = {
  fields: {
    name: { expr: 'a.name', key: (r) => r.asset.name },
    created_at: { expr: 'a.created_at', key: (r) => r.asset.createdAt },
    updated_at: { expr: 'a.updated_at', key: (r) => r.asset.updatedAt },
  },
  tiebreaker: { expr: 'a.id', key: (r) => r.asset.id },
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

/** A list's filters as SQL text over `a` in a fixed order, their parameters, and which were given (the text's variant). */
function assetFilters(q: ListQuery & AssetFilters, project: string | undefined, located: boolean) {
  const c = new Conditions();
  const add = c.add.bind(c);
  if (project) add('p', 'a.project_id = ?', project);
  if (q.organization) add('o', 'a.organization_id = (SELECT id FROM organizations WHERE id = ? OR slug = ?)', q.organization, q.organization.toLowerCase());
  if (q.asset_status) add('s', 'a.asset_status = ?', q.asset_status);
  if (q.asset_type !== undefined) add('t', 'a.asset_type = ?', q.asset_type);
  if (q.bbox) {
    // The R*Tree stores 32-bit floats rounded outwards, so a point's box is a little larger than
    // the point: the tree finds the candidates whose box overlaps, the real columns decide (a
    // point on the edge of the bbox is inside).
    const [minLon, minLat, maxLon, maxLat] = q.bbox;
    add(
      'b',
      `a.seq IN (SELECT seq FROM assets_rtree WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?)
        AND a.lon BETWEEN ? AND ? AND a.lat BETWEEN ? AND ?`,
      minLon, maxLon, minLat, maxLat, minLon, maxLon, minLat, maxLat,
    );
  }
  if (located) add('l', 'a.lat IS NOT NULL AND a.lon IS NOT NULL');
  if (q.search) {
    const search = ftsQuery(q.search);
    if (search) add('f', 'a.seq IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH ?)', search);
    else add('n', '0');
  }
  return c;
}

const LIST = variants();
const COUNT = variants();

export interface AssetListOptions {
  scopeProject?: string;
  located?: boolean;
}

/**
 * The statements of a page of assets and its count (listAssets runs them with the scoped
 * project's read; scripts/bench/transam.mjs reads their query plans).
 */
export function assetListStatements(q: ListQuery & AssetFilters, opts: AssetListOptions = {}) {
  const plan = planTextPage(assetListSpec, q);
  const filters = assetFilters(q, opts.scopeProject ?? q.project, opts.located ?? false);
  // In one project, its visibility is checked once (requireProject); across projects, per row.
  const where = (form: 'page' | 'count') => [opts.scopeProject ? '' : visibleA(form), filters.text].filter(Boolean).join(' AND ') || '1';
  const variant = `${opts.scopeProject ? 'p' : 'v'}${filters.variant}`;
  const page = LIST(`${variant}|${plan.variant}`, () =>
    withCaller(textPageSql(plan, { columns: ASSET_COLUMNS, from: ASSET_FROM, where: where('page') }, { table: 'assets a', key: 'a.seq' })),
  );
  // Without a filter but the project, the count is added up from the kept counts (a row per
  // organisation and per project membership, or the project's own, at any size); a filter counts the rows it matches.
  const kept = filters.variant === '' || filters.variant === 'p';
  const count = COUNT(variant, () =>
    kept ? `SELECT ${filters.variant === 'p' ? projectAssetCount(Boolean(opts.scopeProject)) : VISIBLE_ASSET_COUNT}` : `SELECT count(*) FROM assets a WHERE ${where('count')}`,
  );
  return {
    plan,
    page: new Statement(page, [...filters.params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toAssetJoined)),
    count: countWithCaller(count, filters.params),
  };
}

/**
 * Assets the caller may see (`scopeProject`: one project's, 404 when it is hidden). `located`
 * keeps only assets with coordinates (for GeoJSON, so that pages stay full).
 */
export async function listAssets(scope: Scope, q: ListQuery & AssetFilters, url: string, opts: AssetListOptions = {}) {
  const { plan, page, count } = assetListStatements(q, opts);
  const [caller, rows, counted, ...scoped] = await authed(scope, page, count, ...(opts.scopeProject ? [projectWithAccess(scope, opts.scopeProject)] : []));
  if (opts.scopeProject) requireProject(caller, scoped[0]!, 'read');
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map(toAsset) };
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
