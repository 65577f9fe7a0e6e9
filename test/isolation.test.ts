/**
 * The isolation matrix (issue 6): every operation in /openapi.json, run by every kind of actor
 * (anonymous, revoked and expired tokens, an admin of another organisation, a former editor of the
 * private project whom its organisation removed (issue 10), an org member outside the project,
 * the project's viewer, editor and manager, the org admin, a superuser), with
 * both the Bearer credential and the X-User-Email + X-User-Token pair. The expected outcome of
 * every pair comes from POLICY below; an operation missing from it fails the test.
 *
 * Reads (GET) are sent by every actor. Writes are only sent by actors that must be refused (so the
 * world survives): 401 for anonymous/revoked/expired, 404 (identical to a random id's 404) for the
 * other-organisation admin, the removed member and, inside the private project, the org member
 * outside it, 403 for the
 * viewer where the operation needs write rights. Nothing may change in D1 or R2 on those requests.
 *
 * Not sent (documented here, still in POLICY): POST /v1/auth/sign-in and POST
 * /v1/auth/accept-invitation are unauthenticated (they take a password and an invitation, not a
 * credential), so they are only listed; test/auth.test.ts covers them. Writes are never sent by actors who would be
 * allowed to perform them. {user} is the project's editor, not the viewer: a member may remove
 * themself from an organisation or a project, so the viewer acting on its own membership is allowed.
 * {id} of the documents routes is P's resource (also attached to the asset and the report); under
 * the organisation it is a document of the organisation itself.
 *
 * Each seed dialect's document (/compat/<dialect>/openapi.json) is run the same way, with its rows,
 * path values, bodies and credential forms from test/dialects/<dialect>.ts; its errors must come in
 * its own shape, and a hidden entity's 404 equal a missing one's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_SPECS } from './dialects';
import { call, expectProblem, sameProblem } from './support/api';
import { V1, type CredentialForm, type DocumentSpec } from './support/documents';
import { bodyFor, buildWorld, fill, send, shareResource, snapshot, type World } from './support/world';
import {
  ACTORS,
  NOT_SENT,
  R_ORG,
  R_PROJ,
  R_PUBLIC,
  R_SELF,
  W_ORG_ADMIN,
  W_ORG_MEMBER,
  W_PROJ,
  W_SELF,
  W_TOKEN,
  W_USER,
  type ActorName,
  type Outcome,
  type Row,
} from './support/policy';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const POLICY: Record<string, Row> = {
  'GET /health': R_PUBLIC,
  'POST /v1/auth/sign-in': NOT_SENT,
  'POST /v1/auth/accept-invitation': NOT_SENT,
  'POST /v1/auth/sign-out': W_SELF,
  'GET /v1/me': R_SELF,
  'PATCH /v1/me': W_SELF,
  'GET /v1/me/tokens': R_SELF,
  'POST /v1/me/tokens': W_SELF,
  'DELETE /v1/me/tokens/{token}': W_TOKEN,
  'GET /v1/users': R_SELF,
  'POST /v1/users': W_SELF,
  'GET /v1/users/{user}': R_ORG,
  'PATCH /v1/users/{user}': W_USER,
  'DELETE /v1/users/{user}': W_USER,
  'GET /v1/organizations': R_SELF,
  'POST /v1/organizations': W_SELF,
  'GET /v1/organizations/{org}': R_ORG,
  'PATCH /v1/organizations/{org}': W_ORG_ADMIN,
  'PUT /v1/organizations/{org}': W_ORG_ADMIN,
  'DELETE /v1/organizations/{org}': W_ORG_ADMIN,
  'PUT /v1/organizations/{org}/logo': W_ORG_ADMIN,
  'GET /v1/organizations/{org}/logo': R_ORG,
  'DELETE /v1/organizations/{org}/logo': W_ORG_ADMIN,
  'GET /v1/organizations/{org}/members': R_ORG,
  'POST /v1/organizations/{org}/members': W_ORG_ADMIN,
  'POST /v1/organizations/{org}/users': W_ORG_ADMIN,
  'PATCH /v1/organizations/{org}/members/{user}': W_ORG_ADMIN,
  'DELETE /v1/organizations/{org}/members/{user}': W_ORG_ADMIN,
  'GET /v1/projects': R_SELF,
  'POST /v1/projects': W_ORG_MEMBER,
  'GET /v1/organizations/{org}/projects': R_ORG,
  'POST /v1/organizations/{org}/projects': W_ORG_MEMBER,
  'GET /v1/projects/{project}': R_PROJ,
  'PATCH /v1/projects/{project}': W_PROJ,
  'PUT /v1/projects/{project}': W_PROJ,
  'DELETE /v1/projects/{project}': W_PROJ,
  'POST /v1/projects/{project}/restore': W_PROJ,
  'PUT /v1/projects/{project}/logo': W_PROJ,
  'GET /v1/projects/{project}/logo': R_PROJ,
  'DELETE /v1/projects/{project}/logo': W_PROJ,
  'GET /v1/projects/{project}/members': R_PROJ,
  'POST /v1/projects/{project}/members': W_PROJ,
  'POST /v1/projects/{project}/users': W_PROJ,
  'PATCH /v1/projects/{project}/members/{user}': W_PROJ,
  'DELETE /v1/projects/{project}/members/{user}': W_PROJ,
  'GET /v1/assets': R_SELF,
  'POST /v1/assets': W_PROJ,
  'GET /v1/projects/{project}/assets': R_PROJ,
  'POST /v1/projects/{project}/assets': W_PROJ,
  'GET /v1/assets/{asset}': R_PROJ,
  'PATCH /v1/assets/{asset}': W_PROJ,
  'PUT /v1/assets/{asset}': W_PROJ,
  'DELETE /v1/assets/{asset}': W_PROJ,
  'POST /v1/assets/{asset}/folders': W_PROJ,
  'GET /v1/assets/{asset}/folders': R_PROJ,
  'GET /v1/assets/{asset}/folders/{folder}': R_PROJ,
  'GET /v1/folders/{folder}': R_PROJ,
  'PATCH /v1/folders/{folder}': W_PROJ,
  'DELETE /v1/folders/{folder}': W_PROJ,
  'POST /v1/assets/{asset}/data': W_PROJ,
  'GET /v1/assets/{asset}/data': R_PROJ,
  'GET /v1/assets/{asset}/contents': R_PROJ,
  'GET /v1/assets/{asset}/data/{data}': R_PROJ,
  'GET /v1/assets/{asset}/data/{data}/download': R_PROJ,
  'GET /v1/data/{data}': R_PROJ,
  'PATCH /v1/data/{data}': W_PROJ,
  'DELETE /v1/data/{data}': W_PROJ,
  'GET /v1/data/{data}/download': R_PROJ,
  'GET /v1/assets/{asset}/spheres': R_PROJ,
  'POST /v1/assets/{asset}/spheres': W_PROJ,
  'GET /v1/assets/{asset}/spheres/{sphere}': R_PROJ,
  'GET /v1/spheres/{sphere}': R_PROJ,
  'PATCH /v1/spheres/{sphere}': W_PROJ,
  'DELETE /v1/spheres/{sphere}': W_PROJ,
  'GET /v1/spheres/{sphere}/image': R_PROJ,
  'GET /v1/reports': R_SELF,
  'POST /v1/reports': W_PROJ,
  'GET /v1/reports/{report}': R_PROJ,
  'PATCH /v1/reports/{report}': W_PROJ,
  'DELETE /v1/reports/{report}': W_PROJ,
  'PUT /v1/reports/{report}/file': W_PROJ,
  'GET /v1/reports/{report}/download': R_PROJ,
  'GET /v1/assets/{asset}/reports': R_PROJ,
  'GET /v1/assets/{asset}/reports/{report}': R_PROJ,
  'GET /v1/assets/{asset}/reports/{report}/download': R_PROJ,
  'POST /v1/resources': W_PROJ,
  'GET /v1/resources': R_SELF,
  'POST /v1/organizations/{org}/resources': W_ORG_ADMIN,
  'GET /v1/organizations/{org}/resources': R_ORG,
  'POST /v1/projects/{project}/resources': W_PROJ,
  'GET /v1/projects/{project}/resources': R_PROJ,
  'POST /v1/assets/{asset}/resources': W_PROJ,
  'GET /v1/assets/{asset}/resources': R_PROJ,
  'POST /v1/reports/{report}/resources': W_PROJ,
  'GET /v1/reports/{report}/resources': R_PROJ,
  'GET /v1/resources/{resource}': R_PROJ,
  'PATCH /v1/resources/{resource}': W_PROJ,
  'DELETE /v1/resources/{resource}': W_PROJ,
  'PUT /v1/resources/{resource}/file': W_PROJ,
  'GET /v1/resources/{resource}/download': R_PROJ,
  'POST /v1/resources/{resource}/attachments': W_PROJ,
  'DELETE /v1/resources/{resource}/attachments/{entity_type}/{entity_id}': W_PROJ,
  'GET /v1/organizations/{org}/documents': R_ORG,
  'POST /v1/organizations/{org}/documents': W_ORG_ADMIN,
  'PATCH /v1/organizations/{org}/documents/{id}': W_ORG_ADMIN,
  'DELETE /v1/organizations/{org}/documents/{id}': W_ORG_ADMIN,
  'GET /v1/projects/{project}/documents': R_PROJ,
  'POST /v1/projects/{project}/documents': W_PROJ,
  'PATCH /v1/projects/{project}/documents/{id}': W_PROJ,
  'DELETE /v1/projects/{project}/documents/{id}': W_PROJ,
  'GET /v1/assets/{asset}/documents': R_PROJ,
  'POST /v1/assets/{asset}/documents': W_PROJ,
  'PATCH /v1/assets/{asset}/documents/{id}': W_PROJ,
  'DELETE /v1/assets/{asset}/documents/{id}': W_PROJ,
  'GET /v1/reports/{report}/documents': R_PROJ,
  'POST /v1/reports/{report}/documents': W_PROJ,
  'PATCH /v1/reports/{report}/documents/{id}': W_PROJ,
  'DELETE /v1/reports/{report}/documents/{id}': W_PROJ,
  'GET /v1/dashboard': R_SELF,
  'GET /v1/organizations/{org}/changes': R_ORG,
  'GET /v1/projects/{project}/activity': R_PROJ,
  'GET /v1/assets/{asset}/activity': R_PROJ,
  'GET /v1/reports/{report}/activity': R_PROJ,
  'GET /v1/resources/{resource}/activity': R_PROJ,
};

let w: World;

beforeAll(async () => {
  w = await buildWorld();
}, 60_000);

/** The credentials an actor is tried with: none for anonymous, each of the document's forms otherwise. */
function credentials(actor: ActorName, forms: CredentialForm[]): [string, Record<string, string>][] {
  if (actor === 'anonymous') return [['none', {}]];
  const [t, email] = actor === 'revoked' ? [w.revoked, w.viewerEmail] : actor === 'expired' ? [w.expired, w.viewerEmail] : [w.actors[actor].token, w.actors[actor].email];
  const form: Record<CredentialForm, Record<string, string>> = {
    bearer: { Authorization: `Bearer ${t}` },
    token: { Authorization: `Token ${t}` },
    pair: { 'X-User-Email': email, 'X-User-Token': t },
  };
  return forms.map((f) => [f, form[f]]);
}

/** The parameter whose random stand-in gives the same 404: the outermost container in the path. */
function hiddenParam(path: string): string | undefined {
  return /\{(\w+)\}/.exec(path)?.[1];
}

function classOf(status: number): Outcome {
  if (status < 400) return 'ok';
  return String(status) as Outcome;
}

/**
 * One document's operations, each run by every actor with each credential form, as its policy says.
 * Every operation needs a row, and every row an operation. Nothing may change in D1 or R2.
 */
async function runMatrix(spec: DocumentSpec, policy: Record<string, Row>) {
  const doc = (await call(spec.documentUrl)).body as { paths: Record<string, Record<string, unknown>> };
  const ops = Object.entries(doc.paths).flatMap(([path, o]) => METHODS.filter((m) => o[m]).map((m) => ({ method: m.toUpperCase(), path })));
  const unlisted = ops.map((o) => `${o.method} ${o.path}`).filter((k) => !policy[k]);
  expect(unlisted, `operations of ${spec.documentUrl} with no row in its POLICY`).toEqual([]);
  const stale = Object.keys(policy).filter((k) => !ops.some((o) => `${o.method} ${o.path}` === k));
  expect(stale, 'POLICY rows for operations that no longer exist').toEqual([]);

  const before = await snapshot();
  const failures: string[] = [];
  const skipped: string[] = [];
  let pairs = 0;
  for (const { method, path } of ops) {
    const row = policy[`${method} ${path}`]!;
    const url = spec.fill(w, path);
    if (!url) {
      skipped.push(`${method} ${path}`);
      continue;
    }
    for (const [i, actor] of ACTORS.entries()) {
      const expected = row[i]!;
      if (expected === '-') continue;
      for (const [cred, headers] of credentials(actor, spec.credentials)) {
        const b = spec.bodyFor(w, method, path);
        const a = await send(url, method, { ...headers, ...b.headers }, b);
        pairs += 1;
        const where = `${method} ${path} as ${actor} (${cred})`;
        if (classOf(a.status) !== expected) {
          failures.push(`${where}: expected ${expected}, got ${a.status} ${a.text.slice(0, 160)}`);
          continue;
        }
        if (a.status >= 400 && (a.headers.get('Content-Type') ?? '').split(';')[0] !== spec.errorType) failures.push(`${where}: ${a.status} as ${a.headers.get('Content-Type')}`);
        if (expected === '404') {
          const hide = hiddenParam(path)!;
          const b2 = spec.bodyFor(w, method, path);
          const random = await send(spec.fill(w, path, hide)!, method, { ...headers, ...b2.headers }, b2);
          if (random.status !== 404 || JSON.stringify(spec.sameError(random.body)) !== JSON.stringify(spec.sameError(a.body))) {
            failures.push(`${where}: 404 differs from a random ${hide}'s: ${a.text.slice(0, 160)} vs ${random.status} ${random.text.slice(0, 160)}`);
          }
        }
      }
    }
  }
  console.log(`isolation matrix (${spec.documentUrl}): ${pairs} operation x actor x credential pairs checked over ${ops.length} operations; skipped: ${skipped.join(', ') || 'none'}`);
  expect(failures).toEqual([]);
  expect(skipped).toEqual([]);
  expect(await snapshot()).toEqual(before);
  return { pairs, operations: ops.length };
}

describe('isolation matrix', () => {
  it('every operation in /openapi.json has a policy row, and every pair answers as the policy says', async () => {
    const { pairs, operations } = await runMatrix(V1, POLICY);
    expect(operations).toBeGreaterThan(100);
    expect(pairs).toBeGreaterThan(1500);
  }, 120_000);

  // Each seed dialect's document, with its own rows (test/dialects/<dialect>.ts), error shape and credential forms.
  for (const spec of DIALECT_SPECS) {
    it(`every operation in ${spec.documentUrl} has a policy row, and every pair answers as the policy says`, async () => {
      const { operations } = await runMatrix(spec, spec.policy ?? {});
      expect(operations).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe('lists never include what the actor may not see', () => {
  const LISTS = ['/v1/projects', '/v1/assets', '/v1/reports', '/v1/resources'];

  it('the other-organisation admin, the removed member and the org member outside P see nothing of P in the lists, search or the dashboard; the viewer does', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    const hiddenIds = () => [w.project, w.asset, w.folder, w.data, w.report, w.resource, w.sphere];
    const searchable = (path: string) => (doc.paths[path]?.get?.parameters ?? []).some((p) => p.in === 'query' && p.name === 'search');
    const term: Record<string, string> = { '/v1/projects': w.names.project, '/v1/assets': w.names.asset, '/v1/reports': w.names.report, '/v1/resources': 'plan' };
    let checked = 0;
    for (const who of ['otherOrgAdmin', 'removedMember', 'orgMember', 'viewer'] as const) {
      const actor = w.actors[who];
      const sees = who === 'viewer';
      for (const [cred, headers] of [['bearer', actor.auth], ['pair', actor.pair]] as const) {
        for (const list of LISTS) {
          const urls = [list, ...(searchable(list) ? [`${list}?search=${encodeURIComponent(term[list]!)}`] : [])];
          for (const url of urls) {
            const a = await call(url, { headers });
            expect(a.status, `${url} as ${who} (${cred})`).toBe(200);
            const all: string[] = a.body.results.map((r: { id: string }) => r.id);
            // The organisation's own document is visible to every member of A; it is not in P.
            const ids = all.filter((id) => id !== w.orgDocument);
            expect(a.body.next, `${url}: one page holds everything here`).toBeNull();
            expect(a.body.count, `${url} as ${who}: count matches the results`).toBe(all.length);
            if (!sees) for (const id of hiddenIds()) expect(a.text.includes(id), `${url} as ${who} (${cred}) mentions ${id}`).toBe(false);
            if (sees) expect(ids.length, `${url} as the viewer`).toBeGreaterThan(0);
            else expect(ids, `${url} as ${who}`).toEqual([]);
            checked += 1;
          }
        }
        const d = await call('/v1/dashboard', { headers });
        expect(d.status).toBe(200);
        const n = sees ? 1 : 0;
        expect([d.body.projects.count, d.body.assets.count, d.body.data_files.count, d.body.reports.count], `dashboard as ${who} (${cred})`).toEqual([n, n, n, n]);
        expect(d.body.recent.assets.length + d.body.recent.reports.length).toBe(2 * n);
        for (const id of hiddenIds()) if (!sees) expect(d.text.includes(id), `dashboard as ${who} mentions ${id}`).toBe(false);
        if (sees) expect(d.text).toContain(w.project);
        checked += 1;
      }
    }
    console.log(`isolation lists: ${checked} list/search/dashboard answers checked`);
  }, 60_000);
});

/**
 * A resource shared with another organisation (issue 10): S belongs to A (uploaded to P) and is
 * attached to organisation B too. B's admin sees it through B; P's viewer, who administers an
 * organisation C of their own, through P. Each may read it, and every write on it is refused and
 * changes nothing: 403 where the actor sees what the path names, 404 (as for a random id) where it
 * does not. An attach targets an entity the actor writes (a project of B; C). `{org}` is B, the
 * detach names A's attachment to P. The one write B may make, detaching S from B, is made last.
 */
const SHARED_ACTORS = ['otherOrgAdmin', 'viewer'] as const;
const SHARED: Record<string, readonly [Outcome, Outcome]> = {
  'GET /v1/resources/{resource}': ['ok', 'ok'],
  'GET /v1/resources/{resource}/download': ['ok', 'ok'],
  'GET /v1/resources/{resource}/activity': ['ok', 'ok'],
  'PATCH /v1/resources/{resource}': ['403', '403'],
  'DELETE /v1/resources/{resource}': ['403', '403'],
  'PUT /v1/resources/{resource}/file': ['403', '403'],
  'POST /v1/resources/{resource}/attachments': ['403', '403'],
  'DELETE /v1/resources/{resource}/attachments/{entity_type}/{entity_id}': ['404', '403'],
  'PATCH /v1/organizations/{org}/documents/{id}': ['403', '404'],
  'DELETE /v1/organizations/{org}/documents/{id}': ['403', '404'],
  'PATCH /v1/projects/{project}/documents/{id}': ['404', '403'],
  'DELETE /v1/projects/{project}/documents/{id}': ['404', '403'],
  // Not attached to the asset nor the report: as a missing document.
  'PATCH /v1/assets/{asset}/documents/{id}': ['404', '404'],
  'DELETE /v1/assets/{asset}/documents/{id}': ['404', '404'],
  'PATCH /v1/reports/{report}/documents/{id}': ['404', '404'],
  'DELETE /v1/reports/{report}/documents/{id}': ['404', '404'],
};

describe('a resource shared with another organisation', () => {
  let shared: Awaited<ReturnType<typeof shareResource>>;
  beforeAll(async () => {
    shared = await shareResource(w);
  }, 60_000);

  it('B’s admin and P’s viewer (admin of C) may read it; every other operation on it answers as SHARED says and changes nothing', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths)
      .filter(([path]) => path.includes('{resource}') || path.endsWith('/documents/{id}'))
      .flatMap(([path, o]) => METHODS.filter((m) => o[m]).map((m) => ({ method: m.toUpperCase(), path })));
    expect(ops.map((o) => `${o.method} ${o.path}`).sort(), 'operations on a resource and SHARED').toEqual(Object.keys(SHARED).sort());

    const given = { resource: shared.resource, id: shared.resource, org: w.orgB.slug };
    const target = { otherOrgAdmin: { entity_type: 'project', entity_id: shared.projectB }, viewer: { entity_type: 'organization', entity_id: shared.orgC } };
    const before = await snapshot();
    const failures: string[] = [];
    let pairs = 0;
    for (const { method, path } of ops) {
      for (const [i, actor] of SHARED_ACTORS.entries()) {
        const expected = SHARED[`${method} ${path}`]![i]!;
        const a = w.actors[actor];
        for (const [cred, headers] of [['bearer', a.auth], ['pair', a.pair]] as const) {
          const b = path.endsWith('/attachments') ? { json: target[actor] } : bodyFor(w, method, path);
          const answer = await send(fill(w, path, undefined, given)!, method, { ...headers, ...b.headers }, b);
          pairs += 1;
          const where = `${method} ${path} as ${actor} (${cred})`;
          if (classOf(answer.status) !== expected) {
            failures.push(`${where}: expected ${expected}, got ${answer.status} ${answer.text.slice(0, 160)}`);
            continue;
          }
          if (expected === '404') {
            // The innermost parameter at random: the same 404 as the hidden entity or attachment.
            const hide = [...path.matchAll(/\{(\w+)\}/g)].at(-1)![1]!;
            const b2 = path.endsWith('/attachments') ? b : bodyFor(w, method, path);
            const random = await send(fill(w, path, hide, given)!, method, { ...headers, ...b2.headers }, b2);
            if (random.status !== 404 || JSON.stringify(sameProblem(random)) !== JSON.stringify(sameProblem(answer))) {
              failures.push(`${where}: 404 differs from a random ${hide}'s: ${answer.text.slice(0, 160)} vs ${random.status} ${random.text.slice(0, 160)}`);
            }
          }
        }
      }
    }
    console.log(`isolation, shared resource: ${pairs} operation x actor x credential pairs checked over ${ops.length} operations`);
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);

    // What each sees of it: B only B's attachment, the viewer only P's; and in B's admin's list, nothing of P.
    const R = `/v1/resources/${shared.resource}`;
    expect((await call(R, { headers: w.actors.otherOrgAdmin.auth })).body.attachments).toEqual([{ entity_type: 'organization', id: w.orgB.id }]);
    expect((await call(R, { headers: w.actors.viewer.auth })).body.attachments).toEqual([{ entity_type: 'project', id: w.project }]);
    const listed = await call('/v1/resources', { headers: w.actors.otherOrgAdmin.auth });
    expect(listed.body.results.map((r: { id: string }) => r.id)).toEqual([shared.resource]);
    for (const id of [w.project, w.org.id, w.asset, w.report]) expect(listed.text.includes(id), `B's list mentions ${id}`).toBe(false);

    // The one write B may make: detach it from B. A keeps it.
    const detached = await call(`${R}/attachments/organization/${w.orgB.slug}`, { method: 'DELETE', headers: w.actors.otherOrgAdmin.auth });
    expect(detached.status, detached.text).toBe(204);
    expectProblem(await call(R, { headers: w.actors.otherOrgAdmin.auth }), 404);
    expect((await call(R, { headers: w.actors.editor.auth })).body.attachments).toEqual([{ entity_type: 'project', id: w.project }]);
  }, 120_000);
});
