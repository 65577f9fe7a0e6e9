/** Helpers for tests of files, R2 and background work, shared by the domain test files. */
import { env, exports } from 'cloudflare:workers';
import { ORIGIN, type Answer } from './api';
import { checkContract } from './contract';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Waits (briefly) until `check` holds: for work the worker does in waitUntil. */
export async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function r2Keys(prefix = ''): Promise<string[]> {
  const listed = await env.FILES.list({ prefix });
  return listed.objects.map((o) => o.key);
}

/** A download: the body as bytes (call() would decode it as text), checked against the contract. */
export async function download(path: string, headers: Record<string, string>) {
  const res = await exports.default.fetch(new Request(ORIGIN + path, { headers }));
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('Content-Type') ?? '';
  const text = type.includes('json') ? new TextDecoder().decode(bytes) : '';
  const answer: Answer = { res, status: res.status, headers: res.headers, body: text ? JSON.parse(text) : '', text };
  checkContract('GET', path, answer);
  return { ...answer, bytes };
}

/** The rels of a Link header. */
export function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (header ?? '').matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)) out[m[2]!] = m[1]!;
  return out;
}

/** A body without Content-Length (sent chunked), in chunks of `chunk` bytes. */
export function chunked(bytes: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}
