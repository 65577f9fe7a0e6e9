/**
 * Logos of organisations and projects: an image in R2 behind a blob row, referred to by the
 * owner's `logo_blob_id`. Replacing and removing are race-safe: the owner's row is updated only
 * if it still shows the logo that was read, and the blob rows change in the same batch only if
 * that update took effect. R2 is written first and cleaned after, so a failure anywhere leaves at
 * most an object without a row, which the sweep removes.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Scope } from '../auth/caller';
import { blobs, organizations, projects, type BlobRow } from '../db/schema';

/** A logo as its owner's row names it: what a representation shows and the logo routes serve. */
export type LogoRef = Pick<BlobRow, 'id' | 'r2Key' | 'mimeType' | 'size' | 'sha256'>;
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { blobOwnedBy, objectKey, objectResponse, putBytes } from './objects';
import { LOGO_TYPES } from './sniff';
import { settleType } from './uploads';
import { touched } from '../db/changes';

export const LOGO_MAX_BYTES = 5 * 1024 * 1024;

export interface NewLogo {
  filename: string;
  mediaType: string;
  bytes: Uint8Array;
}

/** The tables that own a logo; both have id, logo_blob_id, updated_at and version. */
export type LogoOwner = typeof organizations | typeof projects;

/** Checks the image and writes it to R2; the caller writes the blob row (and removes the object if that fails). */
export async function storeLogo(scope: Scope, organizationId: string, logo: NewLogo): Promise<BlobRow> {
  const type = settleType(logo.mediaType, logo.bytes, {
    allowed: { types: LOGO_TYPES, described: `a PNG, JPEG, GIF or WebP image, ${LOGO_MAX_BYTES} bytes at most` },
    field: 'logo',
  });
  const id = newId('blb');
  const stored = await putBytes(scope.files, objectKey(organizationId, 'logo', id), logo.bytes, type);
  return { id, organizationId, r2Key: stored.key, size: stored.size, sha256: stored.sha256, mimeType: type, createdAt: scope.now };
}

export async function discardObjects(scope: Scope, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    // A failure here is left to the scheduled sweep: the rows are already gone.
    await scope.files.delete(keys.slice(i, i + 1000)).catch(() => undefined);
  }
}

// drizzle's builders are typed per table; the columns used here exist on every LogoOwner.
const asOwner = (table: LogoOwner) => table as typeof organizations;

function showsLogo(table: LogoOwner, blobId: string | null) {
  const t = asOwner(table);
  return blobId ? eq(t.logoBlobId, blobId) : isNull(t.logoBlobId);
}

export async function replaceLogo<T extends LogoOwner>(
  scope: Scope,
  table: T,
  owner: { id: string; organizationId: string; logo: LogoRef | null },
  logo: NewLogo,
): Promise<{ row: T['$inferSelect']; blob: BlobRow }> {
  const t = asOwner(table);
  const stored = await storeLogo(scope, owner.organizationId, logo);
  const tookEffect = sql`EXISTS (SELECT 1 FROM ${t} WHERE ${t.id} = ${owner.id} AND ${t.logoBlobId} = ${stored.id})`;
  // A project's logo belongs to the project's organisation when the row is written (it may have moved meanwhile).
  const organization = table === projects ? sql<string | null>`(SELECT organization_id FROM projects WHERE id = ${owner.id})` : sql<string | null>`${owner.organizationId}`;
  try {
    const [, updated] = await scope.db.batch([
      scope.db.insert(blobs).values(blobOwnedBy(stored, organization)),
      scope.db
        .update(t)
        .set({ logoBlobId: stored.id, ...touched(t.version, scope.now) })
        // Guarded on the logo that was read, not the version: an edit of other fields meanwhile is no conflict.
        .where(and(eq(t.id, owner.id), showsLogo(table, owner.logo?.id ?? null)))
        .returning(),
      ...(owner.logo ? [scope.db.delete(blobs).where(and(eq(blobs.id, owner.logo.id), tookEffect))] : []),
      scope.db.delete(blobs).where(and(eq(blobs.id, stored.id), sql`NOT ${tookEffect}`)),
    ]);
    if (!updated[0]) throw problems.conflict('The logo was replaced or removed while this one was uploading; try again.');
    if (owner.logo) scope.waitUntil(discardObjects(scope, [owner.logo.r2Key]));
    return { row: updated[0] as T['$inferSelect'], blob: stored };
  } catch (error) {
    await discardObjects(scope, [stored.r2Key]);
    throw error;
  }
}

export async function removeLogo(scope: Scope, table: LogoOwner, owner: { id: string; logo: LogoRef | null }): Promise<void> {
  const t = asOwner(table);
  const current = owner.logo;
  if (!current) throw problems.notFound('Logo');
  const [cleared] = await scope.db.batch([
    scope.db
      .update(t)
      .set({ logoBlobId: null, ...touched(t.version, scope.now) })
      .where(and(eq(t.id, owner.id), showsLogo(table, current.id)))
      .returning({ id: t.id }),
    // Only the logo this request read, and only once nothing refers to it.
    scope.db.delete(blobs).where(and(eq(blobs.id, current.id), sql`NOT EXISTS (SELECT 1 FROM ${t} WHERE ${t.logoBlobId} = ${current.id})`)),
  ]);
  if (cleared.length === 0) throw problems.conflict('The logo was replaced while it was being removed; try again.');
  scope.waitUntil(discardObjects(scope, [current.r2Key]));
}

export function logoResponse(c: Context, scope: Scope, logo: LogoRef | null, name: string): Promise<Response> {
  if (!logo) throw problems.notFound('Logo');
  const extension = logo.mimeType.split('/')[1] ?? 'bin';
  return objectResponse(c, scope.files, logo.r2Key, { filename: `${name}-logo.${extension}`, disposition: 'inline' });
}
