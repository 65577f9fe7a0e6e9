/**
 * Sign in and out (seed 003): `POST /api/v1/sign_in` is /v1's sign-in (the same lockout: after 4
 * failed attempts the account is locked for 5 minutes, 429 with Retry-After); `DELETE
 * /api/v1/sign_out` revokes the token presented.
 */
import { requestDb } from '../../http/context';
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { signIn, signOut } from '../../auth/service';
import { settings } from '../../env';
import { createRouter } from '../../http/router';
import { json } from '../../http/schemas';
import { readUpload } from '../../storage/file-http';
import { EMAIL_OUT } from '../../users/schemas';
import { jsend, transam } from './dialect';

const SignInBody = z
  .object({
    email: z.string().trim().min(1).max(254).openapi({ description: 'The email (or username).' }),
    password: z.string().min(1).max(256),
  })
  .strict();

const FORM = {
  type: 'object' as const,
  required: ['email', 'password'],
  properties: {
    email: { type: 'string' as const, minLength: 1, maxLength: 254, description: 'The email (or username).' },
    password: { type: 'string' as const, format: 'password', minLength: 1, maxLength: 256 },
  },
};

const SessionSchema = z
  .object({
    name: z.string().max(200),
    email: EMAIL_OUT,
    authentication_token: z.string().max(200).openapi({ description: 'Send it as X-User-Token, with X-User-Email.' }),
    failed_attempts: z.number().int().min(0).max(1000).openapi({ format: 'int32', description: 'Failed attempts since the last success: 0 after a sign-in.' }),
  })
  .openapi('Session');

const SignedIn = jsend(z.object({ message: z.string().max(100), session: SessionSchema }), 'SignedIn');
const SignedOut = jsend(z.object({ message: z.string().max(300) }), 'SignedOut');

export const sessionRoutes = createRouter();

sessionRoutes.openapi(
  transam.publicRoute({
    method: 'post',
    operationId: 'signIn',
    path: '/api/v1/sign_in',
    tags: ['Sessions'],
    summary: 'A new token for an email and password',
    description:
      'JSON, a urlencoded form or multipart/form-data with `email` and `password`. A wrong one answers 401 fail. After 4 failed attempts the account is locked for 5 minutes (by default): every attempt then answers 429 fail with Retry-After.',
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: { ...FORM, additionalProperties: false } }, 'application/x-www-form-urlencoded': { schema: FORM }, 'multipart/form-data': { schema: FORM } },
      },
    },
    responses: { 200: json(SignedIn, 'Signed in.'), ...transam.errorResponses(401, 429) },
  }),
  async (c) => {
    const { input } = await readUpload(c, { fields: { email: 'text', password: 'text' }, schema: SignInBody, json: true, urlencoded: true });
    const session = await signIn(requestDb(c), settings(c.env), { login: input.email, password: input.password }, Date.now());
    const data = {
      message: 'User Signed In Successfully',
      // A successful sign-in clears the account's failed attempts (lockout.ts), as Devise does.
      session: { name: session.user.name, email: session.user.email, authentication_token: session.token, failed_attempts: 0 },
    };
    return c.json({ status: 'success' as const, data }, 200, { 'Cache-Control': 'no-store' });
  },
);

sessionRoutes.openapi(
  transam.authedRoute({
    method: 'delete',
    operationId: 'signOut',
    path: '/api/v1/sign_out',
    tags: ['Sessions'],
    summary: 'Revoke the token presented',
    responses: { 200: json(SignedOut, 'Signed out: the token no longer works.') },
  }),
  async (c) => {
    const caller = await signOut(scopeOf(c));
    return c.json({ status: 'success' as const, data: { message: `User ${caller.email} successfully signed out.` } }, 200);
  },
);
