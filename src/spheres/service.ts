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
import { authed, type Caller, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { blobs, spheres, users, type SphereRow } from '../db/schema';
import { columnsAs, pick } from '../db/select';
import { checkIfMatch, versionGuard } from '../http/etag';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { Problem, problems } from '../http/problem';
import { newId } from '../lib/ids';
import { assetWithAccess, loadAsset, requireAsset, requireAssetWritable, type AssetAccess, type AssetAccessRow, type AssetNeed } from '../assets/access';
import { discardObjects } from '../storage/logos';
import { blobOwnedBy, objectResponse } from '../storage/objects';
import { storeFile, type IncomingFile } from '../storage/uploads';
import { SPHERE_TYPES, toSphere, type SphereChanges, type SphereInput } from './schemas';
import { changeSet } from '../db/changes';

const sphereCreator = alias(users, 'sphere_creator');

/** SELECT a sphere with its image blob and creator (columns aliased for batches). */
export function selectSpheres(scope: Scope) {
  return scope.db
    .select({ sphere: columnsAs(spheres, 's'), image: columnsAs(blobs, 'sb'), creator: pick({ id: sphereCreator.id, username: sphereCreator.username }, 'sc') })
    .from(spheres)
    .innerJoin(blobs, eq(blobs.id, spheres.blobId))
    .leftJoin(sphereCreator, eq(sphereCreator.id, spheres.createdBy));
}

type SphereListRow = Awaited<ReturnType<typeof selectSpheres>>[number];

/** Spheres without captured_at sort as the earliest (SQLite's NULLS FIRST), under a key a cursor can carry. */
const NO_CAPTURE = -8_640_000_000_000_000;

export const sphereListSpec: ListSpec<SphereListRow> = {
  fields: {
    captured_at: { expr: sql`coalesce(${spheres.capturedAt}, ${NO_CAPTURE})`, key: (r) => r.sphere.capturedAt ?? NO_CAPTURE },
    created_at: { expr: spheres.createdAt, key: (r) => r.sphere.createdAt },
    name: { expr: spheres.name, key: (r) => r.sphere.name },
  },
  tiebreaker: { expr: spheres.id, key: (r) => r.sphere.id },
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

/**
 * One round trip: the caller, the sphere, and its asset with the caller's rights. `sphereId` may
 * be SQL that finds it (idOfNumber). `assetId` (the nested routes) also requires the sphere to
 * belong to that asset.
 */
async function loadSphere(scope: Scope, sphereId: IdRef, need: AssetNeed, assetId?: IdRef) {
  const where = and(eq(spheres.id, sphereId), assetId !== undefined ? eq(spheres.assetId, assetId) : undefined);
  const [caller, assetRows, rows] = await authed(
    scope,
    assetWithAccess(scope, assetId ?? sql<string | null>`(SELECT sx.asset_id FROM spheres sx WHERE sx.id = ${sphereId})`),
    selectSpheres(scope).where(where).limit(1),
  );
  const access = assetId !== undefined ? requireAsset(caller, assetRows, need) : requireSphereAsset(caller, assetRows, need);
  const row = rows[0];
  if (!row) throw problems.notFound('Sphere');
  if (need === 'write') requireAssetWritable(access);
  return { caller, access, row, sphere: toSphere(row, access.row.asset) };
}

export async function listSpheres(scope: Scope, assetId: IdRef, q: ListQuery, url: string) {
  const plan = planPage(sphereListSpec, q);
  const filters = eq(spheres.assetId, assetId);
  const [caller, assetRows, rows, counted] = await authed(
    scope,
    assetWithAccess(scope, assetId),
    paged(selectSpheres(scope).$dynamic(), plan, filters),
    scope.db.select({ n: sql<number>`count(*)` }).from(spheres).where(filters),
  );
  const { row: asset } = requireAsset(caller, assetRows, 'read');
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map((r) => toSphere(r, asset.asset)) };
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
