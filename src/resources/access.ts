/**
 * A resource and the entities it is attached to, with the caller's rights, for the batches of the
 * resource and document routes. The rules are those of auth/access.ts: a resource is visible when
 * at least one entity it is attached to is; it belongs to the organisation that created it, and
 * only a caller who may write an attached entity of that organisation may change it, replace its
 * bytes, delete it or attach it elsewhere (writableResource, the one definition every write path
 * uses). Writing an entity of another organisation it is shared with only lets the caller detach
 * it from that entity. An attached entity that is archived (or in an archived project or
 * organisation) is read-only. An attachment whose entity was deleted elsewhere grants nothing and
 * is not shown; the scheduled sweep removes it (src/storage/sweep.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import { entityOrganization, entityReadOnly, entityReadable, entityWritable, resourceVisible, writableResource } from '../auth/access';
import { authed, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { RESOURCE_ENTITY_TYPES, type ResourceEntityType } from '../db/schema';
import { problems } from '../http/problem';

/** The caller's rights on the resource itself (writableResource), for `authed`: `writer` tells 403 from 409, `open` is the right to write now. */
export function resourceRights(scope: Scope, resourceId: IdRef) {
  return scope.db
    .select({ writer: flag(writableResource('rw.id', 'rw.organization_id', false), 'rw_writer'), open: flag(writableResource('rw.id', 'rw.organization_id', true), 'rw_open') })
    .from(sql`resources rw`)
    .where(sql`rw.id = ${resourceId}`);
}

export type ResourceRights = Awaited<ReturnType<typeof resourceRights>>[number];

/** 403 unless the caller may change the resource (writableResource); 409 when every entity it may do so through is read-only. */
export function requireResourceWrite(rights: ResourceRights | undefined): void {
  if (!rights?.writer) {
    throw problems.forbidden('Only those who may change an entity of the organisation that owns this resource, and that it is attached to, may change it.');
  }
  if (!rights.open) throw problems.archived('Every entity of its organisation that this resource is attached to');
}

/**
 * Attaching needs the right to change the resource AND the right to write the target, which the
 * caller must see (404 otherwise, as for a missing entity).
 */
export function requireAttach(rights: ResourceRights | undefined, type: ResourceEntityType, target: EntityAccess[]): EntityAccess & { organizationId: string } {
  requireResourceWrite(rights);
  return requireEntity(type, target, 'write');
}

/**
 * Detaching from an entity: a writer of that entity (an organisation the resource is shared with
 * removes it from its own entities), or one who may change the resource. 404 for an attachment
 * the caller may not see; 409 while the entity is read-only.
 */
export function requireDetach(attachment: AttachmentAccess | undefined, rights: ResourceRights | undefined): AttachmentAccess {
  if (!attachment?.canRead) throw problems.notFound('Attachment');
  if (!attachment.canWrite) requireResourceWrite(rights);
  if (attachment.readOnly) throw problems.archived(`The ${attachment.entityType}`);
  return attachment;
}

/** SQL: the resource of the current row (`resourceId`, SQL text) has an attachment the caller may see (of `entityType`). */
export function visibleResource(resourceId: string, entityType?: ResourceEntityType): SQL {
  return sql.raw(resourceVisible(resourceId, entityType && typeLiteral(entityType)));
}

/** An entity type as SQL text: one of the four the schema knows, never text a client chose. */
function typeLiteral(type: ResourceEntityType): string {
  if (!RESOURCE_ENTITY_TYPES.includes(type)) throw new Error(`not an entity type: ${type}`);
  return `'${type}'`;
}

/** SQL: JSON text, the attachments of the resource (`resourceId`, SQL text) the caller may see. */
export function visibleAttachmentsJson(resourceId: string): SQL<string | null> {
  return sql.raw(`(SELECT json_group_array(json_object('entity_type', ja.entity_type, 'id', ja.entity_id))
    FROM resource_attachments ja WHERE ja.resource_id = ${resourceId} AND ${entityReadable('ja.entity_type', 'ja.entity_id')})`) as SQL<string | null>;
}

const flag = (expr: string, as: string) => sql<boolean>`${sql.raw(expr)}`.mapWith((v: unknown) => Boolean(Number(v))).as(as);

/** Every attachment of a resource with the caller's rights on its entity, for `authed`; `resourceId` may be SQL that finds it (idOfNumber). */
export function attachmentsWithAccess(scope: Scope, resourceId: IdRef) {
  const type = 'ra.entity_type';
  const id = 'ra.entity_id';
  return scope.db
    .select({
      entityType: sql<ResourceEntityType>`ra.entity_type`.as('att_type'),
      entityId: sql<string>`ra.entity_id`.as('att_id'),
      canRead: flag(entityReadable(type, id), 'att_read'),
      canWrite: flag(entityWritable(type, id), 'att_write'),
      readOnly: flag(entityReadOnly(type, id), 'att_ro'),
    })
    .from(sql`resource_attachments ra`)
    .where(sql`ra.resource_id = ${resourceId}`);
}

export type AttachmentAccess = Awaited<ReturnType<typeof attachmentsWithAccess>>[number];

/** SQL: the id of the entity a client named (an organisation also by its slug), or SQL that finds it (idOfNumber). */
export function entityIdOf(type: ResourceEntityType, ref: IdRef): SQL {
  if (typeof ref !== 'string') return sql`${ref}`;
  return type === 'organization'
    ? sql`COALESCE((SELECT ro.id FROM organizations ro WHERE ro.id = ${ref} OR ro.slug = ${ref.toLowerCase()} LIMIT 1), ${ref})`
    : sql`${ref}`;
}

/** One entity named by a client (organisations also by slug): its id, organisation and the caller's rights, for `authed`. */
export function entityWithAccess(scope: Scope, type: ResourceEntityType, ref: IdRef) {
  // The entity's id, found once in a one-row derived table `e` that the rules then name.
  const t = typeLiteral(type);
  return scope.db
    .select({
      entityId: sql<string>`e.id`.as('ent_id'),
      organizationId: sql<string | null>`${sql.raw(entityOrganization(t, 'e.id'))}`.as('ent_org'),
      canRead: flag(entityReadable(t, 'e.id'), 'ent_read'),
      canWrite: flag(entityWritable(t, 'e.id'), 'ent_write'),
      readOnly: flag(entityReadOnly(t, 'e.id'), 'ent_ro'),
    })
    .from(sql`(SELECT ${entityIdOf(type, ref)} AS id) e`)
    .limit(1);
}

export type EntityAccess = Awaited<ReturnType<typeof entityWithAccess>>[number];

export const ENTITY_NAMES: Record<ResourceEntityType, string> = {
  organization: 'Organization',
  project: 'Project',
  asset: 'Asset',
  report: 'Report',
};

const DENIED: Record<ResourceEntityType, string> = {
  organization: 'Only an admin of the organization may change its resources.',
  project: 'Only editors, managers and org admins may change the resources of this project.',
  asset: 'Only editors, managers and org admins may change the resources of this asset.',
  report: 'Only editors, managers and org admins of its project may change the resources of this report.',
};

/** 404 when the caller may not see the entity (as when it does not exist); 403/409 for `write` when they may not change it. */
export function requireEntity(type: ResourceEntityType, rows: EntityAccess[], need: 'read' | 'write'): EntityAccess & { organizationId: string } {
  const row = rows[0];
  if (!row || !row.canRead || row.organizationId === null) throw problems.notFound(ENTITY_NAMES[type]);
  if (need === 'write') {
    if (!row.canWrite) throw problems.forbidden(DENIED[type]);
    if (row.readOnly) throw problems.archived(`The ${type}`);
  }
  return row as EntityAccess & { organizationId: string };
}

export async function loadEntity(scope: Scope, type: ResourceEntityType, ref: IdRef, need: 'read' | 'write') {
  const [caller, rows] = await authed(scope, entityWithAccess(scope, type, ref));
  return { caller, entity: requireEntity(type, rows, need) };
}
