import { z } from '@hono/zod-openapi';
import type { DataFileRow } from '../db/schema';
import { CreatorSchema, FolderSchema, ITEM_NAME, ITEM_NAME_MAX, toCreator } from '../folders/schemas';
import { MAX_LIMIT, PAGE_LINK } from '../http/list';
import { numberOf } from '../db/numbers';
import { API_PATH, COUNT, ENTITY_NUMBER, ID, SHA256, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';

const FOLDER_ID = z.string().trim().min(1).max(64);

/** The metadata of an upload, from the multipart fields or the query (raw body). */
export const DataUploadFields = z.object({
  name: ITEM_NAME.optional(),
  folder_id: FOLDER_ID.optional(),
});

export const DataPatchBody = z
  .object({
    name: ITEM_NAME.optional(),
    folder_id: FOLDER_ID.nullable()
      .optional()
      .openapi({ description: 'Move into this folder of the same asset, or null for the top level.' }),
  })
  .strict()
  .openapi('DataFilePatch');

export type DataChanges = z.infer<typeof DataPatchBody>;

export const DataFileSchema = z
  .object({
    id: ID.openapi({ example: 'dat_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    asset_id: ID,
    folder_id: ID.nullable().openapi({ description: 'The folder it is in; null at the top level.' }),
    name: z.string().max(ITEM_NAME_MAX),
    mime_type: z.string().openapi({ description: 'As declared, checked against the content for the types whose first bytes prove them.' }),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256.openapi({ description: 'Hex SHA-256 of the content, computed while it was stored.' }),
    created_by: CreatorSchema,
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
    download_url: API_PATH.openapi({ example: '/v1/data/dat_01jd8z3b6q0w4y1r7k5t2m9xce/download' }),
  })
  .openapi('DataFile');
export type DataFileOut = z.infer<typeof DataFileSchema>;

export function toDataFile(row: { file: DataFileRow; creator: { id: string | null; username: string | null } }): DataFileOut {
  const f = row.file;
  return {
    id: f.id,
    number: numberOf(f),
    asset_id: f.assetId,
    folder_id: f.folderId,
    name: f.name,
    mime_type: f.mimeType,
    size: f.size,
    sha256: f.sha256,
    created_by: toCreator(row.creator),
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
    download_url: `/v1/data/${f.id}/download`,
  };
}

/** One entry of the data tab: a folder or a file, told apart by `kind`. */
export const ContentItemSchema = z
  .discriminatedUnion('kind', [
    FolderSchema.extend({ kind: z.literal('folder') }).openapi('ContentFolder'),
    DataFileSchema.extend({ kind: z.literal('file') }).openapi('ContentFile'),
  ])
  .openapi('ContentItem');
export type ContentItem = z.infer<typeof ContentItemSchema>;

export const ContentsSchema = z
  .object({
    count: COUNT.openapi({ description: 'Folders plus files at this level (all pages).' }),
    counts: z.object({ folders: COUNT, files: COUNT }).openapi({ description: 'The two parts of `count`.' }),
    next: PAGE_LINK,
    previous: PAGE_LINK,
    // A union, not .nullable(): on a registered schema with a description the generator emits an
    // allOf that no null satisfies.
    folder: z.union([FolderSchema, z.null()]).openapi({ description: 'The folder listed; null at the top level.' }),
    results: z.array(ContentItemSchema).max(MAX_LIMIT).openapi({ description: 'Folders first, then files; each by name.' }),
  })
  .openapi('Contents');
