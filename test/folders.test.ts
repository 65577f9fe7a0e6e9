/**
 * Folders of an asset's data tab: create (top level or in a parent of the same asset), read,
 * list, rename, move (no cycles, no folder of another asset), delete (refused when not empty
 * unless recursive, which removes sub-folders, data files, blob rows and R2 objects), the
 * rights they take from their asset, and 401 on every route.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createFolder, deleteFolder, updateFolder } from '../src/folders/service';
import { app } from '../src/index';
import { newId } from '../src/lib/ids';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, type Actor } from './support/actors';
import { addFolder, createAsset, dataFileKey, privateProjectWithAsset, type Row } from './support/domain';
import { eventually, links, r2Keys } from './support/files';
import { problemOf, racingScope } from './support/services';
import { chain, chainThroughApi, leftOf, NOTHING, whole, writeFolders, writeTree } from './support/trees';

const names = (a: Answer) => a.body.results.map((r: Row) => r.name);
const paths = (a: Answer) => (a.body.errors ?? []).map((e: { path: string }) => e.path);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/;

/** privateProjectWithAsset() with a second asset, `other`. */
async function world() {
  const w = await privateProjectWithAsset();
  const other = await createAsset(w.editor, w.project.id);
  return { ...w, other };
}

async function upload(actor: Actor, assetId: string, name: string, folderId?: string) {
  const fd = new FormData();
  fd.append('file', new Blob([new TextEncoder().encode(`contents of ${name}`)], { type: 'text/plain' }), name);
  if (folderId) fd.append('folder_id', folderId);
  const a = await call(`/v1/assets/${assetId}/data`, { headers: actor.auth, body: fd });
  if (a.status !== 201) throw new Error(`upload failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** The 404 a caller gets for a folder id that does not exist at all. */
async function missingFolder(actor: Actor, method = 'GET', json?: unknown) {
  const a = await call(`/v1/folders/${newId('fld')}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

/** The 404 for an asset id that does not exist at all, at `suffix` below it. */
async function missingAsset(actor: Actor, suffix: string, method = 'GET', json?: unknown) {
  const a = await call(`/v1/assets/${newId('ast')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function parentOf(folderId: string): Promise<string | null | undefined> {
  const row = await env.DB.prepare('SELECT parent_id FROM folders WHERE id = ?').bind(folderId).first<{ parent_id: string | null }>();
  return row ? row.parent_id : undefined;
}

describe('401 on every folder route', () => {
  const F = '/v1/folders/fld_01jd8z3b6q0w4y1r7k5t2m9xce';
  const A = '/v1/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['POST', `${A}/folders`],
    ['GET', `${A}/folders`],
    ['GET', `${A}/folders/fld_01jd8z3b6q0w4y1r7k5t2m9xce`],
    ['GET', F],
    ['PATCH', F],
    ['DELETE', F],
  ];

  it('lists every route the app declares under the Folders tag', () => {
    const declared = app.openAPIRegistry.definitions
      .filter((d) => d.type === 'route' && (d.route.tags ?? []).includes('Folders'))
      .map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} ${d.route.path}` : ''));
    const listed = routes.map(([m, p]) => `${m} ${p.replace(/ast_\w+/, '{asset}').replace(/fld_\w+/, '{folder}')}`);
    expect(listed.sort()).toEqual(declared.sort());
  });

  it.each(routes)('%s %s without a token', async (method, path) => {
    const json = method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' };
    const a = await call(path, { method, json });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });
});

describe('create', () => {
  it('creates at the top level and in a parent: 201, Location, ETag; GET answers the same in one round trip', async () => {
    const w = await world();
    const a = await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.editor.auth, json: { name: '  Inspections 2024 ' } });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      id: expect.stringMatching(/^fld_/),
      number: expect.any(Number),
      asset_id: w.asset.id,
      parent_id: null,
      name: 'Inspections 2024',
      created_by: { id: w.editor.id, username: w.editor.username },
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: expect.stringMatching(ISO_TIME),
    });
    expect(a.headers.get('Location')).toBe(`/v1/folders/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);

    const got = await call(`/v1/folders/${a.body.id}`, { headers: w.viewer.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
    expect(roundTrips(got.res)).toBe(1);
    const notModified = await call(`/v1/folders/${a.body.id}`, { headers: { ...w.viewer.auth, 'If-None-Match': a.headers.get('ETag')! } });
    expect(notModified.status).toBe(304);
    const underAsset = await call(`/v1/assets/${w.asset.id}/folders/${a.body.id}`, { headers: w.viewer.auth });
    expect(underAsset.status).toBe(200);
    expect(underAsset.body).toEqual(a.body);
    expect(roundTrips(underAsset.res)).toBe(1);

    const child = await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.admin.auth, json: { name: 'March', parent_id: a.body.id } });
    expect(child.status, child.text).toBe(201);
    expect(child.body.parent_id).toBe(a.body.id);
    expect(await parentOf(child.body.id)).toBe(a.body.id);
  });

  it('answers 400 naming the field, and creates nothing', async () => {
    const w = await world();
    const elsewhere = await addFolder(w.editor, w.other.id, 'Other asset folder');
    const before = await count('folders', 'asset_id = ?', w.asset.id);
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'a'.repeat(256) }, 'name'],
      [{ name: 'tab\there' }, 'name'],
      [{ name: 'ok', colour: 'red' }, 'colour'],
      [{ name: 'ok', parent_id: 7 }, 'parent_id'],
      [{ name: 'ok', parent_id: newId('fld') }, 'parent_id'],
      [{ name: 'ok', parent_id: elsewhere.id }, 'parent_id'],
    ];
    for (const [json, field] of cases) {
      const a = await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.editor.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toEqual([field]);
    }
    expect(await count('folders', 'asset_id = ?', w.asset.id)).toBe(before);
  });

  it('answers 403 to a viewer and 404 (as for a random asset) to those who may not see the asset', async () => {
    const w = await world();
    expectProblem(await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.viewer.auth, json: { name: 'Nope' } }), 403, 'forbidden');
    for (const who of [w.bystander, w.outsider]) {
      const a = await call(`/v1/assets/${w.asset.id}/folders`, { headers: who.auth, json: { name: 'Nope' } });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingAsset(who, '/folders', 'POST', { name: 'Nope' }));
    }
    expect(await count('folders', 'asset_id = ?', w.asset.id)).toBe(0);
  });
});

describe('read and list', () => {
  it('hides a folder of an asset the caller may not see exactly like a random id, and a folder under the wrong asset', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'Private');
    for (const who of [w.bystander, w.outsider]) {
      const a = await call(`/v1/folders/${f.id}`, { headers: who.auth });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingFolder(who));
      const underAsset = await call(`/v1/assets/${w.asset.id}/folders/${f.id}`, { headers: who.auth });
      expect(underAsset.status).toBe(404);
    }
    // Under another asset the caller can see: the same 404 as a folder that does not exist.
    const wrong = await call(`/v1/assets/${w.other.id}/folders/${f.id}`, { headers: w.editor.auth });
    expectProblem(wrong, 404, 'not-found');
    expect(sameProblem(wrong)).toEqual(await missingFolder(w.editor));
  });

  it('lists by level and ordering, pages with links, in one round trip; 404 for a hidden asset', async () => {
    const w = await world();
    const b = await addFolder(w.editor, w.asset.id, 'Bravo');
    const a = await addFolder(w.editor, w.asset.id, 'alpha');
    await addFolder(w.editor, w.asset.id, 'Charlie');
    await addFolder(w.editor, w.asset.id, 'Alpha 2', b.id);
    await addFolder(w.editor, w.asset.id, 'Delta', a.id);
    await addFolder(w.editor, w.other.id, 'Not this asset');

    const all = await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.viewer.auth });
    expect(all.status, all.text).toBe(200);
    expect(all.body.count).toBe(5);
    expect(roundTrips(all.res)).toBe(1);
    const root = await call(`/v1/assets/${w.asset.id}/folders?parent=root`, { headers: w.viewer.auth });
    expect(names(root)).toEqual(['Bravo', 'Charlie', 'alpha']);
    expect(root.body.count).toBe(3);
    const inB = await call(`/v1/assets/${w.asset.id}/folders?parent=${b.id}`, { headers: w.viewer.auth });
    expect(names(inB)).toEqual(['Alpha 2']);
    const desc = await call(`/v1/assets/${w.asset.id}/folders?parent=root&ordering=-name`, { headers: w.viewer.auth });
    expect(names(desc)).toEqual(['alpha', 'Charlie', 'Bravo']);

    const first = await call(`/v1/assets/${w.asset.id}/folders?limit=2`, { headers: w.viewer.auth });
    expect(names(first)).toEqual(['Alpha 2', 'Bravo']);
    expect(links(first.headers.get('Link')).next).toBe(first.body.next);
    const second = await call(first.body.next, { headers: w.viewer.auth });
    expect(names(second)).toEqual(['Charlie', 'Delta']);
    const third = await call(second.body.next, { headers: w.viewer.auth });
    expect(names(third)).toEqual(['alpha']);
    expect(third.body.next).toBeNull();

    for (const [query, field] of [
      ['parent=nowhere', 'parent'],
      ['ordering=size', 'ordering'],
      ['limit=0', 'limit'],
    ]) {
      const bad = await call(`/v1/assets/${w.asset.id}/folders?${query}`, { headers: w.viewer.auth });
      expectProblem(bad, 400, 'invalid-request');
      expect(paths(bad)).toEqual([field]);
    }
    const hidden = await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.bystander.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missingAsset(w.bystander, '/folders'));
  });
});

describe('update', () => {
  it('renames and moves, with ETags: a stale If-Match is 412 and changes nothing', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const b = await addFolder(w.editor, w.asset.id, 'B');
    const got = await call(`/v1/folders/${a.id}`, { headers: w.editor.auth });
    const etag = got.headers.get('ETag')!;

    const renamed = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'Renamed' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ id: a.id, name: 'Renamed', parent_id: null });
    expect(renamed.headers.get('ETag')).not.toBe(etag);
    const again = await call(`/v1/folders/${a.id}`, { headers: w.editor.auth });
    expect(again.body).toEqual(renamed.body);
    expect(again.headers.get('ETag')).toBe(renamed.headers.get('ETag'));

    const stale = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'Lost update' } });
    expectProblem(stale, 412, 'precondition-failed');
    expect((await call(`/v1/folders/${a.id}`, { headers: w.editor.auth })).body.name).toBe('Renamed');

    const moved = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: b.id } });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.parent_id).toBe(b.id);
    expect(await parentOf(a.id)).toBe(b.id);
    const back = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: null } });
    expect(back.body.parent_id).toBeNull();
    expect(await parentOf(a.id)).toBeNull();
  });

  it('refuses cycles: a folder into itself or under one of its own sub-folders', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const b = await addFolder(w.editor, w.asset.id, 'B', a.id);
    const c = await addFolder(w.editor, w.asset.id, 'C', b.id);
    for (const target of [c.id, b.id, a.id]) {
      const r = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: target } });
      expectProblem(r, 409, 'conflict');
      expect(r.body.detail).toMatch(/into itself or into one of its sub-folders/);
      expect(paths(r)).toEqual(['parent_id']);
    }
    const inner = await call(`/v1/folders/${b.id}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: c.id } });
    expectProblem(inner, 409, 'conflict');
    expect([await parentOf(a.id), await parentOf(b.id), await parentOf(c.id)]).toEqual([null, a.id, b.id]);
    // Moving down a sibling branch is fine.
    const d = await addFolder(w.editor, w.asset.id, 'D');
    const ok = await call(`/v1/folders/${d.id}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: c.id } });
    expect(ok.status, ok.text).toBe(200);
  });

  it("refuses a move into another asset's folder (400) and names bad fields", async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const elsewhere = await addFolder(w.editor, w.other.id, 'Elsewhere');
    const cases: [unknown, string][] = [
      [{ parent_id: elsewhere.id }, 'parent_id'],
      [{ parent_id: newId('fld') }, 'parent_id'],
      [{ name: '' }, 'name'],
      [{ name: 'x', size: 3 }, 'size'],
    ];
    for (const [json, field] of cases) {
      const r = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json });
      expectProblem(r, 400, 'invalid-request');
      expect(paths(r), JSON.stringify(json)).toEqual([field]);
    }
    expect(await parentOf(a.id)).toBeNull();
    expect((await call(`/v1/folders/${a.id}`, { headers: w.editor.auth })).body.name).toBe('A');
  });

  it('answers 403 to a viewer, 404 (as for a random id) to those who may not see it', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'No' } }), 403, 'forbidden');
    for (const who of [w.bystander, w.outsider]) {
      const r = await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: who.auth, json: { name: 'No' } });
      expect(sameProblem(r)).toEqual(await missingFolder(who, 'PATCH', { name: 'No' }));
    }
    expect((await call(`/v1/folders/${a.id}`, { headers: w.editor.auth })).body.name).toBe('A');
  });
});

describe('delete', () => {
  it('deletes an empty folder (its deletion in the change log); refuses one with a sub-folder or a file (409)', async () => {
    const w = await world();
    const empty = await addFolder(w.editor, w.asset.id, 'Empty');
    const withFolder = await addFolder(w.editor, w.asset.id, 'Has folder');
    await addFolder(w.editor, w.asset.id, 'Inner', withFolder.id);
    const withFile = await addFolder(w.editor, w.asset.id, 'Has file');
    await upload(w.editor, w.asset.id, 'inside.txt', withFile.id);

    const d = await call(`/v1/folders/${empty.id}`, { method: 'DELETE', headers: w.editor.auth });
    expect(d.status, d.text).toBe(204);
    expectProblem(await call(`/v1/folders/${empty.id}`, { headers: w.editor.auth }), 404);
    expect(await count('changes', "op = 'delete' AND entity_type = 'folder' AND entity_id = ? AND organization_id = ?", empty.id, w.org.id)).toBe(1);

    for (const f of [withFolder, withFile]) {
      const r = await call(`/v1/folders/${f.id}`, { method: 'DELETE', headers: w.editor.auth });
      expectProblem(r, 409, 'conflict');
      expect(r.body.detail).toMatch(/not empty.*recursive=true/);
      const explicit = await call(`/v1/folders/${f.id}?recursive=false`, { method: 'DELETE', headers: w.editor.auth });
      expectProblem(explicit, 409, 'conflict');
      expect(await count('folders', 'id = ?', f.id)).toBe(1);
    }
    expect(await count('data_files', 'folder_id = ?', withFile.id)).toBe(1);
    const bad = await call(`/v1/folders/${withFile.id}?recursive=maybe`, { method: 'DELETE', headers: w.editor.auth });
    expectProblem(bad, 400, 'invalid-request');
    expect(paths(bad)).toEqual(['recursive']);
  });

  it('with recursive=true removes sub-folders, their files, blob rows and R2 objects, and nothing else', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const b = await addFolder(w.editor, w.asset.id, 'B', a.id);
    const c = await addFolder(w.editor, w.asset.id, 'C', b.id);
    const keep = await addFolder(w.editor, w.asset.id, 'Keep');
    const gone = [await upload(w.editor, w.asset.id, 'a.txt', a.id), await upload(w.editor, w.asset.id, 'b.txt', b.id), await upload(w.editor, w.asset.id, 'c.txt', c.id)];
    const kept = [await upload(w.editor, w.asset.id, 'root.txt'), await upload(w.editor, w.asset.id, 'keep.txt', keep.id)];
    const goneKeys = await Promise.all(gone.map((f) => dataFileKey(f.id)));
    const keptKeys = await Promise.all(kept.map((f) => dataFileKey(f.id)));
    const prefix = `${w.org.id}/data/`;
    expect(await r2Keys(prefix)).toEqual([...goneKeys, ...keptKeys].sort());

    const d = await call(`/v1/folders/${a.id}?recursive=true`, { method: 'DELETE', headers: w.editor.auth });
    expect(d.status, d.text).toBe(204);
    for (const f of [a, b, c]) expect(await count('folders', 'id = ?', f.id)).toBe(0);
    for (const f of gone) {
      expect(await count('data_files', 'id = ?', f.id)).toBe(0);
      expectProblem(await call(`/v1/data/${f.id}`, { headers: w.editor.auth }), 404);
    }
    expect(await count('blobs', `r2_key IN (${goneKeys.map(() => '?').join(',')})`, ...goneKeys)).toBe(0);
    expect(await eventually(async () => JSON.stringify(await r2Keys(prefix)) === JSON.stringify(keptKeys.sort()))).toBe(true);
    // What was outside the folder is untouched.
    expect(await count('folders', 'id = ?', keep.id)).toBe(1);
    for (const f of kept) expect((await call(`/v1/data/${f.id}`, { headers: w.editor.auth })).status).toBe(200);
    expect(await count('blobs', `r2_key IN (?, ?)`, ...keptKeys)).toBe(2);
  });

  it('answers 412 for a stale If-Match, 403 to a viewer, 404 (as for a random id) to those who may not see it', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const etag = (await call(`/v1/folders/${a.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'A2' } });
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': etag } }), 412, 'precondition-failed');
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403, 'forbidden');
    for (const who of [w.bystander, w.outsider]) {
      const r = await call(`/v1/folders/${a.id}`, { method: 'DELETE', headers: who.auth });
      expect(sameProblem(r)).toEqual(await missingFolder(who, 'DELETE'));
    }
    expect(await count('folders', 'id = ?', a.id)).toBe(1);
    const current = (await call(`/v1/folders/${a.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    expect((await call(`/v1/folders/${a.id}`, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': current } })).status).toBe(204);
  });
});

describe('an archived project', () => {
  it('keeps its folders readable and refuses every folder write with 409 until it is unarchived', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const archive = await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } });
    expect(archive.status, archive.text).toBe(200);

    expect((await call(`/v1/folders/${a.id}`, { headers: w.viewer.auth })).status).toBe(200);
    expect((await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.viewer.auth })).status).toBe(200);
    expectProblem(await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.editor.auth, json: { name: 'Late' } }), 409, 'archived');
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Late' } }), 409, 'archived');
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'DELETE', headers: w.admin.auth }), 409, 'archived');
    // Rights come first: a viewer is still told 403, a bystander still 404.
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'Late' } }), 403);
    expectProblem(await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.bystander.auth, json: { name: 'Late' } }), 404);
    expect(await count('folders', 'asset_id = ?', w.asset.id)).toBe(1);

    await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: false } });
    expect((await call(`/v1/folders/${a.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Open again' } })).status).toBe(200);
  });
});

describe('concurrent changes between the read and the write', () => {
  it('cannot make a cycle: moving A under B while B moved under A is refused', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const b = await addFolder(w.editor, w.asset.id, 'B');
    const scope = await racingScope(w.editor, () => env.DB.prepare('UPDATE folders SET parent_id = ? WHERE id = ?').bind(a.id, b.id).run());
    const p = await problemOf(updateFolder(scope, a.id, { parent_id: b.id }, undefined));
    expect(p.status).toBe(409);
    expect([await parentOf(a.id), await parentOf(b.id)]).toEqual([null, a.id]);
  });

  it('cannot move under a folder deleted meanwhile', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const b = await addFolder(w.editor, w.asset.id, 'B');
    const scope = await racingScope(w.editor, () => env.DB.prepare('DELETE FROM folders WHERE id = ?').bind(b.id).run());
    expect((await problemOf(updateFolder(scope, a.id, { parent_id: b.id }, undefined))).status).toBe(409);
    expect(await parentOf(a.id)).toBeNull();
  });

  it('does not delete a folder (and what was just put in it) that stopped being empty', async () => {
    const w = await world();
    const a = await addFolder(w.editor, w.asset.id, 'A');
    const late = newId('fld');
    const scope = await racingScope(w.editor, () =>
      env.DB.prepare('INSERT INTO folders (id, asset_id, parent_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .bind(late, w.asset.id, a.id, 'Late', Date.now(), Date.now())
        .run(),
    );
    const p = await problemOf(deleteFolder(scope, a.id, false, undefined));
    expect(p.status).toBe(409);
    expect(await count('folders', 'id IN (?, ?)', a.id, late)).toBe(2);
    expect(await count('changes', "op = 'delete' AND entity_id = ?", a.id)).toBe(0);
  });

  it('answers 409, not 500, when the parent folder was deleted before the new folder was written', async () => {
    const w = await world();
    const parent = await addFolder(w.editor, w.asset.id, 'Parent');
    const scope = await racingScope(w.editor, () => env.DB.prepare('DELETE FROM folders WHERE id = ?').bind(parent.id).run());
    const p = await problemOf(createFolder(scope, w.asset.id, { name: 'Child', parent_id: parent.id }));
    expect(p.status).toBe(409);
    expect(await count('folders', 'asset_id = ?', w.asset.id)).toBe(0);
  });
});

/**
 * Deletes at any depth a client can make: each level of the folders.parent_id cascade counts as a
 * level of trigger recursion, and D1 refuses more than 10 (a chain of 11 answered 500).
 */
describe('deep and wide trees', () => {
  const parentsOf = async (ids: string[]) =>
    (
      await env.DB.prepare('SELECT id, parent_id FROM folders WHERE id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(ids)).all<{ id: string; parent_id: string | null }>()
    ).results.reduce<Record<string, string | null>>((m, r) => ({ ...m, [r.id]: r.parent_id }), {});

  it('deletes a chain of 11 folders made through the API, with its file, blob row and R2 object', async () => {
    const w = await world();
    const keep = await addFolder(w.editor, w.asset.id, 'Keep');
    const deep = await chainThroughApi(w.editor, w.asset.id, 11);
    expect(await leftOf(deep)).toEqual(whole(deep));

    const d = await call(`/v1/folders/${deep.folders[0]}?recursive=true`, { method: 'DELETE', headers: w.editor.auth });
    expect(d.status, d.text).toBe(204);
    expect(await leftOf(deep)).toEqual({ ...NOTHING, objects: expect.any(Number) });
    expect(await eventually(async () => (await leftOf(deep)).objects === 0)).toBe(true);
    expect(await count('changes', "op = 'delete' AND entity_type = 'folder' AND entity_id = ?", deep.folders[0])).toBe(1);
    expect(await count('folders', 'asset_id = ?', w.asset.id)).toBe(1);
    expect((await call(`/v1/folders/${keep.id}`, { headers: w.editor.auth })).status).toBe(200);
  });

  it('deletes part of a chain of 600 and then the rest; the folders above the part keep their places', async () => {
    const w = await world();
    const deep = await writeTree(w.org.id, w.asset.id, chain(600), [0, 299, 300, 450, 599]);
    const upper = { folders: deep.folders.slice(0, 300), files: deep.files.slice(0, 2) };
    const lower = { folders: deep.folders.slice(300), files: deep.files.slice(2) };
    const before = await parentsOf(upper.folders);

    const part = await call(`/v1/folders/${deep.folders[300]}?recursive=true`, { method: 'DELETE', headers: w.editor.auth });
    expect(part.status, part.text).toBe(204);
    expect(await eventually(async () => JSON.stringify(await leftOf(lower)) === JSON.stringify(NOTHING))).toBe(true);
    expect(await leftOf(upper)).toEqual(whole(upper));
    expect(await parentsOf(upper.folders)).toEqual(before);

    const rest = await call(`/v1/folders/${deep.folders[0]}?recursive=true`, { method: 'DELETE', headers: w.editor.auth });
    expect(rest.status, rest.text).toBe(204);
    expect(await eventually(async () => JSON.stringify(await leftOf(deep)) === JSON.stringify(NOTHING))).toBe(true);
  });

  it('creates and moves at a depth of 1,200: a cycle is still refused, a move under the deepest folder and out of the chain are not', async () => {
    const w = await world();
    const deep = await writeFolders(w.asset.id, chain(1200));
    const [top, bottom] = [deep[0]!, deep[1199]!];

    const child = await call(`/v1/assets/${w.asset.id}/folders`, { headers: w.editor.auth, json: { name: 'Level 1201', parent_id: bottom } });
    expect(child.status, child.text).toBe(201);
    expect(child.body.parent_id).toBe(bottom);
    for (const target of [bottom, child.body.id]) {
      const cycle = await call(`/v1/folders/${top}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: target } });
      expectProblem(cycle, 409, 'conflict');
      expect(paths(cycle)).toEqual(['parent_id']);
    }
    const loose = await addFolder(w.editor, w.asset.id, 'Loose');
    const under = await call(`/v1/folders/${loose.id}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: child.body.id } });
    expect(under.status, under.text).toBe(200);
    // Cut the chain in the middle, then hang the top part under what was its own bottom: no cycle any more.
    const cut = await call(`/v1/folders/${deep[600]}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: null } });
    expect(cut.status, cut.text).toBe(200);
    const hang = await call(`/v1/folders/${top}`, { method: 'PATCH', headers: w.editor.auth, json: { parent_id: loose.id } });
    expect(hang.status, hang.text).toBe(200);
    expect(await parentOf(top)).toBe(loose.id);

    // Now a chain of 1,203 from deep[600] down to deep[599]: all of it goes in one delete.
    const d = await call(`/v1/folders/${deep[600]}?recursive=true`, { method: 'DELETE', headers: w.editor.auth });
    expect(d.status, d.text).toBe(204);
    expect(await count('folders', 'asset_id = ?', w.asset.id)).toBe(0);
  });

  it('deletes 10,000 folders (a chain of 2,000 and a wide fan under it) in one request', async () => {
    const w = await world();
    const n = 10_000;
    // 0..1999 a chain; each later folder in an earlier one, spread over the whole tree.
    const parents = Array.from({ length: n }, (_, i) => (i === 0 ? null : i < 2000 ? i - 1 : (i * 7919) % i));
    const tree = await writeTree(w.org.id, w.asset.id, parents, [1999, 5000, 9999]);
    const keep = await writeTree(w.org.id, w.asset.id, chain(20), [19]);

    const started = Date.now();
    const d = await call(`/v1/folders/${tree.folders[0]}?recursive=true`, { method: 'DELETE', headers: w.editor.auth });
    console.log(`recursive delete of ${n} folders: ${Date.now() - started} ms`);
    expect(d.status, d.text).toBe(204);
    expect(await eventually(async () => JSON.stringify(await leftOf(tree)) === JSON.stringify(NOTHING))).toBe(true);
    expect(await leftOf(keep)).toEqual(whole(keep));
  }, 60_000);
});
