/**
 * The Portal dialect (seed 000) in the whole-API checks: its POLICY rows (test/isolation.test.ts),
 * how its paths are filled from the world (entity numbers), and DRF's error shape.
 */
import { PASSWORD } from '../support/actors';
import { constants, fillWith, missingNumber, type DocumentSpec } from '../support/documents';
import { NOT_SENT, R_ORG, R_PROJ, R_SELF, W_ORG_MEMBER, W_PROJ } from '../support/policy';
import type { World } from '../support/world';

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

/** Valid bodies of the writes, so that a refusal cannot be a validation error. */
const BODIES: Record<string, (w: World) => unknown> = {
  'POST /project_management/projects/': (w) => ({ name: 'Matrix project', company: w.numbers.org }),
  'PATCH /project_management/projects/{project_id}': () => ({ location: 'Amsterdam' }),
  'POST /project_management/projects/{project_id}/users/': () => ({ username: 'matrix-user', email: 'matrix-user@example.test' }),
  'POST /project_management/assets/': (w) => ({ project_id: w.numbers.project, name: 'Matrix asset' }),
  'PATCH /project_management/assets/{asset_id}/': () => ({ location: 'Amsterdam' }),
  'POST /project_management/reports/': (w) => ({ project: w.numbers.project, name: 'Matrix report' }),
  'PATCH /project_management/reports/{id}/': () => ({ description: 'Checked' }),
};

export const portal: DocumentSpec = {
  name: 'portal',
  documentUrl: `${BASE}/openapi.json`,
  policy: {
    // Sign-in takes a password, not a credential: test/compat/portal.test.ts covers it.
    'POST /token-auth/': NOT_SENT,
    'GET /token-auth/': NOT_SENT,
    'GET /project_management/dashboard/': R_SELF,
    'GET /project_management/companies/': R_SELF,
    'GET /project_management/companies/{id}': R_ORG,
    'GET /project_management/projects/': R_SELF,
    'POST /project_management/projects/': W_ORG_MEMBER,
    'GET /project_management/projects/{project_id}/': R_PROJ,
    'PATCH /project_management/projects/{project_id}': W_PROJ,
    'DELETE /project_management/projects/{project_id}/': W_PROJ,
    'GET /project_management/projects/{project_id}/users/': R_PROJ,
    'POST /project_management/projects/{project_id}/users/': W_PROJ,
    'PATCH /project_management/projects/{project_id}/users/{user_id}/': W_PROJ,
    'DELETE /project_management/projects/{project_id}/users/{user_id}/': W_PROJ,
    'GET /project_management/assets/': R_SELF,
    'POST /project_management/assets/': W_PROJ,
    'GET /project_management/assets/{asset_id}/': R_PROJ,
    'PATCH /project_management/assets/{asset_id}/': W_PROJ,
    'DELETE /project_management/assets/{asset_id}/': W_PROJ,
    'GET /project_management/assets/{asset_id}/folders/': R_PROJ,
    'GET /project_management/assets/{asset_id}/folders/{folder_id}/': R_PROJ,
    'GET /project_management/folders/{pk}/': R_PROJ,
    'GET /project_management/assets/{asset_id}/data/': R_PROJ,
    'GET /project_management/assets/{asset_id}/data/{data_id}/': R_PROJ,
    'GET /project_management/assets/{asset_id}/data/{pk}/download/': R_PROJ,
    'GET /project_management/data/{data_id}/': R_PROJ,
    'GET /project_management/data/{data_id}/download/': R_PROJ,
    'GET /project_management/assets/{asset_id}/data_tab/': R_PROJ,
    'GET /project_management/assets/{asset_id}/spheres/': R_PROJ,
    'GET /project_management/assets/{asset_id}/spheres/{pk}/': R_PROJ,
    'GET /project_management/spheres/{pk}/': R_PROJ,
    'GET /project_management/reports/': R_SELF,
    'POST /project_management/reports/': W_PROJ,
    'GET /project_management/reports/{id}/': R_PROJ,
    'PATCH /project_management/reports/{id}/': W_PROJ,
    'DELETE /project_management/reports/{id}/': W_PROJ,
    'GET /project_management/reports/{report_id}/download/': R_PROJ,
    'GET /project_management/assets/{asset_id}/reports/': R_PROJ,
    'GET /project_management/assets/{asset_id}/reports/{pk}/': R_PROJ,
    'GET /project_management/assets/{asset_id}/reports/{pk}/download/': R_PROJ,
  },
  credentials: ['token', 'pair'],
  fill(w, path, hide, given = {}) {
    // `{id}` is the number of the entity the path's collection holds.
    const collection = /^\/project_management\/(\w+)\//.exec(path)?.[1];
    const id = collection === 'companies' ? w.numbers.org : collection === 'reports' ? w.numbers.report : undefined;
    // `{pk}` is the number of the entity of the collection it follows.
    const pkOf: Record<string, number> = { folders: w.numbers.folder, data: w.numbers.data, spheres: w.numbers.sphere, reports: w.numbers.report };
    const pk = pkOf[/\/(\w+)\/\{pk\}/.exec(path)?.[1] ?? ''];
    const values = { id, pk, project_id: w.numbers.project, asset_id: w.numbers.asset, user_id: w.numbers.users.editor, folder_id: w.numbers.folder, data_id: w.numbers.data, report_id: w.numbers.report };
    return fillWith(BASE, path, { ...values, ...given }, hide, missingNumber);
  },
  bodyFor: (w, method, path) => {
    const body = BODIES[`${method} ${path}`];
    return body ? { json: body(w) } : {};
  },
  errorType: 'application/json',
  namesField: (body, field) => Array.isArray((body as Record<string, unknown> | undefined)?.[field]),
  sameError: (body) => body,
  hints: (w) =>
    constants({
      username: [w.actors.viewer.username, w.actors.viewer.email],
      password: [PASSWORD],
      company: [w.numbers.org, String(w.numbers.org)],
      project_id: [w.numbers.project, String(w.numbers.project)],
      folder_id: ['none', String(w.numbers.folder)],
      project: [w.numbers.project, String(w.numbers.project)],
      asset: [w.numbers.asset, String(w.numbers.asset), null],
      lat: ['52.372760', 52.37276, null],
      lon: ['4.893604', 4.893604, null],
    }),
  basic: (w) => ({ username: w.actors.viewer.username, password: PASSWORD }),
  missing: missingNumber,
  signIns: ['POST /token-auth/', 'GET /token-auth/'],
  container: (path) => CONTAINERS[/^\/project_management\/(\w+)/.exec(path)?.[1] ?? ''],
};
