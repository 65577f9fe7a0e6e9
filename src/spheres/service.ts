/**
 * Spheres: 360° photos of an asset. Rights are the asset's (assets/access.ts): those who see the
 * asset see its spheres; editors, managers and org admins of a writable project add, change and
 * delete them. The image is a blob in R2, written before the rows that name it; the sphere and
 * its blob row are inserted, and deleted, in one batch.
 */
import { and, eq, sql } from 'drizzle-orm';
import { isForeignKeyFailure } from '../db/errors';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Context } from 'hono';
import { authed, withCaller, type Caller, type Scope } from '../auth/caller';
import { refSql, type IdRef } from '../db/numbers';
import { blobs, spheres, users, type SphereRow } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { checkIfMatch, versionGuard } from '../http/etag';
import { int, intOrNull, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { planTextPage, type ListQuery, type ListSpec } from '../http/list';
import { Problem, problems } from '../http/problem';
import { newId } from '../lib/ids';
import { assetItemAndCaller, assetWithAccess, joinAsset, loadAsset, toAssetAccessRows, requireAsset, requireAssetWritable, type AssetAccess, type AssetAccessRow, type AssetNeed } from '../assets/access';
import { discardObjects } from '../storage/logos';
import { blobOwnedBy, objectResponse } from '../storage/objects';
import { storeFile, type IncomingFile } from '../storage/uploads';
import { SPHERE_TYPES, toSphere, type SphereChanges, type SphereInput, type SphereJoined } from './schemas';
import { changeSet } from '../db/changes';

const sphereCreator = alias(users, 'sphere_creator');

/**
 * SELECT a sphere with its image blob and creator, as a drizzle query, for batches of drizzle
 * queries (the change feed, changes/render.ts); the authenticated reads use the fixed statements
 * below.
 */
export function selectSpheres(scope: Scope) {
  return scope.db
    .select({ sphere: columnsAs(spheres, 's'), image: columnsAs(blobs, 'sb'), creator: pick({ id: sphereCreator.id, username: sphereCreator.username }, 'sc') })
    .from(spheres)
    .innerJoin(blobs, eq(blobs.id, spheres.blobId))
    .leftJoin(sphereCreator, eq(sphereCreator.id, spheres.createdBy));
}

/**
 * What a sphere representation needs, over `spheres s`, its image `sb` and creator `sc`. Fixed
 * SQL, rows mapped by hand (db/statement.ts): drizzle building and mapping them was most of a
 * read's own CPU in issue 11's measurements.
 */
const SPHERE_COLUMNS = `s.id AS s_id, s.number AS s_number, s.asset_id AS s_asset, s.name AS s_name, s.blob_id AS s_blob,
  s.captured_at AS s_captured, s.lat AS s_lat, s.lon AS s_lon, s.heading AS s_heading, s.created_by AS s_created_by,
  s.created_at AS s_created, s.updated_at AS s_updated, s.version AS s_version,
  sb.id AS sb_id, sb.organization_id AS sb_org, sb.r2_key AS sb_key, sb.size AS sb_size, sb.sha256 AS sb_sha256,
  sb.mime_type AS sb_type, sb.created_at AS sb_created, sc.id AS sc_id, sc.username AS sc_username`;
/** The image and creator of `spheres s`: the image by an inner join, as every sphere has one. */
const SPHERE_JOINS = 'JOIN blobs sb ON sb.id = s.blob_id LEFT JOIN users sc ON sc.id = s.created_by';

/** A row of SPHERE_COLUMNS, mapped by hand. */
function toSphereJoined(r: Row): SphereJoined {
  return {
    sphere: {
      id: text(r.s_id),
      number: intOrNull(r.s_number),
      assetId: text(r.s_asset),
      name: text(r.s_name),
      blobId: text(r.s_blob),
      capturedAt: intOrNull(r.s_captured),
      lat: r.s_lat as number | null,
      lon: r.s_lon as number | null,
      heading: r.s_heading as number | null,
      createdBy: textOrNull(r.s_created_by),
      createdAt: int(r.s_created),
      updatedAt: int(r.s_updated),
      version: int(r.s_version),
    },
    image: {
      id: text(r.sb_id),
      organizationId: text(r.sb_org),
      r2Key: text(r.sb_key),
      size: int(r.sb_size),
      sha256: text(r.sb_sha256),
      mimeType: text(r.sb_type),
      createdAt: int(r.sb_created),
    },
    creator: { id: textOrNull(r.sc_id), username: textOrNull(r.sc_username) },
  };
}

/** Spheres without captured_at sort as the earliest (SQLite's NULLS FIRST), under a key a cursor can carry. */
const NO_CAPTURE = -8_640_000_000_000_000;

export const sphereListSpec: ListSpec<SphereJoined, string> = {
  fields: {
    captured_at: { expr: `coalesce(s.captured_at, ${NO_CAPTURE})`, key: (r) => r.sphere.capturedAt ?? NO_CAPTURE },
    created_at: { expr: 's.created_at', key: (r) => r.sphere.createdAt },
    name: { expr: 's.name', key: (r) => r.sphere.name },
  },
  tiebreaker: { expr: 's.id', key: (r) => r.sphere.id },
  defaultOrdering: 'captured_at',
};


/** requireAsset, answering a hidden asset as a missing sphere (the caller asked for the sphere). */
function requireSphereAsset(caller: Caller, rows: AssetAccessRow[], need: AssetNeed): AssetAccess {
  try {
    return requireAsset(caller, rows, need);
  } catch (error) {
    if (error instanceof Problem && error.status === 404) throw problems.notFound('Sphere');
    throw error;
  }
}

const WITH_ACCESS = variants();

/**
 * The caller, the sphere, and its asset with the caller's rights, in one statement. `sphereId`
 * may be SQL that finds it (idOfNumber). `assetId` (the nested routes) names the asset read (a
 * hidden one is a missing asset) and requires the sphere to belong to it; without it, the asset
 * is the sphere's.
 */
function sphereWithAccess(sphereId: IdRef, assetId?: IdRef): Statement<{ spheres: SphereJoined[]; assets: AssetAccessRow[] }> {
  const ref = refSql(sphereId);
  const asset = assetId === undefined ? undefined : refSql(assetId);
  const statement = WITH_ACCESS(`${ref.text}|${asset ? asset.text : ''}`, () =>
    assetItemAndCaller(
      SPHERE_COLUMNS,
      asset
        ? `${joinAsset(asset.text)} LEFT JOIN (spheres s ${SPHERE_JOINS}) ON s.id = ${ref.text} AND s.asset_id = a.id`
        : `LEFT JOIN (spheres s ${SPHERE_JOINS}) ON s.id = ${ref.text} ${joinAsset('s.asset_id')}`,
    ),
  );
  return new Statement(
    statement,
    asset ? [...asset.params, ...ref.params] : ref.params,
    (rows) => ({ spheres: rows.filter((r) => r.s_id !== null).map(toSphereJoined), assets: toAssetAccessRows(rows) }),
    true,
  );
}

async function loadSphere(scope: Scope, sphereId: IdRef, need: AssetNeed, assetId?: IdRef) {
  const [caller, found] = await authed(scope, sphereWithAccess(sphereId, assetId));
  const access = assetId !== undefined ? requireAsset(caller, found.assets, need) : requireSphereAsset(caller, found.assets, need);
  const row = found.spheres[0];
  if (!row) throw problems.notFound('Sphere');
  if (need === 'write') requireAssetWritable(access);
  return { caller, access, row, sphere: toSphere(row, access.row.asset) };
}

const LIST = variants();
const COUNT = variants();

export async function listSpheres(scope: Scope, assetId: IdRef, q: ListQuery, url: string) {
  const plan = planTextPage(sphereListSpec, q);
  const asset = refSql(assetId);
  const page = LIST(`${asset.text}|${plan.variant}`, () =>
    withCaller(`SELECT ${SPHERE_COLUMNS} FROM spheres s ${SPHERE_JOINS} WHERE s.asset_id = ${asset.text} ${plan.keyset} ORDER BY ${plan.orderBy} LIMIT ? OFFSET ?`),
  );
  const count = COUNT(asset.text, () => withCaller(`SELECT count(*) AS n FROM spheres s WHERE s.asset_id = ${asset.text}`));
  const [caller, assetRows, rows, counted] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    new Statement(page, [...asset.params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toSphereJoined)),
    new Statement(count, asset.params, (found) => (found[0]?.n as number | undefined) ?? 0),
  );
  const { row } = requireAsset(caller, assetRows, 'read');
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map((r) => toSphere(r, row.asset)) };
}

export async function getSphere(scope: Scope, sphereId: IdRef, assetId?: IdRef) {
  return (await loadSphere(scope, sphereId, 'read', assetId)).sphere;
}

/** Uploads an image into an asset (two D1 round trips: the rights, then the rows). */
export async function createSphere(scope: Scope, assetId: string, input: SphereInput, file: IncomingFile) {
  const { caller, access } = await loadAsset(scope, assetId, 'write');
  const asset = access.row.asset;
  const image = await storeFile(scope, asset.organizationId, 'sphere', file, {
    maxBytes: scope.settings.uploadMaxBytes,
    allowedTypes: { types: SPHERE_TYPES, described: 'a JPEG, PNG or WebP image' },
  });
  const values = {
    id: newId('sph'),
    assetId: asset.id,
    name: input.name,
    blobId: image.id,
    capturedAt: input.captured_at ?? null,
    lat: input.lat ?? null,
    lon: input.lon ?? null,
    heading: input.heading ?? null,
    createdBy: caller.userId,
    createdAt: scope.now,
    updatedAt: scope.now,
  } satisfies typeof spheres.$inferInsert;
  let created: SphereRow | undefined;
  try {
    const owner = sql<string | null>`(SELECT organization_id FROM assets WHERE id = ${asset.id})`;
    [, [created]] = await scope.db.batch([scope.db.insert(blobs).values(blobOwnedBy(image, owner)), scope.db.insert(spheres).values(values).returning()]);
  } catch (error) {
    await discardObjects(scope, [image.r2Key]);
    if (isForeignKeyFailure(error)) throw problems.notFound('Asset');
    throw error;
  }
  return toSphere({ sphere: created!, image, creator: { id: caller.userId, username: caller.username } }, asset);
}

export async function updateSphere(scope: Scope, sphereId: string, changes: SphereChanges, ifMatch: string | undefined) {
  const { access, row, sphere } = await loadSphere(scope, sphereId, 'write');
  await checkIfMatch(ifMatch, sphere);
  const columns = { name: 'name', captured_at: 'capturedAt', lat: 'lat', lon: 'lon', heading: 'heading' };
  const set = changeSet(changes, columns, spheres.version, scope.now);
  const [updated] = await scope.db
    .update(spheres)
    .set(set as typeof spheres.$inferInsert)
    .where(and(eq(spheres.id, row.sphere.id), versionGuard(ifMatch, spheres.version, row.sphere.version)))
    .returning();
  if (!updated) throw problems.preconditionFailed();
  return toSphere({ ...row, sphere: updated }, access.row.asset);
}


/** The rows in one batch (guarded by If-Match), then the R2 object. */
export async function deleteSphere(scope: Scope, sphereId: string, ifMatch: string | undefined) {
  const { row, sphere } = await loadSphere(scope, sphereId, 'write');
  await checkIfMatch(ifMatch, sphere);
  const [deleted] = await scope.db.batch([
    scope.db
      .delete(spheres)
      .where(and(eq(spheres.id, row.sphere.id), versionGuard(ifMatch, spheres.version, row.sphere.version)))
      .returning({ id: spheres.id }),
    // The blob only once no sphere names it (the delete above may have been refused).
    scope.db.delete(blobs).where(and(eq(blobs.id, row.image.id), sql`NOT EXISTS (SELECT 1 FROM spheres sb WHERE sb.blob_id = ${row.image.id})`)),
  ]);
  if (deleted.length === 0) throw ifMatch ? problems.preconditionFailed() : problems.notFound('Sphere');
  scope.waitUntil(discardObjects(scope, [row.image.r2Key]));
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** The file name a download offers: the sphere's name, with the image's extension unless it has one. */
function imageFilename(name: string, mimeType: string): string {
  const ext = EXTENSIONS[mimeType];
  if (!ext || /\.(jpe?g|png|webp)$/i.test(name)) return name;
  return `${name}.${ext}`;
}

export async function sphereImage(c: Context, scope: Scope, sphereId: string): Promise<Response> {
  const { row } = await loadSphere(scope, sphereId, 'read');
  return objectResponse(c, scope.files, row.image.r2Key, { filename: imageFilename(row.sphere.name, row.image.mimeType), disposition: 'inline' });
}
