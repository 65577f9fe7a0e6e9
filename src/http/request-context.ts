/**
 * First middleware: a request id, the per-request D1 client (whose writes name the caller for the
 * change log), and Server-Timing with the D1 round trips the request made
 * (`d1;dur=<ms>;desc="<n> round trips"`).
 */
import { createMiddleware } from 'hono/factory';
import { credentialUserId } from '../auth/caller';
import { requestD1 } from '../db/client';
import type { D1Stats } from '../db/timed-d1';
import type { AppEnv } from './context';

const CLIENT_ID = /^[A-Za-z0-9._-]{8,128}$/;

export function serverTiming(stats: D1Stats, totalMs: number): string {
  const trips = `${stats.roundTrips} round trip${stats.roundTrips === 1 ? '' : 's'}`;
  return `d1;dur=${stats.ms.toFixed(1)};desc="${trips}", total;dur=${totalMs.toFixed(1)}`;
}

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  const incoming = c.req.header('X-Request-Id');
  const requestId = incoming && CLIENT_ID.test(incoming) ? incoming : crypto.randomUUID();
  const stats: D1Stats = { roundTrips: 0, ms: 0 };
  c.set('requestId', requestId);
  c.set('d1Stats', stats);
  // Who writes, for the change log: the credential once requireCredential has read it (none before).
  c.set('d1', requestD1(c.env.DB, stats, () => {
    const credential = c.get('credential') as AppEnv['Variables']['credential'] | undefined;
    return credential ? credentialUserId(credential, Date.now()) : null;
  }));
  await next();
  try {
    c.res.headers.set('X-Request-Id', requestId);
  } catch {
    // Responses passed through from fetch() or R2 have immutable headers: copy once.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set('X-Request-Id', requestId);
  }
  c.res.headers.set('Server-Timing', serverTiming(stats, performance.now() - started));
});
