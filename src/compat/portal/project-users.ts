/**
 * A project's users (seed 000): `/project_management/projects/:project_id/users/`. Listing,
 * creating an account in the project, adding an existing account, removing one from the project
 * (`?remove=true`) or deleting the account: /v1's project member and user services, their rules.
 */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { listJson } from '../../http/list-answer';
import { createRouter } from '../../http/router';
import { json, jsonBody, queryBool } from '../../http/schemas';
import { addProjectMember, createProjectAccount, deleteProjectMemberAccount, listProjectMembers, removeProjectMember } from '../../projects/members';
import { EMAIL, INVITATION_FIELD, invitationHeaders, USERNAME, withInvitation } from '../../users/schemas';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { numberParam } from '../values';
import { portal } from './dialect';
import { portalUser, PortalUserSchema } from './render';

const projectParams = z.object({ project_id: numberParam('project_id', 'The project’s id.') });
const userParams = projectParams.extend({ user_id: numberParam('user_id', 'The user’s id.') });

const ProjectUserCreateBody = z.object({ username: USERNAME, email: EMAIL }).strict().openapi('ProjectUserCreate');
const NewPortalUserSchema = PortalUserSchema.extend({ invitation: INVITATION_FIELD }).openapi('NewPortalUser');

const USERS = '/project_management/projects/{project_id}/users/';
const USER = '/project_management/projects/{project_id}/users/{user_id}/';

export const projectUserRoutes = createRouter();

projectUserRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listProjectUsers',
    path: USERS,
    tags: ['Project users'],
    summary: 'The users of a project, by username',
    request: { params: projectParams, query: drfListQuery },
    responses: { 200: json(drfPageSchema(PortalUserSchema, 'PortalUserList'), 'A page of users.'), ...portal.errorResponses(404) },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const page = await listProjectMembers(scopeOf(c), idOfNumber('project', c.req.valid('param').project_id), q, c.req.url);
    return listJson(c, page, drfPage(c, q, (m) => portalUser(m.user)));
  },
);

projectUserRoutes.openapi(
  portal.authedRoute({
    method: 'post',
    operationId: 'createProjectUser',
    path: USERS,
    tags: ['Project users'],
    summary: 'Create a new account in the project (and its company) as a viewer (company admins)',
    description: 'The account has no password yet: the answer carries its invitation, with which the person sets one (as /v1’s).',
    request: { params: projectParams, body: jsonBody(ProjectUserCreateBody) },
    responses: { 201: json(NewPortalUserSchema, 'Created.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { member, invitation } = await createProjectAccount(scopeOf(c), idOfNumber('project', c.req.valid('param').project_id), { ...c.req.valid('json'), role: 'viewer' });
    return c.json(withInvitation(portalUser(member.user), invitation), 201, invitationHeaders(invitation));
  },
);

projectUserRoutes.openapi(
  portal.authedRoute({
    method: 'patch',
    operationId: 'addProjectUser',
    path: USER,
    tags: ['Project users'],
    summary: 'Add an existing account to the project as a viewer (managers, company admins)',
    request: { params: userParams },
    responses: { 200: json(PortalUserSchema, 'Added.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { project_id, user_id } = c.req.valid('param');
    const member = await addProjectMember(scopeOf(c), idOfNumber('project', project_id), { user: idOfNumber('user', user_id), role: 'viewer' });
    return c.json(portalUser(member.user), 200);
  },
);

projectUserRoutes.openapi(
  portal.authedRoute({
    method: 'delete',
    operationId: 'removeOrDeleteProjectUser',
    path: USER,
    tags: ['Project users'],
    summary: 'With ?remove=true, remove the user from the project; without, delete the account',
    description:
      'Removing: managers and company admins (a member may leave). Deleting the account of a user of the project follows /v1’s rule (DELETE /v1/users/{user}): a superuser, or an admin of the company that created it while it belongs to no other company.',
    request: { params: userParams, query: z.object({ remove: queryBool.openapi({ description: 'true: only remove from the project.' }) }) },
    responses: { 204: { description: 'Removed, or deleted.' }, ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { project_id, user_id } = c.req.valid('param');
    const [project, user] = [idOfNumber('project', project_id), idOfNumber('user', user_id)];
    if (c.req.valid('query').remove) await removeProjectMember(scopeOf(c), project, user);
    else await deleteProjectMemberAccount(scopeOf(c), project, user);
    return c.body(null, 204);
  },
);
