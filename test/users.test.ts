import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { deleteUser } from '../src/users/service';
import { call, expectProblem, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, mintToken, PASSWORD, unique, type Actor } from './support/actors';
import { problemOf, racingScope } from './support/services';

const NEW_PASSWORD = 'a brand new password';

/** The body of a 404 for a user that does not exist at all, as `caller` sees it. */
async function missingUser(caller: Actor, method = 'GET', json?: unknown) {
  const a = await call(`/v1/users/${unique('nobody')}`, { method, headers: caller.auth, ...(json ? { json } : {}) });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

function paths(a: Answer): string[] {
  return (a.body.errors ?? []).map((e: { path: string }) => e.path);
}

async function signIn(login: string, password: string) {
  return call('/v1/auth/sign-in', { json: { login, password } });
}

describe('POST /v1/users', () => {
  it('lets a superuser create an account without an organisation', async () => {
    const root = await makeUser({ superuser: true });
    const username = unique('made');
    const a = await call('/v1/users', {
      headers: root.auth,
      json: { username, email: `${username}@example.test`, name: 'Made By Root', password: NEW_PASSWORD },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ username, email: `${username}@example.test`, name: 'Made By Root', is_active: true, is_superuser: false });
    expect(a.body.id).toMatch(/^usr_/);
    expect(a.body.organizations).toEqual([]);
    expect(a.headers.get('Location')).toBe(`/v1/users/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(await count('users', 'id = ?', a.body.id)).toBe(1);
    expect(await count('memberships', 'user_id = ?', a.body.id)).toBe(0);

    const fetched = await call(a.headers.get('Location')!, { headers: root.auth });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it('lets a superuser create another superuser', async () => {
    const root = await makeUser({ superuser: true });
    const username = unique('root');
    const a = await call('/v1/users', { headers: root.auth, json: { username, email: `${username}@example.test`, is_superuser: true } });
    expect(a.status, a.text).toBe(201);
    expect(a.body.is_superuser).toBe(true);
  });

  it('normalises username and email to lower case', async () => {
    const root = await makeUser({ superuser: true });
    const username = unique('mixed');
    const a = await call('/v1/users', { headers: root.auth, json: { username: username.toUpperCase(), email: `${username.toUpperCase()}@Example.TEST` } });
    expect(a.status, a.text).toBe(201);
    expect(a.body.username).toBe(username);
    expect(a.body.email).toBe(`${username}@example.test`);
  });

  it('lets an org admin create an account into the organisation, by slug or by id, with the given role', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);

    const bySlug = unique('byslug');
    const a = await call('/v1/users', {
      headers: admin.auth,
      json: { username: bySlug, email: `${bySlug}@example.test`, organization: org.slug, role: 'admin' },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.headers.get('Location')).toBe(`/v1/users/${a.body.id}`);
    expect(a.headers.get('ETag')).toBeTruthy();
    expect(a.body.organizations).toEqual([{ id: org.id, number: expect.any(Number), slug: org.slug, name: org.name, short_name: '', role: 'admin' }]);
    expect(await count('memberships', 'user_id = ? AND organization_id = ? AND role = ?', a.body.id, org.id, 'admin')).toBe(1);

    const byId = unique('byid');
    const b = await call('/v1/users', { headers: admin.auth, json: { username: byId, email: `${byId}@example.test`, organization: org.id } });
    expect(b.status, b.text).toBe(201);
    expect(b.body.organizations).toEqual([expect.objectContaining({ id: org.id, role: 'member' })]);
    expect(await count('memberships', 'user_id = ? AND organization_id = ? AND role = ?', b.body.id, org.id, 'member')).toBe(1);

    // The members list of the organisation shows them.
    const members = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth });
    expect(members.status).toBe(200);
    expect(members.body.results.map((m: { user: { username: string } }) => m.user.username).sort()).toEqual([admin.username, bySlug, byId].sort());
  });

  it('forbids a plain member of the organisation (403)', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    const org = await makeOrg(admin, [member]);
    const username = unique('nope');
    const a = await call('/v1/users', { headers: member.auth, json: { username, email: `${username}@example.test`, organization: org.slug } });
    expectProblem(a, 403, 'forbidden');
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('hides an organisation the caller is not in (404, same as a missing one)', async () => {
    const admin = await makeUser();
    const outsider = await makeUser();
    await makeOrg(outsider);
    const org = await makeOrg(admin);
    const username = unique('nope');
    const hidden = await call('/v1/users', { headers: outsider.auth, json: { username, email: `${username}@example.test`, organization: org.slug } });
    expectProblem(hidden, 404, 'not-found');
    const hiddenById = await call('/v1/users', { headers: outsider.auth, json: { username, email: `${username}@example.test`, organization: org.id } });
    expectProblem(hiddenById, 404, 'not-found');
    const missing = await call('/v1/users', {
      headers: outsider.auth,
      json: { username, email: `${username}@example.test`, organization: unique('no-such-org-') },
    });
    expectProblem(missing, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(sameProblem(missing));
    expect(sameProblem(hiddenById)).toEqual(sameProblem(missing));
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('requires an organisation from a non-superuser (400 naming organization)', async () => {
    const admin = await makeUser();
    await makeOrg(admin);
    const username = unique('orphan');
    const a = await call('/v1/users', { headers: admin.auth, json: { username, email: `${username}@example.test` } });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toEqual(['organization']);
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('forbids a non-superuser org admin from creating a superuser (403)', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const username = unique('wannabe');
    const a = await call('/v1/users', {
      headers: admin.auth,
      json: { username, email: `${username}@example.test`, organization: org.slug, is_superuser: true },
    });
    expectProblem(a, 403, 'forbidden');
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('answers 409 naming the field for a taken username or email', async () => {
    const root = await makeUser({ superuser: true });
    const taken = await makeUser();
    const fresh = unique('fresh');

    const byName = await call('/v1/users', { headers: root.auth, json: { username: taken.username, email: `${fresh}@example.test` } });
    expectProblem(byName, 409, 'conflict');
    expect(paths(byName)).toEqual(['username']);

    const byEmail = await call('/v1/users', { headers: root.auth, json: { username: fresh, email: taken.email.toUpperCase() } });
    expectProblem(byEmail, 409, 'conflict');
    expect(paths(byEmail)).toEqual(['email']);
    expect(await count('users', 'username = ?', fresh)).toBe(0);

    // The same inside an organisation: nothing half-written (no membership without a user).
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const inOrg = await call('/v1/users', { headers: admin.auth, json: { username: taken.username, email: `${fresh}@example.test`, organization: org.slug } });
    expectProblem(inOrg, 409, 'conflict');
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(1);
  });

  it.each([
    ['email', { email: 'not-an-email' }],
    ['password', { password: 'short' }],
    ['username', { username: 'usr_01jd8z3b6q0w4y1r7k5t2m9xce' }],
    ['username', { username: 'org_whatever' }],
    ['username', { username: 'has space' }],
    ['username', { username: 'x' }],
    ['role', { role: 'owner' }],
    ['surprise', { surprise: true }],
  ])('answers 400 naming %s for invalid input %j', async (field, override) => {
    const root = await makeUser({ superuser: true });
    const username = unique('valid');
    const a = await call('/v1/users', { headers: root.auth, json: { username, email: `${username}@example.test`, password: NEW_PASSWORD, ...override } });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toContain(field);
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('answers 400 naming each missing required field', async () => {
    const root = await makeUser({ superuser: true });
    const a = await call('/v1/users', { headers: root.auth, json: {} });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a).sort()).toEqual(['email', 'username']);
  });

  it('answers 401 without a token', async () => {
    const username = unique('anon');
    const a = await call('/v1/users', { json: { username, email: `${username}@example.test` } });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('creates an account that signs in with its password; one made without a password cannot sign in', async () => {
    const root = await makeUser({ superuser: true });
    const withPw = unique('withpw');
    const a = await call('/v1/users', { headers: root.auth, json: { username: withPw, email: `${withPw}@example.test`, password: NEW_PASSWORD } });
    expect(a.status, a.text).toBe(201);
    const ok = await signIn(withPw, NEW_PASSWORD);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.user.id).toBe(a.body.id);
    const me = await call('/v1/me', { headers: { Authorization: `Bearer ${ok.body.token}` } });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(withPw);
    expectProblem(await signIn(withPw, 'not the password at all'), 401, 'invalid-credentials');

    const noPw = unique('nopw');
    const b = await call('/v1/users', { headers: root.auth, json: { username: noPw, email: `${noPw}@example.test` } });
    expect(b.status, b.text).toBe(201);
    for (const guess of ['', '!', PASSWORD, NEW_PASSWORD]) {
      if (!guess) continue;
      expectProblem(await signIn(noPw, guess), 401, 'invalid-credentials');
    }
  });
});

describe('GET /v1/users/{user}', () => {
  it('shows a user to members of a shared organisation, by id, username and email (any case)', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    const org = await makeOrg(admin, [member]);
    for (const ref of [member.id, member.username, member.email, member.email.toUpperCase(), member.username.toUpperCase()]) {
      const a = await call(`/v1/users/${encodeURIComponent(ref)}`, { headers: admin.auth });
      expect(a.status, `${ref}: ${a.text}`).toBe(200);
      expect(a.body).toMatchObject({ id: member.id, username: member.username, email: member.email, is_active: true, is_superuser: false });
      expect(a.body.organizations).toEqual([{ id: org.id, number: expect.any(Number), slug: org.slug, name: org.name, short_name: '', role: 'member' }]);
      expect(a.headers.get('ETag')).toBeTruthy();
    }
    // And the other way round.
    const back = await call(`/v1/users/${admin.username}`, { headers: member.auth });
    expect(back.status).toBe(200);
    expect(back.body.organizations).toEqual([expect.objectContaining({ id: org.id, role: 'admin' })]);
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    await makeOrg(admin, [member]);
    const a = await call(`/v1/users/${member.id}`, { headers: admin.auth });
    const again = await call(`/v1/users/${member.id}`, { headers: { ...admin.auth, 'If-None-Match': a.headers.get('ETag')! } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('shows anyone to a superuser, and a user to themself', async () => {
    const root = await makeUser({ superuser: true });
    const loner = await makeUser();
    const a = await call(`/v1/users/${loner.username}`, { headers: root.auth });
    expect(a.status).toBe(200);
    expect(a.body.id).toBe(loner.id);
    const self = await call(`/v1/users/${loner.id}`, { headers: loner.auth });
    expect(self.status).toBe(200);
    expect(self.body.id).toBe(loner.id);
  });

  it('hides a user who shares no organisation: 404 identical to a missing user, by any reference', async () => {
    const a = await makeUser();
    const b = await makeUser();
    await makeOrg(a);
    await makeOrg(b);
    const missing = await missingUser(a);
    for (const ref of [b.id, b.username, b.email]) {
      const hidden = await call(`/v1/users/${encodeURIComponent(ref)}`, { headers: a.auth });
      expectProblem(hidden, 404, 'not-found');
      expect(sameProblem(hidden)).toEqual(missing);
    }
  });

  it('lists in the profile only the organisations the caller can see', async () => {
    const adminA = await makeUser();
    const adminB = await makeUser();
    const both = await makeUser();
    const orgA = await makeOrg(adminA, [both]);
    const orgB = await makeOrg(adminB, [both]);

    const seenByA = await call(`/v1/users/${both.id}`, { headers: adminA.auth });
    expect(seenByA.status).toBe(200);
    expect(seenByA.body.organizations.map((o: { id: string }) => o.id)).toEqual([orgA.id]);

    const seenByB = await call(`/v1/users/${both.id}`, { headers: adminB.auth });
    expect(seenByB.body.organizations.map((o: { id: string }) => o.id)).toEqual([orgB.id]);

    const seenBySelf = await call(`/v1/users/${both.id}`, { headers: both.auth });
    expect(seenBySelf.body.organizations.map((o: { id: string }) => o.id).sort()).toEqual([orgA.id, orgB.id].sort());

    const root = await makeUser({ superuser: true });
    const seenByRoot = await call(`/v1/users/${both.id}`, { headers: root.auth });
    expect(seenByRoot.body.organizations.map((o: { id: string }) => o.id).sort()).toEqual([orgA.id, orgB.id].sort());
  });

  it('answers 401 without a token and with a wrong one', async () => {
    const u = await makeUser();
    expectProblem(await call(`/v1/users/${u.id}`), 401, 'unauthenticated');
    expectProblem(await call(`/v1/users/${u.id}`, { headers: { Authorization: 'Bearer fbt_not-a-real-token-at-all-00000000000' } }), 401);
  });
});

describe('GET /v1/users', () => {
  /** An organisation of `size` fresh members (plus its admin), and a user outside it. */
  async function world(size = 3) {
    const admin = await makeUser();
    const members: Actor[] = [];
    for (let i = 0; i < size; i++) members.push(await makeUser());
    const org = await makeOrg(admin, members);
    const outsider = await makeUser();
    await makeOrg(outsider);
    return { admin, members, org, outsider };
  }

  const names = (a: Answer) => a.body.results.map((u: { username: string }) => u.username);

  it('lists only users who share an organisation with the caller, and the caller', async () => {
    const { admin, members, outsider } = await world();
    const a = await call('/v1/users?limit=200', { headers: admin.auth });
    expect(a.status, a.text).toBe(200);
    expect(names(a).sort()).toEqual([admin, ...members].map((u) => u.username).sort());
    expect(a.body.count).toBe(members.length + 1);
    expect(names(a)).not.toContain(outsider.username);

    const lonely = await makeUser();
    const b = await call('/v1/users', { headers: lonely.auth });
    expect(b.status).toBe(200);
    expect(names(b)).toEqual([lonely.username]);
    expect(b.body.count).toBe(1);
  });

  it('lists everyone for a superuser', async () => {
    const { admin, outsider } = await world(1);
    const root = await makeUser({ superuser: true });
    const a = await call('/v1/users?limit=200', { headers: root.auth });
    expect(a.status).toBe(200);
    expect(a.body.count).toBe(await count('users'));
    expect(names(a)).toEqual(expect.arrayContaining([admin.username, outsider.username, root.username]));
  });

  it('filters by organisation (slug or id)', async () => {
    const { admin, members, org } = await world(2);
    const other = await makeOrg(admin, [members[0]!]);
    const bySlug = await call(`/v1/users?organization=${other.slug}`, { headers: admin.auth });
    expect(bySlug.status, bySlug.text).toBe(200);
    expect(names(bySlug).sort()).toEqual([admin.username, members[0]!.username].sort());
    expect(bySlug.body.count).toBe(2);
    const byId = await call(`/v1/users?organization=${org.id}`, { headers: admin.auth });
    expect(byId.status, byId.text).toBe(200);
    expect(names(byId).sort()).toEqual([admin, ...members].map((u) => u.username).sort());
  });

  it('reveals nothing through the organisation filter about an organisation the caller cannot see', async () => {
    // `shared` is in the caller's org and in a hidden one: filtering by the hidden org must not show them.
    const caller = await makeUser();
    const shared = await makeUser();
    await makeOrg(caller, [shared]);
    const hiddenAdmin = await makeUser();
    const hidden = await makeOrg(hiddenAdmin, [shared]);
    for (const ref of [hidden.slug, hidden.id]) {
      const a = await call(`/v1/users?organization=${ref}`, { headers: caller.auth });
      expect(a.status, a.text).toBe(200);
      expect(a.body.results).toEqual([]);
      expect(a.body.count).toBe(0);
    }
    const missing = await call(`/v1/users?organization=${unique('no-such-org-')}`, { headers: caller.auth });
    expect(missing.status).toBe(200);
    expect(missing.body.count).toBe(0);
  });

  it('searches username, email and name, case-insensitively', async () => {
    const admin = await makeUser();
    const tag = unique('srch');
    const root = await makeUser({ superuser: true });
    const org = await makeOrg(admin);
    const mk = async (json: Record<string, unknown>) => {
      const a = await call('/v1/users', { headers: root.auth, json: { ...json, organization: org.slug } });
      expect(a.status, a.text).toBe(201);
      return a.body.username as string;
    };
    const byUsername = await mk({ username: `${tag}-a`, email: `${unique('plain')}@example.test` });
    const byEmail = await mk({ username: unique('plain'), email: `${tag}.b@example.test` });
    const byName = await mk({ username: unique('plain'), email: `${unique('plain')}@example.test`, name: `Dr ${tag.toUpperCase()} C` });
    await mk({ username: unique('plain'), email: `${unique('plain')}@example.test`, name: 'Nobody Special' });

    const a = await call(`/v1/users?search=${tag.toUpperCase()}`, { headers: admin.auth });
    expect(a.status, a.text).toBe(200);
    expect(names(a).sort()).toEqual([byUsername, byEmail, byName].sort());
    expect(a.body.count).toBe(3);

    // Search never reaches past what the caller may see.
    const outsider = await makeUser();
    const b = await call(`/v1/users?search=${tag}`, { headers: outsider.auth });
    expect(b.body.count).toBe(0);
    expect(b.body.results).toEqual([]);
  });

  it('orders by username, -username and date_joined', async () => {
    const { admin, members } = await world(3);
    const all = [admin, ...members].map((u) => u.username);
    const asc = await call('/v1/users?ordering=username', { headers: admin.auth });
    expect(asc.status).toBe(200);
    expect(names(asc)).toEqual([...all].sort());
    const dflt = await call('/v1/users', { headers: admin.auth });
    expect(names(dflt)).toEqual([...all].sort());
    const desc = await call('/v1/users?ordering=-username', { headers: admin.auth });
    expect(names(desc)).toEqual([...all].sort().reverse());

    const joined = await call('/v1/users?ordering=date_joined', { headers: admin.auth });
    expect(joined.status).toBe(200);
    const rows = joined.body.results as { id: string; date_joined: string }[];
    const sorted = [...rows].sort((x, y) => x.date_joined.localeCompare(y.date_joined) || x.id.localeCompare(y.id));
    expect(rows.map((r) => r.id)).toEqual(sorted.map((r) => r.id));
    const joinedDesc = await call('/v1/users?ordering=-date_joined', { headers: admin.auth });
    expect(joinedDesc.body.results.map((r: { id: string }) => r.id)).toEqual(sorted.map((r) => r.id).reverse());
  });

  it('filters by is_active', async () => {
    const root = await makeUser({ superuser: true });
    const admin = await makeUser();
    const active = await makeUser();
    const inactive = await makeUser({ active: false });
    const org = await makeOrg(admin, [active]);
    const added = await call(`/v1/organizations/${org.slug}/members`, { headers: root.auth, json: { user: inactive.id, role: 'member' } });
    expect(added.status, added.text).toBe(201);

    const off = await call('/v1/users?is_active=false', { headers: admin.auth });
    expect(off.status, off.text).toBe(200);
    expect(names(off)).toEqual([inactive.username]);
    expect(off.body.results[0].is_active).toBe(false);
    const on = await call('/v1/users?is_active=true', { headers: admin.auth });
    expect(names(on).sort()).toEqual([admin.username, active.username].sort());
    const both = await call('/v1/users', { headers: admin.auth });
    expect(both.body.count).toBe(3);
    expectProblem(await call('/v1/users?is_active=maybe', { headers: admin.auth }), 400, 'invalid-request');
  });

  it('pages with limit, next/previous and a Link header, without repeats or gaps', async () => {
    const { admin, members } = await world(4);
    const all = [admin, ...members].map((u) => u.username).sort();
    const seen: string[] = [];
    let url: string | null = '/v1/users?limit=2';
    let first: Answer | undefined;
    let pages = 0;
    while (url) {
      const a: Answer = await call(url, { headers: admin.auth });
      expect(a.status, a.text).toBe(200);
      expect(a.body.count).toBe(all.length);
      const link = a.headers.get('Link')!;
      expect(link).toContain('rel="first"');
      expect(link).toContain('rel="last"');
      if (a.body.next) expect(link).toContain(`<${a.body.next}>; rel="next"`);
      else expect(link).not.toContain('rel="next"');
      first ??= a;
      seen.push(...names(a));
      url = a.body.next;
      pages += 1;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    expect(first!.body.previous).toBeNull();
    expect(first!.headers.get('Link')).not.toContain('rel="prev"');

    const second = await call(first!.body.next, { headers: admin.auth });
    expect(second.body.previous).toBeTruthy();
    const back = await call(second.body.previous, { headers: admin.auth });
    expect(names(back)).toEqual(all.slice(0, 2));

    const byOffset = await call('/v1/users?limit=2&offset=2', { headers: admin.auth });
    expect(names(byOffset)).toEqual(all.slice(2, 4));
    const byPage = await call('/v1/users?page=3&page_size=2', { headers: admin.auth });
    expect(names(byPage)).toEqual(all.slice(4, 6));
  });

  it.each([
    ['ordering', 'ordering=password_hash'],
    ['ordering', 'ordering=-email'],
    ['limit', 'limit=0'],
    ['limit', 'limit=201'],
    ['cursor', 'cursor=garbage'],
  ])('answers 400 naming %s for %s', async (field, query) => {
    const u = await makeUser();
    const a = await call(`/v1/users?${query}`, { headers: u.auth });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toContain(field);
  });

  it('answers 401 without a token', async () => {
    expectProblem(await call('/v1/users'), 401, 'unauthenticated');
  });
});

describe('PATCH /v1/users/{user}', () => {
  it('lets a superuser rename and change email and name, with a new ETag', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const before = await call(`/v1/users/${target.id}`, { headers: root.auth });
    const renamed = unique('renamed');
    const a = await call(`/v1/users/${target.username}`, {
      method: 'PATCH',
      headers: { ...root.auth, 'If-Match': before.headers.get('ETag')! },
      json: { username: renamed, email: `${renamed}@example.test`, name: 'New Name' },
    });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ id: target.id, username: renamed, email: `${renamed}@example.test`, name: 'New Name' });
    expect(a.headers.get('ETag')).toBeTruthy();
    expect(a.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    expect(await count('users', 'id = ? AND username = ?', target.id, renamed)).toBe(1);
    expectProblem(await call(`/v1/users/${target.username}`, { headers: root.auth }), 404);
    // The account signs in with its new login.
    expect((await signIn(renamed, PASSWORD)).status).toBe(200);
  });

  it('deactivates an account (its token then gets 401 and sign-in fails) and reactivates it', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    expect((await call('/v1/me', { headers: target.auth })).status).toBe(200);

    const off = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { is_active: false } });
    expect(off.status, off.text).toBe(200);
    expect(off.body.is_active).toBe(false);
    expectProblem(await call('/v1/me', { headers: target.auth }), 401, 'unauthenticated');
    expectProblem(await call('/v1/me', { headers: target.pair }), 401, 'unauthenticated');
    expectProblem(await signIn(target.username, PASSWORD), 401, 'invalid-credentials');

    const on = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { is_active: true } });
    expect(on.status, on.text).toBe(200);
    expect(on.body.is_active).toBe(true);
    // Deactivation revoked the old token for good; the account signs in afresh.
    expectProblem(await call('/v1/me', { headers: target.auth }), 401, 'unauthenticated');
    expect(await count('tokens', 'user_id = ? AND revoked_at IS NULL', target.id)).toBe(0);
    const again = await signIn(target.username, PASSWORD);
    expect(again.status).toBe(200);
    expect((await call('/v1/me', { headers: { Authorization: `Bearer ${again.body.token}` } })).status).toBe(200);
  });

  it('sets a password the account then signs in with', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const a = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { password: NEW_PASSWORD } });
    expect(a.status, a.text).toBe(200);
    expectProblem(await signIn(target.username, PASSWORD), 401, 'invalid-credentials');
    expect((await signIn(target.username, NEW_PASSWORD)).status).toBe(200);
  });

  it("ends every session and personal token of the account when a superuser sets its password; the superuser's own stay", async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const session = await signIn(target.username, PASSWORD);
    expect(session.status, session.text).toBe(200);
    const personal = await call('/v1/me/tokens', { headers: target.auth, json: { name: 'ci' } });
    expect(personal.status, personal.text).toBe(201);
    const rootOther = await mintToken(root.id);

    const a = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { password: NEW_PASSWORD } });
    expect(a.status, a.text).toBe(200);
    for (const token of [target.token, session.body.token, personal.body.token]) {
      expectProblem(await call('/v1/me', { headers: { Authorization: `Bearer ${token}` } }), 401, 'unauthenticated');
    }
    expect(await count('tokens', 'user_id = ? AND revoked_at IS NULL', target.id)).toBe(0);
    expect((await call('/v1/me', { headers: root.auth })).status).toBe(200);
    expect((await call('/v1/me', { headers: { Authorization: `Bearer ${rootOther}` } })).status).toBe(200);
    const fresh = await signIn(target.username, NEW_PASSWORD);
    expect(fresh.status, fresh.text).toBe(200);
    expect((await call('/v1/me', { headers: { Authorization: `Bearer ${fresh.body.token}` } })).status).toBe(200);
  });

  it('keeps the presenting token and ends the others when a superuser sets their own password here', async () => {
    const root = await makeUser({ superuser: true });
    const other = await mintToken(root.id);
    const a = await call(`/v1/users/${root.id}`, { method: 'PATCH', headers: root.auth, json: { password: NEW_PASSWORD } });
    expect(a.status, a.text).toBe(200);
    expect((await call('/v1/me', { headers: root.auth })).status).toBe(200);
    expectProblem(await call('/v1/me', { headers: { Authorization: `Bearer ${other}` } }), 401, 'unauthenticated');
  });

  it('ends no session when the change does not touch the password', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const a = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { name: 'Only the name' } });
    expect(a.status, a.text).toBe(200);
    expect((await call('/v1/me', { headers: target.auth })).status).toBe(200);
  });

  it('unlocks a locked account when a superuser sets its password', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    for (let i = 0; i < 4; i++) expectProblem(await signIn(target.username, `wrong guess ${i}`), 401, 'invalid-credentials');
    expectProblem(await signIn(target.username, PASSWORD), 429, 'account-locked');
    const a = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { password: NEW_PASSWORD } });
    expect(a.status, a.text).toBe(200);
    expect((await signIn(target.username, NEW_PASSWORD)).status).toBe(200);
  });

  it('forbids a non-superuser who can see the user (403), even an org admin, and changes nothing', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    await makeOrg(admin, [member]);
    for (const caller of [admin, member]) {
      const target = caller === admin ? member : admin;
      const a = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: caller.auth, json: { name: 'Hijacked' } });
      expectProblem(a, 403, 'forbidden');
    }
    expect(await count('users', "name = 'Hijacked'")).toBe(0);
    // Not even on themself: /v1/me is the way.
    const self = await call(`/v1/users/${member.id}`, { method: 'PATCH', headers: member.auth, json: { is_superuser: true } });
    expectProblem(self, 403, 'forbidden');
    expect(await count('users', 'id = ? AND is_superuser = 1', member.id)).toBe(0);
  });

  it('hides a user the caller cannot see: 404 identical to a missing user', async () => {
    const a = await makeUser();
    const b = await makeUser();
    const hidden = await call(`/v1/users/${b.id}`, { method: 'PATCH', headers: a.auth, json: { name: 'x' } });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missingUser(a, 'PATCH', { name: 'x' }));
    expect(await count('users', "id = ? AND name = 'x'", b.id)).toBe(0);
  });

  it('answers 412 to a stale If-Match and changes nothing', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const before = await call(`/v1/users/${target.id}`, { headers: root.auth });
    const etag = before.headers.get('ETag')!;
    const first = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: { ...root.auth, 'If-Match': etag }, json: { name: 'First' } });
    expect(first.status, first.text).toBe(200);
    const stale = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: { ...root.auth, 'If-Match': etag }, json: { name: 'Second' } });
    expectProblem(stale, 412, 'precondition-failed');
    expect(await count('users', "id = ? AND name = 'First'", target.id)).toBe(1);
    const current = await call(`/v1/users/${target.id}`, {
      method: 'PATCH',
      headers: { ...root.auth, 'If-Match': first.headers.get('ETag')! },
      json: { name: 'Third' },
    });
    expect(current.status, current.text).toBe(200);
  });

  it('refuses a superuser deactivating or demoting themself (409)', async () => {
    const root = await makeUser({ superuser: true });
    expectProblem(await call(`/v1/users/${root.id}`, { method: 'PATCH', headers: root.auth, json: { is_active: false } }), 409, 'conflict');
    expectProblem(await call(`/v1/users/${root.id}`, { method: 'PATCH', headers: root.auth, json: { is_superuser: false } }), 409, 'conflict');
    expect(await count('users', 'id = ? AND is_active = 1 AND is_superuser = 1', root.id)).toBe(1);
    expect((await call('/v1/me', { headers: root.auth })).status).toBe(200);
  });

  it('answers 409 naming the field for a taken email or username', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const other = await makeUser();
    const email = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { email: other.email } });
    expectProblem(email, 409, 'conflict');
    expect(paths(email)).toEqual(['email']);
    const username = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { username: other.username } });
    expectProblem(username, 409, 'conflict');
    expect(paths(username)).toEqual(['username']);
    expect(await count('users', 'id = ? AND email = ?', target.id, target.email)).toBe(1);
  });

  it.each([
    ['email', { email: 'nope' }],
    ['username', { username: 'usr_abc' }],
    ['password', { password: 'short' }],
    ['is_active', { is_active: 'no' }],
    ['date_joined', { date_joined: '2020-01-01T00:00:00Z' }],
  ])('answers 400 naming %s for %j', async (field, json) => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const a = await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json });
    expectProblem(a, 400, 'invalid-request');
    expect(paths(a)).toContain(field);
  });

  it('answers 401 without a token', async () => {
    const target = await makeUser();
    expectProblem(await call(`/v1/users/${target.id}`, { method: 'PATCH', json: { name: 'x' } }), 401, 'unauthenticated');
  });
});

describe('DELETE /v1/users/{user}', () => {
  it('lets a superuser delete an account with its memberships and tokens; the change log has each membership’s deletion', async () => {
    const root = await makeUser({ superuser: true });
    const admin = await makeUser();
    const target = await makeUser();
    const org = await makeOrg(admin, [target]);
    expect(await count('memberships', 'user_id = ?', target.id)).toBe(1);
    expect(await count('tokens', 'user_id = ?', target.id)).toBe(1);

    const a = await call(`/v1/users/${target.username}`, { method: 'DELETE', headers: root.auth });
    expect(a.status, a.text).toBe(204);
    expect(a.text).toBe('');

    expectProblem(await call(`/v1/users/${target.id}`, { headers: root.auth }), 404, 'not-found');
    expectProblem(await call(`/v1/users/${target.id}`, { method: 'DELETE', headers: root.auth }), 404, 'not-found');
    expect(await count('users', 'id = ?', target.id)).toBe(0);
    expect(await count('memberships', 'user_id = ?', target.id)).toBe(0);
    expect(await count('tokens', 'user_id = ?', target.id)).toBe(0);
    expect(await count('changes', "entity_type = 'member' AND entity_id = ? AND op = 'delete'", target.id)).toBe(1);
    expectProblem(await call('/v1/me', { headers: target.auth }), 401);
    // The organisation and its other members are untouched.
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(1);
  });

  it('honours If-Match (412 when stale)', async () => {
    const root = await makeUser({ superuser: true });
    const target = await makeUser();
    const got = await call(`/v1/users/${target.id}`, { headers: root.auth });
    await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { name: 'Changed' } });
    const stale = await call(`/v1/users/${target.id}`, { method: 'DELETE', headers: { ...root.auth, 'If-Match': got.headers.get('ETag')! } });
    expectProblem(stale, 412, 'precondition-failed');
    expect(await count('users', 'id = ?', target.id)).toBe(1);
  });

  it('forbids a non-superuser who can see the user (403): a fellow member, or an admin of only some of their organisations', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    const peer = await makeUser();
    await makeOrg(admin, [member, peer]);
    expectProblem(await call(`/v1/users/${member.id}`, { method: 'DELETE', headers: peer.auth }), 403, 'forbidden');
    const elsewhere = await makeUser();
    await makeOrg(elsewhere, [member]);
    expectProblem(await call(`/v1/users/${member.id}`, { method: 'DELETE', headers: admin.auth }), 403, 'forbidden');
    expect(await count('users', 'id = ?', member.id)).toBe(1);
  });

  it('refuses the admin of an organisation the account was only added to (403): adding someone does not make their account yours', async () => {
    const root = await makeUser({ superuser: true });
    const attacker = await makeUser();
    // Accounts in no organisation: one a superuser made, one written straight into D1.
    const loner = await makeUser();
    const made = unique('made');
    const byRoot = await call('/v1/users', { headers: root.auth, json: { username: made, email: `${made}@example.test`, password: NEW_PASSWORD } });
    expect(byRoot.status, byRoot.text).toBe(201);
    const org = await makeOrg(attacker);
    for (const [victim, role] of [[loner.id, 'member'], [byRoot.body.id, 'admin']] as const) {
      const added = await call(`/v1/organizations/${org.slug}/members`, { headers: attacker.auth, json: { user: victim, role } });
      expect(added.status, added.text).toBe(201);
      const a = await call(`/v1/users/${victim}`, { method: 'DELETE', headers: attacker.auth });
      expectProblem(a, 403, 'forbidden');
      expect(await count('users', 'id = ?', victim)).toBe(1);
      expect(await count('memberships', 'user_id = ? AND organization_id = ?', victim, org.id)).toBe(1);
    }
    expect((await call('/v1/me', { headers: loner.auth })).status).toBe(200);
    expect((await signIn(made, NEW_PASSWORD)).status).toBe(200);
  });

  it('lets an admin of the organisation that created the account delete it, through every route that creates one', async () => {
    const admin = await makeUser();
    const coAdmin = await makeUser();
    const org = await makeOrg(admin);
    expect((await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: coAdmin.id, role: 'admin' } })).status).toBe(201);
    const project = await call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, json: { name: unique('Project ') } });
    expect(project.status, project.text).toBe(201);
    const create = {
      users: (username: string) => call('/v1/users', { headers: admin.auth, json: { username, email: `${username}@example.test`, organization: org.slug } }),
      organization: (username: string) => call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } }),
      project: (username: string) => call(`/v1/projects/${project.body.id}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } }),
    };
    for (const [route, make] of Object.entries(create)) {
      const made = await make(unique('created'));
      expect(made.status, `${route}: ${made.text}`).toBe(201);
      const id: string = made.body.id ?? made.body.user.id;
      // Any admin of that organisation, not only the one who made it.
      const a = await call(`/v1/users/${id}`, { method: 'DELETE', headers: coAdmin.auth });
      expect(a.status, `${route}: ${a.text}`).toBe(204);
      expect(await count('users', 'id = ?', id)).toBe(0);
      expect(await count('changes', "entity_type = 'member' AND entity_id = ? AND op = 'delete'", id)).toBe(1);
    }
  });

  it('refuses the creating organisation once the account also belongs to another (403); a superuser still may delete it', async () => {
    const admin = await makeUser();
    const otherAdmin = await makeUser();
    const root = await makeUser({ superuser: true });
    const org = await makeOrg(admin);
    const other = await makeOrg(otherAdmin);
    const username = unique('shared');
    const made = await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } });
    expect(made.status, made.text).toBe(201);
    const id: string = made.body.user.id;
    expect((await call(`/v1/organizations/${other.slug}/members`, { headers: otherAdmin.auth, json: { user: id } })).status).toBe(201);
    expectProblem(await call(`/v1/users/${id}`, { method: 'DELETE', headers: admin.auth }), 403, 'forbidden');
    expectProblem(await call(`/v1/users/${id}`, { method: 'DELETE', headers: otherAdmin.auth }), 403, 'forbidden');
    expect(await count('users', 'id = ?', id)).toBe(1);
    // Leaving the other organisation makes it the creating organisation's alone again.
    expect((await call(`/v1/organizations/${other.slug}/members/${id}`, { method: 'DELETE', headers: otherAdmin.auth })).status).toBe(204);
    expect((await call(`/v1/users/${id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);

    const second = unique('shared');
    const again = await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username: second, email: `${second}@example.test` } });
    expect((await call(`/v1/organizations/${other.slug}/members`, { headers: otherAdmin.auth, json: { user: again.body.user.id } })).status).toBe(201);
    expect((await call(`/v1/users/${again.body.user.id}`, { method: 'DELETE', headers: root.auth })).status).toBe(204);
  });

  it('refuses an org admin a superuser account, even one their organisation created (403)', async () => {
    const admin = await makeUser();
    const root = await makeUser({ superuser: true });
    const org = await makeOrg(admin);
    const username = unique('root');
    const made = await call('/v1/users', { headers: root.auth, json: { username, email: `${username}@example.test`, organization: org.slug, is_superuser: true } });
    expect(made.status, made.text).toBe(201);
    expectProblem(await call(`/v1/users/${made.body.id}`, { method: 'DELETE', headers: admin.auth }), 403, 'forbidden');
    expect(await count('users', 'id = ?', made.body.id)).toBe(1);
  });

  it('deletes nothing when the account joins another organisation between the check and the delete (403)', async () => {
    const admin = await makeUser();
    const otherAdmin = await makeUser();
    const org = await makeOrg(admin);
    const other = await makeOrg(otherAdmin);
    const username = unique('racing');
    const made = await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } });
    const id: string = made.body.user.id;
    const scope = await racingScope(admin, () =>
      env.DB.prepare("INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)").bind(other.id, id, Date.now()).run(),
    );
    const refused = await problemOf(deleteUser(scope, id, undefined));
    expect(refused.status).toBe(403);
    expect(await count('users', 'id = ?', id)).toBe(1);
    expect(await count('changes', "entity_type = 'member' AND entity_id = ? AND op = 'delete'", id)).toBe(0);
  });

  it('hides a user the caller cannot see: 404 identical to a missing user', async () => {
    const a = await makeUser();
    const b = await makeUser();
    const hidden = await call(`/v1/users/${b.id}`, { method: 'DELETE', headers: a.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missingUser(a, 'DELETE'));
    expect(await count('users', 'id = ?', b.id)).toBe(1);
  });

  it('refuses self-deletion (409), even for a superuser', async () => {
    const root = await makeUser({ superuser: true });
    expectProblem(await call(`/v1/users/${root.id}`, { method: 'DELETE', headers: root.auth }), 409, 'conflict');
    expect(await count('users', 'id = ?', root.id)).toBe(1);
    // A non-superuser deleting themself is forbidden first.
    const plain = await makeUser();
    expectProblem(await call(`/v1/users/${plain.id}`, { method: 'DELETE', headers: plain.auth }), 403, 'forbidden');
  });

  it('answers 401 without a token', async () => {
    const target = await makeUser();
    expectProblem(await call(`/v1/users/${target.id}`, { method: 'DELETE' }), 401, 'unauthenticated');
    expect(await count('users', 'id = ?', target.id)).toBe(1);
  });
});
