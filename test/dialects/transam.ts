/**
 * The TransAM dialect (seed 003) in the whole-API checks: its POLICY rows (test/isolation.test.ts),
 * how its paths are filled from the world (object keys for assets, numbers for organisations),
 * and JSend's error shape.
 */
import { newId } from '../../src/lib/ids';
import { PASSWORD } from '../support/actors';
import { constants, fillWith, missingNumber, type DocumentSpec } from '../support/documents';
import { NOT_SENT, R_ORG, R_PROJ, R_SELF, W_SELF } from '../support/policy';
import type { World } from '../support/world';

const BASE = '/compat/transam';

/** The query a path is sent with (the seed's parameters, here from the query string). */
const QUERIES: Record<string, (w: World) => string> = {
  '/api/v1/users/profile': (w) => `?email=${encodeURIComponent(w.actors.editor.email)}`,
  '/api/v1/users': (w) => `?organization_id=${w.numbers.org}`,
};

const CONTAINERS: Record<string, string> = { organizations: 'organizations', assets: 'assets', users: 'users' };

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
  },
  credentials: ['pair', 'bearer'],
  fill(w, path, hide, given) {
    const url = fillWith(BASE, path, { id: w.numbers.org, object_key: w.asset, ...given }, hide, (name) => (name === 'id' ? missingNumber() : newId('ast')));
    // The matrix sends the seed's parameters; the fuzzer (which always passes `given`) draws its own query.
    return url && (given ? url : url + (QUERIES[path]?.(w) ?? ''));
  },
  bodyFor: () => ({}),
  errorType: 'application/json',
  namesField: (body, field) => typeof (body as { data?: Record<string, unknown> } | undefined)?.data?.[field] === 'string',
  sameError: (body) => body,
  hints: (w) =>
    constants({
      email: [w.actors.viewer.email],
      password: [PASSWORD],
      organization_id: [w.numbers.org, String(w.numbers.org)],
    }),
  missing: (name) => (name === 'id' ? missingNumber() : newId('ast')),
  signIns: ['POST /api/v1/sign_in'],
  // The seed's session shows the account's failed attempts to the one who just proved its password
  // (always 0 then: a success clears them); nothing else of the lockout is answered.
  disclosed: { 'POST /api/v1/sign_in': ['$.data.session.failed_attempts'] },
  container: (path) => CONTAINERS[/^\/api\/v1\/(\w+)/.exec(path)?.[1] ?? ''],
};
