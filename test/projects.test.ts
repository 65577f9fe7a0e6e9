/**
 * Projects: create (JSON, with the organisation in the path or the body, and multipart with a
 * logo), read, the lists (visibility, filters, ordering, search, keyset paging), update, archive,
 * the trash (soft delete, restore, purge) and 401 on every route. Members have their own file.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../src/index';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, unique, type Actor } from './support/actors';
import { addProjectMember, createProject, missingProject as missing, orgWithOutsider } from './support/domain';
import { download, eventually, links, sha256Hex } from './support/files';

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

type Row = { id: string; name: string };
const ids = (a: Answer) => a.body.results.map((p: Row) => p.id);
const names = (a: Answer) => a.body.results.map((p: Row) => p.name);
const paths = (a: Answer) => a.body.errors.map((e: { path: string }) => e.path);

const tick = () => new Promise((r) => setTimeout(r, 5));

function form(fields: Record<string, string>, logo?: { bytes: Uint8Array; type: string; name?: string }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (logo) fd.append('logo', new Blob([logo.bytes], { type: logo.type }), logo.name ?? 'logo.png');
  return fd;
}

/** The 404 for an organisation that does not exist at all. */
async function missingOrg(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/organizations/${unique('no-such-')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function logoKeyOf(projectId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT b.r2_key AS key FROM projects p JOIN blobs b ON b.id = p.logo_blob_id WHERE p.id = ?')
    .bind(projectId)
    .first<{ key: string }>();
  if (!row) throw new Error('no logo blob');
  return row.key;
}

describe('401 on every project route', () => {
  const P = '/v1/projects/prj_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['GET', '/v1/projects'],
    ['POST', '/v1/projects'],
    ['GET', '/v1/organizations/acme/projects'],
    ['POST', '/v1/organizations/acme/projects'],
    ['GET', P],
    ['PATCH', P],
    ['PUT', P],
    ['DELETE', P],
    ['POST', `${P}/restore`],
    ['GET', `${P}/logo`],
    ['PUT', `${P}/logo`],
    ['DELETE', `${P}/logo`],
    ['GET', `${P}/members`],
    ['POST', `${P}/members`],
    ['POST', `${P}/users`],
    ['PATCH', `${P}/members/kieran`],
    ['DELETE', `${P}/members/kieran`],
    ['GET', `${P}/activity`],
  ];

  it('lists every route the app declares under the Projects tag', () => {
    const declared = app.openAPIRegistry.definitions
      .filter((d) => d.type === 'route' && (d.route.tags ?? []).includes('Projects'))
      .map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} ${d.route.path}` : ''));
    const listed = routes.map(([m, p]) =>
      `${m} ${p.replace(P, '/v1/projects/{project}').replace('/acme/', '/{org}/').replace('/kieran', '/{user}')}`,
    );
    expect(listed.sort()).toEqual(declared.sort());
  });

  it.each(routes)('%s %s without a token', async (method, path) => {
    const json = method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' };
    const a = await call(path, { method, json });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });

  it('answers 401 for a wrong token on a real project, and accepts Token and the X-User pair', async () => {
    const { member, org } = await orgWithOutsider();
    const p = await createProject(member, org);
    expectProblem(await call(`/v1/projects/${p.id}`, { headers: { Authorization: 'Bearer fb_not-a-token' } }), 401, 'unauthenticated');
    expect((await call(`/v1/projects/${p.id}`, { headers: { Authorization: `Token ${member.token}` } })).status).toBe(200);
    expect((await call(`/v1/projects/${p.id}`, { headers: member.pair })).status).toBe(200);
  });
});

describe('create (JSON)', () => {
  it('creates under /v1/organizations/{org}/projects: 201, Location, ETag, derived slug, creator as manager', async () => {
    const { admin, member, org } = await orgWithOutsider();
    const contacts = [{ type: ['h-card'], properties: { name: ['John Doe'], email: ['mailto:d.john@example.com'] } }];
    const a = await call(`/v1/organizations/${org.slug}/projects`, {
      headers: member.auth,
      json: {
        name: 'Région 3: Vineyards!',
        description: 'Kasese district tenure',
        country: 'UG',
        location: 'Kasese',
        lat: '52.372760',
        lon: 4.893604,
        project_type: 'tenure',
        urls: ['https://vineyards.example'],
        contacts,
      },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body.id).toMatch(/^prj_/);
    expect(a.body).toEqual({
      id: a.body.id,
      number: expect.any(Number),
      organization: { id: org.id, number: expect.any(Number), slug: org.slug, name: org.name },
      slug: 'region-3-vineyards',
      name: 'Région 3: Vineyards!',
      description: 'Kasese district tenure',
      country: 'UG',
      location: 'Kasese',
      lat: 52.37276,
      lon: 4.893604,
      project_type: 'tenure',
      urls: ['https://vineyards.example'],
      contacts,
      logo: null,
      access: 'organization',
      archived: false,
      creator: { id: member.id, number: expect.any(Number), username: member.username },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      updated_at: a.body.created_at,
      deleted_at: null,
      members: [{ user: expect.objectContaining({ id: member.id, username: member.username }), role: 'manager', joined_at: a.body.created_at }],
      member_count: 1,
      links: { members: `/v1/projects/${a.body.id}/members`, logo: `/v1/projects/${a.body.id}/logo` },
    });
    expect(a.headers.get('Location')).toBe(`/v1/projects/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(await count('project_members', 'project_id = ? AND user_id = ? AND role = ?', a.body.id, member.id, 'manager')).toBe(1);
    // The admin created nothing and is no project member, but sees it the same.
    const got = await call(a.headers.get('Location')!, { headers: admin.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it('creates through POST /v1/projects with the organisation (slug or id) in the body', async () => {
    const { member, org } = await orgWithOutsider();
    const bySlug = await call('/v1/projects', { headers: member.auth, json: { organization: org.slug, name: 'Transit Fleet North', lat: 1.5, lon: '-0.25' } });
    expect(bySlug.status, bySlug.text).toBe(201);
    expect(bySlug.body).toMatchObject({
      organization: { id: org.id, slug: org.slug },
      slug: 'transit-fleet-north',
      lat: 1.5,
      lon: -0.25,
      creator: { id: member.id },
      member_count: 1,
      members: [{ user: { id: member.id }, role: 'manager' }],
    });
    expect(bySlug.headers.get('Location')).toBe(`/v1/projects/${bySlug.body.id}`);
    expect(bySlug.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    const byId = await call('/v1/projects', { headers: member.auth, json: { organization: org.id, name: 'Transit Fleet South', access: 'private' } });
    expect(byId.status, byId.text).toBe(201);
    expect(byId.body).toMatchObject({ organization: { id: org.id }, slug: 'transit-fleet-south', access: 'private', lat: null, lon: null });
    expect((await call(`/v1/projects/${byId.body.id}`, { headers: member.auth })).body).toEqual(byId.body);
  });

  it('takes coordinates as numbers and as numeric strings, at the limits', async () => {
    const { member, org } = await orgWithOutsider();
    const cases: [unknown, unknown, number, number][] = [
      [52.37276, 4.893604, 52.37276, 4.893604],
      ['52.372760', '4.893604', 52.37276, 4.893604],
      [' -90 ', '+180', -90, 180],
      [90, -180, 90, -180],
      ['0', 0, 0, 0],
    ];
    for (const [lat, lon, wantLat, wantLon] of cases) {
      const a = await call(`/v1/organizations/${org.slug}/projects`, { headers: member.auth, json: { name: unique('Coord '), lat, lon } });
      expect(a.status, `${lat},${lon}: ${a.text}`).toBe(201);
      expect([a.body.lat, a.body.lon]).toEqual([wantLat, wantLon]);
      const row = await env.DB.prepare('SELECT lat, lon, typeof(lat) AS t FROM projects WHERE id = ?').bind(a.body.id).first<{ lat: number; lon: number; t: string }>();
      expect(row).toEqual({ lat: wantLat, lon: wantLon, t: 'real' });
    }
  });

  it.each([
    ['lat', { lat: 90.0001 }],
    ['lat', { lat: '-91' }],
    ['lon', { lon: 180.5 }],
    ['lon', { lon: '-181' }],
    ['lat', { lat: 'north' }],
    ['lat', { lat: '52,37' }],
    ['lon', { lon: '4.8e1' }],
    ['lon', { lon: '' }],
    ['lat', { lat: true }],
    ['name', { name: '  ' }],
    ['slug', { slug: 'Not a slug!' }],
    ['access', { access: 'public' }],
    ['urls.0', { urls: ['javascript:alert(1)'] }],
    ['contacts.0.type', { contacts: [{ type: ['vcard'], properties: {} }] }],
  ])('answers 400 naming %s, creating nothing', async (path, extra) => {
    const { member, org } = await orgWithOutsider();
    const before = await count('projects');
    for (const [url, json] of [
      [`/v1/organizations/${org.slug}/projects`, { name: 'Bad', ...extra }],
      ['/v1/projects', { organization: org.slug, name: 'Bad', ...extra }],
    ] as const) {
      const a = await call(url, { headers: member.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toEqual([path]);
    }
    expect(await count('projects')).toBe(before);
  });

  it('answers 400 for an unknown field, naming it, on both routes', async () => {
    const { member, org } = await orgWithOutsider();
    const inPath = await call(`/v1/organizations/${org.slug}/projects`, { headers: member.auth, json: { name: 'X', colour: 'red' } });
    expectProblem(inPath, 400, 'invalid-request');
    expect(inPath.body.errors).toEqual([{ path: 'colour', message: 'Not a field of this request.' }]);
    const inBody = await call('/v1/projects', { headers: member.auth, json: { organization: org.slug, name: 'X', creator_id: member.id } });
    expectProblem(inBody, 400, 'invalid-request');
    expect(inBody.body.errors).toEqual([{ path: 'creator_id', message: 'Not a field of this request.' }]);
    const noOrg = await call('/v1/projects', { headers: member.auth, json: { name: 'X' } });
    expectProblem(noOrg, 400, 'invalid-request');
    expect(paths(noOrg)).toEqual(['organization']);
    expect(await count('projects', 'organization_id = ?', org.id)).toBe(0);
  });

  it('answers 409 naming slug for a slug taken in the organisation; the same slug elsewhere is fine', async () => {
    const { admin, member, org } = await orgWithOutsider();
    const first = await createProject(member, org, { name: 'Land Parcels' });
    expect(first.slug).toBe('land-parcels');
    const before = await count('projects');
    const derived = await call(`/v1/organizations/${org.slug}/projects`, { headers: member.auth, json: { name: 'Land  Parcels' } });
    expectProblem(derived, 409, 'conflict');
    expect(derived.body.errors).toEqual([expect.objectContaining({ path: 'slug' })]);
    const given = await call('/v1/projects', { headers: admin.auth, json: { organization: org.id, name: 'Other', slug: 'land-parcels' } });
    expectProblem(given, 409, 'conflict');
    expect(given.body.errors).toEqual([expect.objectContaining({ path: 'slug' })]);
    expect(await count('projects')).toBe(before);
    expect(await count('project_members', 'project_id NOT IN (SELECT id FROM projects)')).toBe(0);

    const other = await makeOrg(member);
    const elsewhere = await call(`/v1/organizations/${other.slug}/projects`, { headers: member.auth, json: { name: 'Land Parcels' } });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    expect(elsewhere.body.slug).toBe('land-parcels');
    expect(elsewhere.body.organization.id).toBe(other.id);
  });

  it('answers 404 (as for a missing organisation) when the organisation is hidden from the caller', async () => {
    const { org, outsider } = await orgWithOutsider();
    const before = await count('projects');
    const inPath = await call(`/v1/organizations/${org.slug}/projects`, { headers: outsider.auth, json: { name: 'Intruder' } });
    expectProblem(inPath, 404, 'not-found');
    expect(sameProblem(inPath)).toEqual(await missingOrg(outsider, '/projects', 'POST', { name: 'Intruder' }));
    const inBody = await call('/v1/projects', { headers: outsider.auth, json: { organization: org.id, name: 'Intruder' } });
    expectProblem(inBody, 404, 'not-found');
    expect(sameProblem(inBody)).toEqual(sameProblem(inPath));
    const nowhere = await call('/v1/projects', { headers: outsider.auth, json: { organization: unique('no-such-'), name: 'Intruder' } });
    expect(sameProblem(nowhere)).toEqual(sameProblem(inPath));
    expect(await count('projects')).toBe(before);
  });

  it('answers 409 archived in an archived organisation, on both routes; a superuser may create anywhere live', async () => {
    const { admin, member, org } = await orgWithOutsider();
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await call(`/v1/organizations/${org.slug}/projects`, { headers: member.auth, json: { name: 'Late' } }), 409, 'archived');
    expectProblem(await call('/v1/projects', { headers: admin.auth, json: { organization: org.slug, name: 'Late' } }), 409, 'archived');
    expect(await count('projects', 'organization_id = ?', org.id)).toBe(0);
    const su = await makeUser({ superuser: true });
    expectProblem(await call(`/v1/organizations/${org.slug}/projects`, { headers: su.auth, json: { name: 'Late' } }), 409, 'archived');
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: false } })).status).toBe(200);
    const ok = await call(`/v1/organizations/${org.slug}/projects`, { headers: su.auth, json: { name: 'Late' } });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.members).toEqual([expect.objectContaining({ user: expect.objectContaining({ id: su.id }), role: 'manager' })]);
  });
});

describe('create (multipart, as seed 002)', () => {
  it('creates with text fields, JSON-text urls and contacts, lat as text and a PNG logo stored in R2', async () => {
    const { member, org } = await orgWithOutsider();
    const contacts = '[{"type": ["h-card"], "properties": {"name": ["John Doe"], "email": ["mailto:d.john@example.com"]}}]';
    const a = await call(`/v1/organizations/${org.slug}/projects`, {
      method: 'POST',
      headers: member.auth,
      body: form(
        {
          name: 'Mapping land rights',
          description: 'Recording property rights',
          country: 'KE',
          urls: '["http://example.com", "https://two.example"]',
          contacts,
          lat: '52.372760',
          lon: '-4.5',
          access: 'private',
        },
        { bytes: PNG, type: 'image/png' },
      ),
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      slug: 'mapping-land-rights',
      name: 'Mapping land rights',
      description: 'Recording property rights',
      country: 'KE',
      urls: ['http://example.com', 'https://two.example'],
      contacts: [{ type: ['h-card'], properties: { name: ['John Doe'], email: ['mailto:d.john@example.com'] } }],
      lat: 52.37276,
      lon: -4.5,
      access: 'private',
      creator: { id: member.id },
      member_count: 1,
    });
    const id = a.body.id;
    expect(a.body.logo).toEqual({ url: `/v1/projects/${id}/logo`, mime_type: 'image/png', size: PNG.byteLength, sha256: await sha256Hex(PNG) });
    expect(a.headers.get('Location')).toBe(`/v1/projects/${id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);

    const key = await logoKeyOf(id);
    expect(key.startsWith(`${org.id}/`)).toBe(true);
    const object = await env.FILES.get(key);
    expect(object).not.toBeNull();
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);
    expect(object!.httpMetadata?.contentType).toBe('image/png');
    expect(await count('blobs', 'organization_id = ? AND mime_type = ? AND size = ?', org.id, 'image/png', PNG.byteLength)).toBe(1);

    const d = await download(`/v1/projects/${id}/logo`, member.auth);
    expect(d.status).toBe(200);
    expect(d.bytes).toEqual(PNG);
    expect(d.headers.get('Content-Type')).toBe('image/png');
  });

  it('answers 400 naming the field for bad JSON text or a bad coordinate, storing nothing', async () => {
    const { member, org } = await orgWithOutsider();
    const keysBefore = (await env.FILES.list()).objects.length;
    const before = await count('projects');
    for (const [fields, path] of [
      [{ name: 'X', contacts: '[{"type":' }, 'contacts'],
      [{ name: 'X', lat: '95' }, 'lat'],
      [{ name: 'X', lon: 'east' }, 'lon'],
      [{ description: 'nameless' }, 'name'],
    ] as const) {
      const a = await call(`/v1/organizations/${org.slug}/projects`, { method: 'POST', headers: member.auth, body: form(fields, { bytes: PNG, type: 'image/png' }) });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a)).toEqual([path]);
    }
    expect(await count('projects')).toBe(before);
    expect((await env.FILES.list()).objects.length).toBe(keysBefore);
  });

  it('answers 409 for a taken slug and removes the logo object it had stored', async () => {
    const { member, org } = await orgWithOutsider();
    await createProject(member, org, { name: 'Dup' });
    const keysBefore = (await env.FILES.list()).objects.map((o) => o.key);
    const blobsBefore = await count('blobs');
    const a = await call(`/v1/organizations/${org.slug}/projects`, { method: 'POST', headers: member.auth, body: form({ name: 'Dup' }, { bytes: PNG, type: 'image/png' }) });
    expectProblem(a, 409, 'conflict');
    expect((await env.FILES.list()).objects.map((o) => o.key)).toEqual(keysBefore);
    expect(await count('blobs')).toBe(blobsBefore);
  });
});

describe('get', () => {
  it('shows an organisation-access project to every org member; hides it from outsiders as missing', async () => {
    const { member, members, org, outsider } = await orgWithOutsider(2);
    const p = await createProject(member, org, { name: 'Open Project' });
    const other = members[1]!;
    const seen = await call(`/v1/projects/${p.id}`, { headers: other.auth });
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual(p);
    expect(roundTrips(seen)).toBe(1);
    const hidden = await call(`/v1/projects/${p.id}`, { headers: outsider.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(outsider));
    expect(roundTrips(hidden)).toBe(1);
  });

  it('hides a private project from org members who are not in it, exactly as a missing one', async () => {
    const { admin, member, members, org, outsider } = await orgWithOutsider(3);
    const p = await createProject(member, org, { name: 'Private Project', access: 'private' });
    const [, bystander, viewer] = members as [Actor, Actor, Actor];
    const hidden = await call(`/v1/projects/${p.id}`, { headers: bystander.auth });
    expectProblem(hidden, 404, 'not-found');
    expect(sameProblem(hidden)).toEqual(await missing(bystander));
    expect(sameProblem(await call(`/v1/projects/${p.id}`, { headers: outsider.auth }))).toEqual(sameProblem(hidden));

    await addProjectMember(member, p.id, viewer, 'viewer');
    for (const who of [member, viewer, admin, await makeUser({ superuser: true })]) {
      const a = await call(`/v1/projects/${p.id}`, { headers: who.auth });
      expect(a.status, who.username).toBe(200);
      expect(a.body.id).toBe(p.id);
      expect(a.body.access).toBe('private');
      expect(roundTrips(a)).toBe(1);
    }
    // Becoming a project member is what opens it; leaving closes it again.
    await addProjectMember(member, p.id, bystander, 'viewer');
    expect((await call(`/v1/projects/${p.id}`, { headers: bystander.auth })).status).toBe(200);
    expect((await call(`/v1/projects/${p.id}/members/${bystander.id}`, { method: 'DELETE', headers: bystander.auth })).status).toBe(204);
    expectProblem(await call(`/v1/projects/${p.id}`, { headers: bystander.auth }), 404);
  });

  it('answers 304 to If-None-Match with the current ETag and 200 once it changed', async () => {
    const { member, org } = await orgWithOutsider();
    const p = await createProject(member, org);
    const a = await call(`/v1/projects/${p.id}`, { headers: member.auth });
    const etag = a.headers.get('ETag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await call(`/v1/projects/${p.id}`, { headers: { ...member.auth, 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('ETag')).toBe(etag);
    expect((await call(`/v1/projects/${p.id}`, { headers: { ...member.auth, 'If-None-Match': '"other"' } })).status).toBe(200);
    await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: member.auth, json: { description: 'changed' } });
    const changed = await call(`/v1/projects/${p.id}`, { headers: { ...member.auth, 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.description).toBe('changed');
    expect(changed.headers.get('ETag')).not.toBe(etag);
  });
});

describe('lists', () => {
  /** Org with admin, m1 (manager of both), m2 (plain member); an open, a private and an admin's project. */
  async function world() {
    const tag = unique('w');
    const { admin, members, org, outsider } = await orgWithOutsider(2, { name: `Kilimanjaro Cooperative ${tag}` });
    const [m1, m2] = members as [Actor, Actor];
    const open = await createProject(m1, org, { name: `Alpha Orchard ${tag}`, description: 'Apple trees on the slope', project_type: 'orchard', country: 'TZ' });
    const secret = await createProject(m1, org, { name: `Bravo Vineyard ${tag}`, description: 'Secret cuvée', access: 'private', project_type: 'vineyard', country: 'TZ' });
    const third = await createProject(admin, org, { name: `Charlie Zürich Transit ${tag}`, description: 'Bus fleet', project_type: 'transit', country: 'CH' });
    return { tag, admin, m1, m2, org, outsider, open, secret, third };
  }

  it('shows only what the caller may see, in results, count and search, on both routes', async () => {
    const w = await world();
    const mine = `/v1/organizations/${w.org.slug}/projects`;
    for (const path of ['/v1/projects', mine]) {
      const m2 = await call(path, { headers: w.m2.auth });
      expect(m2.status).toBe(200);
      expect(m2.body.count).toBe(2);
      expect(ids(m2)).toEqual([w.open.id, w.third.id]);
      expect(roundTrips(m2)).toBe(1);
      const searched = await call(`${path}?search=bravo`, { headers: w.m2.auth });
      expect(searched.body).toEqual({ count: 0, next: null, previous: null, results: [] });
      const byOrgName = await call(`${path}?search=kilimanjaro`, { headers: w.m2.auth });
      expect(ids(byOrgName)).toEqual([w.open.id, w.third.id]);

      for (const who of [w.m1, w.admin]) {
        const a = await call(path, { headers: who.auth });
        expect(a.body.count, who.username).toBe(3);
        expect(ids(a)).toEqual([w.open.id, w.secret.id, w.third.id]);
        expect(ids(await call(`${path}?search=bravo`, { headers: who.auth }))).toEqual([w.secret.id]);
      }
    }
    const outsider = await call('/v1/projects', { headers: w.outsider.auth });
    expect(outsider.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect((await call(`/v1/projects?search=${w.tag}`, { headers: w.outsider.auth })).body.count).toBe(0);
    const su = await makeUser({ superuser: true });
    expect(ids(await call(`/v1/projects?organization=${w.org.slug}`, { headers: su.auth }))).toEqual([w.open.id, w.secret.id, w.third.id]);
    // List items are the project representation without the detail's members.
    const item = (await call('/v1/projects', { headers: w.m2.auth })).body.results[0];
    const { members: _m, member_count: _c, links: _l, ...summary } = w.open;
    expect(item).toEqual(summary);
  });

  it("answers 404 (as missing) for a hidden organisation's list, in one round trip", async () => {
    const w = await world();
    const a = await call(`/v1/organizations/${w.org.slug}/projects`, { headers: w.outsider.auth });
    expectProblem(a, 404, 'not-found');
    expect(sameProblem(a)).toEqual(await missingOrg(w.outsider, '/projects'));
    expect(roundTrips(a)).toBe(1);
    const byId = await call(`/v1/organizations/${w.org.id}/projects`, { headers: w.outsider.auth });
    expect(sameProblem(byId)).toEqual(sameProblem(a));
    // The flat list's organization filter hides it too: nothing, not someone else's projects.
    const filtered = await call(`/v1/projects?organization=${w.org.slug}`, { headers: w.outsider.auth });
    expect(filtered.body.count).toBe(0);
  });

  it('filters by organization, archived, project_type and country', async () => {
    const w = await world();
    const elsewhere = await makeOrg(w.m2);
    const theirs = await createProject(w.m2, elsewhere, { name: `Delta Parcels ${w.tag}`, project_type: 'orchard', country: 'TZ' });
    const q = async (query: string, who = w.m2) => {
      const a = await call(`/v1/projects?${query}`, { headers: who.auth });
      expect(a.status, a.text).toBe(200);
      expect(a.body.count).toBe(a.body.results.length);
      return ids(a);
    };
    expect(await q('')).toEqual([w.open.id, w.third.id, theirs.id]);
    expect(await q(`organization=${w.org.slug}`)).toEqual([w.open.id, w.third.id]);
    expect(await q(`organization=${w.org.slug.toUpperCase()}`)).toEqual([w.open.id, w.third.id]);
    expect(await q(`organization=${elsewhere.id}`)).toEqual([theirs.id]);
    expect(await q('organization=no-such-org')).toEqual([]);
    expect(await q('project_type=orchard')).toEqual([w.open.id, theirs.id]);
    expect(await q('project_type=vineyard')).toEqual([]);
    expect(await q('project_type=vineyard', w.m1)).toEqual([w.secret.id]);
    expect(await q('country=TZ')).toEqual([w.open.id, theirs.id]);
    expect(await q('country=CH')).toEqual([w.third.id]);
    expect(await q(`country=TZ&organization=${w.org.slug}`)).toEqual([w.open.id]);

    expect((await call(`/v1/projects/${w.third.id}`, { method: 'PATCH', headers: w.admin.auth, json: { archived: true } })).status).toBe(200);
    expect(await q('archived=true')).toEqual([w.third.id]);
    expect(await q('archived=false')).toEqual([w.open.id, theirs.id]);
    expect(await q('archived=true&country=TZ')).toEqual([]);
    const inOrg = await call(`/v1/organizations/${w.org.slug}/projects?archived=false&project_type=orchard`, { headers: w.m2.auth });
    expect(ids(inOrg)).toEqual([w.open.id]);
    const bad = await call('/v1/projects?archived=maybe', { headers: w.m2.auth });
    expectProblem(bad, 400, 'invalid-request');
    expect(paths(bad)).toEqual(['archived']);
  });

  it('orders by name, -name, created_at, updated_at and -updated_at; 400 naming ordering otherwise', async () => {
    const { admin, org } = await orgWithOutsider(0);
    const made: Row[] = [];
    for (const name of ['Mike', 'Alpha', 'Zulu', 'Echo']) {
      made.push(await createProject(admin, org, { name }));
      await tick();
    }
    const list = async (ordering: string) => {
      const a = await call(`/v1/organizations/${org.slug}/projects?ordering=${ordering}`, { headers: admin.auth });
      expect(a.status, a.text).toBe(200);
      return a;
    };
    expect(names(await list('name'))).toEqual(['Alpha', 'Echo', 'Mike', 'Zulu']);
    expect(names(await list('-name'))).toEqual(['Zulu', 'Mike', 'Echo', 'Alpha']);
    expect(ids(await list('created_at'))).toEqual(made.map((p) => p.id));
    expect(ids(await list('-created_at'))).toEqual(made.map((p) => p.id).reverse());
    // Touch the first-made project: it becomes the most recently updated.
    await tick();
    const touched = await call(`/v1/projects/${made[0]!.id}`, { method: 'PATCH', headers: admin.auth, json: { description: 'touched' } });
    expect(touched.status).toBe(200);
    expect(touched.body.updated_at > touched.body.created_at).toBe(true);
    const byUpdated = await list('updated_at');
    expect(ids(byUpdated)).toEqual([made[1]!.id, made[2]!.id, made[3]!.id, made[0]!.id]);
    expect(ids(await list('-updated_at'))).toEqual([made[0]!.id, made[3]!.id, made[2]!.id, made[1]!.id]);
    expect(ids(await list('created_at'))).toEqual(made.map((p) => p.id));
    const flat = await call(`/v1/projects?organization=${org.slug}&ordering=-updated_at,name`, { headers: admin.auth });
    expect(ids(flat)).toEqual([made[0]!.id, made[3]!.id, made[2]!.id, made[1]!.id]);

    for (const badOrdering of ['slug', '-description', 'name,nope', 'member_count']) {
      for (const path of ['/v1/projects', `/v1/organizations/${org.slug}/projects`]) {
        const a = await call(`${path}?ordering=${badOrdering}`, { headers: admin.auth });
        expectProblem(a, 400, 'invalid-request');
        expect(paths(a)).toEqual(['ordering']);
      }
    }
  });

  it('searches name, description and organisation name: prefix, case and accent insensitive', async () => {
    const w = await world();
    const s = async (text: string, who = w.m1) => {
      const a = await call(`/v1/projects?search=${encodeURIComponent(text)}`, { headers: who.auth });
      expect(a.status, `${text}: ${a.text}`).toBe(200);
      expect(a.body.count, text).toBe(a.body.results.length);
      expect(roundTrips(a)).toBe(1);
      return ids(a);
    };
    expect(await s('orch')).toEqual([w.open.id]); // name prefix
    expect(await s('ORCHARD')).toEqual([w.open.id]); // case
    expect(await s('apple slope')).toEqual([w.open.id]); // description, every word
    expect(await s('apple bus')).toEqual([]); // every word must match
    expect(await s('zurich')).toEqual([w.third.id]); // accent in the data
    expect(await s('cuvee')).toEqual([w.secret.id]);
    expect(await s('CUVÉE')).toEqual([w.secret.id]); // accent and case in the query
    expect(await s('Zür')).toEqual([w.third.id]);
    expect(await s('kilimanj')).toEqual([w.open.id, w.secret.id, w.third.id]); // organisation name
    expect(await s(`kilimanjaro ${w.tag} transit`)).toEqual([w.third.id]);
    expect(await s('vineyard')).toEqual([w.secret.id]);
    expect(await s('vineyard', w.m2)).toEqual([]);
    // Search combines with filters and with the organisation route.
    expect(await s('kilimanjaro', w.m2)).toEqual([w.open.id, w.third.id]);
    const inOrg = await call(`/v1/organizations/${w.org.slug}/projects?search=transit&country=CH`, { headers: w.m1.auth });
    expect(ids(inOrg)).toEqual([w.third.id]);
    // A description change is searchable at once, and the old words are gone.
    await call(`/v1/projects/${w.open.id}`, { method: 'PATCH', headers: w.m1.auth, json: { description: 'Pear espalier' } });
    expect(await s('espalier')).toEqual([w.open.id]);
    expect(await s('apple')).toEqual([]);
  });

  it('answers 200 (never 500) for search text with FTS operators, quotes and parentheses, and treats them as words', async () => {
    const w = await world();
    const s = async (text: string) => {
      const a = await call(`/v1/projects?search=${encodeURIComponent(text)}`, { headers: w.m1.auth });
      expect(a.status, `${text}: ${a.text}`).toBe(200);
      return ids(a);
    };
    for (const text of ['"unbalanced AND (', 'a OR', 'NOT', 'NEAR(a b)', '*', 'name:alpha', '^alpha', '-', '"', "'; DROP TABLE projects; --", '{name}: x', '!!!', '\u0000']) {
      await s(text);
    }
    expect(await s('"Alpha"')).toEqual([w.open.id]);
    expect(await s('(orchard)')).toEqual([w.open.id]);
    expect(await s('alpha*')).toEqual([w.open.id]);
    expect(await s('name:alpha')).toEqual([]); // "name" is a word here, not a column filter
    expect(await s('alpha NOT orchard')).toEqual([]); // NOT is a word, not an operator
    expect(await s('alpha OR bus')).toEqual([]); // OR is a word too: every word must match
    expect(await s('!!!')).toEqual([]);
    expect(await count('projects')).toBeGreaterThanOrEqual(3);
  });

  it('finds projects by the new name of a renamed organisation, not by the old one', async () => {
    const w = await world();
    const tag2 = unique('zan');
    const renamed = await call(`/v1/organizations/${w.org.slug}`, { method: 'PATCH', headers: w.admin.auth, json: { name: `Zanzibar Growers ${tag2}` } });
    expect(renamed.status).toBe(200);
    const found = await call(`/v1/projects?search=zanzibar ${tag2}`, { headers: w.m2.auth });
    expect(ids(found)).toEqual([w.open.id, w.third.id]);
    expect(found.body.results[0].organization.name).toBe(`Zanzibar Growers ${tag2}`);
    expect((await call(`/v1/projects?search=kilimanjaro ${w.tag}`, { headers: w.m2.auth })).body.count).toBe(0);
    // The project's own name still matches.
    expect(ids(await call(`/v1/projects?search=alpha ${w.tag}`, { headers: w.m2.auth }))).toEqual([w.open.id]);
  });

  it('walks next links over ~10 projects with limit=3, each exactly once, while projects are inserted between pages', async () => {
    const { admin, org } = await orgWithOutsider(0);
    const made: Row[] = [];
    for (const name of ['Walk B', 'Walk C', 'Walk D', 'Walk E', 'Walk F', 'Walk G', 'Walk H', 'Walk I', 'Walk J', 'Walk K']) {
      made.push(await createProject(admin, org, { name }));
    }
    const path = `/v1/organizations/${org.slug}/projects?limit=3`;
    const first = await call(path, { headers: admin.auth });
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(10);
    expect(names(first)).toEqual(['Walk B', 'Walk C', 'Walk D']);
    expect(first.body.previous).toBeNull();
    const rel = links(first.headers.get('Link'));
    expect(Object.keys(rel).sort()).toEqual(['first', 'last', 'next']);
    expect(rel.next).toBe(first.body.next);
    expect(roundTrips(first)).toBe(1);

    const seen: string[] = [...ids(first)];
    const late: Row[] = [];
    let total = 10;
    let page: Answer = first;
    let pages = 1;
    while (page.body.next) {
      // One before the cursor (an offset pager would repeat a row) and one after it (must be reached).
      await createProject(admin, org, { name: `Walk A${pages}` });
      late.push(await createProject(admin, org, { name: `Walk Z${pages}` }));
      total += 2;
      const next: Answer = await call(page.body.next, { headers: admin.auth });
      expect(next.status).toBe(200);
      expect(next.body.count).toBe(total);
      expect(roundTrips(next)).toBe(1);
      expect(next.body.previous).not.toBeNull();
      const r = links(next.headers.get('Link'));
      expect(r.prev).toBe(next.body.previous);
      expect(r.next).toBe(next.body.next ?? undefined);
      expect(r.first).toBeDefined();
      expect(r.last).toBeDefined();
      expect(new URL(next.body.next ?? next.body.previous).searchParams.get('limit')).toBe('3');
      seen.push(...ids(next));
      page = next;
      pages += 1;
      expect(pages).toBeLessThan(20);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...made.map((p) => p.id), ...late.map((p) => p.id)]);
    expect(links(page.headers.get('Link')).next).toBeUndefined();
  });

  it('goes back through previous links and serves first and last from Link', async () => {
    const { admin, org } = await orgWithOutsider(0);
    for (const name of ['Back A', 'Back B', 'Back C', 'Back D', 'Back E', 'Back F', 'Back G']) await createProject(admin, org, { name });
    const path = `/v1/projects?organization=${org.slug}&limit=3&ordering=-name`;
    const first = await call(path, { headers: admin.auth });
    expect(names(first)).toEqual(['Back G', 'Back F', 'Back E']);
    const second = await call(first.body.next, { headers: admin.auth });
    expect(names(second)).toEqual(['Back D', 'Back C', 'Back B']);
    const third = await call(second.body.next, { headers: admin.auth });
    expect(names(third)).toEqual(['Back A']);
    expect(third.body.next).toBeNull();
    expect(Object.keys(links(third.headers.get('Link'))).sort()).toEqual(['first', 'last', 'prev']);

    const backTo2 = await call(third.body.previous, { headers: admin.auth });
    expect(backTo2.body.results).toEqual(second.body.results);
    expect(backTo2.body.previous).not.toBeNull();
    const backTo1 = await call(backTo2.body.previous, { headers: admin.auth });
    expect(backTo1.body.results).toEqual(first.body.results);
    expect(backTo1.body.previous).toBeNull();
    expect(backTo1.body.next).not.toBeNull();

    const rel = links(second.headers.get('Link'));
    expect(Object.keys(rel).sort()).toEqual(['first', 'last', 'next', 'prev']);
    const last = await call(rel.last!, { headers: admin.auth });
    expect(names(last)).toEqual(['Back C', 'Back B', 'Back A']);
    expect(last.body.next).toBeNull();
    expect(last.body.previous).not.toBeNull();
    expect((await call(rel.first!, { headers: admin.auth })).body.results).toEqual(first.body.results);
    // Filters survive in the links.
    expect(new URL(rel.next!).searchParams.get('organization')).toBe(org.slug);
    expect(new URL(rel.next!).searchParams.get('ordering')).toBe('-name');
  });

  it('pages with page and page_size, and limit and offset', async () => {
    const { admin, org } = await orgWithOutsider(0);
    for (const name of ['Page A', 'Page B', 'Page C', 'Page D', 'Page E']) await createProject(admin, org, { name });
    const base = `/v1/organizations/${org.slug}/projects`;
    const p2 = await call(`${base}?page=2&page_size=2`, { headers: admin.auth });
    expect(names(p2)).toEqual(['Page C', 'Page D']);
    expect(p2.body.previous).not.toBeNull();
    expect(names(await call(p2.body.next, { headers: admin.auth }))).toEqual(['Page E']);
    expect(names(await call(`${base}?limit=2&offset=3`, { headers: admin.auth }))).toEqual(['Page D', 'Page E']);
    for (const bad of ['limit=0', 'limit=201', 'page=0', 'offset=-1']) {
      const a = await call(`${base}?${bad}`, { headers: admin.auth });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a)).toEqual([bad.split('=')[0]]);
    }
  });
});

describe('update (PATCH, PUT)', () => {
  async function team() {
    const { admin, members, org, outsider } = await orgWithOutsider(4);
    const [manager, editor, viewer, bystander] = members as [Actor, Actor, Actor, Actor];
    const p = await createProject(manager, org, { name: 'Team Project', description: 'Before' });
    await addProjectMember(manager, p.id, editor, 'editor');
    await addProjectMember(manager, p.id, viewer, 'viewer');
    return { admin, manager, editor, viewer, bystander, org, outsider, p };
  }

  it('lets the manager PATCH with a new ETag; GET shows the same', async () => {
    const { manager, p } = await team();
    const before = await call(`/v1/projects/${p.id}`, { headers: manager.auth });
    await tick();
    const a = await call(`/v1/projects/${p.id}`, {
      method: 'PATCH',
      headers: manager.auth,
      json: { description: 'After', lat: '-33.5', lon: 18.25, urls: ['https://after.example'], country: 'ZA', access: 'private' },
    });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toEqual({
      ...before.body,
      description: 'After',
      lat: -33.5,
      lon: 18.25,
      urls: ['https://after.example'],
      country: 'ZA',
      access: 'private',
      updated_at: a.body.updated_at,
    });
    expect(a.body.updated_at > before.body.updated_at).toBe(true);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(a.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    const after = await call(`/v1/projects/${p.id}`, { headers: manager.auth });
    expect(after.body).toEqual(a.body);
    expect(after.headers.get('ETag')).toBe(a.headers.get('ETag'));
    // null clears a coordinate.
    const cleared = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { lat: null } });
    expect([cleared.body.lat, cleared.body.lon]).toEqual([null, 18.25]);
  });

  it('lets an org admin who is no project member PATCH and PUT, even a private project', async () => {
    const { admin, manager, p } = await team();
    await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { access: 'private' } });
    const a = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: admin.auth, json: { name: 'Renamed by admin' } });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ name: 'Renamed by admin', slug: p.slug, access: 'private' });
    const put = await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: admin.auth, json: { name: 'Put by admin' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ name: 'Put by admin', access: 'organization' });
  });

  it('answers 403 to editors, viewers and org members on an organisation project; 404 on a private one', async () => {
    const { manager, editor, viewer, bystander, outsider, p } = await team();
    const before = await call(`/v1/projects/${p.id}`, { headers: manager.auth });
    for (const method of ['PATCH', 'PUT']) {
      for (const who of [editor, viewer, bystander]) {
        const a = await call(`/v1/projects/${p.id}`, { method, headers: who.auth, json: { name: 'Taken over' } });
        expectProblem(a, 403, 'forbidden');
      }
      const hidden = await call(`/v1/projects/${p.id}`, { method, headers: outsider.auth, json: { name: 'Taken over' } });
      expect(sameProblem(hidden)).toEqual(await missing(outsider, '', method, { name: 'Taken over' }));
    }
    expect((await call(`/v1/projects/${p.id}`, { headers: manager.auth })).body).toEqual(before.body);

    const priv = await createProject(manager, { slug: p.organization.slug }, { name: 'Team Private', access: 'private' });
    await addProjectMember(manager, priv.id, editor, 'editor');
    expectProblem(await call(`/v1/projects/${priv.id}`, { method: 'PATCH', headers: editor.auth, json: { name: 'x' } }), 403, 'forbidden');
    for (const method of ['PATCH', 'PUT']) {
      const a = await call(`/v1/projects/${priv.id}`, { method, headers: bystander.auth, json: { name: 'x' } });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missing(bystander, '', method, { name: 'x' }));
    }
    expect((await call(`/v1/projects/${priv.id}`, { headers: manager.auth })).body.name).toBe('Team Private');
  });

  it('answers 412 to a stale If-Match on PATCH and PUT, 200 to the current one', async () => {
    const { manager, p } = await team();
    const stale = (await call(`/v1/projects/${p.id}`, { headers: manager.auth })).headers.get('ETag')!;
    const one = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: { ...manager.auth, 'If-Match': stale }, json: { description: 'one' } });
    expect(one.status, one.text).toBe(200);
    const two = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: { ...manager.auth, 'If-Match': stale }, json: { description: 'two' } });
    expectProblem(two, 412, 'precondition-failed');
    const put = await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: { ...manager.auth, 'If-Match': stale }, json: { name: 'two' } });
    expectProblem(put, 412, 'precondition-failed');
    const del = await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: { ...manager.auth, 'If-Match': stale } });
    expectProblem(del, 412, 'precondition-failed');
    const now = await call(`/v1/projects/${p.id}`, { headers: manager.auth });
    expect(now.body).toMatchObject({ description: 'one', name: 'Team Project', deleted_at: null });
    const current = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: { ...manager.auth, 'If-Match': one.headers.get('ETag')! }, json: { description: 'three' } });
    expect(current.status).toBe(200);
    expect(current.body.description).toBe('three');
  });

  it('answers 409 naming slug when changing to a slug taken in the organisation', async () => {
    const { manager, org, p } = await team();
    const other = await createProject(manager, org, { name: 'Other Project' });
    for (const method of ['PATCH', 'PUT']) {
      const a = await call(`/v1/projects/${p.id}`, { method, headers: manager.auth, json: { name: 'Same', slug: other.slug } });
      expectProblem(a, 409, 'conflict');
      expect(a.body.errors).toEqual([expect.objectContaining({ path: 'slug' })]);
    }
    expect((await call(`/v1/projects/${p.id}`, { headers: manager.auth })).body).toMatchObject({ slug: p.slug, name: 'Team Project' });
    const free = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { slug: 'a-free-slug' } });
    expect(free.body.slug).toBe('a-free-slug');
  });

  it('answers 400 naming the field', async () => {
    const { manager, p } = await team();
    const cases: [string, string, unknown][] = [
      ['PATCH', 'lat', { lat: 91 }],
      ['PATCH', 'lon', { lon: 'west' }],
      ['PATCH', 'archived', { archived: 'yes' }],
      ['PATCH', 'access', { access: 'everyone' }],
      // `organization` moves the project (test/moves.test.ts): a blank or non-string one is refused as any field.
      ['PATCH', 'organization', { organization: '  ' }],
      ['PUT', 'organization', { name: 'x', organization: 7 }],
      ['PUT', 'name', { description: 'no name' }],
    ];
    for (const [method, path, json] of cases) {
      const a = await call(`/v1/projects/${p.id}`, { method, headers: manager.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toEqual([path]);
    }
  });

  it('PUT replaces every field: what is left out returns to its default, the slug and creator stay', async () => {
    const { manager, p } = await team();
    const full = await call(`/v1/projects/${p.id}`, {
      method: 'PATCH',
      headers: manager.auth,
      json: {
        description: 'D',
        country: 'NL',
        location: 'Amsterdam',
        lat: 52.37276,
        lon: 4.893604,
        project_type: 'inspection',
        urls: ['https://x.example'],
        contacts: [{ type: ['h-card'], properties: { name: ['N'] } }],
        access: 'private',
      },
    });
    expect(full.status, full.text).toBe(200);
    const put = await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: manager.auth, json: { name: 'Replaced' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({
      ...full.body,
      name: 'Replaced',
      slug: p.slug,
      description: '',
      country: '',
      location: '',
      lat: null,
      lon: null,
      project_type: '',
      urls: [],
      contacts: [],
      access: 'organization',
      archived: false,
      updated_at: put.body.updated_at,
    });
    expect(put.headers.get('ETag')).not.toBe(full.headers.get('ETag'));
    const withSlug = await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: manager.auth, json: { name: 'Replaced', slug: 'new-slug', lat: '1.25' } });
    expect(withSlug.body).toMatchObject({ slug: 'new-slug', lat: 1.25 });
  });
});

describe('archive', () => {
  it('makes the project read-only until PATCH {archived:false}', async () => {
    const { admin, member, members, org } = await orgWithOutsider(2);
    const extra = members[1]!;
    const p = await createProject(member, org, { name: 'Shelved', description: 'old' });
    await call(`/v1/projects/${p.id}/logo`, { method: 'PUT', headers: { ...member.auth, 'Content-Type': 'image/png' }, body: PNG });
    const archived = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: member.auth, json: { archived: true } });
    expect(archived.status, archived.text).toBe(200);
    expect(archived.body.archived).toBe(true);
    const etag = archived.headers.get('ETag')!;

    expect((await call(`/v1/projects/${p.id}`, { headers: extra.auth })).body.archived).toBe(true);
    expect((await download(`/v1/projects/${p.id}/logo`, extra.auth)).bytes).toEqual(PNG);

    for (const who of [member, admin]) {
      const refused: Answer[] = [
        await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: who.auth, json: { description: 'x' } }),
        await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: who.auth, json: { archived: true } }),
        await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: who.auth, json: { name: 'x' } }),
        await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: who.auth, json: { name: 'x', archived: true } }),
        await call(`/v1/projects/${p.id}/logo`, { method: 'PUT', headers: { ...who.auth, 'Content-Type': 'image/png' }, body: PNG }),
        await call(`/v1/projects/${p.id}/logo`, { method: 'DELETE', headers: who.auth }),
        await call(`/v1/projects/${p.id}/members`, { headers: who.auth, json: { user: extra.id, role: 'viewer' } }),
        await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: who.auth }),
      ];
      for (const a of refused) expectProblem(a, 409, 'archived');
    }
    const still = await call(`/v1/projects/${p.id}`, { headers: member.auth });
    expect(still.headers.get('ETag')).toBe(etag);
    expect(still.body).toMatchObject({ description: 'old', archived: true, deleted_at: null, member_count: 1 });
    expect(still.body.logo).not.toBeNull();

    const back = await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: member.auth, json: { archived: false } });
    expect(back.status, back.text).toBe(200);
    expect(back.body.archived).toBe(false);
    expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: member.auth, json: { description: 'alive' } })).body.description).toBe('alive');
    expect((await call(`/v1/projects/${p.id}/members`, { headers: member.auth, json: { user: extra.id, role: 'viewer' } })).status).toBe(201);
  });

  it('PUT with archived:false unarchives; a viewer may not unarchive', async () => {
    const { member, members, org } = await orgWithOutsider(2);
    const p = await createProject(member, org);
    await addProjectMember(member, p.id, members[1]!, 'viewer');
    await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: member.auth, json: { archived: true } });
    expectProblem(await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: members[1]!.auth, json: { archived: false } }), 403, 'forbidden');
    const put = await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: member.auth, json: { name: 'Back again', archived: false } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ name: 'Back again', archived: false });
  });

  it('archiving the organisation makes project writes 409 too, unarchiving the project included', async () => {
    const { admin, member, members, org } = await orgWithOutsider(2);
    const extra = members[1]!;
    const p = await createProject(member, org, { name: 'In Archived Org' });
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } })).status).toBe(200);
    expect((await call(`/v1/projects/${p.id}`, { headers: member.auth })).status).toBe(200);
    for (const who of [member, admin]) {
      const refused: Answer[] = [
        await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: who.auth, json: { description: 'x' } }),
        await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: who.auth, json: { archived: true } }),
        await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: who.auth, json: { archived: false } }),
        await call(`/v1/projects/${p.id}`, { method: 'PUT', headers: who.auth, json: { name: 'x', archived: false } }),
        await call(`/v1/projects/${p.id}/logo`, { method: 'PUT', headers: { ...who.auth, 'Content-Type': 'image/png' }, body: PNG }),
        await call(`/v1/projects/${p.id}/members`, { headers: who.auth, json: { user: extra.id, role: 'viewer' } }),
        await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: who.auth }),
      ];
      for (const a of refused) expectProblem(a, 409, 'archived');
    }
    expect(await count('projects', 'id = ? AND deleted_at IS NULL AND archived = 0 AND logo_blob_id IS NULL', p.id)).toBe(1);
    expect(await count('project_members', 'project_id = ?', p.id)).toBe(1);
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: false } })).status).toBe(200);
    expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: member.auth, json: { description: 'x' } })).status).toBe(200);
  });
});

describe('trash', () => {
  it('DELETE by the manager moves to the trash: 404 everywhere, out of lists, in the admins\' ?deleted=true', async () => {
    const { admin, member, members, org } = await orgWithOutsider(2);
    const other = members[1]!;
    const p = await createProject(member, org, { name: 'Trashed' });
    const kept = await createProject(member, org, { name: 'Kept' });
    const a = await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: member.auth });
    expect(a.status).toBe(204);
    expect(a.text).toBe('');
    const su = await makeUser({ superuser: true });
    for (const who of [member, other, admin, su]) {
      const got = await call(`/v1/projects/${p.id}`, { headers: who.auth });
      expectProblem(got, 404, 'not-found');
      expect(sameProblem(got)).toEqual(await missing(who));
      expectProblem(await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: who.auth, json: { name: 'x' } }), 404);
      expectProblem(await call(`/v1/projects/${p.id}/members`, { headers: who.auth }), 404);
      expectProblem(await call(`/v1/projects/${p.id}/logo`, { method: 'PUT', headers: { ...who.auth, 'Content-Type': 'image/png' }, body: PNG }), 404);
      for (const path of ['/v1/projects', `/v1/organizations/${org.slug}/projects`, '/v1/projects?search=trashed']) {
        const list = await call(path, { headers: who.auth });
        expect(ids(list), path).not.toContain(p.id);
      }
    }
    expect((await call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth })).body.count).toBe(1);
    expectProblem(await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: member.auth }), 404);

    for (const path of ['/v1/projects?deleted=true', `/v1/organizations/${org.slug}/projects?deleted=true`]) {
      const trash = await call(path, { headers: admin.auth });
      expect(trash.status).toBe(200);
      expect(trash.body.count).toBe(1);
      expect(ids(trash)).toEqual([p.id]);
      expect(trash.body.results[0].deleted_at).toEqual(expect.stringMatching(/Z$/));
      expect(roundTrips(trash)).toBe(1);
      for (const who of [member, other]) {
        expect((await call(path, { headers: who.auth })).body).toEqual({ count: 0, next: null, previous: null, results: [] });
      }
    }
    expect(ids(await call('/v1/projects?deleted=true', { headers: su.auth }))).toContain(p.id);
    expect(ids(await call('/v1/projects?deleted=false', { headers: member.auth }))).toEqual([kept.id]);
  });

  it('restore: 404 to the manager (who no longer sees it), 200 to an org admin; 409 for a live project', async () => {
    const { admin, member, org, outsider } = await orgWithOutsider();
    const p = await createProject(member, org, { name: 'Comeback', description: 'restorable' });
    expect((await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: member.auth })).status).toBe(204);

    const byManager = await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: member.auth });
    expectProblem(byManager, 404, 'not-found');
    expect(sameProblem(byManager)).toEqual(await missing(member, '/restore', 'POST'));
    expect(sameProblem(await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: outsider.auth }))).toEqual(sameProblem(byManager));

    const restored = await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: admin.auth });
    expect(restored.status, restored.text).toBe(200);
    expect(restored.body).toMatchObject({ id: p.id, name: 'Comeback', description: 'restorable', deleted_at: null, member_count: 1 });
    expect(restored.headers.get('ETag')).toMatch(/^"/);
    const got = await call(`/v1/projects/${p.id}`, { headers: member.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(restored.body);
    expect(ids(await call(`/v1/organizations/${org.slug}/projects`, { headers: member.auth }))).toEqual([p.id]);
    expect((await call('/v1/projects?deleted=true', { headers: admin.auth })).body.count).toBe(0);

    const live = await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: admin.auth });
    expectProblem(live, 409, 'conflict');
    // The manager sees the live project but may not restore: 403, not 404.
    expectProblem(await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: member.auth }), 403, 'forbidden');
  });

  it('writes cost at most two D1 round trips: create, update, trash, restore', async () => {
    const { admin, member, org } = await orgWithOutsider(1);
    const created = await call(`/v1/organizations/${org.slug}/projects`, { headers: member.auth, json: { name: 'Counted' } });
    expect(created.status).toBe(201);
    expect(roundTrips(created)).toBe(2);
    const got = await call(`/v1/projects/${created.body.id}`, { headers: member.auth });
    expect(got.body).toEqual(created.body);
    const patched = await call(`/v1/projects/${created.body.id}`, { method: 'PATCH', headers: { ...member.auth, 'If-Match': got.headers.get('ETag')! }, json: { description: 'x' } });
    expect(patched.status).toBe(200);
    expect(roundTrips(patched)).toBe(2);
    expect((await call(`/v1/projects/${created.body.id}`, { headers: member.auth })).body).toEqual(patched.body);
    const trashed = await call(`/v1/projects/${created.body.id}`, { method: 'DELETE', headers: member.auth });
    expect(roundTrips(trashed)).toBe(2);
    const restored = await call(`/v1/projects/${created.body.id}/restore`, { method: 'POST', headers: admin.auth });
    expect(restored.status).toBe(200);
    expect(roundTrips(restored)).toBe(2);
    expect((await call(`/v1/projects/${created.body.id}`, { headers: member.auth })).body).toEqual(restored.body);
  });

  it('purge by an org admin removes the row, its members, the logo blob and its R2 object; the change log has the deletion', async () => {
    const { admin, member, members, org } = await orgWithOutsider(3);
    const p = await createProject(member, org, { name: 'Doomed' });
    await addProjectMember(member, p.id, members[1]!, 'editor');
    await addProjectMember(member, p.id, members[2]!, 'viewer');
    const up = await call(`/v1/projects/${p.id}/logo`, { method: 'PUT', headers: member.auth, body: form({}, { bytes: PNG, type: 'image/png' }) });
    expect(up.status, up.text).toBe(200);
    const key = await logoKeyOf(p.id);
    const blobId = (await env.DB.prepare('SELECT logo_blob_id AS id FROM projects WHERE id = ?').bind(p.id).first<{ id: string }>())!.id;
    expect(await env.FILES.head(key)).not.toBeNull();
    expect(await count('project_members', 'project_id = ?', p.id)).toBe(3);
    const survivor = await createProject(member, org, { name: 'Survivor' });

    expect((await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: member.auth })).status).toBe(204);
    // A manager may not purge what sits in the trash (they do not see it).
    expectProblem(await call(`/v1/projects/${p.id}?permanent=true`, { method: 'DELETE', headers: member.auth }), 404);
    expect(await count('projects', 'id = ?', p.id)).toBe(1);

    const a = await call(`/v1/projects/${p.id}?permanent=true`, { method: 'DELETE', headers: admin.auth });
    expect(a.status, a.text).toBe(204);
    expect(a.text).toBe('');
    expect(await count('projects', 'id = ?', p.id)).toBe(0);
    expect(await count('project_members', 'project_id = ?', p.id)).toBe(0);
    expect(await count('blobs', 'id = ?', blobId)).toBe(0);
    expect(await count('changes', "op = 'delete' AND entity_type = 'project' AND entity_id = ? AND organization_id = ?", p.id, org.id)).toBe(1);
    expect(await eventually(async () => (await env.FILES.head(key)) === null)).toBe(true);
    // The search index has no trace of it either.
    expect(await env.DB.prepare("SELECT count(*) AS n FROM projects_fts WHERE projects_fts MATCH 'doomed'").first<{ n: number }>()).toEqual({ n: 0 });

    for (const [method, suffix] of [['GET', ''], ['POST', '/restore'], ['DELETE', '?permanent=true'], ['DELETE', '']] as const) {
      const gone = await call(`/v1/projects/${p.id}${suffix}`, { method, headers: admin.auth });
      expectProblem(gone, 404, 'not-found');
    }
    expect((await call('/v1/projects?deleted=true', { headers: admin.auth })).body.count).toBe(0);
    // The rest of the organisation is untouched.
    expect((await call(`/v1/projects/${survivor.id}`, { headers: member.auth })).status).toBe(200);
    expect(await count('memberships', 'organization_id = ?', org.id)).toBe(4);
  });

  it('purge of a live project: 403 to its manager, 204 to an org admin', async () => {
    const { admin, member, org } = await orgWithOutsider();
    const p = await createProject(member, org, { name: 'Live Purge' });
    const byManager = await call(`/v1/projects/${p.id}?permanent=true`, { method: 'DELETE', headers: member.auth });
    expectProblem(byManager, 403, 'forbidden');
    expect(await count('projects', 'id = ? AND deleted_at IS NULL', p.id)).toBe(1);
    const byAdmin = await call(`/v1/projects/${p.id}?permanent=true`, { method: 'DELETE', headers: admin.auth });
    expect(byAdmin.status).toBe(204);
    expect(await count('projects', 'id = ?', p.id)).toBe(0);
    expect(await count('project_members', 'project_id = ?', p.id)).toBe(0);
    expect(await count('changes', "op = 'delete' AND entity_type = 'project' AND entity_id = ?", p.id)).toBe(1);
    expectProblem(await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: admin.auth }), 404);
  });

  it('answers 403 to editors and viewers who try to trash, 404 to org members of a private project', async () => {
    const { member, members, org } = await orgWithOutsider(3);
    const [, editor, bystander] = members as [Actor, Actor, Actor];
    const p = await createProject(member, org, { access: 'private' });
    await addProjectMember(member, p.id, editor, 'editor');
    expectProblem(await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: editor.auth }), 403, 'forbidden');
    const hidden = await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: bystander.auth });
    expect(sameProblem(hidden)).toEqual(await missing(bystander, '', 'DELETE'));
    expect(await count('projects', 'id = ? AND deleted_at IS NULL', p.id)).toBe(1);
  });
});
