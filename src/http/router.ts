/**
 * Every router is made here, so that every validation failure takes the problem+json shape
 * (one defaultHook) and names the offending fields.
 */
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { AppEnv } from './context';
import { problems, type FieldError } from './problem';

const PART: Record<string, string> = {
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

export function fieldErrors(error: z.ZodError, target?: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // An unknown field is named in `path` like any other, one entry per key.
    if (issue.code === 'unrecognized_keys') {
      const message = UNKNOWN[target ?? ''] ?? 'Not a field of this request.';
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message }));
    }
    return [{ path: at.length ? at.join('.') : '(root)', message: issue.message }];
  });
}

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const part = PART[result.target] ?? result.target;
        throw problems.invalid(fieldErrors(result.error, result.target), `The request ${part} is not valid.`);
      }
    },
  });
}

export type Router = ReturnType<typeof createRouter>;
