/**
 * The Portal dialect's projects and assets (seed 000): the seed's shapes with integer ids that
 * round-trip, DRF's 400/401/403/404 bodies, hidden answered as missing, pagination walking a
 * list once, one D1 round trip per read, and the same data as /v1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DRF } from '../../src/compat/drf';
import { call, roundTrips, type Answer } from '../support/api';
import { expectJsonError as expectDrf } from '../support/answers';
import { makeOrg, makeUser, unique, type Actor } from '../support/actors';

const P = '/compat/portal/project_management';
const ORIGIN = 'http://fieldbase.test';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Walks a DRF list by its `next` links; every page answered once, in one round trip. */
async function walk(url: string, who: Actor): Promise<{ results: any[]; pages: number }> {
  const results: any[] = [];
  let next: string | null = url;
  let pages = 0;
  while (next) {
    const page: Answer = await call(next, { headers: token(who) });
    expect(page.status, page.text).toBe(200);
    expect(roundTrips(page)).toBe(1);
    results.push(...page.body.results);
    next = page.body.next;
    if (next) expect(next.startsWith(`${ORIGIN}${P}/`)).toBe(true);
    pages += 1;
  }
  return { results, pages };
}

describe('Portal projects and assets', () => {
  let admin: Actor; // admin of the company
  let viewer: Actor; // a viewer of the project
  let outsider: Actor; // admin of another company
  let member: Actor; // a member of the company, not in the (private) project
  let company: { id: string; name: string; number: number };
  let project: { id: string; number: number };

  beforeAll(async () => {
    [admin, viewer, outsider, member] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser()]);
    const org = await makeOrg(admin, [viewer, member]);
    await makeOrg(outsider);
    const got = await call(`/v1/organizations/${org.id}`, { headers: admin.auth });
    company = { id: org.id, name: org.name, number: got.body.number };
    const created = await call(`${P}/projects/`, { headers: token(admin), json: { name: 'Bridge survey', company: company.number, location: 'Amsterdam', lat: '52.372760', lon: 4.893604, project_type: 'inspection' } });
    expect(created.status, created.text).toBe(201);
    project = { id: (await call(`/v1/projects?search=Bridge`, { headers: admin.auth })).body.results.find((p: any) => p.number === created.body.id).id, number: created.body.id };
    expect((await call(`/v1/projects/${project.id}`, { headers: admin.auth, method: 'PATCH', json: { access: 'private' } })).status).toBe(200);
    expect((await call(`/v1/projects/${project.id}/members`, { headers: admin.auth, json: { user: viewer.id, role: 'viewer' } })).status).toBe(201);
  });

  it('POST /projects/ creates in the company named by its integer id and answers the seed’s project object, lat/lon as six-place strings, times with Z', async () => {
    const a = await call(`${P}/projects/`, { headers: token(admin), json: { name: 'Quay walls', company: String(company.number), lat: 52.1, lon: null } });
    expect(a.status, a.text).toBe(201);
    expect(Object.keys(a.body)).toEqual(['id', 'company', 'users', 'assets', 'name', 'created_at', 'updated_at', 'location', 'lat', 'lon', 'project_type']);
    expect(a.body).toMatchObject({
      company: { id: company.number, name: company.name, user: null },
      users: [{ id: expect.any(Number), email: admin.email, username: admin.username }],
      assets: [],
      name: 'Quay walls',
      location: '',
      lat: '52.100000',
      lon: null,
      project_type: '',
    });
    expect(a.body.created_at).toMatch(ISO_Z);
    // The same project in /v1, by number.
    const v1 = (await call(`/v1/projects?search=Quay`, { headers: admin.auth })).body.results.find((p: any) => p.number === a.body.id);
    expect(v1).toMatchObject({ name: 'Quay walls', lat: 52.1, organization: { id: company.id, number: company.number } });
  });

  it('POST /projects/ answers DRF’s 400 naming each field, 404 for a company the caller is not in or that does not exist', async () => {
    expectDrf(await call(`${P}/projects/`, { headers: token(admin), json: {} }), 400, { name: [DRF.required], company: [DRF.required] });
    const bad = await call(`${P}/projects/`, { headers: token(admin), json: { name: 'x', company: company.number, lat: 'north', colour: 'red' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual(['colour', 'lat']);
    expectDrf(await call(`${P}/projects/`, { headers: token(admin), json: { name: 'x', company: 'abc' } }), 400, { company: ['An integer id.'] });
    for (const c of [company.number, 999_999_999]) {
      expectDrf(await call(`${P}/projects/`, { headers: token(outsider), json: { name: 'x', company: c } }), 404, { detail: DRF.notFound });
    }
  });

  it('GET /projects/{id}/ answers the project with its users and assets by integer id, in one round trip with an ETag; hidden = missing', async () => {
    const made = await call(`${P}/assets/`, { headers: token(admin), json: { project_id: project.number, name: 'Pier 1', asset_status: 'To Be Inspected', lat: '52.372760', lon: '4.893604' } });
    expect(made.status, made.text).toBe(201);
    for (const path of [`${P}/projects/${project.number}/`, `${P}/projects/${project.number}`]) {
      const a = await call(path, { headers: token(viewer) });
      expect(a.status, a.text).toBe(200);
      expect(roundTrips(a)).toBe(1);
      expect(a.body.id).toBe(project.number);
      expect(a.body.users.map((u: any) => u.username).sort()).toEqual([admin.username, viewer.username].sort());
      expect(a.body.assets).toContainEqual({
        id: made.body.id, name: 'Pier 1', location: '', asset_status: 'To Be Inspected',
        created_at: made.body.created_at, updated_at: made.body.updated_at, lat: '52.372760', lon: '4.893604',
      });
      expect((await call(path, { headers: { ...token(viewer), 'If-None-Match': a.headers.get('ETag')! } })).status).toBe(304);
    }
    // The member of the company outside the private project, the outsider, a missing id and a non-id: the same 404.
    for (const [who, path] of [[member, project.number], [outsider, project.number], [admin, 999_999_999], [admin, 'abc'], [admin, project.id]] as const) {
      expectDrf(await call(`${P}/projects/${path}/`, { headers: token(who) }), 404, { detail: DRF.notFound });
    }
  });

  it('GET /projects/ lists what the caller may see; limit/offset walk it once; a deep offset answers an empty page', async () => {
    for (let i = 0; i < 3; i++) expect((await call(`${P}/projects/`, { headers: token(admin), json: { name: `Walk ${i} ${unique('')}`, company: company.number } })).status).toBe(201);
    const all = await call(`${P}/projects/?limit=200`, { headers: token(admin) });
    expect(roundTrips(all)).toBe(1);
    const { results, pages } = await walk(`${P}/projects/?limit=2`, admin);
    expect(results).toEqual(all.body.results);
    expect(pages).toBe(Math.ceil(all.body.count / 2));
    expect(new Set(results.map((r) => r.id)).size).toBe(results.length);
    expect(Object.keys(results[0])).toEqual(['id', 'company', 'name', 'created_at', 'updated_at', 'location', 'lat', 'lon', 'project_type']);
    // The member outside the private project does not see it; the viewer does.
    expect((await call(`${P}/projects/?limit=200`, { headers: token(member) })).body.results.map((r: any) => r.id)).not.toContain(project.number);
    expect((await call(`${P}/projects/`, { headers: token(viewer) })).body.results.map((r: any) => r.id)).toContain(project.number);
    const deep = await call(`${P}/projects/?limit=5&offset=10000`, { headers: token(admin) });
    expect(deep.status).toBe(200);
    expect(deep.body).toMatchObject({ count: all.body.count, next: null, results: [] });
    expect(deep.body.previous).toBe(`${ORIGIN}${P}/projects/?limit=5&offset=9995`);
  });

  it('PATCH /projects/{id} changes fields (a manager or company admin); the viewer gets DRF’s 403, an outsider 404, a bad field 400', async () => {
    const a = await call(`${P}/projects/${project.number}`, { method: 'PATCH', headers: token(admin), json: { location: 'Rotterdam', lat: 51.9225, lon: '4.47917' } });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ id: project.number, location: 'Rotterdam', lat: '51.922500', lon: '4.479170' });
    expect(a.body.assets.length).toBeGreaterThan(0);
    expect((await call(`/v1/projects/${project.id}`, { headers: admin.auth })).body.location).toBe('Rotterdam');
    expectDrf(await call(`${P}/projects/${project.number}/`, { method: 'PATCH', headers: token(viewer), json: { location: 'x' } }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/projects/${project.number}`, { method: 'PATCH', headers: token(outsider), json: { location: 'x' } }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/projects/${project.number}`, { method: 'PATCH', headers: token(admin), json: { lat: 91 } }), 400, { lat: [expect.any(String)] });
    expectDrf(await call(`${P}/projects/${project.number}`, { method: 'PATCH', json: { location: 'x' } }), 401, { detail: DRF.notAuthenticated });
  });

  it('DELETE /projects/{id}/ moves it to the trash (204): gone from Portal, in /v1’s trash', async () => {
    const made = await call(`${P}/projects/`, { headers: token(admin), json: { name: `Trash me ${unique('')}`, company: company.number } });
    // The viewer is a member of the company: they see the project but may not delete it.
    expectDrf(await call(`${P}/projects/${made.body.id}/`, { method: 'DELETE', headers: token(viewer) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/projects/${made.body.id}/`, { method: 'DELETE', headers: token(outsider) }), 404, { detail: DRF.notFound });
    const gone = await call(`${P}/projects/${made.body.id}/`, { method: 'DELETE', headers: token(admin) });
    expect(gone.status).toBe(204);
    expectDrf(await call(`${P}/projects/${made.body.id}/`, { headers: token(admin) }), 404, { detail: DRF.notFound });
    const trash = await call(`/v1/projects?deleted=true&limit=200`, { headers: admin.auth });
    expect(trash.body.results.map((p: any) => p.number)).toContain(made.body.id);
  });

  it('assets: POST with project_id as an integer, GET, PATCH, DELETE by integer id; lists walk once; 400/403/404 in DRF’s shape', async () => {
    const a = await call(`${P}/assets/`, { headers: token(admin), json: { project_id: project.number, name: 'Lock gate', location: 'IJ', asset_status: 'To Be Inspected', lat: null, lon: null } });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toEqual({
      id: expect.any(Number), name: 'Lock gate', location: 'IJ', asset_status: 'To Be Inspected',
      created_at: expect.stringMatching(ISO_Z), updated_at: expect.stringMatching(ISO_Z), lat: null, lon: null,
      project: project.number, company: company.number, description: '',
    });
    const id = a.body.id;
    const got = await call(`${P}/assets/${id}/`, { headers: token(viewer) });
    expect([got.status, got.body, roundTrips(got)]).toEqual([200, a.body, 1]);
    const patched = await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(admin), json: { lat: '52.3', lon: 4.9, asset_status: 'Active' } });
    expect(patched.body).toMatchObject({ id, lat: '52.300000', lon: '4.900000', asset_status: 'Active' });
    expectDrf(await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(viewer), json: { name: 'x' } }), 403, { detail: DRF.forbidden });
    // project_id moves the asset (seed 000's PATCH sends it), by the project's integer id.
    const other = await call(`${P}/projects/`, { headers: token(admin), json: { name: `Other ${unique('')}`, company: company.number } });
    const theirs = await call(`${P}/projects/`, { headers: token(outsider), json: { name: `Theirs ${unique('')}`, company: (await call(`${P}/companies/`, { headers: token(outsider) })).body.results[0].id } });
    expect([other.status, theirs.status]).toEqual([201, 201]);
    expectDrf(await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(viewer), json: { project_id: other.body.id } }), 403, { detail: DRF.forbidden });
    for (const hidden of [theirs.body.id, 999_999_999]) {
      expectDrf(await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(admin), json: { project_id: hidden } }), 404, { detail: DRF.notFound });
    }
    expectDrf(await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(admin), json: { project_id: 'x' } }), 400, { project_id: [expect.any(String)] });
    expect((await call(`${P}/assets/${id}/`, { headers: token(admin) })).body.project).toBe(project.number);
    const moved = await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(admin), json: { project_id: other.body.id, name: 'Lock gate (moved)' } });
    expect([moved.status, moved.body.project, moved.body.name]).toEqual([200, other.body.id, 'Lock gate (moved)']);
    expect((await call(`${P}/assets/${id}/`, { headers: token(admin) })).body.project).toBe(other.body.id);
    const back = await call(`${P}/assets/${id}/`, { method: 'PATCH', headers: token(admin), json: { project_id: String(project.number) } });
    expect([back.status, back.body.project]).toEqual([200, project.number]);
    for (const [who, n] of [[member, id], [outsider, id], [admin, 999_999_999]] as const) {
      expectDrf(await call(`${P}/assets/${n}/`, { headers: token(who) }), 404, { detail: DRF.notFound });
    }
    expectDrf(await call(`${P}/assets/`, { headers: token(viewer), json: { project_id: project.number, name: 'x' } }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/assets/`, { headers: token(outsider), json: { project_id: project.number, name: 'x' } }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/assets/`, { headers: token(admin), json: { name: 'x' } }), 400, { project_id: [DRF.required] });
    expectDrf(await call(`${P}/assets/`, { headers: token(admin), json: { project_id: project.number, name: 'x', asset_status: 'Lost' } }), 400, { asset_status: [expect.any(String)] });

    const all = await call(`${P}/assets/?limit=200`, { headers: token(admin) });
    expect(all.body.results.map((r: any) => r.id)).toContain(id);
    const { results } = await walk(`${P}/assets/?limit=1`, admin);
    expect(results).toEqual(all.body.results);
    expect((await call(`${P}/assets/`, { headers: token(member) })).body.results.map((r: any) => r.id)).not.toContain(id);

    expect((await call(`${P}/assets/${id}/`, { method: 'DELETE', headers: token(admin) })).status).toBe(204);
    expectDrf(await call(`${P}/assets/${id}/`, { headers: token(admin) }), 404, { detail: DRF.notFound });
  });
});

describe('Portal dashboard', () => {
  it('counts what the caller may see and lists the latest changes with integer ids, in one round trip; 401 without a token', async () => {
    const [admin, member] = await Promise.all([makeUser(), makeUser()]);
    const org = await makeOrg(admin, [member]);
    const company = (await call(`/v1/organizations/${org.id}`, { headers: admin.auth })).body.number;
    const open = await call(`${P}/projects/`, { headers: token(admin), json: { name: 'Open', company } });
    const secret = await call(`${P}/projects/`, { headers: token(admin), json: { name: 'Secret', company } });
    const secretId = (await call('/v1/projects?search=Secret', { headers: admin.auth })).body.results.find((p: any) => p.number === secret.body.id).id;
    expect((await call(`/v1/projects/${secretId}`, { method: 'PATCH', headers: admin.auth, json: { access: 'private' } })).status).toBe(200);
    const a1 = await call(`${P}/assets/`, { headers: token(admin), json: { project_id: open.body.id, name: 'Visible', asset_status: 'To Be Inspected' } });
    await call(`${P}/assets/`, { headers: token(admin), json: { project_id: secret.body.id, name: 'Hidden' } });
    const r1 = await call(`${P}/reports/`, { headers: token(admin), json: { project: open.body.id, name: 'Visible report' } });

    const d = await call(`${P}/dashboard/`, { headers: token(member) });
    expect(d.status, d.text).toBe(200);
    expect(roundTrips(d)).toBe(1);
    expect(d.body).toMatchObject({ companies: 1, projects: 1, active_projects: 1, archived_projects: 0, assets: 1, data: 0, data_bytes: 0, reports: 1 });
    expect(d.body.assets_by_status['To Be Inspected']).toBe(1);
    expect(d.body.recent_assets).toEqual([{ id: a1.body.id, name: 'Visible', asset_status: 'To Be Inspected', updated_at: a1.body.updated_at, project: open.body.id }]);
    expect(d.body.recent_reports).toEqual([{ id: r1.body.id, name: 'Visible report', status: 'draft', updated_at: r1.body.updated_at, project: open.body.id }]);
    expect((await call(`${P}/dashboard/`, { headers: token(admin) })).body).toMatchObject({ projects: 2, assets: 2 });
    expectDrf(await call(`${P}/dashboard/`), 401, { detail: DRF.notAuthenticated });
  });
});
