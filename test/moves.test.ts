/**
 * Moving a project to another organisation and an asset to another project (issue 15): what
 * moves with them (assets, folder trees of any depth, data, spheres, reports, logo, resources and
 * their bytes, the project's people), what each actor sees afterwards, every refusal (403, 404 as
 * for a missing target, 409 for a taken slug or tag, an archived side, a race), that a refused
 * or half-run move changes nothing, and that deduplication, the sweep and deleting the source
 * organisation keep every byte the moved project holds.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids';
import { createDataFile } from '../src/data/service';
import { updateAsset } from '../src/assets/service';
import { updateProject } from '../src/projects/service';
import { createReport } from '../src/reports/service';
import { SWEEP_GRACE_MS, sweepOrphans } from '../src/storage/sweep';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { addProjectMember, createAsset, createProject, ok, type Row } from './support/domain';
import { download, eventually, r2Keys } from './support/files';
import { problemOf, racingScope } from './support/services';
import { snapshot } from './support/snapshot';
import { chainThroughApi } from './support/trees';
import { fileForm, PNG } from './support/world';

const text = (s: string) => new TextEncoder().encode(s);
const LATER = () => Date.now() + SWEEP_GRACE_MS + 1000;

type Blob = { id: string; key: string; org: string };

async function blobOf(table: 'resources' | 'data_files' | 'spheres' | 'reports', id: string): Promise<Blob> {
  const row = await env.DB.prepare(`SELECT b.id, b.r2_key AS key, b.organization_id AS org FROM ${table} x JOIN blobs b ON b.id = x.blob_id WHERE x.id = ?`)
    .bind(id)
    .first<Blob>();
  if (!row) throw new Error(`no blob for ${table} ${id}`);
  return row;
}

async function logoBlobOf(projectId: string): Promise<Blob> {
  const row = await env.DB.prepare('SELECT b.id, b.r2_key AS key, b.organization_id AS org FROM projects p JOIN blobs b ON b.id = p.logo_blob_id WHERE p.id = ?')
    .bind(projectId)
    .first<Blob>();
  if (!row) throw new Error('no logo');
  return row;
}

const versionOf = async (table: string, id: string) =>
  (await env.DB.prepare(`SELECT version FROM ${table} WHERE id = ?`).bind(id).first<{ version: number }>())!.version;

async function resource(actor: Actor, attach: string[], bytes: Uint8Array, name = 'doc') {
  const fields: [string, string][] = [['name', name], ...attach.map((a): [string, string] => ['attach', a])];
  return ok(call('/v1/resources', { headers: actor.auth, body: fileForm(fields, bytes) }));
}

function move(actor: Actor, projectId: string, organization: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return call(`/v1/projects/${projectId}`, { method: 'PATCH', headers: { ...actor.auth, ...headers }, json: { organization, ...extra } });
}

/**
 * Organisation S with project P (organisation access) holding one of everything, and organisation
 * T. `admin` administers both. P's manager, editor and viewer are members of S only; `both` is a
 * member of S and T and an editor of P. Around them: a member of S outside P, a member of T, an
 * admin of S alone and an admin of T alone (a plain member of S).
 */
async function world() {
  const [admin, manager, editor, viewer, both, bystander, memberT, adminS, adminT] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser(), makeUser()]);
  const S = await makeOrg(admin, [manager, editor, viewer, both, bystander, adminT]);
  const T = await makeOrg(admin, [memberT, both]);
  await ok(call(`/v1/organizations/${S.slug}/members`, { headers: admin.auth, json: { user: adminS.id, role: 'admin' } }));
  await ok(call(`/v1/organizations/${T.slug}/members`, { headers: admin.auth, json: { user: adminT.id, role: 'admin' } }));
  const P = await createProject(admin, S, { access: 'organization' });
  await addProjectMember(admin, P.id, manager, 'manager');
  await addProjectMember(admin, P.id, editor, 'editor');
  await addProjectMember(admin, P.id, viewer, 'viewer');
  await addProjectMember(admin, P.id, both, 'editor');
  await ok(call(`/v1/projects/${P.id}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG }), 200);
  const asset = await createAsset(editor, P.id, { asset_tag: unique('TAG-') });
  const tree = await chainThroughApi(editor, asset.id, 12);
  const sphere = await ok(call(`/v1/assets/${asset.id}/spheres`, { headers: editor.auth, body: fileForm([['name', 'pano']], PNG, 'image/png', 'pano.png') }));
  const report = await ok(call('/v1/reports', { headers: editor.auth, body: fileForm([['project_id', P.id], ['asset_id', asset.id], ['name', 'Inspection']], text('report body')) }));
  return { admin, manager, editor, viewer, both, bystander, memberT, adminS, adminT, S, T, P, asset, tree, sphere, report };
}

describe('moving a project to another organisation', () => {
  it('moves the project with its assets, folders of any depth, data, spheres, reports and logo, in two round trips; each is updated; every file still downloads', async () => {
    const w = await world();
    const before = await call(`/v1/projects/${w.P.id}`, { headers: w.admin.auth });
    const assetBefore = await call(`/v1/assets/${w.asset.id}`, { headers: w.admin.auth });
    const dataId = w.tree.files[0]!.id;
    const deepest = w.tree.folders.at(-1)!;
    const versions = {
      project: await versionOf('projects', w.P.id),
      folder: await versionOf('folders', deepest),
      data: await versionOf('data_files', dataId),
      sphere: await versionOf('spheres', w.sphere.id),
      report: await versionOf('reports', w.report.id),
    };
    const blobsBefore = { data: await blobOf('data_files', dataId), sphere: await blobOf('spheres', w.sphere.id), report: await blobOf('reports', w.report.id), logo: await logoBlobOf(w.P.id) };

    const moved = await move(w.admin, w.P.id, w.T.slug, { name: 'Moved along' });
    expect(moved.status, moved.text).toBe(200);
    expect(roundTrips(moved.res)).toBe(2);
    expect(moved.body.organization).toEqual({ id: w.T.id, number: expect.any(Number), slug: w.T.slug, name: w.T.name });
    expect(moved.body.name).toBe('Moved along');
    expect(moved.body.number).toBe(before.body.number);
    expect(moved.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    expect(await versionOf('projects', w.P.id)).toBe(versions.project + 1);
    const got = await call(`/v1/projects/${w.P.id}`, { headers: w.admin.auth });
    expect(got.body).toEqual(moved.body);

    const asset = await call(`/v1/assets/${w.asset.id}`, { headers: w.admin.auth });
    expect(asset.body.organization.id).toBe(w.T.id);
    expect(asset.body.project).toEqual({ id: w.P.id, number: expect.any(Number), name: 'Moved along' });
    expect(asset.body.asset_tag).toBe(w.asset.asset_tag);
    expect(asset.body.number).toBe(assetBefore.body.number);
    expect(asset.headers.get('ETag')).not.toBe(assetBefore.headers.get('ETag'));
    expect(await versionOf('assets', w.asset.id)).toBe(2);
    expect(await versionOf('folders', deepest)).toBe(versions.folder + 1);
    expect(await versionOf('data_files', dataId)).toBe(versions.data + 1);
    expect(await versionOf('spheres', w.sphere.id)).toBe(versions.sphere + 1);
    expect(await versionOf('reports', w.report.id)).toBe(versions.report + 1);
    expect(await count('assets', 'project_id = ? AND organization_id <> ?', w.P.id, w.T.id)).toBe(0);

    // The blobs change owner; the objects stay where they were written.
    const blobsAfter = { data: await blobOf('data_files', dataId), sphere: await blobOf('spheres', w.sphere.id), report: await blobOf('reports', w.report.id), logo: await logoBlobOf(w.P.id) };
    for (const [what, b] of Object.entries(blobsAfter)) {
      const was = blobsBefore[what as keyof typeof blobsBefore];
      expect(b, what).toEqual({ ...was, org: w.T.id });
      expect(b.key.startsWith(`${w.S.id}/`), what).toBe(true);
    }
    expect((await download(`/v1/data/${dataId}/download`, w.editor.auth)).bytes).toEqual(text('at depth 12'));
    expect((await download(`/v1/spheres/${w.sphere.id}/image`, w.editor.auth)).bytes).toEqual(PNG);
    expect((await download(`/v1/reports/${w.report.id}/download`, w.editor.auth)).bytes).toEqual(text('report body'));
    expect((await download(`/v1/projects/${w.P.id}/logo`, w.editor.auth)).bytes).toEqual(PNG);
    const contents = await call(`/v1/assets/${w.asset.id}/contents?folder=${w.tree.folders.at(-2)}`, { headers: w.viewer.auth });
    expect(contents.status, contents.text).toBe(200);
  });
});

describe('the people of a moved project, and what each actor sees', () => {
  it('members of the project join the target as members (their role there and in the source unchanged); who sees the project changes with its organisation', async () => {
    const w = await world();
    const roleIn = async (org: string, user: string) =>
      (await env.DB.prepare('SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?').bind(org, user).first<{ role: string }>())?.role ?? null;
    await ok(call(`/v1/organizations/${w.T.slug}/members/${w.both.id}`, { method: 'PATCH', headers: w.admin.auth, json: { role: 'admin' } }), 200);
    const rolesBefore = (await call(`/v1/projects/${w.P.id}/members`, { headers: w.admin.auth })).body.results;
    // Before: S's members see P (organisation access); T's do not.
    for (const who of [w.bystander, w.adminS, w.adminT]) expect((await call(`/v1/projects/${w.P.id}`, { headers: who.auth })).status).toBe(200);
    expectProblem(await call(`/v1/projects/${w.P.id}`, { headers: w.memberT.auth }), 404);

    expect((await move(w.admin, w.P.id, w.T.id)).status).toBe(200);

    for (const who of [w.manager, w.editor, w.viewer]) {
      expect(await roleIn(w.T.id, who.id)).toBe('member');
      expect(await roleIn(w.S.id, who.id)).toBe('member');
    }
    expect(await roleIn(w.T.id, w.both.id)).toBe('admin');
    expect(await roleIn(w.T.id, w.bystander.id)).toBeNull();
    expect((await call(`/v1/projects/${w.P.id}/members`, { headers: w.admin.auth })).body.results).toEqual(rolesBefore);

    // After: the project's people, T's members and admins see it; S's members and admins outside it do not.
    const missing = sameProblem(await call(`/v1/projects/${newId('prj')}`, { headers: w.bystander.auth }));
    for (const who of [w.bystander, w.adminS]) {
      const a = await call(`/v1/projects/${w.P.id}`, { headers: who.auth });
      expect(sameProblem(a), 'as a missing project').toEqual(missing);
      expectProblem(await call(`/v1/assets/${w.asset.id}`, { headers: who.auth }), 404);
      expectProblem(await call(`/v1/reports/${w.report.id}`, { headers: who.auth }), 404);
      const listed = await call('/v1/projects', { headers: who.auth });
      expect(listed.text.includes(w.P.id)).toBe(false);
      const assets = await call('/v1/assets', { headers: who.auth });
      expect(assets.text.includes(w.asset.id)).toBe(false);
    }
    for (const who of [w.memberT, w.adminT, w.viewer, w.editor, w.manager]) {
      expect((await call(`/v1/projects/${w.P.id}`, { headers: who.auth })).status).toBe(200);
      expect((await call(`/v1/assets/${w.asset.id}`, { headers: who.auth })).status).toBe(200);
      expect((await call(`/v1/projects?organization=${w.T.slug}`, { headers: who.auth })).body.results.map((p: Row) => p.id)).toContain(w.P.id);
    }
    // The project's editor still writes it, now in T; T's plain member reads only.
    expect((await call(`/v1/assets/${w.asset.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'Still mine' } })).status).toBe(200);
    expectProblem(await call(`/v1/assets/${w.asset.id}`, { method: 'PATCH', headers: w.memberT.auth, json: { name: 'Not mine' } }), 403);
    // Leaving T now ends the project roles (the rule of migrations/0008 holds in the new organisation).
    expect((await call(`/v1/organizations/${w.T.slug}/members/${w.viewer.id}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    expectProblem(await call(`/v1/projects/${w.P.id}`, { headers: w.viewer.auth }), 404);
  });
});

describe('resources and stored bytes of a moved project', () => {
  it('resources attached only to what moves change owner, keep their attachments and their bytes; the target stores each content once; deduplication, the sweep and deleting the source organisation agree', async () => {
    const w = await world();
    const [X, Y, Z, V] = [text(unique('bytes x ')), text(unique('bytes y ')), text(unique('bytes z ')), text(unique('bytes v '))];
    const other = await makeUser();
    const C = await makeOrg(other);
    const projectC = await createProject(other, C);
    await ok(call(`/v1/organizations/${C.slug}/members`, { headers: other.auth, json: { user: w.admin.id, role: 'admin' } }));
    // X: attached to P; T has the same bytes already.
    const r1 = await resource(w.editor, [`project:${w.P.id}`], X, 'r1');
    const inT = await resource(w.admin, [`organization:${w.T.id}`], X, 'T has X');
    // Attached to P and to S itself: stays S's.
    const r2 = await resource(w.admin, [`project:${w.P.id}`, `organization:${w.S.id}`], V, 'r2');
    // Y: attached to the asset, its bytes shared with a resource that stays in S.
    const r3 = await resource(w.editor, [`asset:${w.asset.id}`], Y, 'r3');
    const r4 = await resource(w.admin, [`organization:${w.S.id}`], Y, 'r4');
    expect((await blobOf('resources', r4.id)).id).toBe((await blobOf('resources', r3.id)).id);
    // Z: attached to the report, and shared by the project with organisation C; nothing else holds Z.
    const r5 = await resource(w.editor, [`report:${w.report.id}`], Z, 'r5');
    await ok(call(`/v1/resources/${r5.id}/attachments`, { headers: w.admin.auth, json: { entity_type: 'project', entity_id: projectC.id } }), 200);
    // A resource of C attached to P: C keeps it.
    const r6 = await resource(w.admin, [`project:${projectC.id}`], text(unique('of C ')), 'r6');
    await ok(call(`/v1/resources/${r6.id}/attachments`, { headers: w.admin.auth, json: { entity_type: 'project', entity_id: w.P.id } }), 200);
    const before = {
      r1: await blobOf('resources', r1.id),
      r2: await blobOf('resources', r2.id),
      r3: await blobOf('resources', r3.id),
      r5: await blobOf('resources', r5.id),
      r6: await blobOf('resources', r6.id),
      inT: await blobOf('resources', inT.id),
    };
    const etag = async (id: string) => (await call(`/v1/resources/${id}`, { headers: w.admin.auth })).headers.get('ETag');
    const etags = { r1: await etag(r1.id), r2: await etag(r2.id) };
    const objectsBefore = await r2Keys();

    const moved = await move(w.admin, w.P.id, w.T.slug);
    expect(moved.status, moved.text).toBe(200);
    expect(roundTrips(moved.res)).toBe(2);

    const owner = async (id: string) => (await env.DB.prepare('SELECT organization_id AS org FROM resources WHERE id = ?').bind(id).first<{ org: string }>())!.org;
    expect([await owner(r1.id), await owner(r2.id), await owner(r3.id), await owner(r4.id), await owner(r5.id), await owner(r6.id)]).toEqual([w.T.id, w.S.id, w.T.id, w.S.id, w.T.id, C.id]);
    // X: r1 now uses T's blob of X; S's is gone, row and object.
    expect(await blobOf('resources', r1.id)).toEqual(before.inT);
    expect(await count('blobs', 'id = ?', before.r1.id)).toBe(0);
    expect(await eventually(async () => !(await r2Keys()).includes(before.r1.key))).toBe(true);
    // r2 stays S's, with its bytes; its attachment to P is recorded in T.
    expect(await blobOf('resources', r2.id)).toEqual(before.r2);
    expect(await etag(r2.id)).toBe(etags.r2);
    expect(await etag(r1.id)).not.toBe(etags.r1);
    expect(await count('resource_attachments', "entity_type = 'project' AND entity_id = ? AND organization_id <> ?", w.P.id, w.T.id)).toBe(0);
    // Y: r3 has a copy of its own in T's prefix; r4 keeps S's blob.
    const r3After = await blobOf('resources', r3.id);
    expect(r3After.org).toBe(w.T.id);
    expect(r3After.key.startsWith(`${w.T.id}/resource/`)).toBe(true);
    expect(await blobOf('resources', r4.id)).toEqual(before.r3);
    // Z: r5's blob changes owner, its object stays in S's prefix. C's resource is untouched.
    expect(await blobOf('resources', r5.id)).toEqual({ ...before.r5, org: w.T.id });
    expect(await blobOf('resources', r6.id)).toEqual(before.r6);
    expect(await r2Keys()).toEqual([...objectsBefore.filter((k) => k !== before.r1.key), r3After.key].sort());
    // Every attachment is where it was.
    for (const [r, atts] of [[r1, 1], [r2, 2], [r3, 1], [r5, 2], [r6, 2]] as const) {
      expect(await count('resource_attachments', 'resource_id = ?', r.id), r.name).toBe(atts);
    }

    // The project's editor still changes what moved with it (its new owner is the project's
    // organisation); r2 is S's, shared with the project: theirs only to detach.
    for (const r of [r1, r3, r5]) expect((await call(`/v1/resources/${r.id}`, { method: 'PATCH', headers: w.editor.auth, json: { description: 'after' } })).status, r.name).toBe(200);
    expectProblem(await call(`/v1/resources/${r2.id}`, { method: 'PATCH', headers: w.editor.auth, json: { description: 'after' } }), 403);

    // Deduplication after the move, in each organisation.
    const again = async (org: { id: string }, bytes: Uint8Array) => blobOf('resources', (await resource(w.admin, [`organization:${org.id}`], bytes)).id);
    expect((await again(w.T, Z)).id, 'Z in T: the re-owned blob').toBe(before.r5.id);
    expect((await again(w.T, Y)).id, 'Y in T: the copy').toBe(r3After.id);
    expect((await again(w.T, X)).id, 'X in T: T’s own').toBe(before.inT.id);
    expect((await again(w.S, Y)).id, 'Y in S: S’s own').toBe(before.r3.id);
    const xInS = await again(w.S, X);
    expect([xInS.org, xInS.key.startsWith(`${w.S.id}/resource/`)], 'X in S: stored anew').toEqual([w.S.id, true]);
    expect((await again(w.S, Z)).org, 'Z in S: stored anew').toBe(w.S.id);

    // The sweep, a day later, removes nothing that is used.
    await sweepOrphans(env, LATER());
    const files: [string, Uint8Array][] = [
      [`/v1/resources/${r1.id}/download`, X],
      [`/v1/resources/${r3.id}/download`, Y],
      [`/v1/resources/${r4.id}/download`, Y],
      [`/v1/resources/${r5.id}/download`, Z],
      [`/v1/data/${w.tree.files[0]!.id}/download`, text('at depth 12')],
      [`/v1/reports/${w.report.id}/download`, text('report body')],
      [`/v1/spheres/${w.sphere.id}/image`, PNG],
      [`/v1/projects/${w.P.id}/logo`, PNG],
    ];
    for (const [path, bytes] of files) expect((await download(path, w.admin.auth)).bytes, path).toEqual(bytes);

    // Deleting S deletes S's blobs and resources, none of the moved project's.
    expect((await call(`/v1/organizations/${w.S.slug}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 200));
    for (const [path, bytes] of files.filter(([path]) => !path.includes(r4.id))) expect((await download(path, w.admin.auth)).bytes, path).toEqual(bytes);
    expectProblem(await call(`/v1/resources/${r2.id}`, { headers: w.admin.auth }), 404);
    await sweepOrphans(env, LATER());
    for (const [path, bytes] of files.filter(([path]) => !path.includes(r4.id))) expect((await download(path, w.admin.auth)).bytes, path).toEqual(bytes);
  });
});

describe('a move refused', () => {
  it('403 unless an admin of both organisations or a superuser; 404 as for a missing one when the project or the target is hidden; 409 for a read-only side, a taken slug or asset tag; 412 for a stale If-Match; none changes anything', async () => {
    const w = await world();
    const outsider = await makeUser();
    const U = await makeOrg(outsider);
    const [Archived, SlugTaken, TagTaken] = [await makeOrg(w.admin), await makeOrg(w.admin), await makeOrg(w.admin)];
    await createProject(w.admin, SlugTaken, { slug: w.P.slug });
    const holder = await createProject(w.admin, TagTaken);
    await createAsset(w.admin, holder.id, { asset_tag: w.asset.asset_tag });
    await ok(call(`/v1/organizations/${Archived.slug}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } }), 200);
    const etag = (await call(`/v1/projects/${w.P.id}`, { headers: w.admin.auth })).headers.get('ETag')!;
    await ok(call(`/v1/projects/${w.P.id}`, { method: 'PATCH', headers: w.admin.auth, json: { description: 'changed since' } }), 200);
    const randomOrg = (who: Actor) => call(`/v1/projects/${w.P.id}`, { method: 'PATCH', headers: who.auth, json: { organization: unique('no-such-') } });
    const ofManager = await makeOrg(w.manager, [w.viewer]);
    const missingProject = sameProblem(await call(`/v1/projects/${newId('prj')}`, { method: 'PATCH', headers: outsider.auth, json: { organization: U.slug } }));
    const missingOrg = sameProblem(await randomOrg(w.adminS));
    const before = await snapshot({ users: ['last_login', 'updated_at'], tokens: ['last_used_at'] });
    // [what, request, status, problem type, the missing entity's 404 it must equal]
    const cases: [string, () => Promise<Answer>, number, string, unknown?][] = [
      ["P's manager, to an organisation they administer", () => move(w.manager, w.P.id, ofManager.slug), 403, 'forbidden'],
      ["P's manager, to T, hidden from them", () => move(w.manager, w.P.id, w.T.slug), 404, 'not-found', missingOrg],
      ["P's viewer, to an organisation they are a member of", () => move(w.viewer, w.P.id, ofManager.slug), 403, 'forbidden'],
      ['an admin of S who is no member of T', () => move(w.adminS, w.P.id, w.T.slug), 404, 'not-found', missingOrg],
      ['an admin of T who is a plain member of S', () => move(w.adminT, w.P.id, w.T.slug), 403, 'forbidden'],
      ['a member of both, admin of T, editor of P', () => move(w.both, w.P.id, w.T.slug), 403, 'forbidden'],
      ['an outsider, from whom P is hidden', () => move(outsider, w.P.id, U.slug), 404, 'not-found', missingProject],
      ['an unknown target', () => randomOrg(w.admin), 404, 'not-found', missingOrg],
      ['an archived target', () => move(w.admin, w.P.id, Archived.slug), 409, 'archived'],
      ['a slug taken in the target', () => move(w.admin, w.P.id, SlugTaken.slug), 409, 'conflict'],
      ['an asset tag taken in the target', () => move(w.admin, w.P.id, TagTaken.slug), 409, 'conflict'],
      ['a stale If-Match', () => move(w.admin, w.P.id, w.T.slug, {}, { 'If-Match': etag }), 412, 'precondition-failed'],
    ];
    for (const [what, send, status, type, missing] of cases) {
      const a = await send();
      expect(a.status, `${what}: ${a.text}`).toBe(status);
      expectProblem(a, status, type);
      if (missing) expect(sameProblem(a), what).toEqual(missing);
    }
    const slugClash = await move(w.admin, w.P.id, SlugTaken.slug);
    expect(slugClash.body.errors).toEqual([{ path: 'slug', message: 'Already taken in the target organization.' }]);
    const tagClash = await move(w.admin, w.P.id, TagTaken.slug);
    expect(tagClash.body.detail).toContain(w.asset.asset_tag);
    expect(tagClash.body.errors.map((e: { path: string }) => e.path)).toEqual(['organization']);
    expect(await snapshot({ users: ['last_login', 'updated_at'], tokens: ['last_used_at'] })).toEqual(before);

    // A read-only source: an archived project (unless the same request unarchives it), an archived organisation.
    await ok(call(`/v1/projects/${w.P.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } }), 200);
    expectProblem(await move(w.admin, w.P.id, w.T.slug), 409, 'archived');
    await ok(call(`/v1/organizations/${w.S.slug}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } }), 200);
    expectProblem(await move(w.admin, w.P.id, w.T.slug, { archived: false }), 409, 'archived');
    await ok(call(`/v1/organizations/${w.S.slug}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: false } }), 200);
    const unarchived = await move(w.admin, w.P.id, w.T.slug, { archived: false });
    expect(unarchived.status, unarchived.text).toBe(200);
    expect([unarchived.body.organization.id, unarchived.body.archived]).toEqual([w.T.id, false]);
  });

  it('naming its own organisation moves nothing and asks only for the rights of a plain update; a superuser may move anything', async () => {
    const w = await world();
    const own = await move(w.manager, w.P.id, w.S.slug, { name: 'Renamed by its manager' });
    expect(own.status, own.text).toBe(200);
    expect([own.body.organization.id, own.body.name]).toEqual([w.S.id, 'Renamed by its manager']);
    expect(await count('memberships', 'organization_id = ? AND user_id = ?', w.T.id, w.manager.id)).toBe(0);
    expectProblem(await move(w.viewer, w.P.id, w.S.id), 403);
    const superuser = await makeUser({ superuser: true });
    const put = await call(`/v1/projects/${w.P.id}`, { method: 'PUT', headers: superuser.auth, json: { name: 'Put away', organization: w.T.id } });
    expect(put.status, put.text).toBe(200);
    expect([put.body.organization.id, put.body.name, put.body.slug]).toEqual([w.T.id, 'Put away', w.P.slug]);
    // PUT without organization leaves the project where it is.
    const again = await call(`/v1/projects/${w.P.id}`, { method: 'PUT', headers: superuser.auth, json: { name: 'Put again' } });
    expect(again.body.organization.id).toBe(w.T.id);
  });
});

/** What a move changes, to compare before and after one that must change nothing. */
async function placeOf(w: Awaited<ReturnType<typeof world>>) {
  const rows = await env.DB.batch([
    env.DB.prepare('SELECT organization_id, version FROM projects WHERE id = ?').bind(w.P.id),
    env.DB.prepare('SELECT id, organization_id, version FROM assets WHERE project_id = ? ORDER BY id').bind(w.P.id),
    env.DB.prepare('SELECT organization_id, user_id, role FROM memberships WHERE organization_id IN (?, ?) ORDER BY 1, 2').bind(w.S.id, w.T.id),
    env.DB.prepare('SELECT id, organization_id, r2_key FROM blobs WHERE organization_id IN (?, ?) ORDER BY id').bind(w.S.id, w.T.id),
    env.DB.prepare('SELECT id, organization_id, blob_id, version FROM resources WHERE organization_id IN (?, ?) ORDER BY id').bind(w.S.id, w.T.id),
    env.DB.prepare('SELECT resource_id, entity_id, organization_id FROM resource_attachments ORDER BY 1, 2'),
    env.DB.prepare('SELECT id, version FROM folders WHERE asset_id IN (SELECT id FROM assets WHERE project_id = ?) ORDER BY id').bind(w.P.id),
  ]);
  return JSON.stringify([rows.map((r) => r.results), await r2Keys()]);
}

describe('moves that race with other writes', () => {
  it('a tag taken in the target between the read and the batch refuses the whole move (409): nothing moved, the copies made for it removed', async () => {
    const w = await world();
    const Y = text(unique('shared bytes '));
    await resource(w.editor, [`asset:${w.asset.id}`], Y);
    await resource(w.admin, [`organization:${w.S.id}`], Y);
    const holder = await createProject(w.admin, w.T);
    const before = await placeOf(w);
    let holderAsset: Row | undefined;
    const scope = await racingScope(w.admin, async () => {
      holderAsset = await createAsset(w.admin, holder.id, { asset_tag: w.asset.asset_tag });
    });
    const p = await problemOf(updateProject(scope, w.P.id, { organization: w.T.id }, undefined));
    expect([p.status, p.detail]).toEqual([409, `An asset tag of this project is taken in ${w.T.slug}.`]);
    // The racing asset aside, everything is as it was; no copy is left in T's prefix.
    await ok(call(`/v1/assets/${holderAsset!.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    await new Promise((r) => setTimeout(r, 100));
    expect(await placeOf(w)).toBe(before);
    expect(await r2Keys(`${w.T.id}/`)).toEqual([]);
  });

  it('a resource of the source that takes on the bytes of one that moves, between the read and the batch, refuses the move (409), which changes nothing', async () => {
    const w = await world();
    const Z = text(unique('bytes only the report holds '));
    const r5 = await resource(w.editor, [`report:${w.report.id}`], Z);
    let sharing: Row | undefined;
    const scope = await racingScope(w.admin, async () => {
      sharing = await resource(w.admin, [`organization:${w.S.id}`], Z);
    });
    const p = await problemOf(updateProject(scope, w.P.id, { organization: w.T.id }, undefined));
    expect([p.status, p.detail]).toEqual([409, "The project's resources changed while it was being moved; try again."]);
    expect((await blobOf('resources', sharing!.id)).id).toBe((await blobOf('resources', r5.id)).id);
    expect((await blobOf('resources', r5.id)).org).toBe(w.S.id);
    expect(await count('assets', 'project_id = ? AND organization_id = ?', w.P.id, w.S.id)).toBe(1);
    // Tried again, the move copies the bytes the two now share.
    const again = await move(w.admin, w.P.id, w.T.slug);
    expect(again.status, again.text).toBe(200);
    const [moved, stayed] = [await blobOf('resources', r5.id), await blobOf('resources', sharing!.id)];
    expect([moved.org, stayed.org, moved.id === stayed.id]).toEqual([w.T.id, w.S.id, false]);
  });

  it('two moves at once: the one that lost answers 409 and changes nothing; parallel moves leave one consistent state', async () => {
    const w = await world();
    const U = await makeOrg(w.admin);
    const scope = await racingScope(w.admin, () => move(w.admin, w.P.id, U.slug));
    const p = await problemOf(updateProject(scope, w.P.id, { organization: w.T.id }, undefined));
    expect(p.status).toBe(409);
    const where = async () => (await call(`/v1/projects/${w.P.id}`, { headers: w.admin.auth })).body.organization.id;
    expect(await where()).toBe(U.id);
    expect(await count('memberships', 'organization_id = ? AND user_id = ?', w.T.id, w.viewer.id)).toBe(0);

    const answers = await Promise.all([move(w.admin, w.P.id, w.T.slug), move(w.admin, w.P.id, w.S.slug)]);
    for (const a of answers) expect([200, 409], a.text).toContain(a.status);
    expect(answers.some((a) => a.status === 200)).toBe(true);
    const org = await where();
    expect(await count('assets', 'project_id = ? AND organization_id <> ?', w.P.id, org)).toBe(0);
    expect(await count('blobs', 'id IN (SELECT blob_id FROM data_files WHERE asset_id = ?) AND organization_id <> ?', w.asset.id, org)).toBe(0);
    expect(await count('project_members', 'project_id = ? AND user_id NOT IN (SELECT user_id FROM memberships WHERE organization_id = ?)', w.P.id, org)).toBe(0);
  });

  it('a file uploaded into the project while it moves belongs to the target: the source’s deletion does not take it', async () => {
    const w = await world();
    const scope = await racingScope(w.editor, () => move(w.admin, w.P.id, w.T.slug));
    const bytes = text('uploaded during the move');
    const file = { filename: 'late.txt', declaredType: 'text/plain', stream: new Blob([bytes]).stream(), length: bytes.byteLength };
    const created = await createDataFile(scope, w.asset.id, { name: 'late.txt', folderId: null }, file);
    expect((await blobOf('data_files', created.id)).org).toBe(w.T.id);
    expect((await call(`/v1/organizations/${w.S.slug}`, { method: 'DELETE', headers: w.admin.auth })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 100));
    expect((await download(`/v1/data/${created.id}/download`, w.editor.auth)).bytes).toEqual(bytes);
  });

  it('the database refuses a project in an organisation its members are not in', async () => {
    const w = await world();
    const write = env.DB.prepare('UPDATE projects SET organization_id = ? WHERE id = ?').bind(w.T.id, w.P.id).run();
    await expect(write).rejects.toThrow(/project member outside the organization/);
  });
});

describe('moving an asset to another project', () => {
  /** S's project P (from world()) and a private project Q of S: P's editor edits Q; P's viewer only views it. */
  async function assetWorld() {
    const w = await world();
    const Q = await createProject(w.admin, w.S, { access: 'private' });
    await addProjectMember(w.admin, Q.id, w.editor, 'editor');
    await addProjectMember(w.admin, Q.id, w.manager, 'viewer');
    const resourceOfAsset = await resource(w.editor, [`asset:${w.asset.id}`], text(unique('asset doc ')));
    return { ...w, Q, resourceOfAsset };
  }
  const patch = (actor: Actor, assetId: string, json: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(`/v1/assets/${assetId}`, { method: 'PATCH', headers: { ...actor.auth, ...headers }, json });

  it('moves with its folders, data, spheres and reports (a report follows its asset); what moves is updated; who sees it changes', async () => {
    const w = await assetWorld();
    const before = await call(`/v1/assets/${w.asset.id}`, { headers: w.editor.auth });
    const deepest = w.tree.folders.at(-1)!;
    const versions = { report: await versionOf('reports', w.report.id), folder: await versionOf('folders', deepest), sphere: await versionOf('spheres', w.sphere.id) };
    const blobsBefore = await placeOf(w);
    const a = await patch(w.editor, w.asset.id, { project_id: w.Q.id, asset_status: 'Inspected' }, { 'If-Match': before.headers.get('ETag')! });
    expect(a.status, a.text).toBe(200);
    expect(roundTrips(a.res)).toBe(2);
    expect([a.body.project, a.body.asset_status, a.body.organization.id, a.body.number]).toEqual([{ id: w.Q.id, number: expect.any(Number), name: w.Q.name }, 'Inspected', w.S.id, before.body.number]);
    expect(a.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    const report = await call(`/v1/reports/${w.report.id}`, { headers: w.editor.auth });
    expect(report.body.project).toEqual({ id: w.Q.id, number: expect.any(Number), name: w.Q.name });
    expect(await versionOf('reports', w.report.id)).toBe(versions.report + 1);
    expect(await versionOf('folders', deepest)).toBe(versions.folder + 1);
    expect(await versionOf('spheres', w.sphere.id)).toBe(versions.sphere + 1);
    // Its organisation does not change: no blob, resource or attachment does.
    expect(JSON.parse(await placeOf(w))[0].slice(3, 6)).toEqual(JSON.parse(blobsBefore)[0].slice(3, 6));
    expect((await download(`/v1/data/${w.tree.files[0]!.id}/download`, w.editor.auth)).bytes).toEqual(text('at depth 12'));

    // P's viewer and the member of S outside both no longer see the asset nor its report; Q's members do.
    for (const who of [w.viewer, w.bystander]) {
      expectProblem(await call(`/v1/assets/${w.asset.id}`, { headers: who.auth }), 404);
      expectProblem(await call(`/v1/reports/${w.report.id}`, { headers: who.auth }), 404);
      expectProblem(await call(`/v1/folders/${deepest}`, { headers: who.auth }), 404);
      expect((await call(`/v1/projects/${w.P.id}/assets`, { headers: w.viewer.auth })).body.count).toBe(0);
    }
    expect((await call(`/v1/projects/${w.Q.id}/assets`, { headers: w.manager.auth })).body.results.map((r: Row) => r.id)).toEqual([w.asset.id]);
    expect((await call(`/v1/reports?project=${w.Q.id}`, { headers: w.manager.auth })).body.results.map((r: Row) => r.id)).toEqual([w.report.id]);
    // The manager of P only views Q: the asset is theirs to read now, not to change.
    expectProblem(await patch(w.manager, w.asset.id, { name: 'Not mine now' }), 403);
  });

  it('out of every project: an org admin, once it has no reports; then a project again', async () => {
    const w = await assetWorld();
    expectProblem(await patch(w.editor, w.asset.id, { project_id: null }), 403);
    const refused = await patch(w.admin, w.asset.id, { project_id: null });
    expectProblem(refused, 409, 'conflict');
    expect(refused.body.errors).toEqual([{ path: 'project_id', message: 'The asset has reports.' }]);
    await ok(call(`/v1/reports/${w.report.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    const out = await patch(w.admin, w.asset.id, { project_id: null });
    expect(out.status, out.text).toBe(200);
    expect(out.body.project).toBeNull();
    // An asset of the organisation alone: every member of S sees it, P's viewer too; only its admins write it.
    expect((await call(`/v1/assets/${w.asset.id}`, { headers: w.bystander.auth })).status).toBe(200);
    expectProblem(await patch(w.editor, w.asset.id, { project_id: w.P.id }), 403);
    const back = await patch(w.admin, w.asset.id, { project_id: w.P.id });
    expect(back.body.project).toEqual({ id: w.P.id, number: expect.any(Number), name: w.P.name });
    expect((await call(`/v1/assets/${w.asset.id}`, { headers: w.editor.auth })).status).toBe(200);
  });

  it('refused: 403 to a viewer of either side, 404 for a hidden or trashed project as for a missing one, 400 for a project of another organisation, 409 for an archived one; none changes anything', async () => {
    const w = await assetWorld();
    const elsewhere = await createProject(w.admin, w.T);
    const archived = await createProject(w.admin, w.S);
    await ok(call(`/v1/projects/${archived.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } }), 200);
    const trashed = await createProject(w.admin, w.S);
    await addProjectMember(w.admin, trashed.id, w.editor, 'editor');
    await ok(call(`/v1/projects/${trashed.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    const hidden = await createProject(w.admin, w.S, { access: 'private' });
    const missing = sameProblem(await patch(w.editor, w.asset.id, { project_id: newId('prj') }));
    expect(missing.detail).toBe('Project does not exist.');
    const before = await snapshot({ users: ['last_login', 'updated_at'], tokens: ['last_used_at'] });
    const cases: [string, Promise<Answer>, number, string, unknown?][] = [
      ["P's viewer", patch(w.viewer, w.asset.id, { project_id: w.Q.id }), 403, 'forbidden'],
      ['a viewer of the target', patch(w.manager, w.asset.id, { project_id: w.Q.id }), 403, 'forbidden'],
      ['a project hidden from the editor', patch(w.editor, w.asset.id, { project_id: hidden.id }), 404, 'not-found', missing],
      ['a project in the trash', patch(w.editor, w.asset.id, { project_id: trashed.id }), 404, 'not-found', missing],
      ['a project of another organisation', patch(w.admin, w.asset.id, { project_id: elsewhere.id }), 400, 'invalid-request'],
      ['an archived project', patch(w.admin, w.asset.id, { project_id: archived.id }), 409, 'archived'],
      ['an outsider', patch(w.memberT, w.asset.id, { project_id: w.Q.id }), 404, 'not-found'],
    ];
    for (const [what, sent, status, type, same] of cases) {
      const a = await sent;
      expect(a.status, `${what}: ${a.text}`).toBe(status);
      expectProblem(a, status, type);
      if (same) expect(sameProblem(a), what).toEqual(same);
    }
    expect((await patch(w.admin, w.asset.id, { project_id: elsewhere.id })).body.errors).toEqual([{ path: 'project_id', message: "Name a project of the asset's organization." }]);
    expect(await snapshot({ users: ['last_login', 'updated_at'], tokens: ['last_used_at'] })).toEqual(before);
    // Its own project: no move, the other fields change.
    const same = await patch(w.editor, w.asset.id, { project_id: w.P.id, name: 'Renamed in place' });
    expect([same.status, same.body.project.id, same.body.name]).toEqual([200, w.P.id, 'Renamed in place']);
  });

  it('a report created from a read made before its asset moved is refused (409), not left in the old project', async () => {
    const w = await assetWorld();
    const scope = await racingScope(w.editor, () => patch(w.editor, w.asset.id, { project_id: w.Q.id }));
    const p = await problemOf(createReport(scope, { project_id: w.P.id, asset_id: w.asset.id, name: 'Late' }, null));
    expect([p.status, p.extra.errors]).toEqual([409, [{ path: 'asset_id', message: 'No longer in this project.' }]]);
    expect(await count('reports', 'asset_id = ? AND project_id <> ?', w.asset.id, w.Q.id)).toBe(0);
  });

  it('an asset that moved meanwhile is not moved again from a stale read (409), and a service caller gets the same answers', async () => {
    const w = await assetWorld();
    const scope = await racingScope(w.admin, () => patch(w.admin, w.asset.id, { project_id: w.Q.id }));
    const p = await problemOf(updateAsset(scope, w.asset.id, { project_id: w.P.id, name: 'Stale' }, undefined));
    expect(p.status).toBe(409);
    expect((await call(`/v1/assets/${w.asset.id}`, { headers: w.admin.auth })).body.project.id).toBe(w.Q.id);
  });
});
