import { z } from '@hono/zod-openapi';
import { scopeOf } from '../auth/caller';
import { entityJson, etagOf } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema, searchParam } from '../http/list';
import { authedRoute, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam, queryBool } from '../http/schemas';
import { invitationHeaders, NewUserSchema, UserCreateBody, UserPatchBody, UserProfileSchema, UserSchema, withInvitation } from './schemas';
import * as users from './service';
import { listJson } from '../http/list-answer';

const userParam = z.object({ user: pathParam('user', 'User id, username or email.', 'kieran') });

export const userRoutes = createRouter();

userRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listUsers',
    path: '/v1/users',
    tags: ['Users'],
    summary: 'Users you share an organisation with',
    request: {
      query: listQuerySchema(users.userListSpec).extend({
        search: searchParam('Matches username, email and name.'),
        organization: z.string().max(254).optional().openapi({ description: 'Only members of this organisation (slug or id).' }),
        is_active: queryBool,
      }),
    },
    responses: {
      200: { ...json(listEnvelope(UserSchema, 'UserList'), 'A page of users.'), headers: LIST_HEADERS },
      ...errorResponses(400),
    },
  }),
  async (c) => {
    return listJson(c, await users.listUsers(scopeOf(c), c.req.valid('query'), c.req.url));
  },
);

userRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createUser',
    path: '/v1/users',
    tags: ['Users'],
    summary: 'Create an account (superuser, or admin of the organisation)',
    request: { body: jsonBody(UserCreateBody) },
    responses: {
      201: { ...json(NewUserSchema, 'Created; without a password, with its invitation.'), headers: ETAG_HEADER },
      ...errorResponses(400, 403, 404, 409),
    },
  }),
  async (c) => {
    const { profile, invitation } = await users.createUser(scopeOf(c), c.req.valid('json'));
    // The ETag is the profile's, as GET answers it; the invitation is shown this once.
    const headers = { Location: `/v1/users/${profile.id}`, ETag: await etagOf(profile), 'Cache-Control': 'private, no-cache', ...invitationHeaders(invitation) };
    return c.json(withInvitation(profile, invitation), 201, headers);
  },
);

userRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getUser',
    path: '/v1/users/{user}',
    tags: ['Users'],
    summary: 'A user profile (visible to those who share an organisation)',
    request: { params: userParam },
    responses: {
      200: { ...json(UserProfileSchema, 'The user.'), headers: ETAG_HEADER },
      ...errorResponses(404),
    },
  }),
  async (c) => entityJson(c, await users.getUser(scopeOf(c), c.req.valid('param').user)),
);

userRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateUser',
    path: '/v1/users/{user}',
    tags: ['Users'],
    summary: 'Change an account, deactivate or reactivate it (superuser)',
    description:
      'A new `password` ends every session and personal token of the account (but the token of this request, when it is your own account), its pending invitations and its failed sign-in count.',
    request: { params: userParam, body: jsonBody(UserPatchBody) },
    parameters: [IF_MATCH],
    responses: {
      200: { ...json(UserProfileSchema, 'Updated.'), headers: ETAG_HEADER },
      ...errorResponses(400, 403, 404, 409),
    },
  }),
  async (c) =>
    entityJson(c, await users.updateUser(scopeOf(c), c.req.valid('param').user, c.req.valid('json'), c.req.header('If-Match'))),
);

userRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteUser',
    path: '/v1/users/{user}',
    tags: ['Users'],
    summary: 'Delete an account (superuser, or an admin of the organisation that created it)',
    description:
      'A superuser may delete any account but their own. An org admin may delete an account that an organisation they administer created (through POST /v1/users with `organization`, POST /v1/organizations/{org}/users or POST /v1/projects/{project}/users), while it belongs to no other organisation and is not a superuser. Adding an existing account to your organisation does not make it yours to delete. Anyone else who can see the account gets 403. Its tokens, memberships and invitations go with it.',
    request: { params: userParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await users.deleteUser(scopeOf(c), c.req.valid('param').user, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);
