/**
 * RFC 9457 problem details: the one error shape of the API. Services throw `Problem`s; the
 * app's error handler renders them (and anything else, as an opaque 500).
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './context';

export const PROBLEM_TYPE_BASE = 'https://fieldbase.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  path: string;
  message: string;
  /**
   * What is wrong, where a dialect words it its own way (DRF: "This field is required."): a value
   * that is missing, or a key the request may not send. Not rendered in problem+json.
   */
  kind?: 'required' | 'unknown';
}

/** The part of the request a 400 is about: a dialect may answer a bad path parameter as a missing entity. */
export type RequestPart = 'path' | 'query' | 'header' | 'body' | 'cookie';

export interface ProblemExtra {
  errors?: FieldError[];
  headers?: Record<string, string>;
  part?: RequestPart;
  /** For 401: no credential was sent, or the one sent is not valid (malformed, unknown, expired, revoked). */
  credential?: 'missing' | 'invalid';
  /** For 401: the WWW-Authenticate to send where it is not the API's token schemes (HTTP Basic on a sign-in). */
  challenge?: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: ProblemExtra = {},
  ) {
    super(detail ?? title);
  }
}

/** The problems the API answers, by name, so that titles and types stay identical everywhere. */
export const problems = {
  invalid: (errors: FieldError[], detail = 'The request is not valid.', part?: RequestPart) =>
    new Problem(400, 'invalid-request', 'Invalid request', detail, { errors, ...(part ? { part } : {}) }),
  malformed: (detail: string) => new Problem(400, 'malformed-request', 'Malformed request', detail),
  unauthenticated: (detail = 'Sign in: send a valid token.', credential: 'missing' | 'invalid' = 'missing') =>
    new Problem(401, 'unauthenticated', 'Authentication required', detail, {
      headers: { 'WWW-Authenticate': 'Bearer realm="fieldbase", Token realm="fieldbase"' },
      credential,
    }),
  badCredentials: () =>
    new Problem(401, 'invalid-credentials', 'Invalid credentials', 'The login or the password is wrong.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="fieldbase"' },
    }),
  forbidden: (detail: string) => new Problem(403, 'forbidden', 'Forbidden', detail),
  notFound: (what: string) => new Problem(404, 'not-found', 'Not found', `${what} does not exist.`),
  methodNotAllowed: (allow: string[]) =>
    new Problem(405, 'method-not-allowed', 'Method not allowed', `Allowed: ${allow.join(', ')}.`, {
      headers: { Allow: allow.join(', ') },
    }),
  conflict: (detail: string, errors?: FieldError[]) =>
    new Problem(409, 'conflict', 'Conflict', detail, errors ? { errors } : {}),
  archived: (what: string) =>
    new Problem(409, 'archived', 'Archived', `${what} is archived and read-only until it is unarchived.`),
  preconditionFailed: () =>
    new Problem(
      412,
      'precondition-failed',
      'Precondition failed',
      'The entity has changed since the ETag in If-Match: fetch it again and retry.',
    ),
  tooLarge: (limit?: number) =>
    new Problem(413, 'payload-too-large', 'Payload too large', limit ? `The body exceeds the limit of ${limit} bytes.` : 'The body is too large.'),
  gone: (detail: string) => new Problem(410, 'resync-required', 'Resync required', detail),
  unprocessable: (detail: string) => new Problem(422, 'idempotency-key-reused', 'Idempotency key reused', detail),
  unsupportedMediaType: (accepted: string[]) =>
    new Problem(415, 'unsupported-media-type', 'Unsupported media type', `Send ${accepted.join(' or ')}.`),
  locked: (retryAfterSeconds: number) =>
    new Problem(
      429,
      'account-locked',
      'Account locked',
      `Too many failed sign-in attempts: try again in ${retryAfterSeconds} seconds.`,
      { headers: { 'Retry-After': String(retryAfterSeconds) } },
    ),
  internal: () =>
    new Problem(500, 'internal', 'Internal server error', 'Something went wrong on our side; quote the request id.'),
};

/**
 * Renders a problem for the request: as problem+json, or, for a request under a seed dialect's
 * base path, as that dialect's own error (src/compat: it sets `renderProblem` for its requests).
 * Every error the app answers comes through here: the error handler, unknown routes and methods.
 */
export function problemResponse(c: Context, p: Problem): Response {
  const dialect = (c as Context<AppEnv>).get('renderProblem');
  if (dialect) return dialect(c, p);
  const body: Record<string, unknown> = {
    type: PROBLEM_TYPE_BASE + p.slug,
    title: p.title,
    status: p.status,
    detail: p.detail ?? p.title,
    instance: new URL(c.req.url).pathname,
    request_id: c.get('requestId'),
  };
  if (p.extra.errors) body.errors = p.extra.errors.map(({ path, message }) => ({ path, message }));
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE, ...p.extra.headers };
  return new Response(JSON.stringify(body), { status: p.status, headers });
}

export const ProblemSchema = z
  .object({
    type: z.string().url().max(200).openapi({ example: PROBLEM_TYPE_BASE + 'not-found' }),
    title: z.string().openapi({ example: 'Not found' }),
    status: z.number().int().min(400).max(599).openapi({ format: 'int32', example: 404 }),
    detail: z.string().openapi({ example: 'Organization does not exist.' }),
    instance: z.string().openapi({ example: '/v1/organizations/acme' }),
    request_id: z
      .string()
      .max(128)
      .openapi({ description: 'X-Request-Id: the client’s own (8 to 128 of A-Z a-z 0-9 . _ -) or a UUID.', example: '01JD8Z3B6Q0W4Y1R7K5T2M9XCE' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }).openapi('FieldError'))
      .optional()
      .openapi({ description: 'For 400: one entry per invalid field.' }),
  })
  .openapi('Problem');

const descriptions: Record<number, string> = {
  400: 'Invalid input; `errors` names each field.',
  401: 'Missing, wrong, expired or revoked credentials.',
  403: 'The caller may see this entity but not change it.',
  404: 'No such entity, or one the caller may not see.',
  409: 'Conflict: a taken slug or name, an archived (read-only) parent, or a request with the same Idempotency-Key still running.',
  412: 'If-Match does not match the current ETag.',
  413: 'The body is larger than the configured limit.',
  410: 'The cursor can no longer be followed: start again from the beginning (no cursor).',
  415: 'The Content-Type is not one this operation accepts.',
  422: 'This Idempotency-Key was sent before with another request (method, path or body).',
  429: 'Too many attempts: wait for Retry-After seconds.',
};

/** Headers an error answer carries, where the status has one. */
const errorHeaders: Record<number, Record<string, { description: string; schema: object }>> = {
  429: {
    'Retry-After': {
      description: 'Seconds to wait before trying again.',
      schema: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
};

/** OpenAPI response entries for the listed error statuses, all in problem+json. */
export function errorResponses(...statuses: number[]) {
  const out: Record<
    number,
    { description: string; headers?: Record<string, { description: string; schema: object }>; content: Record<string, { schema: typeof ProblemSchema }> }
  > = {};
  for (const s of [...statuses, 500]) {
    out[s] = {
      description: descriptions[s] ?? 'Unexpected failure; quote the request id.',
      ...(errorHeaders[s] ? { headers: errorHeaders[s] } : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  return out;
}
