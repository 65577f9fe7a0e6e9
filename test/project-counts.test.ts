/**
 * The project list's `count` without filters is added up from per-organisation counts that
 * triggers keep (migrations/*_project_counts_kept.sql), not counted row by row. These tests hold
 * it to the rows the list shows, for every kind of caller, after every kind of write that moves
 * a project in or out of someone's view: create, private/organization, trash, restore, purge,
 * a project role, a move to another organisation and back, leaving the organisation, a raw
 * INSERT and deleting the organisation.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, roundTrips } from './support/api';
import { makeOrg, makeUser, type Actor } from './support/actors';
import { addProjectMember, createProject, orgWithOutsider } from './support/domain';

/** The count each list answers equals the rows it shows (all on one page here), in one round trip. */
async function expectCountsTrue(callers: Actor[], orgs: { slug: string }[]) {
  const paths = ['/v1/projects?limit=200', ...orgs.map((o) => `/v1/organizations/${o.slug}/projects?limit=200`), ...orgs.map((o) => `/v1/projects?limit=200&organization=${o.slug}`)];
  const answers = await Promise.all(callers.flatMap((who) => paths.map(async (path) => ({ who, path, a: await call(path, { headers: who.auth }) }))));
  for (const { who, path, a } of answers) {
    if (a.status === 404) continue; // an organisation the caller does not see
    expect(a.status, `${who.username} ${path}`).toBe(200);
    expect(a.body.next, `${who.username} ${path}`).toBeNull();
    expect(a.body.count, `${who.username} ${path}`).toBe(a.body.results.length);
    expect(roundTrips(a)).toBe(1);
  }
}

/** The kept counts of these organisations, checked against the rows they count. */
async function countsOf(orgIds: string[]) {
  const kept = await Promise.all(
    orgIds.map((id) =>
      env.DB.prepare(
        `SELECT c.live, c.open, (SELECT count(*) FROM projects WHERE organization_id = ?1 AND deleted_at IS NULL) AS rows_live,
           (SELECT count(*) FROM projects WHERE organization_id = ?1 AND deleted_at IS NULL AND access = 'organization') AS rows_open
         FROM project_counts c WHERE c.organization_id = ?1`,
      )
        .bind(id)
        .first<{ live: number; open: number; rows_live: number; rows_open: number }>(),
    ),
  );
  return kept.map((k) => {
    expect(k).not.toBeNull();
    expect([k!.live, k!.open]).toEqual([k!.rows_live, k!.rows_open]);
    return { live: k!.live, open: k!.open };
  });
}

describe('the project count kept per organisation', () => {
  it('equals the visible rows for admins, members, project members, outsiders and a superuser, through every write', async () => {
    const { admin, members, org, outsider, outsiderOrg } = await orgWithOutsider(3);
    const [manager, member, viewer] = members as [Actor, Actor, Actor];
    const su = await makeUser({ superuser: true });
    const second = await makeOrg(admin, [member]);
    const callers = [admin, manager, member, viewer, outsider, su];
    const orgs = [org, second, outsiderOrg];
    const check = () => expectCountsTrue(callers, orgs);

    const open = await createProject(manager, org, { name: 'Open' });
    const secret = await createProject(manager, org, { name: 'Secret', access: 'private' });
    await createProject(admin, second, { name: 'Elsewhere', access: 'private' });
    await createProject(outsider, outsiderOrg, { name: 'Theirs' });
    await check();

    await addProjectMember(manager, secret.id, viewer, 'viewer');
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'PATCH', headers: manager.auth, json: { access: 'private' } })).status).toBe(200);
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'PUT', headers: manager.auth, json: { name: 'Open again' } })).status).toBe(200);
    await check();

    // A move to another organisation (issue 15) leaves one organisation's counts and joins the
    // other's, an open project in both `live` and `open`, a private one in `live` alone.
    const travelling = await createProject(manager, org, { name: 'Travelling' });
    const quiet = await createProject(manager, org, { name: 'Quiet', access: 'private' });
    await check();
    const before = await countsOf([org.id, second.id]);
    for (const p of [travelling, quiet]) {
      expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: admin.auth, json: { organization: second.slug } })).status).toBe(200);
    }
    expect(await countsOf([org.id, second.id])).toEqual([
      { live: before[0]!.live - 2, open: before[0]!.open - 1 },
      { live: before[1]!.live + 2, open: before[1]!.open + 1 },
    ]);
    await check();
    expect((await call(`/v1/projects/${travelling.id}`, { method: 'PUT', headers: admin.auth, json: { name: 'Travelling home', organization: org.slug } })).status).toBe(200);
    await check();

    expect((await call(`/v1/projects/${secret.id}`, { method: 'DELETE', headers: manager.auth })).status).toBe(204);
    await check();
    expect((await call(`/v1/projects/${secret.id}/restore`, { method: 'POST', headers: admin.auth })).status).toBe(200);
    await check();
    expect((await call(`/v1/projects/${open.id}`, { method: 'DELETE', headers: manager.auth })).status).toBe(204);
    expect((await call(`/v1/projects/${open.id}?permanent=true`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await check();

    // Leaving the organisation ends the viewer's project role (migrations/0008).
    expect((await call(`/v1/organizations/${org.slug}/members/${viewer.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await check();

    // A row written by raw SQL is counted too: the triggers, not the app, keep the counts.
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO projects (id, organization_id, slug, name, access, created_at, updated_at) VALUES ('prj_raw_counted', ?, 'raw', 'Raw', 'organization', ?, ?)",
    )
      .bind(org.id, now, now)
      .run();
    await check();

    expect((await call(`/v1/organizations/${second.slug}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    await expectCountsTrue(callers, [org, outsiderOrg]);
    const live = await env.DB.prepare('SELECT count(*) AS n FROM projects WHERE deleted_at IS NULL').first<{ n: number }>();
    expect((await call('/v1/projects?limit=1', { headers: su.auth })).body.count).toBe(live!.n);
  }, 60_000);
});
