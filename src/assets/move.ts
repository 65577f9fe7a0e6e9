/**
 * Moving an asset to another project of its organisation, or out of every project (issue 15):
 * PATCH /v1/assets/{asset} with `project_id` (seed 000's PATCH sends it; null: the organisation
 * alone). The caller must write the asset and its destination: a writer of the target project,
 * or an admin of the organisation for an asset of the organisation alone.
 *
 * Its folders, data files and spheres follow (they hang on the asset), and so do its reports: a
 * report about an asset is in the asset's project (migrations/0012 refuses one made from a read
 * before the move). A report needs a project, so an asset with reports cannot leave every project
 * (409). What moves is updated (version + 1). Its organisation, and so its tag, its blobs and its
 * resources, stay as they are. One batch, every statement guarded by "the asset and the target
 * are still as read" (`still`), the asset's own update last.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Caller, ResultOf, Scope } from '../auth/caller';
import { touched } from '../db/changes';
import { conflictOnUnique } from '../db/errors';
import type { IdRef } from '../db/numbers';
import { assets, dataFiles, folders, reports, spheres, type AssetRow } from '../db/schema';
import { problems } from '../http/problem';
import { projectWithAccess, requireProject, requireProjectWritable } from '../projects/access';
import type { AssetAccess } from './access';

/** The reads a move adds to the asset's own (same round trip): the target project with the caller's rights, and whether the asset has reports. */
export function assetMoveReads(scope: Scope, assetId: IdRef, target: IdRef | null) {
  return [
    projectWithAccess(scope, target ?? ''),
    scope.db.select({ id: reports.id }).from(reports).where(eq(reports.assetId, assetId)).limit(1),
  ] as const;
}

type Reads = ReturnType<typeof assetMoveReads>;
export type AssetMoveRows = { [K in keyof Reads]: ResultOf<Reads[K]> };

/** Where the asset goes: a project (id and name), or the organisation alone. */
export type Destination = { id: string; number: number | null; name: string } | { id: null; number: null; name: null };

/**
 * The destination when the asset moves (null when `target` is where it is): 404 when the target
 * project is hidden or in the trash, 403 when the caller may not write it (or, for the
 * organisation alone, is no admin of it), 400 when it is of another organisation, 409 when it is
 * read-only or the asset has reports and would leave every project.
 */
export function requireAssetMove(caller: Caller, access: AssetAccess, target: IdRef | null, [projectRows, reportRows]: AssetMoveRows): Destination | null {
  const asset = access.row.asset;
  if (target === asset.projectId) return null;
  if (target === null) {
    if (!caller.isSuperuser && access.orgRole !== 'admin') throw problems.forbidden('Only an admin of the organization may take an asset out of its project.');
    if (reportRows.length) {
      throw problems.conflict('The asset has reports, and a report belongs to a project: move it to another project, or delete its reports first.', [
        { path: 'project_id', message: 'The asset has reports.' },
      ]);
    }
    return { id: null, number: null, name: null };
  }
  const destination = requireProject(caller, projectRows, 'write');
  // A target named by a number's SQL is known only now.
  if (destination.project.id === asset.projectId) return null;
  if (destination.project.organizationId !== asset.organizationId) {
    throw problems.invalid([{ path: 'project_id', message: "Name a project of the asset's organization." }]);
  }
  requireProjectWritable(destination);
  return { id: destination.project.id, number: destination.project.number, name: destination.project.name };
}

/** The move and the asset's other changes (`set`, changeSet) in one batch; answers the asset's new row. */
export async function runAssetMove(scope: Scope, access: AssetAccess, to: Destination, set: Record<string, unknown>, ifMatch: string | undefined): Promise<AssetRow> {
  const a = access.row.asset;
  const from = a.projectId;
  const still = sql`EXISTS (SELECT 1 FROM assets ma JOIN organizations mo ON mo.id = ma.organization_id
      LEFT JOIN projects mp ON mp.id = ma.project_id
    WHERE ma.id = ${a.id} AND ma.project_id IS ${from} AND mo.archived = 0 AND (mp.id IS NULL OR (mp.archived = 0 AND mp.deleted_at IS NULL))
      ${ifMatch ? sql`AND ma.version = ${a.version}` : sql``})
    AND ${
      to.id === null
        ? sql`NOT EXISTS (SELECT 1 FROM reports mr WHERE mr.asset_id = ${a.id})`
        : sql`EXISTS (SELECT 1 FROM projects tp WHERE tp.id = ${to.id} AND tp.organization_id = ${a.organizationId} AND tp.archived = 0 AND tp.deleted_at IS NULL)`
    }`;
  const results = await conflictOnUnique(
    scope.db.batch([
      ...(to.id === null
        ? []
        : [scope.db.update(reports).set({ projectId: to.id, ...touched(reports.version, scope.now) }).where(and(eq(reports.assetId, a.id), still))]),
      scope.db.update(folders).set(touched(folders.version, scope.now)).where(and(eq(folders.assetId, a.id), still)),
      scope.db.update(dataFiles).set(touched(dataFiles.version, scope.now)).where(and(eq(dataFiles.assetId, a.id), still)),
      scope.db.update(spheres).set(touched(spheres.version, scope.now)).where(and(eq(spheres.assetId, a.id), still)),
      // Last, so that `still` reads the asset as it was read until here.
      scope.db
        .update(assets)
        .set({ ...set, projectId: to.id } as typeof assets.$inferInsert)
        .where(and(eq(assets.id, a.id), still))
        .returning(),
    ] as unknown as Parameters<typeof scope.db.batch>[0]),
  );
  const [moved] = (results as readonly unknown[]).at(-1) as AssetRow[];
  if (!moved) {
    if (ifMatch) throw problems.preconditionFailed();
    throw problems.conflict('The asset or its new project changed meanwhile; fetch them again and retry.');
  }
  return moved;
}
