/**
 * The Cadasta dialect's projects and project users (seed 002): organisations and projects by
 * slug, the seed's objects, its 400/401/403/404 bodies (hidden answered as missing), search and
 * ordering, pagination walking a list once, multipart with a logo, one D1 round trip per read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CADASTA } from '../../src/compat/cadasta/dialect';
import { call, roundTrips, type Answer } from '../support/api';
import { expectJsonError as expectError } from '../support/answers';
import { makeOrg, makeUser, unique, type Actor } from '../support/actors';
import { PNG } from '../support/world';

const C = '/compat/cadasta';
const ORIGIN = 'http://fieldbase.test';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const PROJECT_KEYS = ['id', 'slug', 'name', 'organization', 'country', 'description', 'logo', 'archived', 'urls', 'contacts'];
const HCARD = { type: ['h-card'], properties: { name: ['John Doe'], email: ['mailto:d.john@example.com'] } };

/** Walks a list by its Link rel="next"; every page answered once, in one round trip. */
async function walk(url: string, who: Actor): Promise<{ results: any[]; pages: number }> {
  const results: any[] = [];
  let next: string | null = url;
  let pages = 0;
  while (next) {
    const page: Answer = await call(next, { headers: token(who) });
    expect(page.status, page.text).toBe(200);
    expect(roundTrips(page)).toBe(1);
    expect(Array.isArray(page.body)).toBe(true);
    results.push(...page.body);
    next = /<([^>]+)>; rel="next"/.exec(page.headers.get('Link') ?? '')?.[1] ?? null;
    if (next) expect(next.startsWith(`${ORIGIN}${C}/`)).toBe(true);
    pages += 1;
  }
  return { results, pages };
}

describe('Cadasta projects', () => {
  let admin: Actor; // admin of the organisation
  let viewer: Actor; // a viewer of the private project
  let member: Actor; // a member of the organisation, not in the private project
  let outsider: Actor; // admin of another organisation
  let org: { id: string; slug: string; name: string };
  let other: { slug: string };
  let slug: string; // the private project's

  beforeAll(async () => {
    [admin, viewer, member, outsider] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser()]);
    org = await makeOrg(admin, [viewer, member]);
    other = await makeOrg(outsider);
    const created = await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), json: { name: 'Region 3 Vineyards', country: 'Uganda', access: 'private' } });
    expect(created.status, created.text).toBe(201);
    slug = created.body.slug;
    expect((await call(`${C}/organizations/${org.slug}/projects/${slug}/users/`, { headers: token(admin), json: { username: viewer.username } })).status).toBe(201);
  });

  it('POST …/projects/ takes the seed’s multipart form (repeated url, contacts as JSON text, a logo, organization by name) and answers its object with users', async () => {
    const fd = new FormData();
    fd.append('name', 'Mapping land rights in Philippines');
    fd.append('description', 'Recording property rights in the Philippines');
    fd.append('organization', org.name);
    fd.append('country', 'Philippines');
    fd.append('url', 'http://www.habitat.org/');
    fd.append('url', 'https://example.com/');
    fd.append('logo', new Blob([PNG], { type: 'image/png' }), 'logo.png');
    fd.append('contacts', JSON.stringify([HCARD]));
    const a = await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), body: fd });
    expect(a.status, a.text).toBe(201);
    expect(Object.keys(a.body)).toEqual([...PROJECT_KEYS, 'users']);
    expect(a.body).toMatchObject({
      name: 'Mapping land rights in Philippines',
      slug: 'mapping-land-rights-in-philippines',
      organization: org.name,
      country: 'Philippines',
      archived: false,
      urls: ['http://www.habitat.org/', 'https://example.com/'],
      contacts: [HCARD],
      logo: { mime_type: 'image/png', url: expect.stringMatching(new RegExp(`^${ORIGIN}/v1/projects/prj_\\w+/logo$`)) },
      users: [{ username: admin.username, first_name: 'Name', last_name: `of ${admin.username}`, email: admin.email, email_verified: false }],
    });
    // The logo's URL downloads it with the same token.
    const logo = await call(a.body.logo.url, { headers: token(admin) });
    expect(logo.status).toBe(200);
    // The same project in /v1.
    expect((await call(`/v1/projects/${a.body.id}`, { headers: admin.auth })).body).toMatchObject({ slug: a.body.slug, organization: { slug: org.slug } });
  });

  it('POST …/projects/ takes JSON; `organization` naming the path’s by slug is ignored, naming another answers 400 and creates nothing', async () => {
    const a = await call(`${C}/organizations/${org.slug}/projects`, { headers: token(member), json: { name: unique('Json '), organization: org.slug } });
    expect(a.status, a.text).toBe(201);
    expect(a.body.logo).toBeNull();
    const before = (await call(`${C}/organizations/${org.slug}/projects/?page_size=500`, { headers: token(admin) })).body.length;
    expectError(await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), json: { name: 'Elsewhere', organization: other.slug } }), 400, {
      organization: 'Names another organization than the one the project is created in.',
    });
    expect((await call(`${C}/organizations/${org.slug}/projects/?page_size=500`, { headers: token(admin) })).body.length).toBe(before);
  });

  it('POST …/projects/ answers the seed’s 400 (one message per field), 401 and 404 for an organisation hidden or missing', async () => {
    expectError(await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), json: {} }), 400, { name: CADASTA.required });
    const fd = new FormData();
    fd.append('description', 'no name');
    expectError(await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), body: fd }), 400, { name: CADASTA.required });
    const bad = await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), json: { name: 'x', urls: ['ftp://x'], colour: 'red' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual(['colour', 'urls.0']);
    expect(Object.values(bad.body).every((v) => typeof v === 'string')).toBe(true);
    const anonymous = await call(`${C}/organizations/${org.slug}/projects/`, { json: { name: 'x' } });
    expectError(anonymous, 401, { error: 'Please sign in.' });
    expect(anonymous.headers.get('WWW-Authenticate')).toBe('Token');
    expectError(await call(`${C}/organizations/${org.slug}/projects/`, { headers: { Authorization: 'Token nope' }, json: { name: 'x' } }), 401, { error: 'Please sign in.' });
    for (const s of [org.slug, 'no-such-org']) {
      expectError(await call(`${C}/organizations/${s}/projects/`, { headers: token(outsider), json: { name: 'x' } }), 404, { error: 'Organization does not exist' });
    }
  });

  it('GET …/projects/{slug}/ answers one object (not an array) in one round trip; hidden = missing: "Project does not exist"', async () => {
    for (const path of [`${C}/organizations/${org.slug}/projects/${slug}/`, `${C}/organizations/${org.slug}/projects/${slug}`]) {
      const a = await call(path, { headers: token(viewer) });
      expect(a.status, a.text).toBe(200);
      expect(roundTrips(a)).toBe(1);
      expect(Object.keys(a.body)).toEqual(PROJECT_KEYS);
      expect(a.body).toMatchObject({ slug, name: 'Region 3 Vineyards', organization: org.name, country: 'Uganda', logo: null, urls: [], contacts: [] });
    }
    const gone = { error: 'Project does not exist' };
    for (const [who, o, p] of [[member, org.slug, slug], [outsider, org.slug, slug], [admin, org.slug, 'no-such'], [admin, other.slug, slug], [admin, 'no-such-org', slug]] as const) {
      expectError(await call(`${C}/organizations/${o}/projects/${p}/`, { headers: token(who) }), 404, gone);
    }
    expectError(await call(`${C}/organizations/${org.slug}/projects/${slug}/`), 401, { error: 'Please sign in.' });
  });

  it('GET …/projects/ answers an array of what the caller may see, with search, ordering (400 for another field) and pages walked once by Link', async () => {
    for (const name of ['Alpha walk', 'Beta walk', 'Gamma walk']) {
      expect((await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), json: { name: `${name} ${unique('')}`, description: 'Kasese district' } })).status).toBe(201);
    }
    const all = await call(`${C}/organizations/${org.slug}/projects/?page_size=500`, { headers: token(admin) });
    expect(all.status, all.text).toBe(200);
    expect(roundTrips(all)).toBe(1);
    expect(all.body.map((p: any) => p.slug)).toContain(slug);
    expect(Object.keys(all.body[0])).toEqual(PROJECT_KEYS);
    // The member sees the organisation's open projects, not the private one.
    const seen = (await call(`${C}/organizations/${org.slug}/projects/?page_size=500`, { headers: token(member) })).body.map((p: any) => p.slug);
    expect(seen).not.toContain(slug);
    expect(seen.length).toBe(all.body.length - 1);
    const { results, pages } = await walk(`${C}/organizations/${org.slug}/projects/?page_size=2`, admin);
    expect(results).toEqual(all.body);
    expect(pages).toBe(Math.ceil(all.body.length / 2));
    const last = await call(`${C}/organizations/${org.slug}/projects/?page_size=2`, { headers: token(admin) });
    expect(last.headers.get('Link')).toContain('rel="last"');
    expect(last.headers.get('Link')).toContain(`page=${pages}`);
    // Search: name, description, organisation.
    const walks = await call(`${C}/organizations/${org.slug}/projects/?search=walk`, { headers: token(admin) });
    expect(walks.body.map((p: any) => p.name.split(' ')[0])).toEqual(['Alpha', 'Beta', 'Gamma']);
    expect((await call(`${C}/organizations/${org.slug}/projects/?search=kasese`, { headers: token(admin) })).body.length).toBe(3);
    const desc = await call(`${C}/organizations/${org.slug}/projects/?search=walk&ordering=-name`, { headers: token(admin) });
    expect(desc.body.map((p: any) => p.name.split(' ')[0])).toEqual(['Gamma', 'Beta', 'Alpha']);
    expect(Object.keys((await call(`${C}/organizations/${org.slug}/projects/?ordering=country`, { headers: token(admin) })).body)).toEqual(['ordering']);
    expect((await call(`${C}/organizations/${org.slug}/projects/?ordering=country`, { headers: token(admin) })).status).toBe(400);
    expectError(await call(`${C}/organizations/${org.slug}/projects/?page_size=501`, { headers: token(admin) }), 400, { page_size: expect.any(String) });
    expectError(await call(`${C}/organizations/${org.slug}/projects/?colour=red`, { headers: token(admin) }), 400, { colour: expect.any(String) });
    for (const o of [org.slug, 'no-such-org']) expectError(await call(`${C}/organizations/${o}/projects/`, { headers: token(outsider) }), 404, { error: 'Organization does not exist' });
  });
});

describe('Cadasta project users', () => {
  let admin: Actor;
  let manager: Actor;
  let viewer: Actor;
  let member: Actor;
  let outsider: Actor;
  let org: { slug: string };
  let users: string;

  beforeAll(async () => {
    [admin, manager, viewer, member, outsider] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser(), makeUser()]);
    org = await makeOrg(admin, [manager, viewer, member]);
    await makeOrg(outsider);
    const created = await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(manager), json: { name: unique('Users '), access: 'private' } });
    expect(created.status, created.text).toBe(201);
    users = `${C}/organizations/${org.slug}/projects/${created.body.slug}/users/`;
  });

  it('POST {"username"} adds a member of the organisation (201 with the user); GET lists them by username in one round trip', async () => {
    const added = await call(users, { headers: token(manager), json: { username: viewer.username } });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toEqual({ username: viewer.username, first_name: 'Name', last_name: `of ${viewer.username}`, email: viewer.email, email_verified: false });
    const list = await call(users, { headers: token(viewer) });
    expect(list.status, list.text).toBe(200);
    expect(roundTrips(list)).toBe(1);
    expect(list.body.map((u: any) => u.username)).toEqual([manager.username, viewer.username].sort());
    const { results, pages } = await walk(`${users}?page_size=1`, viewer);
    expect(results).toEqual(list.body);
    expect(pages).toBe(2);
  });

  it('answers the seed’s 403 texts to a viewer, 404 "Project does not exist" to those who may not see it, 401 without a token, 400 naming username', async () => {
    expectError(await call(users, { headers: token(viewer), json: { username: member.username } }), 403, { error: 'You are not allowed to add users to the project.' });
    expectError(await call(`${users}${manager.username}/`, { method: 'DELETE', headers: token(viewer) }), 403, { error: 'You are not allowed to remove users from the project.' });
    for (const who of [member, outsider]) {
      expectError(await call(users, { headers: token(who) }), 404, { error: 'Project does not exist' });
      expectError(await call(users, { headers: token(who), json: { username: member.username } }), 404, { error: 'Project does not exist' });
      expectError(await call(`${users}${viewer.username}/`, { method: 'DELETE', headers: token(who) }), 404, { error: 'Project does not exist' });
    }
    expectError(await call(users), 401, { error: 'Please sign in.' });
    expectError(await call(users, { headers: token(manager), json: {} }), 400, { username: CADASTA.required });
  });

  it('DELETE …/users/{username}/ removes a user (204); they no longer see the project', async () => {
    expect((await call(users, { headers: token(admin), json: { username: member.username } })).status).toBe(201);
    const removed = await call(`${users}${member.username}/`, { method: 'DELETE', headers: token(manager) });
    expect(removed.status, removed.text).toBe(204);
    expectError(await call(users, { headers: token(member) }), 404, { error: 'Project does not exist' });
  });
});
