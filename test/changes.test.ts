/**
 * The change feed (GET /v1/organizations/{org}/changes) and the activity routes: what they show,
 * in what order, to whom, and when a cursor can no longer be followed (410).
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { trimChangeLog } from '../src/changes/retention';
import { call, expectProblem, roundTrips } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { addFolder, addProjectMember, createAsset, createProject, ok, privateProjectWithAsset } from './support/domain';
import { described, feedPage, syncFeed, type Change } from './support/feed';
import { buildWorld, fileForm, PNG, type World } from './support/world';

const DAY = 86_400_000;

/** The last change of each entity, keyed `type id`. */
const latest = (changes: Change[]) => new Map(changes.map((c) => [`${c.type} ${c.id}`, c]));

describe('the feed', () => {
  it('gives every change in the order made, each once, with the entity as it is now; an unchanged cursor with nothing means up to date', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const first = await syncFeed(admin, org);
    expect(described(first.changes)).toEqual([`organization ${org.id} upsert`, `member ${admin.id} upsert`]);
    expect(first.changes[0]!.entity).toMatchObject({ id: org.id, slug: org.slug });
    expect(first.changes[1]!.entity).toMatchObject({ user: { id: admin.id }, role: 'admin' });

    const project = await createProject(admin, org, { name: 'Vineyards' });
    const asset = await createAsset(admin, project.id, { name: 'Pump' });
    await ok(call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: admin.auth, json: { name: 'Pump 2' } }), 200);
    const next = await syncFeed(admin, org, first.cursor);
    expect(described(next.changes)).toEqual([
      `project ${project.id} upsert`,
      `project_member ${admin.id} upsert`,
      `asset ${asset.id} upsert`,
      `asset ${asset.id} upsert`,
    ]);
    // In commit order; the entity as it is now, the version each change made, who made it.
    expect(next.changes.map((c) => c.seq)).toEqual([...next.changes.map((c) => c.seq)].sort((a, b) => a - b));
    expect(next.changes.slice(2).map((c) => [c.version, c.entity!.name, c.actor, c.project])).toEqual([
      [1, 'Pump 2', admin.id, project.id],
      [2, 'Pump 2', admin.id, project.id],
    ]);
    expect(next.changes[1]!.project).toBe(project.id);

    // Up to date: the same cursor back, nothing in it; one round trip.
    const again = await feedPage(admin, org, next.cursor);
    expect(again.body).toEqual({ changes: [], next_cursor: next.cursor });
    expect(roundTrips(again)).toBe(1);
  });

  it('pages by `limit` without skipping or repeating, and a client starting over gets the same entities', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await createProject(admin, org);
    for (let i = 0; i < 7; i++) await createAsset(admin, project.id, { name: `A${i}` });
    const all = await syncFeed(admin, org);
    const paged = await syncFeed(admin, org, undefined, 2);
    expect(paged.pages).toBeGreaterThan(5);
    expect(described(paged.changes)).toEqual(described(all.changes));
    expect(new Set(paged.changes.map((c) => c.seq)).size).toBe(paged.changes.length);
  });

  it('a deletion comes with a deletion of everything it took: an asset, a folder tree, a purged project', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await createProject(admin, org);
    const asset = await createAsset(admin, project.id);
    const top = await addFolder(admin, asset.id, 'top');
    const sub = await addFolder(admin, asset.id, 'sub', top.id);
    const data = await ok(call(`/v1/assets/${asset.id}/data?folder_id=${sub.id}`, { method: 'POST', headers: { ...admin.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'a.txt' }, body: 'a' }));
    const sphere = await ok(call(`/v1/assets/${asset.id}/spheres`, { method: 'POST', headers: admin.auth, body: fileForm([['name', 'pano']], PNG, 'image/png', 'p.png') }));
    const report = await ok(call('/v1/reports', { headers: admin.auth, json: { project_id: project.id, asset_id: asset.id, name: 'R' } }));
    const doc = await ok(call(`/v1/assets/${asset.id}/resources`, { method: 'POST', headers: admin.auth, body: fileForm([['name', 'doc']]) }));
    const { cursor } = await syncFeed(admin, org);

    await ok(call(`/v1/folders/${top.id}?recursive=true`, { method: 'DELETE', headers: admin.auth }), 204);
    const folders = await syncFeed(admin, org, cursor);
    expect(described(folders.changes).sort()).toEqual([`data_file ${data.id} delete`, `folder ${sub.id} delete`, `folder ${top.id} delete`].sort());
    expect(folders.changes.every((c) => c.actor === admin.id && c.entity === null && c.project === project.id)).toBe(true);

    await ok(call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: admin.auth }), 204);
    const assetGone = await syncFeed(admin, org, folders.cursor);
    expect(described(assetGone.changes).sort()).toEqual([`asset ${asset.id} delete`, `report ${report.id} delete`, `sphere ${sphere.id} delete`].sort());

    // The resource stays (attached to the deleted asset only, until the sweep); the purge takes the rest.
    const other = await createAsset(admin, project.id);
    await ok(call(`/v1/projects/${project.id}?permanent=true`, { method: 'DELETE', headers: admin.auth }), 204);
    const purged = await syncFeed(admin, org, assetGone.cursor);
    expect(described(purged.changes)).toEqual(expect.arrayContaining([`asset ${other.id} delete`, `project_member ${admin.id} delete`, `project ${project.id} delete`]));
    // Made and gone since the cursor: its creation is not shown (there is nothing to show), its deletion is.
    expect(described(purged.changes)).not.toContain(`asset ${other.id} upsert`);
    expect(purged.changes.at(-1)).toMatchObject({ type: 'project', id: project.id, op: 'delete', entity: null });
    expect(doc.id).toBeTruthy();
  });

  it('parallel deletes of one data file, folder, sphere, report or resource: one deletion in the feed (the others answer 404 or 409)', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await createProject(admin, org);
    const asset = await createAsset(admin, project.id);
    const data = await ok(call(`/v1/assets/${asset.id}/data`, { method: 'POST', headers: { ...admin.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'a.txt' }, body: 'a' }));
    const folder = await addFolder(admin, asset.id, 'f');
    const sphere = await ok(call(`/v1/assets/${asset.id}/spheres`, { method: 'POST', headers: admin.auth, body: fileForm([['name', 'pano']], PNG, 'image/png', 'p.png') }));
    const report = await ok(call('/v1/reports', { headers: admin.auth, json: { project_id: project.id, name: 'R' } }));
    const resource = await ok(call(`/v1/projects/${project.id}/resources`, { method: 'POST', headers: admin.auth, body: fileForm([['name', 'doc']]) }));
    for (const [type, path] of [['data_file', `/v1/data/${data.id}`], ['folder', `/v1/folders/${folder.id}`], ['sphere', `/v1/spheres/${sphere.id}`], ['report', `/v1/reports/${report.id}`], ['resource', `/v1/resources/${resource.id}`]] as const) {
      const answers = await Promise.all(Array.from({ length: 4 }, () => call(path, { method: 'DELETE', headers: admin.auth })));
      expect(answers.map((a) => a.status).sort(), path).toEqual([204, expect.any(Number), expect.any(Number), expect.any(Number)].sort());
      expect(answers.filter((a) => a.status === 204), path).toHaveLength(1);
      const id = path.split('/').pop()!;
      expect(await count('changes', "op = 'delete' AND entity_type = ? AND entity_id = ?", type, id), path).toBe(1);
    }
  });

  it('names who wrote; a write outside a request names nobody, and no request leaves its caller behind for a later write', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await createProject(admin, org);
    expect(await count('write_context')).toBe(0);
    await env.DB.prepare('UPDATE projects SET name = ?, version = version + 1 WHERE id = ?').bind('renamed', project.id).run();
    const last = await env.DB.prepare('SELECT actor_id, op FROM changes WHERE entity_id = ? ORDER BY seq DESC LIMIT 1').bind(project.id).first();
    expect(last).toEqual({ actor_id: null, op: 'update' });
    // A refused write (404) and a failed one (409, a taken slug) leave nothing behind either.
    await call(`/v1/projects/${project.id}x`, { method: 'PATCH', headers: admin.auth, json: { name: 'n' } });
    const second = await createProject(admin, org);
    expect((await call(`/v1/projects/${second.id}`, { method: 'PATCH', headers: admin.auth, json: { slug: project.slug } })).status).toBe(409);
    expect(await count('write_context')).toBe(0);
  });
});

describe('who sees what (the isolation world)', () => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld();
  }, 60_000);

  const privateIds = () => [w.project, w.asset, w.folder, w.data, w.report, w.resource, w.sphere, w.names.project, w.names.asset, w.names.report];

  it('the project’s members see its changes; an org member outside it sees the organisation’s own and nothing of it; another organisation’s admin and the removed member get 404', async () => {
    const everything = await syncFeed(w.actors.orgAdmin, w.org);
    const types = new Set(everything.changes.map((c) => c.type));
    expect([...types].sort()).toEqual(['asset', 'attachment', 'data_file', 'folder', 'member', 'organization', 'project', 'project_member', 'report', 'resource', 'sphere']);
    for (const who of ['viewer', 'editor', 'manager', 'superuser'] as const) {
      expect(described((await syncFeed(w.actors[who], w.org)).changes), who).toEqual(described(everything.changes));
    }
    const outside = await syncFeed(w.actors.orgMember, w.org);
    expect(new Set(outside.changes.map((c) => c.type))).toEqual(new Set(['organization', 'member', 'resource', 'attachment']));
    const text = JSON.stringify(outside.changes);
    for (const id of privateIds()) expect(text.includes(id), `the org member's feed mentions ${id}`).toBe(false);
    for (const who of ['otherOrgAdmin', 'removedMember'] as const) {
      const a = await feedPage(w.actors[who], w.org);
      expectProblem(a, 404, 'not-found');
      expect(a.text.includes(w.org.id)).toBe(false);
    }
    // B's admin's own feed holds nothing of A.
    const b = JSON.stringify((await syncFeed(w.actors.otherOrgAdmin, w.orgB)).changes);
    for (const id of [w.org.id, ...privateIds()]) expect(b.includes(id), `B's feed mentions ${id}`).toBe(false);
  });

  it('a private project’s purge: its members and the admins see every deletion; the org member outside it sees none', async () => {
    const { admin, editor, viewer, bystander, org, project, asset } = await privateProjectWithAsset();
    const cursors = new Map<Actor, string>();
    for (const a of [admin, editor, viewer, bystander]) cursors.set(a, (await syncFeed(a, org)).cursor);
    await ok(call(`/v1/projects/${project.id}?permanent=true`, { method: 'DELETE', headers: admin.auth }), 204);
    for (const a of [admin, viewer]) {
      const after = await syncFeed(a, org, cursors.get(a));
      expect(described(after.changes)).toEqual(expect.arrayContaining([`asset ${asset.id} delete`, `project_member ${viewer.id} delete`, `project ${project.id} delete`]));
    }
    expect((await syncFeed(bystander, org, cursors.get(bystander))).changes).toEqual([]);
    // An open project's purge reaches the whole organisation.
    const open = await createProject(admin, org);
    const openAsset = await createAsset(admin, open.id);
    const at = (await syncFeed(bystander, org, cursors.get(bystander))).cursor;
    await ok(call(`/v1/projects/${open.id}?permanent=true`, { method: 'DELETE', headers: admin.auth }), 204);
    expect(described((await syncFeed(bystander, org, at)).changes)).toEqual(expect.arrayContaining([`asset ${openAsset.id} delete`, `project ${open.id} delete`]));
  });

  it('a resource shared into another organisation is in that organisation’s feed too, and so is its deletion', async () => {
    const admin = await makeUser();
    const otherAdmin = await makeUser();
    const superuser = await makeUser({ superuser: true });
    const org = await makeOrg(admin);
    const orgB = await makeOrg(otherAdmin);
    const project = await createProject(admin, org);
    const r = await ok(call(`/v1/projects/${project.id}/resources`, { method: 'POST', headers: admin.auth, body: fileForm([['name', 'shared']]) }));
    const before = await syncFeed(otherAdmin, orgB);
    await ok(call(`/v1/resources/${r.id}/attachments`, { headers: superuser.auth, json: { entity_type: 'organization', entity_id: orgB.id } }), 200);
    const shared = await syncFeed(otherAdmin, orgB, before.cursor);
    expect(described(shared.changes)).toEqual([`attachment ${r.id}/organization/${orgB.id} upsert`, `resource ${r.id} upsert`]);
    expect(shared.changes[1]!.entity!.attachments).toEqual([{ entity_type: 'organization', id: orgB.id }]);
    await ok(call(`/v1/resources/${r.id}`, { method: 'DELETE', headers: admin.auth }), 204);
    const gone = await syncFeed(otherAdmin, orgB, shared.cursor);
    expect(described(gone.changes)).toEqual([`attachment ${r.id}/organization/${orgB.id} delete`, `resource ${r.id} delete`]);
  });
});

describe('after the world changes, the feed shows nothing of what left the view', () => {
  /** The answer's text names none of `ids`. */
  const mentionsNone = (text: string, ids: string[], who: string) => {
    for (const id of ids) expect(text.includes(id), `${who}'s feed mentions ${id}`).toBe(false);
  };

  it('a project made private: those outside it get 410, and from the beginning nothing of it, before or after, nor of its resource', async () => {
    const w = await privateProjectWithAsset();
    await ok(call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { access: 'organization' } }), 200);
    const doc = await ok(call(`/v1/projects/${w.project.id}/resources`, { method: 'POST', headers: w.editor.auth, body: fileForm([['name', unique('doc ')]]) }));
    const seen = await syncFeed(w.bystander, w.org);
    // While open, the organisation's member sees all of it: the test below is not vacuous.
    expect(described(seen.changes)).toEqual(expect.arrayContaining([`project ${w.project.id} upsert`, `asset ${w.asset.id} upsert`, `resource ${doc.id} upsert`]));

    await ok(call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { access: 'private' } }), 200);
    const secret = unique('secret ');
    await ok(call(`/v1/assets/${w.asset.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: secret } }), 200);
    const later = await createAsset(w.editor, w.project.id, { name: secret });
    const hidden = [w.project.id, w.project.slug, w.asset.id, later.id, doc.id, secret];

    const stale = await feedPage(w.bystander, w.org, seen.cursor);
    expectProblem(stale, 410, 'resync-required');
    mentionsNone(stale.text, hidden, 'the stale cursor');
    const fresh = await syncFeed(w.bystander, w.org);
    expect(described(fresh.changes)).toContain(`organization ${w.org.id} upsert`);
    mentionsNone(JSON.stringify(fresh.changes), hidden, 'the bystander');
    expectProblem(await call(`/v1/assets/${w.asset.id}/activity`, { headers: w.bystander.auth }), 404);
    expectProblem(await call(`/v1/resources/${doc.id}/activity`, { headers: w.bystander.auth }), 404);
    // Its members still see it all, the change made after it closed included.
    const member = await syncFeed(w.viewer, w.org);
    expect(described(member.changes)).toEqual(expect.arrayContaining([`asset ${later.id} upsert`, `resource ${doc.id} upsert`]));
    expect(latest(member.changes).get(`asset ${w.asset.id}`)!.entity!.name).toBe(secret);
  });

  it('a member removed from a project, then from the organisation: 410, then nothing of the project, then 404 with nothing of the organisation', async () => {
    const w = await privateProjectWithAsset();
    const before = await syncFeed(w.viewer, w.org);
    expect(described(before.changes)).toContain(`asset ${w.asset.id} upsert`);

    await ok(call(`/v1/projects/${w.project.id}/members/${w.viewer.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    const secret = unique('secret ');
    const later = await createAsset(w.editor, w.project.id, { name: secret });
    await ok(call(`/v1/assets/${w.asset.id}`, { method: 'DELETE', headers: w.editor.auth }), 204);
    const hidden = [w.project.id, w.project.slug, w.asset.id, later.id, secret];
    const stale = await feedPage(w.viewer, w.org, before.cursor);
    expectProblem(stale, 410, 'resync-required');
    const fresh = await syncFeed(w.viewer, w.org);
    mentionsNone(JSON.stringify(fresh.changes), hidden, 'the removed project member');

    const orgSecret = unique('org secret ');
    await ok(call(`/v1/organizations/${w.org.slug}/members/${w.viewer.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    await ok(call(`/v1/organizations/${w.org.slug}`, { method: 'PATCH', headers: w.admin.auth, json: { name: orgSecret } }), 200);
    for (const cursor of [fresh.cursor, undefined]) {
      const gone = await feedPage(w.viewer, w.org, cursor);
      expectProblem(gone, 404, 'not-found');
      mentionsNone(gone.text, [w.org.id, orgSecret, ...hidden], 'the removed member');
    }
    // Nor does another organisation's feed ever carry any of it: the outsider's own.
    const outsider = await syncFeed(w.outsider, w.outsiderOrg);
    mentionsNone(JSON.stringify(outsider.changes), [w.org.id, orgSecret, w.viewer.id, ...hidden], 'the other organisation');
    expectProblem(await feedPage(w.outsider, w.org), 404, 'not-found');
  });
});

describe('410: a cursor that can no longer be followed', () => {
  /** A fresh private project world and each actor's cursor at its end. */
  async function synced() {
    const w = await privateProjectWithAsset();
    const cursor = async (a: Actor) => (await syncFeed(a, w.org)).cursor;
    return { ...w, cursor };
  }

  const expectResync = async (actor: Actor, org: { slug: string }, cursor: string) => {
    const a = await feedPage(actor, org, cursor);
    expectProblem(a, 410, 'resync-required');
    expect(a.body.detail).toMatch(/from the beginning/);
  };

  it('when the caller joins or leaves a project, or its role in the organisation changes', async () => {
    const w = await synced();
    const viewerAt = await w.cursor(w.viewer);
    const bystanderAt = await w.cursor(w.bystander);
    await ok(call(`/v1/projects/${w.project.id}/members/${w.viewer.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    await expectResync(w.viewer, w.org, viewerAt);
    await addProjectMember(w.admin, w.project.id, w.bystander, 'viewer');
    await expectResync(w.bystander, w.org, bystanderAt);
    // Starting again gives what the view now holds.
    const restarted = await syncFeed(w.bystander, w.org);
    expect(described(restarted.changes)).toContain(`asset ${w.asset.id} upsert`);
    const memberAt = await w.cursor(w.editor);
    await ok(call(`/v1/organizations/${w.org.slug}/members/${w.editor.id}`, { method: 'PATCH', headers: w.admin.auth, json: { role: 'admin' } }), 200);
    await expectResync(w.editor, w.org, memberAt);
  });

  it('when a project the caller saw or now sees changes its access or goes to or from the trash', async () => {
    const w = await synced();
    await ok(call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { access: 'organization' } }), 200);
    const bystanderAt = await w.cursor(w.bystander);
    const viewerAt = await w.cursor(w.viewer);
    await ok(call(`/v1/projects/${w.project.id}`, { method: 'PATCH', headers: w.admin.auth, json: { access: 'private' } }), 200);
    await expectResync(w.bystander, w.org, bystanderAt);
    // The project's own member, and the admin, see it either way: the cursor still holds.
    expect((await feedPage(w.viewer, w.org, viewerAt)).status).toBe(200);
    const adminAt = await w.cursor(w.admin);
    const viewerAgain = await w.cursor(w.viewer);
    await ok(call(`/v1/projects/${w.project.id}`, { method: 'DELETE', headers: w.admin.auth }), 204);
    await expectResync(w.viewer, w.org, viewerAgain);
    await expectResync(w.admin, w.org, adminAt);
    const adminInTrash = await w.cursor(w.admin);
    await ok(call(`/v1/projects/${w.project.id}/restore`, { method: 'POST', headers: w.admin.auth }), 200);
    await expectResync(w.admin, w.org, adminInTrash);
  });

  it('when the caller becomes a superuser or stops being one, or sends another user’s cursor', async () => {
    const w = await synced();
    const at = await w.cursor(w.viewer);
    await env.DB.prepare('UPDATE users SET is_superuser = 1 WHERE id = ?').bind(w.viewer.id).run();
    await expectResync(w.viewer, w.org, at);
    await expectResync(w.editor, w.org, await w.cursor(w.admin));
  });

  it('when the changes after it are older than the feed keeps; the feed from the beginning still holds every entity', async () => {
    const w = await synced();
    const at = await w.cursor(w.admin);
    const folder = await addFolder(w.editor, w.asset.id, 'F');
    await ok(call(`/v1/folders/${folder.id}`, { method: 'DELETE', headers: w.editor.auth }), 204);
    await ok(call(`/v1/assets/${w.asset.id}`, { method: 'PATCH', headers: w.editor.auth, json: { name: 'renamed' } }), 200);
    const before = latest((await syncFeed(w.admin, w.org)).changes);
    // Far enough ahead that everything is past the retention period, in as many runs as it takes.
    for (let run = 0; run < 100 && !(await trimChangeLog(env, Date.now() + 31 * DAY)).passFinished; run++);
    await expectResync(w.admin, w.org, at);
    const fresh = await syncFeed(w.admin, w.org);
    // The deletion and the superseded changes went; each entity that exists is there once, as it is.
    expect(described(fresh.changes)).not.toContain(`folder ${folder.id} delete`);
    const kept = latest(fresh.changes);
    expect(fresh.changes.length).toBe(kept.size);
    expect([...kept.keys()].sort()).toEqual([...before.keys()].filter((k) => !k.startsWith('folder ')).sort());
    expect(kept.get(`asset ${w.asset.id}`)!.entity!.name).toBe('renamed');
    // A cursor given after the retention ran is good.
    expect((await feedPage(w.admin, w.org, fresh.cursor)).body.changes).toEqual([]);
  });

  it('not for what the caller does within what it sees: creating a project (it becomes its manager) and adding people to a new project', async () => {
    const w = await synced();
    const at = await w.cursor(w.bystander);
    const mine = await createProject(w.bystander, w.org, { access: 'private' });
    const theirs = await createProject(w.admin, w.org, { access: 'private' });
    await addProjectMember(w.admin, theirs.id, w.bystander, 'viewer');
    const next = await syncFeed(w.bystander, w.org, at);
    expect(described(next.changes)).toEqual(expect.arrayContaining([`project ${mine.id} upsert`, `project ${theirs.id} upsert`, `project_member ${w.bystander.id} upsert`]));
  });

  it('a cursor that is not one, or of another organisation’s feed: 400 naming it', async () => {
    const w = await synced();
    const other = await makeOrg(w.admin);
    const at = await w.cursor(w.admin);
    for (const bad of ['nope', btoa('[1,2]'), (await syncFeed(w.admin, other)).cursor]) {
      const a = await feedPage(w.admin, w.org, bad);
      expectProblem(a, 400, 'invalid-request');
      expect(a.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    }
    expect((await feedPage(w.admin, w.org, at)).status).toBe(200);
  });
});

describe('activity', () => {
  it('an entity’s changes, newest first, as lists page; 404 as for a missing entity to those who may not see it', async () => {
    const { admin, editor, bystander, project, asset } = await privateProjectWithAsset();
    for (const name of ['B', 'C', 'D']) await ok(call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { name } }), 200);
    const a = await call(`/v1/assets/${asset.id}/activity?limit=2`, { headers: admin.auth });
    expect(a.status, a.text).toBe(200);
    expect(a.body.count).toBe(4);
    expect(a.body.results.map((c: Change) => [c.version, c.actor, c.entity!.name])).toEqual([
      [4, editor.id, 'D'],
      [3, editor.id, 'D'],
    ]);
    expect(roundTrips(a)).toBe(1);
    const rest = await call(a.body.next, { headers: admin.auth });
    expect(rest.body.results.map((c: Change) => c.version)).toEqual([2, 1]);
    expect((await call(`/v1/projects/${project.id}/activity`, { headers: editor.auth })).body.results[0]).toMatchObject({ type: 'project', id: project.id });
    const hidden = await call(`/v1/assets/${asset.id}/activity`, { headers: bystander.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(hidden.body.detail).toBe((await call(`/v1/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce/activity`, { headers: bystander.auth })).body.detail);
    const report = await ok(call('/v1/reports', { headers: editor.auth, json: { project_id: project.id, name: unique('R ') } }));
    expect((await call(`/v1/reports/${report.id}/activity`, { headers: editor.auth })).body.count).toBe(1);
    expectProblem(await call(`/v1/reports/${report.id}/activity`, { headers: bystander.auth }), 404);
    const res = await ok(call(`/v1/projects/${project.id}/resources`, { method: 'POST', headers: editor.auth, body: fileForm([['name', 'doc']]) }));
    expect((await call(`/v1/resources/${res.id}/activity`, { headers: editor.auth })).body.results.map((c: Change) => c.type)).toEqual(['resource']);
    expectProblem(await call(`/v1/resources/${res.id}/activity`, { headers: bystander.auth }), 404);
  });
});
