/**
 * Every router is made here, so that every validation failure takes the problem+json shape
 * (one defaultHook) and names the offending fields, and every router matches paths the same way.
 */
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Result, Router as PathRouter } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import type { AppEnv } from './context';
import { problems, type FieldError, type RequestPart } from './problem';

const PART: Record<string, RequestPart> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

const UNKNOWN: Record<string, string> = {
  query: 'Not a query parameter of this operation.',
};

/** The value at `path` in what was validated (undefined where it is absent). */
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** One entry per invalid field; given the input, a value that is missing is marked so (`kind: 'required'`). */
export function fieldErrors(error: z.ZodError, target?: string, input?: unknown): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const at = issue.path.map(String);
    // An unknown field is named in `path` like any other, one entry per key.
    if (issue.code === 'unrecognized_keys') {
      const message = UNKNOWN[target ?? ''] ?? 'Not a field of this request.';
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message, kind: 'unknown' as const }));
    }
    // Whatever the check that failed (a type, a union of types), a field that was not sent is missing.
    const missing = input !== undefined && issue.path.length > 0 && issue.code !== 'custom' && valueAt(input, issue.path) === undefined;
    return [{ path: at.length ? at.join('.') : '(root)', message: issue.message, ...(missing ? { kind: 'required' as const } : {}) }];
  });
}

/** A path as routes are matched: one trailing slash is not part of it (the root stays `/`). */
export const routingPath = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * Hono's own router, with the trailing slash taken off both sides: the paths routes are declared
 * with (the document keeps them as declared; the seed dialects declare theirs with a slash) and
 * the paths requests arrive on. So `/v1/projects/` reaches `/v1/projects`, and a route declared
 * as `/compat/…/projects/` is reached without the slash too, by every method. (Two routes that
 * differ only by that slash are therefore one route.)
 */
class SlashInsensitiveRouter<T> implements PathRouter<T> {
  readonly name = 'SlashInsensitiveRouter';
  private readonly inner: PathRouter<T> = new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] });

  add(method: string, path: string, handler: T): void {
    this.inner.add(method, routingPath(path), handler);
  }

  match(method: string, path: string): Result<T> {
    return this.inner.match(method, routingPath(path));
  }
}

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    router: new SlashInsensitiveRouter(),
    defaultHook: (result) => {
      if (!result.success) {
        const part = PART[result.target] ?? 'body';
        throw problems.invalid(fieldErrors(result.error, result.target, (result as { data?: unknown }).data), `The request ${part} is not valid.`, part);
      }
    },
  });
}

export type Router = ReturnType<typeof createRouter>;
