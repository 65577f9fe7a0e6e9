/**
 * Failures that must never leak, and the headers every answer carries (CORS, request id,
 * Server-Timing). The last describe block breaks this file's own database on purpose: keep it last.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, roundTrips } from './support/api';
import { makeUser } from './support/actors';

const ALLOWED = 'http://localhost:3000';
const ALSO_ALLOWED = 'http://localhost:5173';
const DISALLOWED = 'https://evil.example';

function list(header: string | null): string[] {
  return (header ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
}

async function preflight(origin: string, path = '/v1/users', method = 'PATCH') {
  return call(path, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization, if-match, content-type' },
    unchecked: true,
  });
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin, echoing it, with the headers and methods the API uses', async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      const a = await preflight(origin);
      expect(a.status).toBeLessThan(300);
      expect(a.headers.get('Access-Control-Allow-Origin')).toBe(origin);
      const headers = list(a.headers.get('Access-Control-Allow-Headers'));
      for (const h of ['authorization', 'if-match', 'if-none-match', 'content-type', 'x-user-email', 'x-user-token']) expect(headers).toContain(h);
      const methods = list(a.headers.get('Access-Control-Allow-Methods'));
      for (const m of ['get', 'post', 'put', 'patch', 'delete']) expect(methods).toContain(m);
      expect(list(a.headers.get('Vary'))).toContain('origin');
      expect(Number(a.headers.get('Access-Control-Max-Age'))).toBeGreaterThan(0);
    }
  });

  it('never allows an origin that is not configured', async () => {
    for (const origin of [DISALLOWED, 'http://localhost:3001', 'http://localhost:3000.evil.example', 'null']) {
      const pre = await preflight(origin);
      expect(pre.headers.get('Access-Control-Allow-Origin'), origin).toBeNull();
      const get = await call('/health', { headers: { Origin: origin } });
      expect(get.status).toBe(200);
      expect(get.headers.get('Access-Control-Allow-Origin'), origin).toBeNull();
    }
  });

  it('exposes ETag, Link and X-Request-Id on a simple request from an allowed origin', async () => {
    const a = await call('/health', { headers: { Origin: ALLOWED } });
    expect(a.status).toBe(200);
    expect(a.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED);
    const exposed = list(a.headers.get('Access-Control-Expose-Headers'));
    for (const h of ['etag', 'link', 'x-request-id', 'location', 'server-timing', 'retry-after']) expect(exposed).toContain(h);
    // No wildcard, no credentials mode: the API authenticates by header, not cookie.
    expect(a.headers.get('Access-Control-Allow-Origin')).not.toBe('*');
    expect(a.headers.get('Access-Control-Allow-Credentials')).toBeNull();
  });

  it('keeps the CORS headers on error answers, so that browsers can read the problem', async () => {
    const a = await call('/v1/me', { headers: { Origin: ALLOWED } });
    expectProblem(a, 401, 'unauthenticated');
    expect(a.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED);
    expect(list(a.headers.get('Access-Control-Expose-Headers'))).toContain('x-request-id');
  });
});

describe('headers on every error answer', () => {
  const cases: [string, () => Promise<Awaited<ReturnType<typeof call>>>, number][] = [
    ['404 unknown route', () => call('/v1/nothing-here', { unchecked: true }), 404],
    ['405 wrong method', () => call('/v1/auth/sign-in', { method: 'DELETE', unchecked: true }), 405],
    ['400 invalid body', () => call('/v1/auth/sign-in', { json: { password: 'x' } }), 400],
    ['400 malformed JSON', () => call('/v1/auth/sign-in', { body: '{', headers: { 'Content-Type': 'application/json' } }), 400],
    ['401 no token', () => call('/v1/me'), 401],
    ['401 bad token', () => call('/v1/users', { headers: { Authorization: 'Bearer not-a-token' } }), 401],
    ['415 wrong type', () => call('/v1/auth/sign-in', { body: 'x', headers: { 'Content-Type': 'text/plain' } }), 415],
  ];

  it.each(cases)('%s carries X-Request-Id and Server-Timing', async (_name, make, status) => {
    const a = await make();
    expectProblem(a, status);
    expect(a.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('Server-Timing')).toMatch(/total;dur=[\d.]+/);
    expect(roundTrips(a)).toBeGreaterThanOrEqual(0);
  });

  it('echoes a well-formed client request id on an error, and replaces a malformed one', async () => {
    const a = await call('/v1/nothing-here', { headers: { 'X-Request-Id': 'client-err-0001' }, unchecked: true });
    expectProblem(a, 404);
    expect(a.headers.get('X-Request-Id')).toBe('client-err-0001');
    expect(a.body.request_id).toBe('client-err-0001');
    const b = await call('/v1/nothing-here', { headers: { 'X-Request-Id': 'bad id <script>' }, unchecked: true });
    expect(b.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.text).not.toContain('<script>');
  });
});

// Destroys a table of this file's database: everything after this block sees a broken schema.
describe('bodies that are not what they claim', () => {
  it('answers 400 naming the field for a form field that is not UTF-8, and for a non-JSON body where JSON or a form is taken', async () => {
    const me = await makeUser();
    const enc = new TextEncoder();
    // 0xED 0xA0 0x80 is a lone surrogate encoded as if it were UTF-8: no decoder may accept it.
    const body = new Uint8Array([
      ...enc.encode('--XYZ\r\nContent-Disposition: form-data; name="name"\r\n\r\n'),
      0x61, 0xed, 0xa0, 0x80,
      ...enc.encode('\r\n--XYZ--\r\n'),
    ]);
    const before = await env.DB.prepare('SELECT count(*) AS n FROM organizations').first<{ n: number }>();
    const a = await call('/v1/organizations', { method: 'POST', headers: { ...me.auth, 'Content-Type': 'multipart/form-data; boundary=XYZ' }, body });
    expectProblem(a, 400, 'invalid-request');
    expect(a.body.errors).toEqual([{ path: 'name', message: 'Send text in UTF-8.' }]);
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      const b = await call('/v1/organizations', { method: 'POST', headers: { ...me.auth, 'Content-Type': type }, body: 'name=x&slug=y' });
      expectProblem(b, 415, 'unsupported-media-type');
    }
    expect(await env.DB.prepare('SELECT count(*) AS n FROM organizations').first<{ n: number }>()).toEqual(before);
  });
});

describe('an unexpected failure (a table the route needs is gone)', () => {
  it('answers an opaque 500 problem with the request id and nothing about the cause', async () => {
    const u = await makeUser();
    // Before: the route works.
    const before = await call('/v1/organizations', { headers: u.auth });
    expect(before.status).toBe(200);

    await env.DB.exec('DROP TABLE organizations');

    const a = await call('/v1/organizations', { headers: { ...u.auth, Origin: ALLOWED } });
    expectProblem(a, 500, 'internal');
    expect(a.headers.get('Content-Type')).toBe('application/problem+json');
    expect(a.body.request_id).toBe(a.headers.get('X-Request-Id'));
    expect(a.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(a.body).sort()).toEqual(['detail', 'instance', 'request_id', 'status', 'title', 'type']);
    expect(a.body.instance).toBe('/v1/organizations');
    // Nothing from the error: no driver, no SQL, no table, no stack frame.
    const { instance: _instance, ...rest } = a.body;
    const leaked = JSON.stringify(rest);
    for (const needle of [/D1/, /SQL/i, /organizations/i, /no such table/i, /stack/i, /\bat .*:\d+/, /\.ts\b/, /Error:/]) {
      expect(leaked).not.toMatch(needle);
    }
    expect(a.text).not.toMatch(/D1_ERROR|SQLITE|no such table|\.ts:\d+/);
    // The usual headers are still there.
    expect(a.headers.get('Server-Timing')).toMatch(/d1;dur=/);
    expect(a.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED);

    // A client-chosen request id is the one to quote.
    const b = await call('/v1/organizations', { headers: { ...u.auth, 'X-Request-Id': 'quote-me-please-01' } });
    expectProblem(b, 500, 'internal');
    expect(b.body.request_id).toBe('quote-me-please-01');

    // Routes that do not need the table still work.
    expect((await call('/health')).status).toBe(200);
    expect((await call('/v1/me/tokens', { headers: u.auth })).status).toBe(200);
  });
});
