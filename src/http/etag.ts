/**
 * ETags are strong validators computed from the JSON representation itself, so a GET's ETag is
 * exactly what a later If-Match is compared with. Writes also check the row's version in their
 * UPDATE, so two writers holding the same ETag cannot both win.
 */
import type { Context, TypedResponse } from 'hono';
import { sql, type SQL } from 'drizzle-orm';
import { problems } from './problem';

export function etagOf(representation: unknown): Promise<string> {
  return etagOfText(JSON.stringify(representation));
}

const UTF8 = new TextEncoder();
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The ETag of a representation already serialized (the body as sent): the first 18 bytes of its SHA-256, base64url. */
async function etagOfText(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', UTF8.encode(text)));
  let tag = '"';
  for (let i = 0; i < 18; i += 3) {
    const n = (digest[i]! << 16) | (digest[i + 1]! << 8) | digest[i + 2]!;
    tag += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  return `${tag}"`;
}

function tags(header: string): string[] {
  return header.split(',').map((t) => t.trim()).filter(Boolean);
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return true;
  const bare = etag.replace(/^W\//, '');
  return !tags(header).some((t) => t === '*' || t.replace(/^W\//, '') === bare);
}

/** Throws 412 when If-Match is present and names neither `*` nor the current ETag (strong comparison). */
export async function checkIfMatch(header: string | undefined, representation: unknown): Promise<void> {
  if (!header) return;
  const etag = await etagOf(representation);
  if (!tags(header).some((t) => t === '*' || t === etag)) throw problems.preconditionFailed();
}

/**
 * The WHERE term that makes an update conditional on the version that was read: only when the
 * client sent If-Match (a write without it is last-write-wins, as the client asked for nothing).
 */
export function versionGuard<C>(ifMatch: string | undefined, column: C, version: number): SQL | undefined {
  return ifMatch ? sql`${column} = ${version}` : undefined;
}

/** A single entity: JSON with its ETag, or 304 when the client's copy is current. */
export async function entityJson<T, S extends 200 | 201 = 200>(
  c: Context,
  representation: T,
  status: S = 200 as S,
): Promise<Response & TypedResponse<T, S, 'json'>> {
  // Serialized once: the body sent is the text the ETag is computed from.
  const text = JSON.stringify(representation);
  const etag = await etagOfText(text);
  const headers: Record<string, string> = { ETag: etag, 'Cache-Control': 'private, no-cache' };
  if (status === 200 && (c.req.method === 'GET' || c.req.method === 'HEAD') && !noneMatch(c.req.header('If-None-Match'), etag)) {
    // 304 carries no body; it is declared in each GET's responses.
    return new Response(null, { status: 304, headers }) as unknown as Response & TypedResponse<T, S, 'json'>;
  }
  return c.body(text, status, { 'Content-Type': 'application/json', ...headers }) as unknown as Response & TypedResponse<T, S, 'json'>;
}
