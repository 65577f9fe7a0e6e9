/**
 * Reports: create (JSON without a file, multipart with one), read on the flat and the nested
 * routes, the lists (visibility through the project, filters, ordering, keyset paging), updates
 * with If-Match, attaching and replacing the file, delete with the R2 object, downloads (headers,
 * ranges, conditional GET, 404 without a file), and the rights: 401, 403 for a project viewer,
 * 404 exactly as a missing report when hidden, 409 in an archived project.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { addProjectMember, createAsset, createProject, privateProjectWithAsset, type Row } from './support/domain';
import { download, eventually, links, r2Keys, sha256Hex } from './support/files';

const PDF = new TextEncoder().encode('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const CSV = new TextEncoder().encode('asset,condition\nBridge 12,good\nBridge 13,poor\n');
// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

const ids = (a: Answer) => a.body.results.map((r: Row) => r.id);
const paths = (a: Answer) => a.body.errors.map((e: { path: string }) => e.path);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const tick = () => new Promise((r) => setTimeout(r, 5));

interface Attachment {
  bytes: Uint8Array;
  type: string;
  name?: string;
}

function reportForm(fields: Record<string, string>, file?: Attachment): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([file.bytes], { type: file.type }), file.name ?? 'report.pdf');
  return fd;
}

async function createReport(actor: Actor, fields: Record<string, unknown>) {
  const a = await call('/v1/reports', { headers: actor.auth, json: { name: unique('Report '), ...fields } });
  if (a.status !== 201) throw new Error(`report create failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

async function createReportWithFile(actor: Actor, fields: Record<string, string>, file: Attachment = { bytes: PDF, type: 'application/pdf' }) {
  const a = await call('/v1/reports', { method: 'POST', headers: actor.auth, body: reportForm({ name: unique('Report '), ...fields }, file) });
  if (a.status !== 201) throw new Error(`report create failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** privateProjectWithAsset(), with its bystander (the org member outside the project) as `member`. */
async function world() {
  const { bystander: member, ...w } = await privateProjectWithAsset();
  return { ...w, member };
}

/** The 404 for a report id that does not exist at all (at `suffix` below it). */
async function missingReport(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/reports/${newId('rpt')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  expect(a.body.detail).toBe('Report does not exist.');
  return sameProblem(a);
}

/** The 404 for an asset id that does not exist at all (at `suffix` below it). */
async function missingAsset(actor: Actor, suffix = '') {
  const a = await call(`/v1/assets/${newId('ast')}${suffix}`, { headers: actor.auth });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

/** The 404 a create answers for a project that does not exist at all. */
async function missingProjectOnCreate(actor: Actor) {
  const a = await call('/v1/reports', { headers: actor.auth, json: { project_id: newId('prj'), name: 'x' } });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function fileKey(reportId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT b.r2_key AS key FROM reports r JOIN blobs b ON b.id = r.blob_id WHERE r.id = ?')
    .bind(reportId)
    .first<{ key: string }>();
  if (!row) throw new Error('no report blob');
  return row.key;
}

const archive = (w: { admin: Actor; project: Row }, archived = true) =>
  call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived } });

describe('401 on every report route', () => {
  const R = '/v1/reports/rpt_01jd8z3b6q0w4y1r7k5t2m9xce';
  const A = '/v1/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['GET', '/v1/reports'],
    ['POST', '/v1/reports'],
    ['GET', R],
    ['PATCH', R],
    ['DELETE', R],
    ['PUT', `${R}/file`],
    ['GET', `${R}/download`],
    ['GET', `${A}/reports`],
    ['GET', `${A}/reports/rpt_01jd8z3b6q0w4y1r7k5t2m9xce`],
    ['GET', `${A}/reports/rpt_01jd8z3b6q0w4y1r7k5t2m9xce/download`],
  ];
  it.each(routes)('%s %s without a token', async (method, path) => {
    const json = method === 'POST' || method === 'PATCH' ? { name: 'x', project_id: 'prj_x' } : undefined;
    const a = await call(path, { method, json, ...(method === 'PUT' ? { headers: { 'Content-Type': 'application/pdf' }, body: PDF } : {}) });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });

  it('answers 401 for a wrong token', async () => {
    expectProblem(await call('/v1/reports', { headers: { Authorization: 'Bearer fb_not-a-token-at-all' } }), 401);
  });
});

describe('create', () => {
  it('takes JSON without a file: 201 with Location and ETag, a draft by default; the GET matches', async () => {
    const w = await world();
    const a = await call('/v1/reports', { headers: w.editor.auth, json: { project_id: w.project.id, name: '  Q2 inspection  ', description: 'Bridges' } });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      project: { id: w.project.id, name: w.project.name },
      asset: null,
      name: 'Q2 inspection',
      description: 'Bridges',
      status: 'draft',
      file: null,
      created_by: { id: w.editor.id, username: w.editor.username },
    });
    expect(a.body.id).toMatch(/^rpt_/);
    expect(a.body.created_at).toMatch(ISO_TIME);
    expect(a.headers.get('Location')).toBe(`/v1/reports/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    const got = await call(a.headers.get('Location')!, { headers: w.viewer.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it('takes multipart with a file and an asset of the project: the file in R2 with its hash', async () => {
    const w = await world();
    const a = await call('/v1/reports', {
      method: 'POST',
      headers: w.editor.auth,
      body: reportForm({ project_id: w.project.id, asset_id: w.asset.id, name: 'Bridge 12', status: 'final' }, { bytes: PDF, type: 'application/pdf', name: 'b12.pdf' }),
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ asset: { id: w.asset.id, name: w.asset.name }, name: 'Bridge 12', status: 'final', description: '' });
    expect(a.body.file).toEqual({ url: `/v1/reports/${a.body.id}/download`, mime_type: 'application/pdf', size: PDF.byteLength, sha256: await sha256Hex(PDF) });
    const key = await fileKey(a.body.id);
    expect(key.startsWith(`${w.org.id}/`)).toBe(true);
    const object = await env.FILES.get(key);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PDF);
    expect(object!.httpMetadata?.contentType).toBe('application/pdf');
    expect((await call(`/v1/reports/${a.body.id}`, { headers: w.viewer.auth })).body).toEqual(a.body);
  });

  it('names the report after the file when the form has no name; a form without a file makes a report without one', async () => {
    const w = await world();
    const named = await call('/v1/reports', { method: 'POST', headers: w.editor.auth, body: reportForm({ project_id: w.project.id }, { bytes: CSV, type: 'text/csv', name: 'conditions.csv' }) });
    expect(named.status, named.text).toBe(201);
    expect(named.body.name).toBe('conditions.csv');
    expect(named.body.file.mime_type).toBe('text/csv');
    const bare = await call('/v1/reports', { method: 'POST', headers: w.editor.auth, body: reportForm({ project_id: w.project.id, name: 'No file' }) });
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body.file).toBeNull();
  });

  it('lets the editor, a manager and an org admin create', async () => {
    const w = await world();
    const manager = await makeUser();
    await addProjectMember(w.admin, w.project.id, manager, 'manager');
    for (const who of [w.editor, manager, w.admin]) {
      expect((await call('/v1/reports', { headers: who.auth, json: { project_id: w.project.id, name: 'ok' } })).status, who.username).toBe(201);
    }
  });

  it.each([
    ['project_id', { name: 'x' }],
    ['name', { project_id: 'PROJECT' }],
    ['name', { project_id: 'PROJECT', name: '  ' }],
    ['status', { project_id: 'PROJECT', name: 'x', status: 'published' }],
    ['description', { project_id: 'PROJECT', name: 'x', description: 'd'.repeat(10_001) }],
    ['file_url', { project_id: 'PROJECT', name: 'x', file_url: 'https://x' }],
  ])('answers 400 naming %s (JSON)', async (path, json) => {
    const w = await world();
    const body = JSON.parse(JSON.stringify(json).replace('PROJECT', w.project.id));
    const a = await call('/v1/reports', { headers: w.editor.auth, json: body });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual([path]);
    expect(await count('reports', 'project_id = ?', w.project.id)).toBe(0);
  });

  it('answers 400 naming the form field, storing nothing', async () => {
    const w = await world();
    const a = await call('/v1/reports', { method: 'POST', headers: w.editor.auth, body: reportForm({ project_id: w.project.id, status: 'done' }, { bytes: PDF, type: 'application/pdf' }) });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['status']);
    const none = await call('/v1/reports', { method: 'POST', headers: w.editor.auth });
    expectProblem(none, 400, 'invalid-request');
    expect(paths(none).sort()).toEqual(['name', 'project_id']);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 400 naming asset_id for an asset of another project, or none, storing nothing', async () => {
    const w = await world();
    const other = await createProject(w.admin, w.org);
    const foreign = await createAsset(w.admin, other.id);
    for (const assetId of [foreign.id, newId('ast')]) {
      const a = await call('/v1/reports', { method: 'POST', headers: w.editor.auth, body: reportForm({ project_id: w.project.id, asset_id: assetId, name: 'x' }, { bytes: PDF, type: 'application/pdf' }) });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a)).toEqual(['asset_id']);
    }
    expect(await count('reports', 'project_id = ?', w.project.id)).toBe(0);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 400 naming file when the content contradicts the declared type', async () => {
    const w = await world();
    const a = await call('/v1/reports', { method: 'POST', headers: w.editor.auth, body: reportForm({ project_id: w.project.id, name: 'x' }, { bytes: PNG, type: 'application/pdf' }) });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['file']);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 403 to a project viewer, storing nothing', async () => {
    const w = await world();
    const json = await call('/v1/reports', { headers: w.viewer.auth, json: { project_id: w.project.id, name: 'Mine' } });
    expectProblem(json, 403, 'forbidden');
    const form = await call('/v1/reports', { method: 'POST', headers: w.viewer.auth, body: reportForm({ project_id: w.project.id, name: 'Mine' }, { bytes: PDF, type: 'application/pdf' }) });
    expectProblem(form, 403, 'forbidden');
    expect(await count('reports', 'project_id = ?', w.project.id)).toBe(0);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });

  it('answers 404 exactly as a missing project to those who may not see it, and for a project in the trash', async () => {
    const w = await world();
    for (const who of [w.member, w.outsider]) {
      const a = await call('/v1/reports', { headers: who.auth, json: { project_id: w.project.id, name: 'Sneaky' } });
      expect(sameProblem(a)).toEqual(await missingProjectOnCreate(who));
    }
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    const trashed = await call('/v1/reports', { headers: w.admin.auth, json: { project_id: w.project.id, name: 'Late' } });
    expect(sameProblem(trashed)).toEqual(await missingProjectOnCreate(w.admin));
    expect(await count('reports', 'project_id = ?', w.project.id)).toBe(0);
  });

  it('answers 409 archived in an archived project, storing nothing', async () => {
    const w = await world();
    expect((await archive(w)).status).toBe(200);
    expectProblem(await call('/v1/reports', { headers: w.editor.auth, json: { project_id: w.project.id, name: 'Late' } }), 409, 'archived');
    const form = await call('/v1/reports', { method: 'POST', headers: w.admin.auth, body: reportForm({ project_id: w.project.id, name: 'Late' }, { bytes: PDF, type: 'application/pdf' }) });
    expectProblem(form, 409, 'archived');
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
    expect((await archive(w, false)).status).toBe(200);
    expect((await call('/v1/reports', { headers: w.editor.auth, json: { project_id: w.project.id, name: 'Back' } })).status).toBe(201);
  });

  it('answers 413 for a form over the upload limit and 415 for another content type', async () => {
    const w = await world();
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    const a = await call('/v1/reports', { method: 'POST', headers: w.editor.auth, body: reportForm({ project_id: w.project.id, name: 'Big' }, { bytes: big, type: 'application/octet-stream' }) });
    expectProblem(a, 413, 'payload-too-large');
    const text = await call('/v1/reports', { headers: { ...w.editor.auth, 'Content-Type': 'text/plain' }, body: 'name=x' });
    expectProblem(text, 415, 'unsupported-media-type');
    expect(await count('reports', 'project_id = ?', w.project.id)).toBe(0);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });
});

describe('get', () => {
  it('answers on the flat and the nested route alike, in one D1 round trip, with If-None-Match 304', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: w.asset.id });
    const flat = await call(`/v1/reports/${r.id}`, { headers: w.viewer.auth });
    expect(flat.status).toBe(200);
    expect(flat.body).toEqual(r);
    expect(roundTrips(flat)).toBe(1);
    const nested = await call(`/v1/assets/${w.asset.id}/reports/${r.id}`, { headers: w.viewer.auth });
    expect(nested.status).toBe(200);
    expect(nested.body).toEqual(r);
    expect(nested.headers.get('ETag')).toBe(flat.headers.get('ETag'));
    expect(roundTrips(nested)).toBe(1);
    const cached = await call(`/v1/reports/${r.id}`, { headers: { ...w.viewer.auth, 'If-None-Match': flat.headers.get('ETag')! } });
    expect(cached.status).toBe(304);
  });

  it('hides a report from those who may not see its project: 404 as a missing one, in one round trip', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: w.asset.id });
    for (const who of [w.member, w.outsider]) {
      const flat = await call(`/v1/reports/${r.id}`, { headers: who.auth });
      expectProblem(flat, 404, 'not-found');
      expect(sameProblem(flat)).toEqual(await missingReport(who));
      expect(roundTrips(flat)).toBe(1);
      const nested = await call(`/v1/assets/${w.asset.id}/reports/${r.id}`, { headers: who.auth });
      expect(sameProblem(nested)).toEqual(await missingAsset(who, `/reports/${r.id}`));
      const file = await download(`/v1/reports/${r.id}/download`, who.auth);
      expect(sameProblem(file)).toEqual(await missingReport(who, '/download'));
      const nestedFile = await download(`/v1/assets/${w.asset.id}/reports/${r.id}/download`, who.auth);
      expect(sameProblem(nestedFile)).toEqual(await missingAsset(who, `/reports/${r.id}/download`));
    }
  });

  it('opens to every org member once the project is open to the organisation; the trash hides it again', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    expect((await call(`/v1/reports/${r.id}`, { headers: w.member.auth })).status).toBe(404);
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { access: 'organization' } })).status).toBe(200);
    expect((await call(`/v1/reports/${r.id}`, { headers: w.member.auth })).status).toBe(200);
    expect((await call(`/v1/reports/${r.id}`, { headers: w.outsider.auth })).status).toBe(404);
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    for (const who of [w.member, w.admin]) expect(sameProblem(await call(`/v1/reports/${r.id}`, { headers: who.auth }))).toEqual(await missingReport(who));
  });

  it('answers 404 on the nested routes for a report about another asset or none, as for a missing report', async () => {
    const w = await world();
    const other = await createAsset(w.editor, w.project.id);
    const elsewhere = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: other.id });
    const projectOnly = await createReportWithFile(w.editor, { project_id: w.project.id });
    const random = sameProblem(await call(`/v1/assets/${w.asset.id}/reports/${newId('rpt')}`, { headers: w.editor.auth }));
    for (const r of [elsewhere, projectOnly]) {
      const a = await call(`/v1/assets/${w.asset.id}/reports/${r.id}`, { headers: w.editor.auth });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(random);
      expect(a.body.detail).toContain('Report');
      const d = await download(`/v1/assets/${w.asset.id}/reports/${r.id}/download`, w.editor.auth);
      expect(d.status).toBe(404);
    }
  });
});

describe('lists', () => {
  /** Reports in a private project (A, asset-linked and not), an organisation-wide project (B), and another organisation (C). */
  async function reportsWorld() {
    const w = await world();
    const open = await createProject(w.admin, w.org, { access: 'organization' });
    const openAsset = await createAsset(w.admin, open.id);
    const stranger = await makeUser();
    const strangerOrg = await makeOrg(stranger);
    const foreign = await createProject(stranger, strangerOrg);
    const r = {
      a1: await createReport(w.editor, { project_id: w.project.id, asset_id: w.asset.id, name: 'alpha', status: 'final' }),
      a2: await createReport(w.editor, { project_id: w.project.id, name: 'charlie' }),
      b1: await createReport(w.admin, { project_id: open.id, asset_id: openAsset.id, name: 'bravo' }),
      c1: await createReport(stranger, { project_id: foreign.id, name: 'delta' }),
    };
    return { ...w, open, openAsset, stranger, foreign, r };
  }

  it('shows every report the caller may see and nothing else, newest first, in one round trip', async () => {
    const w = await reportsWorld();
    const mine = await call('/v1/reports', { headers: w.editor.auth });
    expect(mine.status).toBe(200);
    expect(ids(mine)).toEqual([w.r.b1.id, w.r.a2.id, w.r.a1.id]);
    expect(mine.body.count).toBe(3);
    expect(mine.body.results[2]).toEqual(w.r.a1);
    expect(roundTrips(mine)).toBe(1);
    // The org member is not in the private project; the outsider sees nothing of this organisation.
    expect(ids(await call('/v1/reports', { headers: w.member.auth }))).toEqual([w.r.b1.id]);
    const outsider = await call('/v1/reports', { headers: w.outsider.auth });
    expect(outsider.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect(ids(await call('/v1/reports', { headers: w.stranger.auth }))).toEqual([w.r.c1.id]);
    // Filters that name what the caller may not see narrow to nothing, not to an error.
    expect((await call(`/v1/reports?project=${w.project.id}`, { headers: w.member.auth })).body.count).toBe(0);
    expect((await call(`/v1/reports?project=${w.foreign.id}`, { headers: w.editor.auth })).body.count).toBe(0);
  });

  it('filters by project, asset and status, and orders by name, created_at and updated_at', async () => {
    const w = await reportsWorld();
    expect(ids(await call(`/v1/reports?project=${w.project.id}`, { headers: w.admin.auth }))).toEqual([w.r.a2.id, w.r.a1.id]);
    expect(ids(await call(`/v1/reports?asset=${w.asset.id}`, { headers: w.admin.auth }))).toEqual([w.r.a1.id]);
    expect(ids(await call('/v1/reports?status=final', { headers: w.admin.auth }))).toEqual([w.r.a1.id]);
    expect(ids(await call(`/v1/reports?status=draft&project=${w.project.id}`, { headers: w.admin.auth }))).toEqual([w.r.a2.id]);
    expect(ids(await call('/v1/reports?ordering=name', { headers: w.admin.auth }))).toEqual([w.r.a1.id, w.r.b1.id, w.r.a2.id]);
    expect(ids(await call('/v1/reports?ordering=-name', { headers: w.admin.auth }))).toEqual([w.r.a2.id, w.r.b1.id, w.r.a1.id]);
    expect(ids(await call('/v1/reports?ordering=created_at', { headers: w.admin.auth }))).toEqual([w.r.a1.id, w.r.a2.id, w.r.b1.id]);
    await tick();
    await call(`/v1/reports/${w.r.a1.id}`, { method: 'PATCH', headers: w.admin.auth, json: { description: 'touched' } });
    expect(ids(await call('/v1/reports?ordering=-updated_at', { headers: w.admin.auth }))[0]).toBe(w.r.a1.id);
  });

  it('answers 400 naming the parameter for a bad ordering or status', async () => {
    const w = await world();
    expect(paths(await call('/v1/reports?ordering=status', { headers: w.admin.auth }))).toEqual(['ordering']);
    expect(paths(await call('/v1/reports?status=published', { headers: w.admin.auth }))).toEqual(['status']);
    expect(paths(await call(`/v1/assets/${w.asset.id}/reports?ordering=size`, { headers: w.admin.auth }))).toEqual(['ordering']);
  });

  it('leaves out the reports of a project in the trash', async () => {
    const w = await reportsWorld();
    expect((await call(`/v1/projects/${w.project.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    const a = await call('/v1/reports', { headers: w.admin.auth });
    expect(ids(a)).toEqual([w.r.b1.id]);
    expect(a.body.count).toBe(1);
  });

  it('pages with limit and keyset cursors', async () => {
    const w = await world();
    const made: Row[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(await createReport(w.editor, { project_id: w.project.id, name: `r${i}` }));
      await tick();
    }
    const seen: string[] = [];
    let next: string | null = `/v1/reports?project=${w.project.id}&limit=2&ordering=name`;
    let pages = 0;
    while (next) {
      const page: Answer = await call(next, { headers: w.editor.auth });
      expect(page.status, page.text).toBe(200);
      expect(page.body.count).toBe(5);
      expect(links(page.headers.get('Link')).last).toBeTruthy();
      seen.push(...ids(page));
      next = page.body.next;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(made.map((r) => r.id));
  });

  it("lists an asset's reports only, in one round trip; 404 as a missing asset when hidden", async () => {
    const w = await reportsWorld();
    const more = await createReport(w.editor, { project_id: w.project.id, asset_id: w.asset.id, name: 'echo' });
    const a = await call(`/v1/assets/${w.asset.id}/reports`, { headers: w.viewer.auth });
    expect(a.status).toBe(200);
    expect(ids(a)).toEqual([more.id, w.r.a1.id]);
    expect(a.body.count).toBe(2);
    expect(roundTrips(a)).toBe(1);
    expect(ids(await call(`/v1/assets/${w.asset.id}/reports?status=final`, { headers: w.viewer.auth }))).toEqual([w.r.a1.id]);
    expect(ids(await call(`/v1/assets/${w.asset.id}/reports?ordering=name`, { headers: w.viewer.auth }))).toEqual([w.r.a1.id, more.id]);
    for (const who of [w.member, w.outsider]) {
      const hidden = await call(`/v1/assets/${w.asset.id}/reports`, { headers: who.auth });
      expectProblem(hidden, 404, 'not-found');
      expect(sameProblem(hidden)).toEqual(await missingAsset(who, '/reports'));
      expect(roundTrips(hidden)).toBe(1);
    }
  });
});

describe('update', () => {
  it('changes name, description and status; the ETag changes; the file stays', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id });
    const before = (await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).headers.get('ETag');
    await tick();
    const a = await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Final text', description: 'Signed', status: 'final' } });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ name: 'Final text', description: 'Signed', status: 'final', file: r.file, created_at: r.created_at });
    expect(a.body.updated_at > r.updated_at).toBe(true);
    expect(a.headers.get('ETag')).not.toBe(before);
    const got = await call(`/v1/reports/${r.id}`, { headers: w.viewer.auth });
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it.each([
    ['status', { status: 'archived' }],
    ['name', { name: '' }],
    ['project_id', { project_id: 'prj_other' }],
    ['asset_id', { asset_id: null }],
  ])('answers 400 naming %s', async (path, json) => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    const a = await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual([path]);
  });

  it('answers 412 for a stale If-Match and applies a current one', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    const etag = (await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    expect((await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'First' } })).status).toBe(200);
    const stale = await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: { ...w.editor.auth, 'If-Match': etag }, json: { name: 'Second' } });
    expectProblem(stale, 412, 'precondition-failed');
    expect((await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).body.name).toBe('First');
  });

  it('answers 403 to a viewer, 404 as a missing report to those who may not see it, 409 when archived', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    expectProblem(await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: w.viewer.auth, json: { name: 'Mine' } }), 403, 'forbidden');
    for (const who of [w.member, w.outsider]) {
      const a = await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: who.auth, json: { name: 'Mine' } });
      expect(sameProblem(a)).toEqual(await missingReport(who, '', 'PATCH', { name: 'Mine' }));
    }
    expect((await archive(w)).status).toBe(200);
    expectProblem(await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { status: 'final' } }), 409, 'archived');
    expect((await call(`/v1/reports/${r.id}`, { headers: w.viewer.auth })).body.status).toBe('draft');
  });
});

describe('the file', () => {
  it('attaches a file to a report that had none (raw body), then replaces it; the old object goes', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id, name: 'Survey' });
    expect((await download(`/v1/reports/${r.id}/download`, w.editor.auth)).status).toBe(404);
    const first = await call(`/v1/reports/${r.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'application/pdf' }, body: PDF });
    expect(first.status, first.text).toBe(200);
    expect(first.body.file).toEqual({ url: `/v1/reports/${r.id}/download`, mime_type: 'application/pdf', size: PDF.byteLength, sha256: await sha256Hex(PDF) });
    expect(first.headers.get('ETag')).toBe((await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).headers.get('ETag'));
    const oldKey = await fileKey(r.id);
    const second = await call(`/v1/reports/${r.id}/file`, { method: 'PUT', headers: w.editor.auth, body: reportForm({}, { bytes: CSV, type: 'text/csv', name: 'x.csv' }) });
    expect(second.status, second.text).toBe(200);
    expect(second.body.file).toMatchObject({ mime_type: 'text/csv', size: CSV.byteLength });
    const newKey = await fileKey(r.id);
    expect(newKey).not.toBe(oldKey);
    expect(await count('blobs', 'organization_id = ?', w.org.id)).toBe(1);
    expect(await eventually(async () => (await env.FILES.head(oldKey)) === null)).toBe(true);
    expect(await r2Keys(`${w.org.id}/`)).toEqual([newKey]);
    expect((await download(`/v1/reports/${r.id}/download`, w.viewer.auth)).bytes).toEqual(CSV);
  });

  it('answers 400 without a file, 412 for a stale If-Match, 413 over the limit; nothing is stored', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    const none = await call(`/v1/reports/${r.id}/file`, { method: 'PUT', headers: w.editor.auth, body: reportForm({ name: 'x' }) });
    expectProblem(none, 400, 'invalid-request');
    expect(paths(none)).toEqual(['file']);
    const etag = (await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Changed' } });
    const stale = await call(`/v1/reports/${r.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'application/pdf', 'If-Match': etag }, body: PDF });
    expectProblem(stale, 412, 'precondition-failed');
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    const tooBig = await call(`/v1/reports/${r.id}/file`, { method: 'PUT', headers: { ...w.editor.auth, 'Content-Type': 'application/octet-stream' }, body: big });
    expectProblem(tooBig, 413, 'payload-too-large');
    expect((await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).body.file).toBeNull();
    expect(await eventually(async () => (await r2Keys(`${w.org.id}/`)).length === 0)).toBe(true);
  });

  it('answers 403 to a viewer, 404 as a missing report to those who may not see it, 409 when archived', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    const put = (who: Actor, id = r.id) => call(`/v1/reports/${id}/file`, { method: 'PUT', headers: { ...who.auth, 'Content-Type': 'application/pdf' }, body: PDF });
    expectProblem(await put(w.viewer), 403, 'forbidden');
    for (const who of [w.member, w.outsider]) {
      const a = await put(who);
      const random = await put(who, newId('rpt'));
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(sameProblem(random));
    }
    expect((await archive(w)).status).toBe(200);
    expectProblem(await put(w.editor), 409, 'archived');
    expect(await r2Keys(`${w.org.id}/`)).toEqual([]);
  });
});

describe('download', () => {
  it('serves the file as an attachment with type, length, disposition, nosniff, ETag and Last-Modified, in one D1 round trip', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: w.asset.id, name: 'Rapport été' });
    for (const path of [`/v1/reports/${r.id}/download`, `/v1/assets/${w.asset.id}/reports/${r.id}/download`]) {
      const d = await download(path, w.viewer.auth);
      expect(d.status, path).toBe(200);
      expect(d.bytes).toEqual(PDF);
      expect(d.headers.get('Content-Type')).toBe('application/pdf');
      expect(d.headers.get('Content-Length')).toBe(String(PDF.byteLength));
      expect(d.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(d.headers.get('ETag')).toMatch(/^"[^"]+"$/);
      expect(new Date(d.headers.get('Last-Modified')!).getTime()).not.toBeNaN();
      const disposition = d.headers.get('Content-Disposition')!;
      expect(disposition).toMatch(/^attachment; filename="Rapport _t_\.pdf"; /);
      expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent('Rapport été')}.pdf`);
      expect(roundTrips(d)).toBe(1);
    }
  });

  it('answers ranges (206), 416 past the end, and If-None-Match (304)', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: w.asset.id });
    for (const path of [`/v1/reports/${r.id}/download`, `/v1/assets/${w.asset.id}/reports/${r.id}/download`]) {
      const etag = (await download(path, w.editor.auth)).headers.get('ETag')!;
      const part = await download(path, { ...w.editor.auth, Range: 'bytes=0-4' });
      expect(part.status).toBe(206);
      expect(new TextDecoder().decode(part.bytes)).toBe('%PDF-');
      expect(part.headers.get('Content-Range')).toBe(`bytes 0-4/${PDF.byteLength}`);
      expect(part.headers.get('Content-Length')).toBe('5');
      const beyond = await download(path, { ...w.editor.auth, Range: `bytes=${PDF.byteLength + 10}-` });
      expectProblem(beyond, 416);
      expect(beyond.headers.get('Content-Range')).toBe(`bytes */${PDF.byteLength}`);
      const notModified = await download(path, { ...w.editor.auth, 'If-None-Match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.bytes.byteLength).toBe(0);
    }
  });

  it('answers 404 for a report without a file, on both routes', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id, asset_id: w.asset.id });
    for (const path of [`/v1/reports/${r.id}/download`, `/v1/assets/${w.asset.id}/reports/${r.id}/download`]) {
      const d = await download(path, w.editor.auth);
      expectProblem(d, 404, 'not-found');
      expect(d.body.detail).toBe('File does not exist.');
    }
  });
});

describe('delete', () => {
  it('removes the rows and then the R2 object; the report is gone from the lists', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: w.asset.id });
    const keep = await createReportWithFile(w.editor, { project_id: w.project.id, asset_id: w.asset.id });
    const key = await fileKey(r.id);
    const blobs = await count('blobs');
    const a = await call(`/v1/reports/${r.id}`, { method: 'DELETE', headers: w.editor.auth });
    expect(a.status, a.text).toBe(204);
    expect(await count('reports', 'id = ?', r.id)).toBe(0);
    expect(await count('blobs')).toBe(blobs - 1);
    expect(await count('changes', "op = 'delete' AND entity_type = 'report' AND entity_id = ? AND organization_id = ? AND at > 0", r.id, w.org.id)).toBe(1);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
    expect(await env.FILES.head(await fileKey(keep.id))).not.toBeNull();
    expect(sameProblem(await call(`/v1/reports/${r.id}`, { headers: w.editor.auth }))).toEqual(await missingReport(w.editor));
    expect(ids(await call(`/v1/assets/${w.asset.id}/reports`, { headers: w.editor.auth }))).toEqual([keep.id]);
    expect(ids(await call('/v1/reports', { headers: w.editor.auth }))).toEqual([keep.id]);
  });

  it('deletes a report without a file', async () => {
    const w = await world();
    const r = await createReport(w.editor, { project_id: w.project.id });
    expect((await call(`/v1/reports/${r.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    expect(await count('reports', 'id = ?', r.id)).toBe(0);
  });

  it('answers 412 for a stale If-Match, keeping everything', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id });
    const etag = (await call(`/v1/reports/${r.id}`, { headers: w.editor.auth })).headers.get('ETag')!;
    await call(`/v1/reports/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { status: 'final' } });
    const stale = await call(`/v1/reports/${r.id}`, { method: 'DELETE', headers: { ...w.editor.auth, 'If-Match': etag } });
    expectProblem(stale, 412, 'precondition-failed');
    expect(await count('reports', 'id = ?', r.id)).toBe(1);
    expect(await count('changes', "op = 'delete' AND entity_id = ?", r.id)).toBe(0);
    expect(await env.FILES.head(await fileKey(r.id))).not.toBeNull();
  });

  it('answers 403 to a viewer, 404 as a missing report to those who may not see it, 409 when archived; nothing goes', async () => {
    const w = await world();
    const r = await createReportWithFile(w.editor, { project_id: w.project.id });
    expectProblem(await call(`/v1/reports/${r.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403, 'forbidden');
    for (const who of [w.member, w.outsider]) {
      expect(sameProblem(await call(`/v1/reports/${r.id}`, { method: 'DELETE', headers: who.auth }))).toEqual(await missingReport(who, '', 'DELETE'));
    }
    expect((await archive(w)).status).toBe(200);
    expectProblem(await call(`/v1/reports/${r.id}`, { method: 'DELETE', headers: w.editor.auth }), 409, 'archived');
    expect(await count('reports', 'id = ?', r.id)).toBe(1);
    expect(await env.FILES.head(await fileKey(r.id))).not.toBeNull();
  });
});
