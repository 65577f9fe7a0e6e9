/**
 * The change feed when a project moves to another organisation, or an asset to another project
 * (issue 15, migrations/0016): where it left, those who saw it get 410 and, reading again, nothing
 * of it (as it is now, elsewhere); where it arrives, a cursor from before the move gets every one
 * of its entities as upserts, as they are now.
 */
import { describe, expect, it } from 'vitest';
import { call, expectProblem } from './support/api';
import { makeOrg, makeUser, unique, type Actor } from './support/actors';
import { addFolder, addProjectMember, createAsset, createProject, ok } from './support/domain';
import { described, feedPage, syncFeed, type Change } from './support/feed';
import { fileForm, PNG } from './support/world';

/** An asset with one of everything under it, and a resource attached to it only. */
async function furnished(editor: Actor, projectId: string) {
  const asset = await createAsset(editor, projectId, { asset_tag: unique('TAG-') });
  const folder = await addFolder(editor, asset.id, 'docs');
  const data = await ok(
    call(`/v1/assets/${asset.id}/data?folder_id=${folder.id}`, {
      method: 'POST',
      headers: { ...editor.auth, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'a.bin' },
      body: new TextEncoder().encode(unique('bytes ')),
    }),
  );
  const sphere = await ok(call(`/v1/assets/${asset.id}/spheres`, { headers: editor.auth, body: fileForm([['name', 'pano']], PNG, 'image/png', 'pano.png') }));
  const report = await ok(call('/v1/reports', { headers: editor.auth, body: fileForm([['project_id', projectId], ['asset_id', asset.id], ['name', 'Inspection']]) }));
  const resource = await ok(call('/v1/resources', { headers: editor.auth, body: fileForm([['name', 'doc'], ['attach', `asset:${asset.id}`]], new TextEncoder().encode(unique('doc '))) }));
  return { asset, folder, data, sphere, report, resource };
}

const upserts = (changes: Change[]) => described(changes.filter((c) => c.op === 'upsert'));
const mentionsNone = (text: string, ids: string[], who: string) => {
  for (const id of ids) expect(text.includes(id), `${who} mentions ${id}`).toBe(false);
};

describe('the feed when a project moves to another organisation', () => {
  it('the old organisation: 410 to those who saw it, then nothing of it; the new one: every entity of it as an upsert after a cursor from before', async () => {
    const [admin, editor, bystander, memberT] = [await makeUser(), await makeUser(), await makeUser(), await makeUser()];
    const S = await makeOrg(admin, [editor, bystander]);
    const T = await makeOrg(admin, [memberT]);
    const P = await createProject(admin, S, { access: 'organization' });
    await addProjectMember(admin, P.id, editor, 'editor');
    const x = await furnished(editor, P.id);
    const ofP = [P.id, x.asset.id, x.folder.id, x.data.id, x.sphere.id, x.report.id, x.resource.id];
    const seenS = await syncFeed(bystander, S);
    expect(upserts(seenS.changes)).toEqual(expect.arrayContaining([`project ${P.id} upsert`, `asset ${x.asset.id} upsert`, `resource ${x.resource.id} upsert`]));
    const adminS = await syncFeed(admin, S);
    const seenT = await syncFeed(memberT, T);

    expect((await call(`/v1/projects/${P.id}`, { method: 'PATCH', headers: admin.auth, json: { organization: T.slug } })).status).toBe(200);

    for (const [who, cursor] of [[bystander, seenS.cursor], [admin, adminS.cursor]] as const) {
      const stale = await feedPage(who, S, cursor);
      expectProblem(stale, 410, 'resync-required');
      const fresh = await syncFeed(who, S);
      expect(described(fresh.changes)).toContain(`organization ${S.id} upsert`);
      mentionsNone(JSON.stringify(fresh.changes), ofP, 'the old organisation’s feed');
    }

    const arrived = await feedPage(memberT, T, seenT.cursor);
    expect(arrived.status, arrived.text).toBe(200);
    const after = (await syncFeed(memberT, T, seenT.cursor)).changes;
    expect(upserts(after)).toEqual(
      expect.arrayContaining([
        `project ${P.id} upsert`,
        `asset ${x.asset.id} upsert`,
        `folder ${x.folder.id} upsert`,
        `data_file ${x.data.id} upsert`,
        `sphere ${x.sphere.id} upsert`,
        `report ${x.report.id} upsert`,
        `resource ${x.resource.id} upsert`,
        `attachment ${x.resource.id}/asset/${x.asset.id} upsert`,
        `project_member ${editor.id} upsert`,
      ]),
    );
    expect(after.filter((c) => c.op === 'delete')).toEqual([]);
    const asset = after.find((c) => c.type === 'asset')!;
    expect(asset.entity!.organization.id).toBe(T.id);
    // From the beginning, the same entities; and the project's editor, now a member of T, reads T's feed.
    expect(upserts((await syncFeed(memberT, T)).changes)).toEqual(expect.arrayContaining(upserts(after)));
    expect(upserts((await syncFeed(editor, T)).changes)).toEqual(expect.arrayContaining([`asset ${x.asset.id} upsert`, `report ${x.report.id} upsert`]));
  }, 30_000);
});

describe('the feed when an asset moves to another project', () => {
  it('those who saw only the project it left: 410, then nothing of it; those of the new project: it and everything under it after their cursor', async () => {
    const [admin, editor, onlyP, onlyQ] = [await makeUser(), await makeUser(), await makeUser(), await makeUser()];
    const S = await makeOrg(admin, [editor, onlyP, onlyQ]);
    const P = await createProject(admin, S, { access: 'private' });
    const Q = await createProject(admin, S, { access: 'private' });
    for (const p of [P, Q]) await addProjectMember(admin, p.id, editor, 'editor');
    await addProjectMember(admin, P.id, onlyP, 'viewer');
    await addProjectMember(admin, Q.id, onlyQ, 'viewer');
    const x = await furnished(editor, P.id);
    const ofX = [x.asset.id, x.folder.id, x.data.id, x.sphere.id, x.report.id, x.resource.id];
    const seenP = await syncFeed(onlyP, S);
    expect(upserts(seenP.changes)).toEqual(expect.arrayContaining([`asset ${x.asset.id} upsert`, `resource ${x.resource.id} upsert`]));
    const seenQ = await syncFeed(onlyQ, S);
    mentionsNone(JSON.stringify(seenQ.changes), ofX, 'Q’s viewer before');

    const moved = await call(`/v1/assets/${x.asset.id}`, { method: 'PATCH', headers: editor.auth, json: { project_id: Q.id } });
    expect(moved.status, moved.text).toBe(200);

    expectProblem(await feedPage(onlyP, S, seenP.cursor), 410, 'resync-required');
    const fresh = await syncFeed(onlyP, S);
    expect(described(fresh.changes)).toContain(`project ${P.id} upsert`);
    mentionsNone(JSON.stringify(fresh.changes), ofX, 'P’s viewer after');

    const arrived = await syncFeed(onlyQ, S, seenQ.cursor);
    expect(upserts(arrived.changes)).toEqual(
      expect.arrayContaining([
        `asset ${x.asset.id} upsert`,
        `folder ${x.folder.id} upsert`,
        `data_file ${x.data.id} upsert`,
        `sphere ${x.sphere.id} upsert`,
        `report ${x.report.id} upsert`,
        `resource ${x.resource.id} upsert`,
        `attachment ${x.resource.id}/asset/${x.asset.id} upsert`,
      ]),
    );
    for (const c of arrived.changes.filter((c) => ofX.includes(c.id))) expect(c.project, `${c.type} ${c.id}`).toBe(c.type === 'resource' ? null : Q.id);
    // Deleting it now: Q's viewer gets the deletions of it and what hung on it; P's viewer nothing.
    await ok(call(`/v1/assets/${x.asset.id}`, { method: 'DELETE', headers: editor.auth }), 204);
    const gone = await syncFeed(onlyQ, S, arrived.cursor);
    expect(described(gone.changes)).toEqual(expect.arrayContaining([`asset ${x.asset.id} delete`, `folder ${x.folder.id} delete`, `data_file ${x.data.id} delete`]));
    mentionsNone(JSON.stringify((await syncFeed(onlyP, S, fresh.cursor)).changes), ofX, 'P’s viewer after the delete');
  }, 30_000);
});
