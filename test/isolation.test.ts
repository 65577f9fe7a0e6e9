/**
 * The isolation matrix (issue 6): every operation in /openapi.json, run by every kind of actor
 * (anonymous, revoked and expired tokens, an admin of another organisation, an org member outside
 * a private project, the project's viewer, editor and manager, the org admin, a superuser), with
 * both the Bearer credential and the X-User-Email + X-User-Token pair. The expected outcome of
 * every pair comes from POLICY below; an operation missing from it fails the test.
 *
 * Reads (GET) are sent by every actor. Writes are only sent by actors that must be refused (so the
 * world survives): 401 for anonymous/revoked/expired, 404 (identical to a random id's 404) for the
 * other-organisation admin and, inside the private project, the org member outside it, 403 for the
 * viewer where the operation needs write rights. Nothing may change in D1 or R2 on those requests.
 *
 * Not sent (documented here, still in POLICY): POST /v1/auth/sign-in is unauthenticated (it takes a
 * password, not a credential), so it is only listed. Writes are never sent by actors who would be
 * allowed to perform them. {user} is the project's editor, not the viewer: a member may remove
 * themself from an organisation or a project, so the viewer acting on its own membership is allowed.
 * {id} of the documents routes is P's resource (also attached to the asset and the report); under
 * the organisation it is a document of the organisation itself.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId, type IdPrefix } from '../src/lib/ids';
import { call, ORIGIN, sameProblem, type Answer } from './support/api';
import { checkContract } from './support/contract';
import { makeOrg, makeUser, mintToken, unique, type Actor } from './support/actors';

const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const ACTORS = ['anonymous', 'revoked', 'expired', 'otherOrgAdmin', 'orgMember', 'viewer', 'editor', 'manager', 'orgAdmin', 'superuser'] as const;
type ActorName = (typeof ACTORS)[number];
/** ok: 2xx/3xx; '-': not sent (a write the actor is allowed to make). */
type Outcome = 'ok' | '401' | '403' | '404' | '-';
type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

// Reads, in ACTORS order.
const R_PUBLIC: Row = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'];
/** Any signed-in user: the caller's own things, and lists filtered to what the caller may see. */
const R_SELF: Row = ['401', '401', '401', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'];
/** Organisation A: visible to its members (and superusers), hidden from another organisation. */
const R_ORG: Row = ['401', '401', '401', '404', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'];
/** Inside the private project P: hidden from org members who are not in it. */
const R_PROJ: Row = ['401', '401', '401', '404', '404', 'ok', 'ok', 'ok', 'ok', 'ok'];
// Writes: only the refused actors are sent.
const W_SELF: Row = ['401', '401', '401', '-', '-', '-', '-', '-', '-', '-'];
/** Needs org admin rights on A: the plain members of A (the viewer is one) get 403. */
const W_ORG_ADMIN: Row = ['401', '401', '401', '404', '403', '403', '-', '-', '-', '-'];
/** Any member of A may do it (create a project, a document of the organisation...). */
const W_ORG_MEMBER: Row = ['401', '401', '401', '404', '-', '-', '-', '-', '-', '-'];
/** Needs write rights in P: the viewer gets 403. */
const W_PROJ: Row = ['401', '401', '401', '404', '404', '403', '-', '-', '-', '-'];
/** Someone else's account ({user} is the editor): members of A see it but may not change it. */
const W_USER: Row = ['401', '401', '401', '404', '403', '403', '-', '-', '-', '-'];
/** The viewer's token: nobody else sees it. */
const W_TOKEN: Row = ['401', '401', '401', '404', '404', '-', '-', '-', '-', '-'];
const NOT_SENT: Row = ['-', '-', '-', '-', '-', '-', '-', '-', '-', '-'];

const POLICY: Record<string, Row> = {
  'GET /health': R_PUBLIC,
  'POST /v1/auth/sign-in': NOT_SENT,
  'POST /v1/auth/sign-out': W_SELF,
  'GET /v1/me': R_SELF,
  'PATCH /v1/me': W_SELF,
  'GET /v1/me/tokens': R_SELF,
  'POST /v1/me/tokens': W_SELF,
  'DELETE /v1/me/tokens/{token}': W_TOKEN,
  'GET /v1/users': R_SELF,
  'POST /v1/users': W_SELF,
  'GET /v1/users/{user}': R_ORG,
  'PATCH /v1/users/{user}': W_USER,
  'DELETE /v1/users/{user}': W_USER,
  'GET /v1/organizations': R_SELF,
  'POST /v1/organizations': W_SELF,
  'GET /v1/organizations/{org}': R_ORG,
  'PATCH /v1/organizations/{org}': W_ORG_ADMIN,
  'PUT /v1/organizations/{org}': W_ORG_ADMIN,
  'DELETE /v1/organizations/{org}': W_ORG_ADMIN,
  'PUT /v1/organizations/{org}/logo': W_ORG_ADMIN,
  'GET /v1/organizations/{org}/logo': R_ORG,
  'DELETE /v1/organizations/{org}/logo': W_ORG_ADMIN,
  'GET /v1/organizations/{org}/members': R_ORG,
  'POST /v1/organizations/{org}/members': W_ORG_ADMIN,
  'POST /v1/organizations/{org}/users': W_ORG_ADMIN,
  'PATCH /v1/organizations/{org}/members/{user}': W_ORG_ADMIN,
  'DELETE /v1/organizations/{org}/members/{user}': W_ORG_ADMIN,
  'GET /v1/projects': R_SELF,
  'POST /v1/projects': W_ORG_MEMBER,
  'GET /v1/organizations/{org}/projects': R_ORG,
  'POST /v1/organizations/{org}/projects': W_ORG_MEMBER,
  'GET /v1/projects/{project}': R_PROJ,
  'PATCH /v1/projects/{project}': W_PROJ,
  'PUT /v1/projects/{project}': W_PROJ,
  'DELETE /v1/projects/{project}': W_PROJ,
  'POST /v1/projects/{project}/restore': W_PROJ,
  'PUT /v1/projects/{project}/logo': W_PROJ,
  'GET /v1/projects/{project}/logo': R_PROJ,
  'DELETE /v1/projects/{project}/logo': W_PROJ,
  'GET /v1/projects/{project}/members': R_PROJ,
  'POST /v1/projects/{project}/members': W_PROJ,
  'POST /v1/projects/{project}/users': W_PROJ,
  'PATCH /v1/projects/{project}/members/{user}': W_PROJ,
  'DELETE /v1/projects/{project}/members/{user}': W_PROJ,
  'GET /v1/assets': R_SELF,
  'POST /v1/assets': W_PROJ,
  'GET /v1/projects/{project}/assets': R_PROJ,
  'POST /v1/projects/{project}/assets': W_PROJ,
  'GET /v1/assets/{asset}': R_PROJ,
  'PATCH /v1/assets/{asset}': W_PROJ,
  'PUT /v1/assets/{asset}': W_PROJ,
  'DELETE /v1/assets/{asset}': W_PROJ,
  'POST /v1/assets/{asset}/folders': W_PROJ,
  'GET /v1/assets/{asset}/folders': R_PROJ,
  'GET /v1/assets/{asset}/folders/{folder}': R_PROJ,
  'GET /v1/folders/{folder}': R_PROJ,
  'PATCH /v1/folders/{folder}': W_PROJ,
  'DELETE /v1/folders/{folder}': W_PROJ,
  'POST /v1/assets/{asset}/data': W_PROJ,
  'GET /v1/assets/{asset}/data': R_PROJ,
  'GET /v1/assets/{asset}/contents': R_PROJ,
  'GET /v1/assets/{asset}/data/{data}': R_PROJ,
  'GET /v1/assets/{asset}/data/{data}/download': R_PROJ,
  'GET /v1/data/{data}': R_PROJ,
  'PATCH /v1/data/{data}': W_PROJ,
  'DELETE /v1/data/{data}': W_PROJ,
  'GET /v1/data/{data}/download': R_PROJ,
  'GET /v1/assets/{asset}/spheres': R_PROJ,
  'POST /v1/assets/{asset}/spheres': W_PROJ,
  'GET /v1/assets/{asset}/spheres/{sphere}': R_PROJ,
  'GET /v1/spheres/{sphere}': R_PROJ,
  'PATCH /v1/spheres/{sphere}': W_PROJ,
  'DELETE /v1/spheres/{sphere}': W_PROJ,
  'GET /v1/spheres/{sphere}/image': R_PROJ,
  'GET /v1/reports': R_SELF,
  'POST /v1/reports': W_PROJ,
  'GET /v1/reports/{report}': R_PROJ,
  'PATCH /v1/reports/{report}': W_PROJ,
  'DELETE /v1/reports/{report}': W_PROJ,
  'PUT /v1/reports/{report}/file': W_PROJ,
  'GET /v1/reports/{report}/download': R_PROJ,
  'GET /v1/assets/{asset}/reports': R_PROJ,
  'GET /v1/assets/{asset}/reports/{report}': R_PROJ,
  'GET /v1/assets/{asset}/reports/{report}/download': R_PROJ,
  'POST /v1/resources': W_PROJ,
  'GET /v1/resources': R_SELF,
  'POST /v1/organizations/{org}/resources': W_ORG_MEMBER,
  'GET /v1/organizations/{org}/resources': R_ORG,
  'POST /v1/projects/{project}/resources': W_PROJ,
  'GET /v1/projects/{project}/resources': R_PROJ,
  'POST /v1/assets/{asset}/resources': W_PROJ,
  'GET /v1/assets/{asset}/resources': R_PROJ,
  'POST /v1/reports/{report}/resources': W_PROJ,
  'GET /v1/reports/{report}/resources': R_PROJ,
  'GET /v1/resources/{resource}': R_PROJ,
  'PATCH /v1/resources/{resource}': W_PROJ,
  'DELETE /v1/resources/{resource}': W_PROJ,
  'PUT /v1/resources/{resource}/file': W_PROJ,
  'GET /v1/resources/{resource}/download': R_PROJ,
  'POST /v1/resources/{resource}/attachments': W_PROJ,
  'DELETE /v1/resources/{resource}/attachments/{entity_type}/{entity_id}': W_PROJ,
  'GET /v1/organizations/{org}/documents': R_ORG,
  'POST /v1/organizations/{org}/documents': W_ORG_MEMBER,
  'PATCH /v1/organizations/{org}/documents/{id}': W_ORG_MEMBER,
  'DELETE /v1/organizations/{org}/documents/{id}': W_ORG_MEMBER,
  'GET /v1/projects/{project}/documents': R_PROJ,
  'POST /v1/projects/{project}/documents': W_PROJ,
  'PATCH /v1/projects/{project}/documents/{id}': W_PROJ,
  'DELETE /v1/projects/{project}/documents/{id}': W_PROJ,
  'GET /v1/assets/{asset}/documents': R_PROJ,
  'POST /v1/assets/{asset}/documents': W_PROJ,
  'PATCH /v1/assets/{asset}/documents/{id}': W_PROJ,
  'DELETE /v1/assets/{asset}/documents/{id}': W_PROJ,
  'GET /v1/reports/{report}/documents': R_PROJ,
  'POST /v1/reports/{report}/documents': W_PROJ,
  'PATCH /v1/reports/{report}/documents/{id}': W_PROJ,
  'DELETE /v1/reports/{report}/documents/{id}': W_PROJ,
  'GET /v1/dashboard': R_SELF,
};

interface World {
  actors: Record<Exclude<ActorName, 'anonymous' | 'revoked' | 'expired'>, Actor>;
  revoked: string;
  expired: string;
  viewerEmail: string;
  org: { id: string; slug: string };
  orgB: { id: string; slug: string };
  project: string;
  asset: string;
  folder: string;
  data: string;
  report: string;
  resource: string;
  orgDocument: string;
  sphere: string;
  viewerTokenId: string;
  names: { project: string; asset: string; report: string };
}
let w: World;

function ok(a: Answer, what: string) {
  if (a.status >= 300) throw new Error(`${what}: ${a.status} ${a.text}`);
  return a.body;
}

function fileForm(fields: [string, string][], bytes: Uint8Array = new TextEncoder().encode('isolation'), type = 'text/plain', name = 'probe.txt') {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  fd.append('file', new Blob([bytes], { type }), name);
  return fd;
}

beforeAll(async () => {
  const [orgAdmin, orgMember, viewer, editor, manager, otherOrgAdmin, superuser] = await Promise.all([
    makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser({ superuser: true }),
  ]);
  const org = await makeOrg(orgAdmin, [orgMember, viewer, editor, manager]);
  const orgB = await makeOrg(otherOrgAdmin);
  const A = orgAdmin.auth;
  ok(await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...A, 'Content-Type': 'image/png' }, body: PNG }), 'org logo');
  const names = { project: unique('Private '), asset: unique('Asset '), report: unique('Report ') };
  const project = ok(await call(`/v1/organizations/${org.slug}/projects`, { headers: A, json: { name: names.project, access: 'private' } }), 'project').id as string;
  for (const [u, role] of [[manager, 'manager'], [editor, 'editor'], [viewer, 'viewer']] as const) {
    ok(await call(`/v1/projects/${project}/members`, { headers: A, json: { user: u.id, role } }), `member ${role}`);
  }
  ok(await call(`/v1/projects/${project}/logo`, { method: 'PUT', headers: { ...A, 'Content-Type': 'image/png' }, body: PNG }), 'project logo');
  const E = editor.auth;
  const asset = ok(await call(`/v1/projects/${project}/assets`, { headers: E, json: { name: names.asset } }), 'asset').id as string;
  const folder = ok(await call(`/v1/assets/${asset}/folders`, { headers: E, json: { name: 'docs' } }), 'folder').id as string;
  const data = ok(
    await call(`/v1/assets/${asset}/data?folder_id=${folder}`, {
      method: 'POST',
      headers: { ...E, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'small.bin' },
      body: new TextEncoder().encode('a small data file'),
    }),
    'data',
  ).id as string;
  const report = ok(
    await call('/v1/reports', { method: 'POST', headers: E, body: fileForm([['project_id', project], ['asset_id', asset], ['name', names.report]]) }),
    'report',
  ).id as string;
  const resource = ok(await call(`/v1/projects/${project}/resources`, { method: 'POST', headers: E, body: fileForm([['name', 'plan']]) }), 'resource').id as string;
  // Also a document of the asset and of the report, so {id} under those is the same resource.
  ok(await call(`/v1/resources/${resource}/attachments`, { headers: E, json: { entity_type: 'asset', entity_id: asset } }), 'attach asset');
  ok(await call(`/v1/resources/${resource}/attachments`, { headers: E, json: { entity_type: 'report', entity_id: report } }), 'attach report');
  const orgDocument = ok(await call(`/v1/organizations/${org.slug}/resources`, { method: 'POST', headers: A, body: fileForm([['name', 'org doc']]) }), 'org document').id as string;
  const sphere = ok(await call(`/v1/assets/${asset}/spheres`, { method: 'POST', headers: E, body: fileForm([['name', 'pano']], PNG, 'image/png', 'pano.png') }), 'sphere').id as string;
  const now = Date.now();
  const revoked = await mintToken(viewer.id, { revoked: true });
  const expired = await mintToken(viewer.id, { expiresAt: now - 60_000 });
  const tok = await env.DB.prepare('SELECT id FROM tokens WHERE user_id = ? ORDER BY created_at LIMIT 1').bind(viewer.id).first<{ id: string }>();
  w = {
    actors: { otherOrgAdmin, orgMember, viewer, editor, manager, orgAdmin, superuser },
    revoked, expired, viewerEmail: viewer.email,
    org, orgB, project, asset, folder, data, report, resource, orgDocument, sphere, viewerTokenId: tok!.id, names,
  };
}, 60_000);

/** The credentials an actor is tried with: none for anonymous, Bearer and the email/token pair otherwise. */
function credentials(actor: ActorName): [string, Record<string, string>][] {
  if (actor === 'anonymous') return [['none', {}]];
  if (actor === 'revoked' || actor === 'expired') {
    const t = actor === 'revoked' ? w.revoked : w.expired;
    return [['bearer', { Authorization: `Bearer ${t}` }], ['pair', { 'X-User-Email': w.viewerEmail, 'X-User-Token': t }]];
  }
  const a = w.actors[actor];
  return [['bearer', a.auth], ['pair', a.pair]];
}

const PREFIX: Record<string, IdPrefix> = {
  project: 'prj', asset: 'ast', folder: 'fld', data: 'dat', report: 'rpt', resource: 'res', id: 'res', sphere: 'sph', token: 'tok',
};

/** The path with the world's ids; `hide` replaces the named parameter with a random one of its kind. */
function fill(path: string, hide?: string): string | undefined {
  const values: Record<string, string> = {
    org: w.org.slug,
    project: w.project,
    asset: w.asset,
    folder: w.folder,
    data: w.data,
    report: w.report,
    resource: w.resource,
    sphere: w.sphere,
    user: w.actors.editor.username,
    token: w.viewerTokenId,
    entity_type: 'project',
    entity_id: w.project,
    id: path.startsWith('/v1/organizations/') ? w.orgDocument : w.resource,
  };
  let missing = false;
  const out = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === hide) return name === 'org' ? unique('no-such-') : name === 'user' ? unique('nobody') : newId(PREFIX[name]!);
    const v = values[name];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? undefined : out;
}

/** The parameter whose random stand-in gives the same 404: the outermost container in the path. */
function hiddenParam(path: string): string | undefined {
  return /\{(\w+)\}/.exec(path)?.[1];
}

/** A body that would be valid, so a refusal cannot be a validation error. */
function bodyFor(method: string, path: string): { json?: unknown; body?: BodyInit; headers?: Record<string, string> } {
  const key = `${method} ${path}`;
  if (method === 'GET' || method === 'DELETE' || key.endsWith('/restore') || key === 'POST /v1/auth/sign-out') return {};
  if (path.endsWith('/logo')) return { body: PNG, headers: { 'Content-Type': 'image/png' } };
  if (path.endsWith('/spheres')) return { body: fileForm([['name', 'pano']], PNG, 'image/png', 'pano.png') };
  if (path.endsWith('/file') || path.endsWith('/data') || path.endsWith('/resources') || path.endsWith('/documents')) {
    const fields: [string, string][] = [['name', 'probe']];
    if (path === '/v1/resources') fields.push(['attach', `project:${w.project}`]);
    return { body: fileForm(fields) };
  }
  const org = path.startsWith('/v1/organizations/');
  if (path.endsWith('/members/{user}')) return { json: { role: org ? 'admin' : 'manager' } };
  if (path.endsWith('/members')) return { json: { user: w.actors.otherOrgAdmin.id, role: org ? 'member' : 'viewer' } };
  if (path.endsWith('/users')) {
    const u = unique('probe');
    return { json: { username: u, email: `${u}@example.test` } };
  }
  if (path.endsWith('/attachments')) return { json: { entity_type: 'asset', entity_id: w.asset } };
  if (key === 'POST /v1/me/tokens') return { json: { name: 'probe' } };
  if (key === 'POST /v1/organizations') {
    const s = unique('org-probe-');
    return { json: { name: s, slug: s } };
  }
  if (key === 'POST /v1/projects') return { json: { organization: w.org.slug, name: 'probe' } };
  if (key === 'POST /v1/assets') return { json: { project_id: w.project, name: 'probe' } };
  if (key === 'POST /v1/reports') return { json: { project_id: w.project, name: 'probe' } };
  return { json: { name: 'probe' } };
}

async function snapshot() {
  const tables = ['organizations', 'memberships', 'projects', 'project_members', 'assets', 'folders', 'data_files', 'spheres', 'reports', 'resources', 'resource_attachments', 'blobs', 'deletions', 'users'];
  const out: Record<string, unknown> = {};
  for (const t of tables) {
    const rows = await env.DB.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all();
    out[t] = t === 'users' ? rows.results.map((r: any) => ({ ...r, last_login: undefined, updated_at: undefined, failed_attempts: undefined })) : rows.results;
  }
  out.tokens = (await env.DB.prepare('SELECT id, revoked_at, expires_at FROM tokens ORDER BY id').all()).results;
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  out.r2 = keys.sort();
  return out;
}

/** Like call(), but binary bodies (downloads, images) are read as bytes, not text; the contract is still checked. */
async function send(path: string, method: string, headers: Record<string, string>, b: { json?: unknown; body?: BodyInit }): Promise<Answer> {
  const h = new Headers(headers);
  let body: BodyInit | null = b.body ?? null;
  if (b.json !== undefined) {
    h.set('Content-Type', 'application/json');
    body = JSON.stringify(b.json);
  }
  const res = await exports.default.fetch(new Request(ORIGIN + path, { method, headers: h, body }));
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('Content-Type') ?? '';
  const text = type.includes('json') ? new TextDecoder().decode(bytes) : '';
  const answer: Answer = { res, status: res.status, headers: res.headers, body: text ? JSON.parse(text) : '', text };
  checkContract(method, path.split('?')[0]!, answer);
  return answer;
}

function classOf(status: number): Outcome {
  if (status < 400) return 'ok';
  return String(status) as Outcome;
}

describe('isolation matrix', () => {
  it('every operation in /openapi.json has a policy row, and every pair answers as the policy says', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, o]) => METHODS.filter((m) => o[m]).map((m) => ({ method: m.toUpperCase(), path })));
    expect(ops.length).toBeGreaterThan(100);
    const unlisted = ops.map((o) => `${o.method} ${o.path}`).filter((k) => !POLICY[k]);
    expect(unlisted, 'operations with no row in POLICY').toEqual([]);
    const stale = Object.keys(POLICY).filter((k) => !ops.some((o) => `${o.method} ${o.path}` === k));
    expect(stale, 'POLICY rows for operations that no longer exist').toEqual([]);

    const before = await snapshot();
    const failures: string[] = [];
    const skipped: string[] = [];
    let pairs = 0;
    for (const { method, path } of ops) {
      const row = POLICY[`${method} ${path}`]!;
      const url = fill(path);
      if (!url) {
        skipped.push(`${method} ${path}`);
        continue;
      }
      for (const [i, actor] of ACTORS.entries()) {
        const expected = row[i]!;
        if (expected === '-') continue;
        for (const [cred, headers] of credentials(actor)) {
          const b = bodyFor(method, path);
          const a = await send(url, method, { ...headers, ...b.headers }, b);
          pairs += 1;
          const where = `${method} ${path} as ${actor} (${cred})`;
          if (classOf(a.status) !== expected) {
            failures.push(`${where}: expected ${expected}, got ${a.status} ${a.text.slice(0, 160)}`);
            continue;
          }
          if (expected === '404') {
            const hide = hiddenParam(path)!;
            const b2 = bodyFor(method, path);
            const random = await send(fill(path, hide)!, method, { ...headers, ...b2.headers }, b2);
            if (random.status !== 404 || JSON.stringify(sameProblem(random)) !== JSON.stringify(sameProblem(a))) {
              failures.push(`${where}: 404 differs from a random ${hide}'s: ${a.text.slice(0, 160)} vs ${random.status} ${random.text.slice(0, 160)}`);
            }
          }
        }
      }
    }
    console.log(`isolation matrix: ${pairs} operation x actor x credential pairs checked over ${ops.length} operations; skipped: ${skipped.join(', ') || 'none'}`);
    expect(failures).toEqual([]);
    expect(skipped).toEqual([]);
    expect(pairs).toBeGreaterThan(1500);
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});

describe('lists never include what the actor may not see', () => {
  const LISTS = ['/v1/projects', '/v1/assets', '/v1/reports', '/v1/resources'];

  it('the other-organisation admin and the org member outside P see nothing of P in the lists, search or the dashboard; the viewer does', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    const hiddenIds = () => [w.project, w.asset, w.folder, w.data, w.report, w.resource, w.sphere];
    const searchable = (path: string) => (doc.paths[path]?.get?.parameters ?? []).some((p) => p.in === 'query' && p.name === 'search');
    const term: Record<string, string> = { '/v1/projects': w.names.project, '/v1/assets': w.names.asset, '/v1/reports': w.names.report, '/v1/resources': 'plan' };
    let checked = 0;
    for (const who of ['otherOrgAdmin', 'orgMember', 'viewer'] as const) {
      const actor = w.actors[who];
      const sees = who === 'viewer';
      for (const [cred, headers] of [['bearer', actor.auth], ['pair', actor.pair]] as const) {
        for (const list of LISTS) {
          const urls = [list, ...(searchable(list) ? [`${list}?search=${encodeURIComponent(term[list]!)}`] : [])];
          for (const url of urls) {
            const a = await call(url, { headers });
            expect(a.status, `${url} as ${who} (${cred})`).toBe(200);
            const all: string[] = a.body.results.map((r: { id: string }) => r.id);
            // The organisation's own document is visible to every member of A; it is not in P.
            const ids = all.filter((id) => id !== w.orgDocument);
            expect(a.body.next, `${url}: one page holds everything here`).toBeNull();
            expect(a.body.count, `${url} as ${who}: count matches the results`).toBe(all.length);
            if (!sees) for (const id of hiddenIds()) expect(a.text.includes(id), `${url} as ${who} (${cred}) mentions ${id}`).toBe(false);
            if (sees) expect(ids.length, `${url} as the viewer`).toBeGreaterThan(0);
            else expect(ids, `${url} as ${who}`).toEqual([]);
            checked += 1;
          }
        }
        const d = await call('/v1/dashboard', { headers });
        expect(d.status).toBe(200);
        const n = sees ? 1 : 0;
        expect([d.body.projects.count, d.body.assets.count, d.body.data_files.count, d.body.reports.count], `dashboard as ${who} (${cred})`).toEqual([n, n, n, n]);
        expect(d.body.recent.assets.length + d.body.recent.reports.length).toBe(2 * n);
        for (const id of hiddenIds()) if (!sees) expect(d.text.includes(id), `dashboard as ${who} mentions ${id}`).toBe(false);
        if (sees) expect(d.text).toContain(w.project);
        checked += 1;
      }
    }
    console.log(`isolation lists: ${checked} list/search/dashboard answers checked`);
  }, 60_000);
});
