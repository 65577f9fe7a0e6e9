/**
 * Spheres (360° photos of an asset): upload (multipart, raw body, chunked), the image type checks,
 * read, the list (ordering, keyset paging), metadata updates with If-Match, delete with the R2
 * object, the image download (headers, ranges, conditional GET), and the rights: 401, 403 for a
 * project viewer, 404 exactly as a missing sphere when hidden, 409 in an archived project.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeUser, unique, type Actor } from './support/actors';
import { addProjectMember, createAsset, privateProjectWithAsset, type Row } from './support/domain';
import { download, eventually, links, r2Keys, sha256Hex } from './support/files';

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));
/** JPEG and WebP headers are what the type check reads; the rest stands in for the picture. */
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF', [0, 1, 1, 0, 0, 1, 0, 1, 0, 0], 'equirectangular pixels', [0xff, 0xd9]);
const WEBP = bytes('RIFF', [30, 0, 0, 0], 'WEBPVP8L', [1, 0, 0, 0], 'lossless pixels here');
const GIF = bytes('GIF89a', [1, 0, 1, 0, 0, 0, 0, 0x3b]);
const PDF = bytes('%PDF-1.7\n%just a document\n');
const TEXT = bytes('just some text, not a picture at all');

const ids = (a: Answer) => a.body.results.map((r: Row) => r.id);
const paths = (a: Answer) => a.body.errors.map((e: { path: string }) => e.path);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const tick = () => new Promise((r) => setTimeout(r, 5));

interface Image {
  bytes: Uint8Array;
  type: string;
  name?: string;
}

function sphereForm(fields: Record<string, string>, file?: Image): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([file.bytes], { type: file.type }), file.name ?? 'pano.png');
  return fd;
}

function upload(actor: Actor, assetId: string, fields: Record<string, string> = {}, file: Image | null = { bytes: PNG, type: 'image/png' }) {
  return call(`/v1/assets/${assetId}/spheres`, { method: 'POST', headers: actor.auth, body: sphereForm(fields, file ?? undefined) });
}

async function createSphere(actor: Actor, assetId: string, fields: Record<string, string> = {}, file?: Image) {
  const a = await upload(actor, assetId, { name: unique('Sphere '), ...fields }, file);
  if (a.status !== 201) throw new Error(`sphere upload failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** privateProjectWithAsset(), with its bystander (the org member outside the project) as `member`. */
async function world() {
  const { bystander: member, ...w } = await privateProjectWithAsset();
  return { ...w, member };
}

/** The 404 for a sphere id that does not exist at all (at `suffix` below it). */
async function missingSphere(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/spheres/${newId('sph')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  expect(a.body.detail).toBe('Sphere does not exist.');
  return sameProblem(a);
}

/** The 404 for an asset id that does not exist at all (at `suffix` below it). */
async function missingAsset(actor: Actor, suffix = '', method = 'GET', body?: FormData) {
  const a = await call(`/v1/assets/${newId('ast')}${suffix}`, { method, headers: actor.auth, body: body ?? null });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function imageKey(sphereId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT b.r2_key AS key FROM spheres s JOIN blobs b ON b.id = s.blob_id WHERE s.id = ?')
    .bind(sphereId)
    .first<{ key: string }>();
  if (!row) throw new Error('no sphere blob');
  return row.key;
}

describe('401 on every sphere route', () => {
  const S = '/v1/spheres/sph_01jd8z3b6q0w4y1r7k5t2m9xce';
  const A = '/v1/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['GET', `${A}/spheres`],
    ['POST', `${A}/spheres`],
    ['GET', `${A}/spheres/sph_01jd8z3b6q0w4y1r7k5t2m9xce`],
    ['GET', S],
    ['PATCH', S],
    ['DELETE', S],
    ['GET', `${S}/image`],
  ];
  it.each(routes)('%s %s without a token', async (method, path) => {
    const body = method === 'POST' ? sphereForm({ name: 'x' }, { bytes: PNG, type: 'image/png' }) : method === 'PATCH' ? JSON.stringify({ name: 'x' }) : null;
    const headers: Record<string, string> = method === 'PATCH' ? { 'Content-Type': 'application/json' } : {};
    const a = await call(path, { method, headers, body });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });

  it('answers 401 for a wrong token', async () => {
    const { asset } = await world();
    expectProblem(await call(`/v1/assets/${asset.id}/spheres`, { headers: { Authorization: 'Bearer fb_not-a-token-at-all' } }), 401);
  });
});

describe('upload', () => {
  it('takes multipart: 201 with Location and ETag, the image in R2 with its hash, a blob row; the GET matches', async () => {
    const w = await world();
    const before = await count('blobs');
    const a = await upload(w.editor, w.asset.id, { name: 'North face', captured_at: '2024-05-01T11:30:00+02:00', lat: '52.372760', lon: '4.893604', heading: '87.5' });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      asset: { id: w.asset.id, number: w.asset.number, name: w.asset.name },
      name: 'North face',
      captured_at: '2024-05-01T09:30:00.000Z',
      lat: 52.37276,
      lon: 4.893604,
      heading: 87.5,
      created_by: { id: w.editor.id, username: w.editor.username },
    });
    expect(a.body.id).toMatch(/^sph_/);
    expect(a.body.created_at).toMatch(ISO_TIME);
    expect(a.body.image).toEqual({ url: `/v1/spheres/${a.body.id}/image`, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });
    expect(a.headers.get('Location')).toBe(`/v1/spheres/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(await count('blobs')).toBe(before + 1);

    const key = await imageKey(a.body.id);
    expect(key.startsWith(`${w.org.id}/`)).toBe(true);
    const object = await env.FILES.get(key);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);
    expect(object!.httpMetadata?.contentType).toBe('image/png');

    const got = await call(a.headers.get('Location')!, { headers: w.viewer.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it('names the sphere after the file when no name is sent, and leaves the optional fields null', async () => {
    const w = await world();
    const a = await upload(w.editor, w.asset.id, {}, { bytes: JPEG, type: 'image/jpeg', name: 'IMG_0042.jpg' });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ name: 'IMG_0042.jpg', captured_at: null, lat: null, lon: null, heading: null });
    expect(a.body.image.mime_type).toBe('image/jpeg');
  });

  it('takes JPEG, PNG and WebP; an undeclared type (octet-stream) is settled from the content', async () => {
    const w = await world();
    for (const [data, type, expected] of [
      [JPEG, 'image/jpeg', 'image/jpeg'],
      [PNG, 'image/png', 'image/png'],
      [WEBP, 'image/webp', 'image/webp'],
      [WEBP, 'application/octet-stream', 'image/webp'],
    ] as const) {
      const a = await upload(w.editor, w.asset.id, { name: 'x' }, { bytes: data, type });
      expect(a.status, `${type}: ${a.text}`).toBe(201);
      expect(a.body.image).toMatchObject({ mime_type: expected, size: data.byteLength, sha256: await sha256Hex(data) });
    }
  });

  it('takes the image as a raw body, with the metadata in the query and the name in X-File-Name', async () => {
    const w = await world();
    const a = await call(`/v1/assets/${w.asset.id}/spheres?captured_at=2024-06-01T08:00:00Z&lat=-33.5&lon=151.25&heading=360`, {
      method: 'POST',
      headers: { ...w.editor.auth, 'Content-Type': 'image/jpeg', 'X-File-Name': encodeURIComponent('Façade est.jpg') },
      body: JPEG,
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ name: 'Façade est.jpg', captured_at: '2024-06-01T08:00:00.000Z', lat: -33.5, lon: 151.25, heading: 360 });
    expect(a.body.image).toMatchObject({ mime_type: 'image/jpeg', size: JPEG.byteLength, sha256: await sha256Hex(JPEG) });
    const named = await call(`/v1/assets/${w.asset.id}/spheres?name=From%20query`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'application/octet-stream' }, body: PNG });
    expect(named.status, named.text).toBe(201);
    expect(named.body).toMatchObject({ name: 'From query', image: { mime_type: 'image/png' } });
  });

  it('streams a chunked body of unknown length, its first bytes split across chunks', async () => {
    const w = await world();
    const chunks = [PNG.subarray(0, 5), PNG.subarray(5, 11), PNG.subarray(11)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });
    const a = await call(`/v1/assets/${w.asset.id}/spheres?name=Chunked`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'image/png' }, body: stream });
    expect(a.status, a.text).toBe(201);
    expect(a.body.image).toMatchObject({ mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });
    const object = await env.FILES.get(await imageKey(a.body.id));
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);
  });

  it('on an asset of the organisation alone: its admins upload, its members read and get 403 on upload', async () => {
    const w = await world();
    const created = await call('/v1/assets', { headers: w.admin.auth, json: { organization: w.org.slug, name: 'Depot' } });
    expect(created.status, created.text).toBe(201);
    const depot = created.body as Row;
    const s = await createSphere(w.admin, depot.id);
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.member.auth })).status).toBe(200);
    expectProblem(await upload(w.member, depot.id, { name: 'Mine' }), 403, 'forbidden');
    expectProblem(await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: w.editor.auth }), 403, 'forbidden');
    expect(sameProblem(await call(`/v1/spheres/${s.id}`, { headers: w.outsider.auth }))).toEqual(await missingSphere(w.outsider));
  });

  it('lets the editor, a project manager and an org admin upload', async () => {
    const w = await world();
    const manager = await makeUser();
    await addProjectMember(w.admin, w.project.id, manager, 'manager');
    for (const who of [w.editor, manager, w.admin]) expect((await upload(who, w.asset.id, { name: 'ok' })).status, who.username).toBe(201);
  });
});

describe('upload: the image is checked against its content', () => {
  const NOT_AN_IMAGE = /^Send a JPEG, PNG or WebP image/;
  it.each([
    ['text declared as a JPEG', { bytes: TEXT, type: 'image/jpeg' }, NOT_AN_IMAGE],
    ['a GIF (not a sphere type)', { bytes: GIF, type: 'image/gif' }, NOT_AN_IMAGE],
    ['a GIF sent as octet-stream', { bytes: GIF, type: 'application/octet-stream' }, NOT_AN_IMAGE],
    ['a PDF declared as a PNG', { bytes: PDF, type: 'image/png' }, NOT_AN_IMAGE],
    ['an empty file', { bytes: new Uint8Array(0), type: 'image/png' }, NOT_AN_IMAGE],
    ['five bytes', { bytes: PNG.subarray(0, 5), type: 'image/png' }, NOT_AN_IMAGE],
    ['a PNG declared as a JPEG', { bytes: PNG, type: 'image/jpeg' }, /^Declared as image\/jpeg but the content is image\/png/],
  ])('answers 400 naming file for %s, storing nothing', async (_what, file, message) => {
    const w = await world();
    const keys = await r2Keys(`${w.org.id}/`);
    const blobs = await count('blobs');
    const a = await upload(w.editor, w.asset.id, { name: 'Bad' }, file);
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['file']);
    expect(a.body.errors[0].message).toMatch(message);
    expect(await count('spheres', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await count('blobs')).toBe(blobs);
    expect(await r2Keys(`${w.org.id}/`)).toEqual(keys);
  });

  it('answers 400 for a raw body that is not an image, storing nothing', async () => {
    const w = await world();
    const a = await call(`/v1/assets/${w.asset.id}/spheres?name=x`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'image/png' }, body: TEXT });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['file']);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 415 for a raw body of another media type', async () => {
    const w = await world();
    const a = await call(`/v1/assets/${w.asset.id}/spheres?name=x`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'text/plain' }, body: 'hello' });
    expectProblem(a, 415, 'unsupported-media-type');
    const json = await call(`/v1/assets/${w.asset.id}/spheres`, { headers: w.editor.auth, json: { name: 'x' } });
    expectProblem(json, 415, 'unsupported-media-type');
  });
});

describe('upload: 400 names the field', () => {
  it.each([
    ['captured_at', { captured_at: 'yesterday' }],
    ['captured_at', { captured_at: '2024-05-01T09:30:00' }],
    ['captured_at', { captured_at: '2024-13-01T09:30:00Z' }],
    ['lat', { lat: '91' }],
    ['lat', { lat: 'north' }],
    ['lon', { lon: '-180.5' }],
    ['heading', { heading: '360.1' }],
    ['heading', { heading: '-1' }],
    ['heading', { heading: 'east' }],
    ['name', { name: '   ' }],
    ['name', { name: 'x'.repeat(201) }],
  ])('answers 400 naming %s, storing nothing', async (path, fields) => {
    const w = await world();
    const a = await upload(w.editor, w.asset.id, fields as Record<string, string>);
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual([path]);
    expect(await count('spheres', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 400 naming file when there is none, with the other fields wrong too', async () => {
    const w = await world();
    const a = await upload(w.editor, w.asset.id, { name: 'No file', lat: '100' }, null);
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a).sort()).toEqual(['file', 'lat']);
    const raw = await call(`/v1/assets/${w.asset.id}/spheres?name=x`, { method: 'POST', headers: w.editor.auth });
    expectProblem(raw, 400, 'invalid-request');
    expect(paths(raw)).toEqual(['file']);
  });

  it('answers 400 naming the query field for a raw body', async () => {
    const w = await world();
    const a = await call(`/v1/assets/${w.asset.id}/spheres?name=x&heading=400`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'image/png' }, body: PNG });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['heading']);
  });
});

describe('upload: limits and rights', () => {
  it('answers 413 for a multipart body over the upload limit, storing nothing', async () => {
    const w = await world();
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(PNG.subarray(0, 16));
    const a = await upload(w.editor, w.asset.id, { name: 'Big' }, { bytes: big, type: 'image/png' });
    expectProblem(a, 413, 'payload-too-large');
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 413 for a raw body over the limit, announced or chunked, storing nothing', async () => {
    const w = await world();
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(PNG.subarray(0, 16));
    const announced = await call(`/v1/assets/${w.asset.id}/spheres?name=Big`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'image/png' }, body: big });
    expectProblem(announced, 413, 'payload-too-large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < big.byteLength; at += 256 * 1024) controller.enqueue(big.slice(at, at + 256 * 1024));
        controller.close();
      },
    });
    const chunked = await call(`/v1/assets/${w.asset.id}/spheres?name=Big`, { method: 'POST', headers: { ...w.editor.auth, 'Content-Type': 'image/png' }, body: stream });
    expectProblem(chunked, 413, 'payload-too-large');
    expect(await count('spheres', 'asset_id = ?', w.asset.id)).toBe(0);
    expect(await eventually(async () => (await r2Keys(`${w.org.id}/`)).length === 0)).toBe(true);
  });

  it('answers 403 to a project viewer, storing nothing', async () => {
    const w = await world();
    const a = await upload(w.viewer, w.asset.id, { name: 'Mine' });
    expectProblem(a, 403, 'forbidden');
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 404 exactly as a missing asset to those who may not see the asset', async () => {
    const w = await world();
    for (const who of [w.member, w.outsider]) {
      const a = await upload(who, w.asset.id, { name: 'Sneaky' });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingAsset(who, '/spheres', 'POST', sphereForm({ name: 'x' }, { bytes: PNG, type: 'image/png' })));
    }
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 409 archived in an archived project or organisation', async () => {
    const w = await world();
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await upload(w.editor, w.asset.id, { name: 'Late' }), 409, 'archived');
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: false } })).status).toBe(200);
    expect((await upload(w.editor, w.asset.id, { name: 'Back' })).status).toBe(201);
    expect((await call(`/v1/organizations/${w.org.slug}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await upload(w.admin, w.asset.id, { name: 'Late' }), 409, 'archived');
  });
});

describe('get', () => {
  it('answers on the flat and the nested route alike, in one D1 round trip, with If-None-Match 304', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    const flat = await call(`/v1/spheres/${s.id}`, { headers: w.viewer.auth });
    expect(flat.status).toBe(200);
    expect(flat.body).toEqual(s);
    expect(roundTrips(flat)).toBe(1);
    const nested = await call(`/v1/assets/${w.asset.id}/spheres/${s.id}`, { headers: w.viewer.auth });
    expect(nested.status).toBe(200);
    expect(nested.body).toEqual(s);
    expect(nested.headers.get('ETag')).toBe(flat.headers.get('ETag'));
    expect(roundTrips(nested)).toBe(1);
    const cached = await call(`/v1/spheres/${s.id}`, { headers: { ...w.viewer.auth, 'If-None-Match': flat.headers.get('ETag')! } });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
  });

  it('hides a sphere from those who may not see the asset: 404 as a missing one, in one round trip', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    for (const who of [w.member, w.outsider]) {
      const flat = await call(`/v1/spheres/${s.id}`, { headers: who.auth });
      expectProblem(flat, 404, 'not-found');
      expect(sameProblem(flat)).toEqual(await missingSphere(who));
      expect(roundTrips(flat)).toBe(1);
      const nested = await call(`/v1/assets/${w.asset.id}/spheres/${s.id}`, { headers: who.auth });
      expect(sameProblem(nested)).toEqual(await missingAsset(who, `/spheres/${s.id}`));
      const image = await download(`/v1/spheres/${s.id}/image`, who.auth);
      expect(sameProblem(image)).toEqual(await missingSphere(who, '/image'));
    }
  });

  it('opens the sphere to every org member once the project is open to the organisation', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.member.auth })).status).toBe(404);
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { access: 'organization' } })).status).toBe(200);
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.member.auth })).status).toBe(200);
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.outsider.auth })).status).toBe(404);
  });

  it('hides the spheres of a project in the trash', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    for (const who of [w.editor, w.admin]) {
      const a = await call(`/v1/spheres/${s.id}`, { headers: who.auth });
      expect(sameProblem(a)).toEqual(await missingSphere(who));
    }
  });

  it('answers 404 on the nested route for a sphere of another asset, as for a missing sphere', async () => {
    const w = await world();
    const other = await createAsset(w.editor, w.project.id);
    const s = await createSphere(w.editor, other.id);
    const a = await call(`/v1/assets/${w.asset.id}/spheres/${s.id}`, { headers: w.editor.auth });
    expectProblem(a, 404, 'not-found');
    const random = await call(`/v1/assets/${w.asset.id}/spheres/${newId('sph')}`, { headers: w.editor.auth });
    expect(sameProblem(a)).toEqual(sameProblem(random));
    expect(a.body.detail).toContain('Sphere');
  });
});

describe('list', () => {
  it("lists the asset's spheres only, ordered by captured_at (undated first), in one round trip", async () => {
    const w = await world();
    const other = await createAsset(w.editor, w.project.id);
    await createSphere(w.editor, other.id);
    const late = await createSphere(w.editor, w.asset.id, { name: 'b-late', captured_at: '2024-05-02T00:00:00Z' });
    const early = await createSphere(w.editor, w.asset.id, { name: 'c-early', captured_at: '2024-05-01T00:00:00Z' });
    const undated = await createSphere(w.editor, w.asset.id, { name: 'a-undated' });
    const a = await call(`/v1/assets/${w.asset.id}/spheres`, { headers: w.viewer.auth });
    expect(a.status).toBe(200);
    expect(a.body.count).toBe(3);
    expect(ids(a)).toEqual([undated.id, early.id, late.id]);
    expect(a.body.results[1]).toEqual(early);
    expect(roundTrips(a)).toBe(1);
    expect(a.body.next).toBeNull();
    expect(a.body.previous).toBeNull();

    const desc = await call(`/v1/assets/${w.asset.id}/spheres?ordering=-captured_at`, { headers: w.viewer.auth });
    expect(ids(desc)).toEqual([late.id, early.id, undated.id]);
    const byName = await call(`/v1/assets/${w.asset.id}/spheres?ordering=name`, { headers: w.viewer.auth });
    expect(ids(byName)).toEqual([undated.id, late.id, early.id]);
    const byCreated = await call(`/v1/assets/${w.asset.id}/spheres?ordering=-created_at`, { headers: w.viewer.auth });
    expect(ids(byCreated)).toEqual([undated.id, early.id, late.id]);
  });

  it('pages with limit and keyset cursors across undated spheres', async () => {
    const w = await world();
    const made: Row[] = [];
    for (const at of [null, '2024-01-03T00:00:00Z', null, '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z']) {
      made.push(await createSphere(w.editor, w.asset.id, at ? { captured_at: at } : {}));
      await tick();
    }
    const all = await call(`/v1/assets/${w.asset.id}/spheres?limit=200`, { headers: w.editor.auth });
    expect(all.body.count).toBe(5);
    const order = ids(all);
    const seen: string[] = [];
    let next: string | null = `/v1/assets/${w.asset.id}/spheres?limit=2`;
    let pages = 0;
    while (next) {
      const page: Answer = await call(next, { headers: w.editor.auth });
      expect(page.status, page.text).toBe(200);
      expect(page.body.count).toBe(5);
      seen.push(...ids(page));
      expect(links(page.headers.get('Link')).first).toBeTruthy();
      next = page.body.next;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(order);
    const back = await call(`/v1/assets/${w.asset.id}/spheres?page=2&page_size=2`, { headers: w.editor.auth });
    expect(ids(back)).toEqual(order.slice(2, 4));
    const previous = await call(back.body.previous, { headers: w.editor.auth });
    expect(ids(previous)).toEqual(order.slice(0, 2));
  });

  it('answers 400 naming ordering for a field it does not order by', async () => {
    const w = await world();
    const a = await call(`/v1/assets/${w.asset.id}/spheres?ordering=heading`, { headers: w.editor.auth });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['ordering']);
    const limit = await call(`/v1/assets/${w.asset.id}/spheres?limit=0`, { headers: w.editor.auth });
    expect(paths(limit)).toEqual(['limit']);
  });

  it('answers 404 as for a missing asset to those who may not see it, in one round trip', async () => {
    const w = await world();
    await createSphere(w.editor, w.asset.id);
    for (const who of [w.member, w.outsider]) {
      const a = await call(`/v1/assets/${w.asset.id}/spheres`, { headers: who.auth });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingAsset(who, '/spheres'));
      expect(roundTrips(a)).toBe(1);
    }
  });
});

describe('update', () => {
  it('changes the metadata; null clears a field; the ETag changes; the image stays', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id, { lat: '10', lon: '20', heading: '30', captured_at: '2024-05-01T00:00:00Z' });
    const before = (await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth })).headers.get('ETag');
    await tick();
    const a = await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Renamed', lat: null, heading: '45.5', captured_at: '2024-05-01T03:00:00+01:00' } });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ name: 'Renamed', lat: null, lon: 20, heading: 45.5, captured_at: '2024-05-01T02:00:00.000Z', image: s.image });
    expect(a.body.updated_at > s.updated_at).toBe(true);
    expect(a.body.created_at).toBe(s.created_at);
    expect(a.headers.get('ETag')).not.toBe(before);
    const got = await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth });
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
    const cleared = await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: w.editor.auth, json: { captured_at: null } });
    expect(cleared.body.captured_at).toBeNull();
  });

  it.each([
    ['heading', { heading: 500 }],
    ['lat', { lat: -91 }],
    ['captured_at', { captured_at: 'not a time' }],
    ['name', { name: '' }],
    ['image', { image: 'x' }],
  ])('answers 400 naming %s', async (path, json) => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    const a = await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: w.editor.auth, json });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual([path]);
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth })).body).toEqual(s);
  });

  it('answers 412 for a stale If-Match and applies a current one', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    const etag = (await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    const first = await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'First' } });
    expect(first.status, first.text).toBe(200);
    const stale = await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'Second' } });
    expectProblem(stale, 412, 'precondition-failed');
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth })).body.name).toBe('First');
  });

  it('answers 403 to a viewer, 404 as a missing sphere to those who may not see it, 409 when archived', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    expectProblem(await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'Mine' } }), 403, 'forbidden');
    for (const who of [w.member, w.outsider]) {
      const a = await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: who.auth, json: { name: 'Mine' } });
      expect(sameProblem(a)).toEqual(await missingSphere(who, '', 'PATCH', { name: 'Mine' }));
    }
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Late' } }), 409, 'archived');
    expect((await call(`/v1/spheres/${s.id}`, { headers: w.viewer.auth })).body.name).toBe(s.name);
  });
});

describe('delete', () => {
  it('removes the rows and then the R2 object; the sphere is gone', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    const keep = await createSphere(w.editor, w.asset.id);
    const key = await imageKey(s.id);
    const blobs = await count('blobs');
    expect(await env.FILES.head(key)).not.toBeNull();
    const a = await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: w.editor.auth });
    expect(a.status, a.text).toBe(204);
    expect(await count('spheres', 'id = ?', s.id)).toBe(0);
    expect(await count('blobs')).toBe(blobs - 1);
    expect(await count('changes', "op = 'delete' AND entity_type = 'sphere' AND entity_id = ? AND organization_id = ? AND at > 0", s.id, w.org.id)).toBe(1);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
    expect(await env.FILES.head(await imageKey(keep.id))).not.toBeNull();
    expect(sameProblem(await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth }))).toEqual(await missingSphere(w.editor));
    expect(ids(await call(`/v1/assets/${w.asset.id}/spheres`, { headers: w.editor.auth }))).toEqual([keep.id]);
  });

  it('answers 412 for a stale If-Match, keeping everything, and deletes with a current one', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    const etag = (await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    await call(`/v1/spheres/${s.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Changed' } });
    const stale = await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': etag } });
    expectProblem(stale, 412, 'precondition-failed');
    expect(await count('spheres', 'id = ?', s.id)).toBe(1);
    expect(await count('changes', "op = 'delete' AND entity_id = ?", s.id)).toBe(0);
    expect(await env.FILES.head(await imageKey(s.id))).not.toBeNull();
    const current = (await call(`/v1/spheres/${s.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    expect((await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': current } })).status).toBe(204);
  });

  it('answers 403 to a viewer, 404 as a missing sphere to those who may not see it, 409 when archived; nothing goes', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    expectProblem(await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403, 'forbidden');
    for (const who of [w.member, w.outsider]) {
      const a = await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: who.auth });
      expect(sameProblem(a)).toEqual(await missingSphere(who, '', 'DELETE'));
    }
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: w.editor.auth }), 409, 'archived');
    expect(await count('spheres', 'id = ?', s.id)).toBe(1);
    expect(await env.FILES.head(await imageKey(s.id))).not.toBeNull();
  });
});

describe('image download', () => {
  it('serves the bytes inline with type, length, disposition, nosniff, ETag and Last-Modified, in one D1 round trip', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id, { name: 'Nord Ünïcode' }, { bytes: JPEG, type: 'image/jpeg', name: 'x.jpg' });
    const d = await download(`/v1/spheres/${s.id}/image`, w.viewer.auth);
    expect(d.status).toBe(200);
    expect(d.bytes).toEqual(JPEG);
    expect(d.headers.get('Content-Type')).toBe('image/jpeg');
    expect(d.headers.get('Content-Length')).toBe(String(JPEG.byteLength));
    expect(d.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(d.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(new Date(d.headers.get('Last-Modified')!).getTime()).not.toBeNaN();
    expect(d.headers.get('Accept-Ranges')).toBe('bytes');
    const disposition = d.headers.get('Content-Disposition')!;
    expect(disposition).toMatch(/^inline; /);
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent('Nord Ünïcode')}.jpg`);
    expect(roundTrips(d)).toBe(1);
  });

  it('answers ranges (206), 416 past the end, and If-None-Match (304)', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    const path = `/v1/spheres/${s.id}/image`;
    const full = await download(path, w.editor.auth);
    const etag = full.headers.get('ETag')!;
    const head = await download(path, { ...w.editor.auth, Range: 'bytes=0-7' });
    expect(head.status).toBe(206);
    expect(head.bytes).toEqual(PNG.subarray(0, 8));
    expect(head.headers.get('Content-Range')).toBe(`bytes 0-7/${PNG.byteLength}`);
    expect(head.headers.get('Content-Length')).toBe('8');
    const tail = await download(path, { ...w.editor.auth, Range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.bytes).toEqual(PNG.subarray(PNG.byteLength - 10));
    const beyond = await download(path, { ...w.editor.auth, Range: `bytes=${PNG.byteLength}-` });
    expectProblem(beyond, 416);
    expect(beyond.headers.get('Content-Range')).toBe(`bytes */${PNG.byteLength}`);
    const notModified = await download(path, { ...w.editor.auth, 'If-None-Match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.bytes.byteLength).toBe(0);
    expect((await download(path, { ...w.editor.auth, 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('answers 404 once the sphere is deleted', async () => {
    const w = await world();
    const s = await createSphere(w.editor, w.asset.id);
    expect((await call(`/v1/spheres/${s.id}`, { method: 'DELETE', headers: w.editor.auth })).status).toBe(204);
    const gone = await download(`/v1/spheres/${s.id}/image`, w.editor.auth);
    expect(sameProblem(gone)).toEqual(await missingSphere(w.editor, '/image'));
  });
});

describe('failures between R2 and D1', () => {
  it('removes the stored object when the rows cannot be written (the asset went meanwhile)', async () => {
    const w = await world();
    // Delete the asset between the rights check and the insert: the rights check reads it, the
    // insert's foreign key fails. Simulated by a trigger that deletes the asset when a blob row lands.
    await env.DB.prepare(
      `CREATE TRIGGER IF NOT EXISTS test_sphere_race AFTER INSERT ON blobs WHEN NEW.r2_key LIKE '${w.org.id}/sphere/%'
       BEGIN DELETE FROM assets WHERE id = '${w.asset.id}'; END`,
    ).run();
    try {
      const a = await upload(w.editor, w.asset.id, { name: 'Racing' });
      expectProblem(a, 404, 'not-found');
      expect(await count('spheres', 'asset_id = ?', w.asset.id)).toBe(0);
      expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(0);
      expect(await eventually(async () => (await r2Keys(`${w.org.id}/`)).length === 0)).toBe(true);
    } finally {
      await env.DB.prepare('DROP TRIGGER IF EXISTS test_sphere_race').run();
    }
  });
});
