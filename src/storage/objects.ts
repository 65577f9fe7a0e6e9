/**
 * R2 bodies. Keys are `<organization id>/<kind>/<blob id>`: a tenant prefix with a trailing
 * slash, so one organisation's listing never includes another's. The prefix is the organisation
 * that stored the bytes: a project moved to another organisation keeps its objects where they are
 * and its blob rows change owner (blobs.organization_id), so the owner is read from the row.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Context } from 'hono';
import type { BlobRow } from '../db/schema';
import { noneMatch } from '../http/etag';
import { IF_NONE_MATCH, RANGE } from '../http/openapi';
import { Problem, problems } from '../http/problem';

export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
  mimeType: string;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function objectKey(organizationId: string, kind: string, blobId: string): string {
  return `${organizationId}/${kind}/${blobId}`;
}

/**
 * SQL: the object key names a blob of `kind`. Only the kind segment is read: the first one names
 * the organisation that stored the bytes, and a project moved to another organisation takes its
 * blobs along without moving their objects (blobs.organization_id is the owner).
 */
export function keyOfKind(key: SQL, kind: string): SQL<boolean> {
  return sql<boolean>`instr(${key}, ${`/${kind}/`}) > 0`;
}

/**
 * The blob row of an upload, owned by the organisation `owner` names when the row is written (SQL:
 * the organisation of the asset or project the file belongs to), not the one the request read: the
 * project may have moved to another organisation meanwhile, and deleting an organisation deletes
 * its blobs. The organisation read stands in when the owner is gone (the row that names the blob
 * then fails on its own foreign key).
 */
export function blobOwnedBy(blob: BlobRow, owner: SQL<string | null>): Omit<BlobRow, 'organizationId'> & { organizationId: SQL<string> } {
  return { ...blob, organizationId: sql<string>`COALESCE(${owner}, ${blob.organizationId})` };
}

/** Copies an object to a new key, streamed; R2 checks the SHA-256. For bytes that come to belong to two organisations. */
export async function copyObject(bucket: R2Bucket, from: string, to: string, sha256: string): Promise<void> {
  const source = await bucket.get(from);
  if (!source) throw new Error(`The object ${from} is missing.`);
  await bucket.put(to, source.body, { httpMetadata: source.httpMetadata, sha256 });
}

/**
 * Writes a body that is already bounded in memory (a multipart part under its limit). R2 checks
 * the SHA-256 we computed, so a corrupted write fails instead of storing wrong bytes.
 */
export async function putBytes(bucket: R2Bucket, key: string, bytes: Uint8Array, mimeType: string): Promise<StoredObject> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  await bucket.put(key, bytes, { sha256: digest, httpMetadata: { contentType: mimeType } });
  return { key, size: bytes.byteLength, sha256: hex(digest), mimeType };
}

/** RFC 6266 / 8187: an ASCII fallback and the exact name in `filename*`. */
export function contentDisposition(filename: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * The headers objectResponse writes, as the document declares them. Content-Disposition carries a
 * stored name (at most 255 characters): its ASCII fallback and percent-encoded UTF-8 stay under 4 KiB.
 */
const header = (description: string, schema: object) => ({ description, schema });
const OBJECT_HEADERS = {
  'Content-Length': header('Bytes in this response.', { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  'Content-Disposition': header('attachment, with the file name (ASCII fallback and exact `filename*`).', { type: 'string', maxLength: 4096 }),
  ETag: header('The stored object’s entity tag.', { type: 'string', maxLength: 64 }),
  'Last-Modified': header('When the file was stored (an HTTP date).', { type: 'string', maxLength: 29 }),
  'Accept-Ranges': header('bytes', { type: 'string', enum: ['bytes'] }),
  'X-Content-Type-Options': header('nosniff', { type: 'string', enum: ['nosniff'] }),
};
export const DOWNLOAD_HEADERS = {
  full: OBJECT_HEADERS,
  partial: {
    ...OBJECT_HEADERS,
    'Content-Range': header('bytes start-end/size', { type: 'string', maxLength: 64, pattern: '^bytes [0-9]+-[0-9]+/[0-9]+$' }),
  },
};

/** What a download takes: one byte range, and the ETag of a copy the client holds. */
export const DOWNLOAD_PARAMETERS = [RANGE, IF_NONE_MATCH];

const RANGE_FORM = /^bytes=(\d*)-(\d*)$/;

type ParsedRange = { offset: number; length?: number } | { suffix: number } | 'invalid' | undefined;

/**
 * One byte range. A header we do not serve (another unit, several ranges, bad syntax) is
 * ignored and the whole file is sent, as RFC 9110 14.2 allows; a well-formed range that misses
 * the file is 'invalid' (416).
 */
function parseRange(header: string | undefined): ParsedRange {
  if (!header) return undefined;
  const m = RANGE_FORM.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  const offset = Number(m[1]);
  if (m[2] === '') return { offset };
  const end = Number(m[2]);
  if (end < offset) return 'invalid';
  return { offset, length: end - offset + 1 };
}

/**
 * Streams an object: Content-Type, Content-Length, Content-Disposition, ETag, Last-Modified,
 * `Range` (206, 416) and `If-None-Match` (304). Nothing is buffered.
 */
export async function objectResponse(
  c: Context,
  bucket: R2Bucket,
  key: string,
  opts: { filename: string; disposition?: 'attachment' | 'inline' },
): Promise<Response> {
  const head = await bucket.head(key);
  if (!head) throw problems.notFound('File');
  const headers = new Headers();
  head.writeHttpMetadata(headers);
  headers.set('ETag', head.httpEtag);
  headers.set('Last-Modified', head.uploaded.toUTCString());
  headers.set('Accept-Ranges', 'bytes');
  headers.set('Content-Disposition', contentDisposition(opts.filename, opts.disposition));
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('Cache-Control', 'private, max-age=0, must-revalidate');
  if (!noneMatch(c.req.header('If-None-Match'), head.httpEtag)) return new Response(null, { status: 304, headers });

  const range = parseRange(c.req.header('Range'));
  const size = head.size;
  if (range === 'invalid' || (range && 'offset' in range && range.offset >= size) || (range && 'suffix' in range && range.suffix === 0)) {
    // Thrown, so that it renders like every other problem (instance, request_id).
    throw new Problem(416, 'range-not-satisfiable', 'Range not satisfiable', `The file has ${size} bytes.`, {
      headers: { 'Content-Range': `bytes */${size}` },
    });
  }
  let r2Range: R2Range | undefined;
  if (range) {
    if ('suffix' in range) r2Range = { suffix: Math.min(range.suffix, size) };
    else r2Range = { offset: range.offset, length: Math.min(range.length ?? size - range.offset, size - range.offset) };
  }
  const object = await bucket.get(key, r2Range ? { range: r2Range } : {});
  if (!object) throw problems.notFound('File');
  if (!r2Range) {
    headers.set('Content-Length', String(size));
    return new Response(object.body, { status: 200, headers });
  }
  const start = 'suffix' in r2Range ? size - r2Range.suffix! : r2Range.offset!;
  const length = 'suffix' in r2Range ? r2Range.suffix! : r2Range.length!;
  headers.set('Content-Range', `bytes ${start}-${start + length - 1}/${size}`);
  headers.set('Content-Length', String(length));
  return new Response(object.body, { status: 206, headers });
}
