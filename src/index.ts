/**
 * The app. Middleware order: request context (id, D1 client, Server-Timing) → the dialect a path
 * belongs to (its error shape) → CORS → body limit → routes; errors and unknown routes end in
 * problem+json, or under /compat/<dialect> in that dialect's error shape.
 */
import { cors } from 'hono/cors';
import type { MiddlewareHandler } from 'hono';
import { changeRoutes } from './changes/routes';
import { trimChangeLog } from './changes/retention';
import { dropExpiredInvitations } from './auth/invitations';
import { forgetPasswordFailures } from './auth/lockout';
import { authRoutes } from './auth/routes';
import { mountDocs } from './docs/routes';
import { settings, type Bindings, type Settings } from './env';
import { limitBody } from './http/body-limit';
import { dropExpiredIdempotencyKeys } from './http/idempotency';
import { onError } from './http/errors';
import { notFoundOrMethod } from './http/fallback';
import { requestContext } from './http/request-context';
import { createRouter } from './http/router';
import { healthRoutes } from './meta/routes';
import { organizationRoutes } from './organizations/routes';
import { projectRoutes } from './projects/routes';
import { assetRoutes } from './assets/routes';
import { dashboardRoutes } from './dashboard/routes';
import { dataRoutes } from './data/routes';
import { folderRoutes } from './folders/routes';
import { reportRoutes } from './reports/routes';
import { resourceRoutes } from './resources/routes';
import { documentRoutes } from './documents/routes';
import { sphereRoutes } from './spheres/routes';
import { dialectScope, DIALECT_EXPOSED_HEADERS, mountDialects } from './compat/mount';
import { sweepOrphans } from './storage/sweep';
import { userRoutes } from './users/routes';

export const app = createRouter();

/** The CORS middleware of a configuration, built once per isolate (settings are parsed once per env). */
const corsOf = new WeakMap<Settings, MiddlewareHandler>();

function corsFor(s: Settings): MiddlewareHandler {
  let middleware = corsOf.get(s);
  if (!middleware) {
    middleware = cors({
      origin: s.corsOrigins,
      allowHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'X-User-Email', 'X-User-Token', 'X-Request-Id'],
      exposeHeaders: ['ETag', 'Idempotent-Replayed', 'Link', 'Location', 'Retry-After', 'Server-Timing', 'X-Request-Id', ...DIALECT_EXPOSED_HEADERS],
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      maxAge: 600,
    });
    corsOf.set(s, middleware);
  }
  return middleware;
}

app.use(requestContext);
app.use(dialectScope);
app.use((c, next) => corsFor(settings(c.env))(c, next));
app.use(limitBody);

app.route('/', healthRoutes);
app.route('/', authRoutes);
app.route('/', userRoutes);
app.route('/', organizationRoutes);
app.route('/', projectRoutes);
app.route('/', assetRoutes);
app.route('/', folderRoutes);
app.route('/', dataRoutes);
app.route('/', sphereRoutes);
app.route('/', reportRoutes);
app.route('/', resourceRoutes);
app.route('/', documentRoutes);
app.route('/', dashboardRoutes);
app.route('/', changeRoutes);
mountDialects(app);
mountDocs(app);

app.onError(onError);
app.notFound(notFoundOrMethod(app));

export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Bindings, ctx: ExecutionContext) {
    const now = Date.now();
    ctx.waitUntil(
      Promise.all([
        sweepOrphans(env, now),
        trimChangeLog(env, now),
        forgetPasswordFailures(env.DB, now),
        dropExpiredInvitations(env.DB, now),
        dropExpiredIdempotencyKeys(env.DB, now),
      ]),
    );
  },
} satisfies ExportedHandler<Bindings>;
