/**
 * Idempotency-Key on every authenticated POST (IETF draft-ietf-httpapi-idempotency-key-header):
 * the first answer to a keyed request is kept for KEEP_MS per credential and key; a retry of the
 * same request gets that answer back, with `Idempotent-Replayed: true`, and changes nothing; the
 * key with another method, path or body answers 422; a retry while the first is still running
 * answers 409.
 *
 * - The claim on the key rides in the request's first D1 batch, the one that checks the caller
 *   (auth/caller.ts, `authed`), before anything is written: a keyed POST costs one round trip
 *   more than an unkeyed one, to keep the answer. A retry that finds the key taken stops there.
 * - "The same request": method, path and query, media type, X-File-Name, and the SHA-256 of the
 *   body, hashed as it streams through to the handler (a multipart body without its boundary,
 *   which every retry draws anew). A retry of an upload is read through the hash and never
 *   stored: nothing of it reaches R2.
 * - Kept: any answer below 500 once the whole body went through (a 5xx or a broken body releases
 *   the key, so the retry runs). While the first runs, the key is leased for LEASE_MS: a request
 *   that died without releasing it stops blocking retries then.
 * - Answers may hold secrets shown once (a new token, an invitation): a kept answer is encrypted
 *   with a key derived from the secret of the token that sent the request, which the server does
 *   not store, so only that credential's retry can read it back.
 */
import { getMultipartBoundary } from '@remix-run/multipart-parser';
import { and, eq, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { createMiddleware } from 'hono/factory';
import { presentedToken } from '../auth/credentials';
import type { Db } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import { requestDb, type AppEnv } from './context';
import { Problem, problems } from './problem';
import { routingPath } from './router';

export const KEEP_MS = 24 * 3_600_000;
export const LEASE_MS = 15 * 60_000;

/** 1 to 255 visible ASCII characters, bare or as a structured-field string ("…"), as the draft sends it. */
const KEY = /^[\x21-\x7e]{1,255}$/;

export function parseKey(raw: string): string {
  const trimmed = raw.trim();
  const quoted = /^"((?:[^"\\]|\\[\\"])*)"$/.exec(trimmed);
  const key = quoted ? quoted[1]!.replace(/\\(.)/g, '$1') : trimmed;
  if (!KEY.test(key)) {
    throw problems.invalid([{ path: 'Idempotency-Key', message: 'Send 1 to 255 visible ASCII characters (a UUID is a good key).' }], 'The request header is not valid.');
  }
  return key;
}

type KeyRow = typeof idempotencyKeys.$inferSelect;

/** A retry that found its key taken: thrown by `authed` before anything is written, answered by the middleware. */
export class KeyTaken extends Problem {
  constructor(readonly row: KeyRow) {
    super(409, 'idempotency-key-in-use', 'Idempotency key in use', 'A request with this Idempotency-Key is still running: retry it later.');
  }
}

/** The key of a keyed request, claimed by its first D1 batch. */
export class IdempotencyClaim {
  outcome: 'pending' | 'claimed' | 'taken' = 'pending';

  constructor(
    readonly owner: string,
    readonly key: string,
    readonly method: string,
    readonly path: string,
    readonly now: number,
  ) {}

  /** The statements that claim the key for a caller (`callerId`: NULL when the credential is not valid), for a batch. */
  statements(db: Db, callerId: SQL) {
    const mine = and(eq(idempotencyKeys.owner, this.owner), eq(idempotencyKeys.key, this.key));
    return [
      // A kept answer past its time, or the lease of a request that never finished, is free again.
      db.delete(idempotencyKeys).where(and(mine, sql`${idempotencyKeys.expiresAt} <= ${this.now}`)),
      db
        .insert(idempotencyKeys)
        .select(sql`SELECT ${this.owner}, ${this.key}, ${this.method}, ${this.path}, NULL, NULL, ${this.now}, ${this.now + LEASE_MS} WHERE ${callerId} IS NOT NULL`)
        .onConflictDoNothing()
        .returning({ owner: idempotencyKeys.owner }),
      db.select().from(idempotencyKeys).where(mine),
    ] as const;
  }

  /** Reads the claim's results: claimed, or taken (KeyTaken, before the caller's own check: a signed-out token gets its sign-out back). */
  settle(inserted: unknown[], rows: KeyRow[]): void {
    if (inserted.length > 0) {
      this.outcome = 'claimed';
      return;
    }
    if (rows[0]) {
      this.outcome = 'taken';
      throw new KeyTaken(rows[0]);
    }
  }
}

/**
 * The SHA-256 of a body as it streams to whoever reads it, with a multipart boundary taken out
 * wherever it occurs; drain() reads through what the reader left.
 */
class BodyDigest {
  readonly stream: ReadableStream<Uint8Array> | null;
  private readonly source: ReadableStreamDefaultReader<Uint8Array> | null;
  private readonly hash = new crypto.DigestStream('SHA-256');
  private readonly writer = this.hash.getWriter();
  private readonly cut: Uint8Array | null;
  private carry = new Uint8Array();
  private state: 'reading' | 'done' | 'broken' = 'reading';

  constructor(body: ReadableStream<Uint8Array> | null, boundary: string | null) {
    this.cut = boundary ? new TextEncoder().encode(boundary) : null;
    this.source = body ? body.getReader() : null;
    if (!body) void this.end();
    this.stream = body
      ? new ReadableStream<Uint8Array>({
          pull: async (controller) => {
            const chunk = await this.next().catch((error: unknown) => {
              controller.error(error);
              return null;
            });
            if (chunk) controller.enqueue(chunk);
            else if (this.state === 'done') controller.close();
          },
          // The reader gave up (a refusal half way): the rest may still be read through, by drain().
          cancel: () => undefined,
        })
      : null;
  }

  /** The next chunk of the body, hashed; null at its end. */
  private async next(): Promise<Uint8Array | null> {
    if (this.state !== 'reading' || !this.source) return null;
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await this.source.read();
    } catch (error) {
      this.state = 'broken';
      throw error;
    }
    if (read.done) {
      await this.end();
      return null;
    }
    await this.feed(read.value);
    return read.value;
  }

  private async feed(chunk: Uint8Array) {
    if (!this.cut) return this.writer.write(chunk);
    const buf = new Uint8Array(this.carry.byteLength + chunk.byteLength);
    buf.set(this.carry);
    buf.set(chunk, this.carry.byteLength);
    const cut = this.cut;
    let from = 0;
    let i = 0;
    // Every whole occurrence goes; the last bytes that might begin one wait for the next chunk.
    while (i + cut.byteLength <= buf.byteLength) {
      let match = true;
      for (let j = 0; j < cut.byteLength && match; j++) match = buf[i + j] === cut[j];
      if (match) {
        if (i > from) await this.writer.write(buf.slice(from, i));
        i += cut.byteLength;
        from = i;
      } else i += 1;
    }
    const keep = Math.max(from, buf.byteLength - (cut.byteLength - 1));
    if (keep > from) await this.writer.write(buf.slice(from, keep));
    this.carry = buf.slice(keep);
  }

  private async end() {
    if (this.carry.byteLength) await this.writer.write(this.carry);
    this.carry = new Uint8Array();
    await this.writer.close();
    this.state = 'done';
  }

  /** Reads what the handler left of the body; true when the whole of it went through the hash. */
  async drain(): Promise<boolean> {
    try {
      while ((await this.next()) !== null);
    } catch {
      return false;
    }
    return this.state === 'done';
  }

  async hex(): Promise<string> {
    return hex(await this.hash.digest);
  }
}

/** For the hourly cron: kept answers past their time, and leases of requests that never finished. */
export async function dropExpiredIdempotencyKeys(d1: D1Database, now: number): Promise<void> {
  await drizzle(d1).delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now));
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The headers of an answer that are part of it; the rest (request id, timings) belong to the request that carries it. */
const KEPT_HEADERS = ['content-type', 'location', 'etag', 'cache-control', 'link', 'retry-after', 'www-authenticate', 'allow'];

interface KeptAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

async function answerKey(secret: string, owner: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new TextEncoder().encode(owner), info: new TextEncoder().encode('fieldbase idempotency answer') },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

async function seal(answer: KeptAnswer, key: CryptoKey): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(JSON.stringify(answer))));
  const out = new Uint8Array(iv.byteLength + sealed.byteLength);
  out.set(iv);
  out.set(sealed, iv.byteLength);
  // Chunked: String.fromCharCode takes a bounded number of arguments.
  let text = '';
  for (let i = 0; i < out.byteLength; i += 0x8000) text += b64(out.subarray(i, i + 0x8000));
  return text;
}

async function unseal(text: string, key: CryptoKey): Promise<KeptAnswer> {
  const bytes = unb64(text);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) }, key, bytes.subarray(12));
  return JSON.parse(new TextDecoder().decode(plain)) as KeptAnswer;
}

function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

export const idempotent = createMiddleware<AppEnv>(async (c, next) => {
  const raw = c.req.header('Idempotency-Key');
  if (raw === undefined) return next();
  const key = parseKey(raw);
  const secret = presentedToken(c.req.raw.headers);
  const credential = c.get('credential');
  const contentType = c.req.header('Content-Type');
  const body = new BodyDigest(c.req.raw.body, mediaType(contentType) === 'multipart/form-data' ? getMultipartBoundary(contentType ?? '') : null);
  if (body.stream) c.req.raw = new Request(c.req.raw, { body: body.stream });
  const url = new URL(c.req.url);
  const claim = new IdempotencyClaim(credential.tokenHash, key, c.req.method, routingPath(url.pathname) + url.search, Date.now());
  c.set('idempotency', claim);

  await next();

  const db = requestDb(c);
  const mine = and(eq(idempotencyKeys.owner, claim.owner), eq(idempotencyKeys.key, claim.key));
  const fingerprint = async () => {
    if (!(await body.drain())) return null;
    const parts = [claim.method, claim.path, mediaType(contentType), c.req.header('X-File-Name') ?? '', await body.hex()];
    return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(parts))));
  };

  if (claim.outcome === 'claimed') {
    const print = c.res.status < 500 ? await fingerprint() : null;
    if (!print || !secret) {
      await db.delete(idempotencyKeys).where(and(mine, isNull(idempotencyKeys.fingerprint)));
      return;
    }
    const res = c.res;
    const kept: KeptAnswer = {
      status: res.status,
      headers: [...res.headers].filter(([name]) => KEPT_HEADERS.includes(name.toLowerCase())),
      body: res.body ? await res.clone().text() : '',
    };
    const answer = await seal(kept, await answerKey(secret, claim.owner));
    await db
      .update(idempotencyKeys)
      .set({ fingerprint: print, answer, expiresAt: claim.now + KEEP_MS })
      .where(and(mine, isNull(idempotencyKeys.fingerprint)));
    return;
  }

  if (claim.outcome === 'taken' && c.error instanceof KeyTaken) {
    const row = c.error.row;
    const reused = () =>
      problems.unprocessable('This Idempotency-Key was sent with another request (method, path or body): use a new key for a new request.');
    if (row.method !== claim.method || row.path !== claim.path) throw reused();
    if (row.fingerprint === null || row.answer === null) {
      c.res.headers.set('Retry-After', '1');
      return;
    }
    if ((await fingerprint()) !== row.fingerprint) throw reused();
    const kept = secret ? await unseal(row.answer, await answerKey(secret, claim.owner)).catch(() => null) : null;
    if (!kept) throw reused();
    const headers = new Headers(kept.headers);
    headers.set('Idempotent-Replayed', 'true');
    c.res = new Response(kept.body === '' ? null : kept.body, { status: kept.status, headers });
  }
});
