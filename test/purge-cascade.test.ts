/**
 * DELETE /v1/projects/{project}?permanent=true removes everything under the project: its assets
 * with their folders, data files and spheres, its reports (of an asset or of the project), the
 * blob rows of all of them and of the logo, and their R2 objects; another project of the same
 * organisation keeps all of its own. Files are written by SQL and env.FILES (their routes are
 * built elsewhere).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids';
import { call, roundTrips } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { eventually } from './support/files';
import { chain, chainThroughApi, leftOf, NOTHING, whole, writeFolders, writeTree } from './support/trees';

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

interface Stored {
  blobId: string;
  key: string;
}

/** An R2 object and its blob row, as an upload leaves them. */
async function storeFile(organizationId: string, kind: string, body: string): Promise<Stored> {
  const blobId = newId('blb');
  const key = `${organizationId}/${kind}/${blobId}`;
  const bytes = new TextEncoder().encode(body);
  await env.FILES.put(key, bytes);
  await env.DB.prepare('INSERT INTO blobs (id, organization_id, r2_key, size, sha256, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(blobId, organizationId, key, bytes.byteLength, '0'.repeat(64), 'text/plain', Date.now())
    .run();
  return { blobId, key };
}

async function createProject(who: Actor, org: { slug: string }, name: string, logo = false) {
  const fd = new FormData();
  fd.append('name', name);
  if (logo) fd.append('logo', new Blob([PNG], { type: 'image/png' }), 'logo.png');
  const a = await call(`/v1/organizations/${org.slug}/projects`, { headers: who.auth, body: fd });
  expect(a.status, a.text).toBe(201);
  return a.body as { id: string; logo: unknown };
}

async function createAsset(who: Actor, projectId: string, name: string) {
  const a = await call(`/v1/projects/${projectId}/assets`, { headers: who.auth, json: { name } });
  expect(a.status, a.text).toBe(201);
  return a.body as { id: string };
}

/**
 * A project with two assets: a folder holding a data file, a data file at the root, a sphere; a
 * report of an asset (with a file), a report of the project (with a file), a report without one.
 */
async function furnish(who: Actor, org: { id: string; slug: string }, name: string, logo = false) {
  const project = await createProject(who, org, name, logo);
  const a1 = await createAsset(who, project.id, `${name} pump`);
  const a2 = await createAsset(who, project.id, `${name} valve`);
  const now = Date.now();
  const folderId = newId('fld');
  await env.DB.prepare('INSERT INTO folders (id, asset_id, parent_id, name, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?)')
    .bind(folderId, a1.id, 'Inspections', now, now)
    .run();
  const files: Stored[] = [];
  const dataIds: string[] = [];
  for (const folder of [folderId, null]) {
    const f = await storeFile(org.id, 'data', `data of ${name} in ${folder ?? 'root'}`);
    const id = newId('dat');
    await env.DB.prepare(
      'INSERT INTO data_files (id, asset_id, folder_id, name, mime_type, size, sha256, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
      .bind(id, a1.id, folder, `${id}.txt`, 'text/plain', 10, '0'.repeat(64), f.blobId, now, now)
      .run();
    files.push(f);
    dataIds.push(id);
  }
  const sphereFile = await storeFile(org.id, 'sphere', `sphere of ${name}`);
  const sphereId = newId('sph');
  await env.DB.prepare('INSERT INTO spheres (id, asset_id, name, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(sphereId, a2.id, 'North view', sphereFile.blobId, now, now)
    .run();
  files.push(sphereFile);
  const reportIds: string[] = [];
  for (const [assetId, withFile] of [[a1.id, true], [null, true], [null, false]] as const) {
    const f = withFile ? await storeFile(org.id, 'report', `report of ${name} on ${assetId ?? 'project'}`) : null;
    const id = newId('rpt');
    await env.DB.prepare('INSERT INTO reports (id, project_id, asset_id, name, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(id, project.id, assetId, `Report ${id.slice(-6)}`, f?.blobId ?? null, now, now)
      .run();
    if (f) files.push(f);
    reportIds.push(id);
  }
  if (logo) {
    const row = await env.DB.prepare('SELECT b.id AS blobId, b.r2_key AS key FROM projects p JOIN blobs b ON b.id = p.logo_blob_id WHERE p.id = ?')
      .bind(project.id)
      .first<Stored>();
    files.push(row!);
  }
  return { project, assetIds: [a1.id, a2.id], folderId, dataIds, sphereId, reportIds, files };
}

type Furnished = Awaited<ReturnType<typeof furnish>>;

const inList = (ids: string[]) => ids.map(() => '?').join(', ');

/** How many of the project's rows of each kind remain. */
async function remaining(f: Furnished) {
  const blobIds = f.files.map((s) => s.blobId);
  return {
    projects: await count('projects', 'id = ?', f.project.id),
    project_members: await count('project_members', 'project_id = ?', f.project.id),
    assets: await count('assets', `id IN (${inList(f.assetIds)})`, ...f.assetIds),
    folders: await count('folders', 'id = ?', f.folderId),
    data_files: await count('data_files', `id IN (${inList(f.dataIds)})`, ...f.dataIds),
    spheres: await count('spheres', 'id = ?', f.sphereId),
    reports: await count('reports', `id IN (${inList(f.reportIds)})`, ...f.reportIds),
    blobs: await count('blobs', `id IN (${inList(blobIds)})`, ...blobIds),
  };
}

async function objectsPresent(files: Stored[]): Promise<number> {
  let n = 0;
  for (const f of files) if ((await env.FILES.head(f.key)) !== null) n += 1;
  return n;
}

describe('purging a project', () => {
  it('removes its assets, folders, data files, spheres, reports, their blob rows and R2 objects, and nothing of another project', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const doomed = await furnish(admin, org, 'Doomed', true);
    const kept = await furnish(admin, org, 'Kept');
    // 2 data files, a sphere, 2 report files, the logo.
    expect(doomed.files).toHaveLength(6);
    const full = { projects: 1, project_members: 1, assets: 2, folders: 1, data_files: 2, spheres: 1, reports: 3, blobs: 5 };
    expect(await remaining(doomed)).toEqual({ ...full, blobs: 6 });
    expect(await remaining(kept)).toEqual(full);
    expect(await objectsPresent(doomed.files)).toBe(6);

    expect((await call(`/v1/projects/${doomed.project.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    // In the trash nothing is removed yet.
    expect(await remaining(doomed)).toEqual({ ...full, blobs: 6 });

    const purged = await call(`/v1/projects/${doomed.project.id}?permanent=true`, { method: 'DELETE', headers: admin.auth });
    expect(purged.status, purged.text).toBe(204);
    expect(roundTrips(purged)).toBe(2);

    expect(await remaining(doomed)).toEqual({ projects: 0, project_members: 0, assets: 0, folders: 0, data_files: 0, spheres: 0, reports: 0, blobs: 0 });
    expect(await eventually(async () => (await objectsPresent(doomed.files)) === 0)).toBe(true);
    expect(await count('changes', "op = 'delete' AND entity_type = 'project' AND entity_id = ?", doomed.project.id)).toBe(1);
    // The asset search index forgets them too (its triggers run on the cascade).
    expect(await count('assets_fts', "assets_fts MATCH 'doomed'")).toBe(0);

    // The other project keeps every row, blob and object.
    expect(await remaining(kept)).toEqual(full);
    expect(await objectsPresent(kept.files)).toBe(kept.files.length);
    expect((await call(`/v1/assets/${kept.assetIds[0]}`, { headers: admin.auth })).status).toBe(200);
  });

  it('purges a live project with nothing in it (no blob to remove) as before', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const empty = await createProject(admin, org, 'Empty');
    const keysBefore = (await env.FILES.list()).objects.length;
    const purged = await call(`/v1/projects/${empty.id}?permanent=true`, { method: 'DELETE', headers: admin.auth });
    expect(purged.status, purged.text).toBe(204);
    expect(roundTrips(purged)).toBe(2);
    expect(await count('projects', 'id = ?', empty.id)).toBe(0);
    expect((await env.FILES.list()).objects.length).toBe(keysBefore);
  });
});

/**
 * Every delete that takes folders with it works at any depth a client can make. Each level of the
 * folders.parent_id cascade counts as a level of trigger recursion, and D1 refuses more than 10:
 * before, a chain of 11 folders (9 under a project or an organisation) made these answer 500.
 */
describe('deleting what holds a deep folder tree', () => {
  /** An asset in a new project of `org`. */
  async function assetIn(admin: Actor, org: { id: string; slug: string }) {
    const project = await createProject(admin, org, unique('Deep '));
    const asset = await createAsset(admin, project.id, unique('Pump '));
    return { project, asset };
  }

  const paths = {
    asset: (t: { asset: { id: string } }) => `/v1/assets/${t.asset.id}`,
    project: (t: { project: { id: string } }) => `/v1/projects/${t.project.id}?permanent=true`,
    organization: (t: { org: { slug: string } }) => `/v1/organizations/${t.org.slug}`,
  };

  /** A chain of 11 made through the API, as a client makes it, or one of 500 written into D1 with files along it. */
  const shapes = {
    'a chain of 11 (through the API)': (admin: Actor, _org: { id: string }, assetId: string) => chainThroughApi(admin, assetId, 11),
    'a chain of 500 (in D1)': (_: Actor, org: { id: string }, assetId: string) => writeTree(org.id, assetId, chain(500), [0, 250, 499]),
  };
  const cases = (Object.keys(paths) as (keyof typeof paths)[]).flatMap((kind) => (Object.keys(shapes) as (keyof typeof shapes)[]).map((shape) => [kind, shape] as const));

  it.each(cases)('DELETE of the %s with %s: 204, its folders and files go; its neighbour keeps its own', async (kind, shape) => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const doomed = { org, ...(await assetIn(admin, org)) };
    const tree = await shapes[shape](admin, org, doomed.asset.id);
    // A neighbour at the level being deleted: another asset of the project, another project, another organisation.
    const neighbourOrg = kind === 'organization' ? await makeOrg(admin) : org;
    const neighbour = kind === 'asset' ? { asset: await createAsset(admin, doomed.project.id, unique('Valve ')) } : await assetIn(admin, neighbourOrg);
    const kept = await writeTree(neighbourOrg.id, neighbour.asset.id, chain(11), [10]);
    expect(await leftOf(tree)).toEqual(whole(tree));

    const d = await call(paths[kind](doomed), { method: 'DELETE', headers: admin.auth });
    expect(d.status, d.text).toBe(204);
    expect(await eventually(async () => JSON.stringify(await leftOf(tree)) === JSON.stringify(NOTHING))).toBe(true);
    expect(await count('assets', 'id = ?', doomed.asset.id)).toBe(0);
    expect(await leftOf(kept)).toEqual(whole(kept));
    expect((await call(`/v1/folders/${kept.folders[10]}`, { headers: admin.auth })).status).toBe(200);
  });

  it("leaves the deepest delete, an organisation's, 7 of the 10 cascade levels D1 allows", async () => {
    // Rows that cascade from a folder and from each other: k of them below a folder add k levels to its delete.
    await env.DB.prepare('CREATE TABLE depth_probe (id TEXT PRIMARY KEY, folder_id TEXT REFERENCES folders(id) ON DELETE CASCADE, parent_id TEXT REFERENCES depth_probe(id) ON DELETE CASCADE)').run();
    const probe = async (folderId: string, k: number) => {
      const ids = Array.from({ length: k }, () => newId('fld'));
      await env.DB.batch(ids.map((id, i) => env.DB.prepare('INSERT INTO depth_probe (id, folder_id, parent_id) VALUES (?, ?, ?)').bind(id, i === 0 ? folderId : null, i === 0 ? null : ids[i - 1])));
    };
    try {
      const admin = await makeUser();
      // The limit: a folder deleted by a statement takes 1 level, and 9 more below it are the most.
      const elsewhere = await assetIn(admin, await makeOrg(admin));
      const [lonely, alsoLonely] = await writeFolders(elsewhere.asset.id, [null, null]);
      await probe(lonely!, 9);
      await env.DB.prepare('DELETE FROM folders WHERE id = ?').bind(lonely).run();
      await probe(alsoLonely!, 10);
      await expect(env.DB.prepare('DELETE FROM folders WHERE id = ?').bind(alsoLonely).run()).rejects.toThrow(/too many levels of trigger recursion/);

      // Below the bottom of a chain of 30, 7 more levels still go with the organisation: it takes 3.
      const org = await makeOrg(admin);
      const { asset } = await assetIn(admin, org);
      const tree = await writeTree(org.id, asset.id, chain(30), [29]);
      await probe(tree.folders[29]!, 7);
      const d = await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: admin.auth });
      expect(d.status, d.text).toBe(204);
      // Only the 10 under the folder whose delete failed are left.
      expect(await count('depth_probe')).toBe(10);
      expect(await eventually(async () => JSON.stringify(await leftOf(tree)) === JSON.stringify(NOTHING))).toBe(true);
    } finally {
      // Dropping deletes the rows, and a chain of them would cascade too deep: cut it first.
      await env.DB.batch([env.DB.prepare('UPDATE depth_probe SET parent_id = NULL'), env.DB.prepare('DROP TABLE depth_probe')]);
    }
  });

  it('writes the change log at most 4 levels down (a project purge: projects → assets → folders → data files → their rows), leaving 6', async () => {
    // k tables below every insert into the change log, each inserting into the next: k more levels under its deepest row.
    const probe = async (k: number) => {
      const statements = Array.from({ length: k }, (_, i) => env.DB.prepare(`CREATE TABLE log_probe_${i} (x INTEGER)`));
      for (let i = 0; i + 1 < k; i++) statements.push(env.DB.prepare(`CREATE TRIGGER log_probe_${i}_next AFTER INSERT ON log_probe_${i} BEGIN INSERT INTO log_probe_${i + 1} VALUES (1); END`));
      if (k > 0) statements.push(env.DB.prepare('CREATE TRIGGER log_probe AFTER INSERT ON changes BEGIN INSERT INTO log_probe_0 VALUES (1); END'));
      await env.DB.batch(statements);
      return () => env.DB.batch([...(k > 0 ? [env.DB.prepare('DROP TRIGGER log_probe')] : []), ...Array.from({ length: k }, (_, i) => env.DB.prepare(`DROP TABLE log_probe_${i}`))]);
    };
    const admin = await makeUser();
    const superuser = await makeUser({ superuser: true });
    /** Everything a delete can reach: an organisation, a project, an asset, a folder with a data file, a member of both. */
    const world = async () => {
      const org = await makeOrg(admin);
      const { project, asset } = await assetIn(admin, org);
      const [folder] = await writeFolders(asset.id, [null]);
      await writeTree(org.id, asset.id, [null], [0], folder!);
      const member = await makeUser();
      await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: member.id, role: 'member' } });
      await call(`/v1/projects/${project.id}/members`, { headers: admin.auth, json: { user: member.id, role: 'viewer' } });
      return { org, project, asset, folder: folder!, member };
    };
    const deletes = {
      // The deepest: projects → assets → folders → data files, and each one's log row below it.
      'a project purge': [4, (w: Awaited<ReturnType<typeof world>>) => call(`/v1/projects/${w.project.id}?permanent=true`, { method: 'DELETE', headers: admin.auth })],
      'an asset': [3, (w: Awaited<ReturnType<typeof world>>) => call(`/v1/assets/${w.asset.id}`, { method: 'DELETE', headers: admin.auth })],
      'an account': [2, (w: Awaited<ReturnType<typeof world>>) => call(`/v1/users/${w.member.id}`, { method: 'DELETE', headers: superuser.auth })],
      'a membership': [2, (w: Awaited<ReturnType<typeof world>>) => call(`/v1/organizations/${w.org.slug}/members/${w.member.id}`, { method: 'DELETE', headers: admin.auth })],
      // The folder's sub-folder may go by the cascade (flattened: one level), its row below it.
      'a folder tree': [2, (w: Awaited<ReturnType<typeof world>>) => call(`/v1/folders/${w.folder}?recursive=true`, { method: 'DELETE', headers: admin.auth })],
      // What it holds writes nothing (its feed ends with it): only its own row, 1 down.
      'an organisation': [1, (w: Awaited<ReturnType<typeof world>>) => call(`/v1/organizations/${w.org.slug}`, { method: 'DELETE', headers: admin.auth })],
    } as const;
    for (const [what, [depth, remove]] of Object.entries(deletes)) {
      for (const k of [10 - depth, 11 - depth]) {
        const w = await world();
        const drop = await probe(k);
        let status: number;
        try {
          status = (await remove(w)).status;
        } finally {
          await drop();
        }
        expect(status, `${what} with ${k} levels below its deepest log row`).toBe(k === 10 - depth ? 204 : 500);
      }
    }
  }, 60_000);

  it('an asset with 10,000 folders (a chain of 2,000 and a wide fan under it) goes in one request', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const { project, asset } = await assetIn(admin, org);
    const n = 10_000;
    const parents = Array.from({ length: n }, (_, i) => (i === 0 ? null : i < 2000 ? i - 1 : (i * 7919) % i));
    const tree = await writeTree(org.id, asset.id, parents, [1999, 5000, 9999]);
    const neighbour = await createAsset(admin, project.id, unique('Valve '));
    const kept = await writeTree(org.id, neighbour.id, chain(20), [19]);

    const started = Date.now();
    const d = await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: admin.auth });
    console.log(`asset delete with ${n} folders: ${Date.now() - started} ms`);
    expect(d.status, d.text).toBe(204);
    expect(await eventually(async () => JSON.stringify(await leftOf(tree)) === JSON.stringify(NOTHING))).toBe(true);
    expect(await leftOf(kept)).toEqual(whole(kept));
  }, 60_000);
});
