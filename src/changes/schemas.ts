/**
 * A change as the feed and the activity routes show it: which entity, what happened, who did it
 * and when, and the entity as /v1 shows it now.
 */
import { z } from '@hono/zod-openapi';
import { AssetSchema } from '../assets/schemas';
import { DataFileSchema } from '../data/schemas';
import type { ChangeType } from '../db/schema';
import { FolderSchema } from '../folders/schemas';
import { MAX_LIMIT } from '../http/list';
import { COUNT, ID, TIMESTAMP } from '../http/schemas';
import { MemberSchema, OrganizationSchema } from '../organizations/schemas';
import { ProjectMemberSchema, ProjectSchema } from '../projects/schemas';
import { ReportSchema } from '../reports/schemas';
import { ENTITY_TYPE, ResourceSchema } from '../resources/schemas';
import { SphereSchema } from '../spheres/schemas';

/** An attachment of a resource to an entity, named as the path that detaches it: `resource/entity_type/id`. */
export const AttachedSchema = z
  .object({ resource: ID, entity_type: ENTITY_TYPE, id: ID.openapi({ description: 'The entity’s id.' }) })
  .openapi('Attached');

const ENTITIES = {
  organization: OrganizationSchema,
  member: MemberSchema,
  project: ProjectSchema,
  project_member: ProjectMemberSchema,
  asset: AssetSchema,
  folder: FolderSchema,
  data_file: DataFileSchema,
  sphere: SphereSchema,
  report: ReportSchema,
  resource: ResourceSchema,
  attachment: AttachedSchema,
} satisfies Record<ChangeType, z.ZodTypeAny>;

const NAMES: Record<ChangeType, string> = {
  organization: 'OrganizationChange',
  member: 'MemberChange',
  project: 'ProjectChange',
  project_member: 'ProjectMemberChange',
  asset: 'AssetChange',
  folder: 'FolderChange',
  data_file: 'DataFileChange',
  sphere: 'SphereChange',
  report: 'ReportChange',
  resource: 'ResourceChange',
  attachment: 'AttachmentChange',
};

const IDS: Partial<Record<ChangeType, string>> = {
  member: 'The member’s user id.',
  project_member: 'The member’s user id; `project` is the project.',
  attachment: '`resource/entity_type/entity_id`, as the path that detaches it.',
};

function variant<T extends ChangeType>(type: T) {
  return z
    .object({
      seq: COUNT.openapi({ description: 'Its place in the order of commits: every later change has a larger one.' }),
      at: TIMESTAMP,
      op: z.enum(['upsert', 'delete']).openapi({ description: '`upsert`: made or changed; `delete`: gone.' }),
      type: z.literal(type),
      id: z.string().max(200).openapi({ description: IDS[type] ?? 'The entity’s id.' }),
      project: ID.nullable().openapi({ description: 'The project it belongs to (a project: itself); null for the organisation’s own.' }),
      version: COUNT.nullable().openapi({ description: 'The entity’s version this change made (a deletion: the last one); null for members and attachments, which have none.' }),
      actor: ID.nullable().openapi({ description: 'The user who made the change; null for the scheduled clean-up.' }),
      // A union, not .nullable(): that would make the entity's own component nullable in the document.
      entity: z.union([ENTITIES[type], z.null()]).openapi({
        description: 'The entity as /v1 shows it now (a later change of it follows further on); null for a deletion.',
      }),
    })
    .openapi(NAMES[type]);
}

export const ChangeSchema = z
  .discriminatedUnion('type', [
    variant('organization'),
    variant('member'),
    variant('project'),
    variant('project_member'),
    variant('asset'),
    variant('folder'),
    variant('data_file'),
    variant('sphere'),
    variant('report'),
    variant('resource'),
    variant('attachment'),
  ])
  .openapi('Change');

export type ChangeOut = z.infer<typeof ChangeSchema>;

export const FEED_LIMIT = { default: 100, max: MAX_LIMIT };

export const ChangeFeedSchema = z
  .object({
    changes: z.array(ChangeSchema).max(FEED_LIMIT.max).openapi({ description: 'In the order they were made, at most `limit`.' }),
    next_cursor: z.string().max(300).openapi({
      description: 'Send it as `cursor` for what follows. The same cursor as sent with no changes: you are up to date.',
    }),
  })
  .openapi('ChangeFeed');
