import { z } from '@hono/zod-openapi';
import type { FolderRow } from '../db/schema';
import { numberOf } from '../db/numbers';
import { ENTITY_NUMBER, ID, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';
import { USERNAME_OUT } from '../users/schemas';

/** A folder or file name as people type it: trimmed, 1 to 255 characters, no control characters. */
export const ITEM_NAME_MAX = 255;
export const ITEM_NAME = z
  .string()
  .trim()
  .min(1)
  .max(ITEM_NAME_MAX)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'No control characters.');

const FOLDER_ID = z.string().trim().min(1).max(64);

/** `root` (the asset's top level) or a folder id: the `parent` and `folder` filters. */
export const FOLDER_REF = z
  .string()
  .trim()
  .max(64)
  .regex(/^(root|fld_[0-9a-z]{1,60})$/, 'root, or a folder id (fld_…).')
  .optional()
  .openapi({ example: 'root' });

export const FolderCreateBody = z
  .object({
    name: ITEM_NAME,
    parent_id: FOLDER_ID.nullable().optional().openapi({ description: 'A folder of the same asset; leave out (or null) for the top level.' }),
  })
  .strict()
  .openapi('FolderCreate');

export const FolderPatchBody = z
  .object({
    name: ITEM_NAME.optional(),
    parent_id: FOLDER_ID.nullable()
      .optional()
      .openapi({ description: 'Move under this folder of the same asset, or null for the top level. Not into the folder itself or below it.' }),
  })
  .strict()
  .openapi('FolderPatch');

export type FolderChanges = z.infer<typeof FolderPatchBody>;

export const CreatorSchema = z
  .object({ id: ID, username: USERNAME_OUT })
  .nullable()
  .openapi({ description: 'Who created it; null once the account is deleted.' });

export function toCreator(creator: { id: string | null; username: string | null }) {
  return creator.id && creator.username ? { id: creator.id, username: creator.username } : null;
}

export const FolderSchema = z
  .object({
    id: ID.openapi({ example: 'fld_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    asset_id: ID,
    parent_id: ID.nullable().openapi({ description: 'The folder it sits in; null at the top level.' }),
    name: z.string().max(ITEM_NAME_MAX),
    created_by: CreatorSchema,
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  })
  .openapi('Folder');
export type FolderOut = z.infer<typeof FolderSchema>;

export function toFolder(row: { folder: FolderRow; creator: { id: string | null; username: string | null } }): FolderOut {
  const f = row.folder;
  return {
    id: f.id,
    number: numberOf(f),
    asset_id: f.assetId,
    parent_id: f.parentId,
    name: f.name,
    created_by: toCreator(row.creator),
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
  };
}
