/**
 * One world for the whole-API tests (the isolation matrix, the fuzzer): organisation A with a
 * private project P holding one of everything, the people around it (among them a former editor
 * of P whom A removed), and organisation B. Also how to fill an operation's path with the world's
 * ids, a valid body for it, and a snapshot of D1 and R2 to prove a request changed nothing.
 */
import { env, exports } from 'cloudflare:workers';
import { newId, type IdPrefix } from '../../src/lib/ids';
import { call, ORIGIN, type Answer } from './api';
import { checkContract } from './contract';
import { makeOrg, makeUser, mintToken, unique, type Actor } from './actors';
import { BOOKKEEPING, snapshot as snapshotAll } from './snapshot';
import { chainThroughApi } from './trees';

export const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

export type WorldActor = 'otherOrgAdmin' | 'removedMember' | 'orgMember' | 'viewer' | 'editor' | 'manager' | 'orgAdmin' | 'superuser';

export interface World {
  actors: Record<WorldActor, Actor>;
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
  /** The entities' numbers, as the seed dialects address them (src/db/numbers.ts). */
  numbers: WorldNumbers;
}

export interface WorldNumbers {
  org: number;
  orgB: number;
  project: number;
  asset: number;
  folder: number;
  data: number;
  report: number;
  resource: number;
  orgDocument: number;
  sphere: number;
  users: Record<WorldActor, number>;
}

/** The numbers of the world's entities, in one batch. */
async function numbersOf(ids: Record<Exclude<keyof WorldNumbers, 'users'>, [table: string, id: string]>, users: Record<WorldActor, string>): Promise<WorldNumbers> {
  const entries = [...Object.entries(ids), ...Object.entries(users).map(([k, id]) => [`user:${k}`, ['users', id]] as const)];
  const rows = await env.DB.batch(entries.map(([, [table, id]]) => env.DB.prepare(`SELECT number FROM ${table} WHERE id = ?`).bind(id)));
  const n = Object.fromEntries(entries.map(([k], i) => [k, (rows[i]!.results[0] as { number: number }).number]));
  const out = Object.fromEntries(Object.keys(ids).map((k) => [k, n[k]])) as Omit<WorldNumbers, 'users'>;
  return { ...out, users: Object.fromEntries(Object.keys(users).map((k) => [k, n[`user:${k}`]])) as Record<WorldActor, number> };
}

function ok(a: Answer, what: string) {
  if (a.status >= 300) throw new Error(`${what}: ${a.status} ${a.text}`);
  return a.body;
}

export function fileForm(fields: [string, string][], bytes: Uint8Array = new TextEncoder().encode('isolation'), type = 'text/plain', name = 'probe.txt') {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  fd.append('file', new Blob([bytes], { type }), name);
  return fd;
}

/** Organisation A with a private project P holding one of everything, and the people around it. */
export async function buildWorld(): Promise<World> {
  const [orgAdmin, orgMember, viewer, editor, manager, otherOrgAdmin, removedMember, superuser] = await Promise.all([
    makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser({ superuser: true }),
  ]);
  const org = await makeOrg(orgAdmin, [orgMember, viewer, editor, manager, removedMember]);
  const orgB = await makeOrg(otherOrgAdmin);
  const A = orgAdmin.auth;
  ok(await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...A, 'Content-Type': 'image/png' }, body: PNG }), 'org logo');
  const names = { project: unique('Private '), asset: unique('Asset '), report: unique('Report ') };
  const project = ok(await call(`/v1/organizations/${org.slug}/projects`, { headers: A, json: { name: names.project, access: 'private' } }), 'project').id as string;
  for (const [u, role] of [[manager, 'manager'], [editor, 'editor'], [viewer, 'viewer'], [removedMember, 'editor']] as const) {
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
  // An editor of P, then removed from A: leaving an organisation ends every role in its projects.
  const removal = await call(`/v1/organizations/${org.slug}/members/${removedMember.id}`, { method: 'DELETE', headers: A });
  if (removal.status !== 204) throw new Error(`remove member: ${removal.status} ${removal.text}`);
  const now = Date.now();
  const revoked = await mintToken(viewer.id, { revoked: true });
  const expired = await mintToken(viewer.id, { expiresAt: now - 60_000 });
  const tok = await env.DB.prepare('SELECT id FROM tokens WHERE user_id = ? ORDER BY created_at LIMIT 1').bind(viewer.id).first<{ id: string }>();
  const actors = { otherOrgAdmin, removedMember, orgMember, viewer, editor, manager, orgAdmin, superuser };
  const numbers = await numbersOf(
    {
      org: ['organizations', org.id], orgB: ['organizations', orgB.id], project: ['projects', project], asset: ['assets', asset], folder: ['folders', folder],
      data: ['data_files', data], report: ['reports', report], resource: ['resources', resource], orgDocument: ['resources', orgDocument], sphere: ['spheres', sphere],
    },
    Object.fromEntries(Object.entries(actors).map(([k, a]) => [k, a.id])) as Record<WorldActor, string>,
  );
  return {
    actors,
    revoked, expired, viewerEmail: viewer.email,
    org, orgB, project, asset, folder, data, report, resource, orgDocument, sphere, viewerTokenId: tok!.id, names, numbers,
  };
}

/**
 * Folder chains deeper than D1's cascade limit (issue 10: from 11 levels every delete above them
 * answered 500), each with a data file at the bottom, placed so that each delete the fuzzer sends
 * meets one: under the world's folder (a recursive folder delete, else the asset's delete), in a
 * second asset of P (the project's purge), in an asset of A alone (the organisation's delete).
 */
export async function addDeepFolders(w: World, depth = 12) {
  const { editor, orgAdmin } = w.actors;
  await chainThroughApi(editor, w.asset, depth, w.folder);
  const second = ok(await call(`/v1/projects/${w.project}/assets`, { headers: editor.auth, json: { name: unique('Deep ') } }), 'second asset').id as string;
  await chainThroughApi(editor, second, depth);
  const ofOrg = ok(await call('/v1/assets', { headers: orgAdmin.auth, json: { organization: w.org.id, name: unique('Deep ') } }), 'asset of A').id as string;
  await chainThroughApi(orgAdmin, ofOrg, depth);
}

/**
 * A resource of A shared with organisation B (issue 10): uploaded to P by its editor, attached to
 * organisation B by a superuser (who writes both). Also an entity each outsider writes, to try to
 * attach it to: a project of B (B's admin), and an organisation C that P's viewer creates and so
 * administers.
 */
export async function shareResource(w: World) {
  const { editor, superuser, otherOrgAdmin, viewer } = w.actors;
  const resource = ok(await call(`/v1/projects/${w.project}/resources`, { method: 'POST', headers: editor.auth, body: fileForm([['name', 'shared']]) }), 'shared resource').id as string;
  ok(await call(`/v1/resources/${resource}/attachments`, { headers: superuser.auth, json: { entity_type: 'organization', entity_id: w.orgB.id } }), 'share with B');
  const projectB = ok(await call(`/v1/organizations/${w.orgB.slug}/projects`, { headers: otherOrgAdmin.auth, json: { name: unique('Of B ') } }), 'project of B').id as string;
  const slugC = unique('org-c-');
  const orgC = ok(await call('/v1/organizations', { headers: viewer.auth, json: { name: slugC, slug: slugC } }), "the viewer's organisation").id as string;
  return { resource, projectB, orgC };
}

const PREFIX: Record<string, IdPrefix> = {
  project: 'prj', asset: 'ast', folder: 'fld', data: 'dat', report: 'rpt', resource: 'res', id: 'res', sphere: 'sph', token: 'tok',
};

/** The path with the world's ids (or `given` ones); `hide` replaces the named parameter with a random one of its kind. */
export function fill(w: World, path: string, hide?: string, given: Record<string, string> = {}): string | undefined {
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
    ...given,
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

/** A body that would be valid, so a refusal cannot be a validation error. */
export function bodyFor(w: World, method: string, path: string): { json?: unknown; body?: BodyInit; headers?: Record<string, string> } {
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

/** The stored state without the sign-in and token-use bookkeeping: equal before and after a request that must change nothing. */
export const snapshot = () => snapshotAll(BOOKKEEPING);

/** Like call(), but binary bodies (downloads, images) are read as bytes, not text; the contract is still checked. */
export async function send(path: string, method: string, headers: Record<string, string>, b: { json?: unknown; body?: BodyInit }): Promise<Answer> {
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
