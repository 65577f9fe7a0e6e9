/**
 * The one drizzle schema. Migrations in migrations/ are generated from it (`npm run db:generate`)
 * and `npm run check:migrations` fails when the two disagree.
 *
 * Conventions: ids are type-prefixed TypeIDs (time-ordered text); times are integer milliseconds
 * since the epoch (rendered as RFC 3339 by the API); `version` counts updates and guards
 * optimistic concurrency (`UPDATE … WHERE version = ?`).
 */
import { sql } from 'drizzle-orm';
import { check, customType, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import { clampJson } from '../http/json-limits';

const createdAt = () => integer('created_at').notNull();
const updatedAt = () => integer('updated_at').notNull();
const version = () => integer('version').notNull().default(1);

/**
 * JSON in a text column (as drizzle's `mode: 'json'`), read back within the nesting limit: a value
 * stored before the limit existed must not make every answer that holds it fail to serialize.
 */
const jsonText = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'text',
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => clampJson(JSON.parse(value) as T),
  })(name);

/**
 * The kinds of entity that carry a number, and each one's counter of numbers handed out. A
 * number is a stable integer, unique per kind and never reused (a deleted entity's number stays
 * spent), for the seed dialects that address things by integer (DESIGN.md "Seed dialects");
 * `/v1` shows it but addresses by id. The migration that added the numbers
 * (migrations/*_entity_numbers_assign.sql) numbered the rows already there in creation order.
 */
export const NUMBERED_KINDS = ['user', 'organization', 'project', 'asset', 'folder', 'data_file', 'sphere', 'report', 'resource'] as const;
export type NumberedKind = (typeof NUMBERED_KINDS)[number];

export const entityNumbers = sqliteTable('entity_numbers', {
  kind: text('kind', { enum: NUMBERED_KINDS }).primaryKey(),
  last: integer('last').notNull(),
});

/**
 * An entity's number, taken from its kind's counter by the INSERT itself, so that RETURNING
 * shows it. Each table's AFTER INSERT trigger moves the counter on (and numbers a row that raw
 * SQL inserted without one). Numbered rows are inserted one per statement: the rows of a
 * multi-row INSERT would all take the same number and fail the unique index.
 */
const entityNumber = (kind: NumberedKind) =>
  integer('number').$defaultFn(() => sql`(SELECT ${entityNumbers.last} + 1 FROM ${entityNumbers} WHERE ${entityNumbers.kind} = ${kind})`);

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    number: entityNumber('user'),
    // Stored lower-cased: logins are case-insensitive and the unique index enforces it.
    username: text('username').notNull(),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    isSuperuser: integer('is_superuser', { mode: 'boolean' }).notNull().default(false),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    lastLogin: integer('last_login'),
    dateJoined: integer('date_joined').notNull(),
    updatedAt: updatedAt(),
    version: version(),
    // The organisation whose admins made the account (POST …/users routes), null for one a
    // superuser made alone: its admins may delete the account while it is in no other organisation.
    createdByOrganizationId: text('created_by_organization_id').references((): AnySQLiteColumn => organizations.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('users_number_uq').on(t.number),
    uniqueIndex('users_username_uq').on(t.username),
    uniqueIndex('users_email_uq').on(t.email),
    index('users_date_joined_idx').on(t.dateJoined, t.id),
    index('users_name_idx').on(t.name, t.id),
  ],
);

export const tokens = sqliteTable(
  'tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // SHA-256 of the secret, hex. The secret itself is never stored.
    tokenHash: text('token_hash').notNull(),
    kind: text('kind', { enum: ['session', 'personal'] }).notNull(),
    name: text('name').notNull().default(''),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('tokens_hash_uq').on(t.tokenHash), index('tokens_user_idx').on(t.userId, t.createdAt)],
);

/**
 * Failed password checks (sign-in, and `current_password` on PATCH /v1/me), one counter per
 * subject: `user:<id>` for a login that names an active account (every spelling of it, and the
 * account's own current_password, share it), `login:<normalised login>` for any other login
 * string, so that a login naming no account is counted, locked and answered exactly like one that
 * does (src/auth/lockout.ts). A success deletes the row; the hourly clean-up deletes rows the
 * count would ignore anyway.
 */
export const passwordFailures = sqliteTable(
  'password_failures',
  {
    subject: text('subject').primaryKey(),
    failedAttempts: integer('failed_attempts').notNull(),
    lockedUntil: integer('locked_until'),
    lastFailedAt: integer('last_failed_at').notNull(),
  },
  (t) => [index('password_failures_last_failed_idx').on(t.lastFailedAt)],
);

/**
 * A way in for an account made without a password: the secret is returned once to whoever made
 * the account; only its SHA-256 is stored. Accepting it sets the password and deletes it (and any
 * other invitation of the account); so does any other password change.
 */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [uniqueIndex('invitations_token_hash_uq').on(t.tokenHash), index('invitations_user_idx').on(t.userId), index('invitations_expires_idx').on(t.expiresAt)],
);

export const organizations = sqliteTable(
  'organizations',
  {
    id: text('id').primaryKey(),
    number: entityNumber('organization'),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    shortName: text('short_name').notNull().default(''),
    description: text('description').notNull().default(''),
    urls: jsonText<string[]>('urls').notNull().default(sql`'[]'`),
    contacts: jsonText<unknown[]>('contacts').notNull().default(sql`'[]'`),
    logoBlobId: text('logo_blob_id'),
    archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('organizations_number_uq').on(t.number),
    uniqueIndex('organizations_slug_uq').on(t.slug),
    index('organizations_name_idx').on(t.name, t.id),
    index('organizations_created_idx').on(t.createdAt, t.id),
    index('organizations_updated_idx').on(t.updatedAt, t.id),
  ],
);

export const memberships = sqliteTable(
  'memberships',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index('memberships_user_idx').on(t.userId, t.organizationId),
    index('memberships_org_joined_idx').on(t.organizationId, t.createdAt, t.userId),
  ],
);

/**
 * Every R2 object a row refers to. The object is written first and its blob row after, so an
 * object without a row is an interrupted upload that the scheduled sweep removes after a grace
 * period; a blob no entity refers to any more is removed with its object by the same sweep.
 * Later issues deduplicate on (organization_id, sha256).
 */
export const blobs = sqliteTable(
  'blobs',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id').notNull(),
    r2Key: text('r2_key').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    mimeType: text('mime_type').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('blobs_r2_key_uq').on(t.r2Key),
    index('blobs_org_sha_idx').on(t.organizationId, t.sha256),
    index('blobs_created_idx').on(t.createdAt),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type OrganizationRow = typeof organizations.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type BlobRow = typeof blobs.$inferSelect;

/**
 * `seq` is the integer primary key (SQLite's rowid): stable, compact, and the rowid of the
 * project's row in the FTS5 index `projects_fts` (migrations/0001_projects_fts.sql). `id` is the
 * public, opaque id.
 */
export const projects = sqliteTable(
  'projects',
  {
    seq: integer('seq').primaryKey(),
    id: text('id').notNull(),
    number: entityNumber('project'),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    country: text('country').notNull().default(''),
    location: text('location').notNull().default(''),
    lat: real('lat'),
    lon: real('lon'),
    projectType: text('project_type').notNull().default(''),
    urls: jsonText<string[]>('urls').notNull().default(sql`'[]'`),
    contacts: jsonText<unknown[]>('contacts').notNull().default(sql`'[]'`),
    logoBlobId: text('logo_blob_id'),
    access: text('access', { enum: ['private', 'organization'] }).notNull().default('organization'),
    archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
    creatorId: text('creator_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: integer('deleted_at'),
    version: version(),
  },
  (t) => [
    uniqueIndex('projects_number_uq').on(t.number),
    uniqueIndex('projects_id_uq').on(t.id),
    uniqueIndex('projects_org_slug_uq').on(t.organizationId, t.slug),
    // The ordering indexes also hold what the visibility test reads, so a page walks the index
    // alone and touches the table only for the rows it returns.
    index('projects_name_idx').on(t.name, t.id, t.organizationId, t.access, t.deletedAt),
    index('projects_created_idx').on(t.createdAt, t.id, t.organizationId, t.access, t.deletedAt),
    index('projects_updated_idx').on(t.updatedAt, t.id, t.organizationId, t.access, t.deletedAt),
    index('projects_org_name_idx').on(t.organizationId, t.name, t.id),
    index('projects_org_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('projects_org_updated_idx').on(t.organizationId, t.updatedAt, t.id),
    index('projects_org_access_idx').on(t.organizationId, t.access),
    index('projects_type_idx').on(t.projectType, t.id),
    index('projects_country_idx').on(t.country, t.id),
    // Seed 001's filter by creator, and the SET NULL when an account is deleted.
    index('projects_creator_idx').on(t.creatorId),
    index('projects_deleted_idx').on(t.organizationId, t.deletedAt).where(sql`deleted_at IS NOT NULL`),
  ],
);

/**
 * How many live projects each organisation has (`live`), and how many of them every member may see
 * (`open`: access `organization`), kept by triggers on `projects` (migrations/*_project_counts_kept.sql)
 * in the statement that writes the project, so that a list's `count` adds up a row per
 * organisation the caller belongs to instead of counting every visible project (auth/access.ts,
 * visibleProjectCount). No foreign key: a row of a deleted organisation is never read.
 */
export const projectCounts = sqliteTable('project_counts', {
  organizationId: text('organization_id').primaryKey(),
  live: integer('live').notNull().default(0),
  open: integer('open').notNull().default(0),
});

export const projectMembers = sqliteTable(
  'project_members',
  {
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['manager', 'editor', 'viewer'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.userId] }),
    index('project_members_user_idx').on(t.userId, t.projectId),
    index('project_members_joined_idx').on(t.projectId, t.createdAt, t.userId),
  ],
);

export type ProjectRow = typeof projects.$inferSelect;
export type ProjectMemberRow = typeof projectMembers.$inferSelect;

export const ASSET_STATUSES = ['Active', 'To Be Inspected', 'Inspected', 'Needs Repair', 'Under Repair', 'Out of Service', 'Retired'] as const;

/**
 * An asset (seed 003's object_key is its id). `seq` is the rowid of its rows in `assets_fts`
 * (name, tag, description) and `assets_rtree` (its point, for bbox), kept by triggers in
 * migrations/0005_assets_search.sql. An asset belongs to an organisation and optionally a project.
 */
export const assets = sqliteTable(
  'assets',
  {
    seq: integer('seq').primaryKey(),
    id: text('id').notNull(),
    number: entityNumber('asset'),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    assetTag: text('asset_tag'),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    assetType: text('asset_type').notNull().default(''),
    assetSubtype: text('asset_subtype').notNull().default(''),
    assetStatus: text('asset_status', { enum: ASSET_STATUSES }).notNull().default('Active'),
    location: text('location').notNull().default(''),
    lat: real('lat'),
    lon: real('lon'),
    inServiceDate: text('in_service_date'),
    attributes: jsonText<Record<string, unknown>>('attributes').notNull().default(sql`'{}'`),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('assets_number_uq').on(t.number),
    uniqueIndex('assets_id_uq').on(t.id),
    uniqueIndex('assets_org_tag_uq').on(t.organizationId, t.assetTag),
    index('assets_project_name_idx').on(t.projectId, t.name, t.id),
    index('assets_project_created_idx').on(t.projectId, t.createdAt, t.id),
    index('assets_project_updated_idx').on(t.projectId, t.updatedAt, t.id),
    index('assets_org_name_idx').on(t.organizationId, t.name, t.id),
    index('assets_org_updated_idx').on(t.organizationId, t.updatedAt, t.id),
    index('assets_name_idx').on(t.name, t.id, t.organizationId, t.projectId),
    index('assets_updated_idx').on(t.updatedAt, t.id, t.organizationId, t.projectId),
    index('assets_status_idx').on(t.assetStatus, t.organizationId, t.projectId),
    index('assets_type_idx').on(t.assetType, t.id),
  ],
);

/**
 * How many assets each project holds, whatever the project's state (in the trash or not), kept by
 * triggers on `assets` (migrations/*_asset_counts_kept.sql) in the statement that writes the asset.
 * No foreign key: the row of a purged project is deleted by a trigger too.
 */
export const projectAssetCounts = sqliteTable('project_asset_counts', {
  projectId: text('project_id').primaryKey(),
  assets: integer('assets').notNull().default(0),
});

/**
 * Per organisation, the assets its members may see by the rule of assets/access.ts, counted by
 * kind: `alone`, those in no project (every member sees them); `live`, those in its live projects
 * (its admins see them all); `open`, those of them in projects whose access is `organization`
 * (every member sees them). Kept by triggers on `assets` and `projects` (a trash, a restore, an
 * access change or a move of a project carries its whole project_asset_counts row across), so that
 * the asset list's count adds up a row per organisation the caller belongs to and a row per private
 * project they are a member of, not a row per asset (assets/access.ts, visibleAssetCount).
 */
export const assetCounts = sqliteTable('asset_counts', {
  organizationId: text('organization_id').primaryKey(),
  alone: integer('alone').notNull().default(0),
  live: integer('live').notNull().default(0),
  open: integer('open').notNull().default(0),
});

export const folders = sqliteTable(
  'folders',
  {
    id: text('id').primaryKey(),
    number: entityNumber('folder'),
    assetId: text('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    parentId: text('parent_id').references((): AnySQLiteColumn => folders.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('folders_number_uq').on(t.number),
    index('folders_asset_parent_idx').on(t.assetId, t.parentId, t.name, t.id),
    index('folders_parent_idx').on(t.parentId),
  ],
);

/** A file of an asset's data tab; its bytes are a blob. */
export const dataFiles = sqliteTable(
  'data_files',
  {
    id: text('id').primaryKey(),
    number: entityNumber('data_file'),
    assetId: text('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    folderId: text('folder_id').references(() => folders.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    mimeType: text('mime_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    blobId: text('blob_id').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('data_files_number_uq').on(t.number),
    index('data_files_asset_folder_idx').on(t.assetId, t.folderId, t.name, t.id),
    index('data_files_folder_idx').on(t.folderId),
    index('data_files_blob_idx').on(t.blobId),
  ],
);

/** A 360° photo of an asset. */
export const spheres = sqliteTable(
  'spheres',
  {
    id: text('id').primaryKey(),
    number: entityNumber('sphere'),
    assetId: text('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    blobId: text('blob_id').notNull(),
    capturedAt: integer('captured_at'),
    lat: real('lat'),
    lon: real('lon'),
    heading: real('heading'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('spheres_number_uq').on(t.number),
    index('spheres_asset_idx').on(t.assetId, t.createdAt, t.id),
    index('spheres_blob_idx').on(t.blobId),
  ],
);

export const reports = sqliteTable(
  'reports',
  {
    id: text('id').primaryKey(),
    number: entityNumber('report'),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    assetId: text('asset_id').references(() => assets.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: ['draft', 'final'] }).notNull().default('draft'),
    blobId: text('blob_id'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('reports_number_uq').on(t.number),
    index('reports_project_idx').on(t.projectId, t.createdAt, t.id),
    index('reports_asset_idx').on(t.assetId, t.createdAt, t.id),
    index('reports_updated_idx').on(t.updatedAt, t.id),
    index('reports_blob_idx').on(t.blobId),
  ],
);

export type AssetRow = typeof assets.$inferSelect;
export type FolderRow = typeof folders.$inferSelect;
export type DataFileRow = typeof dataFiles.$inferSelect;
export type SphereRow = typeof spheres.$inferSelect;
export type ReportRow = typeof reports.$inferSelect;

export const RESOURCE_ENTITY_TYPES = ['organization', 'project', 'asset', 'report'] as const;
export type ResourceEntityType = (typeof RESOURCE_ENTITY_TYPES)[number];

/**
 * A resource (seed 004) = a document (seed 003): a file with metadata, owned by the organisation
 * whose R2 prefix holds its bytes, attached to one or more entities (resource_attachments).
 * Resources of one organisation with the same bytes share one blob (deduplicated on
 * (organization_id, sha256)); the blob goes when the last resource naming it goes.
 */
export const resources = sqliteTable(
  'resources',
  {
    id: text('id').primaryKey(),
    number: entityNumber('resource'),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    mimeType: text('mime_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    blobId: text('blob_id').notNull(),
    archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
    attributes: jsonText<Record<string, unknown>>('attributes').notNull().default(sql`'{}'`),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [
    uniqueIndex('resources_number_uq').on(t.number),
    index('resources_name_idx').on(t.name, t.id),
    index('resources_created_idx').on(t.createdAt, t.id),
    index('resources_size_idx').on(t.size, t.id),
    index('resources_org_idx').on(t.organizationId),
    index('resources_blob_idx').on(t.blobId),
  ],
);

/**
 * What a resource is attached to. `entity_id` names an organisation, project, asset or report,
 * possibly of another organisation than the resource's; no foreign key (four possible tables),
 * so deleting an entity leaves its attachments dangling: visibility ignores them and the
 * scheduled sweep removes them (src/storage/sweep.ts).
 */
export const resourceAttachments = sqliteTable(
  'resource_attachments',
  {
    resourceId: text('resource_id')
      .notNull()
      .references(() => resources.id, { onDelete: 'cascade' }),
    entityType: text('entity_type', { enum: RESOURCE_ENTITY_TYPES }).notNull(),
    entityId: text('entity_id').notNull(),
    organizationId: text('organization_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.entityType, t.entityId] }), index('resource_attachments_entity_idx').on(t.entityType, t.entityId)],
);

export type ResourceRow = typeof resources.$inferSelect;
export type ResourceAttachmentRow = typeof resourceAttachments.$inferSelect;

/**
 * Where a walk of the scheduled sweep stopped (the R2 list cursor), so that each run does a
 * bounded amount of work and the next one resumes there; null when the last pass finished.
 */
export const sweepState = sqliteTable('sweep_state', {
  name: text('name').primaryKey(),
  cursor: text('cursor'),
  updatedAt: integer('updated_at').notNull(),
});

export const CHANGE_TYPES = [
  'organization',
  'member',
  'project',
  'project_member',
  'asset',
  'folder',
  'data_file',
  'sphere',
  'report',
  'resource',
  'attachment',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/**
 * The change log (the feed of GET /v1/organizations/{org}/changes and the activity of an entity):
 * one row per insert, update and delete of an organisation's entity, written by triggers on the
 * entity tables (migrations/*_change_log_triggers.sql) in the statement that makes the change, so
 * no write path can leave it out. `seq` is the commit order (AUTOINCREMENT: never reused, also
 * once the oldest rows are removed). Only what identifies a change is kept; the feed renders the
 * entity as it is when read.
 *
 * - `organization_id`, `project_id`: the feed it belongs to and who may see it (null project: the
 *   whole organisation). An entity's are fixed for its life; a deletion copies its entity's.
 * - `entity_id`: a member and a project member are named by their user's id; an attachment by
 *   `resource/entity_type/entity_id`, the path that deletes it.
 * - `version`: the entity's version after the change (before it, for a deletion); null for the
 *   members and attachments, which have none.
 * - `view`: set where the change may change what someone sees (src/changes/visibility.ts).
 * - `actor_id`, `at`: who and when, from write_context (null actor: the scheduled clean-up, or a
 *   write outside a request).
 */
export const changes = sqliteTable(
  'changes',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    organizationId: text('organization_id').notNull(),
    projectId: text('project_id'),
    entityType: text('entity_type', { enum: CHANGE_TYPES }).notNull(),
    entityId: text('entity_id').notNull(),
    op: text('op', { enum: ['insert', 'update', 'delete'] }).notNull(),
    version: integer('version'),
    view: text('view', { enum: ['member', 'project_member', 'access', 'trash', 'open_purge', 'private_purge', 'moved'] }),
    actorId: text('actor_id'),
    at: integer('at').notNull(),
  },
  (t) => [
    index('changes_org_seq_idx').on(t.organizationId, t.seq),
    index('changes_entity_idx').on(t.entityType, t.entityId, t.seq),
    index('changes_view_idx').on(t.organizationId, t.seq).where(sql`view IS NOT NULL`),
  ],
);

export type ChangeRow = typeof changes.$inferSelect;

/**
 * Who is writing, for the change log's triggers: one row, written as the first statement of every
 * write batch and deleted as its last (src/db/write-context.ts). D1 runs one batch at a time per
 * database, so a trigger reads the row of its own batch; a write outside those batches finds none.
 */
export const writeContext = sqliteTable(
  'write_context',
  {
    id: integer('id').primaryKey(),
    actorId: text('actor_id'),
    at: integer('at').notNull(),
  },
  () => [check('write_context_one_row', sql`id = 1`)],
);

/**
 * Idempotency-Key (src/http/idempotency.ts): the first answer to a keyed POST, per credential
 * (`owner` is the SHA-256 of the token that sent it) and key. While the first request runs,
 * `fingerprint` is null and `expires_at` is the end of its lease; then the answer is kept,
 * encrypted with a key only that token's secret gives, until `expires_at`.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    owner: text('owner').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    fingerprint: text('fingerprint'),
    answer: text('answer'),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);
