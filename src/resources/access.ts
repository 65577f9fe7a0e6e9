/**
 * Who may see and change a resource. A resource is visible when at least one entity it is
 * attached to is visible to the caller. It belongs to the organisation that created it
 * (resources.organization_id): only a caller who may write an attached entity of that
 * organisation may change it, replace its bytes, delete it or attach it elsewhere (writableResource
 * below, the one definition every write path uses). Writing an entity of another organisation it
 * is shared with only lets the caller detach it from that entity. Writing an entity means:
 * organisation, its admins; project, its editors, managers and org admins; asset, as
 * assets/access.ts; report, its project's writers. An attached entity that is archived (or in an
 * archived project or organisation) is read-only.
 *
 * The rules are SQL over an (entity_type, entity_id) pair, so that the same words decide item
 * routes, lists, attachment targets and the attachments a representation shows. An attachment
 * whose entity was deleted elsewhere (it has no foreign key) matches no entity, so it grants
 * nothing and is not shown; the scheduled sweep removes it (src/storage/sweep.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import { assetVisibleTo, projectIdsVisibleTo } from '../assets/access';
import { authed, callerId, callerIsSuperuser, type CallerTerms, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import type { ResourceEntityType } from '../db/schema';
import { problems } from '../http/problem';

/**
 * The caller, as the columns `k.cu` (user id) and `k.cs` (superuser) of a one-row derived table
 * joined once per statement. The rules below name the caller many times, and each
 * `callerId(scope)` binds its own parameters: inlined, a statement would pass D1's limit of 100
 * bound parameters.
 */
export function callerTable(scope: Scope): SQL {
  return sql`(SELECT ${callerId(scope)} AS cu, ${callerIsSuperuser(scope)} AS cs) k`;
}

/** The caller in statements joined with callerTable. */
const K: CallerTerms = { me: sql`k.cu`, su: sql`k.cs` };
const ME = K.me;
const SU = K.su;

/** SQL: the ids of the organisations the caller administers (all of them for a superuser). */
const ADMIN_ORGS = sql`(SELECT organization_id FROM memberships WHERE user_id = ${ME} AND role = 'admin'
    UNION ALL SELECT id FROM organizations WHERE ${SU})`;

/** SQL: the live projects the caller may see, and the assets: the rules of assets/access.ts over `k`. */
const VISIBLE_PROJECTS = projectIdsVisibleTo(K);
const VISIBLE_ASSETS = sql`(SELECT va.id FROM assets va WHERE ${assetVisibleTo(K, sql`va.project_id`, sql`va.organization_id`)})`;

/** SQL: the ids of the live projects whose contents the caller may change. */
const WRITABLE_PROJECTS = sql`(SELECT wp.id FROM projects wp WHERE wp.deleted_at IS NULL AND (wp.organization_id IN ${ADMIN_ORGS}
    OR wp.id IN (SELECT project_id FROM project_members WHERE user_id = ${ME} AND role IN ('manager', 'editor'))))`;

/** SQL (in a statement joined with callerTable): the caller may see the entity (type, id). */
export function entityReadable(type: SQL, id: SQL): SQL {
  return sql`(CASE ${type}
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations xo WHERE xo.id = ${id} AND (${SU}
      OR xo.id IN (SELECT organization_id FROM memberships WHERE user_id = ${ME})))
    WHEN 'project' THEN ${id} IN ${VISIBLE_PROJECTS}
    WHEN 'asset' THEN ${id} IN ${VISIBLE_ASSETS}
    WHEN 'report' THEN ${id} IN (SELECT xr.id FROM reports xr WHERE xr.project_id IN ${VISIBLE_PROJECTS})
    ELSE 0 END)`;
}

/** SQL (in a statement joined with callerTable): the caller may change what is attached to the entity (type, id). */
export function entityWritable(type: SQL, id: SQL): SQL {
  return sql`(CASE ${type}
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations xo WHERE xo.id = ${id} AND xo.id IN ${ADMIN_ORGS})
    WHEN 'project' THEN ${id} IN ${WRITABLE_PROJECTS}
    WHEN 'asset' THEN EXISTS (SELECT 1 FROM assets xa WHERE xa.id = ${id} AND (xa.project_id IN ${WRITABLE_PROJECTS}
      OR (xa.project_id IS NULL AND xa.organization_id IN ${ADMIN_ORGS})))
    WHEN 'report' THEN ${id} IN (SELECT xr.id FROM reports xr WHERE xr.project_id IN ${WRITABLE_PROJECTS})
    ELSE 0 END)`;
}

/** SQL: the entity, its project or its organisation is archived. */
function entityReadOnly(type: SQL, id: SQL): SQL {
  return sql`(CASE ${type}
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations xo WHERE xo.id = ${id} AND xo.archived = 1)
    WHEN 'project' THEN EXISTS (SELECT 1 FROM projects xp JOIN organizations xo ON xo.id = xp.organization_id
      WHERE xp.id = ${id} AND (xp.archived = 1 OR xo.archived = 1))
    WHEN 'asset' THEN EXISTS (SELECT 1 FROM assets xa JOIN organizations xo ON xo.id = xa.organization_id
      LEFT JOIN projects xp ON xp.id = xa.project_id WHERE xa.id = ${id} AND (xo.archived = 1 OR xp.archived = 1))
    WHEN 'report' THEN EXISTS (SELECT 1 FROM reports xr JOIN projects xp ON xp.id = xr.project_id
      JOIN organizations xo ON xo.id = xp.organization_id WHERE xr.id = ${id} AND (xp.archived = 1 OR xo.archived = 1))
    ELSE 0 END)`;
}

/** SQL: the organisation the entity belongs to. */
function entityOrganization(type: SQL, id: SQL): SQL<string | null> {
  return sql<string | null>`(CASE ${type}
    WHEN 'organization' THEN (SELECT xo.id FROM organizations xo WHERE xo.id = ${id})
    WHEN 'project' THEN (SELECT xp.organization_id FROM projects xp WHERE xp.id = ${id})
    WHEN 'asset' THEN (SELECT xa.organization_id FROM assets xa WHERE xa.id = ${id})
    WHEN 'report' THEN (SELECT xp.organization_id FROM reports xr JOIN projects xp ON xp.id = xr.project_id WHERE xr.id = ${id})
    END)`;
}

/**
 * SQL (in a statement joined with callerTable): the caller may change the resource itself, the
 * owner rule. Through an attached entity of the organisation that owns it that the caller may
 * write (and, `open`, that is not read-only). Seeing the resource is never enough, and neither is
 * writing an entity of another organisation it is shared with.
 */
function writableResource(resourceId: SQL, ownerId: SQL, open: boolean): SQL {
  const type = sql`wa.entity_type`;
  const id = sql`wa.entity_id`;
  const ofOwner = sql`${entityOrganization(type, id)} = ${ownerId}`;
  // A superuser may do anything: also change a resource its owner detached from all of its own
  // entities while another organisation still holds it (no owner's writer is left to do it).
  return sql`(EXISTS (SELECT 1 FROM resource_attachments wa WHERE wa.resource_id = ${resourceId}
    AND ${ofOwner} AND ${entityReadable(type, id)} AND ${entityWritable(type, id)}
    ${open ? sql`AND NOT ${entityReadOnly(type, id)}` : sql``})
    OR (${SU} AND NOT EXISTS (SELECT 1 FROM resource_attachments wa WHERE wa.resource_id = ${resourceId} AND ${ofOwner})))`;
}

/** The caller's rights on the resource itself (writableResource), for `authed`: `writer` tells 403 from 409, `open` is the right to write now. */
export function resourceRights(scope: Scope, resourceId: IdRef) {
  const rid = sql`rw.id`;
  const owner = sql`rw.organization_id`;
  return scope.db
    .select({ writer: flag(writableResource(rid, owner, false), 'rw_writer'), open: flag(writableResource(rid, owner, true), 'rw_open') })
    .from(sql`resources rw CROSS JOIN ${callerTable(scope)}`)
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

/** SQL: the resource of the current row has an attachment the caller may see. */
export function visibleResource(scope: Scope, resourceId: SQL, entityType?: ResourceEntityType): SQL {
  return sql`EXISTS (SELECT 1 FROM resource_attachments ra, ${callerTable(scope)} WHERE ra.resource_id = ${resourceId}
    ${entityType ? sql`AND ra.entity_type = ${entityType} ` : sql``}AND ${entityReadable(sql`ra.entity_type`, sql`ra.entity_id`)})`;
}

/** SQL: JSON text, the attachments of the resource (of the current row) the caller may see. */
export function visibleAttachmentsJson(scope: Scope, resourceId: SQL): SQL<string | null> {
  return sql<string | null>`(SELECT json_group_array(json_object('entity_type', ja.entity_type, 'id', ja.entity_id))
    FROM resource_attachments ja, ${callerTable(scope)} WHERE ja.resource_id = ${resourceId} AND ${entityReadable(sql`ja.entity_type`, sql`ja.entity_id`)})`;
}

const flag = (expr: SQL, as: string) => sql<boolean>`${expr}`.mapWith((v: unknown) => Boolean(Number(v))).as(as);

/** Every attachment of a resource with the caller's rights on its entity, for `authed`; `resourceId` may be SQL that finds it (idOfNumber). */
export function attachmentsWithAccess(scope: Scope, resourceId: IdRef) {
  const type = sql`ra.entity_type`;
  const id = sql`ra.entity_id`;
  return scope.db
    .select({
      entityType: sql<ResourceEntityType>`${type}`.as('att_type'),
      entityId: sql<string>`${id}`.as('att_id'),
      canRead: flag(entityReadable(type, id), 'att_read'),
      canWrite: flag(entityWritable(type, id), 'att_write'),
      readOnly: flag(entityReadOnly(type, id), 'att_ro'),
    })
    .from(sql`resource_attachments ra CROSS JOIN ${callerTable(scope)}`)
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
  const id = entityIdOf(type, ref);
  const t = sql`${type}`;
  return scope.db
    .select({
      entityId: sql<string>`${id}`.as('ent_id'),
      organizationId: sql<string | null>`${entityOrganization(t, id)}`.as('ent_org'),
      canRead: flag(entityReadable(t, id), 'ent_read'),
      canWrite: flag(entityWritable(t, id), 'ent_write'),
      readOnly: flag(entityReadOnly(t, id), 'ent_ro'),
    })
    .from(callerTable(scope))
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
