/**
 * The asset list's count without filters (/v1's `count`, TransAM's `Total`) is added up from
 * counts that triggers keep per organisation and per project (migrations/*_asset_counts_kept.sql),
 * not counted row by row. These tests hold the kept counts to the rows they count, and every
 * caller's count to the rows their list shows, after every kind of write that moves an asset in or
 * out of someone's view: creates (in a project, of an organisation alone), a project role, a
 * project's access, asset moves between projects and out of every project, trash, restore, purge
 * (of a trashed and of a live project), a project's move to another organisation and back, an asset
 * delete, leaving the organisation, a raw INSERT, an UPDATE of a project's organisation by raw SQL,
 * and deleting an organisation.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, roundTrips } from './support/api';
import { makeOrg, makeUser, type Actor } from './support/actors';
import { addProjectMember, createAsset, createProject, ok, orgWithOutsider } from './support/domain';

const T = '/compat/transam/api/v1';

/** Every organisation's and project's kept counts equal the rows they count; none is kept for what is gone. */
async function expectKeptTrue() {
  const orgs = await env.DB.prepare(
    `SELECT o.id,
       coalesce(ac.alone, 0) AS kept_alone, (SELECT count(*) FROM assets a WHERE a.organization_id = o.id AND a.project_id IS NULL) AS alone,
       coalesce(ac.live, 0) AS kept_live, (SELECT count(*) FROM assets a JOIN projects p ON p.id = a.project_id WHERE p.organization_id = o.id AND p.deleted_at IS NULL) AS live,
       coalesce(ac.open, 0) AS kept_open, (SELECT count(*) FROM assets a JOIN projects p ON p.id = a.project_id
         WHERE p.organization_id = o.id AND p.deleted_at IS NULL AND p.access = 'organization') AS open
     FROM organizations o LEFT JOIN asset_counts ac ON ac.organization_id = o.id`,
  ).all<Record<string, number | string>>();
  for (const o of orgs.results) expect([o.kept_alone, o.kept_live, o.kept_open], String(o.id)).toEqual([o.alone, o.live, o.open]);
  const projects = await env.DB.prepare(
    `SELECT p.id, coalesce(c.assets, 0) AS kept, (SELECT count(*) FROM assets a WHERE a.project_id = p.id) AS n
     FROM projects p LEFT JOIN project_asset_counts c ON c.project_id = p.id`,
  ).all<{ id: string; kept: number; n: number }>();
  for (const p of projects.results) expect(p.kept, p.id).toBe(p.n);
  const orphans = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM asset_counts WHERE organization_id NOT IN (SELECT id FROM organizations))
       + (SELECT count(*) FROM project_asset_counts WHERE project_id NOT IN (SELECT id FROM projects)) AS n`,
  ).first<{ n: number }>();
  expect(orphans!.n).toBe(0);
}

/** Each caller's counts equal the rows their lists show (all on one page here), in one round trip. */
async function expectCountsTrue(callers: Actor[], projectIds: string[]) {
  await expectKeptTrue();
  for (const who of callers) {
    const all = await call('/v1/assets?limit=200', { headers: who.auth });
    expect(all.status, all.text).toBe(200);
    expect(all.body.next).toBeNull();
    expect(all.body.count, who.username).toBe(all.body.results.length);
    expect(roundTrips(all)).toBe(1);
    const transam = await call(`${T}/assets?page_size=100`, { headers: who.pair });
    expect(transam.status, transam.text).toBe(200);
    expect(transam.headers.get('Total'), who.username).toBe(String(transam.body.data.assets.length));
    expect(transam.body.data.assets.length).toBe(all.body.results.length);
    expect(roundTrips(transam)).toBe(1);
    for (const id of projectIds) {
      const flat = await call(`/v1/assets?limit=200&project=${id}`, { headers: who.auth });
      expect(flat.body.count, `${who.username} ?project=${id}`).toBe(flat.body.results.length);
      const one = await call(`/v1/projects/${id}/assets?limit=200`, { headers: who.auth });
      if (one.status === 404) continue; // a project the caller does not see, or one gone
      expect(one.status, one.text).toBe(200);
      expect(one.body.count, `${who.username} ${id}`).toBe(one.body.results.length);
    }
  }
}

describe('the asset count kept per organisation and per project', () => {
  it('equals the visible rows for admins, managers, members, project members, outsiders and a superuser, through every write', async () => {
    const { admin, members, org, outsider, outsiderOrg } = await orgWithOutsider(3);
    const [manager, member, viewer] = members as [Actor, Actor, Actor];
    const su = await makeUser({ superuser: true });
    const second = await makeOrg(admin, [member]);
    const callers = [admin, manager, member, viewer, outsider, su];

    const open = await createProject(manager, org, { name: 'Open' });
    const secret = await createProject(manager, org, { name: 'Secret', access: 'private' });
    const elsewhere = await createProject(admin, second, { name: 'Elsewhere', access: 'private' });
    const theirs = await createProject(outsider, outsiderOrg, { name: 'Theirs' });
    const projects = [open.id, secret.id, elsewhere.id, theirs.id];
    const check = () => expectCountsTrue(callers, projects);
    await check();

    const inOpen = [await createAsset(manager, open.id), await createAsset(manager, open.id)];
    const inSecret = [await createAsset(manager, secret.id), await createAsset(manager, secret.id), await createAsset(manager, secret.id)];
    await createAsset(admin, elsewhere.id);
    await createAsset(outsider, theirs.id);
    const alone = await ok(call('/v1/assets', { headers: admin.auth, json: { name: 'Depot', organization: org.slug } }));
    await ok(call('/v1/assets', { headers: outsider.auth, json: { name: 'Their depot', organization: outsiderOrg.slug } }));
    await check();

    await addProjectMember(manager, secret.id, viewer, 'viewer');
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'PATCH', headers: manager.auth, json: { access: 'private' } })).status).toBe(200);
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'PATCH', headers: manager.auth, json: { access: 'organization' } })).status).toBe(200);
    await check();

    // An asset moves between projects, out of every project, and back into one.
    const mover = inSecret[0]!;
    expect((await call(`/v1/assets/${mover.id}`, { method: 'PATCH', headers: manager.auth, json: { project_id: open.id } })).status).toBe(200);
    await check();
    expect((await call(`/v1/assets/${mover.id}`, { method: 'PATCH', headers: admin.auth, json: { project_id: null } })).status).toBe(200);
    await check();
    expect((await call(`/v1/assets/${alone.id}`, { method: 'PATCH', headers: admin.auth, json: { project_id: secret.id } })).status).toBe(200);
    await check();

    // Trash and restore.
    expect((await call(`/v1/projects/${secret.id}`, { method: 'DELETE', headers: manager.auth })).status).toBe(204);
    await check();
    expect((await call(`/v1/projects/${secret.id}/restore`, { method: 'POST', headers: admin.auth })).status).toBe(200);
    await check();

    // A project's move to another organisation (issue 15) carries its assets' count out of one
    // organisation's and into the other's; a private one and back.
    const travelling = await createProject(manager, org, { name: 'Travelling', access: 'private' });
    projects.push(travelling.id);
    await createAsset(manager, travelling.id);
    await createAsset(manager, travelling.id);
    await check();
    expect((await call(`/v1/projects/${travelling.id}`, { method: 'PATCH', headers: admin.auth, json: { organization: second.slug } })).status).toBe(200);
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'PATCH', headers: admin.auth, json: { organization: second.slug } })).status).toBe(200);
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'PUT', headers: admin.auth, json: { name: 'Open again', organization: org.slug } })).status).toBe(200);
    await check();

    // Purge: a trashed project, and a live one straight away (its assets go by cascade).
    expect((await call(`/v1/assets/${inOpen[0]!.id}`, { method: 'DELETE', headers: manager.auth })).status).toBe(204);
    await check();
    expect((await call(`/v1/projects/${secret.id}`, { method: 'DELETE', headers: manager.auth })).status).toBe(204);
    expect((await call(`/v1/projects/${secret.id}?permanent=true`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await check();
    const doomed = await createProject(manager, org, { name: 'Doomed' });
    await createAsset(manager, doomed.id);
    expect((await call(`/v1/projects/${doomed.id}?permanent=true`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await check();

    // Leaving the organisation ends the viewer's project roles (migrations/0008).
    expect((await call(`/v1/organizations/${org.slug}/members/${viewer.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await check();

    // Rows written by raw SQL are counted too: the triggers, not the app, keep the counts.
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO assets (id, organization_id, project_id, name, created_at, updated_at) VALUES ('ast_raw_counted', ?, ?, 'Raw', ?, ?)").bind(org.id, open.id, now, now),
      env.DB.prepare("INSERT INTO assets (id, organization_id, name, created_at, updated_at) VALUES ('ast_raw_alone', ?, 'Raw alone', ?, ?)").bind(org.id, now, now),
    ]);
    await check();
    await env.DB.prepare("UPDATE projects SET deleted_at = ? WHERE id = ?").bind(now, open.id).run();
    await check();
    await env.DB.prepare('UPDATE projects SET deleted_at = NULL WHERE id = ?').bind(open.id).run();
    await check();

    // Deleting an organisation takes its projects, their assets, its assets alone and its counts.
    expect((await call(`/v1/organizations/${second.slug}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await check();
    const visible = await env.DB.prepare('SELECT count(*) AS n FROM assets a LEFT JOIN projects p ON p.id = a.project_id WHERE p.deleted_at IS NULL').first<{ n: number }>();
    expect((await call('/v1/assets?limit=1', { headers: su.auth })).body.count).toBe(visible!.n);
  }, 120_000);

  it('is what the lists answer without filters (a kept count nudged by hand shows), and a filtered list counts its rows', async () => {
    const { admin, member, org, outsider } = await orgWithOutsider(1);
    const project = await createProject(admin, org);
    await createAsset(admin, project.id, { asset_status: 'Retired' });
    await createAsset(admin, project.id);
    const counts = async () => [
      (await call('/v1/assets', { headers: member.auth })).body.count,
      Number((await call(`${T}/assets`, { headers: member.pair })).headers.get('Total')),
      (await call(`/v1/projects/${project.id}/assets`, { headers: member.auth })).body.count,
      (await call(`/v1/assets?project=${project.id}`, { headers: member.auth })).body.count,
      (await call(`/v1/assets?project=${project.id}`, { headers: outsider.auth })).body.count,
      (await call('/v1/assets?asset_status=Retired', { headers: member.auth })).body.count,
    ];
    expect(await counts()).toEqual([2, 2, 2, 2, 0, 1]);
    const nudge = (by: number) =>
      env.DB.batch([
        env.DB.prepare('UPDATE asset_counts SET live = live + ?1, open = open + ?1 WHERE organization_id = ?2').bind(by, org.id),
        env.DB.prepare('UPDATE project_asset_counts SET assets = assets + ?1 WHERE project_id = ?2').bind(by, project.id),
      ]);
    await nudge(1000);
    expect(await counts()).toEqual([1002, 1002, 1002, 1002, 0, 1]);
    await nudge(-1000);
    await expectKeptTrue();
  });
});
