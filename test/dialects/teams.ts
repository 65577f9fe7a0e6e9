/**
 * The Teams dialect (seed 001) in the whole-API checks: its POLICY rows (test/isolation.test.ts),
 * how its paths are filled from the world (entity numbers), and DRF's error shape.
 */
import { constants, fillWith, missingNumber, type DocumentSpec } from '../support/documents';
import { R_PROJ, R_SELF, W_ORG_MEMBER, W_PROJ, type Row } from '../support/policy';
import type { World } from '../support/world';

const BASE = '/compat/teams';

/** Purge and reinstate: admins of the organisation only; the project's own people see it (403), others do not (404). */
//                        anon   revokd expird other  removd member viewer editor managr admin  super
const W_PROJ_ADMIN: Row = ['401', '401', '401', '404', '404', '404', '403', '403', '403', '-',   '-'];

const BODIES: Record<string, (w: World) => unknown> = {
  'POST /v1/projects/list': (w) => ({ expressions: [{ type: 'exact', field: 'team', value: w.numbers.org }], order_by: [{ field: 'name' }] }),
  'POST /v1/projects/create': (w) => ({ name: 'Matrix project', team: w.numbers.org }),
  'PUT /v1/projects/{PK}': (w) => ({ name: 'Matrix project', team: w.numbers.org }),
  'PATCH /v1/projects/{PK}': () => ({ name: 'Matrix project' }),
};

export const teams: DocumentSpec = {
  name: 'teams',
  documentUrl: `${BASE}/openapi.json`,
  policy: {
    'POST /v1/projects/list': R_SELF,
    'POST /v1/projects/create': W_ORG_MEMBER,
    'GET /v1/projects/{PK}': R_PROJ,
    'PUT /v1/projects/{PK}': W_PROJ,
    'PATCH /v1/projects/{PK}': W_PROJ,
    'DELETE /v1/projects/{PK}': W_PROJ,
    'DELETE /v1/projects/{PK}/hard': W_PROJ_ADMIN,
    'DELETE /v1/projects/{PK}/reinstate': W_PROJ_ADMIN,
  },
  credentials: ['token', 'pair'],
  fill: (w, path, hide, given = {}) => fillWith(BASE, path, { PK: w.numbers.project, ...given }, hide, missingNumber),
  bodyFor: (w, method, path) => {
    const body = BODIES[`${method} ${path}`];
    return body ? { json: body(w) } : {};
  },
  errorType: 'application/json',
  namesField: (body, field) => Array.isArray((body as Record<string, unknown> | undefined)?.[field]),
  sameError: (body) => body,
  hints: (w) =>
    constants({
      team: [w.numbers.org, w.numbers.orgB, String(w.numbers.org)],
      value: [w.numbers.project, w.numbers.org, w.names.project, null],
      field: ['pk', 'name', 'team', 'creator', 'creation_time', 'deletion_time'],
    }),
  missing: missingNumber,
  signIns: [],
  container: (path) => (path.startsWith('/v1/projects') ? 'projects' : undefined),
};
