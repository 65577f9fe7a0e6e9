/**
 * GET /v1/dashboard: counts and recent changes over exactly what the caller may see (org member,
 * org admin, another organisation, superuser, nobody), trashed projects left out, every asset
 * status present, bytes summed, the recent lists ordered and cut at 10, one D1 round trip, 401.
 *
 * Projects and assets are made through the API; data files, reports and their blobs by SQL (their
 * routes are built elsewhere).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ASSET_STATUSES } from '../src/db/schema';
import { newId } from '../src/lib/ids';
import { call, expectProblem, roundTrips, type Answer } from './support/api';
import { makeOrg, makeUser, type Actor } from './support/actors';

type Status = (typeof ASSET_STATUSES)[number];

async function dashboard(who: Actor): Promise<Answer> {
  const a = await call('/v1/dashboard', { headers: who.auth });
  expect(a.status, a.text).toBe(200);
  expect(roundTrips(a)).toBe(1);
  return a;
}

async function createProject(who: Actor, org: { slug: string }, fields: Record<string, unknown> = {}) {
  const a = await call(`/v1/organizations/${org.slug}/projects`, { headers: who.auth, json: { name: `Project ${newId('prj').slice(-8)}`, ...fields } });
  expect(a.status, a.text).toBe(201);
  return a.body as { id: string; number: number; name: string };
}

async function createAsset(who: Actor, project: { id: string }, status: Status, name = `Asset ${newId('ast').slice(-8)}`) {
  const a = await call(`/v1/projects/${project.id}/assets`, { headers: who.auth, json: { name, asset_status: status } });
  expect(a.status, a.text).toBe(201);
  return a.body as { id: string; name: string };
}

async function createOrgAsset(who: Actor, org: { slug: string }, status: Status) {
  const a = await call('/v1/assets', { headers: who.auth, json: { organization: org.slug, name: `Org asset ${newId('ast').slice(-8)}`, asset_status: status } });
  expect(a.status, a.text).toBe(201);
  return a.body as { id: string; name: string };
}

async function insertBlob(organizationId: string, size: number): Promise<string> {
  const id = newId('blb');
  await env.DB.prepare('INSERT INTO blobs (id, organization_id, r2_key, size, sha256, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, organizationId, `${organizationId}/test/${id}`, size, '0'.repeat(64), 'application/octet-stream', Date.now())
    .run();
  return id;
}

async function insertDataFile(organizationId: string, assetId: string, size: number): Promise<string> {
  const id = newId('dat');
  const blobId = await insertBlob(organizationId, size);
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO data_files (id, asset_id, name, mime_type, size, sha256, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(id, assetId, `${id}.bin`, 'application/octet-stream', size, '0'.repeat(64), blobId, now, now)
    .run();
  return id;
}

async function insertReport(project: { id: string }, opts: { name?: string; updatedAt?: number; assetId?: string; status?: 'draft' | 'final' } = {}) {
  const id = newId('rpt');
  const now = Date.now();
  const name = opts.name ?? `Report ${id.slice(-8)}`;
  await env.DB.prepare('INSERT INTO reports (id, project_id, asset_id, name, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, project.id, opts.assetId ?? null, name, opts.status ?? 'draft', now, opts.updatedAt ?? now)
    .run();
  return { id, name };
}

const setUpdatedAt = (table: 'assets' | 'reports', id: string, at: number) =>
  env.DB.prepare(`UPDATE ${table} SET updated_at = ? WHERE id = ?`).bind(at, id).run();

function statuses(counts: Partial<Record<Status, number>>): Record<Status, number> {
  return Object.fromEntries(ASSET_STATUSES.map((s) => [s, counts[s] ?? 0])) as Record<Status, number>;
}

/**
 * org1: admin, member; projects open, private (member not in it), archived, trashed; an asset of
 * the organisation alone. org2: another admin, one project. Data files and reports in each.
 */
async function world() {
  const [admin, member, other] = [await makeUser(), await makeUser(), await makeUser()];
  const org1 = await makeOrg(admin, [member]);
  const org2 = await makeOrg(other);

  const open = await createProject(admin, org1);
  const secret = await createProject(admin, org1, { access: 'private' });
  const shelved = await createProject(admin, org1);
  const binned = await createProject(admin, org1);
  const theirs = await createProject(other, org2);

  const o1 = await createAsset(admin, open, 'Active');
  await createAsset(admin, open, 'To Be Inspected');
  await createAsset(admin, open, 'To Be Inspected');
  const s1 = await createAsset(admin, secret, 'Retired');
  const h1 = await createAsset(admin, shelved, 'Inspected');
  const b1 = await createAsset(admin, binned, 'Needs Repair');
  const loose = await createOrgAsset(admin, org1, 'Under Repair');
  const t1 = await createAsset(other, theirs, 'Out of Service');

  await insertDataFile(org1.id, o1.id, 100);
  await insertDataFile(org1.id, o1.id, 250);
  await insertDataFile(org1.id, s1.id, 1000);
  await insertDataFile(org1.id, b1.id, 5000);
  await insertDataFile(org1.id, loose.id, 7);
  await insertDataFile(org2.id, t1.id, 42);

  await insertReport(open);
  await insertReport(open, { assetId: o1.id });
  await insertReport(secret);
  await insertReport(shelved, { assetId: h1.id });
  await insertReport(binned);
  await insertReport(theirs);

  expect((await call(`/v1/projects/${shelved.id}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } })).status).toBe(200);
  expect((await call(`/v1/projects/${binned.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
  return { admin, member, other, org1, org2 };
}

describe('GET /v1/dashboard', () => {
  it('counts what an org member, an org admin and an admin of another organisation may see', async () => {
    const w = await world();

    // Member: open and archived projects (not the private one, not the trash), the org's own asset.
    const m = (await dashboard(w.member)).body;
    expect(m.organizations).toEqual({ count: 1 });
    expect(m.projects).toEqual({ count: 2, active: 1, archived: 1 });
    expect(m.assets).toEqual({ count: 5, by_status: statuses({ Active: 1, 'To Be Inspected': 2, Inspected: 1, 'Under Repair': 1 }) });
    expect(m.data_files).toEqual({ count: 3, bytes: 357 });
    expect(m.reports).toEqual({ count: 3 });

    // Admin: the private project too; still not the trash.
    const a = (await dashboard(w.admin)).body;
    expect(a.organizations).toEqual({ count: 1 });
    expect(a.projects).toEqual({ count: 3, active: 2, archived: 1 });
    expect(a.assets).toEqual({ count: 6, by_status: statuses({ Active: 1, 'To Be Inspected': 2, Inspected: 1, 'Under Repair': 1, Retired: 1 }) });
    expect(a.data_files).toEqual({ count: 4, bytes: 1357 });
    expect(a.reports).toEqual({ count: 4 });

    // Another organisation: nothing of org1.
    const o = (await dashboard(w.other)).body;
    expect(o.organizations).toEqual({ count: 1 });
    expect(o.projects).toEqual({ count: 1, active: 1, archived: 0 });
    expect(o.assets).toEqual({ count: 1, by_status: statuses({ 'Out of Service': 1 }) });
    expect(o.data_files).toEqual({ count: 1, bytes: 42 });
    expect(o.reports).toEqual({ count: 1 });
  });

  it('agrees with the lists: the same organisations, projects and assets as GET /v1/organizations, /v1/projects and /v1/assets', async () => {
    const w = await world();
    for (const who of [w.admin, w.member, w.other]) {
      const d = (await dashboard(who)).body;
      expect((await call('/v1/organizations', { headers: who.auth })).body.count, who.username).toBe(d.organizations.count);
      expect((await call('/v1/projects', { headers: who.auth })).body.count, who.username).toBe(d.projects.count);
      expect((await call('/v1/projects?archived=true', { headers: who.auth })).body.count, who.username).toBe(d.projects.archived);
      expect((await call('/v1/assets', { headers: who.auth })).body.count, who.username).toBe(d.assets.count);
      for (const status of ASSET_STATUSES) {
        const listed = await call(`/v1/assets?asset_status=${encodeURIComponent(status)}`, { headers: who.auth });
        expect(listed.body.count, `${who.username} ${status}`).toBe(d.assets.by_status[status]);
      }
    }
  });

  it('shows a superuser everything but the trash', async () => {
    const su = await makeUser({ superuser: true });
    const before = (await dashboard(su)).body;
    await world();
    const after = (await dashboard(su)).body;
    expect(after.organizations.count - before.organizations.count).toBe(2);
    expect(after.projects.active - before.projects.active).toBe(3);
    expect(after.projects.archived - before.projects.archived).toBe(1);
    expect(after.projects.count).toBe(after.projects.active + after.projects.archived);
    const delta = Object.fromEntries(ASSET_STATUSES.map((s) => [s, after.assets.by_status[s] - before.assets.by_status[s]]));
    expect(delta).toEqual(statuses({ Active: 1, 'To Be Inspected': 2, Inspected: 1, 'Under Repair': 1, Retired: 1, 'Out of Service': 1 }));
    expect(after.assets.count - before.assets.count).toBe(7);
    expect(after.data_files.count - before.data_files.count).toBe(5);
    expect(after.data_files.bytes - before.data_files.bytes).toBe(1399);
    expect(after.reports.count - before.reports.count).toBe(5);
    // Not a member anywhere, yet every organisation.
    expect(after.organizations.count).toBe((await env.DB.prepare('SELECT count(*) AS n FROM organizations').first<{ n: number }>())!.n);
  });

  it('answers zeros, every status of the vocabulary and empty lists to a caller who sees nothing', async () => {
    await world();
    const nobody = await makeUser();
    const a = await dashboard(nobody);
    expect(Object.keys(a.body.assets.by_status)).toEqual([...ASSET_STATUSES]);
    expect(a.body).toEqual({
      organizations: { count: 0 },
      projects: { count: 0, active: 0, archived: 0 },
      assets: { count: 0, by_status: statuses({}) },
      data_files: { count: 0, bytes: 0 },
      reports: { count: 0 },
      recent: { assets: [], reports: [] },
    });
  });

  it('lists the 10 most recently changed assets, newest first, without hidden or trashed ones', async () => {
    const [admin, member] = [await makeUser(), await makeUser()];
    const org = await makeOrg(admin, [member]);
    const open = await createProject(admin, org, { name: 'Open Fields' });
    const secret = await createProject(admin, org, { name: 'Secret Fields', access: 'private' });
    const binned = await createProject(admin, org, { name: 'Binned Fields' });
    const base = Date.now() - 1_000_000;
    const made: { id: string; name: string; at: number; project: { id: string; name: string } | null }[] = [];
    // Twelve visible assets with shuffled change times, and the org's own asset among them.
    const order = [5, 0, 11, 3, 8, 1, 10, 6, 2, 9, 4];
    for (const i of order) {
      const asset = await createAsset(admin, open, 'Active', `Visible ${i}`);
      await setUpdatedAt('assets', asset.id, base + i * 1000);
      made.push({ id: asset.id, name: asset.name, at: base + i * 1000, project: { id: open.id, name: 'Open Fields' } });
    }
    const loose = await createOrgAsset(admin, org, 'Active');
    await setUpdatedAt('assets', loose.id, base + 7 * 1000);
    made.push({ id: loose.id, name: loose.name, at: base + 7 * 1000, project: null });
    // Newer than all of them, but private (member) or in the trash (everyone).
    const hidden = await createAsset(admin, secret, 'Active', 'Hidden newest');
    await setUpdatedAt('assets', hidden.id, base + 50_000);
    const trashed = await createAsset(admin, binned, 'Active', 'Trashed newest');
    await setUpdatedAt('assets', trashed.id, base + 60_000);
    expect((await call(`/v1/projects/${binned.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);

    const expected = [...made].sort((x, y) => y.at - x.at).slice(0, 10);
    const shown = (await dashboard(member)).body.recent.assets;
    expect(shown).toHaveLength(10);
    expect(shown).toEqual(
      expected.map((e) => ({ id: e.id, number: expect.any(Number), name: e.name, asset_status: 'Active', updated_at: new Date(e.at).toISOString(), project: e.project && { ...e.project, number: expect.any(Number) } })),
    );
    // The admin sees the private one on top; the trashed one for nobody.
    const forAdmin = (await dashboard(admin)).body.recent.assets;
    expect(forAdmin.map((a: { id: string }) => a.id)).toEqual([hidden.id, ...expected.slice(0, 9).map((e) => e.id)]);
    expect(forAdmin[0].project).toEqual({ id: secret.id, number: secret.number, name: 'Secret Fields' });

    // A change through the API brings the oldest to the top.
    const oldest = [...made].sort((x, y) => x.at - y.at)[0]!;
    expect((await call(`/v1/assets/${oldest.id}`, { method: 'PATCH', headers: admin.auth, json: { asset_status: 'Retired' } })).status).toBe(200);
    const now = (await dashboard(member)).body.recent.assets;
    expect(now[0]).toMatchObject({ id: oldest.id, asset_status: 'Retired' });
    expect(now).toHaveLength(10);
  });

  it('lists the 10 most recently changed reports, newest first, with their project, without hidden or trashed ones', async () => {
    const [admin, member] = [await makeUser(), await makeUser()];
    const org = await makeOrg(admin, [member]);
    const open = await createProject(admin, org, { name: 'Report Fields' });
    const secret = await createProject(admin, org, { name: 'Secret Reports', access: 'private' });
    const binned = await createProject(admin, org, { name: 'Binned Reports' });
    const base = Date.now() - 1_000_000;
    const made: { id: string; name: string; at: number }[] = [];
    for (const i of [3, 11, 0, 7, 9, 1, 5, 10, 2, 8, 4, 6]) {
      const r = await insertReport(open, { name: `Report ${i}`, updatedAt: base + i * 1000, status: i % 2 ? 'final' : 'draft' });
      made.push({ ...r, at: base + i * 1000 });
    }
    const hidden = await insertReport(secret, { updatedAt: base + 50_000 });
    await insertReport(binned, { updatedAt: base + 60_000 });
    expect((await call(`/v1/projects/${binned.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);

    const expected = [...made].sort((x, y) => y.at - x.at).slice(0, 10);
    const shown = (await dashboard(member)).body.recent.reports;
    expect(shown).toEqual(
      expected.map((e) => ({
        id: e.id,
        number: expect.any(Number),
        name: e.name,
        status: ((e.at - base) / 1000) % 2 ? 'final' : 'draft',
        updated_at: new Date(e.at).toISOString(),
        project: { id: open.id, number: open.number, name: 'Report Fields' },
      })),
    );
    const forAdmin = (await dashboard(admin)).body.recent.reports;
    expect(forAdmin.map((r: { id: string }) => r.id)).toEqual([hidden.id, ...expected.slice(0, 9).map((e) => e.id)]);
    expect(forAdmin[0].project).toEqual({ id: secret.id, number: secret.number, name: 'Secret Reports' });
  });

  it('carries an ETag and answers 304 while nothing changed', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const first = await dashboard(admin);
    const etag = first.headers.get('ETag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await call('/v1/dashboard', { headers: { ...admin.auth, 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    await createProject(admin, org);
    const changed = await call('/v1/dashboard', { headers: { ...admin.auth, 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.projects.active).toBe(1);
  });

  it('answers 401 without a valid credential', async () => {
    const none = await call('/v1/dashboard');
    expectProblem(none, 401, 'unauthenticated');
    expect(none.headers.get('WWW-Authenticate')).toContain('Bearer');
    expectProblem(await call('/v1/dashboard', { headers: { Authorization: 'Bearer not-a-token' } }), 401);
    const su = await makeUser({ superuser: true });
    expect((await call('/v1/dashboard', { headers: su.pair })).status).toBe(200);
  });
});
