/**
 * Seed 003's documents: /v1/{documentable_type}/{documentable_id}/documents[/{id}] answer the
 * same resources as the resource routes, and close the TransAM hole: knowing a document's id is
 * not enough, the caller must see an entity it is attached to, and the entity of the path.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../src/index';
import { newId } from '../src/lib/ids';
import { call, expectProblem, sameProblem, type Answer } from './support/api';
import { count, makeUser, unique, type Actor } from './support/actors';
import { ok, privateProjectWithAsset } from './support/domain';
import { download } from './support/files';

const LIMIT = 2 * 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);
const paths = (a: Answer) => (a.body.errors ?? []).map((e: { path: string }) => e.path);

/** privateProjectWithAsset(), a report in the project, and a project of the outsider's organisation (`orgB`). */
async function world() {
  const { outsiderOrg: orgB, ...w } = await privateProjectWithAsset();
  const report = await ok(call('/v1/reports', { headers: w.editor.auth, json: { project_id: w.project.id, name: 'R' } }));
  const projectB = await ok(call(`/v1/organizations/${orgB.slug}/projects`, { headers: w.outsider.auth, json: { name: unique('PB ') } }));
  return { ...w, orgB, projectB, report };
}

function form(bytes: Uint8Array | null, fields: [string, string][] = []) {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  if (bytes) fd.append('file', new Blob([bytes], { type: 'text/plain' }), 'doc.txt');
  return fd;
}

const strip = (a: Answer) => ({ status: a.status, body: a.body, etag: a.headers.get('ETag') });

describe('401 on every documents route', () => {
  const types = [
    ['organizations', 'org'],
    ['projects', 'project'],
    ['assets', 'asset'],
    ['reports', 'report'],
  ] as const;
  const routes: [string, string][] = types.flatMap(([seg, p]) => [
    ['GET', `/v1/${seg}/{${p}}/documents`],
    ['POST', `/v1/${seg}/{${p}}/documents`],
    ['PATCH', `/v1/${seg}/{${p}}/documents/{id}`],
    ['DELETE', `/v1/${seg}/{${p}}/documents/{id}`],
  ]);

  it('lists every route the app declares under the Documents tag', () => {
    const declared = app.openAPIRegistry.definitions
      .filter((d) => d.type === 'route' && (d.route.tags ?? []).includes('Documents'))
      .map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} ${d.route.path}` : ''));
    expect(routes.map(([m, p]) => `${m} ${p}`).sort()).toEqual(declared.sort());
  });

  it.each(routes)('%s %s without a token', async (method, path) => {
    const a = await call(path.replace(/\{\w+\}/g, 'x'), { method, json: method === 'PATCH' ? { name: 'x' } : undefined });
    expectProblem(a, 401, 'unauthenticated');
  });
});

describe('documents are resources', () => {
  it('create, list, patch and delete under each entity answer as the resource routes do', async () => {
    const w = await world();
    const entities: [string, string, Actor][] = [
      ['organizations', w.org.slug, w.admin],
      ['projects', w.project.id, w.editor],
      ['assets', w.asset.id, w.editor],
      ['reports', w.report.id, w.editor],
    ];
    for (const [seg, id, actor] of entities) {
      const created = await call(`/v1/${seg}/${id}/documents`, { headers: actor.auth, body: form(text(`doc of ${seg}`), [['description', 'test document 1']]) });
      expect(created.status, created.text).toBe(201);
      expect(created.body.description).toBe('test document 1');
      const viaResource = await call(`/v1/resources/${created.body.id}`, { headers: actor.auth });
      expect(strip(viaResource)).toEqual({ ...strip(created), status: 200 });

      const docs = await call(`/v1/${seg}/${id}/documents`, { headers: actor.auth });
      const resources = await call(`/v1/${seg}/${id}/resources`, { headers: actor.auth });
      expect(docs.body.results).toEqual([created.body]);
      expect(docs.body.results).toEqual(resources.body.results);
      expect(docs.body.count).toBe(resources.body.count);

      const etag = created.headers.get('ETag')!;
      const patched = await call(`/v1/${seg}/${id}/documents/${created.body.id}`, { method: 'PATCH', headers: { ...actor.auth, 'If-Match': etag }, json: { description: 'updated' } });
      expect(patched.status, patched.text).toBe(200);
      expect(strip(patched)).toEqual(strip(await call(`/v1/resources/${created.body.id}`, { headers: actor.auth })));
      expectProblem(await call(`/v1/${seg}/${id}/documents/${created.body.id}`, { method: 'PATCH', headers: { ...actor.auth, 'If-Match': etag }, json: { description: 'lost' } }), 412);
      expectProblem(await call(`/v1/${seg}/${id}/documents/${created.body.id}`, { method: 'DELETE', headers: { ...actor.auth, 'If-Match': etag } }), 412);

      expect((await call(`/v1/${seg}/${id}/documents/${created.body.id}`, { method: 'DELETE', headers: actor.auth })).status).toBe(204);
      expectProblem(await call(`/v1/resources/${created.body.id}`, { headers: actor.auth }), 404);
    }
  });

  it('400 naming the field, 403, 409 for an archived project, 413', async () => {
    const w = await world();
    const D = `/v1/projects/${w.project.id}/documents`;
    const noFile = await call(D, { headers: w.editor.auth, body: form(null, [['description', 'x']]) });
    expectProblem(noFile, 400);
    expect(paths(noFile)).toEqual(['file']);
    const doc = await ok(call(D, { headers: w.editor.auth, body: form(text('d')) }));
    const bad = await call(`${D}/${doc.id}`, { method: 'PATCH', headers: w.editor.auth, json: { description: 5 } });
    expectProblem(bad, 400);
    expect(paths(bad)).toEqual(['description']);
    expectProblem(await call(D, { headers: w.viewer.auth, body: form(text('v')) }), 403);
    expectProblem(await call(`${D}/${doc.id}`, { method: 'PATCH', headers: w.viewer.auth, json: { description: 'v' } }), 403);
    expectProblem(await call(`${D}/${doc.id}`, { method: 'DELETE', headers: w.viewer.auth }), 403);
    expectProblem(await call(D, { headers: w.editor.auth, body: form(new Uint8Array(LIMIT + 1)) }), 413);
    await ok(call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } }), 200);
    expectProblem(await call(D, { headers: w.editor.auth, body: form(text('a')) }), 409, 'archived');
    expectProblem(await call(`${D}/${doc.id}`, { method: 'PATCH', headers: w.editor.auth, json: { description: 'a' } }), 409, 'archived');
    expectProblem(await call(`${D}/${doc.id}`, { method: 'DELETE', headers: w.editor.auth }), 409, 'archived');
    expect(await count('resources', 'id = ?', doc.id)).toBe(1);
  });
});

describe('the TransAM hole stays closed', () => {
  it('knowing a document id without seeing its entity gives 404 (as for a missing id) on GET, PATCH, DELETE and download', async () => {
    const w = await world();
    const doc = await ok(call(`/v1/assets/${w.asset.id}/documents`, { headers: w.editor.auth, body: form(text('secret')) }));
    for (const who of [w.bystander, w.outsider]) {
      const missingDoc = await call(`/v1/assets/${w.asset.id}/documents/${newId('res')}`, { method: 'PATCH', headers: who.auth, json: { description: 'x' } });
      expectProblem(missingDoc, 404);
      const answers = [
        await call(`/v1/resources/${doc.id}`, { headers: who.auth }),
        await call(`/v1/assets/${w.asset.id}/documents/${doc.id}`, { method: 'PATCH', headers: who.auth, json: { description: 'pwned' } }),
        await call(`/v1/assets/${w.asset.id}/documents/${doc.id}`, { method: 'DELETE', headers: who.auth }),
        await download(`/v1/resources/${doc.id}/download`, who.auth),
      ];
      for (const a of answers) {
        expectProblem(a, 404, 'not-found');
        expect(sameProblem(a)).toEqual(sameProblem(missingDoc));
      }
      expectProblem(await call(`/v1/assets/${w.asset.id}/documents`, { headers: who.auth }), 404);
    }
    // Addressed under an entity the caller does see but that it is not attached to: 404 too,
    // even for the organisation's admin and the other organisation's admin.
    const underOrg = await call(`/v1/organizations/${w.org.slug}/documents/${doc.id}`, { method: 'PATCH', headers: w.admin.auth, json: { description: 'x' } });
    expectProblem(underOrg, 404);
    expectProblem(await call(`/v1/organizations/${w.org.slug}/documents/${doc.id}`, { method: 'DELETE', headers: w.admin.auth }), 404);
    expectProblem(await call(`/v1/projects/${w.projectB.id}/documents/${doc.id}`, { method: 'DELETE', headers: w.outsider.auth }), 404);
    expect((await call(`/v1/organizations/${w.org.slug}/documents`, { headers: w.admin.auth })).body.results).toEqual([]);
    const row = await env.DB.prepare('SELECT description FROM resources WHERE id = ?').bind(doc.id).first<{ description: string }>();
    expect(row).toEqual({ description: '' });
  });
});

describe('a document shared with another organisation', () => {
  it('its documents routes let B read it and refuse B every change (403), as the resource routes do; A keeps it; B detaches it from its own entities', async () => {
    const w = await world();
    const doc = await ok(call(`/v1/projects/${w.project.id}/documents`, { headers: w.editor.auth, body: form(text('A’s document'), [['name', 'Lease']]) }));
    // A superuser writes both sides: it shares A's document with B's organisation and project.
    const root = await makeUser({ superuser: true });
    for (const [type, id] of [['organization', w.orgB.id], ['project', w.projectB.id]] as const) {
      await ok(call(`/v1/resources/${doc.id}/attachments`, { headers: root.auth, json: { entity_type: type, entity_id: id } }), 200);
    }
    const before = await call(`/v1/resources/${doc.id}`, { headers: w.admin.auth });
    const underB = [`/v1/organizations/${w.orgB.slug}/documents`, `/v1/projects/${w.projectB.id}/documents`];
    for (const list of underB) {
      const listed = await call(list, { headers: w.outsider.auth });
      expect(listed.body.results.map((r: { id: string }) => r.id)).toEqual([doc.id]);
    }
    // Issue 10, item 8: these answered 204 and 200.
    for (const base of underB) {
      expectProblem(await call(`${base}/${doc.id}`, { method: 'DELETE', headers: w.outsider.auth }), 403, 'forbidden');
      expectProblem(await call(`${base}/${doc.id}`, { method: 'PATCH', headers: w.outsider.auth, json: { name: 'Taken' } }), 403, 'forbidden');
    }
    const after = await call(`/v1/resources/${doc.id}`, { headers: w.admin.auth });
    expect(strip(after)).toEqual(strip(before));
    expect((await download(`/v1/resources/${doc.id}/download`, w.admin.auth)).bytes).toEqual(text('A’s document'));

    // A's writers still change it through A's routes; B sees the change.
    const patched = await call(`/v1/projects/${w.project.id}/documents/${doc.id}`, { method: 'PATCH', headers: w.editor.auth, json: { description: 'by A' } });
    expect(patched.status, patched.text).toBe(200);
    expect((await call(`/v1/resources/${doc.id}`, { headers: w.outsider.auth })).body.description).toBe('by A');
    // B removes it from its own entities; A's document stays.
    for (const [type, id] of [['organization', w.orgB.slug], ['project', w.projectB.id]]) {
      expect((await call(`/v1/resources/${doc.id}/attachments/${type}/${id}`, { method: 'DELETE', headers: w.outsider.auth })).status).toBe(204);
    }
    expectProblem(await call(`/v1/resources/${doc.id}`, { headers: w.outsider.auth }), 404);
    expect((await call(`/v1/projects/${w.project.id}/documents`, { headers: w.viewer.auth })).body.results.map((r: { id: string }) => r.id)).toEqual([doc.id]);
  });
});
