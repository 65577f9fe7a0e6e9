/**
 * Unknown paths answer 404, known paths with another method 405 with Allow. Allow is asked of
 * the app's own router, method by method, so it lists exactly what the path then answers.
 */
import type { Context, Hono } from 'hono';
import type { AppEnv } from './context';
import { problemResponse, problems } from './problem';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function notFoundOrMethod(app: Hono<AppEnv>) {
  /** Whether a route (not a middleware, which the router registers for ALL) answers `method` on `path`. */
  const routed = (method: string, path: string) => app.router.match(method, path)[0].some(([[, route]]) => route.method !== 'ALL');
  return (c: Context<AppEnv>) => {
    const path = c.req.path;
    const allowed = METHODS.filter((m) => routed(m, path));
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    // A route of this very method that found nothing (a missing static file): the path's 404.
    if (allowed.length > 0 && !allowed.includes(method)) {
      if (allowed.includes('GET')) allowed.push('HEAD');
      // Every path answers OPTIONS (CORS preflight).
      return problemResponse(c, problems.methodNotAllowed([...allowed, 'OPTIONS'].sort()));
    }
    return problemResponse(c, problems.notFound(`The path ${new URL(c.req.url).pathname}`));
  };
}
