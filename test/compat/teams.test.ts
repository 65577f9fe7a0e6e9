/**
 * The Teams dialect (seed 001): each projects operation, its DRF 400/401/403/404 bodies, hidden
 * answered as missing, integer pk/team/creator that round-trip, the filter document (in SQL, one
 * round trip, faults named by JSON path) and include_inactive by who may see the trash.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DRF } from '../../src/compat/drf';
import { call, roundTrips } from '../support/api';
import { expectJsonError as expectDrf } from '../support/answers';
import { makeOrg, makeUser, unique, type Actor } from '../support/actors';

const P = '/compat/teams/v1/projects';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEYS = ['pk', 'name', 'team', 'creator', 'creation_time', 'deletion_time'];

const list = (who: Actor, json?: unknown, query = '') => call(`${P}/list${query}`, { method: 'POST', headers: token(who), ...(json === undefined ? {} : { json }) });

describe('Teams projects', () => {
  let admin: Actor; // admin of the team
  let manager: Actor; // manager of the private project
  let viewer: Actor; // viewer of the private project
  let member: Actor; // member of the team, outside the private project
  let outsider: Actor; // admin of another team
  let team: number;
  let orgSlug: string;
  let otherSlug: string;
  let otherTeam: number;
  let me: Record<string, number>;
  let secret: { pk: number; id: string }; // a private project of the team
  let open: { pk: number }; // a project every member of the team sees
  const tag = unique('tm');

  const numberOf = async (path: string, who: Actor) => (await call(path, { headers: who.auth })).body.number as number;

  beforeAll(async () => {
    [admin, manager, viewer, member, outsider] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser(), makeUser()]);
    const org = await makeOrg(admin, [manager, viewer, member]);
    const other = await makeOrg(outsider);
    orgSlug = org.slug;
    otherSlug = other.slug;
    team = await numberOf(`/v1/organizations/${org.id}`, admin);
    otherTeam = await numberOf(`/v1/organizations/${other.id}`, outsider);
    me = Object.fromEntries(await Promise.all([admin, manager, viewer].map(async (a) => [a.id, await numberOf(`/v1/users/${a.id}`, a)] as const)));
    const made = await call(`${P}/create`, { headers: token(admin), json: { name: `${tag} secret`, team } });
    expect(made.status, made.text).toBe(201);
    const v1 = (await call(`/v1/projects?search=${tag}`, { headers: admin.auth })).body.results.find((p: any) => p.number === made.body.pk);
    secret = { pk: made.body.pk, id: v1.id };
    expect((await call(`/v1/projects/${secret.id}`, { method: 'PATCH', headers: admin.auth, json: { access: 'private' } })).status).toBe(200);
    for (const [who, role] of [[manager, 'manager'], [viewer, 'viewer']] as const) {
      expect((await call(`/v1/projects/${secret.id}/members`, { headers: admin.auth, json: { user: who.id, role } })).status).toBe(201);
    }
    open = { pk: (await call(`${P}/create`, { headers: token(member), json: { name: `${tag} open`, team: String(team) } })).body.pk };
  });

  it('create answers 201 with the seed’s fields: integer pk, team and creator that round-trip, times with Z, no deletion_time', async () => {
    const a = await call(`${P}/create`, { headers: token(manager), json: { name: `${tag} created`, team } });
    expect(a.status, a.text).toBe(201);
    expect(Object.keys(a.body)).toEqual(KEYS);
    expect(a.body).toMatchObject({ name: `${tag} created`, team, creator: me[manager.id], deletion_time: null });
    expect(a.body.creation_time).toMatch(ISO_Z);
    const got = await call(`${P}/${a.body.pk}`, { headers: token(manager) });
    expect(got.body).toEqual(a.body);
    expect(roundTrips(got)).toBe(1);
    // The same project in /v1: the team is the organisation, the creator the account.
    const v1 = (await call(`/v1/projects?search=${encodeURIComponent(tag)}`, { headers: admin.auth })).body.results.find((p: any) => p.number === a.body.pk);
    expect(v1).toMatchObject({ organization: { number: team }, creator: { id: manager.id, number: me[manager.id] } });
  });

  it('create answers DRF’s 400 naming each field, 404 for a team the caller is not in or that does not exist, 401 without a token', async () => {
    expectDrf(await call(`${P}/create`, { headers: token(admin), json: {} }), 400, { name: [DRF.required], team: [DRF.required] });
    expectDrf(await call(`${P}/create`, { headers: token(admin), json: { name: ' ', team: 'x', extra: 1 } }), 400, {
      name: [expect.any(String)],
      team: [expect.any(String)],
      extra: [expect.any(String)],
    });
    expectDrf(await call(`${P}/create`, { headers: token(outsider), json: { name: 'Nope', team } }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/create`, { headers: token(outsider), json: { name: 'Nope', team: 999_999_999 } }), 404, { detail: DRF.notFound });
    const anon = await call(`${P}/create`, { json: { name: 'Nope', team } });
    expectDrf(anon, 401, { detail: DRF.notAuthenticated });
    expect(anon.headers.get('WWW-Authenticate')).toBe('Token');
    expectDrf(await call(`${P}/create`, { headers: { Authorization: 'Token nope' }, json: { name: 'Nope', team } }), 401, { detail: DRF.invalidToken });
  });

  it('retrieve: 404 for hidden and missing alike (same body), and for a pk that is not an integer', async () => {
    const hidden = await call(`${P}/${secret.pk}`, { headers: token(member) });
    const missing = await call(`${P}/999999999`, { headers: token(member) });
    expectDrf(hidden, 404, { detail: DRF.notFound });
    expectDrf(missing, 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/abc`, { headers: token(member) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/${secret.pk}`, { headers: token(outsider) }), 404, { detail: DRF.notFound });
    expect((await call(`${P}/${secret.pk}`, { headers: token(viewer) })).body).toMatchObject({ pk: secret.pk, team, creator: me[admin.id] });
  });

  it('PUT and PATCH change the name (managers, team admins); 403 for a viewer, 404 for the hidden, 400 naming fields', async () => {
    const put = await call(`${P}/${secret.pk}`, { method: 'PUT', headers: token(manager), json: { name: `${tag} secret 2`, team } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ pk: secret.pk, name: `${tag} secret 2`, team });
    const patch = await call(`${P}/${secret.pk}`, { method: 'PATCH', headers: token(admin), json: { name: `${tag} secret` } });
    expect(patch.body).toMatchObject({ pk: secret.pk, name: `${tag} secret`, team, creator: me[admin.id] });
    expect((await call(`${P}/${secret.pk}`, { method: 'PATCH', headers: token(admin), json: { team } })).status).toBe(200);
    expectDrf(await call(`${P}/${secret.pk}`, { method: 'PATCH', headers: token(viewer), json: { name: 'No' } }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/${secret.pk}`, { method: 'PATCH', headers: token(member), json: { name: 'No' } }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/${secret.pk}`, { method: 'PUT', headers: token(admin), json: { name: 'Only a name' } }), 400, { team: [DRF.required] });
    expectDrf(await call(`${P}/${secret.pk}`, { method: 'PATCH', headers: token(admin), json: { name: '' } }), 400, { name: [expect.any(String)] });
    expect((await call(`${P}/${secret.pk}`, { headers: token(admin) })).body.name).toBe(`${tag} secret`);
  });

  it('a team change moves the project (a superuser, or an admin of both teams); 404 when the target team is hidden, and then the project is seen from its new team only', async () => {
    const both = await makeUser();
    for (const slug of [orgSlug, otherSlug]) {
      const by = slug === orgSlug ? admin : outsider;
      expect((await call(`/v1/organizations/${slug}/members`, { headers: by.auth, json: { user: both.id, role: 'admin' } })).status).toBe(201);
    }
    const made = (await call(`${P}/create`, { headers: token(manager), json: { name: `${tag} moving`, team } })).body;
    // The team's admin does not see the other team; the project's manager neither.
    expectDrf(await call(`${P}/${made.pk}`, { method: 'PATCH', headers: token(admin), json: { team: otherTeam } }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/${made.pk}`, { method: 'PUT', headers: token(manager), json: { name: 'Moved', team: otherTeam } }), 404, { detail: DRF.notFound });
    // A member of both who administers only the source: 403.
    expect((await call(`/v1/organizations/${otherSlug}/members`, { headers: outsider.auth, json: { user: admin.id, role: 'member' } })).status).toBe(201);
    expectDrf(await call(`${P}/${made.pk}`, { method: 'PATCH', headers: token(admin), json: { team: otherTeam } }), 403, { detail: DRF.forbidden });
    expect((await call(`${P}/${made.pk}`, { headers: token(manager) })).body).toMatchObject({ team, name: `${tag} moving` });
    const moved = await call(`${P}/${made.pk}`, { method: 'PUT', headers: token(both), json: { name: `${tag} moved`, team: otherTeam } });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toEqual({ ...made, name: `${tag} moved`, team: otherTeam });
    expect((await list(outsider, { expressions: [{ type: 'exact', field: 'team', value: otherTeam }, { type: 'exact', field: 'pk', value: made.pk }] })).body).toEqual([moved.body]);
    expect((await list(viewer, { expressions: [{ type: 'exact', field: 'pk', value: made.pk }] })).body).toEqual([]);
    expectDrf(await call(`${P}/${made.pk}`, { headers: token(viewer) }), 404, { detail: DRF.notFound });
    // Back again by PATCH, team alone.
    const back = await call(`${P}/${made.pk}`, { method: 'PATCH', headers: token(both), json: { team } });
    expect(back.status, back.text).toBe(200);
    expect(back.body.team).toBe(team);
  });

  it('destroy moves to the trash (204); the trashed project is 404; reinstate (team admins) answers its fields; include_inactive shows it to admins only', async () => {
    const made = (await call(`${P}/create`, { headers: token(manager), json: { name: `${tag} trash`, team } })).body;
    expect((await call(`/v1/projects?search=${encodeURIComponent(`${tag} trash`)}`, { headers: admin.auth })).status).toBe(200);
    // Open to the team: a plain member sees it but may not delete it; another team does not see it.
    expectDrf(await call(`${P}/${made.pk}`, { method: 'DELETE', headers: token(viewer) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/${made.pk}`, { method: 'DELETE', headers: token(outsider) }), 404, { detail: DRF.notFound });
    const gone = await call(`${P}/${made.pk}`, { method: 'DELETE', headers: token(manager) });
    expect(gone.status, gone.text).toBe(204);
    expectDrf(await call(`${P}/${made.pk}`, { headers: token(manager) }), 404, { detail: DRF.notFound });
    const byPk = { expressions: [{ type: 'exact', field: 'pk', value: made.pk }], include_inactive: true };
    const seen = await list(admin, byPk);
    expect(seen.body).toEqual([{ ...made, deletion_time: expect.stringMatching(ISO_Z) }]);
    expect((await list(manager, byPk)).body).toEqual([]);
    expect((await list(admin, { ...byPk, include_inactive: false })).body).toEqual([]);
    expectDrf(await call(`${P}/${made.pk}/reinstate`, { method: 'DELETE', headers: token(manager) }), 404, { detail: DRF.notFound });
    const back = await call(`${P}/${made.pk}/reinstate`, { method: 'DELETE', headers: token(admin) });
    expect(back.status, back.text).toBe(200);
    expect(back.body).toEqual(made);
    expectDrf(await call(`${P}/${made.pk}/reinstate`, { method: 'DELETE', headers: token(manager) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/${made.pk}/reinstate`, { method: 'DELETE', headers: token(admin) }), 409, { detail: expect.any(String) });
  });

  it('hard delete purges a live or trashed project (team admins) and answers its fields; 403 for a manager, 404 for the hidden', async () => {
    const made = (await call(`${P}/create`, { headers: token(manager), json: { name: `${tag} purge`, team } })).body;
    expectDrf(await call(`${P}/${made.pk}/hard`, { method: 'DELETE', headers: token(manager) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${P}/${made.pk}/hard`, { method: 'DELETE', headers: token(outsider) }), 404, { detail: DRF.notFound });
    const purged = await call(`${P}/${made.pk}/hard`, { method: 'DELETE', headers: token(admin) });
    expect(purged.status, purged.text).toBe(200);
    expect(purged.body).toEqual(made);
    expectDrf(await call(`${P}/${made.pk}/hard`, { method: 'DELETE', headers: token(admin) }), 404, { detail: DRF.notFound });
    const trashed = (await call(`${P}/create`, { headers: token(admin), json: { name: `${tag} purge 2`, team } })).body;
    expect((await call(`${P}/${trashed.pk}`, { method: 'DELETE', headers: token(admin) })).status).toBe(204);
    const again = await call(`${P}/${trashed.pk}/hard`, { method: 'DELETE', headers: token(admin) });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ pk: trashed.pk, deletion_time: expect.stringMatching(ISO_Z) });
    expect((await list(admin, { expressions: [{ type: 'exact', field: 'pk', value: trashed.pk }], include_inactive: true })).body).toEqual([]);
  });

  it('list: without a body, every project the caller sees, in pk order, in one round trip', async () => {
    const a = await call(`${P}/list`, { method: 'POST', headers: token(member) });
    expect(a.status, a.text).toBe(200);
    expect(roundTrips(a)).toBe(1);
    const pks = a.body.map((p: any) => p.pk);
    expect(pks).toContain(open.pk);
    expect(pks).not.toContain(secret.pk);
    expect(pks).toEqual([...pks].sort((x: number, y: number) => x - y));
    expect((await list(outsider)).body.map((p: any) => p.pk)).not.toContain(open.pk);
  });

  it('list: exact, contains, isnull, and/or and order_by run as the document says', async () => {
    const mine = { type: 'contains', field: 'name', sub_string: tag };
    const names = async (who: Actor, doc: object) => {
      const a = await list(who, doc);
      expect(a.status, a.text).toBe(200);
      return a.body.map((p: any) => p.name);
    };
    expect(await names(viewer, { expressions: [mine], order_by: [{ field: 'name', ascending: true }] })).toEqual(
      (await names(viewer, { expressions: [mine] })).sort(),
    );
    expect(await names(viewer, { expressions: [{ ...mine, sub_string: tag.toUpperCase() }] })).toEqual([]);
    expect((await names(viewer, { expressions: [{ ...mine, sub_string: tag.toUpperCase(), case_insensitive: true }] })).length).toBeGreaterThan(1);
    expect(await names(viewer, { expressions: [{ type: 'exact', field: 'name', value: `${tag} SECRET`, case_insensitive: true }] })).toEqual([`${tag} secret`]);
    expect(await names(viewer, { expressions: [mine, { type: 'exact', field: 'creator', value: me[admin.id] }, { type: 'exact', field: 'team', value: team }] })).toEqual([`${tag} secret`]);
    const either = await list(viewer, {
      expressions: [{ type: 'or', sub_expressions: [{ type: 'exact', field: 'pk', value: secret.pk }, { type: 'exact', field: 'pk', value: open.pk }] }],
      order_by: [{ field: 'pk', ascending: false }],
    });
    expect(either.body.map((p: any) => p.pk)).toEqual([secret.pk, open.pk].sort((x, y) => y - x));
    expect(await names(viewer, { expressions: [mine, { type: 'isnull', field: 'deletion_time' }, { type: 'exact', field: 'team', value: otherTeam }] })).toEqual([]);
    expect(await names(viewer, { expressions: [mine, { type: 'isnull', field: 'creator' }] })).toEqual([]);
    const created = (await call(`${P}/${secret.pk}`, { headers: token(viewer) })).body.creation_time;
    expect(await names(viewer, { expressions: [{ type: 'exact', field: 'creation_time', value: created }, { type: 'exact', field: 'pk', value: secret.pk }] })).toEqual([`${tag} secret`]);
    expect(await names(viewer, { expressions: [{ type: 'and', sub_expressions: [] }, mine], order_by: [{ field: 'creator', nulls_first: false }, { field: 'creation_time', ascending: false }] })).toContain(`${tag} open`);
  });

  it('list pages past `limit` with a Link to the next page', async () => {
    const doc = { expressions: [{ type: 'contains', field: 'name', sub_string: tag }] };
    const all = (await list(viewer, doc)).body.map((p: any) => p.pk);
    const first = await list(viewer, doc, '?limit=1');
    expect(first.body.map((p: any) => p.pk)).toEqual(all.slice(0, 1));
    expect(first.headers.get('Link')).toContain('offset=1');
    const second = await list(viewer, doc, '?limit=1&offset=1');
    expect(second.body.map((p: any) => p.pk)).toEqual(all.slice(1, 2));
  });

  it('list: a bad document is a 400 naming the JSON path of each fault', async () => {
    expectDrf(await list(admin, { expressions: [{ type: 'exact', field: 'secret', value: 1 }] }), 400, { 'expressions[0].field': ['Unknown field "secret".'] });
    expectDrf(await list(admin, { expressions: [{ type: 'and', sub_expressions: [{ type: 'isnull', field: 'pk' }, { type: 'exact', field: 'pk', value: 'x' }] }] }), 400, {
      'expressions[0].sub_expressions[1].value': ['An integer id.'],
    });
    expectDrf(await list(admin, { expressions: [{ type: 'regex', field: 'name' }] }), 400, { 'expressions[0].type': [expect.stringContaining('Unknown type "regex"')] });
    expectDrf(await list(admin, { expressions: [{ type: 'contains', field: 'pk', sub_string: '1' }] }), 400, { 'expressions[0].field': [expect.any(String)] });
    expectDrf(await list(admin, { expressions: [{ type: 'exact', field: 'creation_time', value: 'yesterday' }] }), 400, { 'expressions[0].value': [expect.any(String)] });
    expectDrf(await list(admin, { expressions: [{ type: 'exact', field: 'name' }] }), 400, { 'expressions[0].value': [DRF.required] });
    expectDrf(await list(admin, { order_by: [{ field: 'password_hash' }], include_inactive: 'yes', extra: 1 }), 400, {
      'order_by[0].field': ['Unknown field "password_hash".'],
      include_inactive: [expect.any(String)],
      extra: [expect.any(String)],
    });
    expectDrf(await list(admin, []), 400, { non_field_errors: [expect.any(String)] });
  });

  it('list: nesting, sizes and counts are bounded (400), never a 5xx', async () => {
    let deep: object = { type: 'isnull', field: 'pk' };
    for (let i = 0; i < 1000; i++) deep = { type: 'and', sub_expressions: [deep] };
    const a = await list(admin, { expressions: [deep] });
    expect(a.status, a.text).toBe(400);
    expect(Object.keys(a.body)[0]).toMatch(/^expressions\[0\](\.sub_expressions\[0\])+\.sub_expressions$/);
    const many = Array.from({ length: 1000 }, (_, i) => ({ type: 'exact', field: 'pk', value: i + 1 }));
    expectDrf(await list(admin, { expressions: many }), 400, { expressions: [expect.any(String)] });
    const spread = Array.from({ length: 8 }, () => ({ type: 'or', sub_expressions: Array.from({ length: 8 }, (_, i) => ({ type: 'exact', field: 'pk', value: i + 1 })) }));
    expectDrf(await list(admin, { expressions: spread }), 400, { expressions: [expect.stringContaining('in all')] });
    const at4: object = { type: 'and', sub_expressions: [{ type: 'or', sub_expressions: [{ type: 'and', sub_expressions: [{ type: 'exact', field: 'pk', value: open.pk }] }] }] };
    expect((await list(member, { expressions: [at4] })).body.map((p: any) => p.pk)).toEqual([open.pk]);
  });
});
