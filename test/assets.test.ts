/**
 * Assets: create (under a project, through POST /v1/assets with project_id as seed 000, or of an
 * organisation alone as seed 003), read, the lists (visibility, filters, bbox, search, ordering,
 * keyset paging), GeoJSON, update, delete with what is stored under the asset, and 401 on every
 * route. Spheres, folders, data files and reports have their own files.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../src/index';
import { newId } from '../src/lib/ids';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeUser, unique, type Actor } from './support/actors';
import { addProjectMember, createAsset, createProject, missingProject, orgWithOutsider, type Row } from './support/domain';
import { eventually, links } from './support/files';

const GEO = 'application/geo+json';
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const ids = (a: Answer) => a.body.results.map((r: Row) => r.id);
const names = (a: Answer) => a.body.results.map((r: Row) => r.name);
const paths = (a: Answer) => a.body.errors.map((e: { path: string }) => e.path);
const featureIds = (a: Answer) => a.body.features.map((f: { id: string }) => f.id);

const tick = () => new Promise((r) => setTimeout(r, 5));

/** The 404 a caller gets for an asset id that does not exist at all. */
async function missingAsset(actor: Actor, method = 'GET', json?: unknown) {
  const a = await call(`/v1/assets/${newId('ast')}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

async function createOrgAsset(actor: Actor, org: { slug: string }, fields: Record<string, unknown> = {}) {
  const a = await call('/v1/assets', { headers: actor.auth, json: { organization: org.slug, name: unique('Asset '), ...fields } });
  if (a.status !== 201) throw new Error(`org asset create failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** A project with a manager, an editor, a viewer; a bystander (org member, not in the project). */
async function team(projectFields: Record<string, unknown> = {}) {
  const s = await orgWithOutsider(4);
  const [manager, editor, viewer, bystander] = s.members as [Actor, Actor, Actor, Actor];
  const p = await createProject(manager, s.org, { name: unique('Team '), ...projectFields });
  await addProjectMember(manager, p.id, editor, 'editor');
  await addProjectMember(manager, p.id, viewer, 'viewer');
  return { ...s, manager, editor, viewer, bystander, p };
}

describe('401 on every asset route', () => {
  const A = '/v1/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce';
  const routes: [string, string][] = [
    ['GET', '/v1/assets'],
    ['POST', '/v1/assets'],
    ['GET', '/v1/projects/prj_01jd8z3b6q0w4y1r7k5t2m9xce/assets'],
    ['POST', '/v1/projects/prj_01jd8z3b6q0w4y1r7k5t2m9xce/assets'],
    ['GET', A],
    ['PATCH', A],
    ['PUT', A],
    ['DELETE', A],
    ['GET', `${A}/activity`],
  ];

  it('lists every route the app declares under the Assets tag', () => {
    const declared = app.openAPIRegistry.definitions
      .filter((d) => d.type === 'route' && (d.route.tags ?? []).includes('Assets'))
      .map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} ${d.route.path}` : ''));
    const listed = routes.map(([m, p]) => `${m} ${p.replace(A, '/v1/assets/{asset}').replace(/prj_\w+/, '{project}')}`);
    expect(listed.sort()).toEqual(declared.sort());
  });

  it.each(routes)('%s %s without a token', async (method, path) => {
    const json = method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' };
    const a = await call(path, { method, json });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('WWW-Authenticate')).toContain('Bearer');
  });

  it('answers 401 on every route under /v1/assets the app declares, whatever its tag', async () => {
    const declared = app.openAPIRegistry.definitions.flatMap((d) =>
      d.type === 'route' && (d.route.path.startsWith('/v1/assets') || d.route.path === '/v1/projects/{project}/assets')
        ? [[d.route.method.toUpperCase(), d.route.path] as const]
        : [],
    );
    expect(declared.length).toBeGreaterThanOrEqual(routes.length);
    for (const [method, pattern] of declared) {
      const path = pattern.replace(/\{(\w+)\}/g, (_m, name: string) => `${name.slice(0, 3)}_01jd8z3b6q0w4y1r7k5t2m9xce`);
      const json = method === 'GET' || method === 'DELETE' || method === 'HEAD' ? undefined : { name: 'x' };
      const a = await call(path, { method, json });
      expect(a.status, `${method} ${pattern}: ${a.text}`).toBe(401);
      expect(a.headers.get('WWW-Authenticate'), `${method} ${pattern}`).toContain('Bearer');
    }
  });

  it('answers 401 for a wrong or revoked token on a real asset, and accepts Token and the X-User pair', async () => {
    const { editor, p } = await team();
    const asset = await createAsset(editor, p.id);
    const wrong: Record<string, string>[] = [{ Authorization: 'Bearer fb_not-a-token' }, { 'X-User-Email': editor.email, 'X-User-Token': 'nope' }];
    for (const auth of wrong) {
      for (const [method, json] of [['GET', undefined], ['PATCH', { name: 'x' }], ['DELETE', undefined]] as const) {
        expectProblem(await call(`/v1/assets/${asset.id}`, { method, headers: auth, json }), 401, 'unauthenticated');
      }
    }
    expect(await count('assets', 'id = ? AND name = ?', asset.id, asset.name)).toBe(1);
    expect((await call(`/v1/assets/${asset.id}`, { headers: { Authorization: `Token ${editor.token}` } })).status).toBe(200);
    expect((await call(`/v1/assets/${asset.id}`, { headers: editor.pair })).status).toBe(200);
  });
});

describe('create', () => {
  it('creates under /v1/projects/{project}/assets: 201, Location, ETag, every field', async () => {
    const { editor, viewer, org, p } = await team();
    const a = await call(`/v1/projects/${p.id}/assets`, {
      headers: editor.auth,
      json: {
        asset_tag: ' TAG-1 ',
        name: 'Pump Station 3',
        description: 'Main water pump',
        asset_type: 'pump',
        asset_subtype: 'centrifugal',
        asset_status: 'To Be Inspected',
        location: 'Dam Square',
        lat: 52.37276,
        lon: 4.893604,
        in_service_date: '2018-11-23',
        attributes: { capacity_m3h: 120, tags: ['a', 'b'], nested: { ok: true } },
      },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body.id).toMatch(/^ast_/);
    expect(a.body).toEqual({
      id: a.body.id,
      number: expect.any(Number),
      organization: { id: org.id, number: expect.any(Number), slug: org.slug, name: org.name },
      project: { id: p.id, number: p.number, name: p.name },
      asset_tag: 'TAG-1',
      name: 'Pump Station 3',
      description: 'Main water pump',
      asset_type: 'pump',
      asset_subtype: 'centrifugal',
      asset_status: 'To Be Inspected',
      location: 'Dam Square',
      lat: 52.37276,
      lon: 4.893604,
      in_service_date: '2018-11-23',
      attributes: { capacity_m3h: 120, tags: ['a', 'b'], nested: { ok: true } },
      created_by: { id: editor.id, username: editor.username },
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: a.body.created_at,
    });
    expect(a.headers.get('Location')).toBe(`/v1/assets/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    const row = await env.DB.prepare('SELECT organization_id, project_id, typeof(lat) AS t, attributes FROM assets WHERE id = ?')
      .bind(a.body.id)
      .first<Record<string, string>>();
    expect(row).toEqual({ organization_id: org.id, project_id: p.id, t: 'real', attributes: JSON.stringify(a.body.attributes) });

    const got = await call(a.headers.get('Location')!, { headers: viewer.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a.body);
    expect(got.headers.get('ETag')).toBe(a.headers.get('ETag'));
  });

  it('fills defaults: status Active, empty texts, no tag, no point, no date, {} attributes', async () => {
    const { manager, p } = await team();
    const a = await call(`/v1/projects/${p.id}/assets`, { headers: manager.auth, json: { name: 'Bare' } });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      asset_tag: null,
      name: 'Bare',
      description: '',
      asset_type: '',
      asset_subtype: '',
      asset_status: 'Active',
      location: '',
      lat: null,
      lon: null,
      in_service_date: null,
      attributes: {},
    });
  });

  it('creates through POST /v1/assets with project_id and the seed 000 body (status, coordinates as text)', async () => {
    const { editor, org, p } = await team();
    const a = await call('/v1/assets', {
      headers: editor.auth,
      json: { project_id: p.id, name: 'string', location: 'string', asset_status: 'To Be Inspected', lat: '52.372760', lon: '4.893604' },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      organization: { id: org.id },
      project: { id: p.id, name: p.name },
      name: 'string',
      location: 'string',
      asset_status: 'To Be Inspected',
      lat: 52.37276,
      lon: 4.893604,
      created_by: { id: editor.id },
    });
    expect(a.headers.get('Location')).toBe(`/v1/assets/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect((await call(`/v1/assets/${a.body.id}`, { headers: editor.auth })).body).toEqual(a.body);
    // The seed's null coordinates are accepted as they stand.
    const nulls = await call('/v1/assets', { headers: editor.auth, json: { project_id: p.id, name: 'Nulls', asset_status: 'To Be Inspected', lat: null, lon: null } });
    expect(nulls.status, nulls.text).toBe(201);
    expect([nulls.body.lat, nulls.body.lon]).toEqual([null, null]);
  });

  it('creates an asset of the organisation alone (seed 003): by slug or id, US date answered as ISO', async () => {
    const { admin, member, org } = await orgWithOutsider();
    const a = await call('/v1/assets', {
      headers: admin.auth,
      json: {
        organization: org.slug,
        asset_tag: 'TEST_ASSET_TAG',
        name: 'Test asset',
        asset_type: 'Test Type',
        asset_subtype: 'Test Asset Subtype',
        description: 'This is a test asset',
        in_service_date: '11/23/2018',
      },
    });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({
      organization: { id: org.id, slug: org.slug, name: org.name },
      project: null,
      asset_tag: 'TEST_ASSET_TAG',
      asset_type: 'Test Type',
      asset_subtype: 'Test Asset Subtype',
      description: 'This is a test asset',
      in_service_date: '2018-11-23',
      asset_status: 'Active',
      created_by: { id: admin.id, username: admin.username },
    });
    expect(a.headers.get('Location')).toBe(`/v1/assets/${a.body.id}`);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(await count('assets', 'id = ? AND project_id IS NULL AND organization_id = ? AND in_service_date = ?', a.body.id, org.id, '2018-11-23')).toBe(1);
    // A plain member reads it.
    const got = await call(`/v1/assets/${a.body.id}`, { headers: member.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a.body);

    const byId = await call('/v1/assets', { headers: admin.auth, json: { organization: org.id, name: 'By id', in_service_date: '1/5/2019' } });
    expect(byId.status, byId.text).toBe(201);
    expect(byId.body).toMatchObject({ organization: { id: org.id }, project: null, in_service_date: '2019-01-05' });
    const bySlugUpper = await call('/v1/assets', { headers: admin.auth, json: { organization: org.slug.toUpperCase(), name: 'Upper' } });
    expect(bySlugUpper.status, bySlugUpper.text).toBe(201);
    expect(bySlugUpper.body.organization.id).toBe(org.id);
  });

  it.each([
    ['asset_status', { asset_status: 'Broken' }],
    ['asset_status', { asset_status: 'to be inspected' }],
    ['lat', { lat: 91 }],
    ['lat', { lat: '-90.5' }],
    ['lon', { lon: 'abc' }],
    ['lon', { lon: 181 }],
    ['in_service_date', { in_service_date: '2018-13-45' }],
    ['in_service_date', { in_service_date: '13/45/2018' }],
    ['in_service_date', { in_service_date: '2019-02-29' }],
    ['in_service_date', { in_service_date: 'yesterday' }],
    ['attributes', { attributes: { blob: 'x'.repeat(16 * 1024) } }],
    ['attributes', { attributes: [1, 2] }],
    ['attributes', { attributes: 'text' }],
    ['name', { name: '   ' }],
    ['asset_tag', { asset_tag: '' }],
  ])('answers 400 naming %s on both create routes, creating nothing', async (path, extra) => {
    const { editor, p } = await team();
    const before = await count('assets');
    for (const [url, json] of [
      [`/v1/projects/${p.id}/assets`, { name: 'Bad', ...extra }],
      ['/v1/assets', { project_id: p.id, name: 'Bad', ...extra }],
    ] as const) {
      const a = await call(url, { headers: editor.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), `${url} ${JSON.stringify(json).slice(0, 80)}`).toEqual([path]);
    }
    expect(await count('assets')).toBe(before);
  });

  it('takes attributes up to 16 KiB of JSON, counted in bytes', async () => {
    const { editor, p } = await team();
    // {"k":"…"} is 8 bytes around the value.
    const atLimit = await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'At limit', attributes: { k: 'x'.repeat(16 * 1024 - 8) } } });
    expect(atLimit.status, atLimit.text.slice(0, 200)).toBe(201);
    expect(JSON.stringify(atLimit.body.attributes).length).toBe(16 * 1024);
    const over = await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Over', attributes: { k: 'x'.repeat(16 * 1024 - 7) } } });
    expectProblem(over, 400, 'invalid-request');
    expect(paths(over)).toEqual(['attributes']);
    // 6,000 euro signs: 6,008 characters of JSON but 18,008 bytes.
    const multibyte = await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Euros', attributes: { k: '€'.repeat(6000) } } });
    expectProblem(multibyte, 400, 'invalid-request');
    expect(paths(multibyte)).toEqual(['attributes']);
    expect(await count('assets', 'project_id = ?', p.id)).toBe(1);
  });

  it('answers 400 naming project_id for both or neither of project_id and organization, and names an unknown field', async () => {
    const { admin, org, p } = await team();
    const before = await count('assets');
    for (const json of [{ name: 'Neither' }, { name: 'Both', project_id: p.id, organization: org.slug }]) {
      const a = await call('/v1/assets', { headers: admin.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), JSON.stringify(json)).toEqual(['project_id']);
    }
    const unknownAnywhere = await call('/v1/assets', { headers: admin.auth, json: { project_id: p.id, name: 'X', colour: 'red' } });
    expectProblem(unknownAnywhere, 400, 'invalid-request');
    expect(unknownAnywhere.body.errors).toEqual([{ path: 'colour', message: 'Not a field of this request.' }]);
    const unknownInProject = await call(`/v1/projects/${p.id}/assets`, { headers: admin.auth, json: { name: 'X', project_id: p.id } });
    expectProblem(unknownInProject, 400, 'invalid-request');
    expect(unknownInProject.body.errors).toEqual([{ path: 'project_id', message: 'Not a field of this request.' }]);
    const objectKey = await call(`/v1/projects/${p.id}/assets`, { headers: admin.auth, json: { name: 'X', id: newId('ast') } });
    expectProblem(objectKey, 400, 'invalid-request');
    expect(paths(objectKey)).toEqual(['id']);
    expect(await count('assets')).toBe(before);
  });

  it('answers 409 naming asset_tag for a tag taken in the organisation, across its projects and org-level assets; fine elsewhere', async () => {
    const { admin, manager, org, p, outsider, outsiderOrg } = await team();
    const p2 = await createProject(manager, org, { name: unique('Second ') });
    const first = await createAsset(manager, p.id, { asset_tag: 'TAG-9' });
    const before = await count('assets');
    const attempts: Answer[] = [
      await call(`/v1/projects/${p.id}/assets`, { headers: manager.auth, json: { name: 'Dup same project', asset_tag: 'TAG-9' } }),
      await call(`/v1/projects/${p2.id}/assets`, { headers: manager.auth, json: { name: 'Dup other project', asset_tag: 'TAG-9' } }),
      await call('/v1/assets', { headers: manager.auth, json: { project_id: p2.id, name: 'Dup body', asset_tag: ' TAG-9 ' } }),
      await call('/v1/assets', { headers: admin.auth, json: { organization: org.slug, name: 'Dup org-level', asset_tag: 'TAG-9' } }),
    ];
    for (const a of attempts) {
      expectProblem(a, 409, 'conflict');
      expect(a.body.errors).toEqual([{ path: 'asset_tag', message: expect.any(String) }]);
    }
    expect(await count('assets')).toBe(before);
    // The other way round: an org-level tag blocks a project asset.
    await createOrgAsset(admin, org, { asset_tag: 'ORG-1' });
    expectProblem(await call(`/v1/projects/${p2.id}/assets`, { headers: manager.auth, json: { name: 'x', asset_tag: 'ORG-1' } }), 409, 'conflict');

    // Another organisation may use the same tag, in a project and alone.
    const theirs = await createProject(outsider, outsiderOrg);
    const elsewhere = await call(`/v1/projects/${theirs.id}/assets`, { headers: outsider.auth, json: { name: 'Theirs', asset_tag: 'TAG-9' } });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    expect(elsewhere.body.asset_tag).toBe('TAG-9');
    const elsewhereAlone = await call('/v1/assets', { headers: outsider.auth, json: { organization: outsiderOrg.slug, name: 'Alone', asset_tag: 'ORG-1' } });
    expect(elsewhereAlone.status, elsewhereAlone.text).toBe(201);
    expect(first.asset_tag).toBe('TAG-9');

    // No tag at all, many times.
    for (const json of [{ name: 'No tag 1' }, { name: 'No tag 2', asset_tag: null }, { name: 'No tag 3' }]) {
      expect((await call(`/v1/projects/${p.id}/assets`, { headers: manager.auth, json })).status).toBe(201);
    }
    expect(await count('assets', 'organization_id = ? AND asset_tag IS NULL', org.id)).toBe(3);
  });

  it('answers 403 to a viewer and to a plain org member of an organisation project; 404 (as missing) on a private one', async () => {
    const { viewer, bystander, manager, org, outsider, p } = await team();
    const before = await count('assets');
    for (const who of [viewer, bystander]) {
      expectProblem(await call(`/v1/projects/${p.id}/assets`, { headers: who.auth, json: { name: 'No' } }), 403, 'forbidden');
      expectProblem(await call('/v1/assets', { headers: who.auth, json: { project_id: p.id, name: 'No' } }), 403, 'forbidden');
    }
    const priv = await createProject(manager, org, { access: 'private' });
    for (const who of [bystander, outsider]) {
      const inPath = await call(`/v1/projects/${priv.id}/assets`, { headers: who.auth, json: { name: 'No' } });
      expectProblem(inPath, 404, 'not-found');
      expect(sameProblem(inPath)).toEqual(await missingProject(who, '/assets', 'POST', { name: 'No' }));
      const inBody = await call('/v1/assets', { headers: who.auth, json: { project_id: priv.id, name: 'No' } });
      expectProblem(inBody, 404, 'not-found');
      expect(sameProblem(inBody)).toEqual(sameProblem(inPath));
      const nowhere = await call('/v1/assets', { headers: who.auth, json: { project_id: newId('prj'), name: 'No' } });
      expect(sameProblem(nowhere)).toEqual(sameProblem(inPath));
    }
    expect(await count('assets')).toBe(before);
  });

  it('answers 409 archived for an archived project or organisation, on every create route', async () => {
    const { admin, manager, editor, viewer, org, p } = await team();
    expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { archived: true } })).status).toBe(200);
    for (const who of [editor, manager, admin]) {
      expectProblem(await call(`/v1/projects/${p.id}/assets`, { headers: who.auth, json: { name: 'Late' } }), 409, 'archived');
      expectProblem(await call('/v1/assets', { headers: who.auth, json: { project_id: p.id, name: 'Late' } }), 409, 'archived');
    }
    // A viewer of an archived project still gets 403: rights come first.
    expectProblem(await call(`/v1/projects/${p.id}/assets`, { headers: viewer.auth, json: { name: 'Late' } }), 403, 'forbidden');
    expect(await count('assets', 'project_id = ?', p.id)).toBe(0);
    expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { archived: false } })).status).toBe(200);
    expect((await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Now' } })).status).toBe(201);

    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } })).status).toBe(200);
    expectProblem(await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Late' } }), 409, 'archived');
    expectProblem(await call('/v1/assets', { headers: admin.auth, json: { organization: org.slug, name: 'Late' } }), 409, 'archived');
    expect(await count('assets', 'organization_id = ?', org.id)).toBe(1);
  });

  it('lets only org admins create an asset of the organisation alone: member 403, outsider 404 (as missing)', async () => {
    const { admin, member, org, outsider } = await orgWithOutsider();
    const before = await count('assets');
    expectProblem(await call('/v1/assets', { headers: member.auth, json: { organization: org.slug, name: 'Mine' } }), 403, 'forbidden');
    const hidden = await call('/v1/assets', { headers: outsider.auth, json: { organization: org.slug, name: 'Mine' } });
    expectProblem(hidden, 404, 'not-found');
    const nowhere = await call('/v1/assets', { headers: outsider.auth, json: { organization: unique('no-such-'), name: 'Mine' } });
    expect(sameProblem(hidden)).toEqual(sameProblem(nowhere));
    expect(await count('assets')).toBe(before);
    expect((await call('/v1/assets', { headers: admin.auth, json: { organization: org.slug, name: 'Mine' } })).status).toBe(201);
    const su = await makeUser({ superuser: true });
    expect((await call('/v1/assets', { headers: su.auth, json: { organization: org.id, name: 'By su' } })).status).toBe(201);
  });
});

describe('round trips of writes', () => {
  it('creates, updates and deletes in at most two D1 round trips; what a write answers is what GET shows', async () => {
    const { admin, editor, org, p } = await team();
    const inProject = await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Counted', asset_tag: 'RT-1', lat: '1.5', lon: 2 } });
    expect(inProject.status, inProject.text).toBe(201);
    expect(roundTrips(inProject)).toBe(2);
    const viaBody = await call('/v1/assets', { headers: editor.auth, json: { project_id: p.id, name: 'Counted too', in_service_date: '11/23/2018' } });
    expect(viaBody.status, viaBody.text).toBe(201);
    expect(roundTrips(viaBody)).toBe(2);
    const alone = await call('/v1/assets', { headers: admin.auth, json: { organization: org.slug, name: 'Counted alone', attributes: { a: [1] } } });
    expect(alone.status, alone.text).toBe(201);
    expect(roundTrips(alone)).toBe(2);
    for (const created of [inProject, viaBody, alone]) {
      const got = await call(`/v1/assets/${created.body.id}`, { headers: admin.auth });
      expect(got.body).toEqual(created.body);
      expect(got.headers.get('ETag')).toBe(created.headers.get('ETag'));
    }
    const patched = await call(`/v1/assets/${inProject.body.id}`, { method: 'PATCH', headers: { ...editor.auth, 'If-Match': inProject.headers.get('ETag')! }, json: { name: 'Recounted' } });
    expect(patched.status).toBe(200);
    expect(roundTrips(patched)).toBe(2);
    const got = await call(`/v1/assets/${inProject.body.id}`, { headers: editor.auth });
    expect(got.body).toEqual(patched.body);
    expect(got.headers.get('ETag')).toBe(patched.headers.get('ETag'));
    const deleted = await call(`/v1/assets/${inProject.body.id}`, { method: 'DELETE', headers: editor.auth });
    expect(deleted.status).toBe(204);
    expect(roundTrips(deleted)).toBe(2);
  });
});

describe('get', () => {
  it('reads in one D1 round trip; 304 to If-None-Match, 200 once changed', async () => {
    const { editor, viewer, p } = await team();
    const asset = await createAsset(editor, p.id, { lat: 1, lon: 2 });
    const a = await call(`/v1/assets/${asset.id}`, { headers: viewer.auth });
    expect(a.status).toBe(200);
    expect(a.body).toEqual(asset);
    expect(roundTrips(a)).toBe(1);
    const etag = a.headers.get('ETag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await call(`/v1/assets/${asset.id}`, { headers: { ...viewer.auth, 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('ETag')).toBe(etag);
    expect((await call(`/v1/assets/${asset.id}`, { headers: { ...viewer.auth, 'If-None-Match': '"other"' } })).status).toBe(200);
    await tick();
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { location: 'moved' } })).status).toBe(200);
    const changed = await call(`/v1/assets/${asset.id}`, { headers: { ...viewer.auth, 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.location).toBe('moved');
    expect(changed.headers.get('ETag')).not.toBe(etag);
  });

  it('hides assets of projects and organisations the caller may not see, exactly as a missing one', async () => {
    const { admin, manager, editor, bystander, org, outsider, p } = await team();
    const priv = await createProject(manager, org, { access: 'private' });
    const secret = await createAsset(manager, priv.id, { name: 'Secret' });
    const open = await createAsset(editor, p.id, { name: 'Open' });
    const alone = await createOrgAsset(admin, org, { name: 'Alone' });

    const hidden: [Actor, string][] = [
      [bystander, secret.id],
      [editor, secret.id],
      [outsider, secret.id],
      [outsider, open.id],
      [outsider, alone.id],
    ];
    for (const [who, id] of hidden) {
      const a = await call(`/v1/assets/${id}`, { headers: who.auth });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingAsset(who));
      expect(roundTrips(a)).toBe(1);
    }
    for (const [who, id] of [[manager, secret.id], [admin, secret.id], [bystander, open.id], [bystander, alone.id]] as const) {
      expect((await call(`/v1/assets/${id}`, { headers: who.auth })).status, who.username).toBe(200);
    }
    const su = await makeUser({ superuser: true });
    expect((await call(`/v1/assets/${secret.id}`, { headers: su.auth })).body).toEqual(secret);
  });

  it('hides the assets of a trashed project from everyone, the org admin included, until it is restored', async () => {
    const { admin, manager, viewer, p } = await team();
    const asset = await createAsset(manager, p.id, { name: `Trashed ${unique('t')}`, lat: 10, lon: 10 });
    expect((await call(`/v1/projects/${p.id}`, { method: 'DELETE', headers: manager.auth })).status).toBe(204);
    for (const who of [manager, viewer, admin, await makeUser({ superuser: true })]) {
      const a = await call(`/v1/assets/${asset.id}`, { headers: who.auth });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingAsset(who));
      expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: who.auth, json: { name: 'x' } }), 404);
      expect(ids(await call('/v1/assets', { headers: who.auth }))).not.toContain(asset.id);
      expect(ids(await call(`/v1/assets?search=${encodeURIComponent(asset.name)}`, { headers: who.auth }))).not.toContain(asset.id);
      expect(ids(await call('/v1/assets?bbox=9,9,11,11', { headers: who.auth }))).not.toContain(asset.id);
      expectProblem(await call(`/v1/projects/${p.id}/assets`, { headers: who.auth }), 404);
    }
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: manager.auth }), 404);
    expect(await count('assets', 'id = ?', asset.id)).toBe(1);
    expect((await call(`/v1/projects/${p.id}/restore`, { method: 'POST', headers: admin.auth })).status).toBe(200);
    expect((await call(`/v1/assets/${asset.id}`, { headers: viewer.auth })).body).toEqual(asset);
  });
});

describe('lists', () => {
  /**
   * An organisation with admin, m1 (manager of both projects) and m2 (plain member); an open
   * project, a private one, an asset of the organisation alone; and another organisation's asset.
   */
  async function world() {
    const tag = unique('w');
    const { admin, members, org, outsider, outsiderOrg } = await orgWithOutsider(2, { name: `Rijkswater ${tag}` });
    const [m1, m2] = members as [Actor, Actor];
    const open = await createProject(m1, org, { name: `Open ${tag}` });
    const secret = await createProject(m1, org, { name: `Secret ${tag}`, access: 'private' });
    const pump = await createAsset(m1, open.id, {
      name: 'Pump Station Zürich',
      asset_tag: 'PS-001',
      asset_status: 'To Be Inspected',
      asset_type: 'pump',
      description: 'Main water pump',
      lat: 47.5,
      lon: 8.5,
    });
    const bridge = await createAsset(m1, open.id, {
      name: 'Bridge North',
      asset_tag: 'BR-7',
      asset_type: 'bridge',
      description: 'Steel crossing near the café',
      lat: 52.37276,
      lon: 4.893604,
    });
    const culvert = await createAsset(m1, open.id, { name: 'Culvert', asset_type: 'culvert', asset_status: 'Needs Repair' });
    const hidden = await createAsset(m1, secret.id, {
      name: 'Secret Pump',
      asset_tag: 'SP-1',
      asset_status: 'To Be Inspected',
      asset_type: 'pump',
      description: 'hidden water pump',
      lat: 52,
      lon: 4,
    });
    const crane = await createOrgAsset(admin, org, { name: 'Depot Crane', asset_tag: 'CR-1', asset_type: 'crane', lat: 51.5, lon: -0.125 });
    const theirs = await createOrgAsset(outsider, outsiderOrg, { name: 'Foreign Pump', asset_type: 'pump', asset_status: 'To Be Inspected', lat: 47.5, lon: 8.5 });
    return { tag, admin, m1, m2, org, outsider, outsiderOrg, open, secret, pump, bridge, culvert, hidden, crane, theirs };
  }

  it('shows only what the caller may see, in results, count and search, on both routes, in one round trip', async () => {
    const w = await world();
    const m2 = await call('/v1/assets', { headers: w.m2.auth });
    expect(m2.status).toBe(200);
    expect(ids(m2)).toEqual([w.bridge.id, w.culvert.id, w.crane.id, w.pump.id]);
    expect(m2.body.count).toBe(4);
    expect(m2.body.next).toBeNull();
    expect(m2.body.previous).toBeNull();
    expect(roundTrips(m2)).toBe(1);
    expect(m2.body.results[0]).toEqual(w.bridge);

    for (const query of ['search=secret', 'search=hidden', 'search=SP', `project=${w.secret.id}`, 'bbox=3.9,51.9,4.1,52.1', 'asset_status=To Be Inspected&asset_type=pump']) {
      const a = await call(`/v1/assets?${query}`, { headers: w.m2.auth });
      expect(a.status, query).toBe(200);
      expect(ids(a), query).not.toContain(w.hidden.id);
      expect(a.body.count, query).toBe(a.body.results.length);
    }
    expect((await call(`/v1/assets?project=${w.secret.id}`, { headers: w.m2.auth })).body).toEqual({ count: 0, next: null, previous: null, results: [] });

    for (const who of [w.m1, w.admin]) {
      const a = await call('/v1/assets', { headers: who.auth });
      expect(a.body.count, who.username).toBe(5);
      expect(ids(a)).toEqual([w.bridge.id, w.culvert.id, w.crane.id, w.pump.id, w.hidden.id]);
      expect(ids(await call('/v1/assets?search=secret', { headers: who.auth }))).toEqual([w.hidden.id]);
    }
    const openList = await call(`/v1/projects/${w.open.id}/assets`, { headers: w.m2.auth });
    expect(ids(openList)).toEqual([w.bridge.id, w.culvert.id, w.pump.id]);
    expect(openList.body.count).toBe(3);
    expect(roundTrips(openList)).toBe(1);
    const secretList = await call(`/v1/projects/${w.secret.id}/assets`, { headers: w.m1.auth });
    expect(ids(secretList)).toEqual([w.hidden.id]);
    expect(roundTrips(secretList)).toBe(1);

    const outsider = await call('/v1/assets', { headers: w.outsider.auth });
    expect(ids(outsider)).toEqual([w.theirs.id]);
    expect(outsider.body.count).toBe(1);
    const su = await makeUser({ superuser: true });
    expect(ids(await call(`/v1/assets?organization=${w.org.slug}`, { headers: su.auth }))).toEqual([w.bridge.id, w.culvert.id, w.crane.id, w.pump.id, w.hidden.id]);
  });

  it("answers 404 (as missing) for a hidden project's list, in one round trip", async () => {
    const w = await world();
    for (const [who, project] of [[w.m2, w.secret], [w.outsider, w.secret], [w.outsider, w.open]] as const) {
      const a = await call(`/v1/projects/${project.id}/assets`, { headers: who.auth });
      expectProblem(a, 404, 'not-found');
      expect(sameProblem(a)).toEqual(await missingProject(who, '/assets'));
      expect(roundTrips(a)).toBe(1);
      const geo = await call(`/v1/projects/${project.id}/assets`, { headers: { ...who.auth, Accept: GEO } });
      expectProblem(geo, 404, 'not-found');
    }
  });

  it('filters by project, organization, asset_status, asset_type and combinations', async () => {
    const w = await world();
    const q = async (query: string, who = w.m2, base = '/v1/assets') => {
      const a = await call(`${base}?${query}`, { headers: who.auth });
      expect(a.status, `${query}: ${a.text}`).toBe(200);
      expect(a.body.count, query).toBe(a.body.results.length);
      expect(roundTrips(a)).toBe(1);
      return ids(a);
    };
    expect(await q(`project=${w.open.id}`)).toEqual([w.bridge.id, w.culvert.id, w.pump.id]);
    expect(await q(`project=${w.secret.id}`, w.m1)).toEqual([w.hidden.id]);
    expect(await q(`project=${newId('prj')}`)).toEqual([]);
    expect(await q(`organization=${w.org.slug}`)).toEqual([w.bridge.id, w.culvert.id, w.crane.id, w.pump.id]);
    expect(await q(`organization=${w.org.slug.toUpperCase()}`)).toEqual([w.bridge.id, w.culvert.id, w.crane.id, w.pump.id]);
    expect(await q(`organization=${w.org.id}`, w.m1)).toEqual([w.bridge.id, w.culvert.id, w.crane.id, w.pump.id, w.hidden.id]);
    expect(await q(`organization=${w.outsiderOrg.slug}`)).toEqual([]);
    expect(await q(`organization=${w.org.slug}`, w.outsider)).toEqual([]);
    expect(await q(`organization=${w.outsiderOrg.slug}`, w.outsider)).toEqual([w.theirs.id]);
    expect(await q('asset_status=To%20Be%20Inspected')).toEqual([w.pump.id]);
    expect(await q('asset_status=To+Be+Inspected', w.m1)).toEqual([w.pump.id, w.hidden.id]);
    expect(await q('asset_status=Needs%20Repair')).toEqual([w.culvert.id]);
    expect(await q('asset_status=Retired')).toEqual([]);
    expect(await q('asset_status=Active')).toEqual([w.bridge.id, w.crane.id]);
    expect(await q('asset_type=pump')).toEqual([w.pump.id]);
    expect(await q('asset_type=pump', w.m1)).toEqual([w.pump.id, w.hidden.id]);
    expect(await q('asset_type=crane')).toEqual([w.crane.id]);
    expect(await q('asset_type=Pump')).toEqual([]);
    expect(await q(`asset_type=pump&organization=${w.org.slug}&asset_status=To%20Be%20Inspected`, w.m1)).toEqual([w.pump.id, w.hidden.id]);
    expect(await q(`asset_type=pump&project=${w.open.id}`, w.m1)).toEqual([w.pump.id]);
    // The project route takes the same filters.
    expect(await q('asset_type=bridge', w.m2, `/v1/projects/${w.open.id}/assets`)).toEqual([w.bridge.id]);
    expect(await q('asset_status=To%20Be%20Inspected', w.m2, `/v1/projects/${w.open.id}/assets`)).toEqual([w.pump.id]);
    expect(await q('asset_type=crane', w.admin, `/v1/projects/${w.open.id}/assets`)).toEqual([]);

    for (const base of ['/v1/assets', `/v1/projects/${w.open.id}/assets`]) {
      const bad = await call(`${base}?asset_status=Broken`, { headers: w.m2.auth });
      expectProblem(bad, 400, 'invalid-request');
      expect(paths(bad)).toEqual(['asset_status']);
    }
  });

  it('filters by bbox: inside, outside, on the edge; 400 naming bbox for a bad box', async () => {
    const w = await world();
    const names = new Map([w.bridge, w.crane, w.pump, w.hidden, w.culvert].map((a) => [a.id, a.name]));
    const q = async (bbox: string, who = w.m1, base = '/v1/assets') => {
      const a = await call(`${base}?bbox=${bbox}`, { headers: who.auth });
      expect(a.status, `${bbox}: ${a.text}`).toBe(200);
      expect(a.body.count, bbox).toBe(a.body.results.length);
      expect(roundTrips(a)).toBe(1);
      // Named, so that a failure says which box.
      return [bbox, ids(a).map((id: string) => names.get(id))];
    };
    // Inside.
    expect(await q('4.8,52.3,5.0,52.4')).toEqual(['4.8,52.3,5.0,52.4', [w.bridge.name]]);
    expect(await q('3,51,9,53')).toEqual(['3,51,9,53', [w.bridge.name, w.hidden.name]]);
    expect(await q('3,51,9,53', w.m2)).toEqual(['3,51,9,53', [w.bridge.name]]);
    expect(await q('-180,-90,180,90')).toEqual(['-180,-90,180,90', [w.bridge.name, w.crane.name, w.pump.name, w.hidden.name]]);
    expect(await q('-1,51,0,52')).toEqual(['-1,51,0,52', [w.crane.name]]);
    // Outside.
    expect(await q('4.9,52.3,5.0,52.4')).toEqual(['4.9,52.3,5.0,52.4', []]);
    expect(await q('10,10,20,20')).toEqual(['10,10,20,20', []]);
    expect(await q('-180,-90,-179,-89')).toEqual(['-180,-90,-179,-89', []]);
    // On the edge (coordinates that are exact in binary, and ones that are not).
    expect(await q('8.5,47.5,9,48')).toEqual(['8.5,47.5,9,48', [w.pump.name]]);
    expect(await q('8,47,8.5,47.5')).toEqual(['8,47,8.5,47.5', [w.pump.name]]);
    expect(await q('8.5,47.5,8.5,47.5')).toEqual(['8.5,47.5,8.5,47.5', [w.pump.name]]);
    expect(await q('4.893604,52.37276,5,53')).toEqual(['4.893604,52.37276,5,53', [w.bridge.name]]);
    expect(await q('4,52,4.893604,52.37276')).toEqual(['4,52,4.893604,52.37276', [w.bridge.name, w.hidden.name]]);
    expect(await q('4.893604,52.37276,4.893604,52.37276')).toEqual(['4.893604,52.37276,4.893604,52.37276', [w.bridge.name]]);
    expect(await q('-0.125,51.5,-0.125,51.5')).toEqual(['-0.125,51.5,-0.125,51.5', [w.crane.name]]);
    // Just past the edge.
    expect(await q('4.893605,52.37276,5,53')).toEqual(['4.893605,52.37276,5,53', []]);
    expect(await q('4,52,4.893603,52.37276')).toEqual(['4,52,4.893603,52.37276', [w.hidden.name]]);
    // Closer than the R*Tree's 32-bit precision (4.893604 is stored as 4.8936038..4.8936043).
    expect(await q('4.8936041,52.37276,5,53')).toEqual(['4.8936041,52.37276,5,53', []]);
    expect(await q('4,52,4.8936039,52.37276')).toEqual(['4,52,4.8936039,52.37276', [w.hidden.name]]);
    expect(await q('4.8,52.3727601,5,53')).toEqual(['4.8,52.3727601,5,53', []]);
    // With spaces, in the project route, combined with filters.
    expect(await q('4.8, 52.3, 5.0, 52.4', w.m2, `/v1/projects/${w.open.id}/assets`)).toEqual(['4.8, 52.3, 5.0, 52.4', [w.bridge.name]]);
    expect(await q('-0.2,51.4,+.1,51.6')).toEqual(['-0.2,51.4,+.1,51.6', [w.crane.name]]);
    expect(await q('-180,-90,180,90&asset_type=pump', w.m2)).toEqual(['-180,-90,180,90&asset_type=pump', [w.pump.name]]);

    for (const bad of ['', '1,2,3', '1,2,3,4,5', 'a,b,c,d', '5,0,1,1', '0,5,1,1', '-181,0,0,1', '0,-91,1,1', '0,0,181,1', '0,0,1,91', '1,,2,3', ' ,0,1,1', '0x10,0,20,1', '1e1,0,20,1', 'NaN,0,1,1', 'Infinity,0,1,1', '1;2;3;4']) {
      for (const base of ['/v1/assets', `/v1/projects/${w.open.id}/assets`]) {
        const a = await call(`${base}?bbox=${encodeURIComponent(bad)}`, { headers: w.m1.auth });
        expect(a.status, `bbox=${bad}`).toBe(400);
        expectProblem(a, 400, 'invalid-request');
        expect(paths(a), `bbox=${bad}`).toEqual(['bbox']);
      }
    }
  });

  it('searches name, asset_tag and description: prefix, case and accent insensitive, every word', async () => {
    const w = await world();
    const s = async (text: string, who = w.m1, base = '/v1/assets') => {
      const a = await call(`${base}?search=${encodeURIComponent(text)}`, { headers: who.auth });
      expect(a.status, `${text}: ${a.text}`).toBe(200);
      expect(a.body.count, text).toBe(a.body.results.length);
      expect(roundTrips(a)).toBe(1);
      return ids(a);
    };
    expect(await s('pum')).toEqual([w.pump.id, w.hidden.id]); // name prefix
    expect(await s('pum', w.m2)).toEqual([w.pump.id]);
    expect(await s('PUMP STATION')).toEqual([w.pump.id]); // case, every word
    expect(await s('zurich')).toEqual([w.pump.id]); // accent in the data
    expect(await s('Zür')).toEqual([w.pump.id]);
    expect(await s('ZÜRICH')).toEqual([w.pump.id]);
    expect(await s('cafe')).toEqual([w.bridge.id]); // description, accent
    expect(await s('CAFÉ')).toEqual([w.bridge.id]);
    expect(await s('steel cross')).toEqual([w.bridge.id]);
    expect(await s('steel pump')).toEqual([]);
    expect(await s('water')).toEqual([w.pump.id, w.hidden.id]); // description
    expect(await s('PS-001')).toEqual([w.pump.id]); // asset_tag
    expect(await s('ps 001')).toEqual([w.pump.id]);
    expect(await s('br')).toEqual([w.bridge.id]); // tag and name prefix
    expect(await s('CR-1')).toEqual([w.crane.id]);
    expect(await s('sp')).toEqual([w.hidden.id]);
    expect(await s('sp', w.m2)).toEqual([]);
    // Search with filters and in the project route.
    expect(await s('water', w.m1, `/v1/projects/${w.open.id}/assets`)).toEqual([w.pump.id]);
    const combined = await call(`/v1/assets?search=pump&asset_status=To%20Be%20Inspected&organization=${w.org.slug}`, { headers: w.m1.auth });
    expect(ids(combined)).toEqual([w.pump.id, w.hidden.id]);
    // The other organisation's pump is never found.
    expect(await s('foreign')).toEqual([]);
  });

  it('answers 200 (never 500) for FTS operators, quotes and parentheses, treating them as words', async () => {
    const w = await world();
    const s = async (text: string, who = w.m2) => {
      const a = await call(`/v1/assets?search=${encodeURIComponent(text)}`, { headers: who.auth });
      expect(a.status, `${text}: ${a.text}`).toBe(200);
      expect(ids(a), text).not.toContain(w.hidden.id);
      return ids(a);
    };
    for (const text of ['"unbalanced AND (', 'pump OR', 'NOT', 'NEAR(pump station)', '*', '^pump', '-', '"', "'; DROP TABLE assets; --", '{name}: x', '!!!', 'pump:', 'a AND b OR c NOT d']) {
      await s(text);
    }
    expect(await s('"pump')).toEqual([w.pump.id]);
    expect(await s('pump*')).toEqual([w.pump.id]);
    expect(await s('(station)')).toEqual([w.pump.id]);
    expect(await s('^pump')).toEqual([w.pump.id]);
    expect(await s('name:pump')).toEqual([]); // "name" is a word here, not a column filter
    expect(await s('asset_tag:PS')).toEqual([]);
    expect(await s('pump NOT station')).toEqual([]); // NOT is a word, every word must match
    expect(await s('pump OR bridge')).toEqual([]);
    expect(await s('*')).toEqual([]);
    expect(await s('!!!')).toEqual([]);
    expect(await count('assets', 'id = ?', w.hidden.id)).toBe(1);
    const tooLong = await call(`/v1/assets?search=${'a'.repeat(101)}`, { headers: w.m2.auth });
    expectProblem(tooLong, 400, 'invalid-request');
    expect(paths(tooLong)).toEqual(['search']);
  });

  it('orders by name, -name, created_at, -created_at and -updated_at; 400 naming ordering otherwise', async () => {
    const { admin, org } = await orgWithOutsider(0);
    const p = await createProject(admin, org);
    const made: Row[] = [];
    for (const name of ['Mike', 'Alpha', 'Zulu', 'Echo']) {
      made.push(await createAsset(admin, p.id, { name }));
      await tick();
    }
    const list = async (ordering: string, base = `/v1/projects/${p.id}/assets?`) => {
      const a = await call(`${base}ordering=${ordering}`, { headers: admin.auth });
      expect(a.status, a.text).toBe(200);
      return a;
    };
    expect(names(await list('name'))).toEqual(['Alpha', 'Echo', 'Mike', 'Zulu']);
    expect(names(await list(''))).toEqual(['Alpha', 'Echo', 'Mike', 'Zulu']);
    expect(names(await list('-name'))).toEqual(['Zulu', 'Mike', 'Echo', 'Alpha']);
    expect(ids(await list('created_at'))).toEqual(made.map((a) => a.id));
    expect(ids(await list('-created_at'))).toEqual(made.map((a) => a.id).reverse());
    await tick();
    const touched = await call(`/v1/assets/${made[1]!.id}`, { method: 'PATCH', headers: admin.auth, json: { description: 'touched' } });
    expect(touched.status).toBe(200);
    expect(touched.body.updated_at > touched.body.created_at).toBe(true);
    expect(ids(await list('-updated_at'))).toEqual([made[1]!.id, made[3]!.id, made[2]!.id, made[0]!.id]);
    expect(ids(await list('updated_at'))).toEqual([made[0]!.id, made[2]!.id, made[3]!.id, made[1]!.id]);
    expect(ids(await list('-updated_at', `/v1/assets?organization=${org.slug}&`))).toEqual([made[1]!.id, made[3]!.id, made[2]!.id, made[0]!.id]);
    for (const bad of ['asset_tag', '-lat', 'name,nope', 'seq']) {
      for (const base of ['/v1/assets', `/v1/projects/${p.id}/assets`]) {
        const a = await call(`${base}?ordering=${bad}`, { headers: admin.auth });
        expectProblem(a, 400, 'invalid-request');
        expect(paths(a)).toEqual(['ordering']);
      }
    }
  });

  it('walks next links with limit=3, each asset exactly once, while assets are added between pages', async () => {
    const { admin, org } = await orgWithOutsider(0);
    const p = await createProject(admin, org);
    const made: Row[] = [];
    for (const name of ['Walk B', 'Walk C', 'Walk D', 'Walk E', 'Walk F', 'Walk G', 'Walk H', 'Walk I']) {
      made.push(await createAsset(admin, p.id, { name }));
    }
    // The second walk sees the first walk's additions; its own early ones sort before those.
    for (const [base, earlyPrefix] of [
      [`/v1/projects/${p.id}/assets?limit=3`, 'Walk 5'],
      [`/v1/assets?organization=${org.slug}&limit=3`, 'Walk 1'],
    ] as const) {
      const first = await call(base, { headers: admin.auth });
      expect(first.status).toBe(200);
      const startCount = first.body.count;
      expect(first.body.results).toHaveLength(3);
      expect(first.body.previous).toBeNull();
      const rel = links(first.headers.get('Link'));
      expect(Object.keys(rel).sort()).toEqual(['first', 'last', 'next']);
      expect(rel.next).toBe(first.body.next);
      expect(roundTrips(first)).toBe(1);

      const seen: string[] = [...ids(first)];
      const late: Row[] = [];
      const early: string[] = [];
      let total = startCount;
      let page: Answer = first;
      let pages = 1;
      while (page.body.next) {
        // One before the cursor (an offset pager would repeat a row) and one after it (must be reached).
        early.push((await createAsset(admin, p.id, { name: `${earlyPrefix}-${pages}` })).id);
        late.push(await createAsset(admin, p.id, { name: `Walk Z${pages}` }));
        total += 2;
        const next: Answer = await call(page.body.next, { headers: admin.auth });
        expect(next.status).toBe(200);
        expect(next.body.count).toBe(total);
        expect(roundTrips(next)).toBe(1);
        expect(next.body.previous).not.toBeNull();
        const r = links(next.headers.get('Link'));
        expect(r.prev).toBe(next.body.previous);
        expect(r.next).toBe(next.body.next ?? undefined);
        expect(new URL(next.body.next ?? next.body.previous).searchParams.get('limit')).toBe('3');
        seen.push(...ids(next));
        page = next;
        pages += 1;
        expect(pages).toBeLessThan(20);
      }
      expect(new Set(seen).size).toBe(seen.length);
      // Everything in name order but what was added before the cursor during the walk.
      const expected = ids(await call(`/v1/projects/${p.id}/assets?limit=200`, { headers: admin.auth })).filter((id: string) => !early.includes(id));
      expect(seen).toEqual(expected);
      for (const m of made) expect(seen).toContain(m.id);
      for (const l of late) expect(seen).toContain(l.id);
    }
  });

  it('goes back through previous links, and pages with page/page_size and limit/offset', async () => {
    const { admin, org } = await orgWithOutsider(0);
    const p = await createProject(admin, org);
    for (const name of ['Back A', 'Back B', 'Back C', 'Back D', 'Back E']) await createAsset(admin, p.id, { name });
    const first = await call(`/v1/projects/${p.id}/assets?limit=2&ordering=-name`, { headers: admin.auth });
    expect(names(first)).toEqual(['Back E', 'Back D']);
    const second = await call(first.body.next, { headers: admin.auth });
    expect(names(second)).toEqual(['Back C', 'Back B']);
    const third = await call(second.body.next, { headers: admin.auth });
    expect(names(third)).toEqual(['Back A']);
    expect(third.body.next).toBeNull();
    expect((await call(third.body.previous, { headers: admin.auth })).body.results).toEqual(second.body.results);
    const last = await call(links(first.headers.get('Link')).last!, { headers: admin.auth });
    expect(names(last)).toEqual(['Back B', 'Back A']);

    const p2 = await call(`/v1/projects/${p.id}/assets?page=2&page_size=2`, { headers: admin.auth });
    expect(names(p2)).toEqual(['Back C', 'Back D']);
    expect(names(await call(p2.body.next, { headers: admin.auth }))).toEqual(['Back E']);
    expect(names(await call(`/v1/assets?organization=${org.slug}&limit=2&offset=3`, { headers: admin.auth }))).toEqual(['Back D', 'Back E']);
    for (const bad of ['limit=0', 'limit=201', 'page=0', 'offset=-1']) {
      const a = await call(`/v1/projects/${p.id}/assets?${bad}`, { headers: admin.auth });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a)).toEqual([bad.split('=')[0]]);
    }
  });

  it('an offset page (found by key first) holds the rows of that slice of the whole list, in every ordering and with filters, for a caller who sees only some of them', async () => {
    const { admin, member, org } = await orgWithOutsider(1);
    const open = await createProject(admin, org);
    const closed = await createProject(admin, org, { access: 'private' });
    for (let i = 0; i < 9; i++) await createAsset(admin, i % 3 === 0 ? closed.id : open.id, { name: `Slice ${(i * 7) % 9}`, asset_status: i % 2 ? 'Retired' : 'Active' });
    for (const query of ['', '&ordering=-name', '&ordering=-updated_at,name', '&asset_status=Retired', `&project=${open.id}`]) {
      const whole = await call(`/v1/assets?organization=${org.slug}&limit=200${query}`, { headers: member.auth });
      expect(whole.body.results).toHaveLength(query.includes('Retired') ? 3 : 6);
      for (const [offset, limit] of [[1, 2], [2, 3], [5, 2]] as const) {
        const page = await call(`/v1/assets?organization=${org.slug}&offset=${offset}&limit=${limit}${query}`, { headers: member.auth });
        expect(page.status, page.text).toBe(200);
        expect(page.body.results, `${query} ${offset}`).toEqual(whole.body.results.slice(offset, offset + limit));
        expect(page.body.next !== null, `${query} ${offset}`).toBe(offset + limit < whole.body.results.length);
      }
    }
    const scoped = await call(`/v1/projects/${open.id}/assets?page=2&page_size=4`, { headers: member.auth });
    expect(names(scoped)).toEqual(names(await call(`/v1/projects/${open.id}/assets?limit=200`, { headers: member.auth })).slice(4));
  });
});

describe('GeoJSON', () => {
  async function mapWorld() {
    const { admin, member, members, org, outsider } = await orgWithOutsider(2);
    const p = await createProject(admin, org);
    const priv = await createProject(admin, org, { access: 'private' });
    const a = await createAsset(admin, p.id, { name: 'A Hydrant', asset_tag: 'H-1', asset_type: 'hydrant', lat: 52.5, lon: 13.25, attributes: { colour: 'red' } });
    const b = await createAsset(admin, p.id, { name: 'B Hydrant', asset_type: 'hydrant', lat: '-33.5', lon: '18.75', in_service_date: '11/23/2018' });
    const none = await createAsset(admin, p.id, { name: 'C Nowhere', asset_type: 'hydrant' });
    const halfway = await createAsset(admin, p.id, { name: 'D Half', asset_type: 'hydrant', lat: 10 });
    const hidden = await createAsset(admin, priv.id, { name: 'E Hidden', asset_type: 'hydrant', lat: 1, lon: 1 });
    const alone = await createOrgAsset(admin, org, { name: 'F Alone', lat: 0, lon: 0 });
    return { admin, member, other: members[1]!, org, outsider, p, priv, a, b, none, halfway, hidden, alone };
  }

  function feature(asset: Row) {
    const { lat, lon, ...properties } = asset;
    return { type: 'Feature', id: asset.id, geometry: { type: 'Point', coordinates: [lon, lat] }, properties };
  }

  it('answers a FeatureCollection of Points [lon, lat] with the asset fields in properties, on both routes', async () => {
    const w = await mapWorld();
    for (const [path, expected] of [
      ['/v1/assets', [w.a, w.b, w.alone]],
      [`/v1/projects/${w.p.id}/assets`, [w.a, w.b]],
      [`/v1/assets?organization=${w.org.slug}&asset_type=hydrant`, [w.a, w.b]],
    ] as const) {
      const g = await call(path, { headers: { ...w.member.auth, Accept: GEO } });
      expect(g.status, g.text).toBe(200);
      expect(g.headers.get('Content-Type')).toBe(GEO);
      expect(g.headers.get('Vary')).toContain('Accept');
      expect(g.body).toEqual({ type: 'FeatureCollection', features: expected.map(feature), count: expected.length, next: null, previous: null });
      for (const f of g.body.features) {
        expect(f.properties).not.toHaveProperty('lat');
        expect(f.properties).not.toHaveProperty('lon');
      }
      expect(Object.keys(links(g.headers.get('Link'))).sort()).toEqual(['first', 'last']);
      expect(roundTrips(g)).toBe(1);
      // The JSON list of the same path still has everything (with and without coordinates).
      const j = await call(path, { headers: w.member.auth });
      expect(j.headers.get('Content-Type')).toContain('application/json');
      expect(j.body.count).toBeGreaterThan(g.body.count);
    }
    const first = (await call('/v1/assets', { headers: { ...w.member.auth, Accept: GEO } })).body.features[0];
    expect(first.geometry.coordinates).toEqual([13.25, 52.5]);
    expect(first.properties).toMatchObject({ name: 'A Hydrant', asset_tag: 'H-1', attributes: { colour: 'red' }, project: { id: w.p.id } });
    // Accept listing both, as a map client might.
    const both = await call('/v1/assets', { headers: { ...w.member.auth, Accept: `${GEO}, application/json;q=0.9` } });
    expect(both.headers.get('Content-Type')).toBe(GEO);
    expect(both.body.type).toBe('FeatureCollection');
    // The q-values decide: JSON preferred, GeoJSON refused (q=0), or only wildcards: the JSON page.
    for (const accept of [`${GEO};q=0.5, application/json`, `${GEO};q=0`, '*/*', 'application/*']) {
      const a = await call('/v1/assets', { headers: { ...w.member.auth, Accept: accept } });
      expect(a.headers.get('Content-Type'), accept).toBe('application/json');
      expect(a.body.results, accept).toBeInstanceOf(Array);
      expect(a.headers.get('Vary')).toContain('Accept');
    }
  });

  it('leaves out assets without both coordinates and what the caller may not see; counts only what it draws', async () => {
    const w = await mapWorld();
    const g = await call(`/v1/assets?organization=${w.org.slug}`, { headers: { ...w.admin.auth, Accept: GEO } });
    expect(featureIds(g)).toEqual([w.a.id, w.b.id, w.hidden.id, w.alone.id]);
    expect(g.body.count).toBe(4);
    expect(featureIds(g)).not.toContain(w.none.id);
    expect(featureIds(g)).not.toContain(w.halfway.id);
    const member = await call(`/v1/assets?organization=${w.org.slug}`, { headers: { ...w.member.auth, Accept: GEO } });
    expect(featureIds(member)).toEqual([w.a.id, w.b.id, w.alone.id]);
    const outsider = await call('/v1/assets', { headers: { ...w.outsider.auth, Accept: GEO } });
    expect(outsider.body).toEqual({ type: 'FeatureCollection', features: [], count: 0, next: null, previous: null });
    const privList = await call(`/v1/projects/${w.priv.id}/assets`, { headers: { ...w.member.auth, Accept: GEO } });
    expectProblem(privList, 404, 'not-found');
  });

  it('takes bbox, search and paging: count, next and previous members walk the features', async () => {
    const w = await mapWorld();
    const inBox = await call(`/v1/assets?bbox=13,52,14,53`, { headers: { ...w.member.auth, Accept: GEO } });
    expect(inBox.headers.get('Content-Type')).toBe(GEO);
    expect(featureIds(inBox)).toEqual([w.a.id]);
    expect(inBox.body.count).toBe(1);
    const south = await call(`/v1/projects/${w.p.id}/assets?bbox=18,-34,19,-33`, { headers: { ...w.member.auth, Accept: GEO } });
    expect(south.body.features).toEqual([feature(w.b)]);
    expect(south.body.features[0].properties.in_service_date).toBe('2018-11-23');
    const empty = await call(`/v1/assets?bbox=100,0,101,1`, { headers: { ...w.member.auth, Accept: GEO } });
    expect(empty.body).toMatchObject({ features: [], count: 0 });
    const badBox = await call('/v1/assets?bbox=1,2,3', { headers: { ...w.member.auth, Accept: GEO } });
    expectProblem(badBox, 400, 'invalid-request');
    expect(paths(badBox)).toEqual(['bbox']);
    const searched = await call('/v1/assets?search=hydrant', { headers: { ...w.member.auth, Accept: GEO } });
    expect(featureIds(searched)).toEqual([w.a.id, w.b.id]);

    // One feature per page: full pages even though C and D (no point) sort between them.
    const seen: string[] = [];
    let page = await call(`/v1/assets?organization=${w.org.slug}&limit=1`, { headers: { ...w.admin.auth, Accept: GEO } });
    expect(page.body.previous).toBeNull();
    for (let i = 0; i < 10; i++) {
      expect(page.status).toBe(200);
      expect(page.headers.get('Content-Type')).toBe(GEO);
      expect(page.body.count).toBe(4);
      expect(page.body.features).toHaveLength(1);
      expect(links(page.headers.get('Link')).next).toBe(page.body.next ?? undefined);
      seen.push(...featureIds(page));
      if (!page.body.next) break;
      page = await call(page.body.next, { headers: { ...w.admin.auth, Accept: GEO } });
      expect(page.body.previous).not.toBeNull();
    }
    expect(seen).toEqual([w.a.id, w.b.id, w.hidden.id, w.alone.id]);
    const back = await call(page.body.previous, { headers: { ...w.admin.auth, Accept: GEO } });
    expect(featureIds(back)).toEqual([w.hidden.id]);
  });
});

describe('update (PATCH, PUT)', () => {
  it('lets an editor PATCH with a new ETag; GET shows the same; null clears', async () => {
    const { editor, viewer, p } = await team();
    const asset = await createAsset(editor, p.id, { name: 'Before', asset_tag: 'T-1', lat: 1, lon: 2, attributes: { a: 1 } });
    const before = await call(`/v1/assets/${asset.id}`, { headers: editor.auth });
    await tick();
    const a = await call(`/v1/assets/${asset.id}`, {
      method: 'PATCH',
      headers: editor.auth,
      json: { name: 'After', asset_status: 'Under Repair', lat: '-33.5', lon: 18.25, in_service_date: '12/31/2020', attributes: { b: [1, 2] } },
    });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toEqual({
      ...before.body,
      name: 'After',
      asset_status: 'Under Repair',
      lat: -33.5,
      lon: 18.25,
      in_service_date: '2020-12-31',
      attributes: { b: [1, 2] },
      updated_at: a.body.updated_at,
    });
    expect(a.body.updated_at > before.body.updated_at).toBe(true);
    expect(a.headers.get('ETag')).toMatch(/^"[^"]+"$/);
    expect(a.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    const after = await call(`/v1/assets/${asset.id}`, { headers: viewer.auth });
    expect(after.body).toEqual(a.body);
    expect(after.headers.get('ETag')).toBe(a.headers.get('ETag'));
    const cleared = await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { asset_tag: null, lat: null, in_service_date: null } });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body).toMatchObject({ asset_tag: null, lat: null, lon: 18.25, in_service_date: null, name: 'After' });
  });

  it('answers 403 to viewers and plain members, 404 (as missing) to those who cannot see; org-level assets are admin-written', async () => {
    const { admin, manager, viewer, bystander, org, outsider, p } = await team();
    const asset = await createAsset(manager, p.id, { name: 'Guarded' });
    const alone = await createOrgAsset(admin, org, { name: 'Org Guarded' });
    for (const [method, json] of [['PATCH', { name: 'Taken' }], ['PUT', { name: 'Taken' }], ['DELETE', undefined]] as const) {
      for (const who of [viewer, bystander]) {
        expectProblem(await call(`/v1/assets/${asset.id}`, { method, headers: who.auth, json }), 403, 'forbidden');
        expectProblem(await call(`/v1/assets/${alone.id}`, { method, headers: who.auth, json }), 403, 'forbidden');
      }
      // A manager of a project has no say over an asset of the organisation alone.
      expectProblem(await call(`/v1/assets/${alone.id}`, { method, headers: manager.auth, json }), 403, 'forbidden');
      for (const id of [asset.id, alone.id]) {
        const hidden = await call(`/v1/assets/${id}`, { method, headers: outsider.auth, json });
        expectProblem(hidden, 404, 'not-found');
        expect(sameProblem(hidden)).toEqual(await missingAsset(outsider, method, json));
      }
    }
    expect((await call(`/v1/assets/${asset.id}`, { headers: manager.auth })).body).toEqual(asset);
    expect((await call(`/v1/assets/${alone.id}`, { headers: admin.auth })).body).toEqual(alone);
    const byAdmin = await call(`/v1/assets/${alone.id}`, { method: 'PATCH', headers: admin.auth, json: { name: 'Admin wrote' } });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.name).toBe('Admin wrote');
    const adminOnProject = await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: admin.auth, json: { name: 'Admin too' } });
    expect(adminOnProject.status).toBe(200);

    const priv = await createProject(manager, org, { access: 'private' });
    const secret = await createAsset(manager, priv.id);
    for (const method of ['PATCH', 'PUT']) {
      const a = await call(`/v1/assets/${secret.id}`, { method, headers: bystander.auth, json: { name: 'x' } });
      expect(sameProblem(a)).toEqual(await missingAsset(bystander, method, { name: 'x' }));
    }
  });

  it('answers 412 to a stale If-Match on PATCH, PUT and DELETE, 200 to the current one', async () => {
    const { editor, p } = await team();
    const asset = await createAsset(editor, p.id, { name: 'Versioned', description: 'zero' });
    const stale = (await call(`/v1/assets/${asset.id}`, { headers: editor.auth })).headers.get('ETag')!;
    const one = await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: { ...editor.auth, 'If-Match': stale }, json: { description: 'one' } });
    expect(one.status, one.text).toBe(200);
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: { ...editor.auth, 'If-Match': stale }, json: { description: 'two' } }), 412, 'precondition-failed');
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'PUT', headers: { ...editor.auth, 'If-Match': stale }, json: { name: 'two' } }), 412, 'precondition-failed');
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: { ...editor.auth, 'If-Match': stale } }), 412, 'precondition-failed');
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: { ...editor.auth, 'If-Match': '"made-up"' }, json: { description: 'two' } }), 412);
    const now = await call(`/v1/assets/${asset.id}`, { headers: editor.auth });
    expect(now.body).toMatchObject({ name: 'Versioned', description: 'one' });
    expect(now.headers.get('ETag')).toBe(one.headers.get('ETag'));
    const current = await call(`/v1/assets/${asset.id}`, { method: 'PUT', headers: { ...editor.auth, 'If-Match': one.headers.get('ETag')! }, json: { name: 'Three' } });
    expect(current.status).toBe(200);
    expect(current.body.name).toBe('Three');
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: { ...editor.auth, 'If-Match': '*' }, json: { description: 'star' } })).status).toBe(200);
  });

  it('answers 409 naming asset_tag when changing to a tag taken in the organisation', async () => {
    const { admin, editor, manager, org, p } = await team();
    const p2 = await createProject(manager, org);
    await createAsset(manager, p2.id, { asset_tag: 'TAKEN' });
    await createOrgAsset(admin, org, { asset_tag: 'ORG-TAKEN' });
    const asset = await createAsset(editor, p.id, { name: 'Retag', asset_tag: 'MINE' });
    for (const [method, tag] of [['PATCH', 'TAKEN'], ['PUT', 'TAKEN'], ['PATCH', 'ORG-TAKEN']] as const) {
      const a = await call(`/v1/assets/${asset.id}`, { method, headers: editor.auth, json: { name: 'Retag', asset_tag: tag } });
      expectProblem(a, 409, 'conflict');
      expect(a.body.errors).toEqual([{ path: 'asset_tag', message: expect.any(String) }]);
    }
    expect((await call(`/v1/assets/${asset.id}`, { headers: editor.auth })).body).toEqual(asset);
    // Its own tag again, and a free one, are fine.
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { asset_tag: 'MINE' } })).status).toBe(200);
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { asset_tag: 'FREE' } })).body.asset_tag).toBe('FREE');
  });

  it('answers 400 naming the field', async () => {
    const { editor, p } = await team();
    const asset = await createAsset(editor, p.id);
    const cases: [string, string, unknown][] = [
      ['PATCH', 'lat', { lat: 91 }],
      ['PATCH', 'lon', { lon: 'abc' }],
      ['PATCH', 'asset_status', { asset_status: 'Gone' }],
      ['PATCH', 'in_service_date', { in_service_date: '2018-13-45' }],
      ['PATCH', 'attributes', { attributes: { k: 'x'.repeat(16 * 1024) } }],
      ['PATCH', 'name', { name: '' }],
      // `project_id` moves the asset in a PATCH (test/moves.test.ts); a blank one is refused, and PUT does not take it.
      ['PATCH', 'project_id', { project_id: '' }],
      ['PUT', 'project_id', { name: 'x', project_id: p.id }],
      ['PATCH', 'organization', { organization: 'elsewhere' }],
      ['PUT', 'name', { description: 'no name' }],
      ['PUT', 'lat', { name: 'x', lat: 91 }],
    ];
    for (const [method, path, json] of cases) {
      const a = await call(`/v1/assets/${asset.id}`, { method, headers: editor.auth, json });
      expectProblem(a, 400, 'invalid-request');
      expect(paths(a), `${method} ${JSON.stringify(json).slice(0, 60)}`).toEqual([path]);
    }
    expect((await call(`/v1/assets/${asset.id}`, { headers: editor.auth })).body).toEqual(asset);
  });

  it('PUT replaces every field: what is left out returns to its default; project, creator and created_at stay', async () => {
    const { editor, manager, p } = await team();
    const asset = await createAsset(manager, p.id, {
      asset_tag: 'FULL',
      name: 'Full',
      description: 'D',
      asset_type: 'pump',
      asset_subtype: 'sub',
      asset_status: 'Retired',
      location: 'L',
      lat: 5,
      lon: 6,
      in_service_date: '2018-11-23',
      attributes: { x: 1 },
    });
    const put = await call(`/v1/assets/${asset.id}`, { method: 'PUT', headers: editor.auth, json: { name: 'Replaced' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({
      ...asset,
      asset_tag: null,
      name: 'Replaced',
      description: '',
      asset_type: '',
      asset_subtype: '',
      asset_status: 'Active',
      location: '',
      lat: null,
      lon: null,
      in_service_date: null,
      attributes: {},
      updated_at: put.body.updated_at,
    });
    expect(put.headers.get('ETag')).not.toBe(null);
    expect((await call(`/v1/assets/${asset.id}`, { headers: editor.auth })).body).toEqual(put.body);
    expect(await count('assets', 'id = ? AND asset_tag IS NULL AND lat IS NULL AND attributes = ?', asset.id, '{}')).toBe(1);
    // The freed tag may be used again.
    expect((await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Reuse', asset_tag: 'FULL' } })).status).toBe(201);
  });

  it('keeps bbox (R*Tree) and search (FTS) in step with moves, renames and PUT', async () => {
    const { admin, editor, p } = await team();
    const asset = await createAsset(editor, p.id, { name: 'Wandering Buoy', asset_tag: 'WB-1', description: 'yellow float', lat: 10, lon: 20 });
    const box = async (bbox: string) => ids(await call(`/v1/projects/${p.id}/assets?bbox=${bbox}`, { headers: admin.auth }));
    const geoBox = async (bbox: string) => featureIds(await call(`/v1/assets?bbox=${bbox}`, { headers: { ...admin.auth, Accept: GEO } }));
    const find = async (text: string) => ids(await call(`/v1/assets?search=${encodeURIComponent(text)}`, { headers: admin.auth }));
    expect(await box('19,9,21,11')).toEqual([asset.id]);
    expect(await find('wandering')).toEqual([asset.id]);

    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { lat: -45.25, lon: 170.5 } })).status).toBe(200);
    expect(await box('19,9,21,11')).toEqual([]);
    expect(await box('170,-46,171,-45')).toEqual([asset.id]);
    expect(await geoBox('170,-46,171,-45')).toEqual([asset.id]);
    // Moving one coordinate alone moves the point.
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { lon: -170.5 } })).status).toBe(200);
    expect(await box('170,-46,171,-45')).toEqual([]);
    expect(await box('-171,-46,-170,-45')).toEqual([asset.id]);
    // Clearing a coordinate takes it off the map.
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { lat: null } })).status).toBe(200);
    expect(await box('-180,-90,180,90')).toEqual([]);
    expect(await geoBox('-180,-90,180,90')).toEqual([]);
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { lat: 0.5, lon: 0.5 } })).status).toBe(200);
    expect(await box('0,0,1,1')).toEqual([asset.id]);
    // A change of other fields leaves the point where it is.
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { asset_status: 'Retired' } })).status).toBe(200);
    expect(await box('0,0,1,1')).toEqual([asset.id]);

    const renamed = await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { name: 'Anchored Beacon' } });
    expect(renamed.status).toBe(200);
    expect(await find('wandering')).toEqual([]);
    expect(await find('anchored')).toEqual([asset.id]);
    expect(await find('yellow')).toEqual([asset.id]);
    expect(await find('WB')).toEqual([asset.id]);
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { asset_tag: 'XQ-9', description: 'red light' } })).status).toBe(200);
    expect(await find('WB')).toEqual([]);
    expect(await find('yellow')).toEqual([]);
    expect(await find('XQ')).toEqual([asset.id]);
    expect(await find('red light')).toEqual([asset.id]);
    // PUT clears the description, the tag and the point from both indexes.
    expect((await call(`/v1/assets/${asset.id}`, { method: 'PUT', headers: editor.auth, json: { name: 'Plain' } })).status).toBe(200);
    expect(await find('red')).toEqual([]);
    expect(await find('XQ')).toEqual([]);
    expect(await find('plain')).toEqual([asset.id]);
    expect(await box('-180,-90,180,90')).toEqual([]);
    const seq = (await env.DB.prepare('SELECT seq FROM assets WHERE id = ?').bind(asset.id).first<{ seq: number }>())!.seq;
    expect(await count('assets_rtree', 'seq = ?', seq)).toBe(0);
    expect(await count('assets_fts', 'rowid = ?', seq)).toBe(1);
  });

  it('answers 409 archived to writes in an archived project or organisation; reads still work', async () => {
    const { admin, manager, editor, org, p } = await team();
    const asset = await createAsset(editor, p.id, { name: 'Frozen' });
    const alone = await createOrgAsset(admin, org, { name: 'Frozen alone' });
    expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { archived: true } })).status).toBe(200);
    for (const who of [editor, manager, admin]) {
      for (const [method, json] of [['PATCH', { name: 'x' }], ['PUT', { name: 'x' }], ['DELETE', undefined]] as const) {
        expectProblem(await call(`/v1/assets/${asset.id}`, { method, headers: who.auth, json }), 409, 'archived');
      }
    }
    expect((await call(`/v1/assets/${asset.id}`, { headers: editor.auth })).body).toEqual(asset);
    expect((await call(`/v1/assets/${alone.id}`, { method: 'PATCH', headers: admin.auth, json: { description: 'fine' } })).status).toBe(200);

    expect((await call(`/v1/projects/${p.id}`, { method: 'PATCH', headers: manager.auth, json: { archived: false } })).status).toBe(200);
    expect((await call(`/v1/organizations/${org.slug}`, { method: 'PATCH', headers: admin.auth, json: { archived: true } })).status).toBe(200);
    for (const id of [asset.id, alone.id]) {
      expectProblem(await call(`/v1/assets/${id}`, { method: 'PATCH', headers: admin.auth, json: { name: 'x' } }), 409, 'archived');
      expectProblem(await call(`/v1/assets/${id}`, { method: 'DELETE', headers: admin.auth }), 409, 'archived');
      expect((await call(`/v1/assets/${id}`, { headers: admin.auth })).status).toBe(200);
    }
    expect(await count('assets', 'id IN (?, ?)', asset.id, alone.id)).toBe(2);
  });
});

describe('delete', () => {
  /** A blob row, its R2 object, for an organisation: what an upload would have written. */
  async function storedBlob(organizationId: string, kind: string) {
    const id = newId('blb');
    const key = `${organizationId}/${kind}/${id}`;
    const bytes = new TextEncoder().encode(`body of ${id}`);
    await env.FILES.put(key, bytes);
    await env.DB.prepare('INSERT INTO blobs (id, organization_id, r2_key, size, sha256, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(id, organizationId, key, bytes.byteLength, 'ab'.repeat(32), 'text/plain', Date.now())
      .run();
    return { id, key };
  }

  async function attachData(asset: Row, organizationId: string, folderId: string | null = null) {
    const blob = await storedBlob(organizationId, 'data');
    const id = newId('dat');
    const now = Date.now();
    await env.DB.prepare(
      'INSERT INTO data_files (id, asset_id, folder_id, name, mime_type, size, sha256, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
      .bind(id, asset.id, folderId, 'notes.txt', 'text/plain', 10, 'ab'.repeat(32), blob.id, now, now)
      .run();
    return { id, blob };
  }

  it('lets an editor delete: 204, then 404 everywhere; rows, indexes, and its deletion in the change log', async () => {
    const { editor, viewer, org, p } = await team();
    const asset = await createAsset(editor, p.id, { name: 'Doomed Derrick', asset_tag: 'DD-1', lat: 3, lon: 4 });
    const keep = await createAsset(editor, p.id, { name: 'Kept', lat: 3, lon: 4 });
    const seq = (await env.DB.prepare('SELECT seq FROM assets WHERE id = ?').bind(asset.id).first<{ seq: number }>())!.seq;
    const a = await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: editor.auth });
    expect(a.status, a.text).toBe(204);
    expect(a.text).toBe('');
    for (const who of [editor, viewer]) {
      const got = await call(`/v1/assets/${asset.id}`, { headers: who.auth });
      expectProblem(got, 404, 'not-found');
      expect(sameProblem(got)).toEqual(await missingAsset(who));
    }
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: editor.auth }), 404, 'not-found');
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'PATCH', headers: editor.auth, json: { name: 'x' } }), 404, 'not-found');
    expect(await count('assets', 'id = ?', asset.id)).toBe(0);
    expect(await count('assets_fts', 'rowid = ?', seq)).toBe(0);
    expect(await count('assets_rtree', 'seq = ?', seq)).toBe(0);
    expect(await count('changes', "op = 'delete' AND entity_type = 'asset' AND entity_id = ? AND organization_id = ?", asset.id, org.id)).toBe(1);
    const list = await call(`/v1/projects/${p.id}/assets`, { headers: viewer.auth });
    expect(ids(list)).toEqual([keep.id]);
    expect(list.body.count).toBe(1);
    expect(ids(await call('/v1/assets?search=derrick', { headers: viewer.auth }))).toEqual([]);
    expect(ids(await call('/v1/assets?bbox=3,2,5,4', { headers: viewer.auth }))).toEqual([keep.id]);
    // The tag is free again.
    expect((await call(`/v1/projects/${p.id}/assets`, { headers: editor.auth, json: { name: 'Reborn', asset_tag: 'DD-1' } })).status).toBe(201);
    // A current If-Match is fine.
    const etag = (await call(`/v1/assets/${keep.id}`, { headers: editor.auth })).headers.get('ETag')!;
    expect((await call(`/v1/assets/${keep.id}`, { method: 'DELETE', headers: { ...editor.auth, 'If-Match': etag } })).status).toBe(204);
  });

  it('removes the data files, folders, spheres and reports under it, their blob rows and R2 objects; others stay', async () => {
    const { manager, editor, org, p } = await team();
    const asset = await createAsset(editor, p.id, { name: 'Loaded' });
    const neighbour = await createAsset(editor, p.id, { name: 'Neighbour' });
    const now = Date.now();
    const folderId = newId('fld');
    await env.DB.prepare('INSERT INTO folders (id, asset_id, parent_id, name, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?)')
      .bind(folderId, asset.id, 'Photos', now, now)
      .run();
    const top = await attachData(asset, org.id);
    const inFolder = await attachData(asset, org.id, folderId);
    const sphereBlob = await storedBlob(org.id, 'sphere');
    await env.DB.prepare('INSERT INTO spheres (id, asset_id, name, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .bind(newId('sph'), asset.id, 'Sphere', sphereBlob.id, now, now)
      .run();
    const reportBlob = await storedBlob(org.id, 'report');
    await env.DB.prepare('INSERT INTO reports (id, project_id, asset_id, name, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(newId('rpt'), p.id, asset.id, 'Report', reportBlob.id, now, now)
      .run();
    const theirs = await attachData(neighbour, org.id);
    const mine = [top.blob, inFolder.blob, sphereBlob, reportBlob];
    for (const b of mine) expect(await env.FILES.head(b.key)).not.toBeNull();

    const a = await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: manager.auth });
    expect(a.status, a.text).toBe(204);
    expect(await count('assets', 'id = ?', asset.id)).toBe(0);
    expect(await count('data_files', 'asset_id = ?', asset.id)).toBe(0);
    expect(await count('folders', 'asset_id = ?', asset.id)).toBe(0);
    expect(await count('spheres', 'asset_id = ?', asset.id)).toBe(0);
    expect(await count('reports', 'asset_id = ?', asset.id)).toBe(0);
    for (const b of mine) expect(await count('blobs', 'id = ?', b.id), b.key).toBe(0);
    for (const b of mine) {
      expect(await eventually(async () => (await env.FILES.head(b.key)) === null), b.key).toBe(true);
    }
    // The neighbour's file is untouched.
    expect(await count('data_files', 'id = ?', theirs.id)).toBe(1);
    expect(await count('blobs', 'id = ?', theirs.blob.id)).toBe(1);
    expect(await env.FILES.head(theirs.blob.key)).not.toBeNull();
    expect((await call(`/v1/assets/${neighbour.id}`, { headers: editor.auth })).status).toBe(200);
  });

  it('lets an org admin delete an asset of the organisation alone, with its file; a member may not', async () => {
    const { admin, member, org } = await orgWithOutsider();
    const alone = await createOrgAsset(admin, org, { name: 'Org file holder' });
    const file = await attachData(alone, org.id);
    expectProblem(await call(`/v1/assets/${alone.id}`, { method: 'DELETE', headers: member.auth }), 403, 'forbidden');
    expect(await count('blobs', 'id = ?', file.blob.id)).toBe(1);
    expect(await env.FILES.head(file.blob.key)).not.toBeNull();
    expect((await call(`/v1/assets/${alone.id}`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    expect(await count('data_files', 'id = ?', file.id)).toBe(0);
    expect(await count('blobs', 'id = ?', file.blob.id)).toBe(0);
    expect(await eventually(async () => (await env.FILES.head(file.blob.key)) === null)).toBe(true);
    expect(await count('changes', "op = 'delete' AND entity_type = 'asset' AND entity_id = ? AND organization_id = ?", alone.id, org.id)).toBe(1);
  });

  it('keeps everything when refused: viewer 403, hidden 404', async () => {
    const { viewer, bystander, manager, org, outsider, p } = await team();
    const asset = await createAsset(manager, p.id);
    const file = await attachData(asset, org.id);
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: viewer.auth }), 403, 'forbidden');
    expectProblem(await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: bystander.auth }), 403, 'forbidden');
    const hidden = await call(`/v1/assets/${asset.id}`, { method: 'DELETE', headers: outsider.auth });
    expect(sameProblem(hidden)).toEqual(await missingAsset(outsider, 'DELETE'));
    expect(await count('assets', 'id = ?', asset.id)).toBe(1);
    expect(await count('data_files', 'id = ?', file.id)).toBe(1);
    expect(await count('blobs', 'id = ?', file.blob.id)).toBe(1);
    expect(await count('changes', "op = 'delete' AND entity_id = ?", asset.id)).toBe(0);
    expect(await env.FILES.head(file.blob.key)).not.toBeNull();
  });
});
