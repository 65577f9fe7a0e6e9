/**
 * Idempotency-Key on every authenticated POST (src/http/idempotency.ts): the kept answer given
 * again to a retry, which changes nothing; 422 for the key with another request; 409 while the
 * first runs; uploads hashed, never stored twice; every POST of the document keyed the same way.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, ORIGIN, roundTrips } from './support/api';
import { count, makeOrg, makeUser, unique } from './support/actors';
import { createAsset, createProject, ok } from './support/domain';
import { bodyFor, buildWorld, fileForm, fill, PNG, send, type World } from './support/world';
import { snapshot } from './support/snapshot';

const key = () => crypto.randomUUID();

describe('a keyed create', () => {
  it('answers a retry with the kept answer (status, body, ETag, Location) and Idempotent-Replayed; nothing is made twice', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const k = key();
    const create = () => call(`/v1/organizations/${org.slug}/projects`, { headers: { ...admin.auth, 'Idempotency-Key': k }, json: { name: 'Vineyards' } });
    const first = await create();
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    expect(roundTrips(first)).toBe(3);
    const before = await snapshot();
    for (let i = 0; i < 3; i++) {
      const again = await create();
      expect(again.status).toBe(201);
      expect(again.headers.get('Idempotent-Replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      for (const h of ['ETag', 'Location', 'Content-Type']) expect(again.headers.get(h), h).toBe(first.headers.get(h));
      expect(again.headers.get('X-Request-Id')).not.toBe(first.headers.get('X-Request-Id'));
      expect(roundTrips(again)).toBe(1);
    }
    expect(await snapshot()).toEqual(before);
    expect(await count('projects', 'organization_id = ?', org.id)).toBe(1);
  });

  it('the key as a structured-field string is the same key; a key of other characters or length answers 400 naming the header', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const k = key();
    const first = await call(`/v1/organizations/${org.slug}/projects`, { headers: { ...admin.auth, 'Idempotency-Key': k }, json: { name: 'P' } });
    const quoted = await call(`/v1/organizations/${org.slug}/projects`, { headers: { ...admin.auth, 'Idempotency-Key': `"${k}"` }, json: { name: 'P' } });
    expect(quoted.headers.get('Idempotent-Replayed')).toBe('true');
    expect(quoted.body).toEqual(first.body);
    for (const bad of ['', 'a b', 'x'.repeat(256), 'caf\u00e9']) {
      const a = await call(`/v1/organizations/${org.slug}/projects`, { headers: { ...admin.auth, 'Idempotency-Key': bad }, json: { name: unique('P') } });
      expectProblem(a, 400, 'invalid-request');
      expect(a.body.errors).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
    }
    expect(await count('projects', 'organization_id = ?', org.id)).toBe(1);
  });

  it('the same key with another body, path or method answers 422 and changes nothing', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const k = key();
    const headers = { ...admin.auth, 'Idempotency-Key': k };
    await ok(call(`/v1/organizations/${org.slug}/projects`, { headers, json: { name: 'P' } }));
    const before = await snapshot();
    for (const a of [
      await call(`/v1/organizations/${org.slug}/projects`, { headers, json: { name: 'Q' } }),
      await call('/v1/organizations', { headers, json: { name: unique('Org ') } }),
      await call('/v1/projects', { headers, json: { organization: org.slug, name: 'P' } }),
    ]) {
      expectProblem(a, 422, 'idempotency-key-reused');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('keys are per credential: another token of the same account, or another account, with the same key makes its own', async () => {
    const admin = await makeUser();
    const other = await makeUser();
    const org = await makeOrg(admin, [other]);
    const k = key();
    const make = (auth: Record<string, string>) => call(`/v1/organizations/${org.slug}/projects`, { headers: { ...auth, 'Idempotency-Key': k }, json: { name: unique('P ') } });
    expect((await make(admin.auth)).status).toBe(201);
    expect((await make(other.auth)).status).toBe(201);
    expect(await count('projects', 'organization_id = ?', org.id)).toBe(2);
  });

  it('a refusal is kept as any answer below 500; a failure of ours is not, and the retry runs', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const k = key();
    const taken = await createProject(admin, org, { slug: 'taken' });
    const headers = { ...admin.auth, 'Idempotency-Key': k };
    const conflict = await call(`/v1/organizations/${org.slug}/projects`, { headers, json: { name: 'x', slug: 'taken' } });
    expect(conflict.status).toBe(409);
    await ok(call(`/v1/projects/${taken.id}?permanent=true`, { method: 'DELETE', headers: admin.auth }), 204);
    const again = await call(`/v1/organizations/${org.slug}/projects`, { headers, json: { name: 'x', slug: 'taken' } });
    expect([again.status, again.headers.get('Idempotent-Replayed')]).toEqual([409, 'true']);
    expect(again.body.detail).toBe(conflict.body.detail);

    // A 500 (a failing trigger) releases the key: the retry, once the fault is gone, creates.
    const k2 = key();
    await env.DB.prepare(`CREATE TRIGGER fault_project BEFORE INSERT ON projects WHEN NEW.name = 'faulty' BEGIN SELECT RAISE(ABORT, 'injected'); END`).run();
    const failed = await call(`/v1/organizations/${org.slug}/projects`, { headers: { ...admin.auth, 'Idempotency-Key': k2 }, json: { name: 'faulty' } });
    expect(failed.status).toBe(500);
    expect(await count('idempotency_keys', 'key = ?', k2)).toBe(0);
    await env.DB.prepare('DROP TRIGGER fault_project').run();
    const retried = await call(`/v1/organizations/${org.slug}/projects`, { headers: { ...admin.auth, 'Idempotency-Key': k2 }, json: { name: 'faulty' } });
    expect([retried.status, retried.headers.get('Idempotent-Replayed')]).toEqual([201, null]);
  });

  it('a retry while the first still runs answers 409 with Retry-After, and changes nothing', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await createProject(admin, org);
    const asset = await createAsset(admin, project.id);
    const k = key();
    // The first upload's body arrives slowly: it holds the key meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('first part, '));
        await gate;
        controller.enqueue(new TextEncoder().encode('and the rest'));
        controller.close();
      },
    });
    const headers = { ...admin.auth, 'Idempotency-Key': k, 'Content-Type': 'text/plain', 'X-File-Name': 'slow.txt' };
    const first = exports.default.fetch(new Request(`${ORIGIN}/v1/assets/${asset.id}/data`, { method: 'POST', headers, body: slow, duplex: 'half' } as RequestInit));
    // Until the first has claimed the key.
    for (let i = 0; i < 100 && (await count('idempotency_keys', 'key = ?', k)) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const before = await snapshot();
    const second = await call(`/v1/assets/${asset.id}/data`, { method: 'POST', headers, body: 'first part, and the rest' });
    expectProblem(second, 409, 'idempotency-key-in-use');
    expect(second.headers.get('Retry-After')).toBe('1');
    expect(await snapshot()).toEqual(before);
    release();
    const done = await first;
    expect(done.status).toBe(201);
    const body = (await done.json()) as { id: string };
    const third = await call(`/v1/assets/${asset.id}/data`, { method: 'POST', headers, body: 'first part, and the rest' });
    expect([third.status, third.headers.get('Idempotent-Replayed'), third.body.id]).toEqual([201, 'true', body.id]);
  });
});

describe('a keyed upload', () => {
  it('a retry is read through the hash and not stored: no second object, row or blob; other bytes with the key answer 422', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const project = await createProject(admin, org);
    const asset = await createAsset(admin, project.id);
    const k = key();
    // A new FormData each time: a new boundary, the same request.
    const send = (bytes: Uint8Array) =>
      call(`/v1/assets/${asset.id}/spheres`, { method: 'POST', headers: { ...admin.auth, 'Idempotency-Key': k }, body: fileForm([['name', 'pano']], bytes, 'image/png', 'p.png') });
    const first = await send(PNG);
    expect(first.status, first.text).toBe(201);
    const objects = (await env.FILES.list()).objects.length;
    const before = await snapshot();
    const again = await send(PNG);
    expect([again.status, again.headers.get('Idempotent-Replayed')]).toEqual([201, 'true']);
    expect(again.body).toEqual(first.body);
    expect(await snapshot()).toEqual(before);
    expect((await env.FILES.list()).objects.length).toBe(objects);
    const other = Uint8Array.from([...PNG, 0]);
    expectProblem(await send(other), 422, 'idempotency-key-reused');
    expect(await snapshot()).toEqual(before);

    // A raw body, streamed: the same.
    const raw = (text: string) => call(`/v1/assets/${asset.id}/data`, { method: 'POST', headers: { ...admin.auth, 'Idempotency-Key': k + 'r', 'Content-Type': 'text/plain', 'X-File-Name': 'r.txt' }, body: text });
    const r1 = await raw('raw bytes');
    expect(r1.status).toBe(201);
    const mid = await snapshot();
    expect((await raw('raw bytes')).headers.get('Idempotent-Replayed')).toBe('true');
    expect(await snapshot()).toEqual(mid);
    expectProblem(await raw('other bytes'), 422, 'idempotency-key-reused');
  });
});

describe('sign-out', () => {
  it('a retry after it worked gets its 204 again, though the token is now revoked', async () => {
    const user = await makeUser();
    const k = key();
    const out = () => call('/v1/auth/sign-out', { method: 'POST', headers: { ...user.auth, 'Idempotency-Key': k } });
    expect((await out()).status).toBe(204);
    const again = await out();
    expect([again.status, again.headers.get('Idempotent-Replayed')]).toEqual([204, 'true']);
    // Without the key the token is simply no longer valid.
    expectProblem(await call('/v1/auth/sign-out', { method: 'POST', headers: user.auth }), 401);
  });
});

describe('every POST of the document', () => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld();
  }, 60_000);

  it('declares Idempotency-Key, 409 and 422; a keyed retry of each answers the kept answer and changes nothing', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { $ref?: string; name?: string }[]; responses: Record<string, unknown>; security?: unknown[] }>> };
    const posts = Object.entries(doc.paths).flatMap(([path, ops]) => (ops.post ? [{ path, op: ops.post }] : []));
    const authed = posts.filter((p) => (p.op.security ?? []).length > 0);
    expect(authed.length).toBeGreaterThan(20);
    for (const { path, op } of posts) {
      const declared = (op.parameters ?? []).some((p) => p.$ref === '#/components/parameters/IdempotencyKey');
      expect(declared, `POST ${path} declares Idempotency-Key`).toBe(authed.some((a) => a.path === path));
      if (declared) for (const s of ['409', '422']) expect(op.responses[s], `POST ${path} ${s}`).toBeDefined();
    }
    const failures: string[] = [];
    // Sign-out last: it ends the superuser's token.
    const order = [...authed].sort((a, b) => Number(a.path === '/v1/auth/sign-out') - Number(b.path === '/v1/auth/sign-out'));
    for (const { path } of order) {
      const url = fill(w, path)!;
      const k = key();
      const headers = { ...w.actors.superuser.auth, 'Idempotency-Key': k };
      // The same body both times (bodyFor makes new names each call).
      const b = bodyFor(w, 'POST', path);
      const first = await send(url, 'POST', { ...headers, ...b.headers }, b);
      const before = await snapshot();
      const again = await send(url, 'POST', { ...headers, ...b.headers }, b);
      const where = `POST ${path} (first ${first.status})`;
      if (again.headers.get('Idempotent-Replayed') !== 'true' || again.status !== first.status) failures.push(`${where}: retry answered ${again.status} ${again.text.slice(0, 120)}`);
      else if (JSON.stringify(again.body) !== JSON.stringify(first.body) && !first.headers.get('Content-Type')?.includes('problem')) failures.push(`${where}: another body`);
      const changed = JSON.stringify(await snapshot()) !== JSON.stringify(before);
      if (changed) failures.push(`${where}: the retry changed the stored state`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
