/**
 * Resources (seed 004) and documents (seed 003): files with metadata attached to organisations,
 * projects, assets and reports, possibly of several organisations. Rights come from the
 * attached entities (access.ts).
 *
 * Bytes: a resource's file is a blob of its organisation, streamed to R2 before any row names
 * it. Blobs are shared: when a blob of the same organisation, kind `resource` and SHA-256 is
 * there, the new resource points at it (decided inside the write batch, so a concurrent delete
 * cannot take it away) and the object just written is removed. A blob row is deleted, in the
 * same batch as the last resource that names it and guarded by NOT EXISTS, and its R2 object
 * after; the scheduled sweep removes what a failure between the two leaves.
 *
 * A resource left without attachments (detach) is deleted with its blob when unreferenced. An
 * entity deleted elsewhere leaves its attachments dangling (there is no foreign key to four
 * tables): they grant and show nothing (access.ts), and the sweep removes them, and then the
 * resources left without attachments and their blobs (src/storage/sweep.ts).
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Context } from 'hono';
import { authed, callerBatch, type Caller, type Scope } from '../auth/caller';
import { isForeignKeyFailure, REFUSED_BY_TRIGGER, refusedByTrigger } from '../db/errors';
import type { IdRef } from '../db/numbers';
import { blobs, resourceAttachments, resources, type BlobRow, type ResourceEntityType, type ResourceRow } from '../db/schema';
import { columnsAs, outer, pick } from '../db/select';
import { checkIfMatch, versionGuard } from '../http/etag';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { reportFilename } from '../reports/service';
import { discardObjects } from '../storage/logos';
import { keyOfKind, objectResponse } from '../storage/objects';
import { storeFile, type IncomingFile } from '../storage/uploads';
import {
  attachmentsWithAccess,
  entityIdOf,
  entityWithAccess,
  requireAttach,
  requireDetach,
  requireEntity,
  requireResourceWrite,
  resourceRights,
  visibleAttachmentsJson,
  visibleResource,
  type AttachmentAccess,
  type EntityAccess,
  type ResourceRights,
} from './access';
import { parseAttachments, toResource, type Attachment, type AttachTarget, type ResourceChanges, type ResourceOut } from './schemas';
import { changeSet, touched } from '../db/changes';

export const RESOURCE_KIND = 'resource';

/** The id of the resources row of the current statement, as SQL text for the access rules. */
const RID = '"resources"."id"';

/** SELECT a resource with the attachments the caller may see (JSON) and its R2 key (unique aliases: safe in a batch). */
export function selectResources(scope: Scope) {
  return scope.db
    .select({
      resource: columnsAs(resources, 'res'),
      attachments: visibleAttachmentsJson(RID).as('res_attachments'),
      blob: pick({ r2Key: blobs.r2Key }, 'rb'),
    })
    .from(resources)
    .leftJoin(blobs, eq(blobs.id, resources.blobId));
}

type ResourceListRow = Awaited<ReturnType<typeof selectResources>>[number];

export const resourceListSpec: ListSpec<ResourceListRow> = {
  fields: {
    name: { expr: resources.name, key: (r) => r.resource.name },
    created_at: { expr: resources.createdAt, key: (r) => r.resource.createdAt },
    size: { expr: resources.size, key: (r) => r.resource.size },
  },
  tiebreaker: { expr: resources.id, key: (r) => r.resource.id },
  defaultOrdering: '-created_at',
};

export interface ResourceFilters {
  archived?: boolean | undefined;
  active?: boolean | undefined;
  entity_type?: ResourceEntityType | undefined;
  mime_type?: string | undefined;
}

/** An entity a route is scoped to: its type and the id (or slug) in the path. */
export interface Within {
  type: ResourceEntityType;
  /** Its id (an organisation also by slug), or SQL that finds it (idOfNumber). */
  ref: IdRef;
}

/**
 * Every resource the caller may see, or (`within`) those attached to one entity (404 when it is
 * hidden: the caller then sees none of them). One round trip.
 */
export async function listResources(scope: Scope, q: ListQuery & ResourceFilters, url: string, within?: Within) {
  const plan = planPage(resourceListSpec, q);
  const rid = outer(resources.id);
  const entity = within ? entityWithAccess(scope, within.type, within.ref) : null;
  const needle = q.search?.toLowerCase();
  const filters = and(
    within
      ? sql`EXISTS (SELECT 1 FROM resource_attachments sa WHERE sa.resource_id = ${rid} AND sa.entity_type = ${within.type}
          AND sa.entity_id = ${entityIdOf(within.type, within.ref)})`
      : visibleResource(RID),
    q.archived !== undefined ? eq(resources.archived, q.archived) : undefined,
    q.active !== undefined ? eq(resources.archived, !q.active) : undefined,
    q.mime_type !== undefined ? eq(resources.mimeType, q.mime_type.toLowerCase()) : undefined,
    q.entity_type !== undefined ? visibleResource(RID, q.entity_type) : undefined,
    needle !== undefined ? sql`(instr(lower(${resources.name}), ${needle}) > 0 OR instr(lower(${resources.description}), ${needle}) > 0)` : undefined,
  );
  const [, rows, counted, ...scoped] = await authed(
    scope,
    paged(selectResources(scope).$dynamic(), plan, filters),
    scope.db.select({ n: sql<number>`count(*)` }).from(resources).where(filters),
    ...(entity ? [entity] : []),
  );
  if (within) requireEntity(within.type, scoped[0]!, 'read');
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map((r) => toResource(r.resource, parseAttachments(r.attachments))) };
}

interface Loaded {
  caller: Caller;
  row: ResourceRow;
  r2Key: string | null;
  attachments: AttachmentAccess[];
  rights: ResourceRights | undefined;
  resource: ResourceOut;
}

const visibleOf = (atts: AttachmentAccess[]): Attachment[] => atts.filter((a) => a.canRead).map((a) => ({ entity_type: a.entityType, id: a.entityId }));

/**
 * One round trip: the caller, the resource, its attachments with the caller's rights, and (for
 * the documents routes, `within`) the entity in the path, which it must be attached to. Anything
 * the caller may not see answers as a missing resource. `rights` also reads the caller's rights on
 * the resource itself (to decide an attach or a detach); `write` requires them (the owner rule,
 * access.ts). `resourceId` may be SQL that finds it (idOfNumber).
 */
async function loadResource(
  scope: Scope,
  resourceId: IdRef,
  need: 'read' | 'rights' | 'write',
  within?: Within,
  extra?: EntityAccessQuery,
): Promise<Loaded & { target: EntityAccess[] }> {
  // The entity of the path (documents routes) or the target of an attachment: never both.
  const entityQuery = within ? entityWithAccess(scope, within.type, within.ref) : extra;
  const [caller, rows, atts, ...more] = await authed(
    scope,
    ...resourceWithAccess(scope, resourceId),
    ...(entityQuery ? [entityQuery] : []),
    ...(need === 'read' ? [] : [resourceRights(scope, resourceId)]),
  );
  const entityRows = (entityQuery ? more.shift() : []) as EntityAccess[];
  const rights = (need === 'read' ? [] : more.shift()) as ResourceRights[];
  const target = extra ? entityRows : [];
  const resource = requireReadableResource(rows, atts);
  const row = rows[0]!;
  if (within) {
    const entity = entityRows[0];
    if (!entity?.canRead || !atts.some((a) => a.canRead && a.entityType === within.type && a.entityId === entity.entityId)) {
      throw problems.notFound('Resource');
    }
  }
  if (need === 'write') requireResourceWrite(rights[0]);
  return { caller, row: row.resource, r2Key: row.blob.r2Key, attachments: atts, rights: rights[0], resource, target };
}

/** A resource and its attachments with the caller's rights, for `authed`: [resource rows, attachments]. */
export function resourceWithAccess(scope: Scope, resourceId: IdRef) {
  return [selectResources(scope).where(eq(resources.id, resourceId)).limit(1), attachmentsWithAccess(scope, resourceId)] as const;
}

/** The resource as the caller may see it: 404 (as for a missing one) unless one of its attachments is visible. */
export function requireReadableResource(rows: ResourceListRow[], atts: AttachmentAccess[]): ResourceOut {
  const row = rows[0];
  if (!row || !atts.some((a) => a.canRead)) throw problems.notFound('Resource');
  return toResource(row.resource, visibleOf(atts));
}

/** The representation of a row of selectResources: with the attachments the caller may see. */
export const toResourceOf = (row: ResourceListRow) => toResource(row.resource, parseAttachments(row.attachments));

type EntityAccessQuery = ReturnType<typeof entityWithAccess>;

export async function getResource(scope: Scope, resourceId: IdRef, within?: Within) {
  return (await loadResource(scope, resourceId, 'read', within)).resource;
}

/**
 * SQL: a blob of the organisation's resources with these bytes (the first by id), if there is one.
 * By owner and kind, not by key prefix: a moved resource's blob keeps its key (objects.ts).
 */
export function resourceBytes(organizationId: string | SQL, sha256: string | SQL, except?: string): SQL<string | null> {
  return sql<string | null>`(SELECT sb.id FROM blobs sb WHERE sb.organization_id = ${organizationId} AND sb.sha256 = ${sha256}
    AND ${keyOfKind(sql`sb.r2_key`, RESOURCE_KIND)}${except ? sql` AND sb.id <> ${except}` : sql``} ORDER BY sb.id LIMIT 1)`;
}

/** SQL: another blob of the organisation's resources with the bytes just stored, if there is one. */
const sameBytes = (stored: BlobRow) => resourceBytes(stored.organizationId, stored.sha256, stored.id);

/** INSERT the blob just stored unless the organisation already has these bytes (for a batch). */
function insertUnlessShared(scope: Scope, stored: BlobRow) {
  return scope.db
    .insert(blobs)
    .select(
      sql`SELECT ${stored.id}, ${stored.organizationId}, ${stored.r2Key}, ${stored.size}, ${stored.sha256}, ${stored.mimeType}, ${stored.createdAt}
        WHERE ${sameBytes(stored)} IS NULL`,
    );
}

/** DELETE a blob no resource names any more, answering its R2 key (for a batch, after the write that dropped the reference). */
function deleteIfUnreferenced(scope: Scope, blobId: string) {
  return scope.db
    .delete(blobs)
    .where(and(eq(blobs.id, blobId), sql`NOT EXISTS (SELECT 1 FROM resources rr WHERE rr.blob_id = ${blobId})`))
    .returning({ r2Key: blobs.r2Key });
}

export interface ResourceMeta {
  name: string;
  description?: string | undefined;
  attributes?: Record<string, unknown> | undefined;
}

/**
 * Creates a resource attached to `targets` (the caller must be able to write each; the first
 * one's organisation owns the bytes). Two D1 round trips: the rights, then the rows.
 */
export async function createResource(scope: Scope, targets: AttachTarget[], meta: ResourceMeta, file: IncomingFile) {
  if (targets.length === 0) throw problems.invalid([{ path: 'attach', message: 'Attach the resource to at least one entity.' }]);
  const [caller, ...entityRows] = await authed(scope, ...targets.map((t) => entityWithAccess(scope, t.entityType, t.entityId)));
  const entities = new Map<string, { entityType: ResourceEntityType; entityId: string; organizationId: string }>();
  targets.forEach((t, i) => {
    if (t.unnamed && (entityRows[i] as EntityAccess[])[0]?.entityId == null) {
      throw problems.invalid([{ path: t.unnamed, message: `Name the ${t.entityType} to attach the resource to.` }], undefined, 'body');
    }
    const e = requireEntity(t.entityType, entityRows[i] as EntityAccess[], 'write');
    entities.set(`${t.entityType}:${e.entityId}`, { entityType: t.entityType, entityId: e.entityId, organizationId: e.organizationId });
  });
  const attached = [...entities.values()];
  const organizationId = attached[0]!.organizationId;
  const stored = await storeFile(scope, organizationId, RESOURCE_KIND, file, { maxBytes: scope.settings.uploadMaxBytes });
  const id = newId('res');
  let created: ResourceRow | undefined;
  try {
    [, [created]] = await scope.db.batch([
      insertUnlessShared(scope, stored),
      scope.db
        .insert(resources)
        .values({
          id,
          organizationId,
          name: meta.name,
          description: meta.description ?? '',
          mimeType: stored.mimeType,
          size: stored.size,
          sha256: stored.sha256,
          blobId: sql`COALESCE(${sameBytes(stored)}, ${stored.id})`,
          attributes: meta.attributes ?? {},
          createdBy: caller.userId,
          createdAt: scope.now,
          updatedAt: scope.now,
        })
        .returning(),
      scope.db
        .insert(resourceAttachments)
        .values(attached.map((a) => ({ resourceId: id, entityType: a.entityType, entityId: a.entityId, organizationId: a.organizationId, createdAt: scope.now }))),
    ]);
  } catch (error) {
    await discardObjects(scope, [stored.r2Key]);
    if (isForeignKeyFailure(error)) throw problems.conflict('The organization was deleted while the file was uploading.');
    throw error;
  }
  // The organisation had these bytes already: the new resource shares them; drop the copy.
  if (created!.blobId !== stored.id) scope.waitUntil(discardObjects(scope, [stored.r2Key]));
  return toResource(created!, attached.map((a) => ({ entity_type: a.entityType, id: a.entityId })));
}

export async function updateResource(scope: Scope, resourceId: string, changes: ResourceChanges, ifMatch: string | undefined, within?: Within) {
  const { row, resource } = await loadResource(scope, resourceId, 'write', within);
  await checkIfMatch(ifMatch, resource);
  const columns = { name: 'name', description: 'description', attributes: 'attributes', archived: 'archived' };
  const set = changeSet(changes, columns, resources.version, scope.now);
  const [updated] = await scope.db
    .update(resources)
    .set(set as typeof resources.$inferInsert)
    .where(and(eq(resources.id, row.id), versionGuard(ifMatch, resources.version, row.version)))
    .returning();
  if (!updated) throw ifMatch ? problems.preconditionFailed() : problems.notFound('Resource');
  return toResource(updated, resource.attachments);
}

/**
 * Replaces the bytes: same id, new size, sha256 (and so ETag). The row changes only if it still
 * names the blob that was read (and, with If-Match, has the version read); the old blob goes in
 * the same batch if no resource names it any more.
 */
export async function putResourceFile(scope: Scope, resourceId: string, file: IncomingFile, ifMatch: string | undefined) {
  const { row, resource } = await loadResource(scope, resourceId, 'write');
  await checkIfMatch(ifMatch, resource);
  const stored = await storeFile(scope, row.organizationId, RESOURCE_KIND, file, { maxBytes: scope.settings.uploadMaxBytes });
  let updated: ResourceRow | undefined;
  let oldGone: { r2Key: string }[] = [];
  let newGone: { r2Key: string }[] = [];
  try {
    let changed: ResourceRow[];
    [, changed, oldGone, newGone] = await scope.db.batch([
      insertUnlessShared(scope, stored),
      scope.db
        .update(resources)
        .set({
          blobId: sql`COALESCE(${sameBytes(stored)}, ${stored.id})`,
          mimeType: stored.mimeType,
          size: stored.size,
          sha256: stored.sha256,
          ...touched(resources.version, scope.now),
        })
        .where(and(eq(resources.id, row.id), eq(resources.blobId, row.blobId), versionGuard(ifMatch, resources.version, row.version)))
        .returning(),
      deleteIfUnreferenced(scope, row.blobId),
      deleteIfUnreferenced(scope, stored.id),
    ]);
    updated = changed[0];
    if (!updated) throw ifMatch ? problems.preconditionFailed() : problems.conflict('The resource changed while this file was uploading; try again.');
  } catch (error) {
    await discardObjects(scope, [stored.r2Key]);
    // Its project moved to another organisation meanwhile, and the resource with it (resources/move.ts).
    if (refusedByTrigger(error, REFUSED_BY_TRIGGER.resourceBytes)) throw problems.conflict('The resource changed organisation while this file was uploading; try again.');
    throw error;
  }
  const gone = [...oldGone, ...newGone].map((b) => b.r2Key);
  if (updated.blobId !== stored.id && !gone.includes(stored.r2Key)) gone.push(stored.r2Key);
  if (gone.length) scope.waitUntil(discardObjects(scope, gone));
  return toResource(updated, resource.attachments);
}

/**
 * The rows in one batch (guarded by If-Match; the blob only if no other resource names it), then
 * the R2 object. Only the request that removes the row changes anything (a parallel delete that
 * lost answers 404), and the change log has its deletion from the row's own trigger.
 */
export async function deleteResource(scope: Scope, resourceId: string, ifMatch: string | undefined, within?: Within) {
  const { row, resource } = await loadResource(scope, resourceId, 'write', within);
  await checkIfMatch(ifMatch, resource);
  const target = and(eq(resources.id, row.id), versionGuard(ifMatch, resources.version, row.version));
  const [deleted, gone] = await scope.db.batch([
    scope.db.delete(resources).where(target).returning({ id: resources.id }),
    deleteIfUnreferenced(scope, row.blobId),
  ]);
  if (deleted.length === 0) throw ifMatch ? problems.preconditionFailed() : problems.notFound('Resource');
  if (gone.length) scope.waitUntil(discardObjects(scope, gone.map((b) => b.r2Key)));
}

/**
 * Attaches a resource to an entity: the caller must be able to change the resource and write the
 * entity (access.ts, requireAttach). Idempotent, also when identical attaches run at once: the row
 * is inserted unless it is there (ON CONFLICT DO NOTHING), the version moves on only in the batch
 * that adds it, and each answers the state its batch ends with.
 */
export async function attachResource(scope: Scope, resourceId: string, target: AttachTarget) {
  const { row, attachments, rights, resource, target: targetRows } = await loadResource(
    scope,
    resourceId,
    'rights',
    undefined,
    entityWithAccess(scope, target.entityType, target.entityId),
  );
  const entity = requireAttach(rights, target.entityType, targetRows);
  if (attachments.some((a) => a.entityType === target.entityType && a.entityId === entity.entityId)) return resource;
  const attached = sql`EXISTS (SELECT 1 FROM resource_attachments xa WHERE xa.resource_id = ${row.id}
    AND xa.entity_type = ${target.entityType} AND xa.entity_id = ${entity.entityId})`;
  try {
    // callerBatch: the representation read after the write shows the attachments the caller may see (k).
    const [, , after] = await callerBatch(
      scope,
      scope.db
        .update(resources)
        .set(touched(resources.version, scope.now))
        .where(and(eq(resources.id, row.id), sql`NOT ${attached}`)),
      scope.db
        .insert(resourceAttachments)
        .values({ resourceId: row.id, entityType: target.entityType, entityId: entity.entityId, organizationId: entity.organizationId, createdAt: scope.now })
        .onConflictDoNothing(),
      selectResources(scope).where(eq(resources.id, row.id)).limit(1),
    );
    const current = after[0];
    if (!current) throw problems.notFound('Resource');
    return toResource(current.resource, parseAttachments(current.attachments));
  } catch (error) {
    if (isForeignKeyFailure(error)) throw problems.notFound('Resource');
    throw error;
  }
}

/**
 * Detaches a resource from one entity (access.ts, requireDetach: a writer of that entity, or one
 * who may change the resource; the entity must not be read-only). A resource left without
 * attachments is deleted in the same batch, and its blob if no other resource names it.
 */
export async function detachResource(scope: Scope, resourceId: string, target: AttachTarget) {
  const { row, attachments, rights, target: targetRows } = await loadResource(scope, resourceId, 'rights', undefined, entityWithAccess(scope, target.entityType, target.entityId));
  const entityId = targetRows[0]?.entityId ?? target.entityId;
  requireDetach(attachments.find((a) => a.entityType === target.entityType && a.entityId === entityId), rights);
  const orphaned = sql`NOT EXISTS (SELECT 1 FROM resource_attachments oa WHERE oa.resource_id = ${row.id})`;
  const [removed, deleted, gone] = await scope.db.batch([
    scope.db
      .delete(resourceAttachments)
      .where(and(eq(resourceAttachments.resourceId, row.id), eq(resourceAttachments.entityType, target.entityType), eq(resourceAttachments.entityId, entityId)))
      .returning({ id: resourceAttachments.entityId }),
    scope.db.delete(resources).where(and(eq(resources.id, row.id), orphaned)).returning({ id: resources.id }),
    deleteIfUnreferenced(scope, row.blobId),
    scope.db
      .update(resources)
      .set(touched(resources.version, scope.now))
      .where(eq(resources.id, row.id)),
  ]);
  if (removed.length === 0) throw problems.notFound('Attachment');
  if (gone.length) scope.waitUntil(discardObjects(scope, gone.map((b) => b.r2Key)));
  return { resourceDeleted: deleted.length > 0 };
}

export async function resourceDownload(c: Context, scope: Scope, resourceId: string): Promise<Response> {
  const { row, r2Key } = await loadResource(scope, resourceId, 'read');
  if (!r2Key) throw problems.notFound('File');
  return objectResponse(c, scope.files, r2Key, { filename: reportFilename(row.name, row.mimeType) });
}
