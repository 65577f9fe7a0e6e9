/**
 * Concurrency and fault proofs, in one place. Each test checks the answers (status, body,
 * headers) and then the state of D1 and R2 left behind:
 *
 * 1. Sign-in lockout under parallel guesses at two accounts through every identifier form: an
 *    audit trigger records every change of the failure counter, so "evaluated" is counted in D1
 *    (one claim per evaluated guess), not inferred from the answers alone.
 * 2. Two PATCHes with the same If-Match at once, on every entity kind that takes If-Match: once
 *    as they come, and once with both reads forced to complete before either write (a D1
 *    stand-in holds each request after its first round trip), so the version guard in the
 *    UPDATE, not the ETag check after the read, is what must refuse the loser.
 * 3. A D1 failure injected in the middle of a multi-statement write (a trigger that RAISEs only
 *    once the batch's earlier statements have landed): an opaque 500, and every table and every
 *    R2 object exactly as before.
 * 4. Upload bodies that break part way and an R2 that fails (a stand-in bucket passed in env):
 *    no row, and no object left once the request and, where R2 cannot delete, the sweep are done.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bindings } from '../src/env';
import { app } from '../src/index';
import { SWEEP_GRACE_MS, sweepOrphans } from '../src/storage/sweep';
import { call, expectProblem, ORIGIN, type Answer, type CallOptions } from './support/api';
import { count, makeOrg, makeUser, PASSWORD, unique, type Actor } from './support/actors';
import { checkContract } from './support/contract';
import { chunked, download } from './support/files';
import { snapshot, type Snapshot } from './support/snapshot';

// A real 1x1 PNG (70 bytes).
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
const LOCK_LIMIT = 4; // LOCKOUT_MAX_ATTEMPTS in wrangler.toml
const LOCK_MS = 5 * 60_000; // LOCKOUT_MINUTES
const LATER = () => Date.now() + SWEEP_GRACE_MS + 1000;
const text = (s: string) => new TextEncoder().encode(s);

type Row = { id: string; [k: string]: any };

function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

async function ok(a: Promise<Answer>, status = 201): Promise<Row> {
  const r = await a;
  if (r.status !== status) throw new Error(`expected ${status}: ${r.status} ${r.text}`);
  return r.body as Row;
}

// ---------------------------------------------------------------------------------------------
// Requests with stand-in bindings: app.fetch with the test's env, some bindings replaced.
// ---------------------------------------------------------------------------------------------

/** Like call(), but through app.fetch with `bindings` in place of the real ones (the app reads them from env per request). */
async function send(path: string, opts: CallOptions & { bindings?: Partial<Bindings> } = {}): Promise<Answer> {
  const headers = new Headers(opts.headers);
  let body = opts.body ?? null;
  if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  const method = opts.method ?? (body ? 'POST' : 'GET');
  let request = new Request(ORIGIN + path, { method, headers, body });
  if (body && !(body instanceof ReadableStream) && !headers.has('Content-Length')) {
    // What the wire would add: a body of known size travels with its Content-Length (and a form with its boundary).
    const bytes = new Uint8Array(await request.arrayBuffer());
    headers.set('Content-Length', String(bytes.byteLength));
    if (request.headers.get('Content-Type')) headers.set('Content-Type', request.headers.get('Content-Type')!);
    request = new Request(ORIGIN + path, { method, headers, body: bytes });
  }
  const ctx = createExecutionContext();
  const res = await app.fetch(request, { ...env, ...opts.bindings } as Bindings, ctx);
  const raw = await res.text();
  await waitOnExecutionContext(ctx); // the background work (object deletions) is done too
  const type = res.headers.get('Content-Type') ?? '';
  const answer: Answer = { res, status: res.status, headers: res.headers, body: type.includes('json') && raw ? JSON.parse(raw) : raw, text: raw };
  checkContract(method, new URL(ORIGIN + path).pathname, answer);
  return answer;
}

interface BucketLog {
  /** Keys the app wrote (put) or began a multipart upload for. */
  written: string[];
  deleted: string[];
  aborted: string[];
}

/**
 * An R2 bucket over the real one that records what the app writes and deletes; `faults` replace
 * single methods (to make R2 fail), the rest pass through.
 */
function bucket(faults: Partial<Record<'put' | 'delete' | 'uploadPart' | 'complete', (...args: any[]) => Promise<any>>> = {}) {
  const real = env.FILES;
  const log: BucketLog = { written: [], deleted: [], aborted: [] };
  const files = {
    head: (key: string) => real.head(key),
    get: (key: string, o?: R2GetOptions) => real.get(key, o),
    list: (o?: R2ListOptions) => real.list(o),
    delete: async (keys: string | string[]) => {
      log.deleted.push(...[keys].flat());
      return faults.delete ? faults.delete(keys) : real.delete(keys);
    },
    put: async (key: string, value: any, o?: R2PutOptions) => {
      log.written.push(key);
      return faults.put ? faults.put(key, value, o) : real.put(key, value, o);
    },
    createMultipartUpload: async (key: string, o?: R2MultipartOptions) => {
      log.written.push(key);
      const upload = await real.createMultipartUpload(key, o);
      return {
        key: upload.key,
        uploadId: upload.uploadId,
        uploadPart: (n: number, v: any) => (faults.uploadPart ? faults.uploadPart(n, v) : upload.uploadPart(n, v)),
        complete: (parts: R2UploadedPart[]) => (faults.complete ? faults.complete(parts) : upload.complete(parts)),
        abort: async () => {
          log.aborted.push(key);
          return upload.abort();
        },
      };
    },
    resumeMultipartUpload: (key: string, id: string) => real.resumeMultipartUpload(key, id),
  };
  return { files: files as unknown as R2Bucket, log };
}

// ---------------------------------------------------------------------------------------------
// State of D1 and R2: snapshot() in support/snapshot.ts.
// ---------------------------------------------------------------------------------------------

/**
 * A state to compare with: the sweep has run (so what an earlier test left for it is gone), and
 * every token has a fresh last_used_at (so no request writes one in the background meanwhile).
 */
async function settledSnapshot(): Promise<Snapshot> {
  await sweepOrphans(env, LATER());
  await env.DB.prepare('UPDATE tokens SET last_used_at = ?').bind(Date.now()).run();
  const s = await snapshot();
  // The comparison covers the app's tables and the search indexes, not an empty list.
  for (const t of ['users', 'tokens', 'organizations', 'memberships', 'projects', 'project_members', 'projects_fts', 'projects_fts_data', 'assets', 'assets_fts', 'assets_rtree', 'blobs', 'data_files', 'resources', 'resource_attachments', 'changes']) {
    expect(s.rows, t).toHaveProperty(t);
  }
  return s;
}

/** An opaque 500: problem+json with only the standard members, nothing of the SQL, the table or the injected message. */
function expectOpaque500(a: Answer, ...secrets: string[]) {
  expectProblem(a, 500, 'internal');
  expect(Object.keys(a.body).sort()).toEqual(['detail', 'instance', 'request_id', 'status', 'title', 'type']);
  expect(a.body.detail).toBe('Something went wrong on our side; quote the request id.');
  const everything = a.text + JSON.stringify([...a.headers]);
  for (const s of ['injected', 'R2 unavailable', 'client went away', 'SQLITE', 'D1_', 'constraint', 'trigger', 'INSERT', 'UPDATE', 'DELETE', 'stack', ...secrets]) {
    expect(everything.toLowerCase(), s).not.toContain(s.toLowerCase());
  }
  expect(a.headers.get('ETag')).toBeNull();
  expect(a.headers.get('Location')).toBeNull();
}

const FAULT_TRIGGERS: string[] = [];

/** A trigger for one test: dropped after it, whatever happens. */
async function trigger(name: string, sql: string) {
  FAULT_TRIGGERS.push(name);
  await env.DB.prepare(`CREATE TRIGGER ${name} ${sql}`).run();
}

let assetIndexTrigger: string | null = null;

afterEach(async () => {
  for (const name of FAULT_TRIGGERS.splice(0)) await env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`).run();
  await env.DB.prepare('DROP TRIGGER IF EXISTS fault_count_attempts').run();
  await env.DB.prepare('DROP TABLE IF EXISTS fault_attempts').run();
  // The asset test re-creates the migration's index trigger; make sure it is there whatever happened.
  if (assetIndexTrigger && !(await env.DB.prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'assets_index_insert'").first())) {
    await env.DB.prepare(assetIndexTrigger).run();
  }
  const left = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fault%'").all();
  expect(left.results).toEqual([]);
  vi.restoreAllMocks();
});

/** The error log of the 500s (quietened), to check that the cause goes there with the request id. */
function errorLog() {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  return () => spy.mock.calls.map((c) => c.map(String).join(' '));
}

// ---------------------------------------------------------------------------------------------
// The world the fault tests act in.
// ---------------------------------------------------------------------------------------------

/** An organisation with an admin and an editor, a project, an asset with a data file, and a resource on the project. */
async function world() {
  const admin = await makeUser();
  const editor = await makeUser();
  const org = await makeOrg(admin, [editor]);
  const project = await ok(call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, json: { name: unique('Project ') } }));
  await ok(call(`/v1/projects/${project.id}/members`, { headers: admin.auth, json: { user: editor.id, role: 'editor' } }));
  const asset = await ok(call(`/v1/projects/${project.id}/assets`, { headers: editor.auth, json: { name: unique('Asset '), lat: 47.5, lon: 8.5 } }));
  const data = await ok(call(`/v1/assets/${asset.id}/data`, { headers: { ...editor.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'kept.txt' }, body: text(`kept ${unique('')}`) }));
  const resource = await ok(
    call(`/v1/resources?attach=project:${project.id}&name=manual.txt`, { headers: { ...editor.auth, 'Content-Type': 'text/plain' }, body: text(`manual ${unique('')}`) }),
  );
  return { admin, editor, org, project, asset, data, resource };
}

// =============================================================================================
// 1. Sign-in lockout
// =============================================================================================

describe('sign-in lockout under parallel guesses', () => {
  /**
   * Every change of an account's failure count (password_failures, subject user:<id>), in order:
   * one row per claimed (evaluated) attempt, and a 0 when a success deletes the count.
   */
  async function auditAttempts() {
    await env.DB.prepare('CREATE TABLE fault_attempts (seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT, failed_attempts INTEGER, locked_until INTEGER)').run();
    const log = (row: 'NEW' | 'OLD') =>
      `INSERT INTO fault_attempts (subject, failed_attempts, locked_until) VALUES (${row}.subject, ${row === 'NEW' ? 'NEW.failed_attempts, NEW.locked_until' : '0, NULL'});`;
    await trigger('fault_count_attempts', `AFTER INSERT ON password_failures BEGIN ${log('NEW')} END`);
    await trigger('fault_count_attempts_again', `AFTER UPDATE ON password_failures BEGIN ${log('NEW')} END`);
    await trigger('fault_count_attempts_reset', `AFTER DELETE ON password_failures BEGIN ${log('OLD')} END`);
    return async (userId: string) =>
      (
        await env.DB.prepare('SELECT failed_attempts, locked_until FROM fault_attempts WHERE subject = ? ORDER BY seq')
          .bind(`user:${userId}`)
          .all<{ failed_attempts: number; locked_until: number | null }>()
      ).results;
  }

  /** The account's failure count as stored (no row: none). */
  const failures = (userId: string) =>
    env.DB.prepare('SELECT failed_attempts, locked_until FROM password_failures WHERE subject = ?').bind(`user:${userId}`).first<{ failed_attempts: number; locked_until: number | null }>();

  /** The four ways to name an account: username, email, the email field upper-cased, the username field padded and upper-cased. */
  function identifiers(u: Actor): Record<string, string>[] {
    return [{ login: u.username }, { login: u.email }, { email: u.email.toUpperCase() }, { username: `  ${u.username.toUpperCase()}  ` }];
  }

  const signIn = (body: Record<string, string>) => call('/v1/auth/sign-in', { json: body });

  it('evaluates exactly 4 of 20 guesses per account across every identifier form (counted in D1, never above the limit), locks each account alone, and then refuses the right password', async () => {
    const a = await makeUser();
    const b = await makeUser();
    const bystander = await makeUser();
    const claims = await auditAttempts();

    // 40 guesses at once, interleaved between the two accounts and the four identifier forms.
    const plan = Array.from({ length: 40 }, (_, i) => {
      const who = i % 2 === 0 ? a : b;
      return { who, form: (i >> 1) % 4, body: { ...identifiers(who)[(i >> 1) % 4]!, password: `wrong ${i}` } };
    });
    const started = Date.now();
    const answers = await Promise.all(plan.map((p) => signIn(p.body)));
    const ended = Date.now();

    for (const who of [a, b]) {
      const sent = plan.map((p, i) => ({ ...p, answer: answers[i]! })).filter((p) => p.who === who);
      const mine = sent.map((p) => p.answer);
      const evaluated = mine.filter((x) => x.status === 401);
      const locked = mine.filter((x) => x.status === 429);
      expect(mine.map((x) => x.status).filter((s) => s !== 401 && s !== 429)).toEqual([]);

      // Evaluated in D1: each evaluated guess claimed one increment first, in strict order, and
      // the counter never went past the limit; the lock was set by the claim that reached it.
      const log = await claims(who.id);
      expect(log.map((r) => r.failed_attempts)).toEqual([1, 2, 3, 4]);
      expect(log.slice(0, 3).every((r) => r.locked_until === null)).toBe(true);
      const lockedUntil = log[3]!.locked_until!;
      expect(lockedUntil).toBeGreaterThanOrEqual(started + LOCK_MS);
      expect(lockedUntil).toBeLessThanOrEqual(ended + LOCK_MS);
      // 20 guesses > 4, so the lock must have been reached: exactly 4 evaluated, 16 refused.
      expect(evaluated).toHaveLength(LOCK_LIMIT);
      expect(locked).toHaveLength(20 - LOCK_LIMIT);

      for (const x of evaluated) {
        expectProblem(x, 401, 'invalid-credentials');
        expect(x.headers.get('WWW-Authenticate')).toBe('Bearer realm="fieldbase"');
        expect(x.headers.get('Retry-After')).toBeNull();
      }
      for (const x of locked) {
        expectProblem(x, 429, 'account-locked');
        const retry = x.headers.get('Retry-After')!;
        expect(retry).toMatch(/^[1-9]\d*$/);
        // The seconds left of this account's lock, as seen at some moment during the burst.
        expect(Number(retry)).toBeLessThanOrEqual(Math.ceil((lockedUntil - started) / 1000));
        expect(Number(retry)).toBeGreaterThanOrEqual(Math.floor((lockedUntil - ended) / 1000));
        expect(x.body.detail).toBe(`Too many failed sign-in attempts: try again in ${retry} seconds.`);
        expect(x.headers.get('WWW-Authenticate')).toBeNull();
      }
      // Every identifier form reached the same account: each form met the lock.
      for (let form = 0; form < 4; form++) {
        expect(sent.filter((p) => p.form === form && p.answer.status === 429).length, `form ${form}`).toBeGreaterThan(0);
      }

      expect(await failures(who.id)).toEqual({ failed_attempts: LOCK_LIMIT, locked_until: lockedUntil });
      expect(await env.DB.prepare('SELECT last_login FROM users WHERE id = ?').bind(who.id).first()).toEqual({ last_login: null });
    }

    // While locked, the right password is refused through every identifier form, is not
    // evaluated (no claim), and issues no token.
    for (const who of [a, b]) {
      for (const id of identifiers(who)) {
        const right = await signIn({ ...id, password: PASSWORD });
        expectProblem(right, 429, 'account-locked');
        expect(Number(right.headers.get('Retry-After'))).toBeGreaterThan(0);
        expect(Number(right.headers.get('Retry-After'))).toBeLessThanOrEqual(LOCK_MS / 1000);
        expect(right.body.token).toBeUndefined();
      }
      expect(await claims(who.id)).toHaveLength(LOCK_LIMIT);
      expect(await count('tokens', 'user_id = ?', who.id)).toBe(1); // the one the test minted
    }

    // The locks are per account: a third account signs in meanwhile.
    const other = await signIn({ login: bystander.email, password: PASSWORD });
    expect(other.status, other.text).toBe(200);
    expect(other.headers.get('Cache-Control')).toBe('no-store');
    expect(other.body.user.id).toBe(bystander.id);
    expect(await count('tokens', 'user_id = ?', bystander.id)).toBe(2);
  });

  it('lets the right password in parallel with wrong ones win only by a claim of its own: the counter stays within the limit and a success resets it', async () => {
    const u = await makeUser();
    const claims = await auditAttempts();
    const bodies = Array.from({ length: 12 }, (_, i) => ({ ...identifiers(u)[i % 4]!, password: i === 5 ? PASSWORD : `wrong ${i}` }));
    const answers = await Promise.all(bodies.map((body) => signIn(body)));
    const right = answers[5]!;
    const log = (await claims(u.id)).map((r) => r.failed_attempts);

    expect(Math.max(...log)).toBeLessThanOrEqual(LOCK_LIMIT);
    const wrong = answers.filter((_, i) => i !== 5);
    const claimedWrong = wrong.filter((x) => x.status === 401).length;
    if (right.status === 200) {
      // Claimed before the lock: the success wrote a 0 into the log, and resets the count.
      expect(log).toContain(0);
      expect(right.body.user.id).toBe(u.id);
      expect(await count('tokens', "user_id = ? AND kind = 'session'", u.id)).toBe(1);
      // Claims are the log's non-zero entries (the success's own claim among them).
      expect(log.filter((n) => n > 0)).toHaveLength(claimedWrong + 1);
    } else {
      // The lock came first: the right password was neither evaluated nor rewarded.
      expectProblem(right, 429, 'account-locked');
      expect(log).toEqual([1, 2, 3, 4]);
      expect(claimedWrong).toBe(LOCK_LIMIT);
      expect(await count('tokens', "user_id = ? AND kind = 'session'", u.id)).toBe(0);
    }
    for (const x of wrong) expectProblem(x, x.status, x.status === 401 ? 'invalid-credentials' : 'account-locked');
    const row = (await failures(u.id)) ?? { failed_attempts: 0, locked_until: null };
    expect(row.failed_attempts).toBe(log.at(-1));
    expect(row.failed_attempts).toBeLessThanOrEqual(LOCK_LIMIT);
    expect(row.locked_until !== null).toBe(row.failed_attempts === LOCK_LIMIT);
  });
});

// =============================================================================================
// 2. Two writers with the same If-Match
// =============================================================================================

interface Versioned {
  kind: string;
  path: string;
  table: string;
  id: string;
  auth: Record<string, string>;
  field: string;
}

/** One entity of each kind that takes If-Match, with the path, table and a text field to change. */
async function versionedEntities(): Promise<Versioned[]> {
  const w = await world();
  const superuser = await makeUser({ superuser: true });
  const folder = await ok(call(`/v1/assets/${w.asset.id}/folders`, { headers: w.editor.auth, json: { name: 'Folder' } }));
  const report = await ok(call('/v1/reports', { headers: w.editor.auth, json: { project_id: w.project.id, name: 'Report' } }));
  const e = w.editor.auth;
  const admin = w.admin.auth;
  return [
    { kind: 'organization', path: `/v1/organizations/${w.org.slug}`, table: 'organizations', id: w.org.id, auth: admin, field: 'description' },
    { kind: 'project', path: `/v1/projects/${w.project.id}`, table: 'projects', id: w.project.id, auth: admin, field: 'description' },
    { kind: 'asset', path: `/v1/assets/${w.asset.id}`, table: 'assets', id: w.asset.id, auth: e, field: 'description' },
    { kind: 'folder', path: `/v1/folders/${folder.id}`, table: 'folders', id: folder.id, auth: e, field: 'name' },
    { kind: 'data file', path: `/v1/data/${w.data.id}`, table: 'data_files', id: w.data.id, auth: e, field: 'name' },
    { kind: 'report', path: `/v1/reports/${report.id}`, table: 'reports', id: report.id, auth: e, field: 'description' },
    { kind: 'resource', path: `/v1/resources/${w.resource.id}`, table: 'resources', id: w.resource.id, auth: e, field: 'description' },
    { kind: 'user', path: `/v1/users/${w.editor.id}`, table: 'users', id: w.editor.id, auth: superuser.auth, field: 'name' },
    { kind: 'me', path: '/v1/me', table: 'users', id: superuser.id, auth: superuser.auth, field: 'name' },
  ];
}

/** A D1 that holds each request after its first round trip (the read) until `parties` requests have made theirs. */
function readBarrier(parties: number, ms = 5000) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let timedOut = false;
  const arrive = async () => {
    arrived += 1;
    if (arrived >= parties) open();
    await Promise.race([opened, new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), ms))]);
  };
  const db = (): D1Database => {
    const real = env.DB;
    let first = true;
    const held = async <T>(work: Promise<T>): Promise<T> => {
      const result = await work;
      if (first) {
        first = false;
        await arrive();
      }
      return result;
    };
    class Statement {
      constructor(readonly inner: D1PreparedStatement) {}
      bind(...values: unknown[]) {
        return new Statement(this.inner.bind(...values));
      }
      first(column?: string) {
        return held(column === undefined ? this.inner.first() : this.inner.first(column));
      }
      all() {
        return held(this.inner.all());
      }
      run() {
        return held(this.inner.run());
      }
      raw(o?: { columnNames?: boolean }) {
        return held(this.inner.raw(o as { columnNames: false }));
      }
    }
    return {
      prepare: (q: string) => new Statement(real.prepare(q)),
      batch: (statements: Statement[]) => held(real.batch(statements.map((s) => s.inner))),
      exec: (q: string) => held(real.exec(q)),
      dump: () => real.dump(),
      withSession: (c?: string) => real.withSession(c),
    } as unknown as D1Database;
  };
  return { db, state: () => ({ arrived, timedOut }) };
}

describe('two PATCHes with the same If-Match at once', () => {
  async function race(e: Versioned, forced: boolean) {
    const before = await call(e.path, { headers: e.auth });
    expect(before.status, before.text).toBe(200);
    const etag = before.headers.get('ETag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const version = (await env.DB.prepare(`SELECT version FROM ${e.table} WHERE id = ?`).bind(e.id).first<{ version: number }>())!.version;
    const values = [unique('first '), unique('second ')];
    const barrier = readBarrier(2);
    const patch = (value: string) => {
      const opts = { method: 'PATCH', headers: { ...e.auth, 'If-Match': etag }, json: { [e.field]: value } };
      return forced ? send(e.path, { ...opts, bindings: { DB: barrier.db() } }) : call(e.path, opts);
    };
    const answers = await Promise.all(values.map(patch));
    if (forced) expect(barrier.state(), e.kind).toEqual({ arrived: 2, timedOut: false });

    expect(answers.map((a) => a.status).sort(), `${e.kind}: ${answers.map((a) => a.text).join(' / ')}`).toEqual([200, 412]);
    const winner = answers.find((a) => a.status === 200)!;
    const loser = answers.find((a) => a.status === 412)!;
    const won = values[answers.indexOf(winner)]!;

    expect(winner.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(winner.body[e.field], e.kind).toBe(won);
    const newTag = winner.headers.get('ETag')!;
    expect(newTag).toMatch(/^"[\w-]+"$/);
    expect(newTag).not.toBe(etag);

    expectProblem(loser, 412, 'precondition-failed');
    expect(loser.headers.get('ETag')).toBeNull();
    expect(loser.text).not.toContain(values[answers.indexOf(loser)]!);

    // Stored: the winner's change, exactly what the winner answered, and one version step.
    const after = await call(e.path, { headers: e.auth });
    expect(after.status).toBe(200);
    expect(after.body, e.kind).toEqual(winner.body);
    expect(after.headers.get('ETag')).toBe(newTag);
    const stored = await env.DB.prepare(`SELECT version FROM ${e.table} WHERE id = ?`).bind(e.id).first<{ version: number }>();
    expect(stored!.version, e.kind).toBe(version + 1);

    // The old ETag is stale for good; the new one is the current one.
    expectProblem(await call(e.path, { method: 'PATCH', headers: { ...e.auth, 'If-Match': etag }, json: { [e.field]: 'late' } }), 412, 'precondition-failed');
    const again = await call(e.path, { headers: { ...e.auth, 'If-None-Match': newTag } });
    expect(again.status).toBe(304);
  }

  it('as they come: one 200, one 412, the winner stored, on every entity kind that takes If-Match', async () => {
    const entities = await versionedEntities();
    expect(entities.map((e) => e.kind)).toEqual(['organization', 'project', 'asset', 'folder', 'data file', 'report', 'resource', 'user', 'me']);
    for (const e of entities) await race(e, false);
  });

  it('with both reads done before either write: the version guard of the UPDATE refuses the loser', async () => {
    for (const e of await versionedEntities()) await race(e, true);
  });
});

// =============================================================================================
// 3. D1 failures in the middle of a multi-statement write
// =============================================================================================

describe('a D1 failure in the middle of a write leaves every table and every object as it was', () => {
  /**
   * Runs `request` with `triggers` in place (each RAISEs only once the statements before it in
   * the batch have landed), then checks the 500 and that D1 and R2 equal the state before.
   */
  async function failMidWrite(triggers: [string, string][], request: (files: R2Bucket) => Promise<Answer>, secrets: string[] = []) {
    const before = await settledSnapshot();
    for (const [name, sql] of triggers) await trigger(name, sql);
    const logged = errorLog();
    const r2 = bucket();
    const a = await request(r2.files);
    for (const [name] of triggers) await env.DB.prepare(`DROP TRIGGER ${name}`).run();

    expectOpaque500(a, ...secrets);
    // The cause goes to the log, under the request id the client was given.
    const line = logged().find((l) => l.includes(a.body.request_id));
    expect(line, 'the 500 is logged with its request id').toBeDefined();
    // The cause, D1's own message, also where drizzle wraps it ("Failed query: ..."); never the
    // bound parameters, which hold users' data and hashes.
    expect(line).toContain('injected');
    expect(line).not.toContain('params:');
    for (const s of secrets) expect(line).not.toContain(s);

    const after = await snapshot();
    expect(after.rows).toEqual(before.rows);
    expect(after.objects).toEqual(before.objects);
    for (const key of r2.log.written) expect(await env.FILES.head(key), key).toBeNull();
    // Nothing for the sweep either: no object without its row, no row without its owner.
    expect(await sweepOrphans(env, LATER())).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
    expect(await snapshot()).toEqual(after);
    return { answer: a, r2: r2.log, before };
  }

  it('project creation: the project row and its FTS row are rolled back when the manager membership fails', async () => {
    const w = await world();
    const name = unique('Doomed ');
    const { r2 } = await failMidWrite(
      [
        [
          'fault_project_manager',
          `BEFORE INSERT ON project_members
           WHEN EXISTS (SELECT 1 FROM projects p JOIN projects_fts f ON f.rowid = p.seq WHERE p.id = NEW.project_id AND f.name = '${name}')
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      (files) => send(`/v1/organizations/${w.org.slug}/projects`, { headers: w.admin.auth, json: { name, description: 'never' }, bindings: { FILES: files } }),
      [name, 'project_members'],
    );
    expect(r2.written).toEqual([]);
    expect(await count('projects', 'name = ?', name)).toBe(0);
    // The same request works once the fault is gone.
    expect((await call(`/v1/organizations/${w.org.slug}/projects`, { headers: w.admin.auth, json: { name } })).status).toBe(201);
  });

  it('project creation with a logo: the logo object written before the rows is removed', async () => {
    const w = await world();
    const name = unique('Logo ');
    const form = new FormData();
    form.append('name', name);
    form.append('logo', new Blob([PNG], { type: 'image/png' }), 'logo.png');
    const { r2 } = await failMidWrite(
      [
        [
          'fault_project_logo_blob',
          `BEFORE INSERT ON blobs
           WHEN EXISTS (SELECT 1 FROM projects p WHERE p.logo_blob_id = NEW.id AND p.name = '${name}')
             AND EXISTS (SELECT 1 FROM project_members m JOIN projects p ON p.id = m.project_id WHERE p.logo_blob_id = NEW.id AND m.role = 'manager')
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      (files) => send(`/v1/organizations/${w.org.slug}/projects`, { headers: w.admin.auth, body: form, bindings: { FILES: files } }),
      [name],
    );
    // The logo did reach R2 before the rows failed, and was deleted.
    expect(r2.written).toHaveLength(1);
    expect(r2.written[0]).toMatch(new RegExp(`^${w.org.id}/logo/blb_`));
    expect(r2.deleted).toEqual(r2.written);
  });

  it('asset creation: the FTS and R*Tree rows its triggers wrote go with the row', async () => {
    const w = await world();
    const name = unique('Sunk ');
    // The index trigger must run before the fault, and SQLite runs the newest trigger first: so
    // the fault goes in first and the (unchanged) index trigger is created again after it.
    assetIndexTrigger = (await env.DB.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'assets_index_insert'").first<{ sql: string }>())!.sql;
    await failMidWrite(
      [
        [
          'fault_asset_indexed',
          `AFTER INSERT ON assets
           WHEN EXISTS (SELECT 1 FROM assets_fts WHERE rowid = NEW.seq AND name = NEW.name)
             AND EXISTS (SELECT 1 FROM assets_rtree WHERE seq = NEW.seq)
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      async () => {
        await env.DB.batch([env.DB.prepare('DROP TRIGGER assets_index_insert'), env.DB.prepare(assetIndexTrigger!)]);
        return send(`/v1/projects/${w.project.id}/assets`, { headers: w.editor.auth, json: { name, lat: 46.1, lon: 7.2 } });
      },
      [name],
    );
    expect(await count('assets', 'name = ?', name)).toBe(0);
  });

  it('data file upload: the blob row is rolled back and the object removed when the file row fails', async () => {
    const w = await world();
    const bytes = pattern(40_000, 2);
    const { r2 } = await failMidWrite(
      [['fault_data_row', "BEFORE INSERT ON data_files WHEN EXISTS (SELECT 1 FROM blobs WHERE id = NEW.blob_id) BEGIN SELECT RAISE(ABORT, 'injected'); END"]],
      (files) =>
        send(`/v1/assets/${w.asset.id}/data`, {
          headers: { ...w.editor.auth, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'doomed.bin' },
          body: bytes,
          bindings: { FILES: files },
        }),
      ['doomed.bin', 'data_files'],
    );
    expect(r2.written).toHaveLength(1);
    expect(r2.written[0]).toMatch(new RegExp(`^${w.org.id}/data/blb_`));
  });

  it('resource creation: the blob and resource rows are rolled back when the attachments fail, and the object removed', async () => {
    const w = await world();
    const { r2 } = await failMidWrite(
      [
        [
          'fault_resource_attachment',
          `BEFORE INSERT ON resource_attachments
           WHEN EXISTS (SELECT 1 FROM resources r JOIN blobs b ON b.id = r.blob_id WHERE r.id = NEW.resource_id)
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      (files) =>
        send(`/v1/resources?attach=project:${w.project.id}&attach=asset:${w.asset.id}&name=doomed.pdf`, {
          headers: { ...w.editor.auth, 'Content-Type': 'text/plain' },
          body: text(`fresh bytes ${unique('')}`),
          bindings: { FILES: files },
        }),
      ['doomed.pdf', 'resource_attachments'],
    );
    expect(r2.written).toHaveLength(1);
  });

  it('adding a project member from outside the organisation: the organisation membership is rolled back', async () => {
    const w = await world();
    const newcomer = await makeUser();
    await failMidWrite(
      [
        [
          'fault_project_member',
          `BEFORE INSERT ON project_members
           WHEN EXISTS (SELECT 1 FROM memberships WHERE user_id = NEW.user_id AND organization_id = '${w.org.id}')
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      () => send(`/v1/projects/${w.project.id}/members`, { headers: w.admin.auth, json: { user: newcomer.id, role: 'viewer' } }),
    );
    expect(await count('memberships', 'user_id = ?', newcomer.id)).toBe(0);
  });

  it('creating an account into a project: the user and the organisation membership are rolled back', async () => {
    const w = await world();
    const username = unique('newbie');
    await failMidWrite(
      [
        [
          'fault_project_account',
          `BEFORE INSERT ON project_members
           WHEN EXISTS (SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.id = NEW.user_id AND u.username = '${username}')
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      () =>
        send(`/v1/projects/${w.project.id}/users`, {
          headers: w.admin.auth,
          json: { username, email: `${username}@example.test`, password: 'a long enough password', role: 'editor' },
        }),
      [username],
    );
    expect(await count('users', 'username = ?', username)).toBe(0);
  });

  it('purging a project: its rows, its files’ rows and every object survive when writing its deletion to the change log fails', async () => {
    const w = await world();
    expect((await call(`/v1/projects/${w.project.id}/logo`, { method: 'PUT', headers: { ...w.admin.auth, 'Content-Type': 'image/png' }, body: PNG })).status).toBe(200);
    const { r2, before } = await failMidWrite(
      [
        [
          'fault_purge_record',
          `BEFORE INSERT ON changes
           WHEN NEW.op = 'delete' AND NEW.entity_id = '${w.project.id}'
             AND NOT EXISTS (SELECT 1 FROM projects WHERE id = NEW.entity_id)
             AND NOT EXISTS (SELECT 1 FROM data_files WHERE id = '${w.data.id}')
             AND NOT EXISTS (SELECT 1 FROM blobs b JOIN data_files d ON d.blob_id = b.id WHERE d.id = '${w.data.id}')
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      (files) => send(`/v1/projects/${w.project.id}?permanent=true`, { method: 'DELETE', headers: w.admin.auth, bindings: { FILES: files } }),
    );
    expect(r2.deleted).toEqual([]);
    expect(before.objects.filter((o) => o.startsWith(`${w.org.id}/`)).length).toBeGreaterThanOrEqual(3); // data file, resource, logo
    const d = await download(`/v1/data/${w.data.id}/download`, w.editor.auth);
    expect(d.status).toBe(200);
    expect(new TextDecoder().decode(d.bytes)).toMatch(/^kept /);
  });

  it('deleting an asset and an organisation: nothing goes when writing the deletion to the change log fails', async () => {
    const w = await world();
    for (const [what, id, path, table] of [
      ['asset', w.asset.id, `/v1/assets/${w.asset.id}`, 'assets'],
      ['organization', w.org.id, `/v1/organizations/${w.org.slug}`, 'organizations'],
    ] as const) {
      const { r2 } = await failMidWrite(
        [
          [
            `fault_delete_${what}`,
            `BEFORE INSERT ON changes
             WHEN NEW.op = 'delete' AND NEW.entity_id = '${id}' AND NOT EXISTS (SELECT 1 FROM ${table} WHERE id = NEW.entity_id)
               AND NOT EXISTS (SELECT 1 FROM blobs b JOIN data_files d ON d.blob_id = b.id WHERE d.id = '${w.data.id}')
             BEGIN SELECT RAISE(ABORT, 'injected'); END`,
          ],
        ],
        (files) => send(path, { method: 'DELETE', headers: w.admin.auth, bindings: { FILES: files } }),
      );
      expect(r2.deleted, what).toEqual([]);
      expect(await count(table, 'id = ?', id)).toBe(1);
    }
  });

  it('replacing a resource’s file: the old bytes stay current and the new object is removed', async () => {
    const w = await world();
    const old = await env.DB.prepare('SELECT blob_id FROM resources WHERE id = ?').bind(w.resource.id).first<{ blob_id: string }>();
    const { r2 } = await failMidWrite(
      [
        [
          'fault_resource_replace',
          `BEFORE DELETE ON blobs
           WHEN OLD.id = '${old!.blob_id}' AND EXISTS (SELECT 1 FROM resources WHERE id = '${w.resource.id}' AND blob_id <> OLD.id)
           BEGIN SELECT RAISE(ABORT, 'injected'); END`,
        ],
      ],
      (files) =>
        send(`/v1/resources/${w.resource.id}/file`, {
          method: 'PUT',
          headers: { ...w.editor.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'new.txt' },
          body: text(`replacement ${unique('')}`),
          bindings: { FILES: files },
        }),
    );
    expect(r2.written).toHaveLength(1);
    const d = await download(`/v1/resources/${w.resource.id}/download`, w.editor.auth);
    expect(d.status).toBe(200);
    expect(new TextDecoder().decode(d.bytes)).toMatch(/^manual /);
  });
});

// =============================================================================================
// 4. Bodies that break and an R2 that fails
// =============================================================================================

/** `good` bytes in chunks of `chunk`, then an error, as a client whose connection drops. */
function breaking(good: number, chunk = 4096, reason: unknown = new Error('client went away')): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= good) return controller.error(reason);
      const n = Math.min(chunk, good - sent);
      controller.enqueue(pattern(n, sent));
      sent += n;
    },
  });
}

/** The upload routes that stream a raw body to R2, each under a fresh name, with the rows of that name to count. */
function uploadTargets(w: Awaited<ReturnType<typeof world>>) {
  const name = unique('broken-') + '.bin';
  return [
    { kind: 'data file', path: `/v1/assets/${w.asset.id}/data`, headers: { ...w.editor.auth, 'X-File-Name': name }, rows: () => count('data_files', 'name = ?', name) },
    {
      kind: 'resource',
      path: `/v1/resources?attach=asset:${w.asset.id}&name=${name}`,
      headers: w.editor.auth,
      rows: () => count('resources', 'name = ?', name),
    },
  ];
}

describe('an upload that breaks part way', () => {
  async function expectNothingStored(before: Snapshot, written: string[]) {
    const after = await snapshot();
    expect(after.rows).toEqual(before.rows);
    expect(after.objects).toEqual(before.objects);
    for (const key of written) expect(await env.FILES.head(key), key).toBeNull();
    expect(await sweepOrphans(env, LATER())).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
  }

  // Through the runtime (exports.default.fetch) the broken stream is the caller's: workerd logs
  // it ("uncaught exception … client went away", "Network connection lost"), which is expected.
  // The worker sees a body shorter than announced. Without a Content-Length the service binding
  // ends the body cleanly instead of failing it, so the chunked cases go through app.fetch below.
  it('with a Content-Length, through the runtime: 400 naming the bytes that came, no row, no object', async () => {
    const w = await world();
    for (const t of uploadTargets(w)) {
      const before = await settledSnapshot();
      const a = await call(t.path, {
        headers: { ...t.headers, 'Content-Type': 'application/octet-stream', 'Content-Length': '100000' },
        body: breaking(40_000),
      });
      expectProblem(a, 400, 'malformed-request');
      expect(a.body.detail, t.kind).toBe('The body ended after 40000 of the 100000 bytes announced.');
      expect(a.headers.get('Location')).toBeNull();
      expect(await t.rows()).toBe(0);
      await expectNothingStored(before, []);
    }
  });

  it("a multipart form whose body breaks in the file part: 400 (the client's side broke), no row, nothing written", async () => {
    const w = await world();
    for (const t of uploadTargets(w)) {
      const before = await settledSnapshot();
      const logged = errorLog();
      const r2 = bucket();
      const head = new TextEncoder().encode('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\nContent-Type: application/octet-stream\r\n\r\n');
      const tail = breaking(40_000);
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(head);
          const reader = tail.getReader();
          try {
            for (;;) {
              const next = await reader.read();
              if (next.done) break;
              controller.enqueue(next.value);
            }
            controller.close();
          } catch (error) {
            controller.error(error);
          }
        },
      });
      const path = t.path.replace(/\?.*$/, '') + (t.kind === 'resource' ? `?attach=asset:${w.asset.id}` : '');
      const a = await send(path, { headers: { ...t.headers, 'Content-Type': 'multipart/form-data; boundary=XYZ' }, body, bindings: { FILES: r2.files } });
      expectProblem(a, 400, 'malformed-request');
      expect(a.body.detail, t.kind).toBe('The body broke off before the end of the form.');
      expect(logged().some((l) => l.includes(a.body.request_id))).toBe(false);
      // A form is read whole before anything is stored: R2 was never reached.
      expect(r2.log.written, t.kind).toEqual([]);
      await expectNothingStored(before, []);
    }
  });

  for (const length of ['known', 'chunked'] as const) {
    it(`with ${length === 'known' ? 'a Content-Length (one streamed put)' : 'no Content-Length (an R2 multipart upload)'}: 400 (the client's side broke), no row, the object removed or the upload aborted`, async () => {
      const w = await world();
      for (const t of uploadTargets(w)) {
        const before = await settledSnapshot();
        const logged = errorLog();
        const r2 = bucket();
        const headers: Record<string, string> = { ...t.headers, 'Content-Type': 'application/octet-stream' };
        if (length === 'known') headers['Content-Length'] = '100000';
        const a = await send(t.path, { headers, body: breaking(40_000), bindings: { FILES: r2.files } });
        // The client's connection failed, not the server: a 400 naming what arrived, not an error in the log.
        expectProblem(a, 400, 'malformed-request');
        expect(a.body.detail, t.kind).toBe('The body broke off after 40000 bytes.');
        expect(logged().some((l) => l.includes(a.body.request_id))).toBe(false);
        expect(await t.rows(), t.kind).toBe(0);
        // R2 was reached (the type check passed and the body started streaming) and cleaned.
        expect(r2.log.written, t.kind).toHaveLength(1);
        if (length === 'known') expect(r2.log.deleted).toEqual(r2.log.written);
        else expect(r2.log.aborted).toEqual(r2.log.written);
        await expectNothingStored(before, r2.log.written);
      }
    });
  }
});

describe('R2 failing', () => {
  const unavailable = () => Promise.reject(new Error('R2 unavailable'));

  it('a put that fails after reading part of the body, a part upload and a completion that fail: opaque 500, no row, nothing left', async () => {
    const w = await world();
    const cases = [
      {
        name: 'put fails mid-stream',
        length: true,
        faults: {
          put: async (_key: string, value: ReadableStream<Uint8Array>) => {
            const reader = value.getReader();
            await reader.read();
            await reader.read();
            await reader.cancel();
            throw new Error('R2 unavailable');
          },
        },
        cleaned: (log: BucketLog) => expect(log.deleted).toEqual(log.written),
      },
      { name: 'uploadPart fails', length: false, faults: { uploadPart: unavailable }, cleaned: (log: BucketLog) => expect(log.aborted).toEqual(log.written) },
      { name: 'complete fails', length: false, faults: { complete: unavailable }, cleaned: (log: BucketLog) => expect(log.aborted).toEqual(log.written) },
    ];
    for (const c of cases) {
      for (const t of uploadTargets(w)) {
        const before = await settledSnapshot();
        const logged = errorLog();
        const r2 = bucket(c.faults);
        const bytes = pattern(300_000, 9);
        const headers: Record<string, string> = { ...t.headers, 'Content-Type': 'application/octet-stream' };
        // The body itself is sound: with a length, one streamed put; without, chunked into a multipart upload.
        const a = await send(t.path, { headers, body: c.length ? bytes : chunked(bytes), bindings: { FILES: r2.files } });
        expectOpaque500(a);
        expect(logged().some((l) => l.includes(a.body.request_id) && l.includes('R2 unavailable'))).toBe(true);
        expect(await t.rows(), `${t.kind}: ${c.name}`).toBe(0);
        expect(r2.log.written, `${t.kind}: ${c.name}`).toHaveLength(1);
        c.cleaned(r2.log);
        const after = await snapshot();
        expect(after, `${t.kind}: ${c.name}`).toEqual(before);
        expect(await sweepOrphans(env, LATER())).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
      }
    }
  });

  it('a put that stores the object but answers an error: the object is deleted, no row', async () => {
    const w = await world();
    for (const t of uploadTargets(w)) {
      const before = await settledSnapshot();
      const logged = errorLog();
      const r2 = bucket({
        put: async (key: string, value: ReadableStream, o?: R2PutOptions) => {
          await env.FILES.put(key, value, o);
          throw new Error('R2 unavailable');
        },
      });
      const a = await send(t.path, { headers: { ...t.headers, 'Content-Type': 'text/plain' }, body: text(`lost answer ${unique('')}`), bindings: { FILES: r2.files } });
      expectOpaque500(a);
      expect(logged().some((l) => l.includes(a.body.request_id) && l.includes('R2 unavailable'))).toBe(true);
      expect(r2.log.written).toHaveLength(1);
      expect(r2.log.deleted).toEqual(r2.log.written);
      expect(await t.rows()).toBe(0);
      expect(await snapshot()).toEqual(before);
      expect(await sweepOrphans(env, LATER())).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
    }
  });

  it('an object whose rows failed and which R2 would not delete is invisible, spared by the sweep within the grace period, and removed after it', async () => {
    const w = await world();
    for (const t of uploadTargets(w)) {
      const before = await settledSnapshot();
      await trigger('fault_no_blob_rows', "BEFORE INSERT ON blobs BEGIN SELECT RAISE(ABORT, 'injected'); END");
      errorLog();
      const r2 = bucket({ delete: unavailable });
      const a = await send(t.path, { headers: { ...t.headers, 'Content-Type': 'text/plain' }, body: text(`orphan ${unique('')}`), bindings: { FILES: r2.files } });
      await env.DB.prepare('DROP TRIGGER fault_no_blob_rows').run();
      expectOpaque500(a);
      expect(await t.rows()).toBe(0);

      // The object is there, with no row naming it: an orphan.
      expect(r2.log.written).toHaveLength(1);
      expect(r2.log.deleted).toEqual(r2.log.written);
      const orphan = r2.log.written[0]!;
      expect(await env.FILES.head(orphan)).not.toBeNull();
      const mid = await snapshot();
      expect(mid.rows).toEqual(before.rows);
      expect(mid.objects.filter((o) => !o.startsWith(`${orphan} `))).toEqual(before.objects);

      // Young: kept (it could be an upload whose row is about to land).
      expect(await sweepOrphans(env, Date.now())).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
      expect(await env.FILES.head(orphan)).not.toBeNull();
      // Past the grace period: removed, and the state is the one before the request.
      expect(await sweepOrphans(env, LATER())).toMatchObject({ orphanObjects: 1, unreferencedBlobs: 0, walkFinished: true });
      expect(await snapshot()).toEqual(before);
    }
  });
});
