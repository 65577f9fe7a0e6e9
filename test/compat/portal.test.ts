/**
 * The Portal dialect (seed 000), operation by operation: sign-in in its three forms, companies,
 * DRF's errors for every way a request fails, and the one D1 round trip of a read. Every answer is
 * also checked against the dialect's own document (support/contract.ts).
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DRF } from '../../src/compat/drf';
import { portal } from '../../src/compat/portal';
import { Problem, problems } from '../../src/http/problem';
import { call, roundTrips, type Answer } from '../support/api';
import { expectJsonError as expectDrf } from '../support/answers';
import { makeOrg, makeUser, mintToken, PASSWORD, unique, type Actor } from '../support/actors';

const P = '/compat/portal';
const ORIGIN = 'http://fieldbase.test';
const COMPANIES = `${P}/project_management/companies/`;
const token = (t: string) => ({ Authorization: `Token ${t}` });

/** A DRF error: JSON, never problem+json, with exactly this body. */

const form = (fields: Record<string, string>) => {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return fd;
};
const basic = (login: string, password: string) => ({ Authorization: `Basic ${btoa(`${login}:${password}`)}` });

describe('POST /token-auth/', () => {
  it('answers {"token"} for a username or email and password sent as JSON, a urlencoded form or multipart, with or without the slash; the token works as Token, Bearer and with X-User-Email', async () => {
    const u = await makeUser();
    const bodies: [string, { json?: unknown; body?: BodyInit; headers?: Record<string, string> }][] = [
      ['json', { json: { username: u.username, password: PASSWORD } }],
      ['email', { json: { username: u.email, password: PASSWORD } }],
      ['urlencoded', { body: new URLSearchParams({ username: u.username, password: PASSWORD }).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }],
      ['multipart', { body: form({ username: u.username, password: PASSWORD }) }],
    ];
    for (const [how, b] of bodies) {
      for (const path of [`${P}/token-auth/`, `${P}/token-auth`]) {
        const a = await call(path, { method: 'POST', ...b });
        expect(a.status, `${how} ${path}: ${a.text}`).toBe(200);
        expect(Object.keys(a.body)).toEqual(['token']);
        expect(a.headers.get('Cache-Control')).toBe('no-store');
        const t = a.body.token as string;
        for (const headers of [token(t), { Authorization: `Bearer ${t}` }, { 'X-User-Email': u.email, 'X-User-Token': t }]) {
          expect((await call(COMPANIES, { headers })).status, `${how}: ${JSON.stringify(headers)}`).toBe(200);
        }
        // The same token in /v1.
        expect((await call('/v1/me', { headers: token(t) })).body.id).toBe(u.id);
      }
    }
  });

  it('answers DRF’s 400 for a wrong password or an unknown login, alike; names each missing or unknown field', async () => {
    const u = await makeUser();
    const wrong = await call(`${P}/token-auth/`, { json: { username: u.username, password: 'not the password' } });
    expectDrf(wrong, 400, { non_field_errors: [DRF.badCredentials] });
    const unknown = await call(`${P}/token-auth/`, { json: { username: unique('nobody'), password: 'whatever it is' } });
    expectDrf(unknown, 400, { non_field_errors: [DRF.badCredentials] });
    expectDrf(await call(`${P}/token-auth/`, { json: {} }), 400, { username: [DRF.required], password: [DRF.required] });
    expectDrf(await call(`${P}/token-auth/`, { body: form({ username: u.username }) }), 400, { password: [DRF.required] });
    const extra = await call(`${P}/token-auth/`, { json: { username: u.username, password: PASSWORD, remember: true } });
    expectDrf(extra, 400, { remember: ['Not a field of this request.'] });
    expectDrf(await call(`${P}/token-auth/`, { body: '{"username":', headers: { 'Content-Type': 'application/json' } }), 400, { non_field_errors: ['The body is not valid JSON.'] });
  });

  it('locks the account as /v1 does: after 4 failures even the right password answers 429 with Retry-After, here and in /v1', async () => {
    const u = await makeUser();
    for (let i = 0; i < 4; i++) expect((await call(`${P}/token-auth/`, { json: { username: u.username, password: `wrong ${i}` } })).status).toBe(400);
    const locked = await call(`${P}/token-auth/`, { json: { username: u.username, password: PASSWORD } });
    expectDrf(locked, 429, { detail: 'Request was throttled. Expected available in 300 seconds.' });
    expect(locked.headers.get('Retry-After')).toBe('300');
    expect((await call(`${P}/token-auth/`, { method: 'GET', headers: basic(u.username, PASSWORD) })).status).toBe(429);
    expect((await call('/v1/auth/sign-in', { json: { login: u.username, password: PASSWORD } })).status).toBe(429);
  }, 60_000);

  it('answers 415 for another content type and 413 above the body limit, in DRF’s shape', async () => {
    const u = await makeUser();
    const text = await call(`${P}/token-auth/`, { body: `username=${u.username}`, headers: { 'Content-Type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(Object.keys(text.body)).toEqual(['detail']);
    const big = await call(`${P}/token-auth/`, { json: { username: u.username, password: 'x'.repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(Object.keys(big.body)).toEqual(['detail']);
  });
});

describe('GET /token-auth/ (HTTP Basic)', () => {
  it('answers {"token"} for Basic credentials; without them 401 asking for Basic; a wrong password DRF’s 400', async () => {
    const u = await makeUser();
    const a = await call(`${P}/token-auth/`, { headers: basic(u.email, PASSWORD) });
    expect(a.status, a.text).toBe(200);
    expect((await call(COMPANIES, { headers: token(a.body.token) })).status).toBe(200);
    const none = await call(`${P}/token-auth/`);
    expectDrf(none, 401, { detail: DRF.notAuthenticated });
    expect(none.headers.get('WWW-Authenticate')).toBe('Basic realm="api", charset="UTF-8"');
    for (const bad of ['Basic !!!', 'Basic ' + btoa('no-colon'), `Token ${u.token}`]) {
      expectDrf(await call(`${P}/token-auth/`, { headers: { Authorization: bad } }), 401, { detail: DRF.notAuthenticated });
    }
    expectDrf(await call(`${P}/token-auth/`, { headers: basic(u.username, 'wrong password') }), 400, { non_field_errors: [DRF.badCredentials] });
  });
});

describe('companies', () => {
  let admin: Actor;
  let stranger: Actor;
  let orgs: { id: string; slug: string; name: string }[];
  let hidden: { id: string };
  const numberOf = async (id: string) => (await env.DB.prepare('SELECT number FROM organizations WHERE id = ?').bind(id).first<{ number: number }>())!.number;

  beforeAll(async () => {
    admin = await makeUser();
    stranger = await makeUser();
    orgs = [];
    for (const name of ['Charlie', 'Alpha', 'Bravo']) orgs.push(await makeOrg(admin, [], { name: `${name} ${unique('')}` }));
    orgs.sort((a, b) => a.name.localeCompare(b.name));
    hidden = await makeOrg(stranger);
  });

  it('lists the caller’s companies by name as a DRF page, {id, name, user} with integer ids; limit/offset with absolute next and previous links inside /compat/portal walk the list once', async () => {
    const all = await call(COMPANIES, { headers: token(admin.token) });
    expect(all.status).toBe(200);
    expect(all.headers.get('Link')).toBeNull();
    const expected = await Promise.all(orgs.map(async (o) => ({ id: await numberOf(o.id), name: o.name, user: null })));
    expect(all.body).toEqual({ count: 3, next: null, previous: null, results: expected });

    const seen: unknown[] = [];
    let url: string | null = `${COMPANIES}?limit=2`;
    const pages: Answer[] = [];
    while (url) {
      const page: Answer = await call(url, { headers: token(admin.token) });
      expect(page.status).toBe(200);
      pages.push(page);
      seen.push(...page.body.results);
      url = page.body.next;
      if (url) expect(url.startsWith(`${ORIGIN}${COMPANIES}`)).toBe(true);
    }
    expect(seen).toEqual(expected);
    expect(pages.map((p) => [p.body.count, p.body.next, p.body.previous])).toEqual([
      [3, `${ORIGIN}${COMPANIES}?limit=2&offset=2`, null],
      [3, null, `${ORIGIN}${COMPANIES}?limit=2`],
    ]);
    // The stranger sees only their own company; a superuser sees all of them.
    expect((await call(COMPANIES, { headers: token(stranger.token) })).body.results).toEqual([{ id: await numberOf(hidden.id), name: (await call(`/v1/organizations/${hidden.id}`, { headers: stranger.auth })).body.name, user: null }]);
  });

  it('answers one company by its integer id, with an ETag and 304, in one D1 round trip (the list too)', async () => {
    const n = await numberOf(orgs[0]!.id);
    for (const path of [`${COMPANIES}${n}`, `${COMPANIES}${n}/`]) {
      const a = await call(path, { headers: token(admin.token) });
      expect(a.status).toBe(200);
      expect(a.body).toEqual({ id: n, name: orgs[0]!.name, user: null });
      expect(roundTrips(a)).toBe(1);
      const again = await call(path, { headers: { ...token(admin.token), 'If-None-Match': a.headers.get('ETag')! } });
      expect(again.status).toBe(304);
    }
    expect(roundTrips(await call(COMPANIES, { headers: token(admin.token) }))).toBe(1);
  });

  it('answers 404 {"detail": "Not found."} alike for a company the caller is not in, one that does not exist and an id that is not one', async () => {
    const answers = [
      await call(`${COMPANIES}${await numberOf(hidden.id)}`, { headers: token(admin.token) }),
      await call(`${COMPANIES}999999999`, { headers: token(admin.token) }),
      await call(`${COMPANIES}abc`, { headers: token(admin.token) }),
      await call(`${COMPANIES}0`, { headers: token(admin.token) }),
      await call(`${COMPANIES}${orgs[0]!.id}`, { headers: token(admin.token) }),
    ];
    for (const a of answers) expectDrf(a, 404, { detail: DRF.notFound });
  });

  it('answers 401 as DRF does: not provided, or an invalid token (wrong, revoked, expired, malformed, a pair that does not match), with WWW-Authenticate: Token', async () => {
    const none = await call(COMPANIES);
    expectDrf(none, 401, { detail: DRF.notAuthenticated });
    expect(none.headers.get('WWW-Authenticate')).toBe('Token');
    const revoked = await mintToken(admin.id, { revoked: true });
    const expired = await mintToken(admin.id, { expiresAt: Date.now() - 1000 });
    for (const headers of [
      token('fbt_' + 'x'.repeat(43)),
      token(revoked),
      { Authorization: `Bearer ${expired}` },
      { Authorization: 'Token' },
      { Authorization: 'Token not-a-token' },
      { 'X-User-Email': stranger.email, 'X-User-Token': admin.token },
    ]) {
      const a = await call(`${COMPANIES}1`, { headers });
      expectDrf(a, 401, { detail: DRF.invalidToken });
      expect(a.headers.get('WWW-Authenticate')).toBe('Token');
    }
  });

  it('answers 400 naming the query parameter: unknown, repeated or out of range', async () => {
    const h = token(admin.token);
    expectDrf(await call(`${COMPANIES}?ordering=name`, { headers: h }), 400, { ordering: ['Not a query parameter of this operation.'] });
    expectDrf(await call(`${COMPANIES}?limit=1&limit=2`, { headers: h }), 400, { limit: ['Given 2 times: send it once.'] });
    const zero = await call(`${COMPANIES}?limit=0`, { headers: h });
    expect([zero.status, Object.keys(zero.body)]).toEqual([400, ['limit']]);
  });

  it('answers 405 with Allow for another method, and 404 for an unknown path under the base, in DRF’s shape', async () => {
    const a = await call(COMPANIES, { method: 'DELETE', headers: token(admin.token), unchecked: true });
    expectDrf(a, 405, { detail: 'Method "DELETE" not allowed.' });
    expect(a.headers.get('Allow')).toBe('GET, HEAD, OPTIONS');
    const b = await call(`${COMPANIES}1`, { method: 'PUT', headers: token(admin.token), unchecked: true });
    expectDrf(b, 405, { detail: 'Method "PUT" not allowed.' });
    for (const path of [`${P}/nothing/`, `${P}/project_management/`, P, `${P}/`]) expectDrf(await call(path, { unchecked: true }), 404, { detail: DRF.notFound });
  });
});

describe('the document', () => {
  it('is OpenAPI 3.1 under servers /compat/portal with the seed’s paths, its security schemes, and DRF error bodies (never problem+json)', async () => {
    const a = await call(`${P}/openapi.json`);
    expect(a.status).toBe(200);
    const doc = a.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([expect.objectContaining({ url: P })]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/project_management/companies/', '/project_management/companies/{id}', '/token-auth/', '/project_management/projects/{project_id}/', '/project_management/projects/{project_id}']));
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['basic', 'bearer', 'token', 'userEmail', 'userToken']);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(Object.keys(r.content ?? {}), `${method} ${path} ${status}`).toEqual(['application/json']);
        }
      }
    }
    // Not in /v1's document.
    expect(JSON.stringify((await call('/openapi.json')).body.paths)).not.toContain('token-auth');
  });
});

describe('DRF’s shape for every problem the app raises', () => {
  const render = (p: Problem, messages = {}) => portal.errors.render(p, { messages, method: 'PATCH' });

  it('translates each one in one place, valid against the document’s error schemas', () => {
    const cases: [Problem, number, unknown][] = [
      [problems.invalid([{ path: 'name', message: 'Too long.' }, { path: 'name', message: 'Odd.' }, { path: 'lat', message: 'x', kind: 'required' }]), 400, { name: ['Too long.', 'Odd.'], lat: [DRF.required] }],
      [problems.invalid([{ path: '(root)', message: 'Send an object.' }]), 400, { non_field_errors: ['Send an object.'] }],
      [problems.invalid([{ path: 'id', message: 'Not an id.' }], 'The request path is not valid.', 'path'), 404, { detail: DRF.notFound }],
      [problems.malformed('The body is not valid JSON.'), 400, { non_field_errors: ['The body is not valid JSON.'] }],
      [problems.unauthenticated(), 401, { detail: DRF.notAuthenticated }],
      [problems.unauthenticated('x', 'invalid'), 401, { detail: DRF.invalidToken }],
      [problems.badCredentials(), 400, { non_field_errors: [DRF.badCredentials] }],
      [problems.forbidden('Only an admin may.'), 403, { detail: DRF.forbidden }],
      [problems.notFound('Project'), 404, { detail: DRF.notFound }],
      [problems.methodNotAllowed(['GET']), 405, { detail: 'Method "PATCH" not allowed.' }],
      [problems.conflict('Taken.', [{ path: 'slug', message: 'Taken.' }]), 400, { slug: ['Taken.'] }],
      [problems.archived('The project'), 409, { detail: 'The project is archived and read-only until it is unarchived.' }],
      [problems.preconditionFailed(), 412, { detail: problems.preconditionFailed().detail }],
      [problems.tooLarge(10), 413, { detail: 'The body exceeds the limit of 10 bytes.' }],
      [problems.unsupportedMediaType(['application/json']), 415, { detail: 'Send application/json.' }],
      [problems.locked(300), 429, { detail: 'Request was throttled. Expected available in 300 seconds.' }],
      [problems.internal(), 500, { detail: DRF.serverError }],
      [new Error('boom') as unknown as Problem, 500, { detail: DRF.serverError }],
    ];
    for (const [p, status, body] of cases) {
      const problem = p instanceof Problem ? p : problems.internal();
      const answer = render(problem);
      expect([answer.status, answer.body], `${problem.status} ${problem.slug}`).toEqual([status, body]);
      expect(portal.errors.schema(answer.status).safeParse(answer.body).success, `${status} body against its schema`).toBe(true);
    }
    expect(render(problems.forbidden('x'), { 403: 'You may not.' }).body).toEqual({ detail: 'You may not.' });
    expect(render(problems.unauthenticated()).headers).toEqual({ 'WWW-Authenticate': 'Token' });
  });
});

describe('an unexpected failure under /compat/portal', () => {
  it('answers DRF’s opaque 500, nothing about the cause', async () => {
    const u = await makeUser();
    await env.DB.exec('DROP TABLE organizations');
    const a = await call(COMPANIES, { headers: token(u.token) });
    expectDrf(a, 500, { detail: DRF.serverError });
    expect(a.headers.get('X-Request-Id')).toBeTruthy();
  });
});
