/**
 * A project's users (seed 002): listing (who may follows /v1), adding an existing account by
 * username, removing one: /v1's project member services, their rules, the seed's 403 texts.
 */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { listJson } from '../../http/list-answer';
import { createRouter } from '../../http/router';
import { json, jsonBody, queryInt } from '../../http/schemas';
import { addProjectMember, listProjectMembers, removeProjectMember } from '../../projects/members';
import { USERNAME } from '../../users/schemas';
import { cadasta } from './dialect';
import { arrayOk, arrayPage, PAGE_SIZE, PAGE_SIZE_MAX } from './list';
import { projectOf, projectParams } from './params';
import { CadastaUserSchema, user } from './render';

const userParams = projectParams.extend({
  username: z.string().min(1).max(254).openapi({ param: { name: 'username', in: 'path' }, description: 'The user’s username.', example: 'd_john' }),
});

const pageQuery = z.object({
  page: queryInt(1).openapi({ description: 'Page number, from 1.' }),
  page_size: queryInt(1, PAGE_SIZE_MAX).openapi({ description: `Rows per page (default ${PAGE_SIZE}, at most ${PAGE_SIZE_MAX}).` }),
});

const AddBody = z.object({ username: USERNAME }).strict().openapi('CadastaProjectUserAdd');

const USERS = '/organizations/{organization_slug}/projects/{project_slug}/users/';
const NOT_FOUND = 'Project does not exist';

export const projectUserRoutes = createRouter();

projectUserRoutes.openapi(
  cadasta.authedRoute({
    method: 'get',
    operationId: 'listProjectUsers',
    path: USERS,
    tags: ['Project users'],
    summary: 'The users of a project, by username',
    request: { params: projectParams, query: pageQuery },
    errorMessages: { 403: 'You are not allowed to access users of this project.', 404: NOT_FOUND },
    responses: { 200: arrayOk(CadastaUserSchema, 'CadastaUserList', 'A page of users.'), ...cadasta.errorResponses(404) },
  }),
  async (c) => {
    const { page = 1, page_size = PAGE_SIZE } = c.req.valid('query');
    const q = { page, page_size };
    const members = await listProjectMembers(scopeOf(c), projectOf(c.req.valid('param')), q, c.req.url);
    return listJson(c, members, arrayPage(c, q, (m) => user(m.user)));
  },
);

projectUserRoutes.openapi(
  cadasta.authedRoute({
    method: 'post',
    operationId: 'addProjectUser',
    path: USERS,
    tags: ['Project users'],
    summary: 'Add an existing account to the project as a viewer (managers, org admins)',
    request: { params: projectParams, body: jsonBody(AddBody) },
    errorMessages: { 403: 'You are not allowed to add users to the project.', 404: NOT_FOUND },
    responses: { 201: json(CadastaUserSchema, 'Added.'), ...cadasta.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const member = await addProjectMember(scopeOf(c), projectOf(c.req.valid('param')), { user: c.req.valid('json').username, role: 'viewer' });
    return c.json(user(member.user), 201);
  },
);

projectUserRoutes.openapi(
  cadasta.authedRoute({
    method: 'delete',
    operationId: 'removeProjectUser',
    path: `${USERS}{username}/`,
    tags: ['Project users'],
    summary: 'Remove a user from the project (managers, org admins; a user may leave)',
    request: { params: userParams },
    errorMessages: { 403: 'You are not allowed to remove users from the project.', 404: NOT_FOUND },
    responses: { 204: { description: 'Removed.' }, ...cadasta.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const p = c.req.valid('param');
    await removeProjectMember(scopeOf(c), projectOf(p), p.username);
    return c.body(null, 204);
  },
);
