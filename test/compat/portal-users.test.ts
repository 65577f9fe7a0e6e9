/**
 * The Portal dialect's project users (seed 000): list, create an account in the project, add an
 * existing account, remove from the project (?remove=true) or delete the account, by integer ids,
 * with /v1's rules and DRF's errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DRF } from '../../src/compat/drf';
import { call, roundTrips } from '../support/api';
import { expectJsonError as expectDrf } from '../support/answers';
import { count, makeOrg, makeUser, unique, type Actor } from '../support/actors';

const P = '/compat/portal/project_management';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const numberOf = async (who: Actor) => (await call('/v1/me', { headers: who.auth })).body.number as number;

describe('Portal project users', () => {
  let admin: Actor;
  let viewer: Actor;
  let other: Actor; // in the company, not yet in the project
  let outsider: Actor;
  let project: number;
  let users: string;

  beforeAll(async () => {
    [admin, viewer, other, outsider] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser()]);
    const org = await makeOrg(admin, [viewer, other]);
    await makeOrg(outsider);
    const company = (await call(`/v1/organizations/${org.id}`, { headers: admin.auth })).body.number;
    project = (await call(`${P}/projects/`, { headers: token(admin), json: { name: unique('Users '), company } })).body.id;
    users = `${P}/projects/${project}/users/`;
    expect((await call(`${users}${await numberOf(viewer)}/`, { method: 'PATCH', headers: token(admin) })).status).toBe(200);
  });

  it('GET lists the project’s users as the seed shows them, {id, username, last_login, date_joined, email}, in one round trip; paging walks it once; hidden = missing', async () => {
    const a = await call(users, { headers: token(viewer) });
    expect(a.status, a.text).toBe(200);
    expect(roundTrips(a)).toBe(1);
    expect(a.body.count).toBe(2);
    const mine = a.body.results.find((u: any) => u.username === viewer.username);
    expect(mine).toEqual({ id: await numberOf(viewer), username: viewer.username, last_login: expect.toSatisfy((v: unknown) => v === null || ISO_Z.test(String(v))), date_joined: expect.stringMatching(ISO_Z), email: viewer.email });
    const first = await call(`${users}?limit=1`, { headers: token(viewer) });
    const second = await call(first.body.next, { headers: token(viewer) });
    expect([...first.body.results, ...second.body.results]).toEqual(a.body.results);
    expect(second.body.next).toBeNull();
    expectDrf(await call(users, { headers: token(outsider) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${P}/projects/999999999/users/`, { headers: token(admin) }), 404, { detail: DRF.notFound });
  });

  it('POST creates an account in the project (company admins), 201 with the seed’s fields and its invitation; the viewer gets 403, a taken username 400 naming it', async () => {
    const username = unique('new-');
    const a = await call(users, { headers: token(admin), json: { username, email: `${username}@example.test` } });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ id: expect.any(Number), username, last_login: null, date_joined: expect.stringMatching(ISO_Z), email: `${username}@example.test` });
    expect(a.body.invitation).toBeDefined();
    expect(a.headers.get('Cache-Control')).toBe('no-store');
    expect((await call(users, { headers: token(admin) })).body.results.map((u: any) => u.id)).toContain(a.body.id);
    expectDrf(await call(users, { headers: token(viewer), json: { username: unique('x-'), email: `${unique('x')}@example.test` } }), 403, { detail: DRF.forbidden });
    const taken = await call(users, { headers: token(admin), json: { username, email: `${unique('y')}@example.test` } });
    expect(taken.status).toBe(400);
    expect(Object.keys(taken.body)).toEqual(['username']);
    expectDrf(await call(users, { headers: token(admin), json: { username: unique('z-') } }), 400, { email: [DRF.required] });
  });

  it('PATCH …/users/{user_id}/ adds an existing account (200 with the user); DELETE ?remove=true removes it from the project and keeps the account', async () => {
    const n = await numberOf(other);
    const a = await call(`${users}${n}/`, { method: 'PATCH', headers: token(admin) });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ id: n, username: other.username, email: other.email });
    expect((await call(`${P}/projects/${project}/`, { headers: token(other) })).status).toBe(200);
    expectDrf(await call(`${users}${n}/`, { method: 'PATCH', headers: token(viewer) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${users}999999999/`, { method: 'PATCH', headers: token(admin) }), 404, { detail: DRF.notFound });
    expectDrf(await call(`${users}${n}/?remove=true`, { method: 'DELETE', headers: token(viewer) }), 403, { detail: DRF.forbidden });
    expect((await call(`${users}${n}/?remove=true`, { method: 'DELETE', headers: token(admin) })).status).toBe(204);
    expect((await call(users, { headers: token(admin) })).body.results.map((u: any) => u.id)).not.toContain(n);
    expect(await count('users', 'id = ?', other.id)).toBe(1);
    expectDrf(await call(`${users}${n}/?remove=true`, { method: 'DELETE', headers: token(admin) }), 404, { detail: DRF.notFound });
  });

  it('DELETE …/users/{user_id}/ deletes the account by /v1’s rule: the company admin may delete one the company made; an account made elsewhere answers 403', async () => {
    const username = unique('gone-');
    const made = await call(users, { headers: token(admin), json: { username, email: `${username}@example.test` } });
    expectDrf(await call(`${users}${made.body.id}/`, { method: 'DELETE', headers: token(viewer) }), 403, { detail: DRF.forbidden });
    expect((await call(`${users}${made.body.id}/`, { method: 'DELETE', headers: token(admin) })).status).toBe(204);
    expect(await count('users', 'username = ?', username)).toBe(0);
    // The viewer's account was made elsewhere (makeUser): the company admin may not delete it.
    expectDrf(await call(`${users}${await numberOf(viewer)}/`, { method: 'DELETE', headers: token(admin) }), 403, { detail: DRF.forbidden });
    expectDrf(await call(`${users}${await numberOf(viewer)}/`, { method: 'DELETE', headers: token(outsider) }), 404, { detail: DRF.notFound });
  });
});
