/**
 * Projects (seed 001): `/v1/projects/…` under /compat/teams, over /v1's project service. `pk` is
 * the project's number, `team` its organisation's, `creator` its creator's.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import type { AppEnv } from '../../http/context';
import { linkHeader, withParams } from '../../http/list-answer';
import { LIST_HEADERS } from '../../http/list';
import { createRouter } from '../../http/router';
import { json, jsonBody, queryInt } from '../../http/schemas';
import { filterProjects } from '../../projects/filter';
import { PROJECT_LIMITS } from '../../projects/schemas';
import { createProject, deleteProject, getProject, restoreProject, updateProject } from '../../projects/service';
import { numberInput, numberParam } from '../values';
import { teams } from './dialect';
import { FilterDocument, toFilter } from './filter';
import { teamsListed, teamsProject, TeamsProjectSchema } from './render';

/** The most projects one list answers; `limit` and `offset` (and the Link header's `next`) page past it. */
export const LIST_MAX = 1000;

const NAME = z.string().trim().min(1).max(PROJECT_LIMITS.name);
const TEAM = numberInput().openapi({ description: 'The team’s pk (an organisation’s number).' });

const ProjectCreateBody = z.object({ name: NAME, team: TEAM.openapi({ description: 'The team to create the project in; any member of it may.' }) }).strict().openapi('TeamsProjectCreate');
const ProjectPutBody = z.object({ name: NAME, team: TEAM }).strict().openapi('TeamsProjectPut');
const ProjectPatchBody = z.object({ name: NAME.optional(), team: TEAM.optional() }).strict().openapi('TeamsProjectPatch');

const params = z.object({ PK: numberParam('PK', 'The project’s pk.') });
const projectRef = (c: { req: { valid(t: 'param'): { PK: number } } }) => idOfNumber('project', c.req.valid('param').PK);

export const projectRoutes = createRouter();

projectRoutes.openapi(
  teams.authedRoute({
    method: 'post',
    operationId: 'listProjects',
    path: '/v1/projects/list',
    tags: ['Projects'],
    summary: 'The projects you may see that meet the filter document, in its order',
    description: `The body is optional. At most ${LIST_MAX} projects per answer: \`limit\` and \`offset\` page, and a Link header names the next page while more follow.`,
    request: {
      query: z.object({
        limit: queryInt(1, LIST_MAX).openapi({ description: `Projects per answer (default and most: ${LIST_MAX}).` }),
        offset: queryInt(0).openapi({ description: 'Projects to skip.' }),
      }),
      body: { required: false, content: { 'application/json': { schema: FilterDocument } } },
    },
    responses: { 200: { ...json(z.array(TeamsProjectSchema).max(LIST_MAX), 'The projects.'), headers: LIST_HEADERS } },
  }),
  async (c) => {
    const { limit = LIST_MAX, offset = 0 } = c.req.valid('query');
    const page = await filterProjects(scopeOf(c), toFilter(c.req.valid('json'), { limit, offset }));
    const at = (o: number) => withParams(c.req.url, { limit, offset: o > 0 ? o : null });
    const link = linkHeader({ first: at(0), prev: offset > 0 ? at(Math.max(0, offset - limit)) : null, next: page.more ? at(offset + limit) : null });
    return c.json(page.results.map(teamsListed), 200, { Link: link });
  },
);

projectRoutes.openapi(
  teams.authedRoute({
    method: 'post',
    operationId: 'createProject',
    path: '/v1/projects/create',
    tags: ['Projects'],
    summary: 'Create a project in a team; you become its manager',
    request: { body: jsonBody(ProjectCreateBody) },
    responses: { 201: json(TeamsProjectSchema, 'Created.'), ...teams.errorResponses(404, 409) },
  }),
  async (c) => {
    const { name, team } = c.req.valid('json');
    return c.json(teamsProject(await createProject(scopeOf(c), idOfNumber('organization', team), { name })), 201);
  },
);

projectRoutes.openapi(
  teams.authedRoute({
    method: 'get',
    operationId: 'getProject',
    path: '/v1/projects/{PK}',
    tags: ['Projects'],
    summary: 'A project',
    request: { params },
    responses: { 200: json(TeamsProjectSchema, 'The project.'), ...teams.errorResponses(404) },
  }),
  async (c) => c.json(teamsProject(await getProject(scopeOf(c), projectRef(c))), 200),
);

/** A change of name and of team: naming another team moves the project there (/v1's move, src/projects/move.ts). */
async function update(c: Context<AppEnv>, pk: number, body: { name?: string | undefined; team?: number | undefined }) {
  const changes = { ...(body.name === undefined ? {} : { name: body.name }), ...(body.team === undefined ? {} : { organization: idOfNumber('organization', body.team) }) };
  return c.json(teamsProject(await updateProject(scopeOf(c), idOfNumber('project', pk), changes, undefined)), 200);
}

projectRoutes.openapi(
  teams.authedRoute({
    method: 'put',
    operationId: 'updateProject',
    path: '/v1/projects/{PK}',
    tags: ['Projects'],
    summary: 'Set the name (managers of the project, team admins) and the team: another team moves the project (a superuser, or an admin of both teams)',
    request: { params, body: jsonBody(ProjectPutBody) },
    responses: { 200: json(TeamsProjectSchema, 'The project.'), ...teams.errorResponses(403, 404, 409) },
  }),
  async (c) => update(c, c.req.valid('param').PK, c.req.valid('json')),
);

projectRoutes.openapi(
  teams.authedRoute({
    method: 'patch',
    operationId: 'partialUpdateProject',
    path: '/v1/projects/{PK}',
    tags: ['Projects'],
    summary: 'Change the name (managers of the project, team admins) or the team: another team moves the project (a superuser, or an admin of both teams)',
    request: { params, body: jsonBody(ProjectPatchBody) },
    responses: { 200: json(TeamsProjectSchema, 'The project.'), ...teams.errorResponses(403, 404, 409) },
  }),
  async (c) => update(c, c.req.valid('param').PK, c.req.valid('json')),
);

projectRoutes.openapi(
  teams.authedRoute({
    method: 'delete',
    operationId: 'destroyProject',
    path: '/v1/projects/{PK}',
    tags: ['Projects'],
    summary: 'Move the project to the trash (managers, team admins); reinstate brings it back',
    request: { params },
    responses: { 204: { description: 'In the trash.' }, ...teams.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteProject(scopeOf(c), projectRef(c), false, undefined);
    return c.body(null, 204);
  },
);

projectRoutes.openapi(
  teams.authedRoute({
    method: 'delete',
    operationId: 'hardDeleteProject',
    path: '/v1/projects/{PK}/hard',
    tags: ['Projects'],
    summary: 'Purge the project, in the trash or not, with everything under it (team admins)',
    request: { params },
    responses: { 200: json(TeamsProjectSchema, 'The purged project, as it was.'), ...teams.errorResponses(403, 404, 409) },
  }),
  async (c) => c.json(teamsProject((await deleteProject(scopeOf(c), projectRef(c), true, undefined))!), 200),
);

projectRoutes.openapi(
  teams.authedRoute({
    method: 'delete',
    operationId: 'reinstateProject',
    path: '/v1/projects/{PK}/reinstate',
    tags: ['Projects'],
    summary: 'Take the project out of the trash (team admins)',
    request: { params },
    responses: { 200: json(TeamsProjectSchema, 'The reinstated project.'), ...teams.errorResponses(403, 404, 409) },
  }),
  async (c) => c.json(teamsProject(await restoreProject(scopeOf(c), projectRef(c))), 200),
);
