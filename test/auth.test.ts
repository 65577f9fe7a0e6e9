import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashPassword, PBKDF2_ITERATIONS, verifyPassword } from '../src/auth/password';
import { LAST_USED_RESOLUTION_MS, type Scope } from '../src/auth/caller';
import { updateMe } from '../src/auth/service';
import * as schema from '../src/db/schema';
import { settings } from '../src/env';
import { Problem } from '../src/http/problem';
import { drizzle } from 'drizzle-orm/d1';
import { newTokenSecret } from '../src/auth/tokens';
import { forgetPasswordFailures } from '../src/auth/lockout';
import { call, expectProblem, roundTrips, sameProblem, type Answer } from './support/api';
import { count, makeOrg, makeUser, mintToken, PASSWORD, unique, type Actor } from './support/actors';

const MINUTE = 60_000;
const DAY = 86_400_000;

function signIn(body: Record<string, unknown>): Promise<Answer> {
  return call('/v1/auth/sign-in', { json: body });
}

function me(headers: Record<string, string>): Promise<Answer> {
  return call('/v1/me', { headers });
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

async function sha256hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A 401 problem with the WWW-Authenticate challenge the design requires. */
function expectUnauthenticated(a: Answer) {
  expectProblem(a, 401, 'unauthenticated');
  expect(a.headers.get('WWW-Authenticate')).toMatch(/Bearer/);
}

/** An account's failure count as stored (password_failures), or null when it has none. */
function failures(userId: string) {
  return env.DB.prepare('SELECT failed_attempts, locked_until FROM password_failures WHERE subject = ?')
    .bind(`user:${userId}`)
    .first<{ failed_attempts: number; locked_until: number | null }>();
}

function fieldPaths(a: Answer): string[] {
  return (a.body.errors as { path: string }[]).map((e) => e.path);
}

describe('POST /v1/auth/sign-in', () => {
  it('signs in with login as username, case-insensitively, and the token works', async () => {
    const u = await makeUser();
    const a = await signIn({ login: u.username.toUpperCase(), password: PASSWORD });
    expect(a.status, a.text).toBe(200);
    expect(a.headers.get('Cache-Control')).toBe('no-store');
    expect(Object.keys(a.body).sort()).toEqual(['expires_at', 'token', 'user']);
    expect(a.body.token).toMatch(/^fbt_[A-Za-z0-9_-]{43}$/);
    expect(a.body.user.id).toBe(u.id);
    expect(a.body.user.username).toBe(u.username);
    expect(a.body.user.last_login).not.toBeNull();
    // TOKEN_TTL_HOURS is 720: the session lasts 30 days.
    const ttl = Date.parse(a.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(30 * DAY - MINUTE);
    expect(ttl).toBeLessThanOrEqual(30 * DAY + MINUTE);

    const who = await me(bearer(a.body.token));
    expect(who.status).toBe(200);
    expect(who.body.id).toBe(u.id);
  });

  it('signs in with login as email, case-insensitively', async () => {
    const u = await makeUser();
    const a = await signIn({ login: `  ${u.email.toUpperCase()} `, password: PASSWORD });
    expect(a.status, a.text).toBe(200);
    expect(a.body.user.email).toBe(u.email);
    expect((await me(bearer(a.body.token))).body.id).toBe(u.id);
  });

  it('signs in with the email field and with the username field', async () => {
    const u = await makeUser();
    const byEmail = await signIn({ email: u.email, password: PASSWORD });
    expect(byEmail.status, byEmail.text).toBe(200);
    expect(byEmail.body.user.id).toBe(u.id);
    const byUsername = await signIn({ username: u.username, password: PASSWORD });
    expect(byUsername.status, byUsername.text).toBe(200);
    expect(byUsername.body.user.id).toBe(u.id);
    // Each sign-in is its own session.
    expect(byUsername.body.token).not.toBe(byEmail.body.token);
    expect((await me(bearer(byEmail.body.token))).status).toBe(200);
    expect((await me(bearer(byUsername.body.token))).status).toBe(200);
  });

  it('answers 400 naming login when none of login, email, username is sent', async () => {
    const a = await signIn({ password: PASSWORD });
    expectProblem(a, 400, 'invalid-request');
    expect(fieldPaths(a)).toEqual(['login']);
    expect(a.body.errors[0].message).toMatch(/exactly one/i);
  });

  it('answers 400 naming login when two of login, email, username are sent', async () => {
    const u = await makeUser();
    for (const body of [
      { login: u.username, email: u.email, password: PASSWORD },
      { email: u.email, username: u.username, password: PASSWORD },
    ]) {
      const a = await signIn(body);
      expectProblem(a, 400, 'invalid-request');
      expect(fieldPaths(a)).toEqual(['login']);
    }
  });

  it('answers 400 naming password when it is missing', async () => {
    const u = await makeUser();
    const a = await signIn({ login: u.username });
    expectProblem(a, 400, 'invalid-request');
    expect(fieldPaths(a)).toContain('password');
  });

  it('answers an unknown login exactly like a wrong password', async () => {
    const u = await makeUser();
    const wrong = await signIn({ login: u.username, password: 'not the password' });
    const unknown = await signIn({ login: 'nobody-here@example.test', password: 'not the password' });
    expectProblem(wrong, 401, 'invalid-credentials');
    expectProblem(unknown, 401, 'invalid-credentials');
    expect(sameProblem(unknown)).toEqual(sameProblem(wrong));
    expect(wrong.headers.get('WWW-Authenticate')).toBeTruthy();
    expect(unknown.headers.get('WWW-Authenticate')).toBe(wrong.headers.get('WWW-Authenticate'));
  });

  it('refuses an inactive user like a wrong password, and refuses its token', async () => {
    const active = await makeUser();
    const inactive = await makeUser({ active: false });
    const wrong = await signIn({ login: active.username, password: 'not the password' });
    const a = await signIn({ login: inactive.username, password: PASSWORD });
    expectProblem(a, 401, 'invalid-credentials');
    expect(sameProblem(a)).toEqual(sameProblem(wrong));
    expect(a.headers.get('WWW-Authenticate')).toBe(wrong.headers.get('WWW-Authenticate'));
    expectUnauthenticated(await me(inactive.auth));
  });
});

describe('lockout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // The worker's handler runs in the same isolate as the tests (exports.default.fetch is a loopback
  // into this isolate), so faking the global Date also fakes Date.now() inside the handler. The
  // first test proves it rather than assuming it.
  it('uses the fake clock inside the handler', async () => {
    const u = await makeUser();
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2031, 0, 1);
    vi.setSystemTime(t0);
    const a = await signIn({ login: u.username, password: PASSWORD });
    expect(a.status, a.text).toBe(200);
    expect(a.body.expires_at).toBe(new Date(t0 + 720 * 3_600_000).toISOString());
    expect(a.body.user.last_login).toBe(new Date(t0).toISOString());
  });

  it('locks for 5 minutes after 4 failures, then lets the right password in', async () => {
    const u = await makeUser();
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2031, 0, 1, 12);
    vi.setSystemTime(t0);

    for (let i = 0; i < 4; i++) {
      const a = await signIn({ login: u.username, password: `wrong ${i}` });
      expectProblem(a, 401, 'invalid-credentials');
    }

    const locked = await signIn({ login: u.username, password: PASSWORD });
    expectProblem(locked, 429, 'account-locked');
    expect(locked.headers.get('Retry-After')).toBe('300');
    expect(locked.body.detail).toContain('300 seconds');

    // A locked account answers 429 for a wrong password too (nothing is evaluated).
    vi.setSystemTime(t0 + 2 * MINUTE);
    const lockedWrong = await signIn({ login: u.email, password: 'still wrong' });
    expectProblem(lockedWrong, 429, 'account-locked');
    expect(lockedWrong.headers.get('Retry-After')).toBe('180');

    vi.setSystemTime(t0 + 5 * MINUTE - 1000);
    const stillLocked = await signIn({ login: u.username, password: PASSWORD });
    expectProblem(stillLocked, 429, 'account-locked');
    expect(stillLocked.headers.get('Retry-After')).toBe('1');

    vi.setSystemTime(t0 + 5 * MINUTE);
    const open = await signIn({ login: u.username, password: PASSWORD });
    expect(open.status, open.text).toBe(200);
    expect(open.body.user.last_login).toBe(new Date(t0 + 5 * MINUTE).toISOString());

    // A success deletes the count.
    expect(await failures(u.id)).toBeNull();
  });

  it('gives a fresh count of 4 after a lock expires', async () => {
    const u = await makeUser();
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2031, 0, 2, 12);
    vi.setSystemTime(t0);
    for (let i = 0; i < 4; i++) expect((await signIn({ login: u.username, password: 'wrong' })).status).toBe(401);
    expect((await signIn({ login: u.username, password: 'wrong' })).status).toBe(429);

    vi.setSystemTime(t0 + 6 * MINUTE);
    for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.username, password: 'wrong' }), 401, 'invalid-credentials');
    const right = await signIn({ login: u.username, password: PASSWORD });
    expect(right.status, right.text).toBe(200);
  });

  it('resets the count on a success: 3 wrong, 1 right, 3 wrong is not locked', async () => {
    const u = await makeUser();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2031, 0, 3, 12));
    for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.username, password: 'wrong' }), 401, 'invalid-credentials');
    expect((await signIn({ login: u.username, password: PASSWORD })).status).toBe(200);
    for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.username, password: 'wrong' }), 401, 'invalid-credentials');

    expect(await failures(u.id)).toEqual({ failed_attempts: 3, locked_until: null });
    const right = await signIn({ login: u.username, password: PASSWORD });
    expect(right.status, right.text).toBe(200);
  });

  it('evaluates at most 4 of 20 parallel wrong guesses; the rest and then the right password get 429', async () => {
    const u = await makeUser();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn({ login: u.username, password: `guess ${i}` })),
    );
    const statuses = answers.map((a) => a.status);
    const evaluated = statuses.filter((s) => s === 401).length;
    const locked = statuses.filter((s) => s === 429).length;
    expect(evaluated).toBeLessThanOrEqual(4);
    expect(evaluated + locked, statuses.join(',')).toBe(20);
    for (const a of answers) expectProblem(a, a.status, a.status === 401 ? 'invalid-credentials' : 'account-locked');

    // The lock was reached by counted failures (exactly the limit), not set early or overshot.
    const row = await failures(u.id);
    expect(row!.failed_attempts).toBe(4);
    expect(row!.locked_until).not.toBeNull();

    const right = await signIn({ login: u.username, password: PASSWORD });
    expectProblem(right, 429, 'account-locked');
    const retry = Number(right.headers.get('Retry-After'));
    expect(retry).toBeGreaterThan(290);
    expect(retry).toBeLessThanOrEqual(300);
  });
});

describe('lockout of logins that name no account', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An answer as a client sees it, less what differs between any two requests (request id, timings). */
  function observed(a: Answer) {
    const headers = [...a.headers].filter(([name]) => name !== 'x-request-id' && name !== 'server-timing').sort();
    return { status: a.status, body: sameProblem(a), headers, roundTrips: roundTrips(a) };
  }

  /** Wrong passwords for `login` at these minutes after t0, each in one of three spellings of it. */
  async function trace(login: string, t0: number, minutes: number[], between?: (at: number) => Promise<unknown>) {
    const forms = [login, login.toUpperCase(), `  ${login} `];
    const out: ReturnType<typeof observed>[] = [];
    for (const [i, m] of minutes.entries()) {
      vi.setSystemTime(t0 + m * MINUTE);
      if (between) await between(t0 + m * MINUTE);
      out.push(observed(await signIn({ login: forms[i % 3], password: `wrong ${i}` })));
    }
    return out;
  }

  it('answers an unknown login exactly as an existing one with a wrong password, attempt by attempt, through the lock and after it', async () => {
    const existing = await makeUser();
    const inactive = await makeUser({ active: false });
    const logins = {
      username: existing.username,
      email: existing.email,
      'unknown email': `${unique('nobody')}@example.test`,
      'unknown username': unique('ghost'),
      'inactive account': inactive.email,
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    // 4 failures lock; attempts while locked; the lock ends and a fresh count locks again.
    const minutes = [0, 0, 0, 0, 0, 1, 2.5, 4.99, 5, 5, 5, 5, 5, 6];
    const traces: Record<string, ReturnType<typeof observed>[]> = {};
    for (const [i, [name, login]] of Object.entries(logins).entries()) traces[name] = await trace(login, Date.UTC(2031, 3, 1 + i, 12), minutes);

    const reference = traces.username!;
    expect(reference.map((a) => a.status)).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 401, 401, 401, 401, 429, 429]);
    expect(reference.map((a) => a.headers.find(([n]) => n === 'retry-after')?.[1] ?? null)).toEqual(
      [null, null, null, null, '300', '240', '150', '1', null, null, null, null, '300', '240'],
    );
    for (const [name, answers] of Object.entries(traces)) expect(answers, name).toEqual(reference);
    // 70 sign-ins, most of them a PBKDF2 each: more than the default 5 s on a loaded machine.
  }, 60_000);

  it('forgets failures a day after the last one, alike for every login, whether or not the hourly clean-up ran', async () => {
    const existing = await makeUser();
    vi.useFakeTimers({ toFake: ['Date'] });
    const minutes = [0, 1, 2, 24 * 60 + 2, 24 * 60 + 3, 24 * 60 + 4, 24 * 60 + 5, 24 * 60 + 6];
    const sweep = (at: number) => forgetPasswordFailures(env.DB, at);
    const a = await trace(existing.username, Date.UTC(2031, 4, 1, 12), minutes);
    const b = await trace(`${unique('nobody')}@example.test`, Date.UTC(2031, 4, 3, 12), minutes);
    const c = await trace(`${unique('nobody')}@example.test`, Date.UTC(2031, 4, 5, 12), minutes, sweep);
    const d = await trace((await makeUser()).username, Date.UTC(2031, 4, 7, 12), minutes, sweep);
    // 3 failures, a day of quiet: the next 4 count from one and lock.
    expect(a.map((x) => x.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 429]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(d).toEqual(a);
  }, 60_000);

  it('spends one full-strength PBKDF2 on each refused attempt, whether or not the login names an account', async () => {
    const u = await makeUser();
    const spy = vi.spyOn(crypto.subtle, 'deriveBits');
    try {
      for (const login of [u.username, `${unique('nobody')}@example.test`]) {
        spy.mockClear();
        expectProblem(await signIn({ login, password: 'not the password' }), 401, 'invalid-credentials');
        expect(spy.mock.calls.map(([params]) => (params as { iterations: number }).iterations), login).toEqual([PBKDF2_ITERATIONS]);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('credentials', () => {
  it('accepts Authorization: Bearer, Authorization: Token and the X-User-Email + X-User-Token pair', async () => {
    const u = await makeUser();
    for (const headers of [
      { Authorization: `Bearer ${u.token}` },
      { Authorization: `Token ${u.token}` },
      { Authorization: `bearer ${u.token}` },
      u.pair,
      { 'X-User-Email': u.email.toUpperCase(), 'X-User-Token': u.token },
    ]) {
      const a = await me(headers);
      expect(a.status, `${JSON.stringify(headers)}: ${a.text}`).toBe(200);
      expect(a.body.id).toBe(u.id);
    }
  });

  it("refuses the pair with another user's email", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const mismatched = { 'X-User-Email': other.email, 'X-User-Token': u.token };
    expectUnauthenticated(await me(mismatched));
    // Routes whose queries do not read the user row rely on the caller check alone.
    expectUnauthenticated(await call('/v1/me/tokens', { headers: mismatched }));
    expectUnauthenticated(await call('/v1/me/tokens', { headers: mismatched, json: { name: 'x' } }));
    expectUnauthenticated(await call('/v1/auth/sign-out', { method: 'POST', headers: mismatched }));
    // Both tokens still work with their own email (the sign-out above revoked nothing).
    expect((await me(u.pair)).status).toBe(200);
    expect((await me(other.pair)).status).toBe(200);
    expect((await call('/v1/me/tokens', { headers: u.auth })).body.results).toHaveLength(1);
  });

  it('refuses missing, malformed, unknown, expired and revoked credentials with 401 and WWW-Authenticate', async () => {
    const u = await makeUser();
    const expired = await mintToken(u.id, { expiresAt: Date.now() - 1000 });
    const revoked = await mintToken(u.id, { revoked: true });
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      'bearer without token': { Authorization: 'Bearer' },
      'basic scheme': { Authorization: `Basic ${btoa(`${u.username}:${PASSWORD}`)}` },
      'not a token': { Authorization: 'Bearer abc.def' },
      'token with trailing junk': { Authorization: `Bearer ${u.token} extra` },
      'email without token': { 'X-User-Email': u.email },
      'token without email': { 'X-User-Token': u.token },
      unknown: bearer(newTokenSecret()),
      expired: bearer(expired),
      revoked: bearer(revoked),
      'expired pair': { 'X-User-Email': u.email, 'X-User-Token': expired },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const a = await me(headers);
      expect(a.status, name).toBe(401);
      expectUnauthenticated(a);
    }
    // The user's own live token still works: the refusals were about the credentials.
    expect((await me(u.auth)).status).toBe(200);
  });
});

describe('POST /v1/auth/sign-out', () => {
  it('revokes the presenting token only', async () => {
    const u = await makeUser();
    const session = await signIn({ login: u.username, password: PASSWORD });
    expect(session.status).toBe(200);
    const headers = bearer(session.body.token);
    expect((await me(headers)).status).toBe(200);

    const out = await call('/v1/auth/sign-out', { method: 'POST', headers });
    expect(out.status, out.text).toBe(204);
    expect(out.text).toBe('');
    expect(roundTrips(out)).toBe(1);

    expectUnauthenticated(await me(headers));
    expectUnauthenticated(await call('/v1/auth/sign-out', { method: 'POST', headers }));
    expect((await me(u.auth)).status).toBe(200);
    expect((await me(u.pair)).status).toBe(200);
  });

  it('answers 401 without a credential', async () => {
    expectUnauthenticated(await call('/v1/auth/sign-out', { method: 'POST' }));
  });
});

describe('/v1/me/tokens', () => {
  it('lists live tokens, marks only the presenting one current, and shows no secret or hash', async () => {
    const u = await makeUser();
    const second = await mintToken(u.id);
    const expired = await mintToken(u.id, { expiresAt: Date.now() - 1000 });
    const revoked = await mintToken(u.id, { revoked: true });
    const other = await makeUser();

    const a = await call('/v1/me/tokens', { headers: u.auth });
    expect(a.status, a.text).toBe(200);
    const rows = await env.DB.prepare('SELECT id, token_hash FROM tokens WHERE user_id = ?').bind(u.id).all<{ id: string; token_hash: string }>();
    const hashes = new Map(rows.results.map((r) => [r.token_hash, r.id] as const));
    const firstId = hashes.get(await sha256hex(u.token))!;
    const secondId = hashes.get(await sha256hex(second))!;
    expect(firstId).toMatch(/^tok_/);
    expect(secondId).toMatch(/^tok_/);

    const listed = a.body.results as { id: string; current: boolean }[];
    expect(listed.map((t) => t.id).sort()).toEqual([firstId, secondId].sort());
    expect(listed.find((t) => t.id === firstId)!.current).toBe(true);
    expect(listed.find((t) => t.id === secondId)!.current).toBe(false);
    for (const t of listed) {
      expect(Object.keys(t).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'kind', 'last_used_at', 'name']);
    }
    for (const secret of [u.token, second, expired, revoked]) {
      expect(a.text).not.toContain(secret);
      expect(a.text).not.toContain(await sha256hex(secret));
    }
    const otherIds = (await call('/v1/me/tokens', { headers: other.auth })).body.results.map((t: { id: string }) => t.id);
    for (const id of otherIds) expect(listed.map((t) => t.id)).not.toContain(id);

    // Presenting the second token moves `current` to it.
    const viaSecond = await call('/v1/me/tokens', { headers: bearer(second) });
    const current = viaSecond.body.results.filter((t: { current: boolean }) => t.current);
    expect(current.map((t: { id: string }) => t.id)).toEqual([secondId]);
  });

  it('creates a personal token whose secret is shown once and works', async () => {
    const u = await makeUser();
    const a = await call('/v1/me/tokens', { headers: u.auth, json: { name: 'ci', expires_in_days: 7 } });
    expect(a.status, a.text).toBe(201);
    expect(a.headers.get('Cache-Control')).toBe('no-store');
    expect(a.body.token).toMatch(/^fbt_[A-Za-z0-9_-]{43}$/);
    expect(a.body).toMatchObject({ name: 'ci', kind: 'personal', current: false, last_used_at: null });
    expect(Date.parse(a.body.expires_at) - Date.parse(a.body.created_at)).toBe(7 * DAY);

    const who = await me(bearer(a.body.token));
    expect(who.status).toBe(200);
    expect(who.body.id).toBe(u.id);

    const list = await call('/v1/me/tokens', { headers: u.auth });
    const entry = list.body.results.find((t: { id: string }) => t.id === a.body.id);
    expect(entry).toBeDefined();
    expect(entry.token).toBeUndefined();
    expect(list.text).not.toContain(a.body.token);
  });

  it('defaults expires_in_days to 90', async () => {
    const u = await makeUser();
    const a = await call('/v1/me/tokens', { headers: u.auth, json: { name: 'default' } });
    expect(a.status, a.text).toBe(201);
    expect(Date.parse(a.body.expires_at) - Date.parse(a.body.created_at)).toBe(90 * DAY);
  });

  it('answers 400 for a bad expires_in_days', async () => {
    const u = await makeUser();
    for (const bad of [0, -1, 366, 1.5, '7', null]) {
      const a = await call('/v1/me/tokens', { headers: u.auth, json: { name: 'bad', expires_in_days: bad } });
      expectProblem(a, 400, 'invalid-request');
      expect(fieldPaths(a), String(bad)).toContain('expires_in_days');
    }
    const list = await call('/v1/me/tokens', { headers: u.auth });
    expect(list.body.results).toHaveLength(1);
  });

  it('revokes one of your tokens with DELETE; it then stops working', async () => {
    const u = await makeUser();
    const made = await call('/v1/me/tokens', { headers: u.auth, json: { name: 'temp', expires_in_days: 1 } });
    expect(made.status).toBe(201);
    expect((await me(bearer(made.body.token))).status).toBe(200);

    const del = await call(`/v1/me/tokens/${made.body.id}`, { method: 'DELETE', headers: u.auth });
    expect(del.status, del.text).toBe(204);
    expectUnauthenticated(await me(bearer(made.body.token)));
    const list = await call('/v1/me/tokens', { headers: u.auth });
    expect(list.body.results.map((t: { id: string }) => t.id)).not.toContain(made.body.id);

    expectProblem(await call(`/v1/me/tokens/${made.body.id}`, { method: 'DELETE', headers: u.auth }), 404, 'not-found');
    expect((await me(u.auth)).status).toBe(200);
  });

  it("answers 404 for another user's token id, exactly like an unknown id, and leaves that token working", async () => {
    const u = await makeUser();
    const victim = await makeUser();
    const victimToken = await call('/v1/me/tokens', { headers: victim.auth, json: { name: 'victim', expires_in_days: 1 } });
    expect(victimToken.status).toBe(201);

    const theirs = await call(`/v1/me/tokens/${victimToken.body.id}`, { method: 'DELETE', headers: u.auth });
    expectProblem(theirs, 404, 'not-found');
    const unknown = await call('/v1/me/tokens/tok_01jd8z3b6q0w4y1r7k5t2m9xce', { method: 'DELETE', headers: u.auth });
    expectProblem(unknown, 404, 'not-found');
    expect(sameProblem(theirs)).toEqual(sameProblem(unknown));

    expect((await me(bearer(victimToken.body.token))).status).toBe(200);
    expect((await me(victim.auth)).status).toBe(200);
  });

  it('answers 401 to DELETE without a valid credential, and revokes nothing', async () => {
    const u = await makeUser();
    const made = await call('/v1/me/tokens', { headers: u.auth, json: { name: 'keep', expires_in_days: 1 } });
    const a = await call(`/v1/me/tokens/${made.body.id}`, { method: 'DELETE', headers: bearer(newTokenSecret()) });
    expectUnauthenticated(a);
    expect((await me(bearer(made.body.token))).status).toBe(200);
  });
});

describe('GET /v1/me', () => {
  it('answers the caller with an ETag, memberships, 304 on If-None-Match, in one D1 round trip', async () => {
    const u = await makeUser();
    const first = await me(u.auth);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: u.id, username: u.username, email: u.email, is_active: true, is_superuser: false, organizations: [] });
    expect(roundTrips(first)).toBe(1);
    const etag1 = first.headers.get('ETag');
    expect(etag1).toMatch(/^"[^"]+"$/);

    const org = await makeOrg(u);
    const second = await me(u.auth);
    expect(second.status).toBe(200);
    expect(second.body.organizations).toEqual([{ id: org.id, number: expect.any(Number), slug: org.slug, name: org.name, short_name: '', role: 'admin' }]);
    const etag2 = second.headers.get('ETag')!;
    expect(etag2).not.toBe(etag1);

    const stale = await me({ ...u.auth, 'If-None-Match': etag1! });
    expect(stale.status).toBe(200);
    const fresh = await me({ ...u.auth, 'If-None-Match': etag2 });
    expect(fresh.status).toBe(304);
    expect(fresh.text).toBe('');
    expect(fresh.headers.get('ETag')).toBe(etag2);
    expect(roundTrips(fresh)).toBe(1);
  });

  it('lists memberships as member too', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    const org = await makeOrg(admin, [member]);
    const a = await me(member.auth);
    expect(a.body.organizations).toEqual([expect.objectContaining({ id: org.id, slug: org.slug, role: 'member' })]);
  });
});

describe('PATCH /v1/me', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function patch(u: Actor, json: unknown, extra: Record<string, string> = {}) {
    return call('/v1/me', { method: 'PATCH', headers: { ...u.auth, ...extra }, json });
  }

  it('changes the name', async () => {
    const u = await makeUser();
    const a = await patch(u, { name: 'Ada Lovelace' });
    expect(a.status, a.text).toBe(200);
    expect(a.body.name).toBe('Ada Lovelace');
    expect(a.headers.get('ETag')).toBeTruthy();
    expect((await me(u.auth)).body.name).toBe('Ada Lovelace');
  });

  it('needs current_password to change the password, and it must be right', async () => {
    const u = await makeUser();
    const missing = await patch(u, { password: 'a brand new password' });
    expectProblem(missing, 400, 'invalid-request');
    expect(fieldPaths(missing)).toEqual(['current_password']);

    const wrong = await patch(u, { password: 'a brand new password', current_password: 'not it at all' });
    expectProblem(wrong, 400, 'invalid-request');
    expect(fieldPaths(wrong)).toEqual(['current_password']);

    const email = await patch(u, { email: 'someone.new@example.test' });
    expectProblem(email, 400, 'invalid-request');
    expect(fieldPaths(email)).toEqual(['current_password']);

    // Nothing changed.
    expect((await signIn({ login: u.username, password: PASSWORD })).status).toBe(200);
    expect((await me(u.auth)).body.email).toBe(u.email);
  });

  it('changes the password with the right current_password, revoking every other token', async () => {
    const u = await makeUser();
    const other = await mintToken(u.id);
    const session = await signIn({ login: u.username, password: PASSWORD });
    expect(session.status).toBe(200);

    const a = await patch(u, { password: 'a brand new password', current_password: PASSWORD });
    expect(a.status, a.text).toBe(200);

    expect((await me(u.auth)).status).toBe(200);
    expectUnauthenticated(await me(bearer(other)));
    expectUnauthenticated(await me(bearer(session.body.token)));

    expectProblem(await signIn({ login: u.username, password: PASSWORD }), 401, 'invalid-credentials');
    const fresh = await signIn({ login: u.username, password: 'a brand new password' });
    expect(fresh.status, fresh.text).toBe(200);
    expect((await me(bearer(fresh.body.token))).status).toBe(200);
  });

  it('answers 409 for a taken email or username', async () => {
    const u = await makeUser();
    const taken = await makeUser();
    const email = await patch(u, { email: taken.email.toUpperCase(), current_password: PASSWORD });
    expectProblem(email, 409, 'conflict');
    expect(fieldPaths(email)).toEqual(['email']);
    const username = await patch(u, { username: taken.username, current_password: PASSWORD });
    expectProblem(username, 409, 'conflict');
    expect(fieldPaths(username)).toEqual(['username']);
    const now = await me(u.auth);
    expect(now.body).toMatchObject({ email: u.email, username: u.username });
  });

  it('changes email and username with current_password; the new email signs in', async () => {
    const u = await makeUser();
    const a = await patch(u, { email: `New.${u.email}`, username: `${u.username}-x`, current_password: PASSWORD });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ email: `new.${u.email}`, username: `${u.username}-x` });
    expect((await signIn({ login: `new.${u.email}`, password: PASSWORD })).status).toBe(200);
    expectProblem(await signIn({ login: u.email, password: PASSWORD }), 401, 'invalid-credentials');
    // The X-User-Email pair follows the new email.
    expect((await me({ 'X-User-Email': `new.${u.email}`, 'X-User-Token': u.token })).status).toBe(200);
    expectUnauthenticated(await me(u.pair));
  });

  it('answers 412 for a stale If-Match and keeps the newer change', async () => {
    const u = await makeUser();
    const etag = (await me(u.auth)).headers.get('ETag')!;
    const ok = await patch(u, { name: 'First' }, { 'If-Match': etag });
    expect(ok.status, ok.text).toBe(200);
    const stale = await patch(u, { name: 'Second' }, { 'If-Match': etag });
    expectProblem(stale, 412, 'precondition-failed');
    expect((await me(u.auth)).body.name).toBe('First');
    const current = await patch(u, { name: 'Third' }, { 'If-Match': ok.headers.get('ETag')! });
    expect(current.status, current.text).toBe(200);
  });

  it('revokes no token when a password change loses a race to another write (412)', async () => {
    // Over HTTP this race cannot be staged reliably: PBKDF2 runs synchronously in workerd and blocks
    // the isolate, so the order of two parallel requests is up to the scheduler. The service is
    // called directly instead, over a D1 whose write batch is preceded by another session's write.
    const u = await makeUser();
    const other = await mintToken(u.id);
    let batches = 0;
    const racing = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            batches += 1;
            if (batches === 2) {
              await env.DB.prepare("UPDATE users SET name = 'Renamed meanwhile', version = version + 1 WHERE id = ?").bind(u.id).run();
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const scope: Scope = {
      db: drizzle(racing, { schema }) as unknown as Scope['db'],
      d1: racing,
      files: env.FILES,
      credential: { tokenHash: await sha256hex(u.token), email: null },
      now: Date.now(),
      settings: settings(env),
      waitUntil: () => undefined,
      background: () => drizzle(env.DB, { schema }) as unknown as Scope['db'],
    };

    // The client holds the current ETag; the rename lands between its read and its write.
    const etag = (await me(u.auth)).headers.get('ETag')!;
    const failure = await updateMe(scope, { password: 'a brand new password', current_password: PASSWORD }, etag).then(
      () => null,
      (e: unknown) => e,
    );
    expect(batches).toBe(2);
    expect(failure).toBeInstanceOf(Problem);
    expect((failure as Problem).status).toBe(412);

    // Nothing of the failed request took effect: no session was revoked, the password is unchanged.
    expect((await me(bearer(other))).status).toBe(200);
    expect((await me(u.auth)).body.name).toBe('Renamed meanwhile');
    expect((await signIn({ login: u.username, password: PASSWORD })).status).toBe(200);
  });

  it('counts a wrong current_password as a failed sign-in: after 4, the right one answers 429 with Retry-After until the lock ends', async () => {
    const u = await makeUser();
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      const wrong = await patch(u, { password: 'a brand new password', current_password: `wrong guess ${i}` });
      expectProblem(wrong, 400, 'invalid-request');
      expect(fieldPaths(wrong)).toEqual(['current_password']);
    }
    const right = await patch(u, { password: 'a brand new password', current_password: PASSWORD });
    expectProblem(right, 429, 'account-locked');
    expect(right.headers.get('Retry-After')).toBe('300');
    // The same lock as sign-in's, answered the same way there.
    const signInLocked = await signIn({ login: u.username, password: PASSWORD });
    expectProblem(signInLocked, 429, 'account-locked');
    expect(signInLocked.headers.get('Retry-After')).toBe('300');
    expect(sameProblem(signInLocked)).toEqual({ ...sameProblem(right) });
    // A change that needs no current_password still goes through.
    expect((await patch(u, { name: 'Still me' })).status).toBe(200);

    vi.setSystemTime(t0 + 2 * MINUTE);
    expect((await patch(u, { email: `x.${u.email}`, current_password: PASSWORD })).headers.get('Retry-After')).toBe('180');
    vi.setSystemTime(t0 + 5 * MINUTE);
    const open = await patch(u, { password: 'a brand new password', current_password: PASSWORD });
    expect(open.status, open.text).toBe(200);
    expect((await signIn({ login: u.username, password: 'a brand new password' })).status).toBe(200);
  });

  it('shares the count with sign-in: 3 failed sign-ins and a wrong current_password lock the account', async () => {
    const u = await makeUser();
    for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.email, password: `wrong ${i}` }), 401, 'invalid-credentials');
    expectProblem(await patch(u, { username: `${u.username}-x`, current_password: 'not it at all' }), 400, 'invalid-request');
    expectProblem(await patch(u, { username: `${u.username}-x`, current_password: PASSWORD }), 429, 'account-locked');
    expectProblem(await signIn({ login: u.username, password: PASSWORD }), 429, 'account-locked');
    expect((await me(u.auth)).body.username).toBe(u.username);
  });

  it('checks current_password whenever it is sent, and a right one resets the count', async () => {
    const u = await makeUser();
    for (let i = 0; i < 3; i++) expectProblem(await patch(u, { name: 'X', current_password: `wrong ${i}` }), 400, 'invalid-request');
    expect((await me(u.auth)).body.name).toBe(`Name of ${u.username}`);
    expect((await patch(u, { name: 'Y', current_password: PASSWORD })).status).toBe(200);
    for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.username, password: `wrong ${i}` }), 401, 'invalid-credentials');
    expect((await signIn({ login: u.username, password: PASSWORD })).status).toBe(200);
  });

  it('resets the count on a right current_password even when the write is refused (412 for a stale If-Match, 409 for a taken email)', async () => {
    const u = await makeUser();
    const taken = await makeUser();
    const stale = (await me(u.auth)).headers.get('ETag')!;
    expect((await patch(u, { name: 'Moved on' })).status).toBe(200);
    const cases: { json: Record<string, string>; headers: Record<string, string>; status: number }[] = [
      { json: { name: 'Again', current_password: PASSWORD }, headers: { 'If-Match': stale }, status: 412 },
      { json: { email: taken.email, current_password: PASSWORD }, headers: {}, status: 409 },
    ];
    for (const refused of cases) {
      for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.username, password: `wrong ${i}` }), 401, 'invalid-credentials');
      expect((await patch(u, refused.json, refused.headers)).status).toBe(refused.status);
      expect(await failures(u.id)).toBeNull();
    }
    for (let i = 0; i < 3; i++) expectProblem(await signIn({ login: u.username, password: `wrong ${i}` }), 401, 'invalid-credentials');
    expect((await signIn({ login: u.username, password: PASSWORD })).status).toBe(200);
  });

  it('evaluates at most 4 of 12 parallel wrong current passwords; the rest get 429', async () => {
    const u = await makeUser();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => patch(u, { name: 'X', current_password: `guess ${i}` })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 400).length, statuses.join(',')).toBe(4);
    expect(statuses.filter((s) => s === 429).length, statuses.join(',')).toBe(8);
    for (const a of answers) expectProblem(a, a.status, a.status === 400 ? 'invalid-request' : 'account-locked');
  });

  it('answers 400 for an unknown field', async () => {
    const u = await makeUser();
    const a = await patch(u, { name: 'X', is_superuser: true });
    expectProblem(a, 400, 'invalid-request');
    expect(a.text).toContain('is_superuser');
    const after = await me(u.auth);
    expect(after.body).toMatchObject({ is_superuser: false, name: `Name of ${u.username}` });
  });

  it('answers 401 without a credential', async () => {
    expectUnauthenticated(await call('/v1/me', { method: 'PATCH', json: { name: 'X' } }));
  });
});

describe('passwords', () => {
  it('stays within the Workers PBKDF2 cap of 100,000 iterations', async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    const stored = await hashPassword('some password');
    const match = /^pbkdf2_sha256\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
    expect(match, stored).not.toBeNull();
    expect(Number(match![1])).toBe(PBKDF2_ITERATIONS);
    expect(Number(match![1])).toBeLessThanOrEqual(100_000);
    expect(atob(match![2]!)).toHaveLength(16);
    expect(atob(match![3]!)).toHaveLength(32);
    await expect(hashPassword('some password', 100_001)).rejects.toThrow(/100000/);
  });

  it('stores users with hashes under the cap', async () => {
    const u = await makeUser();
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?').bind(u.id).first<{ password_hash: string }>();
    const iterations = Number(row!.password_hash.split('$')[1]);
    expect(row!.password_hash.startsWith('pbkdf2_sha256$')).toBe(true);
    expect(iterations).toBeGreaterThan(0);
    expect(iterations).toBeLessThanOrEqual(100_000);
  });

  it('verifies the right password only, and salts each hash', async () => {
    const a = await hashPassword('hunter2 hunter2', 1000);
    const b = await hashPassword('hunter2 hunter2', 1000);
    expect(a).not.toBe(b);
    expect(a.split('$')[2]).not.toBe(b.split('$')[2]);
    expect(await verifyPassword('hunter2 hunter2', a)).toBe(true);
    expect(await verifyPassword('hunter2 hunter2', b)).toBe(true);
    expect(await verifyPassword('hunter2 hunter3', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    expect(await verifyPassword('hunter2 hunter2', '!')).toBe(false);
    expect(await verifyPassword('hunter2 hunter2', a.replace('$1000$', '$1001$'))).toBe(false);
    expect(await verifyPassword('hunter2 hunter2', a.replace('$1000$', '$100001$'))).toBe(false);
  });
});

describe('token storage', () => {
  it('stores only the SHA-256 of a sign-in token, never the secret', async () => {
    const u = await makeUser();
    const a = await signIn({ login: u.username, password: PASSWORD });
    expect(a.status).toBe(200);
    const secret: string = a.body.token;

    const rows = (await env.DB.prepare('SELECT * FROM tokens').all<Record<string, unknown>>()).results;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      const dump = JSON.stringify(row);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice('fbt_'.length));
    }
    const session = rows.find((r) => r.user_id === u.id && r.kind === 'session');
    expect(session).toBeDefined();
    expect(session!.token_hash).toBe(await sha256hex(secret));
    expect(session!.expires_at).toBe(Date.parse(a.body.expires_at));
  });
});

describe('last_used_at', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function lastUsed(tokenSecret: string): Promise<number | null> {
    const row = await env.DB.prepare('SELECT last_used_at FROM tokens WHERE token_hash = ?')
      .bind(await sha256hex(tokenSecret))
      .first<{ last_used_at: number | null }>();
    return row!.last_used_at;
  }

  /** The write happens in waitUntil, after the response: poll for it briefly. */
  async function settled(tokenSecret: string, expected: number): Promise<number | null> {
    for (let i = 0; i < 40; i++) {
      const value = await lastUsed(tokenSecret);
      if (value === expected) return value;
      await sleep(25);
    }
    return lastUsed(tokenSecret);
  }

  it('is written at most once per resolution window', async () => {
    expect(LAST_USED_RESOLUTION_MS).toBe(5 * MINUTE);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2031, 1, 1, 9);
    vi.setSystemTime(t0);
    const u = await makeUser();
    expect(await lastUsed(u.token)).toBeNull();

    expect((await me(u.auth)).status).toBe(200);
    expect(await settled(u.token, t0)).toBe(t0);

    vi.setSystemTime(t0 + 1000);
    expect((await me(u.auth)).status).toBe(200);
    vi.setSystemTime(t0 + LAST_USED_RESOLUTION_MS - 1);
    expect((await me(u.auth)).status).toBe(200);
    await sleep(100);
    expect(await lastUsed(u.token)).toBe(t0);

    vi.setSystemTime(t0 + LAST_USED_RESOLUTION_MS);
    expect((await me(u.auth)).status).toBe(200);
    expect(await settled(u.token, t0 + LAST_USED_RESOLUTION_MS)).toBe(t0 + LAST_USED_RESOLUTION_MS);

    const list = await call('/v1/me/tokens', { headers: u.auth });
    const current = list.body.results.find((t: { current: boolean }) => t.current);
    expect(current.last_used_at).toBe(new Date(t0 + LAST_USED_RESOLUTION_MS).toISOString());
  });

  it('two quick reads in real time leave one value', async () => {
    const u = await makeUser();
    expect((await me(u.auth)).status).toBe(200);
    await sleep(50);
    const first = await lastUsed(u.token);
    expect(first).not.toBeNull();
    await sleep(5);
    expect((await me(u.auth)).status).toBe(200);
    await sleep(50);
    expect(await lastUsed(u.token)).toBe(first);
  });
});

describe('invitations', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const INVITED_PASSWORD = 'my very own password';

  function accept(json: unknown): Promise<Answer> {
    return call('/v1/auth/accept-invitation', { json });
  }

  /** An account made without a password into a fresh organisation, with the answer that carries its invitation. */
  async function invited() {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const username = unique('invited');
    const made = await call(`/v1/organizations/${org.slug}/users`, { headers: admin.auth, json: { username, email: `${username}@example.test` } });
    expect(made.status, made.text).toBe(201);
    return { admin, org, username, made, id: made.body.user.id as string, token: made.body.invitation.token as string };
  }

  it('answers the invitation once to whoever made the account, stores only its SHA-256, and lets the person set a password and sign in', async () => {
    const before = Date.now();
    const { admin, org, username, made, id, token } = await invited();
    expect(made.headers.get('Cache-Control')).toBe('no-store');
    expect(token).toMatch(/^fbi_[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(made.body.invitation.expires_at) - before;
    expect(ttl).toBeGreaterThanOrEqual(7 * DAY - MINUTE);
    expect(ttl).toBeLessThanOrEqual(7 * DAY + MINUTE);
    const rows = (await env.DB.prepare('SELECT * FROM invitations WHERE user_id = ?').bind(id).all<Record<string, unknown>>()).results;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(await sha256hex(token));
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    // Nobody sees it again.
    const list = await call(`/v1/organizations/${org.slug}/members`, { headers: admin.auth });
    expect(list.text).not.toContain(token);
    expect((await call(`/v1/users/${id}`, { headers: admin.auth })).text).not.toContain(token);
    expectProblem(await signIn({ login: username, password: INVITED_PASSWORD }), 401, 'invalid-credentials');

    const a = await accept({ token, password: INVITED_PASSWORD });
    expect(a.status, a.text).toBe(200);
    expect(a.headers.get('Cache-Control')).toBe('no-store');
    expect(Object.keys(a.body).sort()).toEqual(['expires_at', 'token', 'user']);
    expect(a.body.user).toMatchObject({ id, username, is_active: true });
    expect(a.body.user.last_login).not.toBeNull();
    expect((await me(bearer(a.body.token))).body.id).toBe(id);
    expect(await count('invitations', 'user_id = ?', id)).toBe(0);
    const later = await signIn({ login: username, password: INVITED_PASSWORD });
    expect(later.status, later.text).toBe(200);
  });

  it('answers an unknown, used, expired or deactivated invitation with one and the same 400 naming token', async () => {
    const used = await invited();
    expect((await accept({ token: used.token, password: INVITED_PASSWORD })).status).toBe(200);
    const expired = await invited();
    const deactivated = await invited();
    const root = await makeUser({ superuser: true });
    expect((await call(`/v1/users/${deactivated.id}`, { method: 'PATCH', headers: root.auth, json: { is_active: false } })).status).toBe(200);

    const unknown = await accept({ token: newTokenSecret().replace('fbt_', 'fbi_'), password: INVITED_PASSWORD });
    expectProblem(unknown, 400, 'invalid-request');
    expect(unknown.body.errors).toEqual([{ path: 'token', message: 'This invitation is unknown, used or expired.' }]);
    const again = await accept({ token: used.token, password: 'another password entirely' });
    const off = await accept({ token: deactivated.token, password: INVITED_PASSWORD });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 7 * DAY + MINUTE);
    const late = await accept({ token: expired.token, password: INVITED_PASSWORD });
    vi.useRealTimers();
    for (const a of [again, off, late]) {
      expectProblem(a, 400, 'invalid-request');
      expect(sameProblem(a)).toEqual(sameProblem(unknown));
    }
    // None of them set a password.
    expectProblem(await signIn({ login: used.username, password: 'another password entirely' }), 401, 'invalid-credentials');
    expectProblem(await signIn({ login: expired.username, password: INVITED_PASSWORD }), 401, 'invalid-credentials');
    expect(await count('tokens', 'user_id IN (?, ?)', expired.id, deactivated.id)).toBe(0);
  });

  it('applies the password rules and consumes nothing on a refusal (400 naming password)', async () => {
    const { token, username } = await invited();
    const short = await accept({ token, password: 'short' });
    expectProblem(short, 400, 'invalid-request');
    expect(fieldPaths(short)).toEqual(['password']);
    for (const body of [{ token }, { password: INVITED_PASSWORD }, { token, password: INVITED_PASSWORD, username: 'x' }, { token: 'fbi_short', password: INVITED_PASSWORD }]) {
      expectProblem(await accept(body), 400, 'invalid-request');
    }
    expect((await accept({ token, password: INVITED_PASSWORD })).status).toBe(200);
    expect((await signIn({ login: username, password: INVITED_PASSWORD })).status).toBe(200);
  });

  it('lets one of several parallel acceptances through; the others get the 400', async () => {
    const { token, id } = await invited();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => accept({ token, password: `parallel password ${i}` })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400]);
    const winner = answers.find((a) => a.status === 200)!;
    expect(await count('tokens', 'user_id = ? AND revoked_at IS NULL', id)).toBe(1);
    expect((await me(bearer(winner.body.token))).status).toBe(200);
  });

  it('comes with every account made without a password, whichever route made it, and with none made with one', async () => {
    const root = await makeUser({ superuser: true });
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, json: { name: unique('Project ') } });
    const routes: [string, Actor, Record<string, unknown>][] = [
      ['/v1/users', root, {}],
      ['/v1/users', admin, { organization: org.slug }],
      [`/v1/organizations/${org.slug}/users`, admin, {}],
      [`/v1/projects/${project.body.id}/users`, admin, {}],
    ];
    for (const [path, by, extra] of routes) {
      const username = unique('via');
      const made = await call(path, { headers: by.auth, json: { username, email: `${username}@example.test`, ...extra } });
      expect(made.status, `${path}: ${made.text}`).toBe(201);
      expect(made.headers.get('Cache-Control'), path).toBe('no-store');
      const accepted = await accept({ token: made.body.invitation.token, password: INVITED_PASSWORD });
      expect(accepted.status, `${path}: ${accepted.text}`).toBe(200);
      expect(accepted.body.user.username).toBe(username);

      const withPassword = unique('via');
      const plain = await call(path, { headers: by.auth, json: { username: withPassword, email: `${withPassword}@example.test`, password: INVITED_PASSWORD, ...extra } });
      expect(plain.status, `${path}: ${plain.text}`).toBe(201);
      expect(plain.body.invitation, path).toBeUndefined();
      expect(await count('invitations', 'user_id = ?', plain.body.id ?? plain.body.user.id)).toBe(0);
    }
  });

  it('is void once the password is set another way', async () => {
    const { token, id, username } = await invited();
    const root = await makeUser({ superuser: true });
    expect((await call(`/v1/users/${id}`, { method: 'PATCH', headers: root.auth, json: { password: 'set by the superuser' } })).status).toBe(200);
    expectProblem(await accept({ token, password: INVITED_PASSWORD }), 400, 'invalid-request');
    expect((await signIn({ login: username, password: 'set by the superuser' })).status).toBe(200);
  });
});

describe('every password write ends the other ways into the account', () => {
  /**
   * Every operation whose JSON body takes `password`, and what it does with it: a new operation
   * fails this test until it is listed. A change is exercised on an account that holds a sign-in
   * session and a personal token besides the presenting one.
   */
  type Change = (target: Actor) => Promise<{ answer: Answer; password: string; presenting: string | null }>;
  const NEW_PASSWORD = 'the brand new password';
  const WRITES: Record<string, 'checks a password' | 'makes a new account' | Change> = {
    'POST /v1/auth/sign-in': 'checks a password',
    'POST /v1/users': 'makes a new account',
    'POST /v1/organizations/{org}/users': 'makes a new account',
    'POST /v1/projects/{project}/users': 'makes a new account',
    'PATCH /v1/me': async (target) => ({
      answer: await call('/v1/me', { method: 'PATCH', headers: target.auth, json: { password: NEW_PASSWORD, current_password: PASSWORD } }),
      password: NEW_PASSWORD,
      presenting: target.token,
    }),
    'PATCH /v1/users/{user}': async (target) => {
      const root = await makeUser({ superuser: true });
      return { answer: await call(`/v1/users/${target.id}`, { method: 'PATCH', headers: root.auth, json: { password: NEW_PASSWORD } }), password: NEW_PASSWORD, presenting: null };
    },
    'POST /v1/auth/accept-invitation': async (target) => {
      // An invitation for the target, as an account-creating route would have stored it.
      const token = newTokenSecret().replace('fbt_', 'fbi_');
      await env.DB.prepare('INSERT INTO invitations (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
        .bind(`inv_${crypto.randomUUID()}`, target.id, await sha256hex(token), Date.now(), Date.now() + DAY)
        .run();
      return { answer: await call('/v1/auth/accept-invitation', { json: { token, password: NEW_PASSWORD } }), password: NEW_PASSWORD, presenting: null };
    },
  };

  it('lists every operation that takes a password, and each change revokes every token but the presenting one', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
    const resolve = (schema: any): any => (schema?.$ref ? resolve(doc.components.schemas[schema.$ref.split('/').pop()]) : schema);
    const takes = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => resolve(op?.requestBody?.content?.['application/json']?.schema)?.properties?.password)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(takes.sort()).toEqual(Object.keys(WRITES).sort());

    for (const [key, how] of Object.entries(WRITES)) {
      if (typeof how !== 'function') continue;
      const target = await makeUser();
      const session = await signIn({ login: target.username, password: PASSWORD });
      const personal = await call('/v1/me/tokens', { headers: target.auth, json: { name: 'ci' } });
      const { answer, password, presenting } = await how(target);
      expect(answer.status, `${key}: ${answer.text}`).toBe(200);
      const others = [session.body.token, personal.body.token, target.token].filter((t) => t !== presenting);
      for (const t of others) expectUnauthenticated(await me(bearer(t)));
      if (presenting) expect((await me(bearer(presenting))).status, key).toBe(200);
      const live = (await env.DB.prepare('SELECT token_hash FROM tokens WHERE user_id = ? AND revoked_at IS NULL').bind(target.id).all<{ token_hash: string }>()).results;
      const expected = [presenting ?? answer.body.token].filter(Boolean);
      expect(live.map((r) => r.token_hash).sort(), key).toEqual((await Promise.all(expected.map(sha256hex))).sort());
      expect((await signIn({ login: target.username, password })).status, key).toBe(200);
    }
  });
});
