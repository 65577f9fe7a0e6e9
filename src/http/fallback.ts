/** Unknown paths answer 404, known paths with another method 405 with Allow. */
import type { Context, Hono } from 'hono';
import type { AppEnv } from './context';
import { problemResponse, problems } from './problem';

type RouteTable = { pattern: RegExp; methods: Set<string> }[];

function compile(app: Hono<AppEnv>): RouteTable {
  const byPath = new Map<string, Set<string>>();
  for (const r of app.routes) {
    if (r.method === 'ALL' || r.path.includes('*')) continue;
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method.toUpperCase());
    byPath.set(r.path, methods);
  }
  return [...byPath].map(([path, methods]) => {
    const source = path
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    if (methods.has('GET')) methods.add('HEAD');
    return { pattern: new RegExp(`^${source}/?$`), methods };
  });
}

export function notFoundOrMethod(app: Hono<AppEnv>) {
  let table: RouteTable | undefined;
  return (c: Context<AppEnv>) => {
    table ??= compile(app);
    const path = new URL(c.req.url).pathname;
    const allowed = new Set<string>();
    for (const r of table) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0) {
      allowed.add('OPTIONS');
      return problemResponse(c, problems.methodNotAllowed([...allowed].sort()));
    }
    return problemResponse(c, problems.notFound(`The path ${path}`));
  };
}
