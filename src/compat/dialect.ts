/**
 * The ground every seed dialect stands on (see README.md beside this file).
 *
 * A dialect is the seed's own paths, envelopes and error bodies over the same services as /v1.
 * `defineDialect` gives it:
 * - a base path, `/compat/<name>`, and a router its route modules add to (`add`);
 * - route declarations (`publicRoute`, `authedRoute`) with everything /v1's have (strict query,
 *   the credential middleware for every credential form, the implied 400/401/304/412/413/415),
 *   its security schemes, and its error bodies in its document; `errorMessages` on a route gives
 *   the texts a seed words per operation;
 * - ONE error translation, `errors.render`: every Problem the app raises for a request under the
 *   base path (validation failures from the defaultHook, 401 from the credential middleware, the
 *   services' 403/404/409/412, the body limit's 413, unknown routes' 404, 405 with Allow, 429
 *   with Retry-After, the opaque 500) is answered in the dialect's shape, never problem+json;
 * - its own OpenAPI 3.1 document at `/compat/<name>/openapi.json`, listed on /docs.
 *
 * A dialect holds no permission rule and no SQL of its own, except finding ids by number
 * (idOfNumber in src/db/numbers.ts).
 */
import type { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { API_INFO } from '../docs/info';
import type { AppEnv } from '../http/context';
import { routeDeclarations, SECURITY_SCHEMES, SHARED_COMPONENTS } from '../http/openapi';
import { problems, type Problem } from '../http/problem';
import { createRouter, type Router } from '../http/router';

/** A dialect's answer to a problem. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
  /** Added to the problem's own headers (Allow, Retry-After, Content-Range), which are kept. */
  headers?: Record<string, string>;
}

export interface ErrorContext {
  /** The texts the operation declared for its errors (`errorMessages`), if any. */
  messages: Partial<Record<number, string>>;
  method: string;
}

export interface DialectErrors {
  /** The one place a Problem becomes the dialect's error. */
  render(p: Problem, ctx: ErrorContext): ErrorAnswer;
  /** The schema of the error body for a status, as the document declares it (also read by the tests). */
  schema(status: number): z.ZodTypeAny;
  /** The documented description of a status. */
  describe?(status: number): string;
  /** application/json unless said. */
  mediaType?: string;
}

export interface DialectConfig {
  /** The folder under src/compat/ and the path segment: /compat/<name>. */
  name: string;
  /** The document's info. */
  title: string;
  description: string;
  version?: string;
  tags: { name: string; description: string }[];
  /** The security schemes its document declares, and the requirement of its authenticated operations. */
  securitySchemes: Record<string, object>;
  security: Record<string, string[]>[];
  errors: DialectErrors;
  /** Response headers of its own that browsers may read through CORS (TransAM's Total, Per-Page). */
  exposeHeaders?: string[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; the body names each field.',
  401: 'Missing, wrong, expired or revoked credentials.',
  403: 'The caller may see this entity but not change it.',
  404: 'No such entity, or one the caller may not see.',
  405: 'The path does not answer this method; Allow lists those it does.',
  409: 'Conflict: a taken name, or an archived (read-only) parent.',
  412: 'If-Match does not match the current ETag.',
  413: 'The body is larger than the configured limit.',
  415: 'The Content-Type is not one this operation accepts.',
  416: 'The range starts past the end of the file.',
  429: 'Too many attempts: wait for Retry-After seconds.',
  500: 'Unexpected failure.',
};

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  },
};

type Declared = Parameters<ReturnType<typeof routeDeclarations>['authedRoute']>[0];
/** A dialect's route declaration: /v1's, and the texts of its errors where the seed words them per operation. */
type DialectDeclared = Declared & { errorMessages?: Partial<Record<number, string>> };

/**
 * A dialect document's security schemes and requirement: every credential form works in every
 * dialect (auth/credentials.ts), listed with the seed's own form first (`token`: Authorization:
 * Token; `userPair`: X-User-Email + X-User-Token). `tokenDescription` words the Token scheme for
 * a seed that documents where its token comes from.
 */
export function credentialForms(first: 'token' | 'userPair', tokenDescription?: string): Pick<DialectConfig, 'securitySchemes' | 'security'> {
  const token = tokenDescription ? { ...SECURITY_SCHEMES.token, description: tokenDescription } : SECURITY_SCHEMES.token;
  const { bearer, userEmail, userToken } = SECURITY_SCHEMES;
  return first === 'token'
    ? { securitySchemes: { token, bearer, userEmail, userToken }, security: [{ token: [] }, { bearer: [] }, { userEmail: [], userToken: [] }] }
    : { securitySchemes: { userEmail, userToken, bearer, token }, security: [{ userEmail: [], userToken: [] }, { bearer: [] }, { token: [] }] };
}

export function defineDialect(config: DialectConfig) {
  const base = `/compat/${config.name}`;
  const mediaType = config.errors.mediaType ?? 'application/json';

  /** OpenAPI entries for error statuses in the dialect's shape (500 always). */
  const errorResponses = (...statuses: number[]) =>
    Object.fromEntries(
      [...new Set([...statuses, 500])].map((status) => [
        status,
        {
          description: config.errors.describe?.(status) ?? DESCRIPTIONS[status] ?? 'Error.',
          ...(status === 429 ? { headers: RETRY_AFTER } : {}),
          content: { [mediaType]: { schema: config.errors.schema(status) } },
        },
      ]),
    ) as Record<number, object>;

  const declarations = routeDeclarations({ errors: errorResponses, security: config.security });
  const withMessages = <R extends DialectDeclared>({ errorMessages, ...route }: R): Declared => {
    if (!errorMessages) return route;
    const mark: MiddlewareHandler<AppEnv> = async (c, next) => {
      c.set('errorMessages', errorMessages);
      await next();
    };
    return { ...route, middleware: [mark, ...([] as MiddlewareHandler[]).concat((route.middleware ?? []) as MiddlewareHandler[])] };
  };

  const router: Router = createRouter();

  function renderProblem(c: Context, p: Problem): Response {
    const ctx = { messages: (c as Context<AppEnv>).get('errorMessages') ?? {}, method: c.req.method };
    let answer: ErrorAnswer;
    try {
      answer = config.errors.render(p, ctx);
    } catch (error) {
      // A translation that fails is ours: logged, and answered as the dialect's opaque 500.
      console.error(JSON.stringify({ level: 'error', request_id: c.get('requestId'), error: `${config.name} error translation: ${String(error)}` }));
      answer = config.errors.render(problems.internal(), ctx);
      p = problems.internal();
    }
    const headers = new Headers(p.extra.headers);
    for (const [k, v] of Object.entries(answer.headers ?? {})) headers.set(k, v);
    headers.set('Content-Type', mediaType);
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status, headers });
  }

  let document: Record<string, unknown> | undefined;

  return {
    ...config,
    base,
    router,
    errorResponses,
    /** Whether a request path is this dialect's (its base, or below it). */
    owns: (path: string) => path === base || path.startsWith(`${base}/`),
    publicRoute: <const R extends DialectDeclared>(route: R) => declarations.publicRoute(withMessages(route) as R),
    authedRoute: <const R extends DialectDeclared>(route: R) => declarations.authedRoute(withMessages(route) as R),
    /** Adds route modules' routers (declared with paths as the seed writes them, relative to the base). */
    add(...routers: Router[]) {
      for (const r of routers) router.route('/', r);
      return this;
    },
    renderProblem,
    /** An absolute URL inside the dialect: its base, then `path` (as the seed writes it), on the request's origin. */
    url: (c: Context, path: string) => new URL(base + path, c.req.url).toString(),
    /** Its OpenAPI 3.1 document: paths as the seed writes them, under `servers: [{url: base}]`. */
    document(): Record<string, unknown> {
      if (document) return document;
      const registry = router.openAPIRegistry;
      for (const [name, scheme] of Object.entries(config.securitySchemes)) registry.registerComponent('securitySchemes', name, scheme as never);
      const generated = router.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: config.title, version: config.version ?? '1.0.0', description: config.description, contact: API_INFO.contact, license: API_INFO.license },
        servers: [{ url: base, 'x-internal': false } as never],
        tags: config.tags,
      }) as unknown as Record<string, unknown>;
      // The shared components (If-Match, the Link header, the Binary schema) that its operations refer to.
      const text = JSON.stringify(generated);
      const components = (generated.components ?? {}) as Record<string, Record<string, unknown>>;
      for (const [kind, entries] of Object.entries(SHARED_COMPONENTS) as [string, Record<string, unknown>][]) {
        for (const [name, component] of Object.entries(entries)) {
          if (text.includes(`"#/components/${kind}/${name}"`)) (components[kind] ??= {})[name] = component;
        }
      }
      document = { ...generated, components };
      return document;
    },
  };
}

export type Dialect = ReturnType<typeof defineDialect>;
