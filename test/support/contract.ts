/**
 * Every answer a test receives is checked against the route's declared responses (/v1's and the
 * seed dialects'): the status is one the route documents, and a JSON body parses with the declared zod schema with nothing
 * added or left out (zod drops unknown keys, so a parse that changes the body fails).
 */
import type { z } from '@hono/zod-openapi';
import { expect } from 'vitest';
import { routingPath } from '../../src/http/router';
import { DIALECTS } from '../../src/compat/registry';
import { app } from '../../src/index';
import type { Answer } from './api';

interface RouteDef {
  method: string;
  pattern: RegExp;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

let routes: RouteDef[] | undefined;

/** /v1's operations, and each dialect's under its base path. */
function loadRoutes(): RouteDef[] {
  const defs: RouteDef[] = [];
  const registries = [{ base: '', definitions: app.openAPIRegistry.definitions }, ...DIALECTS.map((d) => ({ base: d.base, definitions: d.router.openAPIRegistry.definitions }))];
  for (const { base, definitions } of registries) {
    for (const d of definitions) {
      if (d.type !== 'route') continue;
      const source = routingPath(base + d.route.path).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      defs.push({
        method: d.route.method.toUpperCase(),
        // As the server routes: with or without one trailing slash.
        pattern: new RegExp(`^${source}/?$`),
        responses: d.route.responses as RouteDef['responses'],
      });
    }
  }
  return defs;
}

function isZod(schema: unknown): schema is z.ZodTypeAny {
  return typeof (schema as { safeParse?: unknown })?.safeParse === 'function';
}

export function findRoute(method: string, path: string): RouteDef | undefined {
  routes ??= loadRoutes();
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return routes.find((r) => r.method === m && r.pattern.test(path));
}

export function checkContract(method: string, path: string, a: Answer): void {
  const route = findRoute(method, path);
  if (!route) return; // unknown routes, /docs assets: nothing declared
  const declared = route.responses[String(a.status)];
  expect(declared, `${method} ${path} answered ${a.status}, which it does not declare: ${a.text.slice(0, 300)}`).toBeDefined();
  const type = (a.headers.get('Content-Type') ?? '').split(';')[0]!.trim();
  if (!declared?.content || !a.text) return;
  // A declared media range (`*/*`, `image/*`) covers the types in it.
  const media = declared.content[type] ?? declared.content[`${type.split('/')[0]}/*`] ?? declared.content['*/*'];
  expect(media, `${method} ${path} ${a.status} answered ${type}, not one of ${Object.keys(declared.content).join(', ')}`).toBeDefined();
  if (!media || !isZod(media.schema) || typeof a.body !== 'object') return;
  const parsed = media.schema.safeParse(a.body);
  expect(parsed.success, `${method} ${path} ${a.status} body breaks its schema: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
  expect(parsed.data, `${method} ${path} ${a.status} body has fields its schema does not declare`).toEqual(a.body);
}
