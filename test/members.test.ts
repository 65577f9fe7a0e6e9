/** Organisation members: list, add, create an account into the organisation, change role, remove. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, sameProblem, type Answer } from './support/api';
import { newId, type IdPrefix } from '../src/lib/ids';
import { count, makeOrg, makeUser, PASSWORD, unique, type Actor } from './support/actors';
import { addProjectMember, createProject, ok, privateProjectWithAsset, type Row } from './support/domain';

/** The 404 a caller gets for an organisation that does not exist at all (at `suffix` below it). */
async function missing(actor: Actor, suffix: string, method = 'GET', json?: unknown) {
  const a = await call(`/v1/organizations/${unique('no-such-')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function setup(members = 1) {
  const admin = await makeUser();
  const others = await Promise.all(Array.from({ length: members }, () => makeUser()));
  const org = await makeOrg(admin, others);
  const outsider = await makeUser();
  await makeOrg(outsider);
  return { admin, member: others[0]!, others, org, outsider };
}

const paths = (a: Answer) => (a.body.errors ?? []).map((e: { path: string }) => e.path);
const usernames = (a: Answer) => a.body.results.map((m: { user: { username: string } }) => m.user.username);

async function roleOf(orgId: string, userId: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?').bind(orgId, userId).first<{ role: string }>();
  return row?.role ?? null;
}

describe('list members', () => {
  it('lists members with roles to any member, paginated, filtered by role', async () => {
    const { admin, others, org } = await setup(3);
    const all = [admin, ...others].map((u) => u.username).sort();
    const a = await call(`/v1/organizations/${org.slug}/members`, { headers: others[1]!.auth });
    expect(a.status).toBe(200);
    expect(a.body.count).toBe(4);
    expect(usernames(a)).toEqual(all);
    const adminRow = a.body.results.find((m: { user: { id: string } }) => m.user.id === admin.id);
    expect(adminRow).toEqual({
      user: { id: admin.id, number: expect.any(Number), username: admin.username, email: admin.email, name: `Name of ${admin.username}`, last_login: null, date_joined: expect.any(String) },
      role: 'admin',
      joined_at: expect.any(String),
    });

    const first = await call(`/v1/organizations/${org.slug}/members?limit=3`, { headers: admin.auth });
    expect(usernames(first)).toEqual(all.slice(0, 3));
    expect(first.body.count).toBe(4);
    expect(first.headers.get('Link')).toContain('rel="next"');
    const second = await call(first.body.next, { headers: admin.auth });
    expect(usernames(second)).toEqual(all.slice(3));
    expect(second.body.next).toBeNull();
    const back = await call(second.body.previous, { headers: admin.auth });
    expect(usernames(back)).toEqual(all.slice(0, 3));

    const admins = await call(`/v1/organizations/${org.slug}/members?role=admin`, { headers: admin.auth });
    expect(admins.body.count).toBe(1);
    expect(usernames(admins)).toEqual([admin.username]);
    const plain = await call(`/v1/organizations/${org.slug}/members?role=member`, { headers: admin.auth });
    expect(plain.body.count).toBe(3);
    expect(usernames(plain)).toEqual(others.map((u) => u.username).sort());

    const reversed = await call(`/v1/organizations/${org.slug}/members?ordering=-username`, { headers: admin.auth });
    expect(usernames(reversed)).toEqual([...all].reverse());
    const byId = await call(`/v1/organizations/${org.id}/members?page=2&page_size=2`, { headers: admin.auth });
    expect(usernames(byId)).toEqual(all.slice(2, 4));
  });

  it('answers 400 naming role or ordering', async () => {
    const { admin, org } = await setup(0);
    const badRole = await call(`/v1/organizations/${org.slug}/members?role=owner`, { headers: admin.auth });
    expectProblem(badRole, 400, 'invalid-request');
    expect(paths(badRole)).toEqual(['role']);
    const badOrdering = await call(`/v1/organizations/${org.slug}/members?ordering=email`, { headers: admin.auth });
    expectProblem(badOrdering, 400, 'invalid-request');
    expect(paths(badOrdering)).toEqual(['ordering']);
  });

  it('hides the members of another organisation: 404 as missing, no rows leaked', async () => {
    const { org, outsider } = await setup(2);
    const a = await call(`/v1/organizations/${org.slug}/members`, { headers: outsider.auth });
    expectProblem(a, 404, 'not-found');
    expect(sameProblem(a)).toEqual(await missing(outsider, '/members'));
    expect(a.text).not.toContain('username');
    const su = await makeUser({ superuser: true });
    expect((await call(`/v1/organizations/${org.slug}/members`, { headers: su.auth })).body.count).toBe(3);
  });
});

describe('add members', () => {
  it('adds an existing account by id, username or email (201), as member or admin', async () => {
    const { admin, org } = await setup(0);
    const [byId, byName, byEmail] = [await makeUser(), await makeUser(), await makeUser()];
    const cases: [Actor, string, string | undefined][] = [
      [byId, byId.id, undefined],
      [byName, byName.username.toUpperCase(), 'admin'],
      [byEmail, ` ${byEmail.email.toUpperCase()} `, 'member'],
    ];
    for (const [user, ref, role] of cases) {
      const a = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: role ? { user: ref, role } : { user: ref } });
      expect(a.status, a.text).toBe(201);
      expect(a.body).toEqual({
        user: { id: user.id, number: expect.any(Number), username: user.username, email: user.email, name: `Name of ${user.username}`, last_login: null, date_joined: expect.any(String) },
        role: role ?? 'member',
        joined_at: expect.any(String),
      });
      expect(await roleOf(org.id, user.id)).toBe(role ?? 'member');
      // The new member now sees the organisation.
      expect((await call(`/v1/organizations/${org.slug}`, { headers: user.auth })).status).toBe(200);
    }
    const list = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth });
    expect(list.body.count).toBe(4);
  });

  it('answers 409 for an existing member, 404 for an unknown user', async () => {
    const { admin, member, org } = await setup(1);
    const again = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: member.username, role: 'admin' } });
    expectProblem(again, 409, 'conflict');
    expect(await roleOf(org.id, member.id)).toBe('member');
    const self = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: admin.id } });
    expectProblem(self, 409, 'conflict');
    const nobody = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: 'nobody-at-all@example.test' } });
    expectProblem(nobody, 404, 'not-found');
    expect(nobody.body.detail).toContain('User');
  });

  it('answers 403 to a member, 404 (as missing) to an outsider, and adds nobody', async () => {
    const { member, org, outsider } = await setup(1);
    const candidate = await makeUser();
    const byMember = await call(`/v1/organizations/${org.slug}/members`, { headers: member.auth, json: { user: candidate.id } });
    expectProblem(byMember, 403, 'forbidden');
    const byOutsider = await call(`/v1/organizations/${org.slug}/members`, { headers: outsider.auth, json: { user: candidate.id } });
    expectProblem(byOutsider, 404, 'not-found');
    expect(sameProblem(byOutsider)).toEqual(await missing(outsider, '/members', 'POST', { user: candidate.id }));
    // Adding oneself to a hidden organisation does not work either.
    const selfInvite = await call(`/v1/organizations/${org.slug}/members`, { headers: outsider.auth, json: { user: outsider.id, role: 'admin' } });
    expectProblem(selfInvite, 404);
    expect(await count('memberships', 'organization_id = ? AND user_id IN (?, ?)', org.id, candidate.id, outsider.id)).toBe(0);
  });

  it('lets a superuser who is not a member add members', async () => {
    const { org } = await setup(0);
    const su = await makeUser({ superuser: true });
    const candidate = await makeUser();
    const a = await call(`/v1/organizations/${org.slug}/members`, { headers: su.auth, json: { user: candidate.id } });
    expect(a.status).toBe(201);
  });

  it('answers 400 naming the field', async () => {
    const { admin, org } = await setup(0);
    const cases: [string, unknown][] = [
      ['user', {}],
      ['user', { user: '' }],
      ['role', { user: admin.id, role: 'owner' }],
    ];
    for (const [path, json] of cases) {
      const a = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toContain(path);
    }
    const extra = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: admin.id, is_superuser: true } });
    expectProblem(extra, 400, 'invalid-request');
    expect(JSON.stringify(extra.body.errors)).toContain('is_superuser');
  });
});

describe('create an account into the organisation', () => {
  it('creates the account and its membership (201); it appears in the list and can sign in', async () => {
    const { admin, org } = await setup(0);
    const username = unique('new');
    const a = await call(`/v1/organizations/${org.slug}/users`, {
      headers: admin.auth,
      json: { username: username.toUpperCase(), email: `${username}@Example.test`, name: 'New Person', password: PASSWORD, role: 'admin' },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      user: { id: expect.stringMatching(/^usr_/), number: expect.any(Number), username, email: `${username}@example.test`, name: 'New Person', last_login: null, date_joined: expect.any(String) },
      role: 'admin',
      joined_at: expect.any(String),
    });
    expect(await count('users', 'id = ?', a.body.user.id)).toBe(1);
    const list = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth });
    expect(list.body.results).toContainEqual(a.body);

    const signIn = await call('/v1/auth/sign-in', { json: { login: username, password: PASSWORD } });
    expect(signIn.status).toBe(200);
  });

  it('creates a member without a password by default', async () => {
    const { admin, org } = await setup(0);
    const username = unique('plain');
    const a = await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } });
    expect(a.status, a.text).toBe(201);
    expect(a.body.role).toBe('member');
    expect(a.body.user.name).toBe('');
  });

  it('answers 409 naming username or email when taken, creating nothing', async () => {
    const { admin, member, org } = await setup(1);
    const before = await count('users');
    const takenName = await call(`/v1/organizations/${org.slug}/users`, {
      headers: admin.auth,
      json: { username: member.username, email: `${unique('fresh')}@example.test` },
    });
    expectProblem(takenName, 409, 'conflict');
    expect(paths(takenName)).toEqual(['username']);
    const takenEmail = await call(`/v1/organizations/${org.slug}/users`, {
      headers: admin.auth,
      json: { username: unique('fresh'), email: member.email },
    });
    expectProblem(takenEmail, 409, 'conflict');
    expect(paths(takenEmail)).toEqual(['email']);
    expect(await count('users')).toBe(before);
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(2);
  });

  it('answers 400 naming the field', async () => {
    const { admin, org } = await setup(0);
    const cases: [string, unknown][] = [
      ['email', { username: unique('x') }],
      ['email', { username: unique('x'), email: 'not-an-email' }],
      ['username', { email: `${unique('x')}@example.test` }],
      ['username', { username: 'has space', email: `${unique('x')}@example.test` }],
      ['password', { username: unique('x'), email: `${unique('x')}@example.test`, password: 'short' }],
      ['role', { username: unique('x'), email: `${unique('x')}@example.test`, role: 'owner' }],
    ];
    const before = await count('users');
    for (const [path, json] of cases) {
      const a = await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toContain(path);
    }
    expect(await count('users')).toBe(before);
  });

  it('answers 403 to a member and 404 (as missing) to an outsider', async () => {
    const { member, org, outsider } = await setup(1);
    const json = () => {
      const username = unique('sneak');
      return { username, email: `${username}@example.test` };
    };
    const before = await count('users');
    expectProblem(await call(`/v1/organizations/${org.slug}/users`, { headers: member.auth, json: json() }), 403, 'forbidden');
    const hidden = await call(`/v1/organizations/${org.slug}/users`, { headers: outsider.auth, json: json() });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, '/users', 'POST', json()));
    expect(await count('users')).toBe(before);
  });
});

describe('change a role', () => {
  it('promotes and demotes (200) while another admin remains', async () => {
    const { admin, member, org } = await setup(1);
    const up = await call(`/v1/organizations/${org.slug}/members/${member.username}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toEqual({
      user: { id: member.id, number: expect.any(Number), username: member.username, email: member.email, name: `Name of ${member.username}`, last_login: null, date_joined: expect.any(String) },
      role: 'admin',
      joined_at: expect.any(String),
    });
    expect(await roleOf(org.id, member.id)).toBe('admin');
    // The promoted member now has admin rights.
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: member.auth, json: { description: 'mine too' } })).status).toBe(200);

    const down = await call(`/v1/organizations/${org.slug}/members/${admin.email}`, { method: 'PATCH', headers: member.auth, json: { role: 'member' } });
    expect(down.status, down.text).toBe(200);
    expect(down.body.role).toBe('member');
    expect(await roleOf(org.id, admin.id)).toBe('member');
    expectProblem(await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'no longer' } }), 403);
  });

  it('answers 409 when demoting the last admin', async () => {
    const { admin, member, org } = await setup(1);
    const a = await call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'member' } });
    expectProblem(a, 409, 'conflict');
    expect(await roleOf(org.id, admin.id)).toBe('admin');
    // Setting admin to admin is not a demotion.
    expect((await call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } })).status).toBe(200);
    expect(await roleOf(org.id, member.id)).toBe('member');
  });

  it('answers 403 to a member, 404 to an outsider, 404 for a non-member, 400 for a bad role', async () => {
    const { admin, member, others, org, outsider } = await setup(2);
    const other = others[1]!;
    const byMember = await call(`/v1/organizations/${org.slug}/members/${other.id}`, { method: 'PATCH', headers: member.auth, json: { role: 'admin' } });
    expectProblem(byMember, 403, 'forbidden');
    const selfPromote = await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: member.auth, json: { role: 'admin' } });
    expectProblem(selfPromote, 403, 'forbidden');
    const hidden = await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: outsider.auth, json: { role: 'admin' } });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, `/members/${member.id}`, 'PATCH', { role: 'admin' }));
    const notMember = await call(`/v1/organizations/${org.slug}/members/${outsider.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } });
    expectProblem(notMember, 404, 'not-found');
    expect(await roleOf(org.id, outsider.id)).toBeNull();
    const bad = await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'owner' } });
    expectProblem(bad, 400, 'invalid-request');
    expect(paths(bad)).toEqual(['role']);
    expect(await roleOf(org.id, member.id)).toBe('member');
    expect(await roleOf(org.id, other.id)).toBe('member');
  });
});

describe('remove members', () => {
  it('lets an admin remove a member (204); the account stays, the access goes', async () => {
    const { admin, member, org } = await setup(1);
    const a = await call(`/v1/organizations/${org.slug}/members/${member.username}`, { method: 'DELETE', headers: admin.auth });
    expect(a.status).toBe(204);
    expect(a.text).toBe('');
    expect(await roleOf(org.id, member.id)).toBeNull();
    expect(await count('users', 'id = ?', member.id)).toBe(1);
    expectProblem(await call(`/v1/organizations/${org.slug}`, { headers: member.auth }), 404);
    const list = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth });
    expect(usernames(list)).toEqual([admin.username]);
    // Gone means gone: removing again is a 404.
    expectProblem(await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'DELETE', headers: admin.auth }), 404);
  });

  it('lets a member leave (204) but not remove others (403)', async () => {
    const { admin, member, others, org } = await setup(2);
    const other = others[1]!;
    const notOthers = await call(`/v1/organizations/${org.slug}/members/${other.id}`, { method: 'DELETE', headers: member.auth });
    expectProblem(notOthers, 403, 'forbidden');
    const notAdmin = await call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'DELETE', headers: member.auth });
    expectProblem(notAdmin, 403, 'forbidden');
    expect(await roleOf(org.id, other.id)).toBe('member');
    expect(await roleOf(org.id, admin.id)).toBe('admin');

    const leave = await call(`/v1/organizations/${org.slug}/members/${member.email}`, { method: 'DELETE', headers: member.auth });
    expect(leave.status).toBe(204);
    expect(await roleOf(org.id, member.id)).toBeNull();
    expect(await count('users', 'id = ?', member.id)).toBe(1);
    expect((await call('/v1/organizations', { headers: member.auth })).body.results.map((o: { id: string }) => o.id)).not.toContain(org.id);
  });

  it('answers 409 when removing the last admin, 204 once another admin exists', async () => {
    const { admin, member, org } = await setup(1);
    const last = await call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'DELETE', headers: admin.auth });
    expectProblem(last, 409, 'conflict');
    expect(await roleOf(org.id, admin.id)).toBe('admin');
    await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } });
    const leave = await call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'DELETE', headers: admin.auth });
    expect(leave.status).toBe(204);
    expect(await count('users', 'id = ?', admin.id)).toBe(1);
    // Now the former member is the last admin.
    expectProblem(await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'DELETE', headers: member.auth }), 409, 'conflict');
  });

  it('answers 404 (as missing) to an outsider and 404 for a non-member or unknown user', async () => {
    const { admin, member, org, outsider } = await setup(1);
    const hidden = await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'DELETE', headers: outsider.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, `/members/${member.id}`, 'DELETE'));
    const hiddenSelf = await call(`/v1/organizations/${org.slug}/members/${outsider.id}`, { method: 'DELETE', headers: outsider.auth });
    expect(sameProblem(hiddenSelf)).toEqual(await missing(outsider, `/members/${outsider.id}`, 'DELETE'));
    expectProblem(await call(`/v1/organizations/${org.slug}/members/${outsider.id}`, { method: 'DELETE', headers: admin.auth }), 404);
    expectProblem(await call(`/v1/organizations/${org.slug}/members/${unique('ghost')}`, { method: 'DELETE', headers: admin.auth }), 404);
    expect(await roleOf(org.id, member.id)).toBe('member');
  });
});

describe('parallel adds of one user', () => {
  it('one add wins (201), the others answer 409, and the stored role is the winner\'s', async () => {
    const { admin, org } = await setup(0);
    for (let round = 0; round < 3; round++) {
      const candidate = await makeUser();
      const roles = Array.from({ length: 10 }, (_, i) => (i % 2 ? 'admin' : 'member'));
      const answers = await Promise.all(
        roles.map((role) => call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: candidate.id, role } })),
      );
      const won = answers.filter((a) => a.status === 201);
      expect(won.map((a) => a.status), answers.map((a) => a.status).join(' ')).toEqual([201]);
      for (const a of answers) if (a !== won[0]) expectProblem(a, 409, 'conflict');
      expect(await roleOf(org.id, candidate.id)).toBe(won[0]!.body.role);
    }
  });
});

describe('the last admin under concurrency', () => {
  it('lets only one of two admins demoting each other at once succeed', async () => {
    const { admin, member, org } = await setup(1);
    expect((await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } })).status).toBe(200);
    const [a, b] = await Promise.all([
      call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'member' } }),
      call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'PATCH', headers: member.auth, json: { role: 'member' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(await count('memberships', "organization_id = ? AND role = 'admin'", org.id)).toBe(1);
  });

  it('lets only one of two admins leaving at once succeed', async () => {
    const { admin, member, org } = await setup(1);
    expect((await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } })).status).toBe(200);
    const [a, b] = await Promise.all([
      call(`/v1/organizations/${org.slug}/members/${admin.id}`, { method: 'DELETE', headers: admin.auth }),
      call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'DELETE', headers: member.auth }),
    ]);
    expect([a.status, b.status].sort()).toEqual([204, 409]);
    expect(await count('memberships', "organization_id = ? AND role = 'admin'", org.id)).toBe(1);
  });
});

/**
 * Leaving an organisation ends every role in its projects (DESIGN.md), whichever way the
 * membership ends: the database itself deletes the project roles with the membership.
 */
describe('leaving the organisation ends its project roles', () => {
  /** A private project of A with an asset, a report and a resource; `former` is its editor and also works in another organisation. */
  async function cast() {
    const w = await privateProjectWithAsset();
    const report = await ok(call('/v1/reports', { headers: w.editor.auth, json: { project_id: w.project.id, name: unique('Report ') } }));
    const fd = new FormData();
    fd.append('name', 'plan');
    fd.append('file', new Blob(['a plan'], { type: 'text/plain' }), 'plan.txt');
    const resource = await ok(call(`/v1/projects/${w.project.id}/resources`, { method: 'POST', headers: w.editor.auth, body: fd }));
    // Their role in another organisation's project must survive leaving A.
    const elsewhere = await createProject(w.outsider, w.outsiderOrg, { access: 'private' });
    await addProjectMember(w.outsider, elsewhere.id, w.editor, 'editor');
    expect((await call(`/v1/projects/${w.project.id}`, { headers: w.editor.auth })).status).toBe(200);
    return { ...w, report, resource, elsewhere };
  }

  type Cast = Awaited<ReturnType<typeof cast>>;

  /** `who` gets exactly the 404 of a missing id for everything of the project, sees none of it in lists or the dashboard, and may change nothing. */
  async function expectShutOut(who: Actor, c: Cast) {
    const items: [string, IdPrefix, string][] = [
      ['/v1/projects/', 'prj', c.project.id],
      ['/v1/assets/', 'ast', c.asset.id],
      ['/v1/reports/', 'rpt', c.report.id],
      ['/v1/resources/', 'res', c.resource.id],
      ['/v1/projects/', 'prj', `${c.project.id}/members`],
      ['/v1/projects/', 'prj', `${c.project.id}/assets`],
    ];
    for (const [base, prefix, rest] of items) {
      const a = await call(base + rest, { headers: who.auth });
      expectProblem(a, 404, 'not-found');
      const random = await call(base + rest.replace(/^[^/]+/, newId(prefix)), { headers: who.auth });
      expect(sameProblem(a), `${base}${rest}`).toEqual(sameProblem(random));
    }
    const writes: [string, string, unknown][] = [
      ['PATCH', `/v1/assets/${c.asset.id}`, { name: 'taken over' }],
      ['PATCH', `/v1/projects/${c.project.id}`, { name: 'taken over' }],
      ['PATCH', `/v1/reports/${c.report.id}`, { name: 'taken over' }],
      ['PATCH', `/v1/resources/${c.resource.id}`, { name: 'taken over' }],
      ['POST', `/v1/projects/${c.project.id}/assets`, { name: 'planted' }],
    ];
    for (const [method, path, json] of writes) expectProblem(await call(path, { method, headers: who.auth, json }), 404, 'not-found');
    expect((await call(`/v1/assets/${c.asset.id}`, { headers: c.admin.auth })).body.name).toBe(c.asset.name);
    expect(await count('assets', 'project_id = ?', c.project.id)).toBe(1);

    const hidden = [c.project.id, c.asset.id, c.report.id, c.resource.id];
    for (const list of ['/v1/projects', '/v1/assets', '/v1/reports', '/v1/resources', `/v1/projects?search=${encodeURIComponent(c.project.name)}`]) {
      const a = await call(list, { headers: who.auth });
      expect(a.status).toBe(200);
      for (const id of hidden) expect(a.text.includes(id), `${list} mentions ${id}`).toBe(false);
    }
    const d = await call('/v1/dashboard', { headers: who.auth });
    for (const id of hidden) expect(d.text.includes(id), `dashboard mentions ${id}`).toBe(false);
    // What they do elsewhere is theirs still: the other organisation's project alone.
    expect(d.body.projects.count).toBe(1);
    expect((await call('/v1/projects', { headers: who.auth })).body.results.map((p: Row) => p.id)).toEqual([c.elsewhere.id]);
    expect(await count('project_members', 'user_id = ?', who.id)).toBe(1);
  }

  it('an admin removes an editor of a private project: 404 as missing for its project, asset, report and resource, none of it listed, writes refused', async () => {
    const c = await cast();
    expect((await call(`/v1/organizations/${c.org.slug}/members/${c.editor.id}`, { method: 'DELETE', headers: c.admin.auth })).status).toBe(204);
    await expectShutOut(c.editor, c);
  });

  it('a member who leaves by themself loses their project roles too', async () => {
    const c = await cast();
    expect((await call(`/v1/organizations/${c.org.slug}/members/${c.editor.username}`, { method: 'DELETE', headers: c.editor.auth })).status).toBe(204);
    await expectShutOut(c.editor, c);
  });

  it('being added to the organisation again brings no old project role back', async () => {
    const c = await cast();
    await call(`/v1/organizations/${c.org.slug}/members/${c.editor.id}`, { method: 'DELETE', headers: c.admin.auth });
    expect((await call(`/v1/organizations/${c.org.slug}/members`, { headers: c.admin.auth, json: { user: c.editor.id } })).status).toBe(201);
    expect(await count('project_members', 'project_id = ? AND user_id = ?', c.project.id, c.editor.id)).toBe(0);
    expectProblem(await call(`/v1/projects/${c.project.id}`, { headers: c.editor.auth }), 404);
    expectProblem(await call(`/v1/assets/${c.asset.id}`, { method: 'PATCH', headers: c.editor.auth, json: { name: 'x' } }), 404);
    const members = await call(`/v1/projects/${c.project.id}/members`, { headers: c.admin.auth });
    expect(members.body.results.map((m: { user: { id: string } }) => m.user.id)).not.toContain(c.editor.id);
  });

  it('the database ends the project roles with the membership, whatever deletes it, and keeps those in other organisations', async () => {
    const c = await cast();
    await env.DB.prepare('DELETE FROM memberships WHERE organization_id = ? AND user_id = ?').bind(c.org.id, c.editor.id).run();
    expect(await count('project_members', 'project_id = ? AND user_id = ?', c.project.id, c.editor.id)).toBe(0);
    expect(await count('project_members', 'project_id = ? AND user_id = ?', c.elsewhere.id, c.editor.id)).toBe(1);
    expect(await count('project_members', 'project_id = ? AND user_id = ?', c.project.id, c.viewer.id)).toBe(1);
  });
});
