/**
 * The Cadasta dialect (seeds 002 and 004) in the whole-API checks: its POLICY rows
 * (test/isolation.test.ts), how its paths are filled from the world (organisation and project
 * slugs, /v1's resource ids, usernames), and its error shape.
 */
import { newId } from '../../src/lib/ids';
import { slugify } from '../../src/organizations/schemas';
import { unique } from '../support/actors';
import { call } from '../support/api';
import { constants, fillWith, type DocumentSpec } from '../support/documents';
import { R_ORG, R_PROJ, R_SELF, W_ORG_ADMIN, W_ORG_MEMBER, W_PROJ } from '../support/policy';
import { type World } from '../support/world';

const BASE = '/compat/cadasta';
const PROJECT = '/organizations/{organization_slug}/projects/{project_slug}/';
const RESOURCE = '/resources/{resource_id}/';

const resourceForm = (_w: World, organization?: string) => {
  const fd = new FormData();
  fd.append('name', 'Matrix resource');
  if (organization) fd.append('organization', organization);
  fd.append('resource', new Blob([new TextEncoder().encode('matrix')], { type: 'text/plain' }), 'matrix.txt');
  return fd;
};

export const cadasta: DocumentSpec = {
  name: 'cadasta',
  documentUrl: `${BASE}/openapi.json`,
  policy: {
    'GET /organizations/{organization_slug}/projects/': R_ORG,
    'POST /organizations/{organization_slug}/projects/': W_ORG_MEMBER,
    [`GET ${PROJECT}`]: R_PROJ,
    [`GET ${PROJECT}users/`]: R_PROJ,
    [`POST ${PROJECT}users/`]: W_PROJ,
    [`DELETE ${PROJECT}users/{username}/`]: W_PROJ,
    'GET /resources/': R_SELF,
    'POST /resources/': W_ORG_ADMIN,
    [`GET ${RESOURCE}`]: R_PROJ,
    [`PATCH ${RESOURCE}`]: W_PROJ,
    [`DELETE ${RESOURCE}`]: W_PROJ,
    'GET /organizations/{organization_slug}/resources/': R_ORG,
    'POST /organizations/{organization_slug}/resources/': W_ORG_ADMIN,
    'GET /organizations/{organization_slug}/project/{project_slug}/resources': R_PROJ,
    'POST /organizations/{organization_slug}/project/{project_slug}/resources': W_PROJ,
    'GET /organizations/{organization_slug}/projects/{project_slug}/resources': R_PROJ,
    'POST /organizations/{organization_slug}/projects/{project_slug}/resources': W_PROJ,
  },
  credentials: ['token', 'pair'],
  fill(w, path, hide, given = {}) {
    const values = { organization_slug: w.org.slug, project_slug: slugify(w.names.project), resource_id: w.resource, username: w.actors.editor.username, ...given };
    return fillWith(BASE, path, values, hide, cadasta.missing);
  },
  bodyFor: (w, method, path) => {
    if (method === 'POST' && path === '/resources/') return { body: resourceForm(w, w.org.slug) };
    if (method === 'POST' && (path.endsWith('/resources') || path.endsWith('/resources/'))) return { body: resourceForm(w) };
    if (method === 'POST' && path.endsWith('/projects/')) return { json: { name: unique('Cadasta project ') } }; // its own slug each time (Portal's create takes 'Matrix project')
    if (method === 'POST' && path.endsWith('/users/')) return { json: { username: w.actors.orgMember.username } };
    if (method === 'PATCH') return { json: { description: 'Matrix' } };
    return {};
  },
  errorType: 'application/json',
  namesField: (body, field) => typeof (body as Record<string, unknown> | undefined)?.[field] === 'string',
  sameError: (body) => body,
  hints: (w) =>
    constants({
      username: [w.actors.orgMember.username, w.actors.viewer.username],
      organization: [w.org.slug],
    }),
  // The project's slug as D1 holds it now (a fuzzed /v1 write may have changed it).
  async fixed(w): Promise<Record<string, string>> {
    const got = await call(`/v1/projects/${w.project}`, { headers: w.actors.orgAdmin.auth });
    return got.status === 200 ? { project_slug: got.body.slug as string } : {};
  },
  missing: (name) => (name === 'resource_id' ? newId('res') : `no-such-${name.replace(/_/g, '-')}`),
  signIns: [],
  container: (path) => (path.startsWith('/resources/') ? 'resources' : path.includes('/users/') ? 'projects' : 'organizations'),
};
