/**
 * `/token-auth/`: a token for a username (or email) and password, as DRF's obtain_auth_token
 * answers it, `{"token": "…"}`. POST takes JSON or a form; GET (the seed's method) takes HTTP
 * Basic. Both are /v1's sign-in: the same lockout, a new session token each time. A wrong login
 * or password answers DRF's 400 `non_field_errors`.
 */
import { requestDb } from '../../http/context';
import { z } from '@hono/zod-openapi';
import { SessionSchema } from '../../auth/schemas';
import { signIn } from '../../auth/service';
import { settings } from '../../env';
import { Problem } from '../../http/problem';
import { createRouter } from '../../http/router';
import { json } from '../../http/schemas';
import { readUpload } from '../../storage/file-http';
import { portal } from './dialect';

const TokenAuthBody = z
  .object({
    username: z.string().trim().min(1).max(254).openapi({ description: 'Username or email.' }),
    password: z.string().min(1).max(256),
  })
  .strict();

const FORM = {
  type: 'object' as const,
  required: ['username', 'password'],
  properties: {
    username: { type: 'string' as const, minLength: 1, maxLength: 254, description: 'Username or email.' },
    password: { type: 'string' as const, format: 'password', minLength: 1, maxLength: 256 },
  },
};

const TokenSchema = z.object({ token: SessionSchema.shape.token.openapi({ description: 'Send as `Authorization: Token <token>`.' }) }).openapi('Token');
const TOKEN_OK = json(TokenSchema, 'A new token.');

const LOCKOUT = 'After too many failed attempts (4 by default) the account is locked for a while (5 minutes by default): every attempt then answers 429 with Retry-After, as /v1’s sign-in does.';

export const authRoutes = createRouter();

async function answerToken(c: Parameters<Parameters<typeof authRoutes.openapi>[1]>[0], login: string, password: string) {
  const session = await signIn(requestDb(c), settings(c.env), { login, password }, Date.now());
  return c.json({ token: session.token }, 200, { 'Cache-Control': 'no-store' });
}

authRoutes.openapi(
  portal.publicRoute({
    method: 'post',
    operationId: 'obtainToken',
    path: '/token-auth/',
    tags: ['Auth'],
    summary: 'A token for a username (or email) and password',
    description: `JSON, a urlencoded form or multipart/form-data with \`username\` and \`password\`. A wrong one answers 400 \`{"non_field_errors": ["Unable to log in with provided credentials."]}\`. ${LOCKOUT}`,
    request: {
      body: {
        required: true,
        // Plain schemas, not zod: readUpload reads each form alike (a zod JSON schema would have the
        // framework validate every request as JSON, forms included).
        content: { 'application/json': { schema: { ...FORM, additionalProperties: false } }, 'application/x-www-form-urlencoded': { schema: FORM }, 'multipart/form-data': { schema: FORM } },
      },
    },
    responses: { 200: TOKEN_OK, ...portal.errorResponses(429) },
  }),
  async (c) => {
    const { input } = await readUpload(c, { fields: { username: 'text', password: 'text' }, schema: TokenAuthBody, json: true, urlencoded: true });
    return answerToken(c, input.username, input.password);
  },
);

/** `Authorization: Basic base64(username:password)`, or null. */
function basicCredentials(header: string | undefined): { login: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  if (!m) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(m[1]!), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = text.indexOf(':');
  if (colon < 1 || text.length - colon - 1 < 1 || colon > 254 || text.length - colon - 1 > 256) return null;
  return { login: text.slice(0, colon), password: text.slice(colon + 1) };
}

authRoutes.openapi(
  portal.publicRoute({
    method: 'get',
    operationId: 'obtainTokenBasic',
    path: '/token-auth/',
    tags: ['Auth'],
    summary: 'A token for HTTP Basic credentials (the seed’s GET /token-auth/)',
    description: `The same as POST, with the username (or email) and password as HTTP Basic. Without them (or malformed), 401 with \`WWW-Authenticate: Basic\`. ${LOCKOUT}`,
    security: [{ basic: [] }],
    responses: { 200: TOKEN_OK, ...portal.errorResponses(401, 429) },
  }),
  async (c) => {
    const basic = basicCredentials(c.req.header('Authorization'));
    if (!basic) {
      throw new Problem(401, 'unauthenticated', 'Authentication required', 'Send the username and password with HTTP Basic.', {
        credential: 'missing',
        challenge: 'Basic realm="api", charset="UTF-8"',
        headers: { 'WWW-Authenticate': 'Basic realm="api", charset="UTF-8"' },
      });
    }
    return answerToken(c, basic.login, basic.password);
  },
);
