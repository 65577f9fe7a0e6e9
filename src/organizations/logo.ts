/** Organisation logos: an image in R2 behind a blob row, replaced and removed without orphans. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Scope } from '../auth/caller';
import { blobs, organizations, type BlobRow } from '../db/schema';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { objectKey, objectResponse, putBytes } from '../storage/objects';
import { LOGO_TYPES, sniff } from '../storage/sniff';
import { toOrganization } from './schemas';
import { loadOrganization, requireWritable } from './access';

export const LOGO_MAX_BYTES = 5 * 1024 * 1024;

export interface NewLogo {
  filename: string;
  mediaType: string;
  bytes: Uint8Array;
}

/** Checks the image and writes it to R2; the caller writes the blob row (and removes the object if that fails). */
export async function storeLogo(scope: Scope, organizationId: string, logo: NewLogo): Promise<BlobRow> {
  const actual = sniff(logo.bytes);
  if (!actual || !LOGO_TYPES.includes(actual)) {
    throw problems.invalid([{ path: 'logo', message: `Send a PNG, JPEG, GIF or WebP image (${LOGO_MAX_BYTES} bytes at most).` }]);
  }
  const declared = logo.mediaType.split(';')[0]!.trim().toLowerCase();
  if (declared !== 'application/octet-stream' && declared !== actual) {
    throw problems.invalid([{ path: 'logo', message: `Declared as ${declared} but the content is ${actual}.` }]);
  }
  const id = newId('blb');
  const stored = await putBytes(scope.files, objectKey(organizationId, 'logo', id), logo.bytes, actual);
  return { id, organizationId, r2Key: stored.key, size: stored.size, sha256: stored.sha256, mimeType: actual, createdAt: scope.now };
}

export async function discardObjects(scope: Scope, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    // A failure here is left to the scheduled sweep: the rows are already gone.
    await scope.files.delete(keys.slice(i, i + 1000)).catch(() => undefined);
  }
}

function sameLogo(blobId: string | null) {
  return blobId ? eq(organizations.logoBlobId, blobId) : isNull(organizations.logoBlobId);
}

export async function putLogo(scope: Scope, ref: string, logo: NewLogo) {
  const access = await loadOrganization(scope, ref, 'admin');
  requireWritable(access);
  const { org } = access;
  const stored = await storeLogo(scope, org.id, logo);
  // The blob rows change only if the guarded update took effect: when the organisation changed
  // meanwhile, the old logo keeps its row and the new row goes again, all in the one batch.
  const tookEffect = sql`EXISTS (SELECT 1 FROM ${organizations} WHERE ${organizations.id} = ${org.id} AND ${organizations.logoBlobId} = ${stored.id})`;
  try {
    const [, updated] = await scope.db.batch([
      scope.db.insert(blobs).values(stored),
      scope.db
        .update(organizations)
        .set({ logoBlobId: stored.id, updatedAt: scope.now, version: sql`${organizations.version} + 1` })
        // Guarded on the logo that was read, not the version: an edit of other fields meanwhile is no conflict.
        .where(and(eq(organizations.id, org.id), sameLogo(access.logo?.id ?? null)))
        .returning(),
      ...(access.logo ? [scope.db.delete(blobs).where(and(eq(blobs.id, access.logo.id), tookEffect))] : []),
      scope.db.delete(blobs).where(and(eq(blobs.id, stored.id), sql`NOT ${tookEffect}`)),
    ]);
    if (!updated[0]) throw problems.conflict('The logo was replaced or removed while this one was uploading; try again.');
    if (access.logo) scope.waitUntil(discardObjects(scope, [access.logo.r2Key]));
    return toOrganization(updated[0], stored);
  } catch (error) {
    await discardObjects(scope, [stored.r2Key]);
    throw error;
  }
}

export async function deleteLogo(scope: Scope, ref: string): Promise<void> {
  const access = await loadOrganization(scope, ref, 'admin');
  requireWritable(access);
  if (!access.logo) throw problems.notFound('Logo');
  const [cleared] = await scope.db.batch([
    scope.db
      .update(organizations)
      .set({ logoBlobId: null, updatedAt: scope.now, version: sql`${organizations.version} + 1` })
      .where(and(eq(organizations.id, access.org.id), sameLogo(access.logo.id)))
      .returning({ id: organizations.id }),
    // Only the logo this request read, and only once nothing refers to it.
    scope.db
      .delete(blobs)
      .where(and(eq(blobs.id, access.logo.id), sql`NOT EXISTS (SELECT 1 FROM ${organizations} WHERE ${organizations.logoBlobId} = ${access.logo.id})`)),
  ]);
  if (cleared.length === 0) throw problems.conflict('The logo was replaced while it was being removed; try again.');
  scope.waitUntil(discardObjects(scope, [access.logo.r2Key]));
}

export async function logoResponse(c: Context, scope: Scope, ref: string): Promise<Response> {
  const access = await loadOrganization(scope, ref, 'read');
  if (!access.logo) throw problems.notFound('Logo');
  const extension = access.logo.mimeType.split('/')[1] ?? 'bin';
  return objectResponse(c, scope.files, access.logo.r2Key, { filename: `${access.org.slug}-logo.${extension}`, disposition: 'inline' });
}
