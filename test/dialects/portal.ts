/**
 * The Portal dialect (seed 000) in the whole-API checks: its POLICY rows (test/isolation.test.ts),
 * how its paths are filled from the world (entity numbers), and DRF's error shape.
 */
import { PASSWORD } from '../support/actors';
import { constants, fillWith, missingNumber, type DocumentSpec } from '../support/documents';
import { NOT_SENT, R_ORG, R_SELF } from '../support/policy';

const BASE = '/compat/portal';

/** The /v1 container of a Portal path, by its first segment under project_management/. */
const CONTAINERS: Record<string, string> = {
  companies: 'organizations',
  projects: 'projects',
  assets: 'assets',
  reports: 'reports',
  folders: 'folders',
  data: 'data',
  spheres: 'spheres',
};

export const portal: DocumentSpec = {
  name: 'portal',
  documentUrl: `${BASE}/openapi.json`,
  policy: {
    // Sign-in takes a password, not a credential: test/compat/portal.test.ts covers it.
    'POST /token-auth/': NOT_SENT,
    'GET /token-auth/': NOT_SENT,
    'GET /project_management/companies/': R_SELF,
    'GET /project_management/companies/{id}': R_ORG,
  },
  credentials: ['token', 'pair'],
  fill(w, path, hide, given = {}) {
    // `{id}` is the number of the entity the path's collection holds.
    const collection = /^\/project_management\/(\w+)\//.exec(path)?.[1];
    const id = collection === 'companies' ? w.numbers.org : undefined;
    return fillWith(BASE, path, { id, ...given }, hide, missingNumber);
  },
  bodyFor: () => ({}),
  errorType: 'application/json',
  namesField: (body, field) => Array.isArray((body as Record<string, unknown> | undefined)?.[field]),
  sameError: (body) => body,
  hints: (w) => constants({ username: [w.actors.viewer.username, w.actors.viewer.email], password: [PASSWORD] }),
  basic: (w) => ({ username: w.actors.viewer.username, password: PASSWORD }),
  missing: missingNumber,
  signIns: ['POST /token-auth/', 'GET /token-auth/'],
  container: (path) => CONTAINERS[/^\/project_management\/(\w+)/.exec(path)?.[1] ?? ''],
};
