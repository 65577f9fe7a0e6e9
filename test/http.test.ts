import { describe, expect, it } from 'vitest';
import { call, expectProblem, roundTrips } from './support/api';
import { makeUser } from './support/actors';

describe('HTTP core', () => {
  it('answers the health route with a request id and Server-Timing', async () => {
    const a = await call('/health');
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ status: 'ok' });
    expect(a.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(roundTrips(a)).toBe(0);
  });

  it('keeps a well-formed client request id', async () => {
    const a = await call('/health', { headers: { 'X-Request-Id': 'client-req-12345' } });
    expect(a.headers.get('X-Request-Id')).toBe('client-req-12345');
  });

  it('answers an unknown route with a 404 problem', async () => {
    const a = await call('/v1/nothing-here', { unchecked: true });
    expectProblem(a, 404, 'not-found');
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const a = await call('/v1/auth/sign-in', { method: 'GET', unchecked: true });
    expectProblem(a, 405, 'method-not-allowed');
    expect(a.headers.get('Allow')).toContain('POST');
  });

  it('answers malformed JSON with 400', async () => {
    const a = await call('/v1/auth/sign-in', { body: '{"login":', headers: { 'Content-Type': 'application/json' } });
    expectProblem(a, 400, 'malformed-request');
  });

  it('answers a wrong content type with 415', async () => {
    const a = await call('/v1/auth/sign-in', { body: 'login=x', headers: { 'Content-Type': 'text/plain' } });
    expectProblem(a, 415);
  });

  it('answers a body over the JSON limit with 413', async () => {
    const big = JSON.stringify({ login: 'x', password: 'y'.repeat(70_000) });
    const a = await call('/v1/auth/sign-in', { body: big, headers: { 'Content-Type': 'application/json' } });
    expectProblem(a, 413, 'payload-too-large');
  });

  it('reports one D1 round trip for an authenticated read', async () => {
    const u = await makeUser();
    const a = await call('/v1/me', { headers: u.auth });
    expect(a.status).toBe(200);
    expect(roundTrips(a)).toBe(1);
  });
});
