import { z } from '@hono/zod-openapi';
import { RESOURCE_ENTITY_TYPES, type ResourceEntityType, type ResourceRow } from '../db/schema';
import { numberOf, type IdRef } from '../db/numbers';
import { freeJsonObject } from '../http/json-limits';
import { API_PATH, COUNT, ENTITY_NUMBER, ID, SHA256, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';

export const ENTITY_TYPE = z.enum(RESOURCE_ENTITY_TYPES).openapi({ description: 'The kind of entity a resource is attached to.' });

/** Field limits, shared by the bodies and the answers (which hold only what the bodies let in). */
export const RESOURCE_LIMITS = { name: 255, description: 10_000, entity_id: 254 } as const;

const NAME = z.string().trim().min(1).max(RESOURCE_LIMITS.name).regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'No control characters.');
const DESCRIPTION = z.string().trim().max(RESOURCE_LIMITS.description);
const ATTRIBUTES = freeJsonObject();
const ENTITY_ID = z.string().trim().min(1).max(RESOURCE_LIMITS.entity_id);

/** `project:prj_…`: an entity to attach a new resource to; at most ATTACH_MAX of them in one upload. */
export const ATTACH_REF_MAX = 'organization:'.length + RESOURCE_LIMITS.entity_id;
export const ATTACH_MAX = 20;
export const ATTACH_REF = z
  .string()
  .trim()
  .regex(/^(organization|project|asset|report):[^\s:]{1,254}$/, 'Write entity_type:id, e.g. project:prj_01jd8z3b6q0w4y1r7k5t2m9xce.');

export interface AttachTarget {
  entityType: ResourceEntityType;
  /** Its id (an organisation also by slug), or SQL that finds it (a dialect's). */
  entityId: IdRef;
  /** The request field to name in a 400 when `entityId` (SQL) finds no entity: the caller named none. */
  unnamed?: string;
}

export function parseAttachRef(ref: string): AttachTarget {
  const at = ref.indexOf(':');
  return { entityType: ref.slice(0, at) as ResourceEntityType, entityId: ref.slice(at + 1) };
}

/** The metadata of an upload, from the multipart fields or the query (raw body). */
export const ResourceUploadFields = z.object({
  name: NAME.optional(),
  description: DESCRIPTION.optional(),
  attributes: ATTRIBUTES.optional(),
  attach: z.array(ATTACH_REF).max(ATTACH_MAX).optional(),
});
export type ResourceUpload = z.infer<typeof ResourceUploadFields>;

export const ResourcePatchBody = z
  .object({
    name: NAME.optional(),
    description: DESCRIPTION.optional(),
    attributes: ATTRIBUTES.optional(),
    archived: z.boolean().optional(),
  })
  .strict()
  .openapi('ResourcePatch');
export type ResourceChanges = z.infer<typeof ResourcePatchBody>;

export const AttachBody = z
  .object({ entity_type: ENTITY_TYPE, entity_id: ENTITY_ID.openapi({ description: 'The entity’s id (an organisation also by slug).' }) })
  .strict()
  .openapi('ResourceAttach');

export const AttachmentSchema = z
  .object({ entity_type: ENTITY_TYPE, id: ID.openapi({ description: 'The entity’s id.' }) })
  .openapi('ResourceAttachment');

export const ResourceSchema = z
  .object({
    id: ID.openapi({ example: 'res_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    name: z.string().max(RESOURCE_LIMITS.name),
    description: z.string().max(RESOURCE_LIMITS.description),
    mime_type: z.string().openapi({ description: 'As declared, checked against the content for the types whose first bytes prove them.' }),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256.openapi({ description: 'Hex SHA-256 of the content.' }),
    archived: z.boolean(),
    attributes: z.record(z.string(), z.any()).openapi({ type: 'object', additionalProperties: true }),
    attachments: z.array(AttachmentSchema).openapi({ description: 'The entities it is attached to that you may see.' }),
    download_url: API_PATH.openapi({ example: '/v1/resources/res_01jd8z3b6q0w4y1r7k5t2m9xce/download' }),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  })
  .openapi('Resource');
export type ResourceOut = z.infer<typeof ResourceSchema>;

export type Attachment = z.infer<typeof AttachmentSchema>;

const ORDER: Record<string, number> = { organization: 0, project: 1, asset: 2, report: 3 };

/** Attachments in a stable order (the ETag depends on it). */
export function sortAttachments(list: Attachment[]): Attachment[] {
  return [...list].sort((a, b) => ORDER[a.entity_type]! - ORDER[b.entity_type]! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function parseAttachments(json: string | null): Attachment[] {
  return sortAttachments(json ? (JSON.parse(json) as Attachment[]) : []);
}

export function toResource(r: ResourceRow, attachments: Attachment[]): ResourceOut {
  return {
    id: r.id,
    number: numberOf(r),
    name: r.name,
    description: r.description,
    mime_type: r.mimeType,
    size: r.size,
    sha256: r.sha256,
    archived: r.archived,
    attributes: r.attributes,
    attachments: sortAttachments(attachments),
    download_url: `/v1/resources/${r.id}/download`,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}
