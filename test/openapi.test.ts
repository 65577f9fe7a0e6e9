import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../src/compat/registry';
import { routingPath } from '../src/http/router';
import { app } from '../src/index';
import { DIALECT_SPECS } from './dialects';
import { V1 } from './support/documents';
import { call } from './support/api';
import { ApiDocument } from './support/openapi-doc';

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, unknown> }>;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Each operation of a document, after the checks every document's operations pass: an operationId
 * unique in the document, a summary, each path parameter declared, a success response and a 500.
 */
function* describedOperations(doc: { paths: Record<string, Record<string, Operation>> }) {
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op.operationId!), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, where).toBeTruthy();
      for (const param of path.match(/\{(\w+)\}/g) ?? []) {
        const name = param.slice(1, -1);
        expect(op.parameters?.some((p) => p.in === 'path' && p.name === name), `${where}: path parameter ${name}`).toBe(true);
      }
      const statuses = Object.keys(op.responses);
      expect(statuses.some((st) => st.startsWith('2')), `${where}: a success response`).toBe(true);
      expect(statuses, where).toContain('500');
      yield { op, method, where, statuses };
    }
  }
}
/** Served by the worker but not API operations: the documents themselves, the docs page and its assets. */
const NOT_OPERATIONS = new Set(['/openapi.json', '/docs', '/docs/init.js', '/docs/vendor/*', ...DIALECTS.map((d) => `${d.base}/openapi.json`)]);

async function documentOf() {
  const a = await call('/openapi.json');
  expect(a.status).toBe(200);
  return a.body as { openapi: string; paths: Record<string, Record<string, Operation>>; components: any };
}

describe('/openapi.json', () => {
  it('is OpenAPI 3.1 with the security schemes', async () => {
    const doc = await documentOf();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'token', 'userEmail', 'userToken']);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('lists every route the app serves, with its method, in /openapi.json or in a dialect’s document under its base', async () => {
    const documents: [string, { paths: Record<string, Record<string, unknown>> }][] = [['', await documentOf()]];
    for (const d of DIALECTS) documents.push([d.base, (await call(`${d.base}/openapi.json`)).body]);
    const served = app.routes
      .filter((r) => r.method !== 'ALL' && !NOT_OPERATIONS.has(r.path))
      .map((r) => `${r.method.toLowerCase()} ${routingPath(r.path).replace(/:(\w+)/g, '{$1}')}`);
    const documented = documents.flatMap(([base, doc]) =>
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => (METHODS as readonly string[]).includes(m))
          .map((m) => `${m} ${routingPath(base + path)}`),
      ),
    );
    expect(served.length).toBeGreaterThan(20);
    expect(new Set(documented)).toEqual(new Set(served));
  });

  it('describes every operation fully: id, summary, path parameters, errors in problem+json', async () => {
    const doc = await documentOf();
    for (const { op, method, where, statuses } of describedOperations(doc)) {
      for (const status of statuses.filter((s) => Number(s) >= 400 && s !== '416')) {
        expect(Object.keys(op.responses[status]!.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
      }
      const authed = (op.security ?? []).length > 0;
      if (authed) {
        expect(statuses, `${where}: an authenticated operation documents 401`).toContain('401');
        expect(op.security).toEqual([{ bearer: [] }, { token: [] }, { userEmail: [], userToken: [] }]);
      } else {
        expect(['post /v1/auth/sign-in', 'post /v1/auth/accept-invitation', 'get /health']).toContain(where);
      }
      if (['post', 'put', 'patch'].includes(method) && (op as any).requestBody) {
        expect(statuses, `${where}: a body can be too large`).toContain('413');
        expect(statuses, `${where}: a body can have the wrong type`).toContain('415');
      }
    }
  });

  it('documents what each declaration implies: 412 with If-Match, 413 for every method that carries a body, 415 with a body, 304 with If-None-Match for a GET that answers an ETag (every document)', async () => {
    const missing: string[] = [];
    const operations = [];
    for (const spec of [V1, ...DIALECT_SPECS]) operations.push(...new ApiDocument((await call(spec.documentUrl)).body).operations);
    for (const op of operations) {
      const statuses = Object.keys(op.responses);
      const takes = (name: string) => op.parameters.some((p) => p.in === 'header' && p.name === name);
      const etagged = Object.entries(op.responses).some(([s, r]) => s.startsWith('2') && (r as { headers?: Record<string, unknown> }).headers?.ETag);
      const want = [
        ...(takes('If-Match') ? ['412'] : []),
        ...(op.method !== 'GET' ? ['413'] : []),
        ...(Object.keys(op.body).length ? ['415'] : []),
        ...(op.method === 'GET' && (etagged || takes('If-None-Match')) ? ['304'] : []),
      ];
      for (const s of want) if (!statuses.includes(s)) missing.push(`${op.base} ${op.key}: ${s}`);
      if (op.method === 'GET' && etagged && !takes('If-None-Match')) missing.push(`${op.base} ${op.key}: the If-None-Match it honours`);
    }
    expect(missing).toEqual([]);
  });

  it('holds only schemas a JSON Schema validator compiles, with patterns as ECMA-262 regular expressions', async () => {
    const doc = await documentOf();
    // Validators compile patterns with the u flag and never see JS flags: a regex written with
    // /i or /u is emitted as "source/flags", which then demands those characters literally.
    const patterns: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'pattern' && typeof v === 'string') patterns.push(v);
          walk(v);
        }
      }
    };
    walk(doc);
    expect(patterns.length).toBeGreaterThan(10);
    for (const p of patterns) {
      expect(() => new RegExp(p, 'u'), p).not.toThrow();
      expect(p, 'a JS flag emitted into the pattern').not.toMatch(/[^\\]\/[dgimsuvy]+$/);
    }
    const doc2 = new ApiDocument(doc);
    expect(doc2.operations.length).toBeGreaterThan(100);
    for (const op of doc2.operations) {
      for (const [status, r] of Object.entries(op.responses)) {
        for (const type of Object.keys(r.content ?? {})) expect(() => doc2.validator(op, status, type), `${op.key} ${status} ${type}`).not.toThrow();
      }
      for (const type of Object.keys(op.body)) expect(() => doc2.requestValidator(op, type), `${op.key} request ${type}`).not.toThrow();
    }
  }, 60_000); // ajv compiles a validator per response and body of every operation: seconds, more on a busy machine

  it('answers every authenticated operation with 401 and WWW-Authenticate when no credential is sent', async () => {
    const doc = await documentOf();
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = ops[method];
        if (!op || !(op.security ?? []).length) continue;
        const concrete = path.replace(/\{(\w+)\}/g, 'x1');
        const a = await call(concrete, { method: method.toUpperCase() });
        expect(a.status, `${method} ${path}`).toBe(401);
        expect(a.headers.get('WWW-Authenticate'), `${method} ${path}`).toContain('Bearer');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

/**
 * Each seed dialect's document: as complete as /openapi.json, in its own error shape. Every dialect
 * the app serves has a test spec (test/dialects/), so the matrix and the fuzzer read its document.
 */
describe('the seed dialects’ documents', () => {
  it('every dialect the app serves is read by the whole-API checks', () => {
    expect(DIALECT_SPECS.map((s) => s.documentUrl).sort()).toEqual(DIALECTS.map((d) => `${d.base}/openapi.json`).sort());
  });

  for (const spec of DIALECT_SPECS) {
    const dialect = DIALECTS.find((d) => spec.documentUrl === `${d.base}/openapi.json`)!;

    it(`${spec.documentUrl}: OpenAPI 3.1 under its base; every operation described, its errors in its own shape, its security its own`, async () => {
      const doc = (await call(spec.documentUrl)).body as { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: any };
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.servers[0]!.url).toBe(dialect.base);
      expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
      for (const { op, where, statuses } of describedOperations(doc)) {
        for (const st of statuses.filter((x) => Number(x) >= 400)) {
          expect(Object.keys(op.responses[st]!.content ?? {}), `${where} ${st}: the dialect's errors, never problem+json`).toEqual([spec.errorType]);
        }
        if (JSON.stringify(op.security) === JSON.stringify(dialect.security)) expect(statuses, `${where}: 401`).toContain('401');
      }
      const api = new ApiDocument(doc);
      for (const op of api.operations) {
        for (const [st, r] of Object.entries(op.responses)) for (const type of Object.keys(r.content ?? {})) expect(() => api.validator(op, st, type), `${op.key} ${st}`).not.toThrow();
      }
    });

    it(`${spec.documentUrl}: every authenticated operation answers 401 without a credential, in the shape its document declares`, async () => {
      const api = new ApiDocument((await call(spec.documentUrl)).body);
      let checked = 0;
      for (const op of api.operations) {
        // A sign-in takes a password, not a credential (its 401 is a wrong password's).
        if (!op.responses['401'] || op.basic || spec.signIns.includes(op.key)) continue;
        const a = await call(dialect.base + op.path.replace(/\{\w+\}/g, '1'), { method: op.method, unchecked: true });
        expect(a.status, op.key).toBe(401);
        const validate = api.validator(op, '401', spec.errorType)!;
        expect(validate(a.body), `${op.key}: ${api.errorsText(validate)}`).toBe(true);
        checked += 1;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});

describe('/docs', () => {
  it('serves an interactive reference whose scripts and styles come from this origin', async () => {
    const page = await call('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Type')).toContain('text/html');
    const csp = page.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toEqual(['/docs/vendor/favicon-32x32.png', '/docs/vendor/swagger-ui.css', '/docs/vendor/swagger-ui-bundle.js', '/docs/init.js']);
    // Each document is offered, /v1's first, and each is served.
    const offered = [...page.text.matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]!);
    expect(offered).toEqual(['/openapi.json', ...DIALECTS.map((d) => `${d.base}/openapi.json`)]);
    for (const url of offered) expect((await call(url)).status, url).toBe(200);
    expect(page.text).not.toMatch(/<script>[^<]/);
    for (const ref of refs) {
      const asset = await call(ref);
      expect(asset.status, ref).toBe(200);
      expect(asset.text.length, ref).toBeGreaterThan(10);
    }
    const init = await call('/docs/init.js');
    expect(init.headers.get('Content-Type')).toContain('javascript');
    expect(init.text).toContain('url: select.value');
    expect(init.text).toContain("get('document')");
  });
});
