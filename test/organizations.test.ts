/**
 * Organisations: create (JSON and multipart with a logo), read, list, update, archive, delete,
 * and the logo. Members live in members.test.ts.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { download, eventually, links, r2Keys, sha256Hex } from './support/files';

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
// A second, different image (GIF header is enough for the sniffer; declared as such).
const GIF = new Uint8Array([...new TextEncoder().encode('GIF89a'), 1, 0, 1, 0, 0, 0, 0, 0x3b]);

/** The 404 a caller gets for an organisation that does not exist at all (at `suffix` below it). */
async function missing(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/organizations/${unique('no-such-')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function logoKey(orgId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT r2_key FROM blobs WHERE organization_id = ?').bind(orgId).first<{ r2_key: string }>();
  if (!row) throw new Error('no blob row');
  return row.r2_key;
}

function form(fields: Record<string, string>, logo?: { bytes: Uint8Array; type: string; name?: string }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (logo) fd.append('logo', new Blob([logo.bytes], { type: logo.type }), logo.name ?? 'logo.png');
  return fd;
}

async function setup(members = 0) {
  const admin = await makeUser();
  const others = await Promise.all(Array.from({ length: members }, () => makeUser()));
  const org = await makeOrg(admin, others);
  const outsider = await makeUser();
  await makeOrg(outsider); // an outsider is a member of some other organisation
  return { admin, member: others[0]!, org, outsider };
}

describe('401 on every organisation route', () => {
  const routes: [string, string][] = [
    ['GET', '/v1/organizations'],
    ['POST', '/v1/organizations'],
    ['GET', '/v1/organizations/acme'],
    ['PATCH', '/v1/organizations/acme'],
    ['PUT', '/v1/organizations/acme'],
    ['DELETE', '/v1/organizations/acme'],
    ['GET', '/v1/organizations/acme/logo'],
    ['PUT', '/v1/organizations/acme/logo'],
    ['DELETE', '/v1/organizations/acme/logo'],
    ['GET', '/v1/organizations/acme/members'],
    ['POST', '/v1/organizations/acme/members'],
    ['POST', '/v1/organizations/acme/users'],
    ['PATCH', '/v1/organizations/acme/members/kieran'],
    ['DELETE', '/v1/organizations/acme/members/kieran'],
  ];
  it.each(routes)('%s %s without a token', async (method, path) => {
    const json = method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' };
    const a = await call(path, { method, json });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });

  it('answers 401 for a wrong token, and accepts Token and X-User-Email/X-User-Token', async () => {
    const { admin, org } = await setup();
    expectProblem(await call(`/v1/organizations/${org.slug}`, { headers: { Authorization: 'Bearer fb_not-a-token-at-all' } }), 401);
    expect((await call(`/v1/organizations/${org.slug}`, { headers: { Authorization: `Token ${admin.token}` } })).status).toBe(200);
    expect((await call(`/v1/organizations/${org.slug}`, { headers: admin.pair })).status).toBe(200);
    const wrongEmail = await call(`/v1/organizations/${org.slug}`, { headers: { ...admin.pair, 'X-User-Email': 'someone@example.test' } });
    expectProblem(wrongEmail, 401);
  });
});

describe('create (JSON)', () => {
  it('creates with 201, Location and ETag; the creator becomes admin', async () => {
    const u = await makeUser();
    const a = await call('/v1/organizations', {
      headers: u.auth,
      json: {
        name: 'Habitat for Humanity',
        short_name: 'HfH',
        description: 'Homes',
        urls: ['https://habitat.example'],
        contacts: [{ type: ['h-card'], properties: { name: ['John Doe'], email: ['mailto:d.john@example.com'] } }],
      },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      slug: 'habitat-for-humanity',
      name: 'Habitat for Humanity',
      short_name: 'HfH',
      description: 'Homes',
      urls: ['https://habitat.example'],
      contacts: [{ type: ['h-card'], properties: { name: ['John Doe'] } }],
      logo: null,
      archived: false,
    });
    expect(a.body.id).toMatch(/^org_/);
    expect(a.headers.get('Location')).toBe('/v1/organizations/habitat-for-humanity');
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    const got = await call(a.headers.get('Location')!, { headers: u.auth });
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));

    const members = await call(`/v1/organizations/${a.body.slug}/members`, { headers: u.auth });
    expect(members.status).toBe(200);
    expect(members.body.results).toEqual([expect.objectContaining({ user: expect.objectContaining({ id: u.id, username: u.username }), role: 'admin' })]);
  });

  it('derives an ASCII slug from an accented name and keeps a given one (lower-cased)', async () => {
    const u = await makeUser();
    const tag = unique('z');
    const derived = await call('/v1/organizations', { headers: u.auth, json: { name: `Café Zürich ${tag}!` } });
    expect(derived.status).toBe(201);
    expect(derived.body.slug).toBe(`cafe-zurich-${tag}`);
    const slug = unique('Given-');
    const given = await call('/v1/organizations', { headers: u.auth, json: { name: 'Whatever', slug } });
    expect(given.status).toBe(201);
    expect(given.body.slug).toBe(slug.toLowerCase());
  });

  it('answers 409 naming slug when the slug is taken, and creates nothing', async () => {
    const u = await makeUser();
    const org = await makeOrg(u);
    const before = await count('organizations');
    const a = await call('/v1/organizations', { headers: u.auth, json: { name: 'Again', slug: org.slug } });
    expectProblem(a, 409, 'conflict');
    expect(a.body.errors).toEqual([expect.objectContaining({ path: 'slug' })]);
    expect(await count('organizations')).toBe(before);
  });

  it.each([
    ['slug', { name: 'X', slug: 'Bad slug!' }],
    ['slug', { name: 'X', slug: 'org_01jd8z3b6q0w4y1r7k5t2m9xce' }],
    ['slug', { name: 'X', slug: '-edge-' }],
    ['name', { slug: 'no-name-here' }],
    ['name', { name: '   ' }],
    ['urls.0', { name: 'X', urls: ['not a url'] }],
    ['urls.0', { name: 'X', urls: ['ftp://files.example/x'] }],
    ['contacts.0.type', { name: 'X', contacts: [{ type: ['h-entry'], properties: {} }] }],
    ['contacts.0.properties.name', { name: 'X', contacts: [{ type: ['h-card'], properties: { name: 'not an array' } }] }],
  ])('answers 400 naming %s', async (path, json) => {
    const u = await makeUser();
    const before = await count('organizations');
    const a = await call('/v1/organizations', { headers: u.auth, json });
    expectProblem(a, 400, 'invalid-request');
    expect(a.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await count('organizations')).toBe(before);
  });

  it('answers 400 for an unknown field, naming it', async () => {
    const u = await makeUser();
    const a = await call('/v1/organizations', { headers: u.auth, json: { name: 'X', colour: 'red' } });
    expectProblem(a, 400, 'invalid-request');
    expect(a.body.errors).toEqual([{ path: 'colour', message: 'Not a field of this request.' }]);
  });

  it('answers 400 for malformed JSON and 400 naming name for no body', async () => {
    const u = await makeUser();
    const bad = await call('/v1/organizations', { headers: { ...u.auth, 'Content-Type': 'application/json' }, body: '{"name":' });
    expectProblem(bad, 400, 'malformed-request');
    const none = await call('/v1/organizations', { method: 'POST', headers: u.auth });
    expectProblem(none, 400, 'invalid-request');
    expect(none.body.errors.map((e: { path: string }) => e.path)).toContain('name');
  });
});

describe('create (multipart, as seed 002)', () => {
  it('creates with fields, JSON-text urls and contacts, and a PNG logo stored in R2', async () => {
    const u = await makeUser();
    const slug = unique('mp-');
    const contacts = '[{"type": ["hcard"], "properties": {"name": ["John Doe"], "email": ["mailto:d.john@example.com"]}}]';
    const a = await call('/v1/organizations', {
      method: 'POST',
      headers: u.auth,
      body: form(
        { name: 'Mapping land rights', slug, description: 'Recording property rights', urls: '["http://example.com"]', contacts },
        { bytes: PNG, type: 'image/png' },
      ),
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      slug,
      name: 'Mapping land rights',
      description: 'Recording property rights',
      urls: ['http://example.com'],
      contacts: [{ type: ['hcard'], properties: { name: ['John Doe'], email: ['mailto:d.john@example.com'] } }],
    });
    expect(a.body.logo).toEqual({ url: `/v1/organizations/${slug}/logo`, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });
    expect(a.headers.get('Location')).toBe(`/v1/organizations/${slug}`);

    const key = await logoKey(a.body.id);
    expect(key.startsWith(`${a.body.id}/`)).toBe(true);
    const object = await env.FILES.get(key);
    expect(object).not.toBeNull();
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);
    expect(object!.httpMetadata?.contentType).toBe('image/png');

    const members = await call(`/v1/organizations/${slug}/members`, { headers: u.auth });
    expect(members.body.results.map((m: { role: string }) => m.role)).toEqual(['admin']);
  });

  it('accepts repeated `url` fields', async () => {
    const u = await makeUser();
    const fd = form({ name: 'Urls' });
    fd.append('url', 'https://a.example');
    fd.append('url', 'https://b.example');
    const a = await call('/v1/organizations', { method: 'POST', headers: u.auth, body: fd });
    expect(a.status, a.text).toBe(201);
    expect(a.body.urls).toEqual(['https://a.example', 'https://b.example']);
    expect(a.body.logo).toBeNull();
  });

  it('answers 400 for a logo that is not an image, creating no row and no object', async () => {
    const u = await makeUser();
    const slug = unique('notimg-');
    const keysBefore = await r2Keys();
    const blobsBefore = await count('blobs');
    const a = await call('/v1/organizations', {
      method: 'POST',
      headers: u.auth,
      body: form({ name: 'Not an image', slug }, { bytes: new TextEncoder().encode('just some text, not a picture'), type: 'image/png' }),
    });
    expectProblem(a, 400, 'invalid-request');
    expect(a.body.errors.map((e: { path: string }) => e.path)).toEqual(['logo']);
    expect(await count('organizations', 'slug = ?', slug)).toBe(0);
    expect(await count('blobs')).toBe(blobsBefore);
    const keysAfter = await r2Keys();
    expect(keysAfter.filter((k) => !keysBefore.includes(k))).toEqual([]);
  });

  it('answers 400 naming the field for bad JSON text and a missing name', async () => {
    const u = await makeUser();
    const bad = await call('/v1/organizations', { method: 'POST', headers: u.auth, body: form({ name: 'X', contacts: '[{"type":' }) });
    expectProblem(bad, 400, 'invalid-request');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['contacts']);
    const noName = await call('/v1/organizations', { method: 'POST', headers: u.auth, body: form({ description: 'nameless' }) });
    expectProblem(noName, 400, 'invalid-request');
    expect(noName.body.errors.map((e: { path: string }) => e.path)).toContain('name');
  });

  it('answers 409 for a taken slug and removes the logo it had stored', async () => {
    const u = await makeUser();
    const org = await makeOrg(u);
    const keysBefore = await r2Keys();
    const a = await call('/v1/organizations', { method: 'POST', headers: u.auth, body: form({ name: 'Dup', slug: org.slug }, { bytes: PNG, type: 'image/png' }) });
    expectProblem(a, 409, 'conflict');
    expect((await r2Keys()).filter((k) => !keysBefore.includes(k))).toEqual([]);
  });

  it('answers 413 for a body over the upload limit', async () => {
    const u = await makeUser();
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(PNG.subarray(0, 8));
    const a = await call('/v1/organizations', { method: 'POST', headers: u.auth, body: form({ name: 'Big' }, { bytes: big, type: 'image/png' }) });
    expectProblem(a, 413, 'payload-too-large');
  });

  it('answers 415 for a content type it does not take', async () => {
    const u = await makeUser();
    const a = await call('/v1/organizations', { headers: { ...u.auth, 'Content-Type': 'text/plain' }, body: 'name=x' });
    expectProblem(a, 415);
  });
});

describe('get', () => {
  it('answers by slug and by id, to a member, with the same ETag', async () => {
    const { admin, member, org } = await setup(1);
    const bySlug = await call(`/v1/organizations/${org.slug}`, { headers: member.auth });
    expect(bySlug.status).toBe(200);
    expect(bySlug.body.id).toBe(org.id);
    const byId = await call(`/v1/organizations/${org.id}`, { headers: admin.auth });
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(bySlug.body);
    expect(byId.headers.get('ETag')).toBe(bySlug.headers.get('ETag'));
    const upper = await call(`/v1/organizations/${org.slug.toUpperCase()}`, { headers: member.auth });
    expect(upper.body.id).toBe(org.id);
  });

  it('hides an organisation from a user of another one: 404 exactly as a missing one', async () => {
    const { org, outsider } = await setup();
    const bySlug = await call(`/v1/organizations/${org.slug}`, { headers: outsider.auth });
    expectProblem(bySlug, 404, 'not-found');
    expect(sameProblem(bySlug)).toEqual(await missing(outsider));
    const byId = await call(`/v1/organizations/${org.id}`, { headers: outsider.auth });
    expect(sameProblem(byId)).toEqual(await missing(outsider));
  });

  it('shows a superuser every organisation', async () => {
    const { org } = await setup();
    const su = await makeUser({ superuser: true });
    const a = await call(`/v1/organizations/${org.slug}`, { headers: su.auth });
    expect(a.status).toBe(200);
    expect(a.body.id).toBe(org.id);
  });

  it('answers 304 to If-None-Match with the current ETag, 200 with an old one', async () => {
    const { admin, org } = await setup();
    const a = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    const etag = a.headers.get('ETag')!;
    const again = await call(`/v1/organizations/${org.slug}`, { headers: { ...admin.auth, 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('ETag')).toBe(etag);
    await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'changed' } });
    const changed = await call(`/v1/organizations/${org.slug}`, { headers: { ...admin.auth, 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.description).toBe('changed');
  });

  it('costs one D1 round trip', async () => {
    const { member, org } = await setup(1);
    const a = await call(`/v1/organizations/${org.slug}`, { headers: member.auth });
    expect(a.status).toBe(200);
    expect(roundTrips(a)).toBe(1);
    const hidden = await call(`/v1/organizations/${unique('nope-')}`, { headers: member.auth });
    expect(roundTrips(hidden)).toBe(1);
  });
});

describe('list', () => {
  /** A fresh user with organisations of the given names (and the ids in creation order). */
  async function userWithOrgs(names: string[], extra: Record<string, unknown>[] = []) {
    const u = await makeUser();
    const made: { id: string; slug: string; name: string }[] = [];
    for (const [i, name] of names.entries()) made.push(await makeOrg(u, [], { name, ...(extra[i] ?? {}) }));
    return { u, made };
  }

  it('shows only the caller\'s organisations; a superuser sees all', async () => {
    const { u, made } = await userWithOrgs(['Mine One', 'Mine Two']);
    const { made: theirs } = await userWithOrgs(['Theirs']);
    const a = await call('/v1/organizations', { headers: u.auth });
    expect(a.status).toBe(200);
    expect(a.body.count).toBe(2);
    expect(a.body.results.map((o: { id: string }) => o.id).sort()).toEqual(made.map((o) => o.id).sort());

    const su = await makeUser({ superuser: true });
    const all = await call('/v1/organizations?limit=200', { headers: su.auth });
    expect(all.body.count).toBe(await count('organizations'));
    const ids = all.body.results.map((o: { id: string }) => o.id);
    expect(ids).toEqual(expect.arrayContaining([...made, ...theirs].map((o) => o.id)));
    expect(roundTrips(all)).toBe(1);
  });

  it('searches name and description, case-insensitively', async () => {
    const tag = unique('needle');
    const { u, made } = await userWithOrgs(['Plain A', `Has ${tag} in name`, 'Plain B'], [{}, {}, { description: `about ${tag.toUpperCase()}` }]);
    const a = await call(`/v1/organizations?search=${tag}`, { headers: u.auth });
    expect(a.body.count).toBe(2);
    expect(a.body.results.map((o: { id: string }) => o.id).sort()).toEqual([made[1]!.id, made[2]!.id].sort());
    // A stranger searching for the same text finds nothing of this user's.
    const stranger = await makeUser();
    const none = await call(`/v1/organizations?search=${tag}`, { headers: stranger.auth });
    expect(none.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('orders by name, -name and created_at', async () => {
    const { u, made } = await userWithOrgs(['Charlie', 'Alpha', 'Bravo']);
    const names = async (ordering: string) =>
      (await call(`/v1/organizations?ordering=${ordering}`, { headers: u.auth })).body.results.map((o: { name: string }) => o.name);
    expect(await names('name')).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(await names('-name')).toEqual(['Charlie', 'Bravo', 'Alpha']);
    const byCreated = (await call('/v1/organizations?ordering=created_at', { headers: u.auth })).body.results;
    const times = byCreated.map((o: { created_at: string }) => o.created_at);
    expect(times).toEqual([...times].sort());
    expect(new Set(byCreated.map((o: { id: string }) => o.id))).toEqual(new Set(made.map((o) => o.id)));
    const reversed = (await call('/v1/organizations?ordering=-created_at', { headers: u.auth })).body.results;
    expect(reversed.map((o: { id: string }) => o.id)).toEqual(byCreated.map((o: { id: string }) => o.id).reverse());
  });

  it('answers 400 naming ordering for a field it cannot order by', async () => {
    const u = await makeUser();
    for (const bad of ['password', '-description', 'name,nope']) {
      const a = await call(`/v1/organizations?ordering=${bad}`, { headers: u.auth });
      expectProblem(a, 400, 'invalid-request');
      expect(a.body.errors.map((e: { path: string }) => e.path)).toEqual(['ordering']);
    }
  });

  it('filters by archived', async () => {
    const { u, made } = await userWithOrgs(['Active', 'Shelved']);
    const archived = await call(`/v1/organizations/${made[1]!.slug}`, { method: 'PATCH', headers: u.auth, json: { archived: true } });
    expect(archived.status).toBe(200);
    const yes = await call('/v1/organizations?archived=true', { headers: u.auth });
    expect(yes.body.results.map((o: { id: string }) => o.id)).toEqual([made[1]!.id]);
    const no = await call('/v1/organizations?archived=false', { headers: u.auth });
    expect(no.body.results.map((o: { id: string }) => o.id)).toEqual([made[0]!.id]);
    expect((await call('/v1/organizations', { headers: u.auth })).body.count).toBe(2);
    const bad = await call('/v1/organizations?archived=maybe', { headers: u.auth });
    expectProblem(bad, 400, 'invalid-request');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['archived']);
  });

  it('pages with an envelope and Link first/next/last, visiting each row exactly once', async () => {
    const names = ['Walk A', 'Walk B', 'Walk C', 'Walk D', 'Walk E'];
    const { u, made } = await userWithOrgs(names);
    const first = await call('/v1/organizations?limit=2', { headers: u.auth });
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(5);
    expect(first.body.previous).toBeNull();
    expect(first.body.results.map((o: { name: string }) => o.name)).toEqual(['Walk A', 'Walk B']);
    const rel = links(first.headers.get('Link'));
    expect(Object.keys(rel).sort()).toEqual(['first', 'last', 'next']);
    expect(rel.next).toBe(first.body.next);

    const seen: string[] = [];
    let page: Answer = first;
    let pages = 0;
    for (;;) {
      pages += 1;
      seen.push(...page.body.results.map((o: { id: string }) => o.id));
      expect(page.body.count).toBe(5);
      if (!page.body.next) break;
      expect(links(page.headers.get('Link')).prev).toBe(page === first ? undefined : page.body.previous);
      page = await call(page.body.next, { headers: u.auth });
      expect(page.status).toBe(200);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(made.map((o) => o.id));
    expect(links(page.headers.get('Link')).next).toBeUndefined();

    const last = await call(rel.last!, { headers: u.auth });
    expect(last.body.results.map((o: { name: string }) => o.name)).toEqual(['Walk D', 'Walk E']);
    expect(last.body.next).toBeNull();
    const firstAgain = await call(rel.first!, { headers: u.auth });
    expect(firstAgain.body.results).toEqual(first.body.results);
  });

  it('neither skips nor repeats when organisations are created between pages', async () => {
    const names = ['Keyset B', 'Keyset C', 'Keyset D', 'Keyset E', 'Keyset F'];
    const { u, made } = await userWithOrgs(names);
    const first = await call('/v1/organizations?limit=2', { headers: u.auth });
    const seen = first.body.results.map((o: { id: string }) => o.id);
    // One that sorts before the cursor (an offset pager would then repeat "Keyset B/C"), one after.
    await makeOrg(u, [], { name: 'Keyset A' });
    const late = await makeOrg(u, [], { name: 'Keyset Z' });
    let next: string | null = first.body.next;
    while (next) {
      const page: Answer = await call(next, { headers: u.auth });
      seen.push(...page.body.results.map((o: { id: string }) => o.id));
      next = page.body.next;
    }
    expect(seen).toEqual([...made.map((o) => o.id), late.id]);
  });

  it('goes back from page 2 to page 1 through previous', async () => {
    const { u } = await userWithOrgs(['Back A', 'Back B', 'Back C', 'Back D', 'Back E']);
    const first = await call('/v1/organizations?limit=2&ordering=-name', { headers: u.auth });
    const second = await call(first.body.next, { headers: u.auth });
    expect(second.body.results.map((o: { name: string }) => o.name)).toEqual(['Back C', 'Back B']);
    expect(second.body.previous).not.toBeNull();
    expect(links(second.headers.get('Link')).prev).toBe(second.body.previous);
    const back = await call(second.body.previous, { headers: u.auth });
    expect(back.body.results).toEqual(first.body.results);
    expect(back.body.previous).toBeNull();
    expect(back.body.next).not.toBeNull();
    // From page 3 back to page 2, which still has a page before it.
    const third = await call(second.body.next, { headers: u.auth });
    expect(third.body.results.map((o: { name: string }) => o.name)).toEqual(['Back A']);
    const backTo2 = await call(third.body.previous, { headers: u.auth });
    expect(backTo2.body.results).toEqual(second.body.results);
    expect(backTo2.body.previous).not.toBeNull();
    expect((await call(backTo2.body.previous, { headers: u.auth })).body.results).toEqual(first.body.results);
  });

  it('pages with page and page_size, and with limit and offset', async () => {
    const { u } = await userWithOrgs(['Page A', 'Page B', 'Page C', 'Page D', 'Page E']);
    const p2 = await call('/v1/organizations?page=2&page_size=2', { headers: u.auth });
    expect(p2.status).toBe(200);
    expect(p2.body.results.map((o: { name: string }) => o.name)).toEqual(['Page C', 'Page D']);
    expect(p2.body.previous).not.toBeNull();
    expect(new URL(p2.body.next).searchParams.get('page_size')).toBe('2');
    const p3 = await call(p2.body.next, { headers: u.auth });
    expect(p3.body.results.map((o: { name: string }) => o.name)).toEqual(['Page E']);
    expect(p3.body.next).toBeNull();
    const beyond = await call('/v1/organizations?page=9&page_size=2', { headers: u.auth });
    expect(beyond.body.results).toEqual([]);
    expect(beyond.body.count).toBe(5);
    const offset = await call('/v1/organizations?limit=3&offset=1', { headers: u.auth });
    expect(offset.body.results.map((o: { name: string }) => o.name)).toEqual(['Page B', 'Page C', 'Page D']);
    for (const bad of ['limit=0', 'limit=201', 'page=0', 'page_size=abc', 'offset=-1']) {
      const a = await call(`/v1/organizations?${bad}`, { headers: u.auth });
      expectProblem(a, 400, 'invalid-request');
      expect(a.body.errors.map((e: { path: string }) => e.path)).toEqual([bad.split('=')[0]]);
    }
  });

  it('answers 400 naming cursor for a tampered cursor or one of another ordering', async () => {
    const { u } = await userWithOrgs(['Cur A', 'Cur B', 'Cur C']);
    const first = await call('/v1/organizations?limit=1', { headers: u.auth });
    const next = new URL(first.body.next);
    const cursor = next.searchParams.get('cursor')!;
    const decoded = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
    const reencode = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const tampered = [
      'not-a-cursor!!',
      cursor.slice(0, -3) + 'xyz',
      reencode({ ...decoded, k: [1] }),
      reencode({ ...decoded, d: 'sideways' }),
    ];
    for (const t of tampered) {
      const a = await call(`/v1/organizations?limit=1&cursor=${encodeURIComponent(t)}`, { headers: u.auth });
      expectProblem(a, 400, 'invalid-request');
      expect(a.body.errors.map((e: { path: string }) => e.path)).toEqual(['cursor']);
    }
    const otherOrdering = await call(`/v1/organizations?limit=1&ordering=-name&cursor=${cursor}`, { headers: u.auth });
    expectProblem(otherOrdering, 400, 'invalid-request');
    expect(otherOrdering.body.errors.map((e: { path: string }) => e.path)).toEqual(['cursor']);
  });
});

describe('update (PATCH, PUT)', () => {
  it('lets an admin PATCH, with a new ETag', async () => {
    const { admin, org } = await setup();
    const before = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    const a = await call(`/v1/organizations/${org.slug}`, {
      method: 'PATCH',
      headers: admin.auth,
      json: { description: 'New words', urls: ['https://new.example'] },
    });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ ...before.body, description: 'New words', urls: ['https://new.example'], updated_at: expect.any(String) });
    expect(a.headers.get('ETag')).toMatch(/^"/);
    expect(a.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    const after = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    expect(after.body).toEqual(a.body);
    expect(after.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it('changes the slug: the old one is gone, the logo url follows', async () => {
    const { admin, org } = await setup();
    await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    const slug = unique('renamed-');
    const a = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { slug } });
    expect(a.status).toBe(200);
    expect(a.body.slug).toBe(slug);
    expect(a.body.logo.url).toBe(`/v1/organizations/${slug}/logo`);
    expectProblem(await call(`/v1/organizations/${org.slug}`, { headers: admin.auth }), 404);
    expect((await call(`/v1/organizations/${slug}`, { headers: admin.auth })).body.id).toBe(org.id);
    expect((await download(`/v1/organizations/${slug}/logo`, admin.auth)).bytes).toEqual(PNG);
  });

  it('answers 403 to a member and 404 (as missing) to an outsider, changing nothing', async () => {
    const { admin, member, org, outsider } = await setup(1);
    const before = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    for (const method of ['PATCH', 'PUT']) {
      const byMember = await call(`/v1/organizations/${org.slug}`, { method, headers: member.auth, json: { name: 'Taken over' } });
      expectProblem(byMember, 403, 'forbidden');
      const byOutsider = await call(`/v1/organizations/${org.slug}`, { method, headers: outsider.auth, json: { name: 'Taken over' } });
      expectProblem(byOutsider, 404, 'not-found');
      expect(sameProblem(byOutsider)).toEqual(await missing(outsider, '', method, { name: 'Taken over' }));
    }
    const after = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    expect(after.body).toEqual(before.body);
  });

  it('answers 412 to a stale If-Match and 200 to the current one', async () => {
    const { admin, org } = await setup();
    const first = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    const stale = first.headers.get('ETag')!;
    const one = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: { ...admin.auth, 'If-Match': stale }, json: { description: 'one' } });
    expect(one.status).toBe(200);
    const two = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: { ...admin.auth, 'If-Match': stale }, json: { description: 'two' } });
    expectProblem(two, 412, 'precondition-failed');
    const put = await call(`/v1/organizations/${org.slug}`, { method: 'PUT', headers: { ...admin.auth, 'If-Match': stale }, json: { name: 'two' } });
    expectProblem(put, 412, 'precondition-failed');
    expect((await call(`/v1/organizations/${org.slug}`, { headers: admin.auth })).body.description).toBe('one');
    const current = await call(`/v1/organizations/${org.slug}`, {
      method: 'PATCH',
      headers: { ...admin.auth, 'If-Match': one.headers.get('ETag')! },
      json: { description: 'three' },
    });
    expect(current.status).toBe(200);
    expect(current.body.description).toBe('three');
  });

  it('answers 409 naming slug when changing to a taken slug', async () => {
    const { admin, org } = await setup();
    const other = await makeOrg(admin);
    for (const method of ['PATCH', 'PUT']) {
      const a = await call(`/v1/organizations/${org.slug}`, { method, headers: admin.auth, json: { name: 'Same', slug: other.slug } });
      expectProblem(a, 409, 'conflict');
      expect(a.body.errors).toEqual([expect.objectContaining({ path: 'slug' })]);
    }
    expect((await call(`/v1/organizations/${org.id}`, { headers: admin.auth })).body.slug).toBe(org.slug);
  });

  it('answers 400 naming the field', async () => {
    const { admin, org } = await setup();
    const cases: [string, string, unknown][] = [
      ['PATCH', 'slug', { slug: 'Not OK' }],
      ['PATCH', 'urls.0', { urls: ['javascript:alert(1)'] }],
      ['PATCH', 'contacts.0.type', { contacts: [{ type: ['vcard'], properties: {} }] }],
      ['PATCH', 'archived', { archived: 'yes' }],
      ['PUT', 'name', { description: 'no name' }],
    ];
    for (const [method, path, json] of cases) {
      const a = await call(`/v1/organizations/${org.slug}`, { method, headers: admin.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(a.body.errors.map((e: { path: string }) => e.path), JSON.stringify(json)).toContain(path);
    }
    const unknown = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { logo_blob_id: 'x' } });
    expectProblem(unknown, 400, 'invalid-request');
    expect(JSON.stringify(unknown.body.errors)).toContain('logo_blob_id');
  });

  it('PUT replaces every field: what is left out returns to its default, the slug stays', async () => {
    const { admin, org } = await setup();
    const full = await call(`/v1/organizations/${org.slug}`, {
      method: 'PATCH',
      headers: admin.auth,
      json: { short_name: 'S', description: 'D', urls: ['https://x.example'], contacts: [{ type: ['h-card'], properties: { name: ['N'] } }] },
    });
    expect(full.body.short_name).toBe('S');
    const put = await call(`/v1/organizations/${org.slug}`, { method: 'PUT', headers: admin.auth, json: { name: 'Replaced' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ slug: org.slug, name: 'Replaced', short_name: '', description: '', urls: [], contacts: [], archived: false });
    expect(put.headers.get('ETag')).not.toBe(full.headers.get('ETag'));
  });
});

describe('archive', () => {
  it('makes the organisation read-only until it is unarchived', async () => {
    const { admin, member, org } = await setup(1);
    const extra = await makeUser();
    const archived = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } });
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toBe(true);

    // Still readable.
    expect((await call(`/v1/organizations/${org.slug}`, { headers: member.auth })).body.archived).toBe(true);
    expect((await call(`/v1/organizations/${org.slug}/members`, { headers: member.auth })).status).toBe(200);

    const refused: Answer[] = [
      await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'x' } }),
      await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } }),
      await call(`/v1/organizations/${org.slug}`, { method: 'PUT', headers: admin.auth, json: { name: 'x', archived: true } }),
      await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG }),
      await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: admin.auth, body: form({}, { bytes: PNG, type: 'image/png' }) }),
      await call(`/v1/organizations/${org.slug}/logo`, { method: 'DELETE', headers: admin.auth }),
      await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: extra.id } }),
      await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username: unique('arch'), email: `${unique('arch')}@example.test` } }),
      await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'PATCH', headers: admin.auth, json: { role: 'admin' } }),
      await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'DELETE', headers: admin.auth }),
      await call(`/v1/organizations/${org.slug}/members/${member.id}`, { method: 'DELETE', headers: member.auth }),
      await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: admin.auth }),
    ];
    for (const a of refused) expectProblem(a, 409, 'archived');
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(2);
    expect(await count('organizations', 'id = ? AND logo_blob_id IS NULL', org.id)).toBe(1);

    // A member may not unarchive.
    expectProblem(await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: member.auth, json: { archived: false } }), 403);

    const back = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: false } });
    expect(back.status).toBe(200);
    expect(back.body.archived).toBe(false);
    const edit = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'alive' } });
    expect(edit.status).toBe(200);
    expect((await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth, json: { user: extra.id } })).status).toBe(201);
  });
});

describe('delete', () => {
  it('lets an admin delete: 204, then 404; memberships, blob rows and the logo object go', async () => {
    const { admin, member, org } = await setup(1);
    const withLogo = await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    expect(withLogo.status).toBe(200);
    const key = await logoKey(org.id);
    expect(await env.FILES.head(key)).not.toBeNull();

    const a = await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: admin.auth });
    expect(a.status).toBe(204);
    expect(a.text).toBe('');
    expectProblem(await call(`/v1/organizations/${org.slug}`, { headers: admin.auth }), 404);
    expectProblem(await call(`/v1/organizations/${org.slug}`, { headers: member.auth }), 404);
    expect(await count('organizations', 'id = ?', org.id)).toBe(0);
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(0);
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect(await count('changes', "op = 'delete' AND entity_type = 'organization' AND entity_id = ?", org.id)).toBe(1);
    // The accounts stay.
    expect(await count('users', 'id IN (?, ?)', admin.id, member.id)).toBe(2);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
    expect((await call('/v1/organizations', { headers: member.auth })).body.count).toBe(0);
  });

  it('answers 403 to a member and 404 (as missing) to an outsider', async () => {
    const { member, org, outsider } = await setup(1);
    expectProblem(await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: member.auth }), 403, 'forbidden');
    const hidden = await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: outsider.auth });
    expectProblem(hidden, 404);
    expect(sameProblem(hidden)).toEqual(await missing(outsider, '', 'DELETE'));
    expect(await count('organizations', 'id = ?', org.id)).toBe(1);
  });

  it('answers 412 to a stale If-Match', async () => {
    const { admin, org } = await setup();
    const etag = (await call(`/v1/organizations/${org.slug}`, { headers: admin.auth })).headers.get('ETag')!;
    await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'moved on' } });
    expectProblem(await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: { ...admin.auth, 'If-Match': etag } }), 412);
    expect(await count('organizations', 'id = ?', org.id)).toBe(1);
    const current = (await call(`/v1/organizations/${org.slug}`, { headers: admin.auth })).headers.get('ETag')!;
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'DELETE', headers: { ...admin.auth, 'If-Match': current } })).status).toBe(204);
  });
});

describe('logo', () => {
  it('takes a multipart upload and serves the bytes with download headers', async () => {
    const { admin, member, org } = await setup(1);
    const up = await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: admin.auth, body: form({}, { bytes: PNG, type: 'image/png', name: 'Ünïcode logo.png' }) });
    expect(up.status, up.text).toBe(200);
    expect(up.body.logo).toEqual({ url: `/v1/organizations/${org.slug}/logo`, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });
    expect(up.headers.get('ETag')).toMatch(/^"/);
    expect((await call(`/v1/organizations/${org.slug}`, { headers: admin.auth })).body.logo).toEqual(up.body.logo);

    const d = await download(`/v1/organizations/${org.slug}/logo`, member.auth);
    expect(d.status).toBe(200);
    expect(d.bytes).toEqual(PNG);
    expect(d.headers.get('Content-Type')).toBe('image/png');
    expect(d.headers.get('Content-Length')).toBe(String(PNG.byteLength));
    expect(d.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(new Date(d.headers.get('Last-Modified')!).getTime()).not.toBeNaN();
    expect(d.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(d.headers.get('Accept-Ranges')).toBe('bytes');
    const disposition = d.headers.get('Content-Disposition')!;
    expect(disposition).toMatch(/^inline; /);
    expect(disposition).toContain(`filename*=UTF-8''${org.slug}-logo.png`);
    expect(d.headers.get('X-Request-Id')).toBeTruthy();
  });

  it('takes a raw image body, and answers ranges and conditional requests', async () => {
    const { admin, org } = await setup();
    const up = await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    expect(up.status, up.text).toBe(200);
    expect(up.body.logo.size).toBe(PNG.byteLength);

    const path = `/v1/organizations/${org.slug}/logo`;
    const full = await download(path, admin.auth);
    const etag = full.headers.get('ETag')!;

    const head = await download(path, { ...admin.auth, Range: 'bytes=0-3' });
    expect(head.status).toBe(206);
    expect(head.bytes).toEqual(PNG.subarray(0, 4));
    expect(head.headers.get('Content-Range')).toBe(`bytes 0-3/${PNG.byteLength}`);
    expect(head.headers.get('Content-Length')).toBe('4');

    const tail = await download(path, { ...admin.auth, Range: 'bytes=-5' });
    expect(tail.status).toBe(206);
    expect(tail.bytes).toEqual(PNG.subarray(PNG.byteLength - 5));
    expect(tail.headers.get('Content-Range')).toBe(`bytes ${PNG.byteLength - 5}-${PNG.byteLength - 1}/${PNG.byteLength}`);

    const open = await download(path, { ...admin.auth, Range: 'bytes=60-' });
    expect(open.status).toBe(206);
    expect(open.bytes).toEqual(PNG.subarray(60));

    const beyond = await download(path, { ...admin.auth, Range: `bytes=${PNG.byteLength}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('Content-Range')).toBe(`bytes */${PNG.byteLength}`);
    expectProblem(beyond, 416);

    const notModified = await download(path, { ...admin.auth, 'If-None-Match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.bytes.byteLength).toBe(0);
    expect(notModified.headers.get('ETag')).toBe(etag);
    expect((await download(path, { ...admin.auth, 'If-None-Match': '"something-else"' })).status).toBe(200);
  });

  it('replacing removes the old object and keeps one blob row', async () => {
    const { admin, org } = await setup();
    await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    const oldKey = await logoKey(org.id);
    const before = await download(`/v1/organizations/${org.slug}/logo`, admin.auth);
    const up = await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/gif' }, body: GIF });
    expect(up.status, up.text).toBe(200);
    expect(up.body.logo).toMatchObject({ mime_type: 'image/gif', size: GIF.byteLength, sha256: await sha256Hex(GIF) });
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(1);
    const newKey = await logoKey(org.id);
    expect(newKey).not.toBe(oldKey);
    expect(await eventually(async () => (await env.FILES.head(oldKey)) === null)).toBe(true);
    expect(await r2Keys(`${org.id}/`)).toEqual([newKey]);
    const after = await download(`/v1/organizations/${org.slug}/logo`, admin.auth);
    expect(after.bytes).toEqual(GIF);
    expect(after.headers.get('Content-Type')).toBe('image/gif');
    expect(after.headers.get('Content-Disposition')).toContain(`${org.slug}-logo.gif`);
    expect(after.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
  });

  it('loses nothing when the organisation changes while a replacement logo uploads', async () => {
    const { admin, org } = await setup();
    await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    const [up, patch] = await Promise.all([
      call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/gif' }, body: GIF }),
      call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'meanwhile' } }),
    ]);
    expect(patch.status).toBe(200);
    expect([200, 409]).toContain(up.status);
    // Whatever won, the organisation's logo has its blob row and its object, and nothing else is left.
    const row = await env.DB.prepare('SELECT o.logo_blob_id AS id, b.r2_key AS key FROM organizations o LEFT JOIN blobs b ON b.id = o.logo_blob_id WHERE o.id = ?')
      .bind(org.id)
      .first<{ id: string; key: string | null }>();
    expect(row?.key).toBeTruthy();
    expect(await env.FILES.head(row!.key!)).not.toBeNull();
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(1);
    expect(await eventually(async () => (await r2Keys(`${org.id}/`)).length === 1)).toBe(true);
    const d = await download(`/v1/organizations/${org.slug}/logo`, admin.auth);
    expect(d.status).toBe(200);
    expect(d.bytes).toEqual(up.status === 200 ? GIF : PNG);
  });

  it('refuses wrong types, lying types, missing files and oversized bodies, storing nothing', async () => {
    const { admin, org } = await setup();
    const path = `/v1/organizations/${org.slug}/logo`;
    const keysBefore = await r2Keys();

    expectProblem(await call(path, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'text/plain' }, body: 'hello' }), 415, 'unsupported-media-type');
    expectProblem(await call(path, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'application/pdf' }, body: '%PDF-1.4' }), 415);

    const lyingRaw = await call(path, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/jpeg' }, body: PNG });
    expectProblem(lyingRaw, 400, 'invalid-request');
    expect(lyingRaw.body.errors.map((e: { path: string }) => e.path)).toEqual(['logo']);
    const lyingPart = await call(path, { method: 'PUT', headers: admin.auth, body: form({}, { bytes: PNG, type: 'image/jpeg' }) });
    expectProblem(lyingPart, 400, 'invalid-request');
    expect(lyingPart.body.errors.map((e: { path: string }) => e.path)).toEqual(['logo']);
    const notImage = await call(path, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: 'not an image at all' });
    expectProblem(notImage, 400, 'invalid-request');

    const noFile = await call(path, { method: 'PUT', headers: admin.auth, body: form({ other: 'x' }) });
    expectProblem(noFile, 400, 'invalid-request');
    expect(noFile.body.errors.map((e: { path: string }) => e.path)).toEqual(['logo']);

    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(PNG.subarray(0, 8));
    expectProblem(await call(path, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: big }), 413, 'payload-too-large');
    expectProblem(await call(path, { method: 'PUT', headers: admin.auth, body: form({}, { bytes: big, type: 'image/png' }) }), 413, 'payload-too-large');

    expect(await r2Keys()).toEqual(keysBefore);
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect((await call(`/v1/organizations/${org.slug}`, { headers: admin.auth })).body.logo).toBeNull();
  });

  it('DELETE removes the logo (204), then GET and DELETE answer 404', async () => {
    const { admin, org } = await setup();
    await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    const key = await logoKey(org.id);
    const a = await call(`/v1/organizations/${org.slug}/logo`, { method: 'DELETE', headers: admin.auth });
    expect(a.status).toBe(204);
    expectProblem(await call(`/v1/organizations/${org.slug}/logo`, { headers: admin.auth }), 404, 'not-found');
    expectProblem(await call(`/v1/organizations/${org.slug}/logo`, { method: 'DELETE', headers: admin.auth }), 404, 'not-found');
    expect((await call(`/v1/organizations/${org.slug}`, { headers: admin.auth })).body.logo).toBeNull();
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
  });

  it('answers 403 to a member writing and 404 (as missing) to an outsider', async () => {
    const { admin, member, org, outsider } = await setup(1);
    await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    const path = `/v1/organizations/${org.slug}/logo`;
    expectProblem(await call(path, { method: 'PUT', headers: { ...member.auth, 'Content-Type': 'image/gif' }, body: GIF }), 403, 'forbidden');
    expectProblem(await call(path, { method: 'DELETE', headers: member.auth }), 403, 'forbidden');
    expect((await download(path, member.auth)).bytes).toEqual(PNG);

    const hidden = await download(path, outsider.auth);
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider, '/logo'));
    const hiddenPut = await call(path, { method: 'PUT', headers: { ...outsider.auth, 'Content-Type': 'image/gif' }, body: GIF });
    expectProblem(hiddenPut, 404);
    const hiddenDelete = await call(path, { method: 'DELETE', headers: outsider.auth });
    expect(sameProblem(hiddenDelete)).toEqual(await missing(outsider, '/logo', 'DELETE'));
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(1);
  });
});

describe('writes without If-Match', () => {
  it('apply last-write-wins: a PATCH after another change is not refused', async () => {
    const { admin, org } = await setup();
    const first = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { description: 'one' } });
    const second = await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { short_name: 'two' } });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toMatchObject({ description: 'one', short_name: 'two' });
  });

  it('PUT keeps `archived` when left out, so an archived organisation stays read-only', async () => {
    const { admin, org } = await setup();
    await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } });
    expectProblem(await call(`/v1/organizations/${org.slug}`, { method: 'PUT', headers: admin.auth, json: { name: 'Renamed' } }), 409, 'archived');
    const unarchived = await call(`/v1/organizations/${org.slug}`, { method: 'PUT', headers: admin.auth, json: { name: 'Renamed', archived: false } });
    expect(unarchived.status).toBe(200);
    expect(unarchived.body).toMatchObject({ name: 'Renamed', archived: false });
    const kept = await call(`/v1/organizations/${org.slug}`, { method: 'PUT', headers: admin.auth, json: { name: 'Again' } });
    expect(kept.body.archived).toBe(false);
  });
});

describe('logo ranges we do not serve', () => {
  it('ignores a malformed or multi-range Range header and sends the whole file', async () => {
    const { admin, org } = await setup();
    await call(`/v1/organizations/${org.slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: PNG });
    for (const range of ['bytes=0-1,4-5', 'items=0-3', 'bytes=abc']) {
      const d = await download(`/v1/organizations/${org.slug}/logo`, { ...admin.auth, Range: range });
      expect(d.status, range).toBe(200);
      expect(d.bytes, range).toEqual(PNG);
    }
  });
});
