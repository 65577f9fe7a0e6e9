/**
 * The TransAM dialect (seed 003): TransAM API v1 under /compat/transam. JSend on every answer
 * (`{"status": "success", "data"}`, `{"status": "fail", "data": {<field>: <message>}}` for a
 * client's mistake with /v1's status, `{"status": "error", "message"}` for a fault of ours),
 * X-User-Email + X-User-Token authentication, integer ids for users and organisations,
 * `object_key` (the /v1 id) for assets and documents.
 */
import { z } from '@hono/zod-openapi';
import type { Problem } from '../../http/problem';
import { credentialForms, defineDialect, type DialectErrors, type ErrorAnswer } from '../dialect';

/** The texts TransAM (Devise, Rails) answers with. */
export const TEXT = {
  unauthenticated: 'You need to sign in or sign up before continuing.',
  invalidToken: 'Invalid email or authentication token.',
  badCredentials: 'Invalid email or password.',
  notFound: 'Not found.',
  required: 'is required',
  serverError: 'Internal server error.',
  locked: (seconds: string) => `Your account is locked. Try again in ${seconds} seconds.`,
};

/** `{"status": "success", "data": …}` around `data`. */
export const jsend = <T extends z.ZodTypeAny>(data: T, name: string) =>
  z.object({ status: z.literal('success'), data }).openapi(name);

export const JSendFail = z
  .object({
    status: z.literal('fail'),
    data: z
      .record(z.string(), z.string())
      .openapi({ description: 'A message per field at fault, or `message` when no one field is.' }),
  })
  .openapi('JSendFail', { example: { status: 'fail', data: { email: TEXT.required } } });

export const JSendError = z
  .object({ status: z.literal('error'), message: z.string().max(200) })
  .openapi('JSendError', { example: { status: 'error', message: TEXT.serverError } });

const fail = (status: number, data: Record<string, string>, headers?: Record<string, string>): ErrorAnswer => ({
  status,
  body: { status: 'fail', data },
  ...(headers ? { headers } : {}),
});
const message = (status: number, text: string, headers?: Record<string, string>) => fail(status, { message: text }, headers);

function fieldFail(p: Problem, status = 400): ErrorAnswer {
  // Keys are the request's own field names (`__proto__` among them): no prototype.
  const data: Record<string, string> = Object.create(null);
  for (const e of p.extra.errors ?? []) {
    const key = e.path === '(root)' ? 'message' : e.path;
    const text = e.kind === 'required' ? TEXT.required : e.message;
    data[key] = data[key] ? `${data[key]} ${text}` : text;
  }
  if (Object.keys(data).length === 0) data.message = p.detail ?? p.title;
  return fail(status, data);
}

const jsendErrors: DialectErrors = {
  schema: (status) => (status >= 500 ? JSendError : JSendFail),
  render(p, { messages }) {
    switch (p.status) {
      case 400:
        // An id in the path that is not one names no entity: 404, as a missing one.
        return p.extra.part === 'path' ? message(404, messages[404] ?? TEXT.notFound) : fieldFail(p);
      case 401:
        if (p.slug === 'invalid-credentials') return message(401, TEXT.badCredentials);
        return message(401, p.extra.credential === 'invalid' ? TEXT.invalidToken : TEXT.unauthenticated);
      case 403:
        return message(403, messages[403] ?? p.detail ?? p.title);
      case 404:
        return message(404, messages[404] ?? TEXT.notFound);
      case 409:
        return p.extra.errors?.length ? fieldFail(p, 409) : message(409, p.detail ?? p.title);
      case 429:
        return message(429, TEXT.locked(p.extra.headers?.['Retry-After'] ?? 'a few'));
      default:
        return p.status >= 500 ? { status: 500, body: { status: 'error', message: TEXT.serverError } } : message(p.status, p.detail ?? p.title);
    }
  },
};

export const transam = defineDialect({
  name: 'transam',
  title: 'TransAM API v1 (seed 003)',
  description:
    'Seed 003’s TransAM API v1 as its clients call it: JSend bodies (`{"status": "success", "data"}`; `{"status": "fail", "data": {<field>: <message>}}` for a request’s mistake, with the HTTP status /v1 gives it; `{"status": "error", "message"}` for a fault of ours), integer ids for users and organisations, `object_key` for assets and documents, `page`/`page_size` lists with `Link`, `Total` and `Per-Page`. Sign in with `POST /api/v1/sign_in` and send `X-User-Email` + `X-User-Token`; `Authorization: Bearer` or `Token` work too. The same accounts, rules and data as /v1.',
  tags: [
    { name: 'Sessions', description: 'Signing in and out.' },
    { name: 'Users', description: 'Profiles and the users of an organisation.' },
    { name: 'Organizations', description: 'Organisations you belong to.' },
    { name: 'Assets', description: 'Assets you may see.' },
    { name: 'Documents', description: 'Documents of assets, organisations, projects and reports (/v1’s resources).' },
  ],
  ...credentialForms('userPair'),
  errors: jsendErrors,
  exposeHeaders: ['Total', 'Per-Page'],
});
