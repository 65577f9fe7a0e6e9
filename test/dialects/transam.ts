/**
 * The TransAM dialect (seed 003) in the whole-API checks: its POLICY rows (test/isolation.test.ts),
 * how its paths are filled from the world (object keys for assets, numbers for organisations),
 * and JSend's error shape.
 */
import { newId } from '../../src/lib/ids';
import { PASSWORD } from '../support/actors';
import { constants, fillWith, missingNumber, type DocumentSpec } from '../support/documents';
import { NOT_SENT, R_ORG, R_PROJ, R_SELF, W_ORG_ADMIN, W_PROJ, W_SELF, type Row } from '../support/policy';
import type { World } from '../support/world';

const BASE = '/compat/transam';

/** The query a path is sent with (the seed's parameters, here from the query string). */
const QUERIES: Record<string, (w: World) => string> = {
  '/api/v1/users/profile': (w) => `?email=${encodeURIComponent(w.actors.editor.email)}`,
  '/api/v1/users': (w) => `?organization_id=${w.numbers.org}`,
};

/** The rows of one documentable type's documents. */
function documentRows(segment: string, read: Row, write: Row): Record<string, Row> {
  const base = `/api/v1/${segment}/{documentable_id}/documents`;
  return { [`GET ${base}`]: read, [`POST ${base}`]: write, [`PATCH ${base}/{id}`]: write, [`PUT ${base}/{id}`]: write, [`DELETE ${base}/{id}`]: write };
}

/** The documentable entity of a documents path, and its document (P's resource; the organisation's own). */
function documentable(w: World, path: string): { documentable_id?: string | number; id?: string } {
  const segment = /^\/api\/v1\/(\w+)\/\{documentable_id\}/.exec(path)?.[1];
  if (!segment) return {};
  const ids: Record<string, string | number> = { assets: w.asset, organizations: w.numbers.org, projects: w.numbers.project, reports: w.numbers.report };
  return { documentable_id: ids[segment], id: segment === 'organizations' ? w.orgDocument : w.resource };
}

const missing = (name: string) => (name === 'id' ? newId('res') : name === 'object_key' ? newId('ast') : missingNumber());

const CONTAINERS: Record<string, string> = { organizations: 'organizations', projects: 'projects', assets: 'assets', reports: 'reports', users: 'users' };

export const transam: DocumentSpec = {
  name: 'transam',
  documentUrl: `${BASE}/openapi.json`,
  policy: {
    // Sign-in takes a password, not a credential: test/compat/transam.test.ts covers it.
    'POST /api/v1/sign_in': NOT_SENT,
    'DELETE /api/v1/sign_out': W_SELF,
    'GET /api/v1/users/profile': R_ORG,
    'GET /api/v1/users': R_ORG,
    'GET /api/v1/organizations/{id}': R_ORG,
    'GET /api/v1/assets': R_SELF,
    'GET /api/v1/assets/{object_key}': R_PROJ,
    ...documentRows('organizations', R_ORG, W_ORG_ADMIN),
    ...documentRows('projects', R_PROJ, W_PROJ),
    ...documentRows('assets', R_PROJ, W_PROJ),
    ...documentRows('reports', R_PROJ, W_PROJ),
  },
  credentials: ['pair', 'bearer'],
  fill(w, path, hide, given) {
    const own = path === '/api/v1/organizations/{id}' ? { id: w.numbers.org } : documentable(w, path);
    // Every 404 of this dialect has the same body: a hidden value of any kind will do.
    const url = fillWith(BASE, path, { object_key: w.asset, ...own, ...given }, hide, missing);
    // The matrix sends the seed's parameters; the fuzzer (which always passes `given`) draws its own query.
    return url && (given ? url : url + (QUERIES[path]?.(w) ?? ''));
  },
  bodyFor: (_w, method, path) => {
    if (!path.includes('/documents')) return {};
    if (method === 'POST') {
      const fd = new FormData();
      fd.append('document', new Blob([new TextEncoder().encode('isolation')], { type: 'text/plain' }), 'probe.txt');
      return { body: fd };
    }
    return method === 'PATCH' || method === 'PUT' ? { json: { description: 'probe' } } : {};
  },
  errorType: 'application/json',
  namesField: (body, field) => typeof (body as { data?: Record<string, unknown> } | undefined)?.data?.[field] === 'string',
  sameError: (body) => body,
  hints: (w) =>
    constants({
      email: [w.actors.viewer.email],
      password: [PASSWORD],
      organization_id: [w.numbers.org, String(w.numbers.org)],
    }),
  missing,
  signIns: ['POST /api/v1/sign_in'],
  // The seed's session shows the account's failed attempts to the one who just proved its password
  // (always 0 then: a success clears them); nothing else of the lockout is answered.
  disclosed: { 'POST /api/v1/sign_in': ['$.data.session.failed_attempts'] },
  container: (path) => CONTAINERS[/^\/api\/v1\/(\w+)/.exec(path)?.[1] ?? ''],
};
