/**
 * TransAM's documents (seed 003) on assets, organisations, projects and reports: list, upload,
 * update (PATCH and PUT), delete, in JSend. A document is only reachable through an entity the
 * caller may see that it is attached to: TransAM's own hole (any document by its key alone) is
 * closed on every verb.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEXT } from '../../src/compat/transam/dialect';
import { call, ORIGIN } from '../support/api';
import { expectJSendFail as expectFail } from '../support/answers';
import { makeOrg, makeUser, unique, type Actor } from '../support/actors';

const T = '/compat/transam/api/v1';

const numberOf = async (table: string, id: string) => (await env.DB.prepare(`SELECT number FROM ${table} WHERE id = ?`).bind(id).first<{ number: number }>())!.number;

const upload = (text: string, description?: string, name = 'plan.pdf') => {
  const fd = new FormData();
  fd.append('document', new Blob([new TextEncoder().encode(`%PDF-1.4 ${text}`)], { type: 'application/pdf' }), name);
  if (description !== undefined) fd.append('description', description);
  return fd;
};

describe('documents', () => {
  let admin: Actor;
  let member: Actor;
  let stranger: Actor;
  /** documentable_type → documentable_id, for the admin's organisation. */
  let mine: Record<string, string | number>;
  let theirs: Record<string, string | number>;

  async function entities(owner: Actor) {
    const org = await makeOrg(owner, owner === admin ? [member] : [], { name: `Docs ${unique('')}` });
    const project = (await call(`/v1/organizations/${org.slug}/projects`, { headers: owner.auth, json: { name: 'Rail' } })).body;
    const asset = (await call(`/v1/projects/${project.id}/assets`, { headers: owner.auth, json: { name: 'Car 1' } })).body;
    const report = await call(`/v1/reports`, { headers: owner.auth, json: { project_id: project.id, name: 'Inspection' } });
    expect(report.status, report.text).toBe(201);
    return {
      assets: asset.id as string,
      organizations: await numberOf('organizations', org.id),
      projects: await numberOf('projects', project.id),
      reports: await numberOf('reports', report.body.id),
    };
  }

  beforeAll(async () => {
    admin = await makeUser();
    member = await makeUser();
    stranger = await makeUser();
    mine = await entities(admin);
    theirs = await entities(stranger);
  });

  for (const type of ['assets', 'organizations', 'projects', 'reports']) {
    it(`${type}: upload, list (paged), PATCH and PUT the description, delete; the url downloads the file`, async () => {
      const docs = `${T}/${type}/${mine[type]}/documents`;
      const created = await call(docs, { method: 'POST', headers: admin.pair, body: upload('plan', 'test document 1') });
      expect(created.status, created.text).toBe(201);
      const key = created.body.data.document.object_key as string;
      expect(created.body).toEqual({ status: 'success', data: { document: { object_key: key, description: 'test document 1', url: `${ORIGIN}/v1/resources/${key}/download` } } });
      const file = await call(`/v1/resources/${key}/download`, { headers: member.auth, unchecked: true });
      expect([file.status, file.text]).toEqual([200, '%PDF-1.4 plan']);

      const list = await call(docs, { headers: member.pair });
      expect(list.status, list.text).toBe(200);
      expect(list.body).toEqual({ status: 'success', data: { documents: [created.body.data.document] } });
      expect([list.headers.get('Total'), list.headers.get('Per-Page')]).toEqual(['1', '25']);

      const patched = await call(`${docs}/${key}`, { method: 'PATCH', headers: admin.pair, json: { description: 'updated test document 1' } });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.data.document).toEqual({ ...created.body.data.document, description: 'updated test document 1' });
      const put = await call(`${docs}/${key}`, { method: 'PUT', body: new URLSearchParams({ description: 'put' }).toString(), headers: { ...admin.pair, 'Content-Type': 'application/x-www-form-urlencoded' } });
      expect(put.status, put.text).toBe(200);
      expect(put.body.data.document.description).toBe('put');

      const deleted = await call(`${docs}/${key}`, { method: 'DELETE', headers: admin.pair });
      expect(deleted.status, deleted.text).toBe(200);
      expect(deleted.body).toEqual({ status: 'success', data: {} });
      expectFail(await call(`${docs}/${key}`, { method: 'DELETE', headers: admin.pair }), 404, { message: TEXT.notFound });
      expect((await call(docs, { headers: member.pair })).body.data.documents).toEqual([]);
    });
  }

  it('answers 400 fail naming `document` when the file is missing, and a description too long', async () => {
    const fd = new FormData();
    fd.append('description', 'no file');
    expectFail(await call(`${T}/assets/${mine.assets}/documents`, { method: 'POST', headers: admin.pair, body: fd }), 400, { document: 'Required: a `document` part.' });
    const long = await call(`${T}/assets/${mine.assets}/documents`, { method: 'POST', headers: admin.pair, body: upload('x', 'd'.repeat(10_001)) });
    expect([long.status, Object.keys(long.body.data)], long.text).toEqual([400, ['description']]);
  });

  it('a file whose content is not what it is declared as, or a file under another field, answers 400 fail keyed by `document` (the part the request named), and stores nothing', async () => {
    const docs = `${T}/projects/${mine.projects}/documents`;
    const before = (await call(docs, { headers: admin.pair })).body.data.documents.length;
    const fake = new FormData();
    fake.append('document', new Blob(['<html>not a pdf</html>'], { type: 'application/pdf' }), 'plan.pdf');
    expectFail(await call(docs, { method: 'POST', headers: admin.pair, body: fake }), 400, { document: 'Declared as application/pdf but the content does not begin as application/pdf does.' });
    const png = new FormData();
    png.append('document', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])], { type: 'text/plain' }), 'notes.txt');
    expectFail(await call(docs, { method: 'POST', headers: admin.pair, body: png }), 400, { document: 'Declared as text/plain but the content is image/png.' });
    const misplaced = new FormData();
    misplaced.append('file', new Blob(['%PDF-1.4 x'], { type: 'application/pdf' }), 'plan.pdf');
    expectFail(await call(docs, { method: 'POST', headers: admin.pair, body: misplaced }), 400, { document: 'Required: a `document` part.' });
    expect((await call(docs, { headers: admin.pair })).body.data.documents).toHaveLength(before);
  });

  it('a member who may only read is refused an upload with 403 fail; an unknown documentable type is 404 fail', async () => {
    const a = await call(`${T}/organizations/${mine.organizations}/documents`, { method: 'POST', headers: member.pair, body: upload('x') });
    expect([a.status, a.body.status, Object.keys(a.body.data)]).toEqual([403, 'fail', ['message']]);
    expectFail(await call(`${T}/vehicles/1/documents`, { headers: admin.pair }), 404, { message: TEXT.notFound });
  });

  it('TransAM’s hole stays closed: a document is not reachable by its key through an entity it is not attached to, nor through one the caller may not see, on any verb; all answer the same 404 as a missing one', async () => {
    const up = await call(`${T}/assets/${theirs.assets}/documents`, { method: 'POST', headers: stranger.pair, body: upload('secret', 'theirs') });
    expect(up.status, up.text).toBe(201);
    const theirDoc = up.body.data.document.object_key as string;
    const myDoc = (await call(`${T}/assets/${mine.assets}/documents`, { method: 'POST', headers: admin.pair, body: upload('mine', 'mine') })).body.data.document.object_key as string;
    const attempts: [string, string][] = [
      // Their document through my entities (the caller may see those, but it is not attached to them).
      ...['assets', 'organizations', 'projects', 'reports'].map((t) => [`${T}/${t}/${mine[t]}/documents/${theirDoc}`, t] as [string, string]),
      // Their document through their own asset, which I may not see.
      [`${T}/assets/${theirs.assets}/documents/${theirDoc}`, 'theirs'],
      // My document through my project, which it is not attached to.
      [`${T}/projects/${mine.projects}/documents/${myDoc}`, 'not attached'],
      // A key that names nothing.
      [`${T}/assets/${mine.assets}/documents/res_01jd8z3b6q0w4y1r7k5t2m9xce`, 'missing'],
    ];
    for (const [url, why] of attempts) {
      for (const [method, body] of [['PATCH', { json: { description: 'x' } }], ['PUT', { json: { description: 'x' } }], ['DELETE', {}]] as const) {
        const a = await call(url, { method, headers: admin.pair, ...body });
        expect([a.status, a.body], `${method} ${why}`).toEqual([404, { status: 'fail', data: { message: TEXT.notFound } }]);
      }
    }
    // Their documents list, through their entities, is a 404 for me; theirs is untouched.
    for (const t of ['assets', 'organizations', 'projects', 'reports']) {
      expectFail(await call(`${T}/${t}/${theirs[t]}/documents`, { headers: admin.pair }), 404, { message: TEXT.notFound });
      expectFail(await call(`${T}/${t}/${theirs[t]}/documents`, { method: 'POST', headers: admin.pair, body: upload('x') }), 404, { message: TEXT.notFound });
    }
    const still = await call(`${T}/assets/${theirs.assets}/documents`, { headers: stranger.pair });
    expect(still.body.data.documents).toEqual([{ object_key: theirDoc, description: 'theirs', url: `${ORIGIN}/v1/resources/${theirDoc}/download` }]);
    expect((await call(`/v1/resources/${theirDoc}/download`, { headers: admin.auth })).status).toBe(404);
  });

  it('answers 401 fail without credentials on every verb', async () => {
    const docs = `${T}/assets/${mine.assets}/documents`;
    expectFail(await call(docs), 401, { message: TEXT.unauthenticated });
    expectFail(await call(docs, { method: 'POST', body: upload('x') }), 401, { message: TEXT.unauthenticated });
    expectFail(await call(`${docs}/res_01jd8z3b6q0w4y1r7k5t2m9xce`, { method: 'DELETE' }), 401, { message: TEXT.unauthenticated });
  });
});
