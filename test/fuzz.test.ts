/**
 * Schema-driven fuzzing (issue 6): for every operation of the emitted /openapi.json, requests drawn
 * with fast-check from its schemas (valid ones, with the world's ids where a field names an
 * entity) and hostile ones (see support/fuzz-requests.ts). Fixed seed, a fixed number of runs per
 * operation, so a failure replays. Every answer must:
 *   - never be a 5xx, and carry a status the operation documents (or 404/405 for a URL that
 *     reaches no operation);
 *   - be 400 naming a query parameter the operation does not declare, or takes once and got twice,
 *     and for a path with its trailing slash toggled what the path as declared answers (issue 10);
 *   - be application/problem+json when it is an error;
 *   - have a body valid against the declared response schema of the emitted document (ajv);
 *   - hold no secret (password or token hashes, lockout bookkeeping);
 *   - when it accepted a JSON body, that body is valid against the emitted request schema;
 * and a refused write (4xx) must leave D1 and R2 exactly as they were.
 *
 * The caller is a superuser (so valid requests get past permissions and reach the deepest code);
 * the isolation matrix covers who may do what. Each request gets a fresh token, since some
 * operations revoke the one they are called with (sign-out, a password change revokes the others).
 * Deletions run last, deepest first, so the world stays whole for the rest; the world holds folder
 * chains deeper than D1's cascade limit where each delete meets one (addDeepFolders).
 *
 * Each seed dialect's document (/compat/<dialect>/openapi.json) is fuzzed the same way, on a world
 * of its own, with its path values and hints from test/dialects/<dialect>.ts: its errors must come
 * in its own shape (and validate against the error schemas its document declares).
 */
import { env, exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../src/auth/tokens';
import { mintToken } from './support/actors';
import { ORIGIN } from './support/api';
import { DEEP_FIELD, requestArb, toRequest, type FuzzRequest } from './support/fuzz-requests';
import { ApiDocument, type Operation } from './support/openapi-doc';
import { changedParts } from './support/snapshot';
import { addDeepFolders, buildWorld, snapshot, type World } from './support/world';
import { DIALECT_SPECS } from './dialects';
import { V1, type DocumentSpec } from './support/documents';

const SEED = 20261122;
const RUNS_PER_OPERATION = 20;
const OUTSIDER_RUNS_PER_OPERATION = 8;
/** The limits the test worker runs with (vitest.config.ts). */
const LIMITS = { json: Number(env.JSON_MAX_BYTES), upload: Number(env.UPLOAD_MAX_BYTES) };
/** Never in an answer, under any name a serializer might give them. */
const SECRET_KEYS = /^(password|current_password|password_?hash|passwordHash|token_?hash|tokenHash|failed_?attempts|failedAttempts|locked_?until|lockedUntil)$/;

let w: World;
let doc: ApiDocument;

async function documentOf(spec: DocumentSpec): Promise<ApiDocument> {
  const res = await exports.default.fetch(new Request(`${ORIGIN}${spec.documentUrl}`));
  return new ApiDocument(await res.json());
}

beforeAll(async () => {
  w = await buildWorld();
  await addDeepFolders(w);
  doc = await documentOf(V1);
}, 60_000);

/** Containers, innermost first: deleting one takes what is inside with it. */
const CONTAINERS = ['me', 'data', 'spheres', 'folders', 'reports', 'resources', 'assets', 'projects', 'users', 'organizations'];

/** Reads and writes first, then deletions from the deepest path up and the innermost container out. */
function order(ops: Operation[], spec: DocumentSpec = V1): Operation[] {
  const depth = (o: Operation) => o.path.split('/').length;
  const container = (o: Operation) => CONTAINERS.indexOf(spec.container(o.path) ?? '');
  const deletes = ops.filter((o) => o.method === 'DELETE').sort((a, b) => depth(b) - depth(a) || container(a) - container(b));
  return [...ops.filter((o) => o.method !== 'DELETE'), ...deletes];
}

function secretKeys(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretKeys(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [...(SECRET_KEYS.test(k) ? [`${path}.${k}`] : []), ...secretKeys(v, `${path}.${k}`)]);
  }
  return [];
}

interface Outcome {
  status: number;
  problems: string[];
  /** The answer's text when it is JSON. */
  text: string;
}

/** The credential of a fresh token in the document's own form. */
async function credential(spec: DocumentSpec, userId: string): Promise<{ token: string; headers: Record<string, string> }> {
  const token = await mintToken(userId);
  const form = spec.credentials[0];
  if (form === 'pair') {
    const row = await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(userId).first<{ email: string }>();
    return { token, headers: { 'X-User-Email': row!.email, 'X-User-Token': token } };
  }
  return { token, headers: { Authorization: `${form === 'token' ? 'Token' : 'Bearer'} ${token}` } };
}

/** Sends one generated request as `userId` and lists every way its answer breaks the rules above. */
async function probe(op: Operation, r: FuzzRequest, userId: string, spec: DocumentSpec = V1, document: ApiDocument = doc, world: World = w): Promise<Outcome> {
  // An operation that takes HTTP Basic (a sign-in) is sent the spec's username and password instead of a token.
  const basic = op.basic ? spec.basic?.(world) : undefined;
  const authorize = async () => (basic ? { Authorization: `Basic ${btoa(`${basic.username}:${basic.password}`)}` } : (await credential(spec, userId)).headers);
  const auth = await authorize();
  const token = auth['X-User-Token'] ?? (auth.Authorization ?? '').replace(/^(Bearer|Token) /, '');
  const request = toRequest(ORIGIN, op.method, r, auth);
  const pathname = new URL(request.url).pathname;
  const target = document.match(op.method, pathname);
  const write = op.method !== 'GET';
  const before = write ? await snapshot() : undefined;

  const res = await exports.default.fetch(request);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const problems: string[] = [];
  const status = res.status;
  const type = (res.headers.get('Content-Type') ?? '').split(';')[0]!.trim();
  const text = type.includes('json') ? new TextDecoder().decode(bytes) : '';

  if (status >= 500) problems.push(`answered ${status}`);
  const declared = target?.responses[String(status)];
  if (target && !declared) problems.push(`${status} is not documented for ${target.key}`);
  // The body limit applies before routing, so an oversized body to no operation may get its 413.
  if (!target && ![404, 405, 413].includes(status)) problems.push(`reached no operation (${pathname}) yet answered ${status}`);
  if (status >= 400 && type !== spec.errorType) problems.push(`error ${status} as ${type || 'no content type'}`);

  let body: unknown;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      problems.push(`${type} body is not JSON: ${text.slice(0, 80)}`);
    }
  }
  if (target && declared && body !== undefined) {
    const validate = document.validator(target, String(status), type);
    if (!declared.content?.[type]) problems.push(`${status} answered ${type}, not one of ${Object.keys(declared.content ?? {}).join(', ') || 'no body'}`);
    else if (validate && !validate(body)) problems.push(`${status} body breaks the emitted schema: ${document.errorsText(validate)}`);
  }
  // What the server took must be what the document allows, or clients that validate are refused.
  if (r.body?.kind === 'json' && status < 300 && target) {
    const accepts = document.requestValidator(target, 'application/json');
    if (accepts && !accepts(r.body.json)) problems.push(`accepted a body its emitted request schema refuses: ${document.errorsText(accepts)}`);
  }
  if (r.label.includes(DEEP_FIELD) && status < 300) problems.push('took JSON text nested past the limit');
  // Keys of an answer that carries an entity; an error's keys may name the request's fields (DRF: {"password": ["…"]}).
  const leaked = status < 400 ? secretKeys(body).filter((k) => !(spec.disclosed?.[op.key] ?? []).includes(k)) : [];
  if (leaked.length) problems.push(`secret fields in the answer: ${leaked.join(', ')}`);
  if (text.includes('pbkdf2_sha256$') || text.includes(await tokenHash(token))) problems.push('a password or token hash in the answer');

  // Sign-in's refusals count failed attempts by design; every other refusal changes nothing.
  if (before && status >= 400 && status < 500 && !spec.signIns.includes(op.key)) {
    const changed = changedParts(before, await snapshot());
    if (changed.length) problems.push(`refused with ${status} yet changed ${changed.join(', ')}`);
  }
  // Where the hostile part alone decides the answer: an unknown or repeated query parameter is
  // refused naming it; a trailing slash answers as the path without it (reads: sent again to compare).
  const expected = r.expect;
  if (expected && 'status' in expected) {
    if (status !== expected.status || !spec.namesField(body, expected.names)) problems.push(`expected ${expected.status} naming ${expected.names}`);
  }
  if (expected && 'sameAs' in expected && op.method === 'GET') {
    const again = await exports.default.fetch(toRequest(ORIGIN, op.method, { ...r, url: expected.sameAs }, await authorize()));
    await again.arrayBuffer();
    if (again.status !== status) problems.push(`answered ${status} with the trailing slash toggled, ${again.status} as declared (${expected.sameAs})`);
  }
  if (problems.length) problems.push(`answer: ${status} ${text.slice(0, 300)}`);
  return { status, problems, text };
}

/** Fuzzes every operation of a document as a superuser (see the top of this file); the world's deletions come last. */
async function fuzzDocument(spec: DocumentSpec, document: ApiDocument, world: World, fixed: Record<string, string>) {
  const ops = order(document.operations, spec);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const labels = new Map<string, number>();
  let sent = 0;
  const succeeded = new Set<string>();
  for (const op of ops) {
    const property = fc.asyncProperty(requestArb(document, op, world, LIMITS, fixed, spec), async (r) => {
      const outcome = await probe(op, r, world.actors.superuser.id, spec, document, world);
      sent += 1;
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      if (outcome.status < 300) succeeded.add(op.key);
      const kind = r.label === 'valid' ? 'valid' : r.label.split(/[ =]/)[0]!;
      labels.set(kind, (labels.get(kind) ?? 0) + 1);
      if (outcome.problems.length) throw new Error(`${op.method} ${r.url} [${r.label}]\n  ${outcome.problems.join('\n  ')}`);
    });
    // endOnFailure: no shrinking, since each run changes the world; the seed replays the case.
    const result = await fc.check(property, { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true });
    if (result.failed) failures.push(`${op.key} (seed ${SEED}, path ${result.counterexamplePath}): ${String((result as { errorInstance?: unknown }).errorInstance)}`);
  }
  const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([st, n]) => `${st}×${n}`).join(' ');
  const byKind = [...labels].sort(([, a], [, b]) => b - a).map(([k, n]) => `${k}×${n}`).join(' ');
  console.log(`fuzz (${spec.documentUrl}): ${sent} requests over ${ops.length} operations (seed ${SEED}); statuses ${byStatus}; kinds ${byKind}`);
  const neverSucceeded = ops.map((o) => o.key).filter((k) => !succeeded.has(k));
  // Where the valid share never got through (cross-field rules the schemas do not state, states
  // such as "in the trash"): those operations were fuzzed only up to their validation.
  console.log(`fuzz (${spec.documentUrl}): operations that never answered 2xx: ${neverSucceeded.join(', ') || 'none'}`);
  expect(failures).toEqual([]);
  // The valid share must reach success paths, or the fuzzer only tests the validators.
  const successes = [...statuses].filter(([st]) => st < 300).reduce((n, [, c]) => n + c, 0);
  expect(successes).toBeGreaterThan(sent / 5);
  return { ops };
}

describe('fuzzing every operation of /openapi.json', () => {
  it('never a 5xx, only documented statuses, problem+json errors, bodies valid against the emitted schemas, no secrets, refusals change nothing', async () => {
    // By id, not slug or username (a valid PATCH may rename them); {token} is one of the caller's own.
    const ownToken = await env.DB.prepare('SELECT id FROM tokens WHERE user_id = ? ORDER BY created_at LIMIT 1').bind(w.actors.superuser.id).first<{ id: string }>();
    const { ops } = await fuzzDocument(V1, doc, w, { org: w.org.id, user: w.actors.editor.id, token: ownToken!.id });
    expect(ops.length).toBeGreaterThan(100);
  }, 600_000);

  // Each dialect on a world of its own (the pass above ends by deleting the first one).
  for (const spec of DIALECT_SPECS) {
    it(`and of ${spec.documentUrl}, with its own error shape`, async () => {
      const world = await buildWorld();
      await addDeepFolders(world);
      await fuzzDocument(spec, await documentOf(spec), world, (await spec.fixed?.(world)) ?? {});
    }, 600_000);
  }
});

/**
 * Everything of organisation A, by owner: its rows (and those of its members' accounts) and its R2
 * objects. The outsider's fuzzing may change its own things, never these.
 */
async function organizationSnapshot(orgId: string) {
  const inOrg = (table: string, where: string) => env.DB.prepare(`SELECT * FROM ${table} WHERE ${where} ORDER BY 1, 2`).bind(orgId);
  const results = await env.DB.batch([
    inOrg('organizations', 'id = ?1'),
    inOrg('memberships', 'organization_id = ?1'),
    inOrg('projects', 'organization_id = ?1'),
    inOrg('project_members', 'project_id IN (SELECT id FROM projects WHERE organization_id = ?1)'),
    inOrg('assets', 'organization_id = ?1'),
    inOrg('folders', 'asset_id IN (SELECT id FROM assets WHERE organization_id = ?1)'),
    inOrg('data_files', 'asset_id IN (SELECT id FROM assets WHERE organization_id = ?1)'),
    inOrg('spheres', 'asset_id IN (SELECT id FROM assets WHERE organization_id = ?1)'),
    inOrg('reports', 'project_id IN (SELECT id FROM projects WHERE organization_id = ?1)'),
    inOrg('resources', 'organization_id = ?1'),
    // Attachments to A's things too: another organisation attaching its file to them is a change of A.
    inOrg('resource_attachments', `organization_id = ?1 OR entity_id IN (SELECT id FROM projects WHERE organization_id = ?1
      UNION ALL SELECT id FROM assets WHERE organization_id = ?1 UNION ALL SELECT id FROM organizations WHERE id = ?1)`),
    inOrg('blobs', 'organization_id = ?1'),
    env.DB.prepare(
      'SELECT id, username, email, name, password_hash, is_superuser, is_active FROM users WHERE id IN (SELECT user_id FROM memberships WHERE organization_id = ?1) ORDER BY id',
    ).bind(orgId),
  ]);
  const objects = await env.FILES.list({ prefix: `${orgId}/`, limit: 1000 });
  return JSON.stringify([results.map((r) => r.results), objects.objects.map((o) => o.key).sort()]);
}

/** Fuzzes a document as the admin of another organisation, with organisation A's ids: nothing of A changes or leaks. */
async function fuzzAsOutsider(spec: DocumentSpec, document: ApiDocument, world: World, fixed: Record<string, string>) {
  // Sign-in is left out: it takes a password, not this caller's credential (the hints hold the viewer's).
  const ops = order(document.operations, spec).filter((o) => !spec.signIns.includes(o.key));
  const outsider = world.actors.otherOrgAdmin;
  // What the private project and A are made of, by id and by name: none may appear in an answer
  // unless the request itself carried it.
  const secrets = [world.org.id, world.org.slug, world.project, world.asset, world.folder, world.data, world.report, world.resource, world.orgDocument, world.sphere, world.names.project, world.names.asset, world.names.report];
  const failures: string[] = [];
  let sent = 0;
  let refusedWrites = 0;
  for (const op of ops) {
    const property = fc.asyncProperty(requestArb(document, op, world, LIMITS, fixed, spec), async (r) => {
      const before = op.method === 'GET' ? undefined : await organizationSnapshot(world.org.id);
      const outcome = await probe(op, r, outsider.id, spec, document, world);
      sent += 1;
      const problems = [...outcome.problems];
      const asked = r.url + JSON.stringify(r.body ?? null) + JSON.stringify(r.headers);
      const leaked = secrets.filter((secret) => outcome.text.includes(secret) && !asked.includes(secret));
      if (leaked.length) problems.push(`the answer holds ${leaked.join(', ')}: ${outcome.text.slice(0, 300)}`);
      if (before !== undefined) {
        if ((await organizationSnapshot(world.org.id)) !== before) problems.push(`organisation A changed (answered ${outcome.status})`);
        if (outcome.status >= 400) refusedWrites += 1;
      }
      if (problems.length) throw new Error(`${op.method} ${r.url} [${r.label}]\n  ${problems.join('\n  ')}`);
    });
    const result = await fc.check(property, { seed: SEED, numRuns: OUTSIDER_RUNS_PER_OPERATION, endOnFailure: true });
    if (result.failed) failures.push(`${op.key} (seed ${SEED}, path ${result.counterexamplePath}): ${String((result as { errorInstance?: unknown }).errorInstance)}`);
  }
  console.log(`fuzz as an outsider (${spec.documentUrl}): ${sent} requests over ${ops.length} operations, ${refusedWrites} writes refused; organisation A unchanged, no secret in any answer`);
  expect(failures).toEqual([]);
  return { sent, refusedWrites, ops };
}

describe('fuzzing as the admin of another organisation', () => {
  it('whatever it sends with organisation A’s ids, nothing of A changes and nothing of the private project reaches it', async () => {
    // A world of its own: the pass above ends by deleting the first one.
    const world = await buildWorld();
    const { sent, refusedWrites } = await fuzzAsOutsider(V1, doc, world, { org: world.org.id, user: world.actors.editor.id, token: world.viewerTokenId });
    expect(refusedWrites).toBeGreaterThan(sent / 4);
  }, 600_000);

  for (const spec of DIALECT_SPECS) {
    it(`and through ${spec.documentUrl}`, async () => {
      const world = await buildWorld();
      await fuzzAsOutsider(spec, await documentOf(spec), world, (await spec.fixed?.(world)) ?? {});
    }, 600_000);
  }
});
