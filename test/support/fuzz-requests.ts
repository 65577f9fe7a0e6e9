/**
 * Requests for one operation of the emitted document, generated with fast-check: mostly within the
 * schemas (with the world's ids where a field names an entity, so they get past the lookups), and
 * the rest hostile: mutated bodies, odd path and query values, wrong content types, malformed JSON
 * and multipart, oversized bodies.
 */
import fc from 'fast-check';
import {
  deepJsonText,
  MALFORMED_JSON,
  MALFORMED_MULTIPART,
  mutateObject,
  nastyString,
  valueOf,
  WRONG_CONTENT_TYPES,
  type SchemaContext,
} from './arbitraries';
import { V1, type DocumentSpec } from './documents';
import { repeatable, type ApiDocument, type Operation, type Schema } from './openapi-doc';
import { PNG, type World } from './world';

type FilePart = { bytes: Uint8Array; type: string; filename: string };
export type FuzzBody =
  | { kind: 'json'; json: unknown }
  | { kind: 'raw'; type: string | null; text: string }
  | { kind: 'form'; fields: [string, string | FilePart][] }
  | { kind: 'urlencoded'; fields: [string, string][] }
  | { kind: 'bytes'; type: string; bytes: Uint8Array }
  /** Bytes past the configured limit; made when sent, so a sample does not hold megabytes. */
  | { kind: 'oversized'; type: string; size: number };

/**
 * What the answer must be where the hostile part alone decides it: 400 naming a query parameter
 * the operation does not take (or takes once), or the answer of the same path without its
 * trailing slash toggled (`sameAs`: the path as declared, compared for reads, which can be sent twice).
 */
export type Expectation = { status: 400; names: string } | { sameAs: string };

export interface FuzzRequest {
  /** 'valid' when every part was drawn from its schema, else what was done to it. */
  label: string;
  url: string;
  headers: Record<string, string>;
  body?: FuzzBody;
  expect?: Expectation;
}

/** What the requests of a document need from its spec (support/documents.ts): its paths filled, its hints. */
export type PathSpec = Pick<DocumentSpec, 'fill' | 'missing' | 'hints'>;

type PathPart = { url: string; odd: string | null; expect?: Expectation };

/**
 * Path parameters: the world's own ids, or (odd) one of them a random id of its kind or something
 * hostile, or the path with its trailing slash toggled (the same answer as the path declared). `fixed` names
 * parameters by value first (ids, where a rename would lose a slug).
 */
function pathArb(op: Operation, w: World, odd: boolean, fixed: Record<string, string>, spec: PathSpec): fc.Arbitrary<PathPart> {
  const fillPath = (given: Record<string, string>) => spec.fill(w, op.path, undefined, { ...fixed, ...given });
  const base = fillPath({});
  if (!base) throw new Error(`no world value for a parameter of ${op.path}`);
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  if (!odd) return fc.constant({ url: base, odd: null });
  // A path declared with its trailing slash (the seed dialects') is tried without it.
  const declaredSlash = base.endsWith('/');
  const slashed = fc.constant<PathPart>({
    url: declaredSlash ? base.slice(0, -1) : `${base}/`,
    odd: declaredSlash ? 'path without its trailing slash' : 'path with a trailing slash',
    expect: { sameAs: base },
  });
  if (names.length === 0) return slashed;
  const hostile = fc
    .tuple(
      fc.constantFrom(...names),
      fc.oneof(
        nastyString.filter((s) => s.length > 0).map((s) => encodeURIComponent(s)),
        nastyString.filter((s) => s.length > 0 && !s.includes('/')),
        fc.constant('random'),
      ),
    )
    .map(([name, value]) => {
      const v = value === 'random' ? spec.missing(name) : value;
      const url = fillPath({ [name]: v })!;
      return { url, odd: `path ${name}=${JSON.stringify(v)}` };
    });
  return fc.oneof({ arbitrary: hostile, weight: 3 }, { arbitrary: slashed, weight: 1 });
}

/** A query value from its schema: a string holds no null, and small numbers are the ones lists answer. */
function queryValue(schema: Schema, name: string, ctx: SchemaContext): fc.Arbitrary<string> {
  const types = ([] as string[]).concat(schema.type ?? []).filter((t) => t !== 'null');
  if (types.length === 1 && types[0] === 'integer') {
    const min = schema.minimum ?? 0;
    return fc.integer({ min, max: Math.min(schema.maximum ?? min + 100, min + 100) }).map(String);
  }
  return valueOf({ ...schema, type: types.length === 1 ? types[0] : types }, ctx, name).map(String);
}

/** Names one slip away from a declared one (`organization_id` for `organization`), and the plainly unknown. */
function nearMisses(declared: string[]): string[] {
  const slips = declared.flatMap((n) => [`${n}_id`, `${n}s`, n.endsWith('_id') ? n.slice(0, -3) : n.toUpperCase()]);
  return [...new Set([...slips, 'zz_unknown', 'organization_id', 'folder_id', 'page', 'limit', 'format', 'fields'])].filter((n) => !declared.includes(n));
}

type Extra = { text: string; twice?: string; expect?: Expectation };

/**
 * Query parameters drawn from their schemas, each present now and then (all at once would rarely
 * make sense together), never a cursor (those come from a `next` link); odd: one of them hostile,
 * or one extra. A parameter the operation does not declare, or one it takes once given twice,
 * must be answered 400 naming it.
 */
function queryArb(op: Operation, ctx: SchemaContext, odd: boolean): fc.Arbitrary<{ query: string; odd: string | null; expect?: Expectation }> {
  const all = op.parameters.filter((p) => p.in === 'query');
  const params = all.filter((p) => p.name !== 'cursor');
  const each = params.map((p) => fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: queryValue(p.schema, p.name, ctx), weight: 1 }));
  const refused = (name: string): Expectation => ({ status: 400, names: name });
  const once = all.filter((p) => !repeatable(p.schema)).map((p) => p.name);
  const hostiles: fc.Arbitrary<Extra>[] = [
    ...(params.length ? [fc.tuple(fc.constantFrom(...params.map((p) => p.name)), nastyString).map(([n, v]): Extra => ({ text: `${encodeURIComponent(n)}=${encodeURIComponent(v)}` }))] : []),
    fc.constantFrom<Extra>(
      { text: 'cursor=' + encodeURIComponent('{"k":1}') },
      { text: 'search=%' },
      { text: 'ordering=-' },
      { text: 'limit=1e3' },
      { text: '%zz=1', expect: refused('%zz') },
    ),
    fc.tuple(fc.constantFrom(...nearMisses(all.map((p) => p.name))), fc.constantFrom('1', 'true', '')).map(([n, v]): Extra => ({ text: `${n}=${v}`, expect: refused(n) })),
    ...(once.length ? [fc.constantFrom(...once).map((n): Extra => ({ text: `${n}=1&${n}=2`, twice: n, expect: refused(n) }))] : []),
  ];
  const hostile = fc.oneof(...hostiles);
  return fc.tuple(fc.tuple(...each), odd ? hostile : fc.constant(null)).map(([values, extra]) => {
    const qs = new URLSearchParams();
    values.forEach((v, i) => {
      // A parameter given twice on purpose is given only that way.
      if (v !== null && params[i]!.name !== extra?.twice) qs.append(params[i]!.name, v);
    });
    const query = [qs.toString(), extra?.text].filter(Boolean).join('&');
    return { query: query ? `?${query}` : '', odd: extra ? `query ${extra.text}` : null, expect: extra?.expect };
  });
}

/** Headers must be ByteStrings without control characters; hostile text is percent-encoded to fit. */
const headerSafe = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s));

const ODD_HEADERS: Record<string, fc.Arbitrary<string>> = {
  'If-Match': fc.constantFrom('*', '"nope"', 'W/"x"', 'garbage', '""', '"a", "b"'),
  'If-None-Match': fc.constantFrom('*', '"nope"', 'W/"x"', 'garbage'),
  Range: fc.constantFrom('bytes=0-0', 'bytes=5-1', 'bytes=-1', 'bytes=0-', 'bytes=abc', 'bytes=0-1,3-4', 'items=0-1', 'bytes=99999999-'),
};

/** Declared header parameters from their schemas; odd: one of them with a hostile or boundary value. */
function headerArb(op: Operation, ctx: SchemaContext, odd: boolean): fc.Arbitrary<{ headers: Record<string, string>; odd: string | null }> {
  const params = op.parameters.filter((p) => p.in === 'header');
  const each = params.map((p) => fc.option(valueOf(p.schema, ctx, p.name).map((v) => headerSafe(String(v))), { freq: 2 }));
  const hostile = params.length
    ? fc.constantFrom(...params.map((p) => p.name)).chain((name) => (ODD_HEADERS[name] ?? nastyString.map(headerSafe)).map((v) => [name, v] as const))
    : fc.constant(null);
  return fc.tuple(fc.tuple(...each), odd ? hostile : fc.constant(null)).map(([values, extra]) => {
    const headers: Record<string, string> = {};
    values.forEach((v, i) => {
      if (v !== null) headers[params[i]!.name] = v;
    });
    if (extra) headers[extra[0]] = extra[1];
    return { headers, odd: extra ? `header ${extra[0]}: ${extra[1]}` : null };
  });
}

const filePart: fc.Arbitrary<FilePart> = fc.record({
  bytes: fc.oneof(fc.constant(PNG), fc.uint8Array({ maxLength: 2048 }), fc.constant(new TextEncoder().encode('plain evidence\n'))),
  type: fc.constantFrom('text/plain', 'image/png', 'application/octet-stream', 'application/x-msdownload', '', 'image/svg+xml', 'text/html'),
  // FormData itself refuses a file name that ends with a backslash (a TypeError before anything is sent).
  filename: fc.oneof(fc.constantFrom('evidence.txt', 'photo.png', 'report.pdf'), nastyString.filter((s) => !s.endsWith('\\'))),
});

/** The label of a form with a JSON-text field nested past the limit (fuzz.test.ts checks that each is refused). */
export const DEEP_FIELD = 'deep JSON in';

type Labelled = { label: string; body?: FuzzBody };
type BodyArbs = { valid: fc.Arbitrary<Labelled>[]; hostile: (fc.Arbitrary<Labelled> | fc.WeightedArbitrary<Labelled>)[] };

function multipartArbs(schema: Schema, ctx: SchemaContext, limits: { upload: number }): BodyArbs {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  // A file part is the Binary component, or (with a description of its own) an allOf of it.
  const isFile = (p: Schema): boolean => {
    const s = ctx.resolve(p);
    return s.format === 'binary' || (Array.isArray(s.allOf) && s.allOf.some(isFile));
  };
  const fields = Object.entries(props).map(([name, p]) =>
    fc.option(
      (isFile(p) ? filePart : valueOf(p, ctx, name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))).map((v) => [name, v] as [string, string | FilePart]),
      { freq: (schema.required ?? []).includes(name) ? 20 : 3 },
    ),
  );
  const form = fc.tuple(...fields).map((f) => f.filter((x) => x !== null));
  const files = Object.keys(props).filter((n) => isFile(props[n]!));
  const texts = Object.keys(props).filter((n) => !files.includes(n));
  const jsonTexts = texts.filter((n) => ctx.resolve(props[n]!).contentMediaType === 'application/json');
  const formBody = (label: string, f: [string, string | FilePart][]): Labelled => ({ label, body: { kind: 'form', fields: f } });
  return {
    valid: [form.map((f) => formBody('valid', f))],
    hostile: [
      form.map((f) => formBody('file as a plain field', f.map(([n, v]) => [n, typeof v === 'string' ? v : 'not a file']))),
      form.map((f) => formBody('no file', f.filter(([n]) => !files.includes(n)))),
      fc.tuple(form, fc.constantFrom('zz_unknown', 'id', 'organization_id'), nastyString).map(([f, name, v]) => formBody(`extra field ${name}`, [...f, [name, v]])),
      ...(texts.length
        ? [fc.tuple(form, fc.constantFrom(...texts), nastyString).map(([f, name, v]) => formBody(`odd string in ${name}`, [...f.filter(([n]) => n !== name), [name, v]]))]
        : []),
      // JSON text nested past the limit, in a form that is otherwise valid: it must be refused before anything is stored.
      ...(jsonTexts.length
        ? [{ arbitrary: fc.tuple(form, fc.constantFrom(...jsonTexts), deepJsonText).map(([f, name, v]) => formBody(`${DEEP_FIELD} ${name}`, [...f.filter(([n]) => n !== name), [name, v]])), weight: 3 }]
        : []),
      fc.constantFrom(...MALFORMED_MULTIPART).map((m) => ({ label: 'malformed multipart', body: { kind: 'raw', type: m.type, text: m.body } as FuzzBody })),
      fc.constant({ label: 'oversized multipart', body: { kind: 'oversized', type: 'multipart/form-data; boundary=XYZ', size: limits.upload + 1 } as FuzzBody }),
    ],
  };
}

/** A urlencoded form: the multipart form's draws (text fields only) sent urlencoded, and one past the JSON body limit. */
function urlencodedArbs(schema: Schema, ctx: SchemaContext, limits: { json: number; upload: number }): BodyArbs {
  const { valid, hostile } = multipartArbs(schema, ctx, limits);
  const encode = (l: Labelled): Labelled =>
    l.body?.kind === 'form' ? { label: l.label, body: { kind: 'urlencoded', fields: l.body.fields.filter((f): f is [string, string] => typeof f[1] === 'string') } } : l;
  const map = (a: fc.Arbitrary<Labelled> | fc.WeightedArbitrary<Labelled>) =>
    'weight' in a ? { arbitrary: a.arbitrary.map(encode), weight: a.weight } : a.map(encode);
  return {
    valid: valid.map((a) => a.map(encode)),
    hostile: [...hostile.map(map), fc.constant({ label: 'oversized urlencoded', body: { kind: 'oversized', type: 'application/x-www-form-urlencoded', size: limits.json + 1 } as FuzzBody })],
  };
}

function jsonArbs(schema: Schema, ctx: SchemaContext, limits: { json: number }): BodyArbs {
  const valid = valueOf(schema, ctx);
  const resolved = ctx.resolve(schema);
  const raw = (label: string, type: string | null, text: string): Labelled => ({ label, body: { kind: 'raw', type, text } });
  return {
    valid: [valid.map((json) => ({ label: 'valid', body: { kind: 'json', json } as FuzzBody }))],
    hostile: [
      {
        // Mutated bodies carry most of the hostile share: they reach the validators and the services.
        arbitrary:
          resolved.type === 'object'
            ? mutateObject(resolved, valid).map((m) => (m.raw !== undefined ? raw(m.label, 'application/json', m.raw) : { label: m.label, body: { kind: 'json', json: m.json } as FuzzBody }))
            : fc.constantFrom(...MALFORMED_JSON).map((text) => raw('malformed JSON', 'application/json', text)),
        weight: 6,
      },
      fc.tuple(valid, fc.constantFrom<string | null>(...WRONG_CONTENT_TYPES, null)).map(([json, t]) => raw(`JSON sent as ${t ?? 'no content type'}`, t, JSON.stringify(json))),
      fc.constant({ label: 'oversized JSON', body: { kind: 'oversized', type: 'application/json', size: limits.json + 1 } as FuzzBody }),
    ],
  };
}

const ascii = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));
/** Bytes whose first bytes prove each image type (what the server checks), padded to 32 bytes. */
const IMAGES: Record<string, Uint8Array> = {
  'image/png': PNG,
  'image/jpeg': Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, ...new Array(28).fill(0)]),
  'image/gif': Uint8Array.from([...ascii('GIF89a'), ...new Array(26).fill(0)]),
  'image/webp': Uint8Array.from([...ascii('RIFF'), 24, 0, 0, 0, ...ascii('WEBPVP8 '), ...new Array(16).fill(0)]),
};

/** A file as the body itself (image/*, application/octet-stream: "any media type"). */
function rawFileArbs(type: string, limits: { upload: number }): BodyArbs {
  const bytes = (label: string, b: Uint8Array): Labelled => ({ label, body: { kind: 'bytes', type, bytes: b } });
  const image = IMAGES[type];
  return {
    valid: image ? [fc.constant(bytes('valid', image))] : [fc.constant(bytes('valid', PNG)), fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((b) => bytes('valid', b))],
    hostile: [
      fc.uint8Array({ maxLength: 1024 }).map((b) => bytes('random bytes', b)),
      fc.constant(bytes('empty body', new Uint8Array())),
      fc.constant({ label: 'oversized body', body: { kind: 'oversized', type, size: limits.upload + 1 } as FuzzBody }),
    ],
  };
}

function bodyArbs(op: Operation, ctx: SchemaContext, limits: { json: number; upload: number }): BodyArbs {
  const out: BodyArbs = { valid: [], hostile: [] };
  for (const [type, schema] of Object.entries(op.body)) {
    const arbs =
      type === 'application/json'
        ? jsonArbs(schema, ctx, limits)
        : type === 'multipart/form-data'
          ? multipartArbs(ctx.resolve(schema), ctx, limits)
          : type === 'application/x-www-form-urlencoded'
            ? urlencodedArbs(ctx.resolve(schema), ctx, limits)
            : rawFileArbs(type, limits);
    out.valid.push(...arbs.valid);
    out.hostile.push(...arbs.hostile);
  }
  if (Object.keys(op.body).length === 0 || !op.bodyRequired) out.valid.push(fc.constant({ label: 'valid' }));
  else out.hostile.push(fc.constant({ label: 'no body' }));
  if (Object.keys(op.body).length > 0) {
    out.hostile.push(fc.constantFrom<string | null>(...WRONG_CONTENT_TYPES, null).map((t) => ({ label: `garbage as ${t ?? 'no content type'}`, body: { kind: 'raw', type: t, text: '\u0000\u0001garbage' } as FuzzBody })));
  }
  return out;
}

/**
 * Requests for `op`: a third drawn wholly from the schemas, the rest with exactly one hostile part
 * (path, query, a header or the body), so that a failure names what provoked it.
 */
export function requestArb(
  doc: ApiDocument,
  op: Operation,
  w: World,
  limits: { json: number; upload: number },
  fixed: Record<string, string> = {},
  spec: PathSpec = V1,
): fc.Arbitrary<FuzzRequest> {
  // An archived project or organisation refuses every write under it (409): the fuzzer would spend
  // the rest of its runs on that one answer. Archiving has its own tests.
  const ctx: SchemaContext = { resolve: (s) => doc.resolve(s), hints: spec.hints(w), pins: { archived: fc.constant(false) } };
  const bodies = bodyArbs(op, ctx, limits);
  const validBody = fc.oneof(...bodies.valid);
  const make = (path: fc.Arbitrary<PathPart>, query: ReturnType<typeof queryArb>, headers: ReturnType<typeof headerArb>, body: fc.Arbitrary<Labelled>) =>
    fc.tuple(path, query, headers, body).map(([p, q, h, b]): FuzzRequest => {
      const odd = [p.odd, q.odd, h.odd, b.label === 'valid' ? null : b.label].filter(Boolean);
      const expect = p.expect && 'sameAs' in p.expect ? { sameAs: p.expect.sameAs + q.query } : q.expect;
      return { label: odd.length ? odd.join('; ') : 'valid', url: p.url + q.query, headers: h.headers, body: b.body, expect };
    });
  const [path, oddPath] = [pathArb(op, w, false, fixed, spec), pathArb(op, w, true, fixed, spec)];
  const [query, oddQuery] = [queryArb(op, ctx, false), queryArb(op, ctx, true)];
  const [headers, oddHeaders] = [headerArb(op, ctx, false), headerArb(op, ctx, true)];
  const hasHeaders = op.parameters.some((p) => p.in === 'header');
  return fc.oneof(
    { arbitrary: make(path, query, headers, validBody), weight: 4 },
    { arbitrary: make(oddPath, query, headers, validBody), weight: 2 },
    { arbitrary: make(path, oddQuery, headers, validBody), weight: 1 },
    ...(hasHeaders ? [{ arbitrary: make(path, query, oddHeaders, validBody), weight: 1 }] : []),
    ...(bodies.hostile.length ? [{ arbitrary: make(path, query, headers, fc.oneof(...bodies.hostile)), weight: 5 }] : []),
  );
}

/** The Request for a generated description; the credential is added by the caller. */
export function toRequest(origin: string, method: string, r: FuzzRequest, auth: Record<string, string>): Request {
  const headers = new Headers({ ...r.headers, ...auth });
  let body: BodyInit | null = null;
  const b = r.body;
  if (b?.kind === 'json') {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(b.json);
  } else if (b?.kind === 'raw') {
    body = b.text;
    if (b.type === null) headers.delete('Content-Type');
    else headers.set('Content-Type', b.type);
  } else if (b?.kind === 'form') {
    const fd = new FormData();
    for (const [name, v] of b.fields) {
      if (typeof v === 'string') fd.append(name, v);
      else fd.append(name, new Blob([v.bytes], { type: v.type }), v.filename);
    }
    body = fd;
  } else if (b?.kind === 'urlencoded') {
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(b.fields).toString();
  } else if (b?.kind === 'bytes') {
    headers.set('Content-Type', b.type);
    body = b.bytes;
  } else if (b?.kind === 'oversized') {
    headers.set('Content-Type', b.type);
    body = new Uint8Array(b.size).fill(0x61);
  }
  return new Request(origin + r.url, { method, headers, body });
}
