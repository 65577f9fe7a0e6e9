/**
 * Every write operation of every API document appears in the change feed: each is sent once,
 * successfully, against the isolation world, and whatever it did to an organisation's entities
 * (rows inserted, updated so that the entity changes, deleted, cascades included) must be in the
 * change log, and in the feed of that organisation as a superuser reads it. The operations come
 * from the documents (API_DOCUMENTS, which the seed dialects extend), so a new write route is
 * covered without anyone listing it.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken, PASSWORD, unique } from './support/actors';
import { call } from './support/api';
import { syncFeed } from './support/feed';
import { DIALECT_SPECS } from './dialects';
import { V1, type DocumentSpec } from './support/documents';
import { API_DOCUMENTS } from './support/openapi-doc';
import { bodyFor, buildWorld, fileForm, send, type World } from './support/world';

const WRITES = ['post', 'put', 'patch', 'delete'] as const;

/** The entity tables, how a row names its change (type and id), and what makes an update a change. */
const TABLES: Record<string, { type: string; id: (r: Row) => string; key?: (r: Row) => string; changed: (a: Row, b: Row) => boolean }> = {
  organizations: { type: 'organization', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  memberships: { type: 'member', id: (r) => r.user_id, key: (r) => `${r.organization_id}/${r.user_id}`, changed: (a, b) => a.role !== b.role },
  projects: { type: 'project', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  project_members: { type: 'project_member', id: (r) => r.user_id, key: (r) => `${r.project_id}/${r.user_id}`, changed: (a, b) => a.role !== b.role },
  assets: { type: 'asset', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  folders: { type: 'folder', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  data_files: { type: 'data_file', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  spheres: { type: 'sphere', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  reports: { type: 'report', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  resources: { type: 'resource', id: (r) => r.id, changed: (a, b) => a.version !== b.version },
  resource_attachments: { type: 'attachment', id: (r) => `${r.resource_id}/${r.entity_type}/${r.entity_id}`, changed: () => false },
};

type Row = Record<string, any>;
type State = Record<string, Map<string, Row>>;

async function state(): Promise<State> {
  const names = Object.keys(TABLES);
  const results = await env.DB.batch(names.map((t) => env.DB.prepare(`SELECT * FROM ${t}`)));
  return Object.fromEntries(names.map((t, i) => [t, new Map((results[i]!.results as Row[]).map((r) => [(TABLES[t]!.key ?? TABLES[t]!.id)(r), r]))]));
}

/** The organisation a row of `table` belongs to, read in `s`. */
function organizationOf(s: State, table: string, row: Row): string | undefined {
  const via = (t: string, id: string) => organizationOf(s, t, s[t]!.get(id) ?? {});
  switch (table) {
    case 'organizations':
      return row.id;
    case 'project_members':
    case 'reports':
      return via('projects', row.project_id);
    case 'folders':
    case 'data_files':
    case 'spheres':
      return via('assets', row.asset_id);
    default:
      return row.organization_id;
  }
}

/**
 * What changed between two states, as the log should name it: `type id op`, op being insert,
 * update or delete. Inside an organisation that was deleted, only its own deletion (its feed ends
 * with it: migrations/0014_change_log_triggers.sql).
 */
function expectedChanges(before: State, after: State, users: { before: Map<string, Row>; after: Map<string, Row> }): Set<string> {
  const out = new Set<string>();
  const deletedOrgs = new Set([...before.organizations!.keys()].filter((id) => !after.organizations!.has(id)));
  for (const [table, t] of Object.entries(TABLES)) {
    for (const [k, row] of after[table]!) {
      const old = before[table]!.get(k);
      if (!old) out.add(`${t.type} ${t.id(row)} insert`);
      else if (t.changed(old, row)) out.add(`${t.type} ${t.id(row)} update`);
    }
    for (const [k, row] of before[table]!) {
      if (after[table]!.has(k)) continue;
      if (table !== 'organizations' && deletedOrgs.has(organizationOf(before, table, row) ?? '')) continue;
      out.add(`${t.type} ${t.id(row)} delete`);
    }
  }
  // A member shows its user's username, email and name.
  for (const [id, u] of users.after) {
    const old = users.before.get(id);
    if (old && (old.username !== u.username || old.email !== u.email || old.name !== u.name)) {
      for (const m of after.memberships!.values()) if (m.user_id === id) out.add(`member ${id} update`);
      for (const m of after.project_members!.values()) if (m.user_id === id) out.add(`project_member ${id} update`);
    }
  }
  return out;
}

const userRows = async () => new Map(((await env.DB.prepare('SELECT id, username, email, name FROM users').all()).results as Row[]).map((u) => [u.id, u]));

/** Containers, innermost first: deleting one takes what is inside with it (as the fuzzer orders them). */
const CONTAINERS = ['me', 'data', 'spheres', 'folders', 'reports', 'resources', 'assets', 'projects', 'users', 'organizations'];

interface Op {
  method: string;
  path: string;
  document: string;
}

function order(ops: Op[]): Op[] {
  // A dialect's trailing slash does not make a path deeper.
  const depth = (o: Op) => o.path.replace(/\/$/, '').split('/').length;
  const container = (o: Op) => CONTAINERS.indexOf(o.path.split('/')[2]!);
  const deletes = ops.filter((o) => o.method === 'DELETE').sort((a, b) => depth(b) - depth(a) || container(a) - container(b));
  return [...ops.filter((o) => o.method !== 'DELETE'), ...deletes];
}

let w: World;

beforeAll(async () => {
  w = await buildWorld();
}, 60_000);

/**
 * What an operation needs first, for it to succeed in a world the earlier ones changed: its own
 * thing to delete (a document is a resource; deleting one in place would leave the next route
 * nothing), a project in the trash to restore, an invitation to accept, a password to sign in with.
 */
async function prepare(op: Op): Promise<{ given?: Record<string, string>; body?: ReturnType<typeof bodyFor> }> {
  const su = w.actors.superuser.auth;
  const key = `${op.method} ${op.path}`;
  if (op.document !== '/openapi.json') return prepareDialect(key);
  const documentOf = async (entity: string) =>
    (await call(`/v1/resources`, { method: 'POST', headers: su, body: fileForm([['name', unique('doc ')], ['attach', entity]]) })).body.id as string;
  if (op.method === 'DELETE' && /\/documents\/\{id\}$/.test(op.path)) {
    const entity = op.path.startsWith('/v1/organizations/') ? `organization:${w.org.id}` : op.path.startsWith('/v1/projects/') ? `project:${w.project}` : op.path.startsWith('/v1/assets/') ? `asset:${w.asset}` : `report:${w.report}`;
    return { given: { id: await documentOf(entity) } };
  }
  if (key === 'DELETE /v1/resources/{resource}') return { given: { resource: await documentOf(`project:${w.project}`) } };
  if (key === 'POST /v1/projects/{project}/restore') {
    await call(`/v1/projects/${w.project}`, { method: 'DELETE', headers: su });
    return {};
  }
  if (key === 'POST /v1/auth/accept-invitation') {
    const u = unique('invited');
    const made = await call('/v1/users', { headers: su, json: { username: u, email: `${u}@example.test`, organization: w.org.id } });
    return { body: { json: { token: made.body.invitation.token, password: 'a long enough password' } } };
  }
  if (key === 'POST /v1/auth/sign-in') return { body: { json: { login: w.actors.viewer.username, password: PASSWORD } } };
  // The other project create took the name (and so the slug) bodyFor gives.
  if (key === 'POST /v1/organizations/{org}/projects') return { body: { json: { name: unique('probe ') } } };
  // The caller's own token (each request gets a new one: sign-out ends the one it is sent with).
  if (key === 'DELETE /v1/me/tokens/{token}') {
    await mintToken(w.actors.superuser.id);
    const own = await env.DB.prepare('SELECT id FROM tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1').bind(w.actors.superuser.id).first<{ id: string }>();
    return { given: { token: own!.id } };
  }
  return {};
}

/** The spec of a document: how its paths are filled and its bodies made (support/documents.ts). */
const specOf = (document: string): DocumentSpec => [V1, ...DIALECT_SPECS].find((s) => s.documentUrl === document)!;

/**
 * The dialects' writes that delete or add what the world holds once (the project, its asset,
 * report, a resource, a member) are given their own, made through /v1 first, so that the operations
 * after them still find the world's; its sign-in gets a password.
 */
async function prepareDialect(key: string): Promise<{ given?: Record<string, string>; body?: ReturnType<typeof bodyFor> }> {
  const su = w.actors.superuser.auth;
  const made = async (path: string, json: unknown) => (await call(path, { headers: su, json })).body as { id: string; number: number };
  switch (key) {
    case 'POST /token-auth/':
      return { body: { json: { username: w.actors.viewer.username, password: PASSWORD } } };
    case 'DELETE /project_management/projects/{project_id}/':
      return { given: { project_id: String((await made(`/v1/organizations/${w.org.id}/projects`, { name: unique('gone ') })).number) } };
    case 'DELETE /project_management/assets/{asset_id}/':
      return { given: { asset_id: String((await made(`/v1/projects/${w.project}/assets`, { name: unique('gone ') })).number) } };
    case 'DELETE /project_management/reports/{id}/':
      return { given: { id: String((await made('/v1/reports', { project_id: w.project, name: unique('gone ') })).number) } };
    case 'PATCH /project_management/projects/{project_id}/users/{user_id}/': {
      const u = unique('joining');
      const member = (await call(`/v1/organizations/${w.org.id}/users`, { headers: su, json: { username: u, email: `${u}@example.test`, password: PASSWORD } })).body;
      return { given: { user_id: String(member.user.number) } };
    }
    case 'DELETE /project_management/projects/{project_id}/users/{user_id}/': {
      const u = unique('leaving');
      const member = (await call(`/v1/projects/${w.project}/users`, { headers: su, json: { username: u, email: `${u}@example.test`, password: PASSWORD } })).body;
      return { given: { user_id: String(member.user.number) } };
    }
    // Teams (seed 001): a project of its own to trash, purge or reinstate, and a name of its own to create.
    case 'POST /v1/projects/create':
      return { body: { json: { name: unique('teams '), team: w.numbers.org } } };
    case 'DELETE /v1/projects/{PK}':
    case 'DELETE /v1/projects/{PK}/hard':
      return { given: { PK: String((await made(`/v1/organizations/${w.org.id}/projects`, { name: unique('gone ') })).number) } };
    case 'DELETE /v1/projects/{PK}/reinstate': {
      const trashed = await made(`/v1/organizations/${w.org.id}/projects`, { name: unique('trashed ') });
      await call(`/v1/projects/${trashed.id}`, { method: 'DELETE', headers: su });
      return { given: { PK: String(trashed.number) } };
    }
    // Cadasta: a resource and a project member of their own. `/resources/{id}/` is shallower than
    // /v1's organisation delete, so its resource lives in an organisation of its own.
    case 'DELETE /resources/{resource_id}/': {
      const slug = unique('org-gone-');
      await call('/v1/organizations', { headers: su, json: { name: slug, slug } });
      return { given: { resource_id: (await call(`/v1/organizations/${slug}/resources`, { method: 'POST', headers: su, body: fileForm([['name', unique('gone ')]]) })).body.id } };
    }
    case 'DELETE /organizations/{organization_slug}/projects/{project_slug}/users/{username}/': {
      const u = unique('leaving');
      await call(`/v1/projects/${w.project}/users`, { headers: su, json: { username: u, email: `${u}@example.test`, password: PASSWORD } });
      return { given: { username: u } };
    }
    case 'POST /api/v1/sign_in':
      return { body: { json: { email: w.actors.viewer.email, password: PASSWORD } } };
    default: {
      // TransAM's document deletes: a document of their own (the world's resource is attached to several entities).
      const doc = /^DELETE \/api\/v1\/(assets|organizations|projects|reports)\/\{documentable_id\}\/documents\/\{id\}$/.exec(key)?.[1];
      if (!doc) return {};
      const entity = ({ assets: `asset:${w.asset}`, organizations: `organization:${w.org.id}`, projects: `project:${w.project}`, reports: `report:${w.report}` } as Record<string, string>)[doc]!;
      const made = await call(`/v1/resources`, { method: 'POST', headers: su, body: fileForm([['name', unique('doc ')], ['attach', entity]]) });
      return { given: { id: made.body.id as string } };
    }
  }
}

describe('every write operation of every API document', () => {
  it('logs each change it makes to an organisation’s entities, and the feed shows it', async () => {
    const ops: Op[] = [];
    for (const document of API_DOCUMENTS) {
      const doc = (await call(document)).body as { paths: Record<string, Record<string, unknown>> };
      for (const [path, item] of Object.entries(doc.paths)) for (const m of WRITES) if (item[m]) ops.push({ document, method: m.toUpperCase(), path });
    }
    expect(ops.length).toBeGreaterThan(60);
    const failures: string[] = [];
    const logged = new Set<string>();
    let checked = 0;
    for (const op of order(ops)) {
      const where = `${op.method} ${op.path} (${op.document})`;
      const { given, body } = await prepare(op);
      const spec = specOf(op.document);
      const url = spec.fill(w, op.path, undefined, given ?? {});
      if (!url) {
        failures.push(`${where}: no value for a path parameter`);
        continue;
      }
      const b = body ?? spec.bodyFor(w, op.method, op.path);
      const before = await state();
      const usersBefore = await userRows();
      const head = (await env.DB.prepare('SELECT coalesce(max(seq), 0) AS seq FROM changes').first<{ seq: number }>())!.seq;
      // A token of its own each time: sign-out and a password change end the ones they are sent with.
      const token = await mintToken(w.actors.superuser.id);
      const a = await send(url, op.method, { Authorization: `Bearer ${token}`, ...b.headers }, b);
      if (a.status >= 300) {
        failures.push(`${where}: answered ${a.status} ${a.text.slice(0, 200)}`);
        continue;
      }
      const expected = expectedChanges(before, await state(), { before: usersBefore, after: await userRows() });
      const rows = (await env.DB.prepare('SELECT organization_id, entity_type, entity_id, op FROM changes WHERE seq > ?').bind(head).all()).results as Row[];
      const inLog = new Set(rows.map((r) => `${r.entity_type} ${r.entity_id} ${r.op}`));
      const missing = [...expected].filter((e) => !inLog.has(e));
      if (missing.length) failures.push(`${where}: not in the change log: ${missing.join(', ')}`);
      // And in the feed of each organisation concerned that still exists, as a superuser reads it.
      for (const orgId of new Set(rows.map((r) => r.organization_id as string))) {
        const exists = await env.DB.prepare('SELECT slug FROM organizations WHERE id = ?').bind(orgId).first<{ slug: string }>();
        if (!exists) continue;
        const feed = await syncFeed(w.actors.superuser, { slug: exists.slug });
        const shown = new Set(feed.changes.map((c) => `${c.type} ${c.id} ${c.op}`));
        for (const r of rows.filter((x) => x.organization_id === orgId)) {
          // An upsert of something gone since is not shown (its deletion is).
          if (r.op !== 'delete' && !(await stillThere(r))) continue;
          const asShown = `${r.entity_type} ${r.entity_id} ${r.op === 'delete' ? 'delete' : 'upsert'}`;
          if (!shown.has(asShown)) failures.push(`${where}: ${asShown} is in the log but not in the feed of ${orgId}`);
        }
      }
      if (expected.size) logged.add(`${op.method} ${op.path}`);
      checked += 1;
    }
    console.log(`feed coverage: ${checked} write operations of ${API_DOCUMENTS.length} document(s) sent; ${logged.size} of them changed an organisation's entities, each change logged and shown`);
    expect(failures).toEqual([]);
    expect(checked).toBe(ops.length);
  }, 180_000);
});

/** An upsert's entity is still there (an upsert of something gone is not shown: its deletion is). */
async function stillThere(r: Row): Promise<boolean> {
  const table = Object.entries(TABLES).find(([, t]) => t.type === r.entity_type)![0];
  const all = (await state())[table]!;
  return [...all.values()].some((row) => TABLES[table]!.id(row) === r.entity_id);
}
