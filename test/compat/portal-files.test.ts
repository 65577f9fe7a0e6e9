/**
 * The Portal dialect's folders, data files, downloads and data tab (seed 000): integer ids for
 * the entities and their relations, absolute download URLs inside /compat/portal that honour
 * Range and If-None-Match, hidden and another asset's answered as missing, pages walked once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DRF } from '../../src/compat/drf';
import { call, ORIGIN, roundTrips } from '../support/api';
import { expectJsonError as expectDrf } from '../support/answers';
import { type Actor } from '../support/actors';
import { addFolder, createAsset, privateProjectWithAsset, type Row } from '../support/domain';

const P = '/compat/portal/project_management';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function upload(who: Actor, assetId: string, name: string, text: string, folderId?: string) {
  const fd = new FormData();
  fd.append('name', name);
  if (folderId) fd.append('folder_id', folderId);
  fd.append('file', new Blob([text], { type: 'text/plain' }), name);
  const a = await call(`/v1/assets/${assetId}/data`, { headers: who.auth, body: fd });
  if (a.status !== 201) throw new Error(`upload: ${a.status} ${a.text}`);
  return a.body as Row;
}

describe('Portal folders, data and the data tab', () => {
  let w: Awaited<ReturnType<typeof privateProjectWithAsset>>;
  let asset: number;
  let top: Row; // a folder at the top level
  let inner: Row; // a folder inside it
  let readme: Row; // a file at the top level
  let notes: Row; // a file in `top`
  let other: Row; // another asset of the project, with its own file
  let otherFile: Row;

  beforeAll(async () => {
    w = await privateProjectWithAsset();
    asset = w.asset.number;
    top = await addFolder(w.editor, w.asset.id, 'Inspections');
    inner = await addFolder(w.editor, w.asset.id, '2024', top.id);
    readme = await upload(w.editor, w.asset.id, 'readme.txt', 'hello, portal');
    notes = await upload(w.editor, w.asset.id, 'notes.txt', '0123456789', top.id);
    other = await createAsset(w.editor, w.project.id);
    otherFile = await upload(w.editor, other.id, 'elsewhere.txt', 'x');
  });

  it('folders: the asset’s list and one by integer id, nested and flat, {id, asset, parent, name, created_at, updated_at}; another asset’s, hidden and missing answer the same 404', async () => {
    const list = await call(`${P}/assets/${asset}/folders/`, { headers: token(w.viewer) });
    expect(list.status, list.text).toBe(200);
    expect(roundTrips(list)).toBe(1);
    const topOut = { id: top.number, asset, parent: null, name: 'Inspections', created_at: expect.stringMatching(ISO_Z), updated_at: expect.stringMatching(ISO_Z) };
    expect(list.body).toMatchObject({ count: 2, next: null, previous: null });
    expect(list.body.results).toEqual(expect.arrayContaining([topOut, { ...topOut, id: inner.number, parent: top.number, name: '2024' }]));
    for (const path of [`${P}/assets/${asset}/folders/${inner.number}/`, `${P}/folders/${inner.number}/`, `${P}/folders/${inner.number}`]) {
      const a = await call(path, { headers: token(w.viewer) });
      expect([a.status, roundTrips(a)], a.text).toEqual([200, 1]);
      expect(a.body).toMatchObject({ id: inner.number, asset, parent: top.number, name: '2024' });
    }
    for (const [who, path] of [
      [w.viewer, `${P}/assets/${other.number}/folders/${inner.number}/`],
      [w.bystander, `${P}/folders/${inner.number}/`],
      [w.outsider, `${P}/assets/${asset}/folders/`],
      [w.viewer, `${P}/folders/999999999/`],
    ] as const) {
      expectDrf(await call(path, { headers: token(who) }), 404, { detail: DRF.notFound });
    }
  });

  it('data: the asset’s list and one by integer id, nested and flat, with its folder as an integer and an absolute download URL', async () => {
    const list = await call(`${P}/assets/${asset}/data/`, { headers: token(w.viewer) });
    expect(list.status, list.text).toBe(200);
    expect(list.body.count).toBe(2);
    const notesOut = {
      id: notes.number, asset, folder: top.number, name: 'notes.txt', mime_type: 'text/plain', size: 10, sha256: notes.sha256,
      file: `${ORIGIN}${P}/data/${notes.number}/download/`, created_at: expect.stringMatching(ISO_Z), updated_at: expect.stringMatching(ISO_Z),
    };
    expect(list.body.results).toContainEqual(notesOut);
    expect(list.body.results.find((d: any) => d.id === readme.number)).toMatchObject({ folder: null, size: 13 });
    for (const path of [`${P}/assets/${asset}/data/${notes.number}/`, `${P}/data/${notes.number}/`]) {
      const a = await call(path, { headers: token(w.viewer) });
      expect([a.status, roundTrips(a)]).toEqual([200, 1]);
      expect(a.body).toEqual(notesOut);
    }
    const paged = await call(`${P}/assets/${asset}/data/?limit=1`, { headers: token(w.viewer) });
    const rest = await call(paged.body.next, { headers: token(w.viewer) });
    expect([...paged.body.results, ...rest.body.results]).toEqual(list.body.results);
    expect(rest.body.next).toBeNull();
    expectDrf(await call(`${P}/assets/${asset}/data/${otherFile.number}/`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/data/${notes.number}/`, { headers: token(w.bystander) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/data/${notes.number}/`), 401, { detail: DRF.notAuthenticated });
  });

  it('downloads: the file from its URL, nested and flat; Range answers 206 with Content-Range, past the end 416 in DRF’s shape; If-None-Match 304; hidden = missing', async () => {
    for (const path of [`${P}/data/${notes.number}/download/`, `${P}/assets/${asset}/data/${notes.number}/download/`]) {
      const full = await call(path, { headers: token(w.viewer) });
      expect(full.status).toBe(200);
      expect(full.text).toBe('0123456789');
      expect(full.headers.get('Content-Disposition')).toContain('notes.txt');
      const part = await call(path, { headers: { ...token(w.viewer), Range: 'bytes=2-5' } });
      expect([part.status, part.text, part.headers.get('Content-Range')]).toEqual([206, '2345', 'bytes 2-5/10']);
      const past = await call(path, { headers: { ...token(w.viewer), Range: 'bytes=50-' } });
      expect(past.status).toBe(416);
      expect(Object.keys(past.body)).toEqual(['detail']);
      const etag = full.headers.get('ETag');
      if (etag) expect((await call(path, { headers: { ...token(w.viewer), 'If-None-Match': etag } })).status).toBe(304);
    }
    expectDrf(await call(`${P}/assets/${other.number}/data/${notes.number}/download/`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/data/${notes.number}/download/`, { headers: token(w.outsider) }), 404, { detail: DRF.notFound });
  });

  it('data tab: one level, folders then files by name, with folder_id=none or an integer; limit/offset walk it once; an unknown folder 404, a bad one 400', async () => {
    const root = await call(`${P}/assets/${asset}/data_tab/`, { headers: token(w.viewer) });
    expect(root.status, root.text).toBe(200);
    expect(roundTrips(root)).toBe(1);
    expect(root.body.results.map((i: any) => [i.type, i.id])).toEqual([['folder', top.number], ['data', readme.number]]);
    expect((await call(`${P}/assets/${asset}/data_tab/?folder_id=none`, { headers: token(w.viewer) })).body).toEqual(root.body);
    const level = await call(`${P}/assets/${asset}/data_tab/?folder_id=${top.number}&limit=1`, { headers: token(w.viewer) });
    expect(level.body).toMatchObject({ count: 2, previous: null, results: [{ type: 'folder', id: inner.number, parent: top.number }] });
    const next = await call(level.body.next, { headers: token(w.viewer) });
    expect(next.body).toMatchObject({ count: 2, next: null, results: [{ type: 'data', id: notes.number, folder: top.number, file: `${ORIGIN}${P}/data/${notes.number}/download/` }] });
    expect(next.body.previous).toBe(`${ORIGIN}${P}/assets/${asset}/data_tab/?folder_id=${top.number}&limit=1`);
    expectDrf(await call(`${P}/assets/${asset}/data_tab/?folder_id=999999999`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/assets/${other.number}/data_tab/?folder_id=${top.number}`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/assets/${asset}/data_tab/?folder_id=root`, { headers: token(w.viewer) }), 400, { folder_id: ['`none`, or a folder id.'] });
    expectDrf(await call(`${P}/assets/${asset}/data_tab/`, { headers: token(w.bystander) }), 404, { detail: DRF.notFound });
  });
});
