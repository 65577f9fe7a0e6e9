/**
 * Users (seed 003): a profile by email, and the users of an organisation. The seed sends `email`
 * and `organization_id` in a JSON body on GET: each is read from the body or the query (the
 * query's when both name it: readUpload).
 */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { listJson } from '../../http/list-answer';
import { createRouter } from '../../http/router';
import { json } from '../../http/schemas';
import { readUpload } from '../../storage/file-http';
import { getUser, listOrganizationUsers } from '../../users/service';
import { numberInput } from '../values';
import { jsend, transam } from './dialect';
import { LIST_HEADERS, servicePage, transamListQuery, transamPage } from './list';
import { organization, OrganizationSchema, UserBriefSchema, userBrief, UserProfileSchema } from './render';

const EMAIL = z.string().trim().min(1).max(254).openapi({ description: 'The user’s email (or username). Also taken from a JSON body; given in both, the query’s.' });
const ORGANIZATION_ID = numberInput().openapi({ description: 'The organisation’s id. Also taken from a JSON body; given in both, the query’s.' });

const ProfileOk = jsend(z.object({ user: UserProfileSchema }), 'UserProfileAnswer');
const UsersOk = jsend(z.object({ organization: OrganizationSchema, users: z.array(UserBriefSchema).max(100) }), 'UserList');

export const userRoutes = createRouter();

userRoutes.openapi(
  transam.authedRoute({
    method: 'get',
    operationId: 'getUserProfile',
    path: '/api/v1/users/profile',
    tags: ['Users'],
    summary: 'A user’s profile by email (404 for one you may not see, as for a missing one)',
    request: { query: z.object({ email: EMAIL.optional() }) },
    // The seed's JSON body on GET: held to the JSON limit, and JSON only.
    responses: { 200: json(ProfileOk, 'The user.'), ...transam.errorResponses(404, 413, 415) },
  }),
  async (c) => {
    const { input } = await readUpload(c, { fields: { email: 'text' }, schema: z.object({ email: EMAIL }).strict(), json: true });
    const user = await getUser(scopeOf(c), input.email);
    const first = user.organizations[0];
    return c.json({ status: 'success' as const, data: { user: { ...userBrief(user), organization: first ? organization(first) : null } } }, 200);
  },
);

userRoutes.openapi(
  transam.authedRoute({
    method: 'get',
    operationId: 'listUsers',
    path: '/api/v1/users',
    tags: ['Users'],
    summary: 'The users of an organisation you belong to, by username',
    request: { query: transamListQuery.extend({ organization_id: ORGANIZATION_ID.optional() }) },
    responses: { 200: { ...json(UsersOk, 'The organisation and a page of its users.'), headers: LIST_HEADERS }, ...transam.errorResponses(404, 413, 415) },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const { input } = await readUpload(c, { fields: { organization_id: 'text' }, schema: z.object({ organization_id: ORGANIZATION_ID }).strict(), json: true });
    const { organization: org, page } = await listOrganizationUsers(scopeOf(c), idOfNumber('organization', input.organization_id), servicePage(q), c.req.url);
    const data = (rows: (typeof page.results)[number][]) => ({
      organization: organization({ number: org.number!, name: org.name, short_name: org.shortName }),
      users: rows.map(userBrief),
    });
    return listJson(c, page, transamPage(c, q, data));
  },
);
