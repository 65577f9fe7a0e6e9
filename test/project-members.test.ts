/**
 * Project members (seeds 000 and 002): list, add, create an account into the project, change a
 * role, remove, delete the account; archived projects; the project logo; 401s.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids';
import { call, expectProblem, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, PASSWORD, unique, type Actor } from './support/actors';
import { missingProject as missing } from './support/domain';
import { download, eventually, links, r2Keys, sha256Hex } from './support/files';
import { problemOf, racingScope } from './support/services';
import { addProjectMember as addProjectMemberService } from '../src/projects/members';
import { createProject as createProjectService } from '../src/projects/service';

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
// A second, different image (GIF header is enough for the sniffer).
const GIF = new Uint8Array([...new TextEncoder().encode('GIF89a'), 1, 0, 1, 0, 0, 0, 0, 0x3b]);

/** The R2 key of the project's current logo (via its logo_blob_id). */
async function logoKey(projectId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT b.r2_key AS key FROM projects p JOIN blobs b ON b.id = p.logo_blob_id WHERE p.id = ?')
    .bind(projectId)
    .first<{ key: string }>();
  if (!row) throw new Error('no logo blob for the project');
  return row.key;
}

function form(fields: Record<string, string>, logo?: { bytes: Uint8Array; type: string; name?: string }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (logo) fd.append('logo', new Blob([logo.bytes], { type: logo.type }), logo.name ?? 'logo.png');
  return fd;
}

const paths = (a: Answer) => (a.body.errors ?? []).map((e: { path: string }) => e.path);
const usernames = (a: Answer) => a.body.results.map((m: { user: { username: string } }) => m.user.username);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function projectRole(projectId: string, userId: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT role FROM project_members WHERE project_id = ? AND user_id = ?').bind(projectId, userId).first<{ role: string }>();
  return row?.role ?? null;
}

async function orgRole(orgId: string, userId: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?').bind(orgId, userId).first<{ role: string }>();
  return row?.role ?? null;
}

function memberOf(u: Actor, role: string) {
  return {
    user: { id: u.id, number: expect.any(Number), username: u.username, email: u.email, name: `Name of ${u.username}`, last_login: null, date_joined: expect.any(String) },
    role,
    joined_at: expect.any(String),
  };
}

/**
 * An organisation (admin `admin`; members manager, editor, viewer, plain) with a project that
 * `manager` created (so manages), `editor` and `viewer` added to it; and an outsider with an
 * organisation of their own.
 */
async function setup(access: 'private' | 'organization' = 'organization') {
  const admin = await makeUser();
  const [manager, editor, viewer, plain] = [await makeUser(), await makeUser(), await makeUser(), await makeUser()];
  const org = await makeOrg(admin, [manager, editor, viewer, plain]);
  const created = await call(`/v1/organizations/${org.slug}/projects`, { headers: manager.auth, json: { name: `Project ${unique('p')}`, access } });
  if (created.status !== 201) throw new Error(`project create failed: ${created.status} ${created.text}`);
  const project = created.body as { id: string; slug: string };
  for (const [u, role] of [[editor, 'editor'], [viewer, 'viewer']] as const) {
    const added = await call(`/v1/projects/${project.id}/members`, { headers: manager.auth, json: { user: u.id, role } });
    if (added.status !== 201) throw new Error(`project member add failed: ${added.status} ${added.text}`);
  }
  const outsider = await makeUser();
  const outsiderOrg = await makeOrg(outsider);
  return { admin, manager, editor, viewer, plain, org, project, outsider, outsiderOrg, url: `/v1/projects/${project.id}` };
}

describe('401 without a credential', () => {
  const p = '/v1/projects/prj_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string, unknown?][] = [
    ['GET', `${p}/members`],
    ['POST', `${p}/members`, { user: 'kieran' }],
    ['POST', `${p}/users`, { username: 'test', email: 'test@mail.com' }],
    ['PATCH', `${p}/members/kieran`, { role: 'editor' }],
    ['DELETE', `${p}/members/kieran`],
    ['GET', `${p}/logo`],
    ['PUT', `${p}/logo`],
    ['DELETE', `${p}/logo`],
    ['DELETE', '/v1/users/kieran'],
  ];
  it.each(routes)('%s %s', async (method, path, json) => {
    const a = await call(path, { method, json });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });

  it('answers 401 for a wrong token on a real project, revealing nothing', async () => {
    const { url } = await setup();
    const a = await call(`${url}/members`, { headers: { Authorization: 'Bearer fbt_not-a-token-at-all' } });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.text).not.toContain('username');
  });
});

describe('list members', () => {
  it("shows seed 000's fields for every member, with the role and when they joined", async () => {
    const { manager, editor, viewer, plain, url, project } = await setup();
    // Sign the viewer in so that one member has a last_login.
    const signIn = await call('/v1/auth/sign-in', { json: { login: viewer.username, password: PASSWORD } });
    expect(signIn.status, signIn.text).toBe(200);

    const a = await call(`${url}/members`, { headers: plain.auth });
    expect(a.status, a.text).toBe(200);
    expect(a.body.count).toBe(3);
    expect(a.body.next).toBeNull();
    expect(a.body.previous).toBeNull();
    expect(usernames(a)).toEqual([manager, editor, viewer].map((u) => u.username).sort());
    for (const [u, role] of [[manager, 'manager'], [editor, 'editor'], [viewer, 'viewer']] as const) {
      const row = await env.DB.prepare(
        'SELECT u.number, u.name, u.last_login, u.date_joined, pm.created_at FROM users u JOIN project_members pm ON pm.user_id = u.id WHERE u.id = ? AND pm.project_id = ?',
      )
        .bind(u.id, project.id)
        .first<{ number: number; name: string; last_login: number | null; date_joined: number; created_at: number }>();
      const listed = a.body.results.find((m: { user: { id: string } }) => m.user.id === u.id);
      expect(listed).toEqual({
        user: { id: u.id, number: row!.number, username: u.username, email: u.email, name: row!.name, last_login: iso(row!.last_login), date_joined: iso(row!.date_joined) },
        role,
        joined_at: iso(row!.created_at),
      });
    }
    expect(a.body.results.find((m: { user: { id: string } }) => m.user.id === viewer.id).user.last_login).toEqual(expect.any(String));
    expect(a.body.results.find((m: { user: { id: string } }) => m.user.id === editor.id).user.last_login).toBeNull();
    // Never the password hash or anything else of the account.
    expect(a.text).not.toMatch(/password|is_superuser|failed_attempts/);
  });

  it('paginates with limit, next/previous and Link; filters by role; orders by username and joined_at', async () => {
    const { admin, manager, editor, viewer, url } = await setup();
    const extra = await makeUser();
    await new Promise((r) => setTimeout(r, 5));
    expect((await call(`${url}/members`, { headers: admin.auth, json: { user: extra.id, role: 'editor' } })).status).toBe(201);
    const all = [manager, editor, viewer, extra].map((u) => u.username).sort();

    const first = await call(`${url}/members?limit=3`, { headers: viewer.auth });
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(4);
    expect(usernames(first)).toEqual(all.slice(0, 3));
    const firstLinks = links(first.headers.get('Link'));
    expect(Object.keys(firstLinks)).toEqual(expect.arrayContaining(['first', 'next', 'last']));
    expect(first.body.next).toEqual(expect.any(String));
    expect(first.body.previous).toBeNull();
    const second = await call(first.body.next, { headers: viewer.auth });
    expect(second.status).toBe(200);
    expect(usernames(second)).toEqual(all.slice(3));
    expect(second.body.count).toBe(4);
    expect(second.body.next).toBeNull();
    const back = await call(second.body.previous, { headers: viewer.auth });
    expect(usernames(back)).toEqual(all.slice(0, 3));
    const viaLink = await call(firstLinks.next!, { headers: viewer.auth });
    expect(usernames(viaLink)).toEqual(all.slice(3));
    const paged = await call(`${url}/members?page=2&page_size=2`, { headers: viewer.auth });
    expect(usernames(paged)).toEqual(all.slice(2, 4));

    const editors = await call(`${url}/members?role=editor`, { headers: viewer.auth });
    expect(editors.body.count).toBe(2);
    expect(usernames(editors)).toEqual([editor.username, extra.username].sort());
    const managers = await call(`${url}/members?role=manager`, { headers: viewer.auth });
    expect(managers.body.count).toBe(1);
    expect(managers.body.results).toEqual([memberOf(manager, 'manager')]);

    expect(usernames(await call(`${url}/members?ordering=username`, { headers: viewer.auth }))).toEqual(all);
    expect(usernames(await call(`${url}/members?ordering=-username`, { headers: viewer.auth }))).toEqual([...all].reverse());
    // joined_at: the manager (creator) first, then the order they were added; ties go by user id.
    const byJoined = await call(`${url}/members?ordering=joined_at`, { headers: viewer.auth });
    const joinedAt = byJoined.body.results.map((m: { joined_at: string }) => m.joined_at);
    expect(joinedAt).toEqual([...joinedAt].sort());
    expect(byJoined.body.results[0].user.id).toBe(manager.id);
    expect(byJoined.body.results[3].user.id).toBe(extra.id);
    const byJoinedDesc = await call(`${url}/members?ordering=-joined_at`, { headers: viewer.auth });
    expect(byJoinedDesc.body.results[0].user.id).toBe(extra.id);
    expect(byJoinedDesc.body.results[3].user.id).toBe(manager.id);
    // Paging through joined_at order returns every member once.
    const p1 = await call(`${url}/members?ordering=joined_at&limit=2`, { headers: viewer.auth });
    const p2 = await call(p1.body.next, { headers: viewer.auth });
    expect([...usernames(p1), ...usernames(p2)]).toEqual(usernames(byJoined));
  });

  it('answers 400 naming ordering or role', async () => {
    const { viewer, url } = await setup();
    for (const ordering of ['email', 'role', 'password_hash', '-name']) {
      const a = await call(`${url}/members?ordering=${ordering}`, { headers: viewer.auth });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), ordering).toEqual(['ordering']);
    }
    const badRole = await call(`${url}/members?role=owner`, { headers: viewer.auth });
    expectProblem(badRole, 400, 'invalid-request');
    expect(paths(badRole)).toEqual(['role']);
  });

  it('hides the members from an outsider: 404 exactly as a missing project, nothing leaked', async () => {
    const { manager, outsider, url } = await setup();
    const a = await call(`${url}/members`, { headers: outsider.auth });
    expectProblem(a, 404, 'not-found');
    expect(sameProblem(a)).toEqual(await missing(outsider, '/members'));
    expect(a.text).not.toContain(manager.username);
    const su = await makeUser({ superuser: true });
    expect((await call(`${url}/members`, { headers: su.auth })).body.count).toBe(3);
  });

  it('hides a private project from a plain org member (404 as missing), but lists it for its members and org admins', async () => {
    const { admin, manager, viewer, plain, url } = await setup('private');
    const hidden = await call(`${url}/members`, { headers: plain.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(plain, '/members'));
    expect(hidden.text).not.toContain(manager.username);
    for (const who of [viewer, manager, admin]) {
      const a = await call(`${url}/members`, { headers: who.auth });
      expect(a.status, who.username).toBe(200);
      expect(a.body.count).toBe(3);
    }
  });
});

describe('add members', () => {
  it('adds an org member by id, username or email in any case (201), viewer by default', async () => {
    const { admin, manager, org, url, project } = await setup();
    const [byId, byName, byEmail] = [await makeUser(), await makeUser(), await makeUser()];
    for (const u of [byId, byName, byEmail]) {
      expect((await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: u.id } })).status).toBe(201);
    }
    const cases: [Actor, string, string | undefined][] = [
      [byId, byId.id, 'editor'],
      [byName, byName.username.toUpperCase(), 'manager'],
      [byEmail, ` ${byEmail.email.toUpperCase()} `, undefined],
    ];
    for (const [u, ref, role] of cases) {
      const a = await call(`${url}/members`, { headers: manager.auth, json: role ? { user: ref, role } : { user: ref } });
      expect(a.status, a.text).toBe(201);
      expect(a.body).toEqual(memberOf(u, role ?? 'viewer'));
      expect(await projectRole(project.id, u.id)).toBe(role ?? 'viewer');
    }
    const list = await call(`${url}/members`, { headers: manager.auth });
    expect(list.body.count).toBe(6);
    expect(list.body.results).toContainEqual(memberOf(byEmail, 'viewer'));
  });

  it('answers 409 for an existing member and 404 for an unknown user, changing nothing', async () => {
    const { manager, viewer, url, project } = await setup();
    const again = await call(`${url}/members`, { headers: manager.auth, json: { user: viewer.username, role: 'manager' } });
    expectProblem(again, 409, 'conflict');
    expect(await projectRole(project.id, viewer.id)).toBe('viewer');
    const self = await call(`${url}/members`, { headers: manager.auth, json: { user: manager.id, role: 'viewer' } });
    expectProblem(self, 409, 'conflict');
    expect(await projectRole(project.id, manager.id)).toBe('manager');
    const before = await count('project_members', 'project_id = ?', project.id);
    for (const ref of ['nobody-at-all@example.test', 'nobody', newId('usr')]) {
      const nobody = await call(`${url}/members`, { headers: manager.auth, json: { user: ref } });
      expectProblem(nobody, 404, 'not-found');
      expect(nobody.body.detail).toContain('User');
    }
    expect(await count('project_members', 'project_id = ?', project.id)).toBe(before);
  });

  it('outside the organisation: a manager gets 404 as for nobody and nothing is written; an org admin adds them (201) into the organisation too', async () => {
    const { admin, manager, org, url, project } = await setup('private');
    const stranger = await makeUser();
    const otherAdmin = await makeUser();
    await makeOrg(otherAdmin, [stranger]);

    const byManager = await call(`${url}/members`, { headers: manager.auth, json: { user: stranger.id, role: 'editor' } });
    expectProblem(byManager, 404, 'not-found');
    expect(await count('project_members', 'project_id = ? AND user_id = ?', project.id, stranger.id)).toBe(0);
    expect(await count('memberships', 'organization_id = ? AND user_id = ?', org.id, stranger.id)).toBe(0);
    expectProblem(await call(url, { headers: stranger.auth }), 404);

    const byAdmin = await call(`${url}/members`, { headers: admin.auth, json: { user: stranger.email, role: 'editor' } });
    expect(byAdmin.status, byAdmin.text).toBe(201);
    expect(byAdmin.body).toEqual(memberOf(stranger, 'editor'));
    expect(await projectRole(project.id, stranger.id)).toBe('editor');
    expect(await orgRole(org.id, stranger.id)).toBe('member');
    // Their other organisation is untouched; they now see the organisation and the project.
    expect(await count('memberships', 'user_id = ?', stranger.id)).toBe(2);
    expect((await call(`/v1/organizations/${org.slug}`, { headers: stranger.auth })).status).toBe(200);
    const seen = await call(url, { headers: stranger.auth });
    expect(seen.status).toBe(200);
    expect(seen.body.id).toBe(project.id);
  });

  it('lets an org admin who is not in the project, and a superuser, add an org member', async () => {
    const { admin, plain, url, project } = await setup();
    expect(await projectRole(project.id, admin.id)).toBeNull();
    const a = await call(`${url}/members`, { headers: admin.auth, json: { user: plain.id, role: 'editor' } });
    expect(a.status, a.text).toBe(201);
    const su = await makeUser({ superuser: true });
    const loner = await makeUser();
    const b = await call(`${url}/members`, { headers: su.auth, json: { user: loner.id } });
    expect(b.status, b.text).toBe(201);
    expect(await projectRole(project.id, loner.id)).toBe('viewer');
  });

  it('answers 403 to editors, viewers and plain org members; 404 (as missing) to an outsider; adds nobody', async () => {
    const { editor, viewer, plain, outsider, url, project } = await setup();
    const candidate = await makeUser();
    for (const who of [editor, viewer]) {
      expectProblem(await call(`${url}/members`, { headers: who.auth, json: { user: candidate.id } }), 403, 'forbidden');
      expectProblem(await call(`${url}/members`, { headers: who.auth, json: { user: plain.id, role: 'manager' } }), 403, 'forbidden');
    }
    // A plain org member sees an `organization` project but may not add themselves to it.
    expectProblem(await call(`${url}/members`, { headers: plain.auth, json: { user: plain.id, role: 'manager' } }), 403, 'forbidden');
    const hidden = await call(`${url}/members`, { headers: outsider.auth, json: { user: outsider.id, role: 'manager' } });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, '/members', 'POST', { user: outsider.id, role: 'manager' }));
    expect(await count('project_members', 'project_id = ? AND user_id IN (?, ?, ?)', project.id, candidate.id, plain.id, outsider.id)).toBe(0);
  });

  it('answers 400 naming the field: role, user, or an unknown one', async () => {
    const { manager, plain, url, project } = await setup();
    const cases: [string, unknown][] = [
      ['role', { user: plain.id, role: 'owner' }],
      ['role', { user: plain.id, role: 'Manager' }],
      ['user', {}],
      ['user', { user: '   ' }],
    ];
    for (const [path, json] of cases) {
      const a = await call(`${url}/members`, { headers: manager.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toContain(path);
    }
    const extra = await call(`${url}/members`, { headers: manager.auth, json: { user: plain.id, is_superuser: true } });
    expectProblem(extra, 400, 'invalid-request');
    expect(extra.body.errors).toEqual([{ path: 'is_superuser', message: expect.any(String) }]);
    expect(await projectRole(project.id, plain.id)).toBeNull();
  });
});

describe('accounts the caller may not see', () => {
  it("answers a manager alike for another organisation's user and for an unknown one: 404, the same body apart from the request id", async () => {
    const { manager, url, project, org } = await setup('private');
    const stranger = await makeUser();
    await makeOrg(await makeUser(), [stranger]);
    const loner = await makeUser();
    const unknown = await call(`${url}/members`, { headers: manager.auth, json: { user: 'nobody-at-all@example.test', role: 'editor' } });
    expectProblem(unknown, 404, 'not-found');
    for (const ref of [stranger.email, stranger.id, stranger.username, loner.email]) {
      const a = await call(`${url}/members`, { headers: manager.auth, json: { user: ref, role: 'editor' } });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a), ref).toEqual(sameProblem(unknown));
      expect(a.body.request_id).not.toBe(unknown.body.request_id);
    }
    expect(await count('project_members', 'project_id = ? AND user_id IN (?, ?)', project.id, stranger.id, loner.id)).toBe(0);
    expect(await count('memberships', 'organization_id = ? AND user_id IN (?, ?)', org.id, stranger.id, loner.id)).toBe(0);
  });

  it('answers 409 for a user outside the organisation whom the manager may see (they share another organisation)', async () => {
    const { manager, url, project } = await setup('private');
    const acquaintance = await makeUser();
    await makeOrg(manager, [acquaintance]);
    expect((await call(`/v1/users/${acquaintance.id}`, { headers: manager.auth })).status).toBe(200);
    const a = await call(`${url}/members`, { headers: manager.auth, json: { user: acquaintance.id, role: 'editor' } });
    expectProblem(a, 409, 'conflict');
    expect(a.body.detail).toContain('not a member of the organization');
    expect(await projectRole(project.id, acquaintance.id)).toBeNull();
  });
});

describe('parallel adds of one user', () => {
  const ROLES = ['viewer', 'editor', 'manager'] as const;

  async function race(by: Actor, url: string, user: Actor) {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(`${url}/members`, { headers: by.auth, json: { user: user.id, role: ROLES[i % 3] } })),
    );
    const won = answers.filter((a) => a.status === 201);
    expect(won.map((a) => a.status), answers.map((a) => a.status).join(' ')).toEqual([201]);
    for (const a of answers) if (a !== won[0]) expectProblem(a, 409, 'conflict');
    return won[0]!.body.role as string;
  }

  it('of a manager adding an org member: one 201, the others 409, and the stored role is the winner\'s', async () => {
    const { admin, manager, org, url, project } = await setup();
    for (let round = 0; round < 3; round++) {
      const candidate = await makeUser();
      expect((await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: candidate.id } })).status).toBe(201);
      expect(await projectRole(project.id, candidate.id)).toBeNull();
      expect(await race(manager, url, candidate)).toBe(await projectRole(project.id, candidate.id));
    }
  });

  it('of an org admin adding an outside account: one 201, the others 409; they join the organisation once', async () => {
    const { admin, org, url, project } = await setup();
    const outside = await makeUser();
    expect(await race(admin, url, outside)).toBe(await projectRole(project.id, outside.id));
    expect(await orgRole(org.id, outside.id)).toBe('member');
  });
});

describe('a project role needs the organisation', () => {
  it('a membership that ends between the read and the write of an add leaves no role and no membership (409)', async () => {
    const { admin, manager, plain, org, project } = await setup('private');
    const scope = await racingScope(manager, () => call(`/v1/organizations/${org.slug}/members/${plain.id}`, { method: 'DELETE', headers: admin.auth }));
    const problem = await problemOf(addProjectMemberService(scope, project.id, { user: plain.id, role: 'editor' }));
    expect(problem.status).toBe(409);
    expect(await projectRole(project.id, plain.id)).toBeNull();
    expect(await orgRole(org.id, plain.id)).toBeNull();
    expectProblem(await call(`/v1/projects/${project.id}`, { headers: plain.auth }), 404);
  });

  it('a creator who leaves between the read and the write of a project create is not made its manager', async () => {
    const { admin, plain, org } = await setup();
    const scope = await racingScope(plain, () => call(`/v1/organizations/${org.slug}/members/${plain.id}`, { method: 'DELETE', headers: admin.auth }));
    const created = await createProjectService(scope, org.slug, { name: unique('Late ') });
    expect(created.members).toEqual([]);
    expect(await projectRole(created.id, plain.id)).toBeNull();
    expect(await orgRole(org.id, plain.id)).toBeNull();
  });

  it('a superuser who creates a project in an organisation they are not in joins it as a member', async () => {
    const { org } = await setup();
    const su = await makeUser({ superuser: true });
    const a = await call(`/v1/organizations/${org.slug}/projects`, { headers: su.auth, json: { name: unique('By su ') } });
    expect(a.status, a.text).toBe(201);
    expect(a.body.members).toEqual([memberOf(su, 'manager')]);
    expect(await orgRole(org.id, su.id)).toBe('member');
    expect(await projectRole(a.body.id, su.id)).toBe('manager');
  });

  it('the database refuses a project role for someone outside the organisation', async () => {
    const { project, outsider } = await setup();
    const insert = env.DB.prepare("INSERT INTO project_members (project_id, user_id, role, created_at) VALUES (?, ?, 'viewer', 0)").bind(project.id, outsider.id);
    await expect(insert.run()).rejects.toThrow(/project member outside the organization/);
    expect(await projectRole(project.id, outsider.id)).toBeNull();
  });

  it('the migration removes roles left behind by memberships that ended before it', async () => {
    const { admin, editor, viewer, org, project } = await setup();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith('membership_ends_project_roles.sql'))!;
    expect(migration.queries.length).toBe(3);
    // The world before the migration: no triggers, and a membership that ended without its role.
    await env.DB.batch(['memberships_end_project_roles', 'project_members_require_membership'].map((t) => env.DB.prepare(`DROP TRIGGER ${t}`)));
    await env.DB.prepare('DELETE FROM memberships WHERE organization_id = ? AND user_id = ?').bind(org.id, editor.id).run();
    expect(await projectRole(project.id, editor.id)).toBe('editor');
    await env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
    expect(await projectRole(project.id, editor.id)).toBeNull();
    expect(await projectRole(project.id, viewer.id)).toBe('viewer');
    // And the rule holds again from then on.
    await call(`/v1/organizations/${org.slug}/members/${viewer.id}`, { method: 'DELETE', headers: admin.auth });
    expect(await projectRole(project.id, viewer.id)).toBeNull();
  });
});

describe('create an account into the project', () => {
  it('org admin: 201; the account exists, is an org member and a project member, and can sign in', async () => {
    const { admin, org, url, project } = await setup('private');
    const username = unique('new');
    const a = await call(`${url}/users`, {
      headers: admin.auth,
      json: { username: username.toUpperCase(), email: `${username}@Example.test`, name: 'New Person', password: PASSWORD, role: 'editor' },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      user: { id: expect.stringMatching(/^usr_/), number: expect.any(Number), username, email: `${username}@example.test`, name: 'New Person', last_login: null, date_joined: expect.any(String) },
      role: 'editor',
      joined_at: expect.any(String),
    });
    const id = a.body.user.id;
    expect(await count('users', 'id = ? AND username = ?', id, username)).toBe(1);
    expect(await orgRole(org.id, id)).toBe('member');
    expect(await projectRole(project.id, id)).toBe('editor');
    const list = await call(`${url}/members`, { headers: admin.auth });
    expect(list.body.results).toContainEqual(a.body);

    const signIn = await call('/v1/auth/sign-in', { json: { login: username, password: PASSWORD } });
    expect(signIn.status, signIn.text).toBe(200);
    expect(signIn.body.user.id).toBe(id);
    const seen = await call(url, { headers: { Authorization: `Bearer ${signIn.body.token}` } });
    expect(seen.status).toBe(200);
    expect(seen.body.id).toBe(project.id);
  });

  it('makes a viewer without a password by default', async () => {
    const { admin, url, project } = await setup();
    const username = unique('plain');
    const a = await call(`${url}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } });
    expect(a.status, a.text).toBe(201);
    expect(a.body.role).toBe('viewer');
    expect(a.body.user.name).toBe('');
    expect(await projectRole(project.id, a.body.user.id)).toBe('viewer');
    const signIn = await call('/v1/auth/sign-in', { json: { login: username, password: PASSWORD } });
    expect(signIn.status).toBe(401);
  });

  it('answers 403 to a manager or editor and 404 (as missing) to an outsider, creating nothing', async () => {
    const { manager, editor, outsider, url } = await setup();
    const json = () => {
      const username = unique('sneak');
      return { username, email: `${username}@example.test`, role: 'manager' };
    };
    const users = await count('users');
    const members = await count('project_members');
    expectProblem(await call(`${url}/users`, { headers: manager.auth, json: json() }), 403, 'forbidden');
    expectProblem(await call(`${url}/users`, { headers: editor.auth, json: json() }), 403, 'forbidden');
    const hidden = await call(`${url}/users`, { headers: outsider.auth, json: json() });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, '/users', 'POST', json()));
    expect(await count('users')).toBe(users);
    expect(await count('project_members')).toBe(members);
  });

  it('answers 409 naming username or email when taken, creating nothing', async () => {
    const { admin, viewer, outsider, url, project, org } = await setup();
    const users = await count('users');
    const takenName = await call(`${url}/users`, { headers: admin.auth, json: { username: outsider.username, email: `${unique('fresh')}@example.test` } });
    expectProblem(takenName, 409, 'conflict');
    expect(paths(takenName)).toEqual(['username']);
    const takenEmail = await call(`${url}/users`, { headers: admin.auth, json: { username: unique('fresh'), email: viewer.email.toUpperCase() } });
    expectProblem(takenEmail, 409, 'conflict');
    expect(paths(takenEmail)).toEqual(['email']);
    expect(await count('users')).toBe(users);
    expect(await count('project_members', 'project_id = ?', project.id)).toBe(3);
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(5);
    // The existing outsider was not pulled into the project or organisation.
    expect(await projectRole(project.id, outsider.id)).toBeNull();
  });

  it('answers 400 naming the field, including fields that belong only to the user admin routes', async () => {
    const { admin, url } = await setup();
    const fresh = () => unique('x');
    const cases: [string, unknown][] = [
      ['email', { username: fresh(), email: 'not-an-email' }],
      ['email', { username: fresh() }],
      ['username', { email: `${fresh()}@example.test` }],
      ['password', { username: fresh(), email: `${fresh()}@example.test`, password: 'short' }],
      ['role', { username: fresh(), email: `${fresh()}@example.test`, role: 'admin' }],
      ['is_superuser', { username: fresh(), email: `${fresh()}@example.test`, is_superuser: true }],
      ['organization', { username: fresh(), email: `${fresh()}@example.test`, organization: 'elsewhere' }],
    ];
    const before = await count('users');
    const superusers = await count('users', 'is_superuser = 1');
    for (const [path, json] of cases) {
      const a = await call(`${url}/users`, { headers: admin.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toContain(path);
    }
    expect(await count('users')).toBe(before);
    expect(await count('users', 'is_superuser = 1')).toBe(superusers);
  });
});

describe('change a role', () => {
  it('manager: 200, and the rights follow the role', async () => {
    const { manager, viewer, url, project } = await setup();
    expectProblem(await call(url, { method: 'PATCH', headers: viewer.auth, json: { description: 'not yet' } }), 403, 'forbidden');
    const up = await call(`${url}/members/${viewer.username}`, { method: 'PATCH', headers: manager.auth, json: { role: 'manager' } });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toEqual(memberOf(viewer, 'manager'));
    expect(await projectRole(project.id, viewer.id)).toBe('manager');
    const patched = await call(url, { method: 'PATCH', headers: viewer.auth, json: { description: 'mine now' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.description).toBe('mine now');

    // And back down, addressed by email: the rights go again.
    const down = await call(`${url}/members/${viewer.email.toUpperCase()}`, { method: 'PATCH', headers: manager.auth, json: { role: 'viewer' } });
    expect(down.status, down.text).toBe(200);
    expect(down.body.role).toBe('viewer');
    expectProblem(await call(url, { method: 'PATCH', headers: viewer.auth, json: { description: 'no longer' } }), 403, 'forbidden');
  });

  it('keeps joined_at when the role changes', async () => {
    const { admin, editor, url } = await setup();
    const before = (await call(`${url}/members?role=editor`, { headers: admin.auth })).body.results[0];
    const changed = await call(`${url}/members/${editor.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'viewer' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toEqual({ ...before, role: 'viewer' });
  });

  it('answers 403 to a viewer or editor, changing nothing', async () => {
    const { editor, viewer, manager, url, project } = await setup();
    for (const who of [viewer, editor]) {
      const self = await call(`${url}/members/${who.id}`, { method: 'PATCH', headers: who.auth, json: { role: 'manager' } });
      expectProblem(self, 403, 'forbidden');
      const other = await call(`${url}/members/${manager.id}`, { method: 'PATCH', headers: who.auth, json: { role: 'viewer' } });
      expectProblem(other, 403, 'forbidden');
    }
    expect(await projectRole(project.id, viewer.id)).toBe('viewer');
    expect(await projectRole(project.id, editor.id)).toBe('editor');
    expect(await projectRole(project.id, manager.id)).toBe('manager');
  });

  it('answers 404 for someone not in the project, and 404 (as missing) to an outsider', async () => {
    const { manager, plain, outsider, url, project } = await setup();
    const notMember = await call(`${url}/members/${plain.id}`, { method: 'PATCH', headers: manager.auth, json: { role: 'editor' } });
    expectProblem(notMember, 404, 'not-found');
    expect(await projectRole(project.id, plain.id)).toBeNull();
    expectProblem(await call(`${url}/members/nobody-here`, { method: 'PATCH', headers: manager.auth, json: { role: 'editor' } }), 404, 'not-found');
    const hidden = await call(`${url}/members/${manager.id}`, { method: 'PATCH', headers: outsider.auth, json: { role: 'viewer' } });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, `/members/${manager.id}`, 'PATCH', { role: 'viewer' }));
    expect(await projectRole(project.id, manager.id)).toBe('manager');
  });

  it('answers 400 naming role', async () => {
    const { manager, viewer, url, project } = await setup();
    for (const json of [{ role: 'owner' }, {}, { role: null }]) {
      const a = await call(`${url}/members/${viewer.id}`, { method: 'PATCH', headers: manager.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toEqual(['role']);
    }
    const extra = await call(`${url}/members/${viewer.id}`, { method: 'PATCH', headers: manager.auth, json: { role: 'editor', user: 'x' } });
    expectProblem(extra, 400, 'invalid-request');
    expect(paths(extra)).toEqual(['user']);
    expect(await projectRole(project.id, viewer.id)).toBe('viewer');
  });
});

describe('remove members', () => {
  it('manager: 204; the account stays, the membership goes, and a private project is then hidden from them', async () => {
    const { manager, viewer, url, project } = await setup('private');
    expect((await call(url, { headers: viewer.auth })).status).toBe(200);
    const a = await call(`${url}/members/${viewer.username}`, { method: 'DELETE', headers: manager.auth });
    expect(a.status, a.text).toBe(204);
    expect(a.text).toBe('');
    expect(await count('users', 'id = ?', viewer.id)).toBe(1);
    expect(await count('project_members', 'project_id = ? AND user_id = ?', project.id, viewer.id)).toBe(0);
    const hidden = await call(url, { headers: viewer.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(viewer));
    // Still signed in and still an account.
    expect((await call('/v1/me', { headers: viewer.auth })).status).toBe(200);
    const list = await call(`${url}/members`, { headers: manager.auth });
    expect(list.body.count).toBe(2);
    expect(usernames(list)).not.toContain(viewer.username);
    // Removing again: not a member any more.
    expectProblem(await call(`${url}/members/${viewer.id}`, { method: 'DELETE', headers: manager.auth }), 404, 'not-found');
  });

  it('lets a viewer leave (204) but not remove others (403)', async () => {
    const { editor, viewer, url, project } = await setup();
    const other = await call(`${url}/members/${editor.id}`, { method: 'DELETE', headers: viewer.auth });
    expectProblem(other, 403, 'forbidden');
    expect(await projectRole(project.id, editor.id)).toBe('editor');
    const leave = await call(`${url}/members/${viewer.email}`, { method: 'DELETE', headers: viewer.auth });
    expect(leave.status, leave.text).toBe(204);
    expect(await projectRole(project.id, viewer.id)).toBeNull();
    expect(await count('users', 'id = ?', viewer.id)).toBe(1);
  });

  it('lets an org admin remove the manager', async () => {
    const { admin, manager, url, project } = await setup();
    const a = await call(`${url}/members/${manager.id}`, { method: 'DELETE', headers: admin.auth });
    expect(a.status, a.text).toBe(204);
    expect(await projectRole(project.id, manager.id)).toBeNull();
    expect(await orgRole((await call(url, { headers: admin.auth })).body.organization.id, manager.id)).toBe('member');
  });

  it('answers 404 (as missing) to an outsider and 403 to a plain org member, removing nothing', async () => {
    const { viewer, plain, outsider, url, project } = await setup();
    const hidden = await call(`${url}/members/${viewer.id}`, { method: 'DELETE', headers: outsider.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, `/members/${viewer.id}`, 'DELETE'));
    expectProblem(await call(`${url}/members/${viewer.id}`, { method: 'DELETE', headers: plain.auth }), 403, 'forbidden');
    expect(await count('project_members', 'project_id = ?', project.id)).toBe(3);
  });
});

describe('delete the account', () => {
  it('an admin of the organisation that made the account, while it is in no other: 204; the account and its project memberships go', async () => {
    const { admin, url, project, org } = await setup();
    const username = unique('made');
    const made = await call(`${url}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test`, password: PASSWORD } });
    expect(made.status, made.text).toBe(201);
    const id: string = made.body.user.id;
    const session = await call('/v1/auth/sign-in', { json: { login: username, password: PASSWORD } });
    // A second project with the account in it, in the same organisation.
    const second = await call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, json: { name: 'Second' } });
    expect(second.status).toBe(201);
    expect((await call(`/v1/projects/${second.body.id}/members`, { headers: admin.auth, json: { user: id } })).status).toBe(201);
    expect(await count('project_members', 'user_id = ?', id)).toBe(2);

    const a = await call(`/v1/users/${id}`, { method: 'DELETE', headers: admin.auth });
    expect(a.status, a.text).toBe(204);
    expect(await count('users', 'id = ?', id)).toBe(0);
    expect(await count('project_members', 'user_id = ?', id)).toBe(0);
    expect(await count('memberships', 'user_id = ?', id)).toBe(0);
    expect(await count('tokens', 'user_id = ?', id)).toBe(0);
    expect((await call(`${url}/members`, { headers: admin.auth })).body.count).toBe(3);
    expect(await count('project_members', 'project_id = ?', project.id)).toBe(3);
    expectProblem(await call('/v1/me', { headers: { Authorization: `Bearer ${session.body.token}` } }), 401);
  });

  it('keeps a project whose creator is deleted (creator becomes null)', async () => {
    const { manager, url } = await setup();
    const su = await makeUser({ superuser: true });
    const a = await call(`/v1/users/${manager.id}`, { method: 'DELETE', headers: su.auth });
    expect(a.status, a.text).toBe(204);
    const got = await call(url, { headers: su.auth });
    expect(got.status).toBe(200);
    expect(got.body.creator).toBeNull();
    expect(got.body.member_count).toBe(2);
  });

  it('answers 403 to an admin of an organisation that only added the account, and to a project manager; nothing goes', async () => {
    const { admin, manager, viewer, project } = await setup();
    const otherAdmin = await makeUser();
    await makeOrg(otherAdmin, [viewer]);
    const a = await call(`/v1/users/${viewer.id}`, { method: 'DELETE', headers: admin.auth });
    expectProblem(a, 403, 'forbidden');
    const b = await call(`/v1/users/${viewer.id}`, { method: 'DELETE', headers: manager.auth });
    expectProblem(b, 403, 'forbidden');
    expect(await count('users', 'id = ?', viewer.id)).toBe(1);
    expect(await projectRole(project.id, viewer.id)).toBe('viewer');
    // A superuser may.
    const su = await makeUser({ superuser: true });
    expect((await call(`/v1/users/${viewer.id}`, { method: 'DELETE', headers: su.auth })).status).toBe(204);
    expect(await count('project_members', 'user_id = ?', viewer.id)).toBe(0);
  });
});

describe('archived', () => {
  it('an archived project answers 409 to add, change, remove and create account, writing nothing; listing still works', async () => {
    const { admin, manager, viewer, plain, url, project } = await setup();
    const archived = await call(url, { method: 'PATCH', headers: manager.auth, json: { archived: true } });
    expect(archived.status, archived.text).toBe(200);
    expect(archived.body.archived).toBe(true);
    const users = await count('users');
    const rows = () => env.DB.prepare('SELECT user_id, role FROM project_members WHERE project_id = ? ORDER BY user_id').bind(project.id).all();
    const before = (await rows()).results;

    const username = unique('late');
    const attempts: [string, string, Actor, unknown?][] = [
      ['POST', `${url}/members`, manager, { user: plain.id }],
      ['POST', `${url}/members`, admin, { user: plain.id }],
      ['PATCH', `${url}/members/${viewer.id}`, manager, { role: 'editor' }],
      ['DELETE', `${url}/members/${viewer.id}`, manager],
      ['DELETE', `${url}/members/${viewer.id}`, viewer],
      ['POST', `${url}/users`, admin, { username, email: `${username}@example.test` }],
      ['PUT', `${url}/logo`, manager],
    ];
    for (const [method, path, who, json] of attempts) {
      const a =
        method === 'PUT'
          ? await call(path, { method, headers: { ...who.auth, 'Content-Type': 'image/png' }, body: PNG })
          : await call(path, { method, headers: who.auth, json });
      expectProblem(a, 409, 'archived');
      expect(a.body.detail, `${method} ${path}`).toContain('project');
    }
    expect((await rows()).results).toEqual(before);
    expect(await count('users')).toBe(users);
    expect((await call(`${url}/members`, { headers: viewer.auth })).body.count).toBe(3);

    // Unarchived, the same writes work again.
    expect((await call(url, { method: 'PATCH', headers: manager.auth, json: { archived: false } })).status).toBe(200);
    expect((await call(`${url}/members`, { headers: manager.auth, json: { user: plain.id } })).status).toBe(201);
  });

  it('a project in an archived organisation answers 409 to member writes', async () => {
    const { admin, manager, viewer, plain, org, url, project } = await setup();
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } })).status).toBe(200);
    const username = unique('late');
    expectProblem(await call(`${url}/members`, { headers: admin.auth, json: { user: plain.id } }), 409, 'archived');
    expectProblem(await call(`${url}/members/${viewer.id}`, { method: 'PATCH', headers: manager.auth, json: { role: 'editor' } }), 409, 'archived');
    expectProblem(await call(`${url}/members/${viewer.id}`, { method: 'DELETE', headers: manager.auth }), 409, 'archived');
    expectProblem(await call(`${url}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } }), 409, 'archived');
    expect(await count('project_members', 'project_id = ?', project.id)).toBe(3);
    expect(await projectRole(project.id, viewer.id)).toBe('viewer');
    expect(await count('users', 'username = ?', username)).toBe(0);
  });
});

describe('logo', () => {
  it('takes a raw PNG (200, logo metadata in the project) and serves it to a viewer with download headers', async () => {
    const { manager, viewer, url, project } = await setup();
    const up = await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: PNG });
    expect(up.status, up.text).toBe(200);
    const logo = { url: `/v1/projects/${project.id}/logo`, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) };
    expect(up.body.logo).toEqual(logo);
    expect(up.body.id).toBe(project.id);
    expect(up.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect((await call(url, { headers: viewer.auth })).body.logo).toEqual(logo);

    const key = await logoKey(project.id);
    const object = await env.FILES.get(key);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);

    const d = await download(`${url}/logo`, viewer.auth);
    expect(d.status).toBe(200);
    expect(d.bytes).toEqual(PNG);
    expect(d.headers.get('Content-Type')).toBe('image/png');
    expect(d.headers.get('Content-Length')).toBe(String(PNG.byteLength));
    expect(d.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(d.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(d.headers.get('Accept-Ranges')).toBe('bytes');
    expect(new Date(d.headers.get('Last-Modified')!).getTime()).not.toBeNaN();
    const disposition = d.headers.get('Content-Disposition')!;
    expect(disposition).toMatch(/^inline; /);
    expect(disposition).toContain(`filename*=UTF-8''${project.slug}-logo.png`);
  });

  it('takes a multipart upload (200)', async () => {
    const { admin, url, project } = await setup();
    const up = await call(`${url}/logo`, { method: 'PUT', headers: admin.auth, body: form({}, { bytes: PNG, type: 'image/png', name: 'Ünïcode logo.png' }) });
    expect(up.status, up.text).toBe(200);
    expect(up.body.logo).toEqual({ url: `/v1/projects/${project.id}/logo`, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });
    expect((await download(`${url}/logo`, admin.auth)).bytes).toEqual(PNG);
  });

  it('answers Range with 206 and 416, and If-None-Match with 304', async () => {
    const { manager, viewer, url } = await setup();
    await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: PNG });
    const path = `${url}/logo`;
    const full = await download(path, viewer.auth);
    const etag = full.headers.get('ETag')!;

    const head = await download(path, { ...viewer.auth, Range: 'bytes=0-3' });
    expect(head.status).toBe(206);
    expect(head.bytes).toEqual(PNG.subarray(0, 4));
    expect(head.headers.get('Content-Range')).toBe(`bytes 0-3/${PNG.byteLength}`);
    expect(head.headers.get('Content-Length')).toBe('4');

    const tail = await download(path, { ...viewer.auth, Range: 'bytes=-5' });
    expect(tail.status).toBe(206);
    expect(tail.bytes).toEqual(PNG.subarray(PNG.byteLength - 5));
    expect(tail.headers.get('Content-Range')).toBe(`bytes ${PNG.byteLength - 5}-${PNG.byteLength - 1}/${PNG.byteLength}`);

    const beyond = await download(path, { ...viewer.auth, Range: `bytes=${PNG.byteLength}-` });
    expectProblem(beyond, 416, 'range-not-satisfiable');
    expect(beyond.headers.get('Content-Range')).toBe(`bytes */${PNG.byteLength}`);

    const notModified = await download(path, { ...viewer.auth, 'If-None-Match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.bytes.byteLength).toBe(0);
    expect(notModified.headers.get('ETag')).toBe(etag);
    expect((await download(path, { ...viewer.auth, 'If-None-Match': '"something-else"' })).status).toBe(200);
  });

  it('answers 403 to a viewer or editor PUT or DELETE, and 404 (as missing) to an outsider', async () => {
    const { manager, editor, viewer, outsider, url, project } = await setup();
    await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: PNG });
    const key = await logoKey(project.id);
    for (const who of [viewer, editor]) {
      expectProblem(await call(`${url}/logo`, { method: 'PUT', headers: { ...who.auth, 'Content-Type': 'image/gif' }, body: GIF }), 403, 'forbidden');
      expectProblem(await call(`${url}/logo`, { method: 'DELETE', headers: who.auth }), 403, 'forbidden');
    }
    const hidden = await download(`${url}/logo`, outsider.auth);
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, '/logo'));
    const hiddenPut = await call(`${url}/logo`, { method: 'PUT', headers: { ...outsider.auth, 'Content-Type': 'image/gif' }, body: GIF });
    expectProblem(hiddenPut, 404, 'not-found');
    expect(await logoKey(project.id)).toBe(key);
    expect((await download(`${url}/logo`, viewer.auth)).bytes).toEqual(PNG);
  });

  it('replacing removes the old R2 object and leaves one blob row', async () => {
    const { manager, url, project, org } = await setup();
    await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: PNG });
    const oldKey = await logoKey(project.id);
    const before = await download(`${url}/logo`, manager.auth);
    const up = await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/gif' }, body: GIF });
    expect(up.status, up.text).toBe(200);
    expect(up.body.logo).toEqual({ url: `/v1/projects/${project.id}/logo`, mime_type: 'image/gif', size: GIF.byteLength, sha256: await sha256Hex(GIF) });
    const newKey = await logoKey(project.id);
    expect(newKey).not.toBe(oldKey);
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(1);
    expect(await eventually(async () => (await env.FILES.head(oldKey)) === null)).toBe(true);
    expect(await r2Keys(`${org.id}/`)).toEqual([newKey]);
    const after = await download(`${url}/logo`, manager.auth);
    expect(after.bytes).toEqual(GIF);
    expect(after.headers.get('Content-Type')).toBe('image/gif');
    expect(after.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
  });

  it('DELETE: 204, then GET and DELETE 404; the row and the object go', async () => {
    const { manager, viewer, url, project, org } = await setup();
    await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: PNG });
    const key = await logoKey(project.id);
    const a = await call(`${url}/logo`, { method: 'DELETE', headers: manager.auth });
    expect(a.status, a.text).toBe(204);
    expectProblem(await download(`${url}/logo`, viewer.auth), 404, 'not-found');
    expectProblem(await call(`${url}/logo`, { method: 'DELETE', headers: manager.auth }), 404, 'not-found');
    expect((await call(url, { headers: viewer.auth })).body.logo).toBeNull();
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
  });

  it('answers 400 for a non-image and 415 for text/plain, storing nothing', async () => {
    const { manager, url, org } = await setup();
    const keysBefore = await r2Keys();
    const notImage = await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: 'not an image at all' });
    expectProblem(notImage, 400, 'invalid-request');
    expect(paths(notImage)).toEqual(['logo']);
    const notImagePart = await call(`${url}/logo`, {
      method: 'PUT',
      headers: manager.auth,
      body: form({}, { bytes: new TextEncoder().encode('just some text'), type: 'image/png' }),
    });
    expectProblem(notImagePart, 400, 'invalid-request');
    expect(paths(notImagePart)).toEqual(['logo']);
    const lying = await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/jpeg' }, body: PNG });
    expectProblem(lying, 400, 'invalid-request');
    const text = await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'text/plain' }, body: 'hello' });
    expectProblem(text, 415, 'unsupported-media-type');
    expect(await r2Keys()).toEqual(keysBefore);
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect((await call(url, { headers: manager.auth })).body.logo).toBeNull();
  });

  it('a purge (DELETE ?permanent=true by the org admin) removes the logo object from R2', async () => {
    const { admin, manager, url, project, org } = await setup();
    await call(`${url}/logo`, { method: 'PUT', headers: { ...manager.auth, 'Content-Type': 'image/png' }, body: PNG });
    const key = await logoKey(project.id);
    expectProblem(await call(`${url}?permanent=true`, { method: 'DELETE', headers: manager.auth }), 403, 'forbidden');
    expect(await env.FILES.head(key)).not.toBeNull();
    const a = await call(`${url}?permanent=true`, { method: 'DELETE', headers: admin.auth });
    expect(a.status, a.text).toBe(204);
    expect(await count('projects', 'id = ?', project.id)).toBe(0);
    expect(await count('project_members', 'project_id = ?', project.id)).toBe(0);
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
    expectProblem(await download(`${url}/logo`, admin.auth), 404, 'not-found');
  });
});
