/**
 * Django REST framework's conventions, for the dialects whose seeds were DRF services (Portal,
 * seed 000; Teams, seed 001): its error bodies and its LimitOffsetPagination envelope.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DEFAULT_LIMIT, MAX_LIMIT, PAGE_LINK, type Page } from '../http/list';
import { offsetLinks, type ListShape } from '../http/list-answer';
import type { Problem } from '../http/problem';
import { COUNT, queryInt } from '../http/schemas';
import type { DialectErrors, ErrorAnswer } from './dialect';

/** DRF's own texts. */
export const DRF = {
  required: 'This field is required.',
  notAuthenticated: 'Authentication credentials were not provided.',
  invalidToken: 'Invalid token.',
  forbidden: 'You do not have permission to perform this action.',
  notFound: 'Not found.',
  badCredentials: 'Unable to log in with provided credentials.',
  serverError: 'A server error occurred.',
};

/** `{"detail": "…"}`: every DRF error but a validation error. */
export const DrfDetail = z.object({ detail: z.string() }).openapi('DrfError', { example: { detail: DRF.notFound } });

/** `{"field": ["message", …]}`: a validation error, `non_field_errors` for what no one field is at fault for. */
export const DrfValidation = z
  .record(z.string(), z.array(z.string()))
  .openapi('DrfValidationError', { example: { name: [DRF.required] } });

const detail = (status: number, text: string, headers?: Record<string, string>): ErrorAnswer => ({ status, body: { detail: text }, ...(headers ? { headers } : {}) });

function validation(p: Problem): ErrorAnswer {
  // Keys are the request's own field names (`constructor`, `__proto__` among them): no prototype.
  const body: Record<string, string[]> = Object.create(null);
  for (const e of p.extra.errors ?? []) {
    // A position in a list is written as a JSON path does (`expressions[0].field`), as seed 001 names faults in its filter document.
    const key = e.path === '(root)' ? 'non_field_errors' : e.path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
    (body[key] ??= []).push(e.kind === 'required' ? DRF.required : e.message);
  }
  if (Object.keys(body).length === 0) body.non_field_errors = [p.detail ?? p.title];
  return { status: 400, body };
}

/**
 * DRF's error answers. `authenticate` is the WWW-Authenticate a 401 carries (`Token` for
 * TokenAuthentication). A route's `errorMessages` replace the 403 and 404 texts.
 */
export function drfErrors(authenticate: string): DialectErrors {
  return {
    schema: (status) => (status === 400 ? DrfValidation : DrfDetail),
    render(p, { messages, method }) {
      switch (p.status) {
        case 400:
          // An id in the path that is not one: DRF's get_object_or_404 answers 404, as for a missing one.
          return p.extra.part === 'path' ? detail(404, messages[404] ?? DRF.notFound) : validation(p);
        case 401:
          // A wrong login or password (sign-in): DRF's obtain-token serializer answers 400.
          if (p.slug === 'invalid-credentials') return { status: 400, body: { non_field_errors: [DRF.badCredentials] } };
          return detail(401, p.extra.credential === 'invalid' ? DRF.invalidToken : DRF.notAuthenticated, { 'WWW-Authenticate': p.extra.challenge ?? authenticate });
        case 403:
          return detail(403, messages[403] ?? DRF.forbidden);
        case 404:
          return detail(404, messages[404] ?? DRF.notFound);
        case 405:
          return detail(405, `Method "${method}" not allowed.`);
        case 409:
          // A taken name is DRF's unique validator: 400 naming the field. Other conflicts (archived) keep 409.
          return p.extra.errors?.length ? validation(p) : detail(409, p.detail ?? p.title);
        case 429:
          return detail(429, `Request was throttled. Expected available in ${p.extra.headers?.['Retry-After'] ?? 'a few'} seconds.`);
        default:
          return p.status >= 500 ? detail(500, DRF.serverError) : detail(p.status, p.detail ?? p.title);
      }
    },
  };
}

/** DRF's LimitOffsetPagination query: `limit` and `offset`. */
export const drfListQuery = z.object({
  limit: queryInt(1, MAX_LIMIT).openapi({ description: `Page size (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}).` }),
  offset: queryInt(0).openapi({ description: 'Rows to skip.' }),
});

/** The envelope schema of a DRF list of `item`. */
export const drfPageSchema = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z
    .object({
      count: COUNT.openapi({ description: 'Rows in the list (all pages).' }),
      next: PAGE_LINK,
      previous: PAGE_LINK,
      results: z.array(item).max(MAX_LIMIT),
    })
    .openapi(name);

export interface DrfPage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/**
 * A page of the app's list as DRF answers it: `{count, next, previous, results}` with `next` and
 * `previous` as absolute limit/offset URLs of this request (inside the dialect's base), rows
 * rendered by `item`. No Link header: DRF sends none.
 */
export function drfPage<Row, T>(c: Context, q: { limit?: number | undefined; offset?: number | undefined }, item: (row: Row) => T): ListShape<Row, DrfPage<T>> {
  return (page: Page<Row>) => {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const links = offsetLinks(c.req.url, { limit, offset: q.offset ?? 0, count: page.count, more: page.next !== null });
    return { body: { count: page.count, next: links.next ?? null, previous: links.prev ?? null, results: page.results.map(item) } };
  };
}
