/**
 * Resources when a project moves to another organisation (issue 15; src/projects/move.ts runs the
 * statements below in its one batch). Every attachment stays where it is.
 *
 * Owner: a resource of the source organisation that, once the project has moved, is attached to
 * nothing of the source any more (one attached only to the project, its assets or its reports,
 * and maybe to other organisations' entities) changes owner to the target, so that the project's
 * writers still may change it (the owner rule, access.ts). One still attached to something of the
 * source stays the source's, now shared with the project as any resource may be. Resources of
 * other organisations attached to the project keep their owner.
 *
 * Bytes follow the owner (a resource's blob is its owner's, migrations/0012): a moved resource
 * takes the target's blob of the same bytes when the target has one, so the target keeps storing
 * them once; else its own blob, re-owned, when no resource left behind shares it; else a copy
 * under the target's prefix, made before the batch (a blob row names one object, and an object is
 * deleted with its row, so two organisations cannot share one). A blob left without a resource
 * goes in the same batch, and its object after.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Scope } from '../auth/caller';
import { touched } from '../db/changes';
import { blobs, resourceAttachments, resources } from '../db/schema';
import { outer } from '../db/select';
import { newId } from '../lib/ids';
import { discardObjects } from '../storage/logos';
import { copyObject, keyOfKind, objectKey } from '../storage/objects';
import { RESOURCE_KIND, resourceBytes } from './service';

/** A project's move: ids, or SQL that finds them (in the read before the batch). */
export interface MoveRefs {
  project: string | SQL;
  from: string | SQL;
  to: string | SQL;
}

/** The move in its batch: `still` is SQL that holds while the move still applies (the project as read). */
export interface ProjectMove extends MoveRefs {
  now: number;
  still: SQL;
}

/** A blob to copy into the target: its own columns and where the copy goes. */
export interface BlobCopy {
  id: string;
  from: string;
  r2Key: string;
  size: number;
  sha256: string;
  mimeType: string;
}

/** At most this many files are copied for one move: each is an R2 read and write in the request. */
export const MOVE_COPY_LIMIT = 100;

/** SQL: the entity (type, id) is the project or one of its assets or reports. */
function underProject(type: SQL, id: SQL, project: string | SQL): SQL {
  return sql`((${type} = 'project' AND ${id} = ${project})
    OR (${type} = 'asset' AND EXISTS (SELECT 1 FROM assets ua WHERE ua.id = ${id} AND ua.project_id = ${project}))
    OR (${type} = 'report' AND EXISTS (SELECT 1 FROM reports ur WHERE ur.id = ${id} AND ur.project_id = ${project})))`;
}

/** SQL: the entity (type, id) belongs to the organisation. */
function ofOrganization(type: SQL, id: SQL, organization: string | SQL): SQL {
  return sql`(CASE ${type}
    WHEN 'organization' THEN ${id} = ${organization}
    WHEN 'project' THEN EXISTS (SELECT 1 FROM projects op WHERE op.id = ${id} AND op.organization_id = ${organization})
    WHEN 'asset' THEN EXISTS (SELECT 1 FROM assets oa WHERE oa.id = ${id} AND oa.organization_id = ${organization})
    WHEN 'report' THEN EXISTS (SELECT 1 FROM reports orr JOIN projects orp ON orp.id = orr.project_id WHERE orr.id = ${id} AND orp.organization_id = ${organization})
    ELSE 0 END)`;
}

/**
 * SQL: the resource of the row `r` (a table or alias of resources) changes owner with the move.
 * The project's own entities are left out by id, so it reads the same before and after the
 * project and its assets change organisation.
 */
function movesOwner(r: string, m: MoveRefs): SQL {
  const R = sql.identifier(r);
  const under = (a: string) => underProject(sql.raw(`${a}.entity_type`), sql.raw(`${a}.entity_id`), m.project);
  return sql`(${R}.organization_id = ${m.from}
    AND EXISTS (SELECT 1 FROM resource_attachments ma WHERE ma.resource_id = ${R}.id AND ${under('ma')})
    AND NOT EXISTS (SELECT 1 FROM resource_attachments sa WHERE sa.resource_id = ${R}.id
      AND NOT ${under('sa')} AND ${ofOrganization(sql.raw('sa.entity_type'), sql.raw('sa.entity_id'), m.from)}))`;
}

/** SQL: the blob of the current row is named by a resource that changes owner. */
const ofMovingResource = (m: MoveRefs) => sql`${outer(blobs.id)} IN (SELECT mr.blob_id FROM resources mr WHERE ${movesOwner('mr', m)})`;

/** SQL: the blob of the current row is also named by a resource that stays. */
const sharedWithOneThatStays = (m: MoveRefs) =>
  sql`EXISTS (SELECT 1 FROM resources so WHERE so.blob_id = ${outer(blobs.id)} AND NOT ${movesOwner('so', m)})`;

/** The blobs that must be copied into the target (for the read before the batch): shared with a resource that stays, bytes the target lacks. */
export function blobsToCopy(scope: Scope, m: MoveRefs) {
  return scope.db
    .select({ id: blobs.id, r2Key: blobs.r2Key, size: blobs.size, sha256: blobs.sha256, mimeType: blobs.mimeType })
    .from(blobs)
    .where(sql`${ofMovingResource(m)} AND ${sharedWithOneThatStays(m)} AND ${resourceBytes(m.to, outer(blobs.sha256))} IS NULL`)
    .limit(MOVE_COPY_LIMIT + 1);
}

export type BlobToCopy = Awaited<ReturnType<typeof blobsToCopy>>[number];

/** Copies the objects into the target's prefix (R2 first, as every upload); on failure none is left. */
export async function copyBlobs(scope: Scope, toCopy: BlobToCopy[], target: string): Promise<BlobCopy[]> {
  const copies = toCopy.map((b) => {
    const id = newId('blb');
    return { id, from: b.id, r2Key: objectKey(target, RESOURCE_KIND, id), size: b.size, sha256: b.sha256, mimeType: b.mimeType, source: b.r2Key };
  });
  try {
    for (const c of copies) await copyObject(scope.files, c.source, c.r2Key, c.sha256);
  } catch (error) {
    await discardObjects(scope, copies.map((c) => c.r2Key));
    throw error;
  }
  return copies.map(({ source: _source, ...copy }) => copy);
}

/**
 * The statements of the move's batch for resources, in order; each writes only while `m.still`
 * holds. The last answers the R2 keys of the blobs it deleted, to remove after the batch.
 */
export function resourceMoveStatements(scope: Scope, m: ProjectMove, copies: BlobCopy[]) {
  const copiesJson = JSON.stringify(copies);
  const copyOf = (blobId: SQL) => sql`(SELECT json_extract(cj.value, '$.id') FROM json_each(${copiesJson}) cj WHERE json_extract(cj.value, '$.from') = ${blobId})`;
  return [
    // The copies' rows: their objects are in R2 already.
    scope.db.insert(blobs).select(
      sql`SELECT json_extract(c.value, '$.id'), ${m.to}, json_extract(c.value, '$.r2Key'), json_extract(c.value, '$.size'),
        json_extract(c.value, '$.sha256'), json_extract(c.value, '$.mimeType'), ${m.now} FROM json_each(${copiesJson}) c WHERE ${m.still}`,
    ),
    // What the attachments record as their entity's organisation.
    scope.db
      .update(resourceAttachments)
      .set({ organizationId: sql`${m.to}` })
      .where(sql`${underProject(outer(resourceAttachments.entityType), outer(resourceAttachments.entityId), m.project)} AND ${m.still}`),
    // A blob only moving resources name, of bytes the target lacks: it changes owner, its object stays.
    scope.db
      .update(blobs)
      .set({ organizationId: sql`${m.to}` })
      .where(
        sql`${outer(blobs.organizationId)} = ${m.from} AND ${ofMovingResource(m)} AND NOT ${sharedWithOneThatStays(m)}
          AND ${resourceBytes(m.to, outer(blobs.sha256))} IS NULL AND ${m.still}`,
      ),
    // The resources: their copy, else the target's blob of the same bytes (the one just re-owned, or the target's own).
    scope.db
      .update(resources)
      .set({
        organizationId: sql`${m.to}`,
        blobId: sql`COALESCE(${copyOf(outer(resources.blobId))}, ${resourceBytes(m.to, outer(resources.sha256))}, ${outer(resources.blobId)})`,
        ...touched(resources.version, m.now),
      })
      .where(sql`${movesOwner('resources', m)} AND ${m.still}`),
    // Resource blobs of either organisation that no resource names any more: those the moved
    // resources left, and copies a resource deleted meanwhile did not take.
    scope.db
      .delete(blobs)
      .where(
        sql`${outer(blobs.organizationId)} IN (${m.from}, ${m.to}) AND ${keyOfKind(outer(blobs.r2Key), RESOURCE_KIND)}
          AND (${outer(blobs.sha256)} IN (SELECT cr.sha256 FROM resources cr WHERE cr.organization_id = ${m.to}
              AND EXISTS (SELECT 1 FROM resource_attachments ca WHERE ca.resource_id = cr.id
                AND ${underProject(sql.raw('ca.entity_type'), sql.raw('ca.entity_id'), m.project)}))
            OR ${outer(blobs.id)} IN (SELECT json_extract(cj.value, '$.id') FROM json_each(${copiesJson}) cj))
          AND NOT EXISTS (SELECT 1 FROM resources ur WHERE ur.blob_id = ${outer(blobs.id)}) AND ${m.still}`,
      )
      .returning({ r2Key: blobs.r2Key }),
  ] as const;
}
