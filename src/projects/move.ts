/**
 * Moving a project to another organisation (issue 15): PATCH or PUT /v1/projects/{project} with
 * `organization`. A superuser, or an admin of both organisations, may; anyone else who sees the
 * project gets 403, or 404 when the target is hidden from them (as a missing one).
 *
 * Everything under the project moves with it, in one D1 batch whose every statement is guarded by the same condition, "the project is still as read" (`still`), so the batch does all
 * of the move or none of it, and a move that lost a race to another write changes nothing:
 * - the project, its assets (which keep their project; a tag taken in the target refuses the
 *   move), and their folders, data files, spheres and reports: all updated (version + 1), so
 *   ETags change and If-Match guards hold;
 * - the blobs of their files and of the logo change owner; their R2 objects stay where they are
 *   (objects.ts), so the move costs no copying and depends neither on the size of the files nor
 *   on the depth of the folder trees (every statement is set-based over the project's assets);
 * - resources: resources/move.ts;
 * - people: the project's members who are not members of the target join it as `member`, in the
 *   same batch (a project member is a member of the project's organisation, migrations/0008 and
 *   0012); their membership of the source is unchanged. An admin of the target may add people to
 *   it anyway.
 * Two D1 round trips: the read (rights, clashes, what must be copied) and the batch.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Caller, ResultOf, Scope } from '../auth/caller';
import { touched } from '../db/changes';
import { REFUSED_BY_TRIGGER, refusedByTrigger, uniqueViolation } from '../db/errors';
import type { IdRef } from '../db/numbers';
import { assets, blobs, dataFiles, folders, memberships, organizations, projects, reports, spheres, type ProjectRow } from '../db/schema';
import { outer } from '../db/select';
import { problems } from '../http/problem';
import { orgRef, orgWithRole, requireOrg, type OrgAccess } from '../organizations/access';
import { blobsToCopy, copyBlobs, MOVE_COPY_LIMIT, resourceMoveStatements, type BlobCopy, type BlobToCopy, type MoveRefs, type ProjectMove } from '../resources/move';
import { discardObjects } from '../storage/logos';
import { blobsUnderProject } from './blobs';
import type { ProjectAccess } from './access';

/** Clashing asset tags named in a refusal, at most. */
const TAGS_NAMED = 10;

/** The reads a move adds to the project's own (in the same round trip): the target, clashes, files to copy. */
export function moveReads(scope: Scope, projectId: IdRef, target: IdRef, slug: string | undefined) {
  const m: MoveRefs = {
    project: projectId,
    from: sql`(SELECT fp.organization_id FROM projects fp WHERE fp.id = ${projectId})`,
    to: sql`(SELECT ${organizations.id} FROM ${organizations} WHERE ${orgRef(target)})`,
  };
  return [
    orgWithRole(scope, target),
    scope.db
      .select({ tag: assets.assetTag })
      .from(assets)
      .where(
        sql`${assets.projectId} = ${projectId} AND ${assets.assetTag} IS NOT NULL AND EXISTS (SELECT 1 FROM assets ta
          WHERE ta.organization_id = ${m.to} AND ta.organization_id <> ${outer(assets.organizationId)} AND ta.asset_tag = ${outer(assets.assetTag)})`,
      )
      .orderBy(assets.assetTag)
      .limit(TAGS_NAMED),
    scope.db
      .select({ slug: projects.slug })
      .from(projects)
      .where(
        sql`${projects.organizationId} = ${m.to} AND ${projects.id} <> ${projectId}
          AND ${projects.slug} = COALESCE(${slug ?? null}, (SELECT sp.slug FROM projects sp WHERE sp.id = ${projectId}))`,
      )
      .limit(1),
    blobsToCopy(scope, m),
  ] as const;
}

type Reads = ReturnType<typeof moveReads>;
export type MoveReadRows = { [K in keyof Reads]: ResultOf<Reads[K]> };

/**
 * The target, when the move is one (null when it names the project's own organisation): 404 when
 * the caller may not see it, 403 unless they administer both organisations (or are a superuser).
 */
export function requireMove(caller: Caller, access: ProjectAccess, [orgRows]: MoveReadRows): OrgAccess | null {
  const target = requireOrg(caller, orgRows, 'read');
  if (target.org.id === access.project.organizationId) return null;
  if (!access.can.admin || !target.isAdmin) {
    throw problems.forbidden('Only a superuser or an admin of both organizations may move a project from one to the other.');
  }
  return target;
}

/** 409 for what the move would run into: a read-only side, a taken slug or asset tag, too many files to copy. */
export function requireMovable(access: ProjectAccess, target: OrgAccess, [, tags, slugs, toCopy]: MoveReadRows, unarchiving: boolean): BlobToCopy[] {
  if (access.orgArchived) throw problems.archived('The organization');
  if (access.project.archived && !unarchiving) throw problems.archived('The project');
  if (target.org.archived) throw problems.archived(`The organization ${target.org.slug}`);
  if (slugs.length) throw slugTaken(target, slugs[0]!.slug);
  if (tags.length) {
    const named = tags.map((t) => t.tag).join(', ');
    throw problems.conflict(`Asset tags of this project are taken in ${target.org.slug}: ${named}${tags.length === TAGS_NAMED ? ', …' : ''}.`, [
      { path: 'organization', message: 'Asset tags of the project are taken there.' },
    ]);
  }
  if (toCopy.length > MOVE_COPY_LIMIT) {
    throw problems.conflict(
      `More than ${MOVE_COPY_LIMIT} of this project's resources share their bytes with resources that stay in the organization; detach some of those first.`,
    );
  }
  return toCopy;
}

const slugTaken = (target: OrgAccess, slug: string) =>
  problems.conflict(`The slug ${slug} is taken in ${target.org.slug}.`, [{ path: 'slug', message: 'Already taken in the target organization.' }]);

/**
 * The move itself: copies (R2), then one batch; `set` is the project's own changes (changeSet).
 * Answers the project's new row.
 */
export async function runMove(
  scope: Scope,
  access: ProjectAccess,
  target: OrgAccess,
  toCopy: BlobToCopy[],
  set: Record<string, unknown>,
  ifMatch: string | undefined,
): Promise<ProjectRow> {
  const p = access.project;
  const to = target.org.id;
  const still = sql`EXISTS (SELECT 1 FROM projects mp JOIN organizations mf ON mf.id = mp.organization_id JOIN organizations mt ON mt.id = ${to}
    WHERE mp.id = ${p.id} AND mp.organization_id = ${p.organizationId} AND mp.deleted_at IS NULL AND mp.archived = ${p.archived ? 1 : 0}
    AND mf.archived = 0 AND mt.archived = 0${ifMatch ? sql` AND mp.version = ${p.version}` : sql``})`;
  const m: ProjectMove = { project: p.id, from: p.organizationId, to, now: scope.now, still };
  const assetsOfProject = sql`(SELECT ma.id FROM assets ma WHERE ma.project_id = ${p.id})`;
  const copies: BlobCopy[] = await copyBlobs(scope, toCopy, to);
  let results: readonly unknown[];
  try {
    results = await scope.db.batch([
      ...resourceMoveStatements(scope, m, copies),
      scope.db
        .insert(memberships)
        .select(sql`SELECT ${to}, pm.user_id, 'member', ${scope.now} FROM project_members pm WHERE pm.project_id = ${p.id} AND ${still}`)
        .onConflictDoNothing(),
      scope.db.update(blobs).set({ organizationId: to }).where(and(blobsUnderProject(p.id), still)),
      scope.db.update(assets).set({ organizationId: to, ...touched(assets.version, scope.now) }).where(and(eq(assets.projectId, p.id), still)),
      scope.db.update(folders).set(touched(folders.version, scope.now)).where(sql`${folders.assetId} IN ${assetsOfProject} AND ${still}`),
      scope.db.update(dataFiles).set(touched(dataFiles.version, scope.now)).where(sql`${dataFiles.assetId} IN ${assetsOfProject} AND ${still}`),
      scope.db.update(spheres).set(touched(spheres.version, scope.now)).where(sql`${spheres.assetId} IN ${assetsOfProject} AND ${still}`),
      scope.db.update(reports).set(touched(reports.version, scope.now)).where(and(eq(reports.projectId, p.id), still)),
      // Last, so that `still` reads the project as it was read until here.
      scope.db
        .update(projects)
        .set({ ...set, organizationId: to } as typeof projects.$inferInsert)
        .where(and(eq(projects.id, p.id), still))
        .returning(),
    ] as unknown as Parameters<typeof scope.db.batch>[0]);
  } catch (error) {
    await discardObjects(scope, copies.map((c) => c.r2Key));
    throw moveRefused(error, target);
  }
  const gone = results[4] as { r2Key: string }[];
  const [moved] = results.at(-1) as ProjectRow[];
  if (!moved) {
    await discardObjects(scope, copies.map((c) => c.r2Key));
    if (ifMatch) throw problems.preconditionFailed();
    throw problems.conflict('The project changed (moved, archived or trashed) while it was being moved; fetch it again and retry.');
  }
  if (gone.length) scope.waitUntil(discardObjects(scope, gone.map((b) => b.r2Key)));
  return moved;
}

/** What a write that raced with the move's read ran into, as the answer the read would have given. */
function moveRefused(error: unknown, target: OrgAccess): unknown {
  const column = uniqueViolation(error);
  if (column === 'slug') return problems.conflict(`That slug is taken in ${target.org.slug}.`, [{ path: 'slug', message: 'Already taken in the target organization.' }]);
  if (column === 'asset_tag') {
    return problems.conflict(`An asset tag of this project is taken in ${target.org.slug}.`, [{ path: 'organization', message: 'Asset tags of the project are taken there.' }]);
  }
  // A resource of the source took on bytes a moving resource holds after the read (resources/move.ts).
  if (refusedByTrigger(error, REFUSED_BY_TRIGGER.resourceBytes)) return problems.conflict("The project's resources changed while it was being moved; try again.");
  return error;
}
