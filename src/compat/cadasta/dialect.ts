/**
 * The Cadasta dialect (seeds 002 and 004): organisations and projects by slug, bare JSON arrays
 * paged with `page`/`page_size` and a Link header, and the seeds' error bodies:
 * `{"<field>": "message"}` for invalid input, `{"error": "…"}` for everything else.
 */
import { z } from '@hono/zod-openapi';
import type { Problem } from '../../http/problem';
import { credentialForms, defineDialect, type DialectErrors, type ErrorAnswer } from '../dialect';

/** The seeds' own texts (without a full stop where they write none). */
export const CADASTA = {
  required: 'This field is required',
  signIn: 'Please sign in.',
  forbidden: 'You are not allowed to do this.',
  serverError: 'Something went wrong on our side.',
};

export const CadastaError = z
  .object({ error: z.string().max(1000) })
  .openapi('CadastaError', { example: { error: 'Project does not exist' } });

/** `{"field": "message"}`: one message per field the request got wrong (`error` for the request as a whole). */
export const CadastaValidation = z
  .record(z.string(), z.string())
  .openapi('CadastaValidationError', { example: { name: CADASTA.required } });

const error = (status: number, text: string, headers?: Record<string, string>): ErrorAnswer => ({ status, body: { error: text }, ...(headers ? { headers } : {}) });

/** A service's "X does not exist." is the seeds' "X does not exist". */
const seedText = (text: string) => text.replace(/\.$/, '');

function validation(p: Problem): ErrorAnswer {
  // Keys are the request's own field names (`__proto__` among them): no prototype.
  const body: Record<string, string> = Object.create(null);
  for (const e of p.extra.errors ?? []) {
    const key = e.path === '(root)' ? 'error' : e.path;
    body[key] ??= e.kind === 'required' ? CADASTA.required : e.message;
  }
  if (Object.keys(body).length === 0) body.error = p.detail ?? p.title;
  return { status: 400, body };
}

const cadastaErrors: DialectErrors = {
  schema: (status) => (status === 400 ? CadastaValidation : CadastaError),
  render(p, { messages }) {
    switch (p.status) {
      case 400:
        return validation(p);
      case 401:
        return error(401, CADASTA.signIn, { 'WWW-Authenticate': p.extra.challenge ?? 'Token' });
      case 403:
        return error(403, messages[403] ?? CADASTA.forbidden);
      case 404:
        // The entity the service could not find (the project of a path, the resource): hidden or missing alike.
        return error(404, seedText(p.detail ?? messages[404] ?? 'Not found'));
      default:
        return p.status >= 500 ? error(500, CADASTA.serverError) : error(p.status, seedText(p.detail ?? p.title));
    }
  },
};

export const cadasta = defineDialect({
  name: 'cadasta',
  title: 'Cadasta API (seeds 002 and 004)',
  description:
    'Seeds 002 (projects) and 004 (resources) as their clients call them: organisations and projects addressed by slug, lists as bare JSON arrays paged with `page`/`page_size` and a `Link` header (first, prev, next, last), `search` and `ordering`, multipart forms, and the seeds’ errors (`{"field": "This field is required"}`, `{"error": "Please sign in."}`, `{"error": "Project does not exist"}`: a project or resource you may not see answers exactly as a missing one). Send `Authorization: Token <token>` (a token from /v1’s sign-in or any dialect’s); `Bearer` and the X-User-Email + X-User-Token pair work too. The same accounts, rules and data as /v1.',
  tags: [
    { name: 'Projects', description: 'The projects of an organisation (seed 002).' },
    { name: 'Project users', description: 'The users of a project (seed 002).' },
    { name: 'Resources', description: 'Files attached to organisations and projects (seed 004).' },
  ],
  ...credentialForms('token', '`Authorization: Token <token>`.'),
  errors: cadastaErrors,
});
