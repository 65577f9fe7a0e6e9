/**
 * The JSON limits of src/http/json-limits.ts hold for every way in (issue 10, item 3): a JSON body,
 * JSON text in a multipart field, JSON text in a query value. A value nested past the limit, or
 * past its size, answers 400 naming the field and stores nothing (every D1 row and R2 object as
 * before); the limit itself is accepted the same way everywhere. A deep value already stored (a row
 * written before the limits) cannot break a list or a read, for anyone.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { JSON_LIMITS } from '../src/http/json-limits';
import { OrganizationPatchBody } from '../src/organizations/schemas';
import { call, expectProblem, type Answer } from './support/api';
import { makeOrg, makeUser, unique } from './support/actors';
import { changedParts } from './support/snapshot';
import { snapshot } from './support/world';
import { ok, privateProjectWithAsset } from './support/domain';

const DEPTH = JSON_LIMITS.depth;
const TOO_DEEP = `Nested more than ${DEPTH} levels deep.`;

/** JSON text of an object nested `levels` deep: `{}` is 1, `{"a":{}}` is 2. */
const deepObject = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
/** An object whose one value is an array nested so that the whole is `levels` deep. */
const deepArrays = (levels: number) => `{"k":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
/** The nesting of a parsed value (for answers, which are shallow enough to walk this way). */
const depthOf = (v: unknown): number => (v && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
const text = (s: string) => new TextEncoder().encode(s);

function form(fields: [string, string][], file: string | null = 'evidence'): FormData {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  if (file !== null) fd.append('file', new Blob([text(file)], { type: 'text/plain' }), 'evidence.txt');
  return fd;
}

/** Sends the request and proves it was refused with 400 naming `field` and changed nothing in D1 or R2. */
async function refused(field: string, send: () => Promise<Answer>, message?: string) {
  const before = await snapshot();
  const a = await send();
  expectProblem(a, 400, 'invalid-request');
  const paths = a.body.errors.map((e: { path: string }) => e.path);
  expect(paths.length, a.text).toBeGreaterThan(0);
  for (const p of paths) expect(p === field || p.startsWith(`${field}.`), a.text).toBe(true);
  if (message) expect(a.body.errors, a.text).toContainEqual({ path: field, message });
  expect(changedParts(before, await snapshot())).toEqual([]);
  return a;
}

const jsonText = (actor: { auth: Record<string, string> }, method: string, body: string) => ({
  method,
  headers: { ...actor.auth, 'Content-Type': 'application/json' },
  body,
});

describe('the depth limit, every way in', () => {
  it('resources: attributes nested past the limit in a multipart field, a query value or a JSON body answer 400 naming attributes and store nothing', async () => {
    const w = await privateProjectWithAsset();
    const existing = await ok(call(`/v1/projects/${w.project.id}/resources`, { headers: w.editor.auth, body: form([['name', 'plan']]) }));
    for (const levels of [DEPTH + 1, 8000]) {
      const deep = deepObject(levels);
      // Multipart, on both create routes (as in the report: 8,000 levels stored a row and answered 500).
      await refused('attributes', () => call(`/v1/projects/${w.project.id}/resources`, { headers: w.editor.auth, body: form([['attributes', deep]]) }), TOO_DEEP);
      await refused('attributes', () => call('/v1/resources', { headers: w.editor.auth, body: form([['attach', `asset:${w.asset.id}`], ['attributes', deep]]) }), TOO_DEEP);
      // JSON bodies: PATCH through the flat route and through the documents route.
      await refused('attributes', () => call(`/v1/resources/${existing.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${deep}}`)), TOO_DEEP);
      await refused('attributes', () => call(`/v1/projects/${w.project.id}/documents/${existing.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${deep}}`)), TOO_DEEP);
    }
    // A query value, with the file as the body (a URL holds fewer levels, so the limit itself).
    await refused(
      'attributes',
      () =>
        call(`/v1/projects/${w.project.id}/resources?attributes=${encodeURIComponent(deepObject(DEPTH + 1))}`, {
          headers: { ...w.editor.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'q.txt' },
          body: text('by query'),
        }),
      TOO_DEEP,
    );
  });

  it('resources: attributes exactly at the limit are taken the same way by a form, a query value and a JSON body', async () => {
    const w = await privateProjectWithAsset();
    const atLimit = deepObject(DEPTH);
    const byForm = await ok(call(`/v1/projects/${w.project.id}/resources`, { headers: w.editor.auth, body: form([['attributes', atLimit]]) }));
    const byQuery = await ok(
      call(`/v1/projects/${w.project.id}/resources?attributes=${encodeURIComponent(atLimit)}`, {
        headers: { ...w.editor.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'q.txt' },
        body: text('by query'),
      }),
    );
    const byJson = await ok(call(`/v1/resources/${byForm.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${atLimit}}`)), 200);
    for (const r of [byForm, byQuery, byJson]) expect(r.attributes).toEqual(JSON.parse(atLimit));
  });

  it('assets: attributes nested past the limit in a JSON body (create and PATCH) answer 400 naming attributes and store nothing', async () => {
    const w = await privateProjectWithAsset();
    for (const deep of [deepArrays(DEPTH + 1), deepArrays(8000), deepObject(DEPTH + 1)]) {
      await refused('attributes', () => call(`/v1/projects/${w.project.id}/assets`, jsonText(w.editor, 'POST', `{"name":"Deep","attributes":${deep}}`)), TOO_DEEP);
      await refused('attributes', () => call(`/v1/assets/${w.asset.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${deep}}`)), TOO_DEEP);
    }
    const atLimit = await ok(call(`/v1/assets/${w.asset.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${deepArrays(DEPTH)}}`)), 200);
    expect(atLimit.attributes).toEqual(JSON.parse(deepArrays(DEPTH)));
  });

  it('organisations and projects: contacts nested past the limit in a multipart field or a JSON body answer 400 naming contacts and store nothing', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const deep = `[${deepObject(8000)}]`;
    const orgForm = () => form([['name', 'Deep org'], ['slug', unique('deep-')], ['contacts', deep]], null);
    await refused('contacts', () => call('/v1/organizations', { headers: admin.auth, body: orgForm() }), TOO_DEEP);
    await refused('contacts', () => call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, body: form([['name', 'Deep'], ['contacts', deep]], null) }), TOO_DEEP);
    await refused('contacts', () => call('/v1/organizations', jsonText(admin, 'POST', `{"name":"Deep org","contacts":${deep}}`)));
    await refused('contacts', () => call(`/v1/organizations/${org.slug}`, jsonText(admin, 'PATCH', `{"contacts":${deep}}`)));
  });
});

describe('the size limits, every way in', () => {
  it(`attributes of more than ${JSON_LIMITS.objectBytes} bytes answer 400 naming attributes in a form and in a JSON body, for resources as for assets`, async () => {
    const w = await privateProjectWithAsset();
    const big = JSON.stringify({ k: 'x'.repeat(JSON_LIMITS.objectBytes) });
    const message = `At most ${JSON_LIMITS.objectBytes} bytes of JSON.`;
    await refused('attributes', () => call(`/v1/projects/${w.project.id}/resources`, { headers: w.editor.auth, body: form([['attributes', big]]) }), message);
    const existing = await ok(call(`/v1/projects/${w.project.id}/resources`, { headers: w.editor.auth, body: form([]) }));
    await refused('attributes', () => call(`/v1/resources/${existing.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${big}}`)), message);
    await refused('attributes', () => call(`/v1/assets/${w.asset.id}`, jsonText(w.editor, 'PATCH', `{"attributes":${big}}`)), message);
  });

  it(`JSON text of more than ${JSON_LIMITS.fieldBytes} bytes in a form field answers 400 naming the field before it is parsed; contacts hold the same limit in a JSON body`, async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const padded = `[${' '.repeat(JSON_LIMITS.fieldBytes)}]`;
    await refused('contacts', () => call(`/v1/organizations/${org.slug}/projects`, { headers: admin.auth, body: form([['name', 'Big'], ['contacts', padded]], null) }), `At most ${JSON_LIMITS.fieldBytes} bytes of JSON text.`);
    // A JSON body that large is past this test worker's JSON_MAX_BYTES (64 KiB), so the schema is asked directly.
    const card = { type: ['h-card'], properties: { note: ['x'.repeat(1000)], n1: ['x'.repeat(1000)] } };
    const parsed = OrganizationPatchBody.safeParse({ contacts: Array.from({ length: 50 }, () => card) });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['contacts', `At most ${JSON_LIMITS.fieldBytes} bytes of JSON.`]]);
  });
});

describe('a deep value stored before the limits', () => {
  it('cannot break the resource and asset lists or reads, for any caller: what is read back is cut at the limit', async () => {
    const w = await privateProjectWithAsset();
    const superuser = await makeUser({ superuser: true });
    const resource = await ok(call(`/v1/projects/${w.project.id}/resources`, { headers: w.editor.auth, body: form([['name', 'old']]) }));
    // As the rows the report describes: written straight into D1, 8,000 levels deep.
    await env.DB.prepare('UPDATE resources SET attributes = ? WHERE id = ?').bind(deepObject(8000), resource.id).run();
    await env.DB.prepare('UPDATE assets SET attributes = ? WHERE id = ?').bind(deepArrays(8000), w.asset.id).run();
    for (const actor of [w.editor, w.viewer, w.admin, superuser]) {
      for (const path of [`/v1/projects/${w.project.id}/resources`, `/v1/projects/${w.project.id}/documents`, '/v1/resources', `/v1/projects/${w.project.id}/assets`, '/v1/assets']) {
        const list = await call(path, { headers: actor.auth });
        expect(list.status, `${path}: ${list.text.slice(0, 200)}`).toBe(200);
        expect(list.body.results.length).toBeGreaterThan(0);
        for (const r of list.body.results) expect(depthOf(r.attributes)).toBeLessThanOrEqual(DEPTH);
      }
      for (const path of [`/v1/resources/${resource.id}`, `/v1/assets/${w.asset.id}`]) {
        const one = await call(path, { headers: actor.auth });
        expect(one.status, `${path}: ${one.text.slice(0, 200)}`).toBe(200);
        expect(depthOf(one.body.attributes)).toBe(DEPTH);
      }
    }
    // Its owner can still mend it.
    const mended = await call(`/v1/resources/${resource.id}`, { method: 'PATCH', headers: w.editor.auth, json: { attributes: { ok: true } } });
    expect(mended.status, mended.text).toBe(200);
    expect(mended.body.attributes).toEqual({ ok: true });
  });
});
