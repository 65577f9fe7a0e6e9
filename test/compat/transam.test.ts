/**
 * The TransAM dialect (seed 003), operation by operation: sign in and out, the lockout, users,
 * organisations and assets, JSend for every way a request fails. Every answer is also checked
 * against the dialect's own document (support/contract.ts).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEXT } from '../../src/compat/transam/dialect';
import type { Bindings } from '../../src/env';
import { app } from '../../src/index';
import { call, ORIGIN, roundTrips, type Answer } from '../support/api';
import { checkContract } from '../support/contract';
import { expectJSendFail as expectFail } from '../support/answers';
import { makeOrg, makeUser, mintToken, PASSWORD, unique, type Actor } from '../support/actors';

const T = '/compat/transam/api/v1';

/** JSend fail: JSON, never problem+json, with exactly this data. */

const numberOf = async (table: string, id: string) => (await env.DB.prepare(`SELECT number FROM ${table} WHERE id = ?`).bind(id).first<{ number: number }>())!.number;

/**
 * A GET with a JSON body, as seed 003's clients send one. Off the network workerd hands the worker
 * such a request, but one cannot be made in JavaScript (the Request constructor refuses a GET with
 * a body), so this is a POST that answers `GET` as its method, sent to the app in-process.
 */
async function getWithBody(path: string, headers: Record<string, string>, json?: unknown): Promise<Answer> {
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  const post = new Request(ORIGIN + path, json === undefined ? { method: 'POST', headers } : {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(new TextEncoder().encode(text).byteLength) },
    body: text,
  });
  const get = new Proxy(post, {
    get(target, key) {
      if (key === 'method') return 'GET';
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const ctx = createExecutionContext();
  const res = await app.fetch(get, env as unknown as Bindings, ctx);
  const raw = await res.text();
  await waitOnExecutionContext(ctx);
  const answer: Answer = { res, status: res.status, headers: res.headers, body: (res.headers.get('Content-Type') ?? '').includes('json') && raw ? JSON.parse(raw) : raw, text: raw };
  checkContract('GET', new URL(ORIGIN + path).pathname, answer);
  return answer;
}

describe('POST /api/v1/sign_in', () => {
  it('answers the session for an email and password (JSON or a form); its token works as X-User-Token with the email, and in /v1', async () => {
    const u = await makeUser();
    for (const body of [{ json: { email: u.email, password: PASSWORD } }, { body: new URLSearchParams({ email: u.email, password: PASSWORD }).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }]) {
      const a = await call(`${T}/sign_in`, { method: 'POST', ...body });
      expect(a.status, a.text).toBe(200);
      expect(a.headers.get('Cache-Control')).toBe('no-store');
      expect(a.body).toEqual({
        status: 'success',
        data: { message: 'User Signed In Successfully', session: { name: `Name of ${u.username}`, email: u.email, authentication_token: expect.any(String), failed_attempts: 0 } },
      });
      const t = a.body.data.session.authentication_token as string;
      expect((await call(`${T}/assets`, { headers: { 'X-User-Email': u.email, 'X-User-Token': t } })).status).toBe(200);
      expect((await call('/v1/me', { headers: { Authorization: `Bearer ${t}` } })).body.id).toBe(u.id);
    }
  });

  it('answers 401 fail for a wrong password or an unknown email alike; 400 fail naming each missing or unknown field', async () => {
    const u = await makeUser();
    expectFail(await call(`${T}/sign_in`, { json: { email: u.email, password: 'not the password' } }), 401, { message: TEXT.badCredentials });
    expectFail(await call(`${T}/sign_in`, { json: { email: `${unique('nobody')}@example.test`, password: 'whatever it is' } }), 401, { message: TEXT.badCredentials });
    expectFail(await call(`${T}/sign_in`, { json: {} }), 400, { email: TEXT.required, password: TEXT.required });
    expectFail(await call(`${T}/sign_in`, { json: { email: u.email, password: PASSWORD, remember: true } }), 400, { remember: 'Not a field of this request.' });
  });

  it('locks the account after 4 failed attempts: even the right password then answers 429 fail with Retry-After, here and in /v1; a success before that resets the count', async () => {
    const u = await makeUser();
    for (let i = 0; i < 3; i++) expect((await call(`${T}/sign_in`, { json: { email: u.email, password: `wrong ${i}` } })).status).toBe(401);
    const ok = await call(`${T}/sign_in`, { json: { email: u.email, password: PASSWORD } });
    expect(ok.body.data.session.failed_attempts).toBe(0);
    for (let i = 0; i < 4; i++) expect((await call(`${T}/sign_in`, { json: { email: u.email, password: `wrong ${i}` } })).status).toBe(401);
    const locked = await call(`${T}/sign_in`, { json: { email: u.email, password: PASSWORD } });
    expectFail(locked, 429, { message: TEXT.locked('300') });
    expect(locked.headers.get('Retry-After')).toBe('300');
    expect((await call('/v1/auth/sign-in', { json: { login: u.username, password: PASSWORD } })).status).toBe(429);
  }, 60_000);
});

describe('DELETE /api/v1/sign_out', () => {
  it('revokes the token presented (only it) and says whose; the token then answers 401 fail', async () => {
    const u = await makeUser();
    const other = await mintToken(u.id);
    const a = await call(`${T}/sign_out`, { method: 'DELETE', headers: u.pair });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toEqual({ status: 'success', data: { message: `User ${u.email} successfully signed out.` } });
    expectFail(await call(`${T}/assets`, { headers: u.pair }), 401, { message: TEXT.invalidToken });
    expectFail(await call(`${T}/sign_out`, { method: 'DELETE', headers: u.pair }), 401, { message: TEXT.invalidToken });
    expect((await call(`${T}/assets`, { headers: { 'X-User-Email': u.email, 'X-User-Token': other } })).status).toBe(200);
  });

  it('answers 401 fail without credentials, and for a pair whose email is not the token’s', async () => {
    const u = await makeUser();
    const v = await makeUser();
    expectFail(await call(`${T}/sign_out`, { method: 'DELETE' }), 401, { message: TEXT.unauthenticated });
    expectFail(await call(`${T}/sign_out`, { method: 'DELETE', headers: { 'X-User-Email': v.email, 'X-User-Token': u.token } }), 401, { message: TEXT.invalidToken });
    expect((await call(`${T}/assets`, { headers: u.pair })).status).toBe(200);
  });
});

describe('users, organisations and assets', () => {
  let admin: Actor;
  let member: Actor;
  let stranger: Actor;
  let org: { id: string; slug: string; name: string; number: number };
  let hidden: { id: string; number: number };
  let asset: string;
  let hiddenAsset: string;

  beforeAll(async () => {
    admin = await makeUser();
    member = await makeUser();
    stranger = await makeUser();
    const o = await makeOrg(admin, [member], { name: `Transit ${unique('')}`, short_name: 'TR' });
    org = { ...o, number: await numberOf('organizations', o.id) };
    const h = await makeOrg(stranger);
    hidden = { id: h.id, number: await numberOf('organizations', h.id) };
    const project = await call(`/v1/organizations/${o.slug}/projects`, { headers: admin.auth, json: { name: 'Buses' } });
    expect(project.status, project.text).toBe(201);
    const a = await call(`/v1/projects/${project.body.id}/assets`, {
      headers: admin.auth,
      json: { name: 'Bus 1', asset_tag: 'BUS-1', asset_type: 'Revenue Vehicle', asset_subtype: 'Bus', description: 'A bus', in_service_date: '2018-11-23' },
    });
    expect(a.status, a.text).toBe(201);
    asset = a.body.id;
    const hp = await call(`/v1/organizations/${h.slug}/projects`, { headers: stranger.auth, json: { name: 'Hidden' } });
    hiddenAsset = (await call(`/v1/projects/${hp.body.id}/assets`, { headers: stranger.auth, json: { name: 'Hidden bus' } })).body.id;
  });

  it('GET organizations/{id}: {id, name, short_name} by the integer id in one round trip; 404 fail alike for a hidden, missing or malformed id', async () => {
    const a = await call(`${T}/organizations/${org.number}`, { headers: member.pair });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toEqual({ status: 'success', data: { organization: { id: org.number, name: org.name, short_name: 'TR' } } });
    expect(roundTrips(a)).toBe(1);
    for (const path of [`${hidden.number}`, '999999999', 'abc', '0', org.id]) {
      expectFail(await call(`${T}/organizations/${path}`, { headers: member.pair }), 404, { message: TEXT.notFound });
    }
    expectFail(await call(`${T}/organizations/${org.number}`), 401, { message: TEXT.unauthenticated });
  });

  it('GET users/profile: the user by email from the query, with their organisation; 404 fail for one the caller may not see as for none; 400 fail without email', async () => {
    const expected = { status: 'success', data: { user: { id: await numberOf('users', member.id), name: `Name of ${member.username}`, email: member.email, organization: { id: org.number, name: org.name, short_name: 'TR' } } } };
    const q = await call(`${T}/users/profile?email=${encodeURIComponent(member.email)}`, { headers: admin.pair });
    expect(q.status, q.text).toBe(200);
    expect(q.body).toEqual(expected);
    expect(roundTrips(q)).toBe(1);
    expectFail(await call(`${T}/users/profile?email=${encodeURIComponent(stranger.email)}`, { headers: admin.pair }), 404, { message: TEXT.notFound });
    expectFail(await call(`${T}/users/profile?email=nobody@example.test`, { headers: admin.pair }), 404, { message: TEXT.notFound });
    expectFail(await call(`${T}/users/profile`, { headers: admin.pair }), 400, { email: TEXT.required });
    expectFail(await call(`${T}/users/profile?email=x&colour=red`, { headers: admin.pair }), 400, { colour: 'Not a query parameter of this operation.' });
    expectFail(await call(`${T}/users/profile?email=${encodeURIComponent(member.email)}`), 401, { message: TEXT.unauthenticated });
  });

  it('GET users/profile and users take email and organization_id from a JSON body, as the seed sends them, as well as from the query; given in both, the query wins', async () => {
    const profile = (query: string | null, json?: unknown) =>
      getWithBody(`${T}/users/profile${query ? `?email=${encodeURIComponent(query)}` : ''}`, admin.pair, json);
    const emailOf = (a: Answer) => [a.status, a.body.data?.user?.email ?? a.body.data];
    expect(emailOf(await profile(null, { email: member.email }))).toEqual([200, member.email]);
    expect(emailOf(await profile(member.email))).toEqual([200, member.email]);
    expect(emailOf(await profile(member.email, { email: admin.email }))).toEqual([200, member.email]);
    expect(emailOf(await profile(admin.email, { email: member.email }))).toEqual([200, admin.email]);
    // The query's value is the one looked up: a hidden one is 404 whatever the body names.
    expectFail(await profile(stranger.email, { email: member.email }), 404, { message: TEXT.notFound });
    expectFail(await profile(null, { email: member.email, colour: 'red' }), 400, { colour: 'Not a field of this request.' });
    expectFail(await profile(null, {}), 400, { email: TEXT.required });

    const users = (query: number | null, json?: unknown, paging = '') =>
      getWithBody(`${T}/users${query !== null ? `?organization_id=${query}` : `?${paging}`}`, member.pair, json);
    const orgOf = (a: Answer) => [a.status, a.body.data?.organization?.id ?? a.body.data];
    expect(orgOf(await users(null, { organization_id: org.number }))).toEqual([200, org.number]);
    expect(orgOf(await users(null, { organization_id: String(org.number) }))).toEqual([200, org.number]);
    expect(orgOf(await users(org.number, { organization_id: hidden.number }))).toEqual([200, org.number]);
    expectFail(await users(hidden.number, { organization_id: org.number }), 404, { message: TEXT.notFound });
    const paged = await users(null, { organization_id: org.number }, 'page_size=1&page=2');
    expect([paged.status, paged.headers.get('Total'), paged.body.data.users.length, paged.headers.get('Link')]).toEqual([200, '2', 1, expect.stringContaining('page=1')]);
  });

  it('GET with a body: the body is held to the JSON limit (413 fail) and must be JSON (400 fail); a GET with no body is read from the query alone', async () => {
    const big = await getWithBody(`${T}/users/profile`, admin.pair, { email: member.email, pad: 'x'.repeat(70_000) });
    expect([big.status, big.body.status], big.text).toEqual([413, 'fail']);
    const broken = await getWithBody(`${T}/users/profile`, admin.pair, '{"email": ');
    expect([broken.status, broken.body.status, Object.keys(broken.body.data)], broken.text).toEqual([400, 'fail', ['message']]);
    const typed = await call(`${T}/users/profile?email=${encodeURIComponent(member.email)}`, { headers: { ...admin.pair, 'Content-Type': 'application/json' } });
    expect([typed.status, typed.body.data.user.email]).toEqual([200, member.email]);
  });

  it('GET users: the organisation and its users by organization_id, paged with Link, Total and Per-Page, one round trip; 404 fail for a hidden organisation', async () => {
    const a = await call(`${T}/users?organization_id=${org.number}`, { headers: member.pair });
    expect(a.status, a.text).toBe(200);
    const users = [admin, member].sort((x, y) => x.username.localeCompare(y.username));
    expect(a.body).toEqual({
      status: 'success',
      data: { organization: { id: org.number, name: org.name, short_name: 'TR' }, users: await Promise.all(users.map(async (u) => ({ id: await numberOf('users', u.id), name: `Name of ${u.username}`, email: u.email }))) },
    });
    expect(roundTrips(a)).toBe(1);
    expect([a.headers.get('Total'), a.headers.get('Per-Page')]).toEqual(['2', '25']);
    const b = await call(`${T}/users?page_size=1&organization_id=${org.number}`, { headers: member.pair });
    expect(b.body.data.users).toEqual(a.body.data.users.slice(0, 1));
    expect(b.headers.get('Link')).toContain('page=2');
    expectFail(await call(`${T}/users?organization_id=${hidden.number}`, { headers: member.pair }), 404, { message: TEXT.notFound });
    expectFail(await call(`${T}/users?organization_id=999999999`, { headers: member.pair }), 404, { message: TEXT.notFound });
    expectFail(await call(`${T}/users`, { headers: member.pair }), 400, { organization_id: TEXT.required });
  });

  it('GET assets/{object_key}: the asset in the seed’s fields (in_service_date MM/DD/YYYY); 404 fail alike for a hidden and a missing key', async () => {
    const a = await call(`${T}/assets/${asset}`, { headers: member.pair });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toEqual({
      status: 'success',
      data: { asset: { object_key: asset, asset_tag: 'BUS-1', organization_id: org.number, transam_assetible_type: 'Revenue Vehicle', asset_subtype: 'Bus', description: 'A bus', in_service_date: '11/23/2018' } },
    });
    expect(roundTrips(a)).toBe(1);
    expectFail(await call(`${T}/assets/${hiddenAsset}`, { headers: member.pair }), 404, { message: TEXT.notFound });
    expectFail(await call(`${T}/assets/ast_01jd8z3b6q0w4y1r7k5t2m9xce`, { headers: member.pair }), 404, { message: TEXT.notFound });
  });

  it('GET assets: pages by page/page_size with Link (first, prev, next, last by page=), Total and Per-Page, walking the list once', async () => {
    for (let i = 2; i <= 5; i++) {
      const r = await call(`/v1/assets?organization=${org.slug}`, { headers: admin.auth });
      expect(r.status).toBe(200);
      const projectId = (await call(`/v1/assets/${asset}`, { headers: admin.auth })).body.project.id;
      expect((await call(`/v1/projects/${projectId}/assets`, { headers: admin.auth, json: { name: `Bus ${i}`, asset_subtype: 'Bus' } })).status).toBe(201);
    }
    const seen: string[] = [];
    let url: string | null = `${T}/assets?page_size=2`;
    const totals: string[] = [];
    while (url) {
      const page: Answer = await call(url, { headers: member.pair });
      expect(page.status, page.text).toBe(200);
      expect(page.headers.get('Per-Page')).toBe('2');
      totals.push(page.headers.get('Total')!);
      seen.push(...page.body.data.assets.map((x: { object_key: string }) => x.object_key));
      const link = page.headers.get('Link')!;
      expect(link).toContain(`<${ORIGIN}${T}/assets?page_size=2&page=1>; rel="first"`);
      expect(link).toContain(`<${ORIGIN}${T}/assets?page_size=2&page=3>; rel="last"`);
      url = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? null;
    }
    expect(totals).toEqual(['5', '5', '5']);
    expect(new Set(seen).size).toBe(5);
    expect(seen).not.toContain(hiddenAsset);
    const first = (await call(`${T}/assets`, { headers: member.pair })).body.data.assets[0];
    expect(Object.keys(first)).toEqual(['object_key', 'asset_tag', 'organization_id', 'transam_assetible_type', 'asset_subtype_id']);
    const bad = await call(`${T}/assets?page_size=101`, { headers: member.pair });
    expect([bad.status, Object.keys(bad.body.data)]).toEqual([400, ['page_size']]);
  });

  it('GET assets: Total stays the number of assets walked through the pages after creates, moves, trash, restore, a project’s move to another organisation, purge and delete', async () => {
    const a = await makeUser();
    const m = await makeUser();
    const home = await makeOrg(a, [m]);
    const away = await makeOrg(a, [m]);
    const open = (await call(`/v1/organizations/${home.slug}/projects`, { headers: a.auth, json: { name: 'Open' } })).body.id as string;
    const closed = (await call(`/v1/organizations/${home.slug}/projects`, { headers: a.auth, json: { name: 'Closed', access: 'private' } })).body.id as string;
    const made: string[] = [];
    const add = async (project: string) => {
      const r = await call(`/v1/projects/${project}/assets`, { headers: a.auth, json: { name: `Bus ${made.length}` } });
      expect(r.status, r.text).toBe(201);
      made.push(r.body.id);
      return r.body.id as string;
    };
    /** Total on every page, and the keys walked, for each caller: [admin's, member's]. */
    const walk = async () =>
      Promise.all(
        [a, m].map(async (who) => {
          const keys: string[] = [];
          const totals = new Set<string>();
          let url: string | null = `${T}/assets?page_size=2`;
          while (url) {
            const page: Answer = await call(url, { headers: who.pair });
            expect(page.status, page.text).toBe(200);
            totals.add(page.headers.get('Total')!);
            keys.push(...page.body.data.assets.map((x: { object_key: string }) => x.object_key));
            url = /<([^>]+)>; rel="next"/.exec(page.headers.get('Link')!)?.[1] ?? null;
          }
          expect([...totals]).toEqual([String(keys.length)]);
          return keys.length;
        }),
      );
    const expectTotals = async (admin: number, member: number) => expect(await walk()).toEqual([admin, member]);

    await expectTotals(0, 0);
    for (let i = 0; i < 3; i++) await add(open);
    await add(closed);
    await expectTotals(4, 3);
    expect((await call(`/v1/assets/${made[0]}`, { method: 'PATCH', headers: a.auth, json: { project_id: closed } })).status).toBe(200);
    await expectTotals(4, 2);
    expect((await call(`/v1/assets/${made[0]}`, { method: 'PATCH', headers: a.auth, json: { project_id: null } })).status).toBe(200);
    await expectTotals(4, 3);
    expect((await call(`/v1/projects/${open}`, { method: 'DELETE', headers: a.auth })).status).toBe(204);
    await expectTotals(2, 1);
    expect((await call(`/v1/projects/${open}/restore`, { method: 'POST', headers: a.auth })).status).toBe(200);
    await expectTotals(4, 3);
    expect((await call(`/v1/projects/${closed}`, { method: 'PATCH', headers: a.auth, json: { organization: away.slug, access: 'organization' } })).status).toBe(200);
    await expectTotals(4, 4);
    expect((await call(`/v1/projects/${closed}?permanent=true`, { method: 'DELETE', headers: a.auth })).status).toBe(204);
    await expectTotals(3, 3);
    expect((await call(`/v1/assets/${made[1]}`, { method: 'DELETE', headers: a.auth })).status).toBe(204);
    await expectTotals(2, 2);
  }, 60_000);

  it('answers unknown paths and methods in JSend: 404 and 405 fail', async () => {
    expectFail(await call(`${T}/nothing-here`, { headers: member.pair }), 404, { message: TEXT.notFound });
    const a = await call(`${T}/assets`, { method: 'PUT', headers: member.pair, json: {} });
    expect(a.status).toBe(405);
    expect(a.body.status).toBe('fail');
  });
});
