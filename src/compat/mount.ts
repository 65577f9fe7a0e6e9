/**
 * How the app serves its dialects: each request under a dialect's base path renders its errors
 * through that dialect (set first, so that every later failure, the body limit's included, takes
 * its shape), each dialect's operations answer under its base, and its document is served beside them.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/context';
import type { Router } from '../http/router';
import { DIALECTS } from './registry';

export const dialectScope = createMiddleware<AppEnv>(async (c, next) => {
  const dialect = DIALECTS.find((d) => d.owns(c.req.path));
  if (dialect) c.set('renderProblem', dialect.renderProblem);
  await next();
});

/** The response headers of the dialects that browsers may read (CORS). */
export const DIALECT_EXPOSED_HEADERS = [...new Set(DIALECTS.flatMap((d) => d.exposeHeaders ?? []))];

export function mountDialects(app: Router): void {
  for (const dialect of DIALECTS) {
    // Hono's own route(), not OpenAPIHono's: the dialect's operations go into its own document,
    // not into /openapi.json. They are routed by the app's router, so 405 and Allow see them.
    Hono.prototype.route.call(app as unknown as Hono, dialect.base, dialect.router as unknown as Hono);
    // Not an operation of the document (as /openapi.json is not one of /v1's).
    app.get(`${dialect.base}/openapi.json`, (c) => c.json(dialect.document(), 200, { 'Cache-Control': 'public, max-age=300' }));
  }
}
