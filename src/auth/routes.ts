import { requestDb } from '../http/context';
import { z } from '@hono/zod-openapi';
import { settings } from '../env';
import { entityJson } from '../http/etag';
import { authedRoute, ETAG_HEADER, IF_MATCH, publicRoute } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam } from '../http/schemas';
import { scopeOf } from './caller';
import { AcceptInvitationBody, MePatchBody, MeSchema, NewTokenSchema, SessionSchema, SignInBody, TokenCreateBody, TokenSchema } from './schemas';
import { acceptInvitation } from './invitations';
import * as auth from './service';

export const authRoutes = createRouter();

authRoutes.openapi(
  publicRoute({
    method: 'post',
    operationId: 'signIn',
    path: '/v1/auth/sign-in',
    tags: ['Auth'],
    summary: 'Sign in with email or username and password',
    description:
      'Answers a new session token. After too many failed attempts (4 by default) the account is locked for a while (5 minutes by default): every attempt then answers 429 with Retry-After, even with the right password. Failures are counted per account (whichever login names it, and wrong `current_password`s on PATCH /v1/me) and, for a login that names no account, per login string, with the same limit, lock and answers: an unknown login and a wrong password answer alike, attempt after attempt. A count is forgotten a day after its last failure.',
    request: { body: jsonBody(SignInBody) },
    responses: {
      200: json(SessionSchema, 'Signed in.'),
      ...errorResponses(400, 401, 429),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const login = (body.login ?? body.email ?? body.username)!;
    const session = await auth.signIn(requestDb(c), settings(c.env), { login, password: body.password }, Date.now());
    return c.json(session, 200, { 'Cache-Control': 'no-store' });
  },
);

authRoutes.openapi(
  publicRoute({
    method: 'post',
    operationId: 'acceptInvitation',
    path: '/v1/auth/accept-invitation',
    tags: ['Auth'],
    summary: 'Set the password of an invited account and sign in',
    description:
      'For an account made without a password: its invitation (returned once to whoever made the account) and a password. Answers a new session token, as sign-in does. The invitation is single-use and expires (after 7 days by default); an unknown, used or expired one answers 400 naming `token`, all alike. Setting the password ends every other session of the account.',
    request: { body: jsonBody(AcceptInvitationBody) },
    responses: {
      200: json(SessionSchema, 'Password set; signed in.'),
      ...errorResponses(400),
    },
  }),
  async (c) => {
    const session = await acceptInvitation(requestDb(c), settings(c.env), c.req.valid('json'), Date.now());
    return c.json(session, 200, { 'Cache-Control': 'no-store' });
  },
);

authRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'signOut',
    path: '/v1/auth/sign-out',
    tags: ['Auth'],
    summary: 'Revoke the token of this request',
    responses: { 204: { description: 'Signed out.' } },
  }),
  async (c) => {
    await auth.signOut(scopeOf(c));
    return c.body(null, 204);
  },
);

authRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getMe',
    path: '/v1/me',
    tags: ['Me'],
    summary: 'The signed-in user and their organisations',
    responses: { 200: { ...json(MeSchema, 'The caller.'), headers: ETAG_HEADER } },
  }),
  async (c) => entityJson(c, await auth.getMe(scopeOf(c))),
);

authRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateMe',
    path: '/v1/me',
    tags: ['Me'],
    summary: 'Change name, email, username or password',
    description:
      'Changing email, username or password needs `current_password`, which is checked whenever it is sent. A wrong one counts as a failed sign-in: after too many (4 by default) the account is locked, and this answers 429 with Retry-After, as sign-in does. A new password revokes every other token of the account, sessions and personal tokens, and keeps the one of this request.',
    request: { body: jsonBody(MePatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(MeSchema, 'Updated.'), headers: ETAG_HEADER }, ...errorResponses(400, 409, 429) },
  }),
  async (c) => entityJson(c, await auth.updateMe(scopeOf(c), c.req.valid('json'), c.req.header('If-Match'))),
);

authRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listMyTokens',
    path: '/v1/me/tokens',
    tags: ['Me'],
    summary: 'Your live tokens (sessions and personal tokens)',
    responses: { 200: json(z.object({ results: z.array(TokenSchema).max(500) }).openapi('TokenList'), 'Live tokens, newest first (500 at most).') },
  }),
  async (c) => c.json({ results: await auth.listTokens(scopeOf(c)) }, 200),
);

authRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createMyToken',
    path: '/v1/me/tokens',
    tags: ['Me'],
    summary: 'Create a personal token (its secret is shown once)',
    request: { body: jsonBody(TokenCreateBody) },
    responses: { 201: json(NewTokenSchema, 'Created.'), ...errorResponses(400) },
  }),
  async (c) => c.json(await auth.createToken(scopeOf(c), c.req.valid('json')), 201, { 'Cache-Control': 'no-store' }),
);

authRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'revokeMyToken',
    path: '/v1/me/tokens/{token}',
    tags: ['Me'],
    summary: 'Revoke one of your tokens',
    request: { params: z.object({ token: pathParam('token', 'Token id (tok_…).') }) },
    responses: { 204: { description: 'Revoked.' }, ...errorResponses(404) },
  }),
  async (c) => {
    await auth.revokeToken(scopeOf(c), c.req.valid('param').token);
    return c.body(null, 204);
  },
);
