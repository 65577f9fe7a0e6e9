/**
 * The declared type of an upload must be proved by its content where the type has a signature
 * (issue 10, item 11): markup declared as image/png or application/pdf is refused, never stored to
 * be served under that type. The operations are read from /openapi.json, so every upload path is
 * covered, a new one included: each operation that takes a file in a multipart part or as the body
 * itself, creates and replacements alike. Each refusal is 400 naming the file field, with D1 and R2
 * exactly as before; the same request with content that proves the type goes through, so the
 * refusal comes from the content check and nothing else.
 */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, expectProblem } from './support/api';
import { unique } from './support/actors';
import { ApiDocument, type Operation, type Schema } from './support/openapi-doc';
import { changedParts } from './support/snapshot';
import { bodyFor, buildWorld, fill, PNG, send, snapshot, type World } from './support/world';

const encode = (s: string) => new TextEncoder().encode(s);
const MARKUP: Record<string, Uint8Array> = {
  html: encode('<!DOCTYPE html><html><body><script>fetch("/v1/me").then((r) => r.text()).then(alert)</script></body></html>'),
  svg: encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'),
  xml: encode('<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>'),
};
const PDF = encode('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
/** Content that proves each declared type tried here. */
const PROOF: Record<string, Uint8Array> = { 'image/png': PNG, 'application/pdf': PDF };
const DECLARED = Object.keys(PROOF);

let w: World;
let doc: ApiDocument;

beforeAll(async () => {
  w = await buildWorld();
  doc = new ApiDocument(await (await exports.default.fetch(new Request(`${ORIGIN}/openapi.json`))).json());
}, 60_000);

/** The multipart part that holds the file, if the operation takes a form with one. */
function filePart(op: Operation): string | undefined {
  const form = op.body['multipart/form-data'];
  const props = (form?.properties ?? {}) as Record<string, { format?: string }>;
  return Object.keys(props).find((name) => isBinary(props[name]!));
}

/** A file in the document: the Binary component, directly or (with a description of its own) through allOf. */
const isBinary = (schema: Schema): boolean => {
  const s = doc.resolve(schema);
  return s.format === 'binary' || (Array.isArray(s.allOf) && s.allOf.some(isBinary));
};

/** Raw body types the operation takes: any type (application/octet-stream) or its own list. */
function rawTypes(op: Operation): string[] {
  const types = Object.keys(op.body).filter((t) => t !== 'multipart/form-data' && t !== 'application/json');
  return types.includes('application/octet-stream') ? DECLARED : DECLARED.filter((t) => types.includes(t));
}

const uploads = () => doc.operations.filter((op) => filePart(op) || rawTypes(op).length > 0);

/** The text fields of a valid request for `op` (from the world's bodies), with a fresh name so that repeats do not collide. */
function fieldsFor(op: Operation): [string, string][] {
  const valid = bodyFor(w, op.method, op.path);
  let fields: [string, string][] = [];
  if (valid.body instanceof FormData) fields = [...valid.body.entries()].filter((e): e is [string, string] => typeof e[1] === 'string');
  else if (valid.json && typeof valid.json === 'object') fields = Object.entries(valid.json as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  return fields.map(([k, v]): [string, string] => (k === 'name' ? [k, unique('probe ')] : k === 'slug' ? [k, unique('probe-')] : [k, v]));
}

function multipart(op: Operation, bytes: Uint8Array, type: string) {
  const fd = new FormData();
  for (const [k, v] of fieldsFor(op)) fd.append(k, v);
  fd.append(filePart(op)!, new Blob([bytes], { type }), 'evidence.png');
  return { body: fd, headers: {}, query: '' };
}

/** The file as the body, the form's fields in the query where the operation declares them. */
function raw(op: Operation, bytes: Uint8Array, type: string) {
  const declared = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const query = new URLSearchParams(fieldsFor(op).filter(([k]) => declared.has(k))).toString();
  return { body: bytes, headers: { 'Content-Type': type, 'X-File-Name': 'evidence.png' }, query: query ? `?${query}` : '' };
}

type Way = (op: Operation, bytes: Uint8Array, type: string) => { body: BodyInit; headers: Record<string, string>; query: string };

async function attempt(op: Operation, way: Way, bytes: Uint8Array, type: string) {
  const r = way(op, bytes, type);
  return send(fill(w, op.path)! + r.query, op.method, { ...w.actors.superuser.auth, ...r.headers }, { body: r.body });
}

describe('content that does not prove its declared type', () => {
  it('covers every operation that takes a file, as /openapi.json declares them', () => {
    const keys = uploads().map((op) => op.key);
    for (const key of ['POST /v1/assets/{asset}/data', 'POST /v1/resources', 'PUT /v1/resources/{resource}/file', 'POST /v1/reports', 'PUT /v1/reports/{report}/file']) {
      expect(keys).toContain(key);
    }
    expect(keys.length).toBeGreaterThan(12);
  });

  it('is refused with 400 naming the file on every upload path, multipart and raw, and nothing is stored', async () => {
    const failures: string[] = [];
    for (const op of uploads()) {
      const ways: [string, Way, string[]][] = [];
      if (filePart(op)) ways.push(['multipart', multipart, DECLARED]);
      if (rawTypes(op).length) ways.push(['raw', raw, rawTypes(op)]);
      for (const [wayName, way, types] of ways) {
        const field = wayName === 'multipart' ? filePart(op)! : filePart(op) ?? 'file';
        for (const type of types) {
          for (const [markupName, bytes] of Object.entries(MARKUP)) {
            const before = await snapshot();
            const a = await attempt(op, way, bytes, type);
            const what = `${op.key} ${wayName} ${markupName} as ${type}: ${a.status} ${a.text.slice(0, 200)}`;
            // 415 where the operation takes no such type at all (a sphere is an image, whatever it is declared as).
            if (a.status === 415) expectProblem(a, 415, 'unsupported-media-type');
            else if (a.status !== 400) failures.push(what);
            else if (!a.body.errors?.some((e: { path: string }) => e.path === field)) failures.push(`${what} (names no ${field})`);
            const changed = changedParts(before, await snapshot());
            if (changed.length) failures.push(`${what} (changed ${changed.join(', ')})`);
          }
        }
        // The same request with a PNG goes through: the refusals above are the content check's.
        const control = await attempt(op, way, PNG, 'image/png');
        if (control.status >= 300) failures.push(`${op.key} ${wayName} with a real PNG: ${control.status} ${control.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('stores content that proves its type under that type, an alias under the type’s own name, and undeclared content under what it proves', async () => {
    const path = `/v1/assets/${w.asset}/data`;
    const auth = w.actors.editor.auth;
    for (const [declared, bytes, stored] of [
      ['application/pdf', PDF, 'application/pdf'],
      ['image/jpg', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]), 'image/jpeg'],
      ['application/octet-stream', PNG, 'image/png'],
      ['text/html', MARKUP.html!, 'text/html'],
    ] as const) {
      const a = await send(path, 'POST', { ...auth, 'Content-Type': declared, 'X-File-Name': 'f' }, { body: bytes });
      expect(a.status, a.text).toBe(201);
      expect(a.body.mime_type).toBe(stored);
    }
    // A declared type without a signature still may not hide a type the content proves.
    const hidden = await send(path, 'POST', { ...auth, 'Content-Type': 'text/plain', 'X-File-Name': 'f' }, { body: PDF });
    expectProblem(hidden, 400, 'invalid-request');
    expect(hidden.body.errors).toEqual([{ path: 'file', message: 'Declared as text/plain but the content is application/pdf.' }]);
  });
});
