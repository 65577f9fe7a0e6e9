/**
 * The Portal dialect's reports and spheres (seed 000): reports created by multipart with integer
 * `project` and `asset` and a file, read, changed, deleted and downloaded (Range) flat and under
 * their asset; spheres listed and read nested and flat. Hidden = missing, DRF's errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DRF } from '../../src/compat/drf';
import { call, ORIGIN, roundTrips, type Answer } from '../support/api';
import { expectJsonError as expectDrf } from '../support/answers';
import { count, type Actor } from '../support/actors';
import { createAsset, privateProjectWithAsset, type Row } from '../support/domain';
import { PNG } from '../support/world';

const P = '/compat/portal/project_management';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const form = (fields: Record<string, string>, file?: { text: string; name: string }) => {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([file.text], { type: 'text/plain' }), file.name);
  return fd;
};

describe('Portal reports', () => {
  let w: Awaited<ReturnType<typeof privateProjectWithAsset>>;
  let other: Row;

  beforeAll(async () => {
    w = await privateProjectWithAsset();
    other = await createAsset(w.editor, w.project.id);
  });

  it('POST /reports/ (multipart: name, description, status, project, asset as integers, file) creates it: 201 in the seed’s shape with an absolute download URL; the file downloads with Range', async () => {
    const a = await call(`${P}/reports/`, {
      headers: token(w.editor),
      body: form({ name: 'Inspection 1', description: 'North side', status: 'final', project: String(w.project.number), asset: String(w.asset.number) }, { text: 'report body', name: 'r.txt' }),
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      id: expect.any(Number), project: w.project.number, asset: w.asset.number, name: 'Inspection 1', description: 'North side', status: 'final',
      file: `${ORIGIN}${P}/reports/${a.body.id}/download/`, mime_type: 'text/plain', size: 11, sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      created_at: expect.stringMatching(ISO_Z), updated_at: expect.stringMatching(ISO_Z),
    });
    for (const url of [a.body.file, `${P}/assets/${w.asset.number}/reports/${a.body.id}/download/`]) {
      const full = await call(url, { headers: token(w.viewer) });
      expect([full.status, full.text]).toEqual([200, 'report body']);
      const part = await call(url, { headers: { ...token(w.viewer), Range: 'bytes=0-5' } });
      expect([part.status, part.text, part.headers.get('Content-Range')]).toEqual([206, 'report', 'bytes 0-5/11']);
    }
    expectDrf(await call(`${P}/assets/${other.number}/reports/${a.body.id}/download/`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
    expectDrf(await call(a.body.file, { headers: token(w.bystander) }), 404, { detail: DRF.notFound });
    // JSON without a file; the report has no download.
    const plain = await call(`${P}/reports/`, { headers: token(w.editor), json: { project: w.project.number, name: 'Plain' } });
    expect(plain.status, plain.text).toBe(201);
    expect(plain.body).toMatchObject({ asset: null, file: null, status: 'draft' });
    expectDrf(await call(`${P}/reports/${plain.body.id}/download/`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
  });

  it('POST /reports/ refuses in DRF’s shape: 400 naming the seed’s fields, 403 for the viewer, 404 for a hidden project', async () => {
    const before = await count('reports');
    expectDrf(await call(`${P}/reports/`, { headers: token(w.editor), body: form({ name: 'x' }) }), 400, { project: [DRF.required] });
    expectDrf(await call(`${P}/reports/`, { headers: token(w.editor), body: form({ project: String(w.project.number) }) }), 400, { name: [expect.any(String)] });
    expectDrf(await call(`${P}/reports/`, { headers: token(w.editor), body: form({ name: 'x', project: String(w.project.number), asset: '999999999' }) }), 400, { asset: [expect.any(String)] });
    expectDrf(await call(`${P}/reports/`, { headers: token(w.editor), body: form({ name: 'x', project: 'abc' }) }), 400, { project: ['An integer id.'] });
    expectDrf(await call(`${P}/reports/`, { headers: token(w.viewer), body: form({ name: 'x', project: String(w.project.number) }) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/reports/`, { headers: token(w.bystander), body: form({ name: 'x', project: String(w.project.number) }) }), 404, { detail: DRF.notFound });
    expect(await count('reports')).toBe(before);
  });

  it('GET, PATCH and DELETE /reports/{id}/ by integer id; the list and the asset’s list walk once; another asset’s, hidden and missing answer the same 404', async () => {
    const made: number[] = [];
    for (const name of ['A', 'B', 'C']) {
      const r = await call(`${P}/reports/`, { headers: token(w.editor), json: { project: w.project.number, asset: w.asset.number, name } });
      made.push(r.body.id);
    }
    const got = await call(`${P}/reports/${made[0]}/`, { headers: token(w.viewer) });
    expect([got.status, got.body.name, roundTrips(got)]).toEqual([200, 'A', 1]);
    expect((await call(`${P}/assets/${w.asset.number}/reports/${made[0]}/`, { headers: token(w.viewer) })).body).toEqual(got.body);
    expectDrf(await call(`${P}/assets/${other.number}/reports/${made[0]}/`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/reports/${made[0]}/`, { headers: token(w.outsider) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/reports/999999999/`, { headers: token(w.viewer) }), 404, { detail: DRF.notFound });

    const patched = await call(`${P}/reports/${made[0]}/`, { method: 'PATCH', headers: token(w.editor), json: { status: 'final', description: 'Done' } });
    expect(patched.body).toMatchObject({ id: made[0], status: 'final', description: 'Done' });
    expectDrf(await call(`${P}/reports/${made[0]}/`, { method: 'PATCH', headers: token(w.viewer), json: { status: 'draft' } }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/reports/${made[0]}/`, { method: 'PATCH', headers: token(w.editor), json: { status: 'lost' } }), 400, { status: [expect.any(String)] });

    for (const url of [`${P}/reports/?limit=2`, `${P}/assets/${w.asset.number}/reports/?limit=2`]) {
      const ids: number[] = [];
      let next: string | null = url;
      while (next) {
        const page: Answer = await call(next, { headers: token(w.viewer) });
        expect(page.status).toBe(200);
        ids.push(...page.body.results.map((r: any) => r.id));
        next = page.body.next;
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(made));
    }
    expect((await call(`${P}/reports/`, { headers: token(w.bystander) })).body.results.map((r: any) => r.id)).not.toContain(made[0]);

    expectDrf(await call(`${P}/reports/${made[1]}/`, { method: 'DELETE', headers: token(w.viewer) }), 403, { detail: DRF.forbidden });
    expect((await call(`${P}/reports/${made[1]}/`, { method: 'DELETE', headers: token(w.editor) })).status).toBe(204);
    expectDrf(await call(`${P}/reports/${made[1]}/`, { headers: token(w.editor) }), 404, { detail: DRF.notFound });
  });
});

describe('Portal spheres', () => {
  it('lists an asset’s spheres and reads one nested and flat, by integer id, the image as an absolute URL; another asset’s, hidden and missing answer 404', async () => {
    const w = await privateProjectWithAsset();
    const other = await createAsset(w.editor, w.project.id);
    const fd = new FormData();
    for (const [k, v] of Object.entries({ name: 'North face', captured_at: '2024-05-01T11:30:00+02:00', lat: '52.37276', lon: '4.893604', heading: '87.5' })) fd.append(k, v);
    fd.append('file', new Blob([PNG], { type: 'image/png' }), 'n.png');
    const made = await call(`/v1/assets/${w.asset.id}/spheres`, { headers: w.editor.auth, body: fd });
    expect(made.status, made.text).toBe(201);
    const expected = {
      id: made.body.number, asset: w.asset.number, name: 'North face', captured_at: '2024-05-01T09:30:00.000Z', lat: '52.372760', lon: '4.893604', heading: 87.5,
      image: `${ORIGIN}/v1/spheres/${made.body.id}/image`, mime_type: 'image/png', size: PNG.byteLength, sha256: made.body.image.sha256,
      created_at: expect.stringMatching(ISO_Z), updated_at: expect.stringMatching(ISO_Z),
    };
    const list = await call(`${P}/assets/${w.asset.number}/spheres/`, { headers: token(w.viewer) });
    expect([list.status, roundTrips(list)], list.text).toEqual([200, 1]);
    expect(list.body).toEqual({ count: 1, next: null, previous: null, results: [expected] });
    for (const path of [`${P}/assets/${w.asset.number}/spheres/${made.body.number}/`, `${P}/spheres/${made.body.number}/`]) {
      const a = await call(path, { headers: token(w.viewer) });
      expect([a.status, a.body, roundTrips(a)]).toEqual([200, expected, 1]);
    }
    expect((await call(expected.image, { headers: token(w.viewer) })).status).toBe(200);
    for (const [who, path] of [
      [w.viewer, `${P}/assets/${other.number}/spheres/${made.body.number}/`],
      [w.bystander, `${P}/spheres/${made.body.number}/`],
      [w.outsider, `${P}/assets/${w.asset.number}/spheres/`],
      [w.viewer, `${P}/spheres/999999999/`],
    ] as const) {
      expectDrf(await call(path, { headers: token(who) }), 404, { detail: DRF.notFound });
    }
  });
});
