import { z } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { onError } from '../src/http/errors';
import { notFoundOrMethod } from '../src/http/fallback';
import { publicRoute } from '../src/http/openapi';
import { createRouter } from '../src/http/router';
import { json } from '../src/http/schemas';
import { call, expectProblem, roundTrips, type Answer } from './support/api';
import { makeUser } from './support/actors';
import { ApiDocument, repeatable, type Operation } from './support/openapi-doc';
import { bodyFor, buildWorld, fill, send, snapshot, type World } from './support/world';

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

  it('answers a body over the limit with 413 on an operation that declares no body too, as its document says', async () => {
    const u = await makeUser();
    const big = 'x'.repeat(70_000);
    // call() checks the status against the operation's declared responses (413 is implied for every method with a body).
    for (const [method, path] of [['DELETE', '/v1/me/tokens/tok_01jd8z3b6q0w4y1r7k5t2m9xce'], ['POST', '/v1/auth/sign-out']]) {
      expectProblem(await call(path!, { method, headers: { ...u.auth, 'Content-Type': 'application/json' }, body: big }), 413, 'payload-too-large');
    }
  });

  it('reports one D1 round trip for an authenticated read', async () => {
    const u = await makeUser();
    const a = await call('/v1/me', { headers: u.auth });
    expect(a.status).toBe(200);
    expect(roundTrips(a)).toBe(1);
  });
});

/**
 * Every operation of the emitted document, so that a new route is covered the day it is declared:
 * the query it does not declare is refused (issue 10: a near-miss such as `organization_id` for
 * `organization` silently answered with every row), and a trailing slash reaches the same operation.
 */
describe('the query and the path of every operation of /openapi.json', () => {
  let w: World;
  let doc: ApiDocument;

  beforeAll(async () => {
    w = await buildWorld();
    doc = new ApiDocument((await call('/openapi.json')).body);
  }, 60_000);

  const asSuperuser = () => ({ Authorization: `Bearer ${w.actors.superuser.token}` });
  const url = (op: Operation) => fill(w, op.path)!;

  it('refuses a query parameter an operation does not declare with 400 naming it, before anything runs', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const op of doc.operations) {
      const a = await send(`${url(op)}?zz_unknown=1`, op.method, asSuperuser(), {});
      const errors = a.body?.errors;
      if (a.status !== 400 || JSON.stringify(errors) !== JSON.stringify([{ path: 'zz_unknown', message: 'Not a query parameter of this operation.' }])) {
        failures.push(`${op.key}: ${a.status} ${a.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('refuses a parameter given twice where the operation takes one value, naming it', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const op of doc.operations) {
      for (const p of op.parameters.filter((p) => p.in === 'query' && !repeatable(p.schema))) {
        const a = await send(`${url(op)}?${p.name}=1&${p.name}=2`, op.method, asSuperuser(), {});
        checked += 1;
        if (a.status !== 400 || JSON.stringify(a.body?.errors) !== JSON.stringify([{ path: p.name, message: 'Given 2 times: send it once.' }])) {
          failures.push(`${op.key} ?${p.name} twice: ${a.status} ${a.text.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  }, 60_000);

  it('reads a form field its operation also declares in the query from either place, never dropping one: given in both, 400 naming it (issue 12)', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    let checked = 0;
    for (const op of doc.operations) {
      const form = op.body['multipart/form-data'];
      const queried = op.parameters.filter((p) => p.in === 'query' && form?.properties?.[p.name]);
      for (const p of queried) {
        const b = bodyFor(w, op.method, op.path);
        const value = doc.resolve(form!.properties[p.name]).contentMediaType === 'application/json' ? '{}' : 'x';
        (b.body as FormData).append(p.name, value);
        const a = await send(`${url(op)}?${p.name}=${encodeURIComponent(value)}`, op.method, asSuperuser(), b);
        checked += 1;
        if (a.status !== 400 || !(a.body?.errors ?? []).some((e: { path: string; message: string }) => e.path === p.name && /body and in the query/.test(e.message))) {
          failures.push(`${op.key} ${p.name} in the form and the query: ${a.status} ${a.text.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(10);
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('refuses the near-misses of the report: organization_id on /v1/users, folder_id on the data tab', async () => {
    const users = await call(`/v1/users?organization_id=${w.org.id}`, { headers: asSuperuser() });
    expectProblem(users, 400, 'invalid-request');
    expect(users.body.errors).toEqual([{ path: 'organization_id', message: 'Not a query parameter of this operation.' }]);
    const contents = await call(`/v1/assets/${w.asset}/contents?folder_id=${w.folder}`, { headers: asSuperuser() });
    expectProblem(contents, 400, 'invalid-request');
    expect(contents.body.errors).toEqual([{ path: 'folder_id', message: 'Not a query parameter of this operation.' }]);
    // The declared names still work.
    expect((await call(`/v1/users?organization=${w.org.id}`, { headers: asSuperuser() })).status).toBe(200);
    expect((await call(`/v1/assets/${w.asset}/contents?folder=${w.folder}`, { headers: asSuperuser() })).status).toBe(200);
  });

  it('answers a path with a trailing slash as it answers the path without, for every operation', async () => {
    const failures: string[] = [];
    const same = (a: Answer) => {
      const { request_id: _r, instance: _i, next: _n, previous: _p, ...rest } = (a.body && typeof a.body === 'object' ? a.body : {}) as Record<string, unknown>;
      return JSON.stringify([a.status, a.headers.get('Content-Type'), a.headers.get('Allow'), rest]);
    };
    for (const op of doc.operations) {
      const path = url(op);
      // Anonymous: the operation's own 401 (or a public operation's answer); a write with an
      // unknown parameter: its 400 before anything runs; a read: the answer itself.
      const tries: [string, Record<string, string>][] = [['', {}], ['?zz_unknown=1', asSuperuser()]];
      if (op.method === 'GET') tries.push(['', asSuperuser()]);
      for (const [query, headers] of tries) {
        const plain = await send(path + query, op.method, headers, {});
        const slashed = await send(`${path}/${query}`, op.method, headers, {});
        if ([404, 405].includes(plain.status) || same(plain) !== same(slashed)) {
          failures.push(`${op.key}${query}: ${plain.status} without the slash, ${slashed.status} with it ${slashed.text.slice(0, 160)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('lists in Allow exactly the methods a path answers, with or without a trailing slash', async () => {
    const failures: string[] = [];
    const byPath = new Map<string, Set<string>>();
    for (const op of doc.operations) byPath.set(op.path, (byPath.get(op.path) ?? new Set()).add(op.method));
    for (const [template, declared] of byPath) {
      const expected = new Set([...declared, ...(declared.has('GET') ? ['HEAD'] : []), 'OPTIONS']);
      for (const path of [fill(w, template)!, `${fill(w, template)!}/`]) {
        for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
          const a = await send(path, method, {}, {});
          if (expected.has(method)) {
            if (a.status === 405 || a.status === 404) failures.push(`${method} ${path}: Allow lists it, yet it answers ${a.status}`);
          } else if (a.status !== 405 || a.headers.get('Allow') !== [...expected].sort().join(', ')) {
            failures.push(`${method} ${path}: ${a.status}, Allow ${a.headers.get('Allow')}; expected 405, Allow ${[...expected].sort().join(', ')}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('the paths outside the document', () => {
  it('serves the reference and the document with or without a trailing slash; the root is not a resource', async () => {
    for (const path of ['/docs', '/openapi.json', '/docs/init.js']) {
      const plain = await call(path);
      const slashed = await call(`${path}/`);
      expect(plain.status, path).toBe(200);
      expect([slashed.status, slashed.headers.get('Content-Type')], `${path}/`).toEqual([200, plain.headers.get('Content-Type')]);
    }
    for (const path of ['/', '//', '/v1', '/v1/', '/v1/projects//']) expectProblem(await call(path, { unchecked: true }), 404, 'not-found');
  });
});

describe('a route declared with a trailing slash, as the seed dialects will declare theirs', () => {
  it('answers with or without the slash, by every method it has, with its path in the document as declared', async () => {
    const dialect = createRouter();
    const things = json(z.object({ ok: z.boolean() }), 'Things.');
    dialect.openapi(publicRoute({ method: 'get', operationId: 'things', path: '/compat/test/things/', summary: 'Things', responses: { 200: things } }), (c) => c.json({ ok: true }, 200));
    dialect.openapi(publicRoute({ method: 'post', operationId: 'addThing', path: '/compat/test/things/', summary: 'Add', responses: { 200: things } }), (c) => c.json({ ok: true }, 200));
    const app = createRouter();
    app.route('/', dialect);
    app.onError(onError);
    app.notFound(notFoundOrMethod(app));
    for (const path of ['/compat/test/things/', '/compat/test/things']) {
      for (const method of ['GET', 'POST']) expect((await app.request(path, { method })).status, `${method} ${path}`).toBe(200);
      const wrong = await app.request(path, { method: 'DELETE' });
      expect([wrong.status, wrong.headers.get('Allow')], path).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
      const unknown = await app.request(`${path}?zz_unknown=1`);
      expect([unknown.status, ((await unknown.json()) as { errors: unknown }).errors], path).toEqual([400, [{ path: 'zz_unknown', message: 'Not a query parameter of this operation.' }]]);
    }
    expect(Object.keys(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } }).paths ?? {})).toEqual(['/compat/test/things/']);
  });
});
