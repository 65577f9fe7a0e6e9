/**
 * Route declarations: `publicRoute` and `authedRoute` wrap createRoute so that every
 * authenticated operation carries the credential middleware, the security requirement and its
 * 401 in the document, and every operation takes exactly the query it declares, the same way.
 *
 * The error statuses that follow from the declaration itself are added here, so no route spells
 * them: 400 (every operation validates at least its query), 401 (authenticated), 412 (declares
 * If-Match), 413 (a method that carries a body: the body limit applies before routing), 415
 * (declares a body), and 304 with If-None-Match for a GET that declares it or answers an ETag
 * (entityJson and downloads answer 304 to a current If-None-Match). `routeDeclarations` makes the
 * same pair for a document with another error shape (a seed dialect, src/compat/).
 */
import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requireCredential } from '../auth/credentials';
import { idempotent } from './idempotency';
import { errorResponses } from './problem';

export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <token>`' },
  token: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: '`Authorization: Token <token>` (the Cadasta seeds).',
  },
  userEmail: { type: 'apiKey', in: 'header', name: 'X-User-Email', description: 'With X-User-Token (TransAM seed).' },
  userToken: { type: 'apiKey', in: 'header', name: 'X-User-Token', description: 'With X-User-Email (TransAM seed).' },
} as const;

export const SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { token: [] }, { userEmail: [], userToken: [] }];

type Declared = RouteConfig & { operationId: string; summary: string };

/** OpenAPI entries for error statuses, in a document's error shape (problem+json for /v1). */
export type ErrorResponses = (...statuses: number[]) => Record<number, object>;

export interface DeclarationStyle {
  errors: ErrorResponses;
  /** The security requirement of authenticated operations (alternatives: any one will do). */
  security: Record<string, string[]>[];
}

/** A query value that may come more than once: an array, alone or as a branch of a union. */
function takesList(schema: z.ZodType): boolean {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; options?: z.ZodType[] };
  if (def.type === 'array') return true;
  if (def.innerType) return takesList(def.innerType);
  return (def.options ?? []).some(takesList);
}

/** A parameter given twice where one value is taken: refused as such, not as a value of the wrong type. */
const once = (schema: z.ZodType) =>
  z.preprocess((value, ctx) => {
    if (Array.isArray(value)) ctx.addIssue({ code: 'custom', message: `Given ${value.length} times: send it once.`, input: value });
    return value;
  }, schema);

/**
 * The query an operation accepts and nothing else (issue 10: a near-miss such as `organization_id`
 * for `organization` was ignored and the list answered unfiltered). An operation that declares no
 * query refuses every parameter. The router's defaultHook turns the issues into its 400, so each
 * router (and each dialect's, with its own error shape) answers them the same way.
 */
function strictQuery(query: unknown) {
  if (query === undefined) return z.object({}).strict();
  if (!(query instanceof z.ZodObject)) throw new Error('Declare a query as a z.object() of its parameters.');
  const shape = Object.fromEntries(Object.entries(query.shape as Record<string, z.ZodType>).map(([name, s]) => [name, takesList(s) ? s : once(s)]));
  return query.safeExtend(shape).strict();
}

const refTo = (name: string) => `#/components/parameters/${name}`;
const declares = (config: Declared, parameter: string) =>
  ((config.parameters ?? []) as { $ref?: string }[]).some((p) => p.$ref === refTo(parameter));
const answersEtag = (config: Declared) =>
  Object.entries(config.responses).some(([status, r]) => status.startsWith('2') && Boolean((r as { headers?: Record<string, unknown> }).headers?.ETag));

/** The statuses (and 304) that the declaration implies, and the If-None-Match it then takes. */
function implied(config: Declared, errors: ErrorResponses, authenticated: boolean) {
  const statuses = [400, ...(authenticated ? [401] : [])];
  if (declares(config, 'IfMatch')) statuses.push(412);
  if (config.method !== 'get') statuses.push(413);
  if (config.request?.body) statuses.push(415);
  const conditional = config.method === 'get' && (declares(config, 'IfNoneMatch') || answersEtag(config));
  return {
    responses: { ...(conditional ? { 304: { description: 'Not modified: the copy named by If-None-Match is current.' } } : {}), ...errors(...statuses) },
    parameters: conditional && !declares(config, 'IfNoneMatch') ? [...(config.parameters ?? []), IF_NONE_MATCH] : config.parameters,
  };
}

/**
 * The declaration as registered: its query strict, the responses and parameters it implies (the
 * route's own entries win), and a description (Spectral wants one on every operation: the
 * summary stands in where none is written).
 */
function declare<R extends Declared>(config: R, style: DeclarationStyle, authenticated: boolean): R {
  const { responses, parameters } = implied(config, style.errors, authenticated);
  return {
    ...config,
    description: config.description ?? config.summary,
    request: { ...config.request, query: strictQuery(config.request?.query) },
    ...(parameters ? { parameters } : {}),
    responses: { ...responses, ...config.responses },
  };
}

/** publicRoute and authedRoute for a document whose errors take `style.errors`' shape. */
export function routeDeclarations(style: DeclarationStyle) {
  const own = (config: Declared) => ([] as MiddlewareHandler[]).concat((config.middleware ?? []) as MiddlewareHandler | MiddlewareHandler[]);
  return {
    /** An operation anyone may call (its own `security`, if it reads a credential itself, e.g. HTTP Basic). */
    publicRoute<const R extends Declared>(config: R) {
      return createRoute({ security: [], ...declare(config, style, false), middleware: own(config) } as R);
    },
    /**
     * Every authenticated POST takes Idempotency-Key (http/idempotency.ts): the header, its 409 and
     * 422, and Idempotent-Replayed on the answers, declared here once for all of them.
     */
    authedRoute<const R extends Declared>(config: R) {
      const keyed = config.method === 'post';
      const declared = declare(config, style, true);
      return createRoute({
        ...declared,
        security: style.security,
        middleware: [requireCredential, ...(keyed ? [idempotent] : []), ...own(config)],
        ...(keyed ? { parameters: [IDEMPOTENCY_KEY, ...(declared.parameters ?? [])] } : {}),
        responses: keyed ? { ...style.errors(409, 422), ...replayable(declared.responses) } : declared.responses,
      } as R);
    },
  };
}

export const { publicRoute, authedRoute } = routeDeclarations({ errors: errorResponses, security: SECURITY });

type Responses = RouteConfig['responses'];

/** The success answers of a keyed POST also say when they are a kept answer given again. */
function replayable(responses: Responses): Responses {
  return Object.fromEntries(
    Object.entries(responses).map(([status, r]) =>
      Number(status) < 300 && !('$ref' in r) ? [status, { ...r, headers: { ...(r.headers as object), 'Idempotent-Replayed': IDEMPOTENT_REPLAYED } }] : [status, r],
    ),
  );
}

/**
 * Request headers and response headers that many operations share, and the schema of file bodies:
 * components, declared once (registered with the document in docs/routes.ts) and referenced.
 */
export const SHARED_COMPONENTS = {
  parameters: {
    IfMatch: {
      name: 'If-Match',
      in: 'header' as const,
      required: false,
      description: 'The ETag of the copy being changed; 412 when it is no longer current.',
      schema: { type: 'string' as const },
    },
    IfNoneMatch: {
      name: 'If-None-Match',
      in: 'header' as const,
      required: false,
      description: 'The ETag of a copy you hold: 304 when it is current.',
      schema: { type: 'string' as const },
    },
    Range: {
      name: 'Range',
      in: 'header' as const,
      required: false,
      description: 'One byte range, e.g. bytes=0-1023 or bytes=-500; any other form is ignored and the whole file is sent.',
      schema: { type: 'string' as const },
    },
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header' as const,
      required: false,
      description:
        'Makes a retry safe (IETF httpapi-idempotency-key): a unique key per request, 1 to 255 visible characters (a UUID; bare or as a structured-field string). ' +
        'The first answer is kept for 24 hours for your credential and this key: sending the same request with the same key again answers it again, with ' +
        '`Idempotent-Replayed: true`, and changes nothing; the same key with another method, path or body answers 422; while the first is still running, 409. ' +
        'The same request means the same method, path and query, media type, X-File-Name and body bytes (a form without its boundary). An answer of 500 or above is not kept: the retry runs.',
      schema: { type: 'string' as const, minLength: 1, maxLength: 257, pattern: '^(?:[\\x21-\\x7e]{1,255}|"[\\x21-\\x7e]{1,255}")$' },
    },
    FileName: {
      name: 'X-File-Name',
      in: 'header' as const,
      required: false,
      description: 'With a raw body: the file name, URL-encoded.',
      schema: { type: 'string' as const },
    },
  },
  headers: {
    Link: { description: 'RFC 8288 links: first, prev, next, last.', schema: { type: 'string' as const } },
    IdempotentReplayed: {
      description: '`true` on the kept answer to an earlier request with the same Idempotency-Key, given again.',
      schema: { type: 'string' as const, enum: ['true'] },
    },
  },
  schemas: {
    Binary: { type: 'string' as const, format: 'binary', description: 'The bytes of a file.' },
  },
};

const ref = (kind: keyof typeof SHARED_COMPONENTS, name: string) => ({ $ref: `#/components/${kind}/${name}` });

export const IF_MATCH = ref('parameters', 'IfMatch');
export const IF_NONE_MATCH = ref('parameters', 'IfNoneMatch');
export const RANGE = ref('parameters', 'Range');
export const FILE_NAME_HEADER = ref('parameters', 'FileName');
export const LINK_HEADER = ref('headers', 'Link');
export const IDEMPOTENCY_KEY = ref('parameters', 'IdempotencyKey');
export const IDEMPOTENT_REPLAYED = ref('headers', 'IdempotentReplayed');

/**
 * A file body or file part; `description` states its size limit where the operation has one. With a
 * description the reference sits in an allOf, so that the schema stays the one Binary component.
 */
export const binary = (description?: string) => (description ? { description, allOf: [ref('schemas', 'Binary')] } : ref('schemas', 'Binary'));

export const ETAG_HEADER = {
  ETag: {
    description: 'Strong validator of this representation.',
    schema: { type: 'string' as const, maxLength: 26, pattern: '^"[A-Za-z0-9_-]{24}"$' },
  },
};
