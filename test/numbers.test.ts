/**
 * Entity numbers (src/db/numbers.ts): every create route answers the new entity's number, the
 * next of its kind; a number is unique per kind, never changes and is never handed out again,
 * even once the newest row is deleted; rows that raw SQL inserts are numbered too; the migration
 * numbers the rows already there in creation order and loses none; and a read by number goes
 * through the entity's access check in one round trip, 404 for an unknown or hidden number
 * exactly as for an id.
 */
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { getAsset } from '../src/assets/service';
import { getDataFile } from '../src/data/service';
import { createDb } from '../src/db/client';
import { messages } from '../src/db/errors';
import { idOfNumber, type IdRef } from '../src/db/numbers';
import { folders, type NumberedKind } from '../src/db/schema';
import { getFolder } from '../src/folders/service';
import { newId } from '../src/lib/ids';
import { getOrganization } from '../src/organizations/service';
import { getProject } from '../src/projects/service';
import { getReport } from '../src/reports/service';
import { getResource } from '../src/resources/service';
import { getSphere } from '../src/spheres/service';
import { getUser } from '../src/users/service';
import { call, type Answer } from './support/api';
import { makeOrg, makeUser, unique, type Actor } from './support/actors';
import { addFolder, createAsset, createProject, ok, type Row } from './support/domain';
import { actorScope, problemOf } from './support/services';

const TABLES: Record<NumberedKind, string> = {
  user: 'users',
  organization: 'organizations',
  project: 'projects',
  asset: 'assets',
  folder: 'folders',
  data_file: 'data_files',
  sphere: 'spheres',
  report: 'reports',
  resource: 'resources',
};

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

function form(fields: [string, string][], file: { bytes: Uint8Array; type: string; name: string }): FormData {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  fd.append('file', new Blob([file.bytes], { type: file.type }), file.name);
  return fd;
}

const textFile = () => ({ bytes: new TextEncoder().encode(unique('bytes ')), type: 'text/plain', name: 'notes.txt' });

async function last(kind: NumberedKind): Promise<number> {
  const row = await env.DB.prepare('SELECT last FROM entity_numbers WHERE kind = ?').bind(kind).first<{ last: number }>();
  if (!row) throw new Error(`no counter for ${kind}`);
  return row.last;
}

async function storedNumber(kind: NumberedKind, id: string): Promise<number | null> {
  const row = await env.DB.prepare(`SELECT number FROM ${TABLES[kind]} WHERE id = ?`).bind(id).first<{ number: number | null }>();
  return row?.number ?? null;
}

interface World {
  superuser: Actor;
  admin: Actor;
  outsider: Actor;
  org: { id: string; slug: string };
  project: Row;
  asset: Row;
  report: Row;
}

let w: World;

beforeAll(async () => {
  const superuser = await makeUser({ superuser: true });
  const admin = await makeUser();
  const outsider = await makeUser();
  const org = await makeOrg(admin);
  await makeOrg(outsider);
  const project = await createProject(admin, org, { access: 'private' });
  const asset = await createAsset(admin, project.id);
  const report = await ok(call('/v1/reports', { headers: admin.auth, json: { project_id: project.id, name: unique('Report ') } }));
  w = { superuser, admin, outsider, org, project, asset, report };
});

interface Create {
  kind: NumberedKind;
  run: () => Promise<Answer>;
  /** Where the answer holds the new entity (the answer itself unless told). */
  entity?: (body: any) => Row;
}

const account = () => ({ username: unique('u'), email: `${unique('u')}@example.test` });
const memberUser = (body: any) => body.user as Row;

/** Every operation that answers 201 with a new numbered entity, and how to call it. */
const CREATES: Record<string, Create> = {
  'POST /v1/users': { kind: 'user', run: () => call('/v1/users', { headers: w.superuser.auth, json: account() }) },
  'POST /v1/organizations/{org}/users': {
    kind: 'user',
    run: () => call(`/v1/organizations/${w.org.slug}/users`, { headers: w.admin.auth, json: account() }),
    entity: memberUser,
  },
  'POST /v1/projects/{project}/users': {
    kind: 'user',
    run: () => call(`/v1/projects/${w.project.id}/users`, { headers: w.admin.auth, json: account() }),
    entity: memberUser,
  },
  'POST /v1/organizations': { kind: 'organization', run: () => call('/v1/organizations', { headers: w.admin.auth, json: { name: unique('Org ') } }) },
  'POST /v1/projects': {
    kind: 'project',
    run: () => call('/v1/projects', { headers: w.admin.auth, json: { organization: w.org.slug, name: unique('P ') } }),
  },
  'POST /v1/organizations/{org}/projects': {
    kind: 'project',
    run: () => call(`/v1/organizations/${w.org.slug}/projects`, { headers: w.admin.auth, json: { name: unique('P ') } }),
  },
  'POST /v1/assets': { kind: 'asset', run: () => call('/v1/assets', { headers: w.admin.auth, json: { project_id: w.project.id, name: unique('A ') } }) },
  'POST /v1/projects/{project}/assets': {
    kind: 'asset',
    run: () => call(`/v1/projects/${w.project.id}/assets`, { headers: w.admin.auth, json: { name: unique('A ') } }),
  },
  'POST /v1/assets/{asset}/folders': {
    kind: 'folder',
    run: () => call(`/v1/assets/${w.asset.id}/folders`, { headers: w.admin.auth, json: { name: unique('F ') } }),
  },
  'POST /v1/assets/{asset}/data': { kind: 'data_file', run: () => call(`/v1/assets/${w.asset.id}/data`, { headers: w.admin.auth, body: form([], textFile()) }) },
  'POST /v1/assets/{asset}/spheres': {
    kind: 'sphere',
    run: () => call(`/v1/assets/${w.asset.id}/spheres`, { headers: w.admin.auth, body: form([['name', unique('S ')]], { bytes: PNG, type: 'image/png', name: 'pano.png' }) }),
  },
  'POST /v1/reports': { kind: 'report', run: () => call('/v1/reports', { headers: w.admin.auth, json: { project_id: w.project.id, name: unique('R ') } }) },
  'POST /v1/resources': {
    kind: 'resource',
    run: () => call('/v1/resources', { headers: w.admin.auth, body: form([['attach', `project:${w.project.id}`]], textFile()) }),
  },
  ...Object.fromEntries(
    (['resources', 'documents'] as const).flatMap((leaf) =>
      (
        [
          ['organizations', 'org', () => w.org.slug],
          ['projects', 'project', () => w.project.id],
          ['assets', 'asset', () => w.asset.id],
          ['reports', 'report', () => w.report.id],
        ] as const
      ).map(([seg, param, ref]): [string, Create] => [
        `POST /v1/${seg}/{${param}}/${leaf}`,
        { kind: 'resource', run: () => call(`/v1/${seg}/${ref()}/${leaf}`, { headers: w.admin.auth, body: form([], textFile()) }) },
      ]),
    ),
  ),
};

/** Calls a create operation; the new entity. */
async function create(key: string): Promise<Row> {
  const { run, entity } = CREATES[key]!;
  const answer = await run();
  expect(answer.status, answer.text).toBe(201);
  return (entity ?? ((body: any) => body as Row))(answer.body);
}

/** Operations that answer 201 without making a numbered entity (memberships of existing accounts, tokens). */
const NOT_CREATES = ['POST /v1/me/tokens', 'POST /v1/organizations/{org}/members', 'POST /v1/projects/{project}/members'];

/** One create route per kind. */
const MAKE: Record<NumberedKind, string> = {
  user: 'POST /v1/users',
  organization: 'POST /v1/organizations',
  project: 'POST /v1/organizations/{org}/projects',
  asset: 'POST /v1/projects/{project}/assets',
  folder: 'POST /v1/assets/{asset}/folders',
  data_file: 'POST /v1/assets/{asset}/data',
  sphere: 'POST /v1/assets/{asset}/spheres',
  report: 'POST /v1/reports',
  resource: 'POST /v1/resources',
};

const make = (kind: NumberedKind) => create(MAKE[kind]);

describe('every create route numbers the new entity', () => {
  it('lists every operation of the document that answers 201', async () => {
    const doc = (await call('/openapi.json')).body;
    const answering201 = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op?.responses?.['201'])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect([...Object.keys(CREATES), ...NOT_CREATES].sort()).toEqual(answering201.sort());
  });

  it.each(Object.keys(CREATES))('%s answers the next number of its kind, as stored', async (key) => {
    const { kind } = CREATES[key]!;
    const before = await last(kind);
    const made = await create(key);
    expect(made.number).toBe(before + 1);
    expect(await storedNumber(kind, made.id)).toBe(before + 1);
    expect(await last(kind)).toBe(before + 1);
  });

  it('shows the same number on every read of the entity', async () => {
    const project = await make('project');
    const read = await call(`/v1/projects/${project.id}`, { headers: w.admin.auth });
    expect(read.body.number).toBe(project.number);
    const listed = await call(`/v1/organizations/${w.org.slug}/projects?limit=100`, { headers: w.admin.auth });
    expect(listed.body.results.find((p: Row) => p.id === project.id)?.number).toBe(project.number);
    const me = await call('/v1/me', { headers: w.admin.auth });
    expect(me.body.number).toBe(await storedNumber('user', w.admin.id));
  });

  it('keeps the opaque id as the address in /v1: a number in its place is an unknown id', async () => {
    const project = await make('project');
    const byNumber = await call(`/v1/projects/${project.number}`, { headers: w.admin.auth });
    expect(byNumber.status).toBe(404);
  });
});

describe('numbers are unique per kind and never reused', () => {
  it.each(Object.keys(TABLES) as NumberedKind[])('%s: deleting the newest does not give its number to the next', async (kind) => {
    await make(kind);
    const newest = await make(kind);
    await env.DB.prepare(`DELETE FROM ${TABLES[kind]} WHERE id = ?`).bind(newest.id).run();
    const next = await make(kind);
    expect(next.number).toBe(newest.number + 1);
    const holders = await env.DB.prepare(`SELECT count(*) AS n FROM ${TABLES[kind]} WHERE number = ?`).bind(newest.number).first<{ n: number }>();
    expect(holders?.n).toBe(0);
  });

  it('numbers a row that raw SQL inserts without one, and moves the counter past a number given', async () => {
    const user = await makeUser(); // inserted with SQL, as benchmarks and fixtures do
    const numbered = await storedNumber('user', user.id);
    expect(numbered).toBe(await last('user'));
    const now = Date.now();
    const given = (await last('project')) + 10;
    await env.DB.prepare('INSERT INTO projects (id, number, organization_id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(newId('prj'), given, w.org.id, unique('given-'), 'Given', now, now)
      .run();
    expect(await last('project')).toBe(given);
    expect((await make('project')).number).toBe(given + 1);
  });

  it('refuses a number its kind already has, and a change to a number', async () => {
    const project = await make('project');
    const now = Date.now();
    const duplicate = env.DB.prepare('INSERT INTO projects (id, number, organization_id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(newId('prj'), project.number, w.org.id, unique('dup-'), 'Dup', now, now)
      .run();
    await expect(duplicate).rejects.toThrow(/UNIQUE constraint failed: projects\.number/);
    for (const number of [project.number + 1000, null]) {
      await expect(env.DB.prepare('UPDATE projects SET number = ? WHERE id = ?').bind(number, project.id).run()).rejects.toThrow(/never changes/);
    }
    expect(await storedNumber('project', project.id)).toBe(project.number);
  });

  it('refuses a multi-row INSERT of numbered rows rather than give two rows one number', async () => {
    // Every row's default reads the counter before any trigger moves it (see entityNumber).
    const db = createDb(env.DB, { roundTrips: 0, ms: 0 });
    const now = Date.now();
    const row = () => ({ id: newId('fld'), assetId: w.asset.id, name: unique('F '), createdAt: now, updatedAt: now });
    const before = await last('folder');
    const error = await db.insert(folders).values([row(), row()]).run().then(() => null, (e: unknown) => e);
    expect(messages(error)).toMatch(/UNIQUE constraint failed: folders\.number/);
    expect(await last('folder')).toBe(before);
  });

  it('finds an entity by number through the unique index of its kind', async () => {
    for (const table of Object.values(TABLES)) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN SELECT nx.id FROM ${table} nx WHERE nx.number = ?`).bind(1).all<{ detail: string }>();
      expect(plan.results.map((r) => r.detail).join(' | ')).toMatch(new RegExp(`USING (COVERING )?INDEX ${table}_number_uq \\(number=\\?\\)`));
    }
  });
});

describe('reads by number', () => {
  type Read = (scope: Awaited<ReturnType<typeof actorScope>>['scope'], ref: IdRef) => Promise<{ id: string; number: number }>;

  /** Each kind: one entity of w.admin's private project or organisation, its service read, and an id no entity has. */
  async function subjects(): Promise<{ kind: NumberedKind; entity: Row; read: Read; missingId: string }[]> {
    const folder = await addFolder(w.admin, w.asset.id, unique('F '));
    return [
      { kind: 'user', entity: await make('user'), read: getUser, missingId: newId('usr') },
      { kind: 'organization', entity: await ok(call(`/v1/organizations/${w.org.slug}`, { headers: w.admin.auth }), 200), read: getOrganization, missingId: newId('org') },
      { kind: 'project', entity: w.project, read: getProject, missingId: newId('prj') },
      { kind: 'asset', entity: w.asset, read: getAsset, missingId: newId('ast') },
      { kind: 'folder', entity: folder, read: getFolder, missingId: newId('fld') },
      { kind: 'data_file', entity: await make('data_file'), read: getDataFile, missingId: newId('dat') },
      { kind: 'sphere', entity: await make('sphere'), read: getSphere, missingId: newId('sph') },
      { kind: 'report', entity: w.report, read: getReport, missingId: newId('rpt') },
      { kind: 'resource', entity: await make('resource'), read: getResource, missingId: newId('res') },
    ];
  }

  it('reads each kind by number in one round trip, as by id', async () => {
    // The users made by a superuser belong to no organisation: the superuser reads them.
    for (const { kind, entity, read } of await subjects()) {
      const reader = kind === 'user' ? w.superuser : w.admin;
      const byId = await read((await actorScope(reader)).scope, entity.id);
      const { scope, stats } = await actorScope(reader);
      const byNumber = await read(scope, idOfNumber(kind, entity.number));
      expect(byNumber, kind).toEqual(byId);
      expect(byNumber.number, kind).toBe(entity.number);
      expect(stats.roundTrips, kind).toBe(1);
    }
  });

  it('answers an unknown number, and one the caller may not see, exactly as an unknown id', async () => {
    for (const { kind, entity, read, missingId } of await subjects()) {
      const missing = await problemOf(read((await actorScope(w.outsider)).scope, missingId));
      const unknown = await problemOf(read((await actorScope(w.outsider)).scope, idOfNumber(kind, (await last(kind)) + 1)));
      const hidden = await problemOf(read((await actorScope(w.outsider)).scope, idOfNumber(kind, entity.number)));
      expect(missing.status, kind).toBe(404);
      for (const p of [unknown, hidden]) expect({ status: p.status, title: p.title, detail: p.detail }, kind).toEqual({ status: 404, title: missing.title, detail: missing.detail });
    }
  });
});

describe('the migration that adds the numbers', () => {
  /** Three rows per table: ids in the order c, a, b of creation, a and b created at the same time. */
  const stamps = [1_000, 2_000, 2_000];
  const ids = (prefix: string) => ['c', 'a', 'b'].map((s) => `${prefix}_${s}`);

  it('numbers the rows already there in creation order, loses none, and the counters go on from there', async () => {
    const db = env.MIGRATION_DB;
    const all = env.TEST_MIGRATIONS;
    const first = all.findIndex((m) => m.name.includes('entity_numbers'));
    expect(first).toBeGreaterThan(0);
    await applyD1Migrations(db, all.slice(0, first));

    const rows: [string, string, unknown[][]][] = [];
    const add = (table: string, columns: string, values: unknown[][]) => rows.push([table, columns, values]);
    const [u1, u2, u3] = ids('usr');
    const [o1, o2, o3] = ids('org');
    const [p1, p2, p3] = ids('prj');
    const [a1, a2, a3] = ids('ast');
    const [f1, f2, f3] = ids('fld');
    const [b1, b2, b3] = ids('blb');
    add('users', 'id, username, email, password_hash, date_joined, updated_at', [u1, u2, u3].map((id, i) => [id, id, `${id}@x.test`, '!', stamps[i], stamps[i]]));
    add('tokens', 'id, user_id, token_hash, kind, created_at, expires_at', [[`tok_1`, u1, 'hash', 'personal', 1, 9]]);
    add('organizations', 'id, slug, name, created_at, updated_at', [o1, o2, o3].map((id, i) => [id, id, id, stamps[i], stamps[i]]));
    add('memberships', 'organization_id, user_id, role, created_at', [[o1, u1, 'admin', 1], [o1, u2, 'member', 1]]);
    add('projects', 'id, organization_id, slug, name, created_at, updated_at', [p1, p2, p3].map((id, i) => [id, o1, id, `Project ${id}`, stamps[i], stamps[i]]));
    add('project_members', 'project_id, user_id, role, created_at', [[p1, u1, 'manager', 1], [p2, u2, 'viewer', 1]]);
    add('assets', 'id, organization_id, project_id, name, lat, lon, created_at, updated_at', [a1, a2, a3].map((id, i) => [id, o1, p1, `Asset ${id}`, 1, 2, stamps[i], stamps[i]]));
    add('folders', 'id, asset_id, parent_id, name, created_at, updated_at', [[f1, a1, null, 'top', stamps[0], stamps[0]], [f2, a1, f1, 'below', stamps[1], stamps[1]], [f3, a1, f2, 'deeper', stamps[2], stamps[2]]]);
    add('blobs', 'id, organization_id, r2_key, size, sha256, mime_type, created_at', [b1, b2, b3].map((id) => [id, o1, `${o1}/x/${id}`, 1, 'sha', 'text/plain', 1]));
    add('data_files', 'id, asset_id, folder_id, name, mime_type, size, sha256, blob_id, created_at, updated_at', ids('dat').map((id, i) => [id, a1, f3, id, 'text/plain', 1, 'sha', b1, stamps[i], stamps[i]]));
    add('spheres', 'id, asset_id, name, blob_id, created_at, updated_at', ids('sph').map((id, i) => [id, a1, id, b2, stamps[i], stamps[i]]));
    add('reports', 'id, project_id, asset_id, name, created_at, updated_at', ids('rpt').map((id, i) => [id, p1, a1, id, stamps[i], stamps[i]]));
    add('resources', 'id, organization_id, name, mime_type, size, sha256, blob_id, created_at, updated_at', ids('res').map((id, i) => [id, o1, id, 'text/plain', 1, 'sha', b3, stamps[i], stamps[i]]));
    add('resource_attachments', 'resource_id, entity_type, entity_id, organization_id, created_at', ids('res').map((id) => [id, 'project', p1, o1, 1]));
    await db.batch(
      rows.flatMap(([table, columns, values]) =>
        values.map((v) => db.prepare(`INSERT INTO ${table} (${columns}) VALUES (${v.map(() => '?').join(', ')})`).bind(...v)),
      ),
    );
    const counted = async () => {
      const out: Record<string, number> = {};
      for (const table of [...rows.map(([t]) => t), 'projects_fts', 'assets_fts', 'assets_rtree']) {
        out[table] = (await db.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
      }
      return out;
    };
    const before = await counted();

    await applyD1Migrations(db, all);

    expect(await counted()).toEqual(before);
    for (const [kind, table] of Object.entries(TABLES) as [NumberedKind, string][]) {
      const numbered = (await db.prepare(`SELECT id, number FROM ${table} ORDER BY number`).all<{ id: string; number: number }>()).results;
      expect(numbered.map((r) => r.number), table).toEqual([1, 2, 3]);
      expect(numbered.map((r) => r.id.slice(-1)), table).toEqual(['c', 'a', 'b']);
      expect((await db.prepare('SELECT last FROM entity_numbers WHERE kind = ?').bind(kind).first<{ last: number }>())?.last, table).toBe(3);
    }
    // From here the triggers number new rows, past the numbers of deleted ones.
    await db.prepare('DELETE FROM users WHERE id = ?').bind(u3).run();
    await db.prepare("INSERT INTO users (id, username, email, password_hash, date_joined, updated_at) VALUES ('usr_d', 'd', 'd@x.test', '!', 3000, 3000)").run();
    expect((await db.prepare("SELECT number FROM users WHERE id = 'usr_d'").first<{ number: number }>())?.number).toBe(4);
  });
});
