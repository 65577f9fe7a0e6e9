/**
 * Resources (seed 004): uploads attached to organisations, projects, assets and reports; lists
 * with filters, search and ordering; get, patch, archive, replace the file, delete, download;
 * attach and detach across organisations; deduplicated bytes with reference counting; the
 * sweep of dangling attachments; and the rights: 401, 403, 404 exactly as for a missing id,
 * 409 for archived parents, 412, 413.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../src/index';
import { newId } from '../src/lib/ids';
import { SWEEP_GRACE_MS, sweepOrphans } from '../src/storage/sweep';
import { call, expectProblem, ORIGIN, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { checkContract } from './support/contract';
import { ok, type Row } from './support/domain';
import { eventually, r2Keys, sha256Hex } from './support/files';

const LIMIT = 2 * 1024 * 1024; // UPLOAD_MAX_BYTES in vitest.config.ts
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/;
const text = (s: string) => new TextEncoder().encode(s);
const ids = (a: Answer) => a.body.results.map((r: Row) => r.id).sort();
const paths = (a: Answer) => (a.body.errors ?? []).map((e: { path: string }) => e.path);

export async function download(path: string, headers: Record<string, string>) {
  const res = await exports.default.fetch(new Request(ORIGIN + path, { headers }));
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('Content-Type') ?? '';
  const body = type.includes('json') ? new TextDecoder().decode(bytes) : '';
  const answer: Answer = { res, status: res.status, headers: res.headers, body: body ? JSON.parse(body) : '', text: body };
  checkContract('GET', path, answer);
  return { ...answer, bytes };
}

/**
 * Organisation A: admin, a private project with an editor and a viewer, an asset and a report in
 * it; a bystander (member of A outside the project). Organisation B: its admin (the outsider to
 * A) and a project. A bridge: editor in A's project and admin of B.
 */
async function world() {
  const admin = await makeUser();
  const editor = await makeUser();
  const viewer = await makeUser();
  const bystander = await makeUser();
  const bridge = await makeUser();
  const org = await makeOrg(admin, [editor, viewer, bystander, bridge]);
  const project = await ok(call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, json: { name: unique('P '), access: 'private' } }));
  for (const [u, role] of [
    [editor, 'editor'],
    [viewer, 'viewer'],
    [bridge, 'editor'],
  ] as const) {
    await ok(call(`/v1/projects/${project.id}/members`, { headers: admin.auth, json: { user: u.id, role } }));
  }
  const asset = await ok(call(`/v1/projects/${project.id}/assets`, { headers: editor.auth, json: { name: unique('Asset ') } }));
  const report = await ok(call('/v1/reports', { headers: editor.auth, json: { project_id: project.id, name: 'Inspection' } }));
  const outsider = await makeUser();
  const orgB = await makeOrg(outsider);
  await ok(call(`/v1/organizations/${orgB.slug}/members`, { headers: outsider.auth, json: { user: bridge.id, role: 'admin' } }));
  const projectB = await ok(call(`/v1/organizations/${orgB.slug}/projects`, { headers: outsider.auth, json: { name: unique('PB ') } }));
  return { admin, editor, viewer, bystander, bridge, outsider, org, orgB, project, projectB, asset, report, prefix: `${org.id}/resource/` };
}

function form(file: { bytes: Uint8Array; type: string; name: string } | null, fields: [string, string][] = []): FormData {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  if (file) fd.append('file', new Blob([file.bytes], { type: file.type }), file.name);
  return fd;
}

function post(actor: Actor, path: string, bytes: Uint8Array | null, fields: [string, string][] = [], type = 'text/plain') {
  return call(path, { headers: actor.auth, body: form(bytes ? { bytes, type, name: 'file.txt' } : null, fields) });
}

async function upload(actor: Actor, attach: string[], bytes: Uint8Array = text(unique('bytes ')), fields: [string, string][] = []) {
  return ok(post(actor, '/v1/resources', bytes, [...fields, ...attach.map((a): [string, string] => ['attach', a])]));
}

async function missing(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/resources/${newId('res')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function blobOf(resourceId: string) {
  return env.DB.prepare('SELECT b.id, b.r2_key AS key FROM resources r JOIN blobs b ON b.id = r.blob_id WHERE r.id = ?')
    .bind(resourceId)
    .first<{ id: string; key: string }>();
}

describe('401 on every resource route', () => {
  const R = '/v1/resources/res_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['POST', '/v1/resources'],
    ['GET', '/v1/resources'],
    ['GET', R],
    ['PATCH', R],
    ['DELETE', R],
    ['PUT', `${R}/file`],
    ['GET', `${R}/download`],
    ['GET', `${R}/activity`],
    ['POST', `${R}/attachments`],
    ['DELETE', `${R}/attachments/project/prj_01jd8z3b6q0w4y1r7k5t2m9xce`],
    ...(['organizations/{org}', 'projects/{project}', 'assets/{asset}', 'reports/{report}'].flatMap((p) => [
      ['POST', `/v1/${p}/resources`],
      ['GET', `/v1/${p}/resources`],
    ]) as [string, string][]),
  ];

  it('lists every route the app declares under the Resources tag', () => {
    const declared = app.openAPIRegistry.definitions
      .filter((d) => d.type === 'route' && (d.route.tags ?? []).includes('Resources'))
      .map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} ${d.route.path}` : ''));
    const listed = routes.map(
      ([m, p]) => `${m} ${p.replace(/res_\w+/, '{resource}').replace(/project\/prj_\w+/, '{entity_type}/{entity_id}')}`,
    );
    expect(listed.sort()).toEqual(declared.sort());
  });

  it.each(routes)('%s %s without a token', async (method, path) => {
    const a = await call(path.replace(/\{\w+\}/, 'x'), { method, json: method === 'PATCH' ? { name: 'x' } : undefined });
    expectProblem(a, 401, 'unauthenticated');
  });
});

describe('create and read', () => {
  it('stores a multipart upload attached to a project: 201 with the representation; GET answers the same in one round trip', async () => {
    const w = await world();
    const bytes = text('certificate of ownership');
    const a = await post(w.editor, '/v1/resources', bytes, [
      ['name', 'Certificate'],
      ['description', 'Shows ownership'],
      ['attributes', '{"parcel":12}'],
      ['attach', `project:${w.project.id}`],
    ]);
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      id: expect.stringMatching(/^res_/),
      number: expect.any(Number),
      name: 'Certificate',
      description: 'Shows ownership',
      mime_type: 'text/plain',
      size: bytes.byteLength,
      sha256: await sha256Hex(bytes),
      archived: false,
      attributes: { parcel: 12 },
      attachments: [{ entity_type: 'project', id: w.project.id }],
      download_url: `/v1/resources/${a.body.id}/download`,
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: expect.stringMatching(ISO_TIME),
    });
    expect(a.headers.get('Location')).toBe(`/v1/resources/${a.body.id}`);
    const got = await call(`/v1/resources/${a.body.id}`, { headers: w.viewer.auth });
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
    expect(roundTrips(got.res)).toBe(1);
    expect((await call(`/v1/resources/${a.body.id}`, { headers: { ...w.viewer.auth, 'If-None-Match': a.headers.get('ETag')! } })).status).toBe(304);
    expect(await r2Keys(w.prefix)).toEqual([(await blobOf(a.body.id))!.key]);
  });

  it('creates under each entity (organisation by slug) and with several attach fields; lists per entity', async () => {
    const w = await world();
    const byOrg = await ok(post(w.admin, `/v1/organizations/${w.org.slug}/resources`, text('o')));
    expect(byOrg.attachments).toEqual([{ entity_type: 'organization', id: w.org.id }]);
    const byProject = await ok(post(w.editor, `/v1/projects/${w.project.id}/resources`, text('p')));
    const byAsset = await ok(post(w.editor, `/v1/assets/${w.asset.id}/resources`, text('a'), [['attach', `report:${w.report.id}`]]));
    expect(byAsset.attachments).toEqual([
      { entity_type: 'asset', id: w.asset.id },
      { entity_type: 'report', id: w.report.id },
    ]);
    const byReport = await ok(post(w.editor, `/v1/reports/${w.report.id}/resources`, text('r')));

    expect(ids(await call(`/v1/organizations/${w.org.slug}/resources`, { headers: w.viewer.auth }))).toEqual([byOrg.id]);
    expect(ids(await call(`/v1/projects/${w.project.id}/resources`, { headers: w.viewer.auth }))).toEqual([byProject.id]);
    expect(ids(await call(`/v1/assets/${w.asset.id}/resources`, { headers: w.viewer.auth }))).toEqual([byAsset.id]);
    expect(ids(await call(`/v1/reports/${w.report.id}/resources`, { headers: w.viewer.auth }))).toEqual([byAsset.id, byReport.id].sort());
    // The viewer sees them all; the bystander (org member outside the private project) only the organisation's.
    expect(ids(await call('/v1/resources', { headers: w.viewer.auth }))).toEqual([byOrg.id, byProject.id, byAsset.id, byReport.id].sort());
    expect(ids(await call('/v1/resources', { headers: w.bystander.auth }))).toEqual([byOrg.id]);
    expect(ids(await call('/v1/resources', { headers: w.outsider.auth }))).toEqual([]);
  });

  it('stores a raw body with its metadata in the query', async () => {
    const w = await world();
    const a = await call(`/v1/resources?attach=project:${w.project.id}&attach=asset:${w.asset.id}&attributes=${encodeURIComponent('{"k":"v"}')}&description=d`, {
      headers: { ...w.editor.auth, 'Content-Type': 'text/csv', 'X-File-Name': 'table.csv' },
      body: text('a,b\n1,2\n'),
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ name: 'table.csv', description: 'd', mime_type: 'text/csv', size: 8, attributes: { k: 'v' } });
    expect(a.body.attachments).toHaveLength(2);
  });

  it('downloads with the headers DESIGN.md requires, ranges and conditional GET', async () => {
    const w = await world();
    const bytes = text('0123456789');
    const r = await upload(w.editor, [`project:${w.project.id}`], bytes, [['name', 'Digits']]);
    const d = await download(`/v1/resources/${r.id}/download`, w.viewer.auth);
    expect(d.status).toBe(200);
    expect(d.bytes).toEqual(bytes);
    expect(d.headers.get('Content-Type')).toBe('text/plain');
    expect(d.headers.get('Content-Length')).toBe('10');
    expect(d.headers.get('Content-Disposition')).toContain("filename*=UTF-8''Digits.txt");
    expect(d.headers.get('Last-Modified')).toBeTruthy();
    const part = await download(`/v1/resources/${r.id}/download`, { ...w.viewer.auth, Range: 'bytes=2-4' });
    expect(part.status).toBe(206);
    expect(new TextDecoder().decode(part.bytes)).toBe('234');
    const again = await download(`/v1/resources/${r.id}/download`, { ...w.viewer.auth, 'If-None-Match': d.headers.get('ETag')! });
    expect(again.status).toBe(304);
  });
});

describe('validation', () => {
  it('answers 400 naming the field, 415 for a urlencoded form, 413 above the limit; stores nothing', async () => {
    const w = await world();
    const P = `project:${w.project.id}`;
    const cases: [Promise<Answer>, string][] = [
      [post(w.editor, '/v1/resources', text('x')), 'attach'],
      [post(w.editor, '/v1/resources', null, [['attach', P]]), 'file'],
      [post(w.editor, '/v1/resources', text('x'), [['attach', 'parcel:1']]), 'attach.0'],
      [post(w.editor, '/v1/resources', text('x'), [['attach', P], ['attributes', 'not json']]), 'attributes'],
      [post(w.editor, '/v1/resources', text('x'), [['attach', P], ['attributes', '[1]']]), 'attributes'],
      [post(w.editor, '/v1/resources', text('x'), [['attach', P], ['name', '']]), 'name'],
      [call('/v1/resources?ordering=owner', { headers: w.editor.auth }), 'ordering'],
      [call('/v1/resources?entity_type=parcel', { headers: w.editor.auth }), 'entity_type'],
    ];
    for (const [pending, field] of cases) {
      const a = await pending;
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a)).toContain(field);
    }
    const r = await upload(w.editor, [P]);
    const patch = await call(`/v1/resources/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'ok', owner: 'x' } });
    expectProblem(patch, 400);
    expect(paths(patch)).toEqual(['owner']);
    const attach = await call(`/v1/resources/${r.id}/attachments`, { headers: w.editor.auth, json: { entity_type: 'parcel', entity_id: 'x' } });
    expectProblem(attach, 400);
    expect(paths(attach)).toEqual(['entity_type']);
    const putNoFile = await call(`/v1/resources/${r.id}/file`, { method: 'PUT', headers: w.editor.auth, body: form(null, [['x', 'y']]) });
    expectProblem(putNoFile, 400);
    expect(paths(putNoFile)).toEqual(['file']);

    const urlencoded = await call('/v1/resources', { headers: { ...w.editor.auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `attach=${P}` });
    expectProblem(urlencoded, 415);

    const big = new Uint8Array(LIMIT + 1);
    expectProblem(await call(`/v1/resources?attach=${P}&name=big`, { headers: { ...w.editor.auth, 'Content-Type': 'application/octet-stream' }, body: big }), 413);
    expectProblem(await post(w.editor, '/v1/resources', big, [['attach', P]]), 413);
    expectProblem(await call(`/v1/resources/${r.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'application/octet-stream' }, body: big }), 413);
    expect(await count('resources', 'organization_id = ?', w.org.id)).toBe(1);
    expect(await r2Keys(w.prefix)).toHaveLength(1);
  });
});

describe('rights', () => {
  it('403 for those who see but may not write: create, patch, replace, delete, attach, detach', async () => {
    const w = await world();
    expectProblem(await post(w.viewer, '/v1/resources', text('x'), [['attach', `project:${w.project.id}`]]), 403, 'forbidden');
    expectProblem(await post(w.editor, `/v1/organizations/${w.org.slug}/resources`, text('x')), 403, 'forbidden');
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    expectProblem(await call(R, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'x' } }), 403);
    expectProblem(await call(`${R}/file`, { method: 'PUT', headers: { ...w.viewer.auth, 'Content-Type': 'text/plain' }, body: text('y') }), 403);
    expectProblem(await call(R, { method: 'DELETE', headers: w.viewer.auth }), 403);
    expectProblem(await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403);
    // Reading the resource is not enough to attach it: the target must be writable.
    expectProblem(await call(`${R}/attachments`, { headers: w.viewer.auth, json: { entity_type: 'asset', entity_id: w.asset.id } }), 403);
    expect((await call(R, { headers: w.viewer.auth })).body.name).toBe(r.name);
  });

  it('404 exactly as for a missing id on every route when the resource is hidden, including downloads', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    for (const who of [w.bystander, w.outsider]) {
      const expected = await missing(who);
      const answers = [
        await call(R, { headers: who.auth }),
        await call(R, { method: 'PATCH', headers: who.auth, json: { name: 'x' } }),
        await call(R, { method: 'DELETE', headers: who.auth }),
        await call(`${R}/file`, { method: 'PUT', headers: { ...who.auth, 'Content-Type': 'text/plain' }, body: text('y') }),
        await call(`${R}/attachments`, { headers: who.auth, json: { entity_type: 'project', entity_id: w.project.id } }),
        await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: who.auth }),
        await download(`${R}/download`, who.auth),
      ];
      for (const a of answers) {
        expectProblem(a, 404, 'not-found');
        expect(sameProblem(a)).toEqual(expected);
      }
      expect(ids(await call('/v1/resources', { headers: who.auth }))).not.toContain(r.id);
      expectProblem(await call(`/v1/projects/${w.project.id}/resources`, { headers: who.auth }), 404);
    }
    expect(await count('resources', 'id = ?', r.id)).toBe(1);
  });

  it('creating under or listing a hidden entity answers as for a missing one; nothing is stored', async () => {
    const w = await world();
    for (const [seg, id, prefix] of [
      ['projects', w.project.id, 'prj'],
      ['assets', w.asset.id, 'ast'],
      ['reports', w.report.id, 'rpt'],
    ] as const) {
      const missingEntity = sameProblem(await call(`/v1/${seg}/${newId(prefix)}/resources`, { headers: w.bystander.auth }));
      for (const a of [
        await call(`/v1/${seg}/${id}/resources`, { headers: w.bystander.auth }),
        await post(w.bystander, `/v1/${seg}/${id}/resources`, text('x')),
        await post(w.outsider, '/v1/resources', text('x'), [['attach', `${seg.slice(0, -1)}:${id}`]]),
      ]) {
        expectProblem(a, 404, 'not-found');
        expect(sameProblem(a)).toEqual(missingEntity);
      }
    }
    expectProblem(await post(w.outsider, `/v1/organizations/${w.org.slug}/resources`, text('x')), 404);
    expect(await count('resources', 'organization_id = ?', w.org.id)).toBe(0);
    expect(await r2Keys(w.prefix)).toEqual([]);
  });

  it('a resource attached only to an entity of another organisation is hidden from this one (even its admin)', async () => {
    const w = await world();
    const r = await upload(w.outsider, [`project:${w.projectB.id}`]);
    const expected = await missing(w.admin);
    for (const a of [await call(`/v1/resources/${r.id}`, { headers: w.admin.auth }), await download(`/v1/resources/${r.id}/download`, w.admin.auth)]) {
      expectProblem(a, 404);
      expect(sameProblem(a)).toEqual(expected);
    }
    expect(ids(await call('/v1/resources', { headers: w.admin.auth }))).toEqual([]);
    expect(ids(await call('/v1/resources', { headers: w.outsider.auth }))).toEqual([r.id]);
  });

  it('a project in the trash hides its resources; a superuser sees everything', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const root = await makeUser({ superuser: true });
    expect((await call(`/v1/resources/${r.id}`, { headers: root.auth })).status).toBe(200);
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    expectProblem(await call(`/v1/resources/${r.id}`, { headers: w.editor.auth }), 404);
    expect(ids(await call('/v1/resources', { headers: w.editor.auth }))).toEqual([]);
  });

  it('409 while an attached parent is archived (create, patch, replace, delete, attach, detach); writable again once unarchived', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await post(w.editor, `/v1/projects/${w.project.id}/resources`, text('x')), 409, 'archived');
    expectProblem(await call(R, { method: 'PATCH', headers: w.editor.auth, json: { name: 'x' } }), 409, 'archived');
    expectProblem(await call(`${R}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'text/plain' }, body: text('y') }), 409);
    expectProblem(await call(R, { method: 'DELETE', headers: w.editor.auth }), 409);
    expectProblem(await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.editor.auth }), 409);
    expectProblem(await call(`${R}/attachments`, { headers: w.editor.auth, json: { entity_type: 'project', entity_id: w.project.id } }), 409);
    // Still readable.
    expect((await call(R, { headers: w.viewer.auth })).status).toBe(200);
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: false } })).status).toBe(200);
    expect((await call(R, { method: 'PATCH', headers: w.editor.auth, json: { name: 'renamed' } })).body.name).toBe('renamed');
  });
});

describe('update, replace, delete', () => {
  it('PATCH changes metadata and archives; If-Match guards it (412 when stale)', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    const first = await call(R, { headers: w.editor.auth });
    const etag = first.headers.get('ETag')!;
    const a = await call(R, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'New', description: 'D', attributes: { a: 1 }, archived: true } });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ name: 'New', description: 'D', attributes: { a: 1 }, archived: true });
    expect(a.headers.get('ETag')).not.toBe(etag);
    expectProblem(await call(R, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'Lost' } }), 412);
    expectProblem(await call(R, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': etag } }), 412);
    expectProblem(await call(`${R}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'If-Match': etag, 'Content-Type': 'text/plain' }, body: text('z') }), 412);
    expect((await call(R, { headers: w.editor.auth })).body.name).toBe('New');
    const unarchived = await call(R, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': a.headers.get('ETag')! }, json: { archived: false } });
    expect(unarchived.body.archived).toBe(false);
  });

  it('filters archived and active, entity_type, mime_type; searches name and description; orders by size and name; pages', async () => {
    const w = await world();
    const P = `project:${w.project.id}`;
    const small = await upload(w.editor, [P], text('1'), [['name', 'Zeta deed']]);
    const mid = await upload(w.editor, [`asset:${w.asset.id}`], text('12345'), [['name', 'Alpha'], ['description', 'A CERTIFICATE of tenure']]);
    const big = await ok(
      call(`/v1/resources?attach=${P}&name=Beta`, { headers: { ...w.editor.auth, 'Content-Type': 'text/csv' }, body: text('1234567890') }),
    );
    await call(`/v1/resources/${mid.id}`, { method: 'PATCH', headers: w.editor.auth, json: { archived: true } });
    const q = async (query: string) => (await call(`/v1/resources?${query}`, { headers: w.viewer.auth })).body.results.map((r: Row) => r.id);
    expect((await q('archived=true')).sort()).toEqual([mid.id]);
    expect((await q('active=true')).sort()).toEqual([small.id, big.id].sort());
    expect((await q('active=false')).sort()).toEqual([mid.id]);
    expect(await q('entity_type=asset')).toEqual([mid.id]);
    expect(await q('mime_type=text/csv')).toEqual([big.id]);
    expect(await q('search=certificate')).toEqual([mid.id]);
    expect(await q('search=DEED')).toEqual([small.id]);
    expect(await q('ordering=size')).toEqual([small.id, mid.id, big.id]);
    expect(await q('ordering=-size')).toEqual([big.id, mid.id, small.id]);
    expect(await q('ordering=name')).toEqual([mid.id, big.id, small.id]);
    const page = await call('/v1/resources?ordering=name&limit=2', { headers: w.viewer.auth });
    expect(page.body.count).toBe(3);
    const next = await call(page.body.next, { headers: w.viewer.auth });
    expect(next.body.results.map((r: Row) => r.id)).toEqual([small.id]);
    // The per-entity lists filter the same way.
    expect((await call(`/v1/projects/${w.project.id}/resources?search=beta`, { headers: w.viewer.auth })).body.results.map((r: Row) => r.id)).toEqual([big.id]);
  });

  it('replacing the file keeps the id and changes size, sha256 and ETag; the old bytes go', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`], text('old bytes'));
    const before = await call(`/v1/resources/${r.id}`, { headers: w.editor.auth });
    const oldKey = (await blobOf(r.id))!.key;
    const fresh = text('the new, longer bytes');
    const a = await call(`/v1/resources/${r.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'text/plain', 'If-Match': before.headers.get('ETag')! }, body: fresh });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ id: r.id, size: fresh.byteLength, sha256: await sha256Hex(fresh) });
    expect(a.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    expect((await download(`/v1/resources/${r.id}/download`, w.viewer.auth)).bytes).toEqual(fresh);
    expect(await eventually(async () => (await env.FILES.head(oldKey)) === null)).toBe(true);
    expect(await r2Keys(w.prefix)).toEqual([(await blobOf(r.id))!.key]);
  });

  it('DELETE removes the row and (no other reference) its bytes; the change log has its deletion', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const key = (await blobOf(r.id))!.key;
    expect((await call(`/v1/resources/${r.id}`, { method: 'DELETE', headers: w.editor.auth })).status).toBe(204);
    expectProblem(await call(`/v1/resources/${r.id}`, { headers: w.editor.auth }), 404);
    expect(await count('resource_attachments', 'resource_id = ?', r.id)).toBe(0);
    expect(await count('changes', "op = 'delete' AND entity_type = 'resource' AND entity_id = ?", r.id)).toBe(1);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(0);
  });
});

describe('deduplication', () => {
  it('the same bytes twice in one organisation share one object; deleting one keeps them, deleting the last removes them', async () => {
    const w = await world();
    const bytes = text('shared contract text');
    const one = await upload(w.editor, [`project:${w.project.id}`], bytes, [['name', 'One']]);
    const two = await upload(w.admin, [`organization:${w.org.id}`], bytes, [['name', 'Two'], ['description', 'own metadata']]);
    expect(two.sha256).toBe(one.sha256);
    expect(two.name).toBe('Two');
    const b1 = (await blobOf(one.id))!;
    const b2 = (await blobOf(two.id))!;
    expect(b2.id).toBe(b1.id);
    expect(await eventually(async () => (await r2Keys(w.prefix)).length === 1)).toBe(true);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(1);

    expect((await call(`/v1/resources/${one.id}`, { method: 'DELETE', headers: w.editor.auth })).status).toBe(204);
    // Give a wrongful delete the time to happen, then check the bytes are still there.
    await new Promise((r) => setTimeout(r, 200));
    expect(await r2Keys(w.prefix)).toEqual([b1.key]);
    expect((await download(`/v1/resources/${two.id}/download`, w.admin.auth)).bytes).toEqual(bytes);

    expect((await call(`/v1/resources/${two.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    expect(await eventually(async () => (await r2Keys(w.prefix)).length === 0)).toBe(true);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(0);
  });

  it('replacing a shared file leaves the other resource its bytes; other organisations never share', async () => {
    const w = await world();
    const bytes = text('same');
    const one = await upload(w.editor, [`project:${w.project.id}`], bytes);
    const two = await upload(w.editor, [`asset:${w.asset.id}`], bytes);
    const other = await upload(w.outsider, [`project:${w.projectB.id}`], bytes);
    expect((await blobOf(other.id))!.id).not.toBe((await blobOf(one.id))!.id);
    const put = await call(`/v1/resources/${one.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'text/plain' }, body: text('different') });
    expect(put.status, put.text).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect((await download(`/v1/resources/${two.id}/download`, w.editor.auth)).bytes).toEqual(bytes);
    expect(await r2Keys(w.prefix)).toHaveLength(2);
    // Replacing with bytes another resource has points at them.
    const back = await call(`/v1/resources/${one.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'text/plain' }, body: bytes });
    expect((await blobOf(one.id))!.id).toBe((await blobOf(two.id))!.id);
    expect(back.body.sha256).toBe(two.sha256);
    expect(await eventually(async () => (await r2Keys(w.prefix)).length === 1)).toBe(true);
  });
});

describe('attach and detach', () => {
  it('attaches across organisations (change the resource, write the target) and detaches; the last detach deletes the resource and its bytes', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    expectProblem(await call(R, { headers: w.outsider.auth }), 404);
    // The editor of A may not write B's project: to them it is hidden (404).
    expectProblem(await call(`${R}/attachments`, { headers: w.editor.auth, json: { entity_type: 'project', entity_id: w.projectB.id } }), 404);
    const a = await call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: 'project', entity_id: w.projectB.id } });
    expect(a.status, a.text).toBe(200);
    expect(a.body.attachments).toEqual(
      [
        { entity_type: 'project', id: w.project.id },
        { entity_type: 'project', id: w.projectB.id },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    // B's admin sees it now, with only B's attachment; A's viewer only A's.
    const seenByB = await call(R, { headers: w.outsider.auth });
    expect(seenByB.body.attachments).toEqual([{ entity_type: 'project', id: w.projectB.id }]);
    expect((await call(R, { headers: w.viewer.auth })).body.attachments).toEqual([{ entity_type: 'project', id: w.project.id }]);
    expect(ids(await call(`/v1/projects/${w.projectB.id}/resources`, { headers: w.outsider.auth }))).toEqual([r.id]);
    expect((await download(`${R}/download`, w.outsider.auth)).status).toBe(200);
    // Attaching again is harmless; an organisation may be named by slug.
    expect((await call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: 'project', entity_id: w.projectB.id } })).status).toBe(200);
    const byslug = await call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: 'organization', entity_id: w.orgB.slug } });
    expect(byslug.body.attachments).toContainEqual({ entity_type: 'organization', id: w.orgB.id });

    // B detaches its two; A's stays and the resource lives.
    expect((await call(`${R}/attachments/organization/${w.orgB.slug}`, { method: 'DELETE', headers: w.outsider.auth })).status).toBe(204);
    expect((await call(`${R}/attachments/project/${w.projectB.id}`, { method: 'DELETE', headers: w.outsider.auth })).status).toBe(204);
    expectProblem(await call(R, { headers: w.outsider.auth }), 404);
    expectProblem(await call(`${R}/attachments/project/${w.projectB.id}`, { method: 'DELETE', headers: w.editor.auth }), 404);
    const key = (await blobOf(r.id))!.key;
    expect(await count('resources', 'id = ?', r.id)).toBe(1);

    // The last detach deletes the resource and its bytes.
    expect((await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.editor.auth })).status).toBe(204);
    expect(await count('resources', 'id = ?', r.id)).toBe(0);
    // Its deletion is in the feed of each organisation it was in: its own, and B, which held it.
    for (const org of [w.org.id, w.orgB.id]) {
      expect(await count('changes', "op = 'delete' AND entity_type = 'resource' AND entity_id = ? AND organization_id = ?", r.id, org)).toBe(1);
    }
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
  });

  it('once its owner detached it from all of its own entities, the organisation holding it still may not change it; a superuser may', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    expect((await call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: 'project', entity_id: w.projectB.id } })).status).toBe(200);
    expect((await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.editor.auth })).status).toBe(204);
    expectProblem(await call(R, { method: 'PATCH', headers: w.outsider.auth, json: { name: 'taken' } }), 403);
    const root = await makeUser({ superuser: true });
    const renamed = await call(R, { method: 'PATCH', headers: root.auth, json: { name: 'kept by the superuser' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.name).toBe('kept by the superuser');
  });

  it('the sweep removes attachments whose entity was deleted, then resources left with none', async () => {
    const w = await world();
    const onAsset = await upload(w.editor, [`asset:${w.asset.id}`]);
    const both = await upload(w.editor, [`asset:${w.asset.id}`, `project:${w.project.id}`]);
    expect((await call(`/v1/assets/${w.asset.id}`, { method: 'DELETE', headers: w.editor.auth })).status).toBe(204);
    // Dangling attachments grant nothing and are not shown.
    expectProblem(await call(`/v1/resources/${onAsset.id}`, { headers: w.admin.auth }), 404);
    expect((await call(`/v1/resources/${both.id}`, { headers: w.viewer.auth })).body.attachments).toEqual([{ entity_type: 'project', id: w.project.id }]);
    await sweepOrphans(env, Date.now());
    expect(await count('resource_attachments', 'entity_id = ?', w.asset.id)).toBe(0);
    expect(await count('resources', 'id = ?', onAsset.id)).toBe(0);
    expect(await count('resources', 'id = ?', both.id)).toBe(1);
    // Past the grace period the orphan's bytes go too; the survivor keeps its own.
    const survivor = (await blobOf(both.id))!;
    await sweepOrphans(env, Date.now() + SWEEP_GRACE_MS + 1000);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(1);
    expect(await r2Keys(w.prefix)).toEqual([survivor.key]);
  });
});

async function versionOf(resourceId: string): Promise<number> {
  return (await env.DB.prepare('SELECT version FROM resources WHERE id = ?').bind(resourceId).first<{ version: number }>())!.version;
}

/** Status, body and ETag: equal before and after a refused write when nothing changed. */
const state = (a: Answer) => ({ status: a.status, body: a.body, etag: a.headers.get('ETag') });

describe('the owner rule: a resource belongs to the organisation that created it', () => {
  it('reading a resource is not enough to attach it somewhere you control: the viewer who administers organisation C is refused, and so gains nothing', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    const orgC = await makeOrg(w.viewer);
    const before = await call(R, { headers: w.editor.auth });
    // Issue 10, item 2: this attach answered 200, and the PATCH and PUT below then answered 200 too.
    for (const ref of [orgC.id, orgC.slug]) {
      expectProblem(await call(`${R}/attachments`, { headers: w.viewer.auth, json: { entity_type: 'organization', entity_id: ref } }), 403, 'forbidden');
    }
    expectProblem(await call(R, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'mine now' } }), 403, 'forbidden');
    expectProblem(await call(`${R}/file`, { method: 'PUT', headers: { ...w.viewer.auth, 'Content-Type': 'text/plain' }, body: text('overwritten') }), 403, 'forbidden');
    expectProblem(await call(R, { method: 'DELETE', headers: w.viewer.auth }), 403, 'forbidden');
    expect(state(await call(R, { headers: w.editor.auth }))).toEqual(state(before));
    expect(await count('resource_attachments', 'resource_id = ?', r.id)).toBe(1);
    expect(ids(await call(`/v1/organizations/${orgC.slug}/resources`, { headers: w.viewer.auth }))).toEqual([]);
    // Writing the target is needed too: the editor writes the resource but not the organisation.
    expectProblem(await call(`${R}/attachments`, { headers: w.editor.auth, json: { entity_type: 'organization', entity_id: w.org.id } }), 403, 'forbidden');
  });

  it('an organisation it is shared with reads it and may only detach it from its own entities; everything else is 403 and changes nothing', async () => {
    const w = await world();
    const bytes = text('the deed of organisation A');
    const r = await upload(w.editor, [`project:${w.project.id}`], bytes, [['name', 'Deed']]);
    const R = `/v1/resources/${r.id}`;
    // The bridge writes the resource (editor in A's project) and B's entities (admin of B): it shares it.
    for (const [type, id] of [['organization', w.orgB.id], ['project', w.projectB.id]] as const) {
      await ok(call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: type, entity_id: id } }), 200);
    }
    const projectB2 = await ok(call(`/v1/organizations/${w.orgB.slug}/projects`, { headers: w.outsider.auth, json: { name: unique('PB2 ') } }));
    // A second admin of B, who also views A's project: A's attachment is visible to them.
    await ok(call(`/v1/organizations/${w.orgB.slug}/members`, { headers: w.outsider.auth, json: { user: w.viewer.id, role: 'admin' } }));
    const before = await call(R, { headers: w.admin.auth });
    expect(before.body.attachments).toHaveLength(1);
    const key = (await blobOf(r.id))!.key;

    const seen = await call(R, { headers: w.outsider.auth });
    expect(seen.status).toBe(200);
    expect(seen.body.attachments).toEqual(
      [{ entity_type: 'organization', id: w.orgB.id }, { entity_type: 'project', id: w.projectB.id }],
    );
    expect((await download(`${R}/download`, w.outsider.auth)).bytes).toEqual(bytes);
    expect(ids(await call(`/v1/organizations/${w.orgB.slug}/documents`, { headers: w.outsider.auth }))).toEqual([r.id]);

    for (const b of [w.outsider, w.viewer]) {
      // Issue 10, item 8: the DELETE answered 204 and the PUT 200, and A lost its document.
      const refused = [
        await call(R, { method: 'DELETE', headers: b.auth }),
        await call(`${R}/file`, { method: 'PUT', headers: { ...b.auth, 'Content-Type': 'text/plain' }, body: text('overwritten by B') }),
        await call(R, { method: 'PATCH', headers: b.auth, json: { name: 'B’s now', archived: true } }),
        await call(`${R}/attachments`, { headers: b.auth, json: { entity_type: 'project', entity_id: projectB2.id } }),
        await call(`${R}/attachments`, { headers: b.auth, json: { entity_type: 'organization', entity_id: w.orgB.slug } }),
        await call(`/v1/organizations/${w.orgB.slug}/documents/${r.id}`, { method: 'DELETE', headers: b.auth }),
        await call(`/v1/organizations/${w.orgB.slug}/documents/${r.id}`, { method: 'PATCH', headers: b.auth, json: { description: 'B’s' } }),
        await call(`/v1/projects/${w.projectB.id}/documents/${r.id}`, { method: 'DELETE', headers: b.auth }),
        await call(`/v1/projects/${w.projectB.id}/documents/${r.id}`, { method: 'PATCH', headers: b.auth, json: { name: 'B’s' } }),
      ];
      for (const a of refused) expectProblem(a, 403, 'forbidden');
    }
    // A's attachment: hidden from B's own admin (as a missing one), visible but not B's to remove for the viewer.
    const hidden = await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.outsider.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(sameProblem(await call(`${R}/attachments/project/${newId('prj')}`, { method: 'DELETE', headers: w.outsider.auth })));
    expectProblem(await call(`${R}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403, 'forbidden');

    expect(state(await call(R, { headers: w.admin.auth }))).toEqual(state(before));
    expect((await download(`${R}/download`, w.admin.auth)).bytes).toEqual(bytes);
    expect((await blobOf(r.id))!.key).toBe(key);
    expect(await count('resource_attachments', 'resource_id = ?', r.id)).toBe(3);

    // What B may do: detach it from its own entities. A keeps it.
    expect((await call(`${R}/attachments/project/${w.projectB.id}`, { method: 'DELETE', headers: w.outsider.auth })).status).toBe(204);
    expect((await call(`${R}/attachments/organization/${w.orgB.slug}`, { method: 'DELETE', headers: w.viewer.auth })).status).toBe(204);
    expectProblem(await call(R, { headers: w.outsider.auth }), 404);
    const kept = await call(R, { headers: w.admin.auth });
    expect(kept.body.attachments).toEqual([{ entity_type: 'project', id: w.project.id }]);
    expect((await download(`${R}/download`, w.admin.auth)).bytes).toEqual(bytes);
  });

  it('the owner’s writers change, replace and delete a shared resource, and B sees the result', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    await ok(call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: 'organization', entity_id: w.orgB.id } }), 200);
    const renamed = await call(R, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Renamed by A' } });
    expect(renamed.status, renamed.text).toBe(200);
    const fresh = text('new bytes from A');
    const put = await call(`${R}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'text/plain' }, body: fresh });
    expect(put.status, put.text).toBe(200);
    expect((await call(R, { headers: w.outsider.auth })).body).toMatchObject({ name: 'Renamed by A', sha256: await sha256Hex(fresh) });
    expect((await download(`${R}/download`, w.outsider.auth)).bytes).toEqual(fresh);
    // Through the documents routes of A's project as well.
    const viaDocs = await call(`/v1/projects/${w.project.id}/documents/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { description: 'by A' } });
    expect(viaDocs.status, viaDocs.text).toBe(200);
    expect((await call(R, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    expectProblem(await call(R, { headers: w.outsider.auth }), 404);
  });

  it('attaching is idempotent: parallel identical attaches all answer 200 with the same state, and one attachment row', async () => {
    const w = await world();
    const r = await upload(w.editor, [`project:${w.project.id}`]);
    const R = `/v1/resources/${r.id}`;
    const before = await call(R, { headers: w.bridge.auth });
    const versionBefore = await versionOf(r.id);
    // Issue 10, item 9: some of these answered 500 "UNIQUE constraint failed".
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => call(`${R}/attachments`, { headers: w.bridge.auth, json: { entity_type: 'project', entity_id: w.projectB.id } })),
    );
    for (const a of answers) expect(a.status, a.text).toBe(200);
    const states = new Set(answers.map((a) => JSON.stringify(state(a))));
    expect(states.size, [...states].join('\n')).toBe(1);
    expect(answers[0]!.body.attachments).toContainEqual({ entity_type: 'project', id: w.projectB.id });
    expect(state(await call(R, { headers: w.bridge.auth }))).toEqual(state(answers[0]!));
    expect(answers[0]!.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    expect(await count('resource_attachments', 'resource_id = ? AND entity_id = ?', r.id, w.projectB.id)).toBe(1);
    // One change: the version moved on once.
    expect(await versionOf(r.id)).toBe(versionBefore + 1);
  });
});

describe('races', () => {
  it('parallel uploads of the same bytes (resources and documents routes) all answer 201 and share one blob and one object', async () => {
    const w = await world();
    const bytes = text(unique('the same bytes, many times '));
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => post(w.editor, '/v1/resources', bytes, [['attach', `project:${w.project.id}`]])),
      ...Array.from({ length: 6 }, () => post(w.editor, `/v1/projects/${w.project.id}/documents`, bytes, [['attach', `asset:${w.asset.id}`]])),
    ]);
    for (const a of answers) expect(a.status, a.text).toBe(201);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(12);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(1);
    expect(await count('resource_attachments', 'entity_id = ?', w.project.id)).toBe(12);
    expect(await eventually(async () => (await r2Keys(w.prefix)).length === 1)).toBe(true);
  });

  it('parallel deletes, and parallel detaches of the last attachment: one succeeds, the others answer 404 and log nothing', async () => {
    const w = await world();
    const one = await upload(w.editor, [`project:${w.project.id}`]);
    const two = await upload(w.editor, [`project:${w.project.id}`]);
    const deletes = await Promise.all(Array.from({ length: 6 }, () => call(`/v1/resources/${one.id}`, { method: 'DELETE', headers: w.editor.auth })));
    const detaches = await Promise.all(
      Array.from({ length: 6 }, () => call(`/v1/resources/${two.id}/attachments/project/${w.project.id}`, { method: 'DELETE', headers: w.editor.auth })),
    );
    for (const [answers, id] of [[deletes, one.id], [detaches, two.id]] as const) {
      expect(answers.map((a) => a.status).sort()).toEqual([204, 404, 404, 404, 404, 404]);
      for (const a of answers.filter((x) => x.status === 404)) expectProblem(a, 404, 'not-found');
      expect(await count('resources', 'id = ?', id)).toBe(0);
      expect(await count('changes', "op = 'delete' AND entity_type = 'resource' AND entity_id = ?", id)).toBe(1);
    }
  });
});
