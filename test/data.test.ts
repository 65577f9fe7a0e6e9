/**
 * Data files and the data tab: uploads (multipart, raw with a known length, raw chunked through
 * R2's multipart upload), the type check against magic bytes, the size limit, reads, lists,
 * rename and move, delete with the R2 object, downloads (headers, ranges, conditional GET), the
 * data tab (folders then files, counts, paging), rights, and 401 on every route.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { createDataFile, updateDataFile } from '../src/data/service';
import { app } from '../src/index';
import { newId } from '../src/lib/ids';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, type Actor } from './support/actors';
import { addFolder, createAsset, dataFileKey as keyOf, privateProjectWithAsset, type Row } from './support/domain';
import { chunked, download, eventually, links, r2Keys, sha256Hex } from './support/files';
import { problemOf, racingScope } from './support/services';

const LIMIT = 2 * 1024 * 1024; // UPLOAD_MAX_BYTES in vitest.config.ts

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

const names = (a: Answer) => a.body.results.map((r: Row) => r.name);
const paths = (a: Answer) => (a.body.errors ?? []).map((e: { path: string }) => e.path);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/;
const text = (s: string) => new TextEncoder().encode(s);

/** `n` bytes of a repeating, position-dependent pattern (so ranges and hashes are meaningful). */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** privateProjectWithAsset() with a second asset, `other`; `prefix` is where the organisation's data files go in R2. */
async function world() {
  const w = await privateProjectWithAsset();
  const other = await createAsset(w.editor, w.project.id);
  return { ...w, other, prefix: `${w.org.id}/data/` };
}

function form(file: { bytes: Uint8Array; type: string; name: string } | null, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([file.bytes], { type: file.type }), file.name);
  return fd;
}

function postForm(actor: Actor, assetId: string, file: { bytes: Uint8Array; type: string; name: string } | null, fields: Record<string, string> = {}) {
  return call(`/v1/assets/${assetId}/data`, { headers: actor.auth, body: form(file, fields) });
}

function postRaw(actor: Actor, assetId: string, body: BodyInit, headers: Record<string, string> = {}, query = '') {
  return call(`/v1/assets/${assetId}/data${query}`, { headers: { ...actor.auth, ...headers }, body });
}

async function upload(actor: Actor, assetId: string, name: string, bytes: Uint8Array = text(`contents of ${name}`), folderId?: string) {
  const a = await postForm(actor, assetId, { bytes, type: 'text/plain', name }, folderId ? { folder_id: folderId } : {});
  if (a.status !== 201) throw new Error(`upload failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** The 404 for an id that does not exist at all: a data file (at `suffix` below it) or an asset. */
async function missingData(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/data/${newId('dat')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function missingAsset(actor: Actor, suffix: string, method = 'GET', body?: BodyInit, headers: Record<string, string> = {}) {
  const a = await call(`/v1/assets/${newId('ast')}${suffix}`, { method, headers: { ...actor.auth, ...headers }, body: body ?? null });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

afterEach(async () => {
  await env.DB.exec('DROP TRIGGER IF EXISTS fail_data_files');
});

describe('401 on every data route', () => {
  const A = '/v1/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce';
  const D = '/v1/data/dat_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['POST', `${A}/data`],
    ['GET', `${A}/data`],
    ['GET', `${A}/contents`],
    ['GET', `${A}/data/dat_01jd8z3b6q0w4y1r7k5t2m9xce`],
    ['GET', `${A}/data/dat_01jd8z3b6q0w4y1r7k5t2m9xce/download`],
    ['GET', D],
    ['PATCH', D],
    ['DELETE', D],
    ['GET', `${D}/download`],
  ];

  it('lists every route the app declares under the Data tag', () => {
    const declared = app.openAPIRegistry.definitions
      .filter((d) => d.type === 'route' && (d.route.tags ?? []).includes('Data'))
      .map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} ${d.route.path}` : ''));
    const listed = routes.map(([m, p]) => `${m} ${p.replace(/ast_\w+/, '{asset}').replace(/dat_\w+/, '{data}')}`);
    expect(listed.sort()).toEqual(declared.sort());
  });

  it.each(routes)('%s %s without a token', async (method, path) => {
    const json = method === 'PATCH' ? { name: 'x' } : undefined;
    const body = method === 'POST' ? PNG : undefined;
    const a = await call(path, { method, json, body: body ?? null });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });
});

describe('upload', () => {
  it('stores a multipart upload: 201 with its metadata, sha256 of its bytes, Location and ETag; GET answers the same in one round trip', async () => {
    const w = await world();
    const bytes = pattern(10_000);
    const a = await postForm(w.editor, w.asset.id, { bytes, type: 'text/csv', name: 'readings.csv' });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      id: expect.stringMatching(/^dat_/),
      number: expect.any(Number),
      asset_id: w.asset.id,
      folder_id: null,
      name: 'readings.csv',
      mime_type: 'text/csv',
      size: 10_000,
      sha256: await sha256Hex(bytes),
      created_by: { id: w.editor.id, username: w.editor.username },
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: expect.stringMatching(ISO_TIME),
      download_url: `/v1/data/${a.body.id}/download`,
    });
    expect(a.headers.get('Location')).toBe(`/v1/data/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);

    const got = await call(`/v1/data/${a.body.id}`, { headers: w.viewer.auth });
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
    expect(roundTrips(got.res)).toBe(1);
    expect((await call(`/v1/data/${a.body.id}`, { headers: { ...w.viewer.auth, 'If-None-Match': a.headers.get('ETag')! } })).status).toBe(304);
    const underAsset = await call(`/v1/assets/${w.asset.id}/data/${a.body.id}`, { headers: w.viewer.auth });
    expect(underAsset.body).toEqual(a.body);
    expect(roundTrips(underAsset.res)).toBe(1);

    // The blob row and the object agree with what was sent.
    const key = await keyOf(a.body.id);
    expect(key.startsWith(w.prefix)).toBe(true);
    const blob = await env.DB.prepare('SELECT size, sha256, mime_type FROM blobs WHERE r2_key = ?').bind(key).first();
    expect(blob).toEqual({ size: 10_000, sha256: await sha256Hex(bytes), mime_type: 'text/csv' });
    const object = await env.FILES.get(key);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    expect(object!.httpMetadata?.contentType).toBe('text/csv');
  });

  it('takes name and folder_id from the form; the name defaults to the file name', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'Reports');
    const named = await postForm(w.editor, w.asset.id, { bytes: text('hello'), type: 'text/plain', name: 'original.txt' }, { name: 'Renamed.txt', folder_id: f.id });
    expect(named.status, named.text).toBe(201);
    expect(named.body).toMatchObject({ name: 'Renamed.txt', folder_id: f.id });
    expect(await count('data_files', 'id = ? AND folder_id = ?', named.body.id, f.id)).toBe(1);
  });

  it('reads a declared field from the query with a form as with a raw body (issue 12: ?folder_id= with multipart landed at the top level); given in both, 400 naming it and nothing stored', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'Query');
    const file = { bytes: text('from the query'), type: 'text/plain', name: 'q.txt' };
    const a = await call(`/v1/assets/${w.asset.id}/data?folder_id=${f.id}&name=Named.txt`, { headers: w.editor.auth, body: form(file) });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ name: 'Named.txt', folder_id: f.id });
    expect(await count('data_files', 'id = ? AND folder_id = ?', a.body.id, f.id)).toBe(1);
    // A wrong folder in the query is refused like one in the form, not ignored.
    const elsewhere = await addFolder(w.editor, w.other.id, 'Elsewhere');
    expect(paths(await call(`/v1/assets/${w.asset.id}/data?folder_id=${elsewhere.id}`, { headers: w.editor.auth, body: form(file) }))).toEqual(['folder_id']);
    const before = await count('data_files', 'asset_id = ?', w.asset.id);
    const twice = await call(`/v1/assets/${w.asset.id}/data?folder_id=${f.id}`, { headers: w.editor.auth, body: form(file, { folder_id: f.id }) });
    expectProblem(twice, 400, 'invalid-request');
    expect(twice.body.errors).toEqual([{ path: 'folder_id', message: 'Given in the body and in the query: send it once.' }]);
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(before);
  });

  it('stores a raw body: name from X-File-Name (URL-encoded) or ?name=, folder from ?folder_id=; the type proven by the content when declared as octet-stream', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'Photos');
    const name = 'Überblick 2024 (v2) "final".png';
    const a = await postRaw(w.editor, w.asset.id, PNG, { 'Content-Type': 'application/octet-stream', 'X-File-Name': encodeURIComponent(name) }, `?folder_id=${f.id}`);
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ name, folder_id: f.id, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });

    const b = await postRaw(w.editor, w.asset.id, text('a,b\n1,2\n'), { 'Content-Type': 'text/csv; charset=utf-8' }, '?name=table.csv');
    expect(b.status, b.text).toBe(201);
    expect(b.body).toMatchObject({ name: 'table.csv', folder_id: null, mime_type: 'text/csv', size: 8 });
  });

  it('streams a chunked raw body (no Content-Length) through an R2 multipart upload', async () => {
    const w = await world();
    const bytes = pattern(700_000, 3);
    const a = await postRaw(w.editor, w.asset.id, chunked(bytes), { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'stream.bin' });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ name: 'stream.bin', size: bytes.byteLength, sha256: await sha256Hex(bytes) });
    const head = await env.FILES.head(await keyOf(a.body.id));
    // An object completed from parts has a part-count suffix on its ETag; a single put has none.
    expect(head!.etag).toMatch(/-1$/);
    expect(head!.size).toBe(bytes.byteLength);
    const d = await download(`/v1/data/${a.body.id}/download`, w.viewer.auth);
    expect(d.bytes).toEqual(bytes);

    // With a Content-Length the body goes up in one streamed put instead.
    const fixed = await postRaw(w.editor, w.asset.id, bytes, { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'fixed.bin' });
    expect(fixed.status, fixed.text).toBe(201);
    expect((await env.FILES.head(await keyOf(fixed.body.id)))!.etag).not.toMatch(/-\d+$/);
    expect(fixed.body.sha256).toBe(a.body.sha256);
  });

  it('refuses a declared type the magic bytes contradict (400 naming file) and leaves nothing behind', async () => {
    const w = await world();
    const viaForm = await postForm(w.editor, w.asset.id, { bytes: PNG, type: 'image/jpeg', name: 'photo.jpg' });
    expectProblem(viaForm, 400, 'invalid-request');
    expect(paths(viaForm)).toEqual(['file']);
    expect(viaForm.body.errors[0].message).toMatch(/image\/jpeg.*image\/png/);
    const viaBody = await postRaw(w.editor, w.asset.id, PNG, { 'Content-Type': 'image/jpeg', 'X-File-Name': 'photo.jpg' });
    expectProblem(viaBody, 400, 'invalid-request');
    expect(paths(viaBody)).toEqual(['file']);
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });

  it('answers 413 over the configured limit (raw with a length, chunked, multipart) and stores nothing', async () => {
    const w = await world();
    const big = pattern(LIMIT + 1, 5);
    const raw = await postRaw(w.editor, w.asset.id, big, { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'big.bin' });
    expectProblem(raw, 413, 'payload-too-large');
    const streamed = await postRaw(w.editor, w.asset.id, chunked(big), { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'big.bin' });
    expectProblem(streamed, 413, 'payload-too-large');
    const multipart = await postForm(w.editor, w.asset.id, { bytes: big, type: 'application/octet-stream', name: 'big.bin' });
    expectProblem(multipart, 413, 'payload-too-large');
    // Exactly at the limit is fine.
    const atLimit = await postRaw(w.editor, w.asset.id, big.subarray(0, LIMIT), { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'edge.bin' });
    expect(atLimit.status, atLimit.text).toBe(201);
    expect(atLimit.body.size).toBe(LIMIT);
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(1);
    expect(await r2Keys(w.prefix)).toEqual([await keyOf(atLimit.body.id)]);
  });

  it('answers 400 to a form whose part headers are not UTF-8 (a file name in Latin-1), and stores nothing', async () => {
    const w = await world();
    const ascii = (t: string) => [...new TextEncoder().encode(t)];
    // "café.txt" with é as the single byte 0xE9.
    const body = Uint8Array.from([
      ...ascii('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="caf'), 0xe9, ...ascii('.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XYZ--\r\n'),
    ]);
    const a = await call(`/v1/assets/${w.asset.id}/data`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'multipart/form-data; boundary=XYZ' }, body });
    expectProblem(a, 400, 'malformed-request');
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });

  it('answers 400 naming the field: no file, no name, a folder of another asset, a bad name; 415 for a urlencoded form', async () => {
    const w = await world();
    const elsewhere = await addFolder(w.editor, w.other.id, 'Elsewhere');
    const cases: [Promise<Answer>, string][] = [
      [postForm(w.editor, w.asset.id, null, { name: 'x.txt' }), 'file'],
      [postRaw(w.editor, w.asset.id, text('no name'), { 'Content-Type': 'text/plain' }), 'name'],
      [postRaw(w.editor, w.asset.id, text('bad header'), { 'Content-Type': 'text/plain', 'X-File-Name': '%E0%A4%A' }), 'X-File-Name'],
      [postForm(w.editor, w.asset.id, { bytes: text('x'), type: 'text/plain', name: 'x.txt' }, { folder_id: elsewhere.id }), 'folder_id'],
      [postForm(w.editor, w.asset.id, { bytes: text('x'), type: 'text/plain', name: 'x.txt' }, { folder_id: newId('fld') }), 'folder_id'],
      [postRaw(w.editor, w.asset.id, text('x'), { 'Content-Type': 'text/plain' }, `?name=x.txt&folder_id=${elsewhere.id}`), 'folder_id'],
      [postForm(w.editor, w.asset.id, { bytes: text('x'), type: 'text/plain', name: 'x.txt' }, { name: 'line\nbreak' }), 'name'],
      [postForm(w.editor, w.asset.id, { bytes: text('x'), type: 'text/plain', name: 'x.txt' }, { name: 'n'.repeat(256) }), 'name'],
    ];
    for (const [pending, field] of cases) {
      const a = await pending;
      expectProblem(a, 400);
      expect(paths(a), `${field}: ${a.text}`).toEqual([field]);
    }
    const urlencoded = await postRaw(w.editor, w.asset.id, 'name=x', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expectProblem(urlencoded, 415, 'unsupported-media-type');
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });

  it('answers 403 to a viewer, 404 (as for a random asset) to those who may not see it, 409 in an archived project: nothing stored', async () => {
    const w = await world();
    const file = { bytes: text('x'), type: 'text/plain', name: 'x.txt' };
    expectProblem(await postForm(w.viewer, w.asset.id, file), 403, 'forbidden');
    expectProblem(await postRaw(w.viewer, w.asset.id, text('x'), { 'X-File-Name': 'x.txt' }), 403, 'forbidden');
    for (const who of [w.bystander, w.outsider]) {
      const a = await postRaw(who, w.asset.id, text('x'), { 'X-File-Name': 'x.txt' });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingAsset(who, '/data', 'POST', text('x'), { 'X-File-Name': 'x.txt' }));
    }
    await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } });
    expectProblem(await postForm(w.editor, w.asset.id, file), 409, 'archived');
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });

  it('removes the object when the row write fails after it was stored', async () => {
    const w = await world();
    await env.DB.prepare("CREATE TRIGGER fail_data_files BEFORE INSERT ON data_files BEGIN SELECT RAISE(ABORT, 'injected'); END;").run();
    const a = await postForm(w.editor, w.asset.id, { bytes: pattern(5000), type: 'application/octet-stream', name: 'doomed.bin' });
    expectProblem(a, 500, 'internal');
    expect(a.text).not.toMatch(/injected|data_files/);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });
});

describe('read and list', () => {
  it('hides a file of an asset the caller may not see exactly like a random id, and a file under the wrong asset', async () => {
    const w = await world();
    const f = await upload(w.editor, w.asset.id, 'secret.txt');
    for (const who of [w.bystander, w.outsider]) {
      const a = await call(`/v1/data/${f.id}`, { headers: who.auth });
      expect(sameProblem(a)).toEqual(await missingData(who));
      const dl = await download(`/v1/data/${f.id}/download`, who.auth);
      expect(dl.status).toBe(404);
      expect(sameProblem(dl)).toEqual(await missingData(who, '/download'));
    }
    const wrong = await call(`/v1/assets/${w.other.id}/data/${f.id}`, { headers: w.editor.auth });
    expect(sameProblem(wrong)).toEqual(await missingData(w.editor));
    const wrongDownload = await download(`/v1/assets/${w.other.id}/data/${f.id}/download`, w.editor.auth);
    expect(sameProblem(wrongDownload)).toEqual(await missingData(w.editor, '/download'));
  });

  it('lists by folder and ordering (name, created_at, size), pages, in one round trip', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'F');
    await upload(w.editor, w.asset.id, 'b.txt', pattern(30));
    await upload(w.editor, w.asset.id, 'a.txt', pattern(300));
    await upload(w.editor, w.asset.id, 'c.txt', pattern(3), f.id);
    await upload(w.editor, w.other.id, 'other.txt');

    const all = await call(`/v1/assets/${w.asset.id}/data`, { headers: w.viewer.auth });
    expect(all.status, all.text).toBe(200);
    expect(names(all)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(all.body.count).toBe(3);
    expect(roundTrips(all.res)).toBe(1);
    expect(names(await call(`/v1/assets/${w.asset.id}/data?folder=root`, { headers: w.viewer.auth }))).toEqual(['a.txt', 'b.txt']);
    expect(names(await call(`/v1/assets/${w.asset.id}/data?folder=${f.id}`, { headers: w.viewer.auth }))).toEqual(['c.txt']);
    expect(names(await call(`/v1/assets/${w.asset.id}/data?ordering=-size`, { headers: w.viewer.auth }))).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(names(await call(`/v1/assets/${w.asset.id}/data?ordering=size`, { headers: w.viewer.auth }))).toEqual(['c.txt', 'b.txt', 'a.txt']);
    expect(names(await call(`/v1/assets/${w.asset.id}/data?ordering=created_at`, { headers: w.viewer.auth }))).toEqual(['b.txt', 'a.txt', 'c.txt']);
    const first = await call(`/v1/assets/${w.asset.id}/data?limit=2&ordering=-name`, { headers: w.viewer.auth });
    expect(names(first)).toEqual(['c.txt', 'b.txt']);
    expect(names(await call(first.body.next, { headers: w.viewer.auth }))).toEqual(['a.txt']);

    for (const [query, field] of [
      ['ordering=mime_type', 'ordering'],
      ['folder=somewhere', 'folder'],
    ]) {
      const bad = await call(`/v1/assets/${w.asset.id}/data?${query}`, { headers: w.viewer.auth });
      expectProblem(bad, 400, 'invalid-request');
      expect(paths(bad)).toEqual([field]);
    }
    const hidden = await call(`/v1/assets/${w.asset.id}/data`, { headers: w.bystander.auth });
    expect(sameProblem(hidden)).toEqual(await missingAsset(w.bystander, '/data'));
  });
});

describe('update', () => {
  it('renames and moves between folders; a stale If-Match is 412; a folder of another asset is 400', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'F');
    const elsewhere = await addFolder(w.editor, w.other.id, 'Elsewhere');
    const d = await upload(w.editor, w.asset.id, 'draft.txt');
    const etag = (await call(`/v1/data/${d.id}`, { headers: w.editor.auth })).headers.get('ETag')!;

    const moved = await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'final.txt', folder_id: f.id } });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ id: d.id, name: 'final.txt', folder_id: f.id, sha256: d.sha256, size: d.size });
    const got = await call(`/v1/data/${d.id}`, { headers: w.editor.auth });
    expect(got.body).toEqual(moved.body);
    expect(got.headers.get('ETag')).toBe(moved.headers.get('ETag'));
    const dl = await download(`/v1/data/${d.id}/download`, w.editor.auth);
    expect(dl.headers.get('Content-Disposition')).toContain("filename*=UTF-8''final.txt");

    expectProblem(await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'lost.txt' } }), 412);
    for (const [json, field] of [
      [{ folder_id: elsewhere.id }, 'folder_id'],
      [{ folder_id: newId('fld') }, 'folder_id'],
      [{ name: '' }, 'name'],
      [{ sha256: 'x' }, 'sha256'],
    ] as [unknown, string][]) {
      const r = await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: w.editor.auth, json });
      expectProblem(r, 400, 'invalid-request');
      expect(paths(r), JSON.stringify(json)).toEqual([field]);
    }
    const toRoot = await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: w.editor.auth, json: { folder_id: null } });
    expect(toRoot.body).toMatchObject({ name: 'final.txt', folder_id: null });
    expect(await count('data_files', 'id = ? AND folder_id IS NULL', d.id)).toBe(1);
  });

  it('answers 403 to a viewer, 404 (as for a random id) to those who may not see it, 409 when archived', async () => {
    const w = await world();
    const d = await upload(w.editor, w.asset.id, 'keep.txt');
    expectProblem(await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'no.txt' } }), 403, 'forbidden');
    for (const who of [w.bystander, w.outsider]) {
      const r = await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: who.auth, json: { name: 'no.txt' } });
      expect(sameProblem(r)).toEqual(await missingData(who, '', 'PATCH', { name: 'no.txt' }));
    }
    await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } });
    expectProblem(await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'no.txt' } }), 409, 'archived');
    expect((await call(`/v1/data/${d.id}`, { headers: w.viewer.auth })).body.name).toBe('keep.txt');
  });
});

describe('delete', () => {
  it('removes the row, the blob row and the R2 object; the change log has the deletion', async () => {
    const w = await world();
    const d = await upload(w.editor, w.asset.id, 'gone.txt');
    const kept = await upload(w.editor, w.asset.id, 'kept.txt');
    const key = await keyOf(d.id);
    const keptKey = await keyOf(kept.id);
    const r = await call(`/v1/data/${d.id}`, { method: 'DELETE', headers: w.editor.auth });
    expect(r.status, r.text).toBe(204);
    expect(await count('data_files', 'id = ?', d.id)).toBe(0);
    expect(await count('blobs', 'r2_key = ?', key)).toBe(0);
    expect(await count('changes', "op = 'delete' AND entity_type = 'data_file' AND entity_id = ?", d.id)).toBe(1);
    expect(await eventually(async () => JSON.stringify(await r2Keys(w.prefix)) === JSON.stringify([keptKey]))).toBe(true);
    expect(sameProblem(await call(`/v1/data/${d.id}`, { headers: w.editor.auth }))).toEqual(await missingData(w.editor));
    expect((await download(`/v1/data/${kept.id}/download`, w.editor.auth)).status).toBe(200);
  });

  it('answers 412 for a stale If-Match, 403 to a viewer, 404 to those who may not see it, 409 when archived; the file stays', async () => {
    const w = await world();
    const d = await upload(w.editor, w.asset.id, 'stays.txt');
    const etag = (await call(`/v1/data/${d.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    await call(`/v1/data/${d.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'stays2.txt' } });
    expectProblem(await call(`/v1/data/${d.id}`, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': etag } }), 412, 'precondition-failed');
    expectProblem(await call(`/v1/data/${d.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403, 'forbidden');
    for (const who of [w.bystander, w.outsider]) {
      expect(sameProblem(await call(`/v1/data/${d.id}`, { method: 'DELETE', headers: who.auth }))).toEqual(await missingData(who, '', 'DELETE'));
    }
    await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } });
    expectProblem(await call(`/v1/data/${d.id}`, { method: 'DELETE', headers: w.editor.auth }), 409, 'archived');
    expect(await count('data_files', 'id = ?', d.id)).toBe(1);
    expect(await count('blobs', 'r2_key = ?', await keyOf(d.id))).toBe(1);
    expect((await download(`/v1/data/${d.id}/download`, w.viewer.auth)).status).toBe(200);
  });
});

describe('download', () => {
  it('streams the file with its headers; Range gives 206, a range past the end 416, If-None-Match 304', async () => {
    const w = await world();
    const bytes = pattern(5000, 9);
    const name = 'Prüfbericht 3 (Entwurf).pdf';
    const pdf = new Uint8Array([...text('%PDF-1.7\n'), ...bytes]);
    const up = await postRaw(w.editor, w.asset.id, pdf, { 'Content-Type': 'application/pdf', 'X-File-Name': encodeURIComponent(name) });
    expect(up.status, up.text).toBe(201);

    for (const path of [`/v1/data/${up.body.id}/download`, `/v1/assets/${w.asset.id}/data/${up.body.id}/download`]) {
      const d = await download(path, w.viewer.auth);
      expect(d.status).toBe(200);
      expect(d.bytes).toEqual(pdf);
      expect(d.headers.get('Content-Type')).toBe('application/pdf');
      expect(d.headers.get('Content-Length')).toBe(String(pdf.byteLength));
      expect(d.headers.get('Content-Disposition')).toBe(
        `attachment; filename="Pr_fbericht 3 (Entwurf).pdf"; filename*=UTF-8''Pr%C3%BCfbericht%203%20%28Entwurf%29.pdf`,
      );
      expect(d.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(d.headers.get('ETag')).toMatch(/^"[^"]+"$/);
      expect(new Date(d.headers.get('Last-Modified')!).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(d.headers.get('Accept-Ranges')).toBe('bytes');
      expect(roundTrips(d.res)).toBe(1);
    }
    const path = `/v1/data/${up.body.id}/download`;
    const etag = (await download(path, w.viewer.auth)).headers.get('ETag')!;

    const part = await download(path, { ...w.viewer.auth, Range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.bytes).toEqual(pdf.subarray(100, 200));
    expect(part.headers.get('Content-Range')).toBe(`bytes 100-199/${pdf.byteLength}`);
    expect(part.headers.get('Content-Length')).toBe('100');
    const tail = await download(path, { ...w.viewer.auth, Range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.bytes).toEqual(pdf.subarray(pdf.byteLength - 10));

    const past = await download(path, { ...w.viewer.auth, Range: `bytes=${pdf.byteLength}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('Content-Range')).toBe(`bytes */${pdf.byteLength}`);
    expect(past.body.status).toBe(416);

    const cached = await download(path, { ...w.viewer.auth, 'If-None-Match': etag });
    expect(cached.status).toBe(304);
    expect(cached.bytes.byteLength).toBe(0);
  });
});

describe('the data tab', () => {
  it('lists one level: folders first then files, each by name, with counts, the folder, and paging across the boundary, in one round trip', async () => {
    const w = await world();
    const beta = await addFolder(w.editor, w.asset.id, 'beta');
    const alpha = await addFolder(w.editor, w.asset.id, 'Alpha');
    const inner = await addFolder(w.editor, w.asset.id, 'Inner', alpha.id);
    const zeta = await upload(w.editor, w.asset.id, 'zeta.txt');
    const apple = await upload(w.editor, w.asset.id, 'apple.txt');
    const mid = await upload(w.editor, w.asset.id, 'Mid.txt');
    const nested = await upload(w.editor, w.asset.id, 'nested.txt', text('n'), alpha.id);
    await addFolder(w.editor, w.other.id, 'Other asset');
    await upload(w.editor, w.other.id, 'other.txt');

    const root = await call(`/v1/assets/${w.asset.id}/contents`, { headers: w.viewer.auth });
    expect(root.status, root.text).toBe(200);
    expect(root.body.results.map((r: Row) => `${r.kind}:${r.name}`)).toEqual(['folder:Alpha', 'folder:beta', 'file:Mid.txt', 'file:apple.txt', 'file:zeta.txt']);
    expect(root.body.count).toBe(5);
    expect(root.body.counts).toEqual({ folders: 2, files: 3 });
    expect(root.body.folder).toBeNull();
    expect(root.body.next).toBeNull();
    expect(root.body.previous).toBeNull();
    expect(roundTrips(root.res)).toBe(1);
    // Each item is the same representation as its own GET, with its kind.
    const { kind: k1, ...firstFolder } = root.body.results[0];
    expect(k1).toBe('folder');
    expect(firstFolder).toEqual((await call(`/v1/folders/${alpha.id}`, { headers: w.viewer.auth })).body);
    const { kind: k2, ...firstFile } = root.body.results[2];
    expect(k2).toBe('file');
    expect(firstFile).toEqual((await call(`/v1/data/${mid.id}`, { headers: w.viewer.auth })).body);
    expect(root.body.results.map((r: Row) => r.id)).toEqual([alpha.id, beta.id, mid.id, apple.id, zeta.id]);
    const explicitRoot = await call(`/v1/assets/${w.asset.id}/contents?folder=root`, { headers: w.viewer.auth });
    expect(explicitRoot.body).toEqual(root.body);

    // Pages cut across folders and files alike.
    const page = await call(`/v1/assets/${w.asset.id}/contents?folder=root&limit=2&offset=1`, { headers: w.viewer.auth });
    expect(page.body.results.map((r: Row) => r.name)).toEqual(['beta', 'Mid.txt']);
    expect(page.body.count).toBe(5);
    const pageLinks = links(page.headers.get('Link'));
    expect(pageLinks.next).toBe(page.body.next);
    expect(pageLinks.prev).toBe(page.body.previous);
    expect(new URL(page.body.next).searchParams.get('offset')).toBe('3');
    expect(new URL(page.body.previous).searchParams.get('offset')).toBe('0');
    expect(new URL(pageLinks.last!).searchParams.get('offset')).toBe('4');
    const next = await call(page.body.next, { headers: w.viewer.auth });
    expect(next.body.results.map((r: Row) => r.name)).toEqual(['apple.txt', 'zeta.txt']);
    expect(next.body.next).toBeNull();
    const beyond = await call(`/v1/assets/${w.asset.id}/contents?limit=2&offset=10`, { headers: w.viewer.auth });
    expect(beyond.body.results).toEqual([]);
    expect(beyond.body.count).toBe(5);

    const sub = await call(`/v1/assets/${w.asset.id}/contents?folder=${alpha.id}`, { headers: w.viewer.auth });
    expect(sub.status, sub.text).toBe(200);
    expect(sub.body.results.map((r: Row) => r.id)).toEqual([inner.id, nested.id]);
    expect(sub.body.counts).toEqual({ folders: 1, files: 1 });
    expect(sub.body.folder).toEqual((await call(`/v1/folders/${alpha.id}`, { headers: w.viewer.auth })).body);
    expect(roundTrips(sub.res)).toBe(1);
    const empty = await call(`/v1/assets/${w.asset.id}/contents?folder=${inner.id}`, { headers: w.viewer.auth });
    expect(empty.body).toMatchObject({ count: 0, counts: { folders: 0, files: 0 }, results: [], next: null, previous: null });
  });

  it('answers 404 for a folder not of this asset and for a hidden asset (as for a random one), 400 for bad parameters', async () => {
    const w = await world();
    const elsewhere = await addFolder(w.editor, w.other.id, 'Elsewhere');
    const notHere = await call(`/v1/assets/${w.asset.id}/contents?folder=${elsewhere.id}`, { headers: w.viewer.auth });
    expectProblem(notHere, 404, 'not-found');
    const unknown = await call(`/v1/assets/${w.asset.id}/contents?folder=${newId('fld')}`, { headers: w.viewer.auth });
    expect(sameProblem(notHere)).toEqual(sameProblem(unknown));
    expect(notHere.body.detail).toBe('Folder does not exist.');
    for (const who of [w.bystander, w.outsider]) {
      const hidden = await call(`/v1/assets/${w.asset.id}/contents`, { headers: who.auth });
      expect(sameProblem(hidden)).toEqual(await missingAsset(who, '/contents'));
    }
    for (const [query, field] of [
      ['folder=none', 'folder'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['offset=-1', 'offset'],
    ]) {
      const bad = await call(`/v1/assets/${w.asset.id}/contents?${query}`, { headers: w.viewer.auth });
      expectProblem(bad, 400, 'invalid-request');
      expect(paths(bad)).toEqual([field]);
    }
  });
});

describe('concurrent changes between the read and the write', () => {
  it('an upload into a folder deleted meanwhile answers 409 and leaves no object', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'Going');
    const scope = await racingScope(w.editor, () => env.DB.prepare('DELETE FROM folders WHERE id = ?').bind(f.id).run());
    const bytes = pattern(4000);
    const file = { filename: 'late.bin', declaredType: 'application/octet-stream', stream: chunked(bytes, 1000), length: bytes.byteLength };
    const p = await problemOf(createDataFile(scope, w.asset.id, { name: 'late.bin', folderId: f.id }, file));
    expect(p.status).toBe(409);
    expect(await count('data_files', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });

  it('a move into a folder deleted meanwhile answers 409 and leaves the file where it was', async () => {
    const w = await world();
    const f = await addFolder(w.editor, w.asset.id, 'Going');
    const d = await upload(w.editor, w.asset.id, 'stay.txt');
    const scope = await racingScope(w.editor, () => env.DB.prepare('DELETE FROM folders WHERE id = ?').bind(f.id).run());
    expect((await problemOf(updateDataFile(scope, d.id, { folder_id: f.id }, undefined))).status).toBe(409);
    expect(await count('data_files', 'id = ? AND folder_id IS NULL', d.id)).toBe(1);
  });
});
