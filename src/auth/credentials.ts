/**
 * Reads the caller's credential from the request, without touching D1: the token is checked by
 * the handler's own D1 batch (see caller.ts), so an authenticated read costs one round trip.
 *
 * Accepted: `Authorization: Bearer <token>`, `Authorization: Token <token>` (seeds 002, 004) and
 * the pair `X-User-Email` + `X-User-Token` (seed 003).
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/context';
import { problems } from '../http/problem';
import { isWellFormedToken, tokenHash } from './tokens';

export interface Credential {
  tokenHash: string;
  /** Set for the X-User-Email form: the token must belong to this address. */
  email: string | null;
}

type Headers = { get(name: string): string | null };

/** The token a request presents and, for the X-User-* pair, the email it must belong to. */
function presented(headers: Headers): { token: string; email: string | null } | null {
  const authorization = headers.get('Authorization');
  if (authorization) {
    const match = /^(Bearer|Token)\s+(\S+)\s*$/i.exec(authorization);
    if (!match || !isWellFormedToken(match[2]!)) return null;
    return { token: match[2]!, email: null };
  }
  const email = headers.get('X-User-Email');
  const token = headers.get('X-User-Token');
  if (email && token && isWellFormedToken(token.trim())) return { token: token.trim(), email: email.trim().toLowerCase() };
  return null;
}

/** The secret a request presents (http/idempotency.ts derives the key of its kept answers from it). */
export const presentedToken = (headers: Headers): string | null => presented(headers)?.token ?? null;

/**
 * The hashes of the tokens this isolate saw last: a client presents the same token on every
 * request, and hashing it was a measurable part of an authenticated read (issue 11's profile).
 * Only what the request already holds is kept (a token and its hash, a pure function of it):
 * whether the token is valid is decided by D1 on every request.
 */
const HASHES = new Map<string, string>();
const HASHES_KEPT = 512;

async function hashOf(token: string): Promise<string> {
  let hash = HASHES.get(token);
  if (hash === undefined) {
    hash = await tokenHash(token);
    if (HASHES.size >= HASHES_KEPT) HASHES.delete(HASHES.keys().next().value!);
    HASHES.set(token, hash);
  }
  return hash;
}

export async function readCredential(headers: Headers): Promise<Credential | null> {
  const p = presented(headers);
  return p ? { tokenHash: await hashOf(p.token), email: p.email } : null;
}

/** Whether the request tries to present a credential at all (a malformed one is `invalid`, not `missing`). */
function presents(headers: { get(name: string): string | null }): boolean {
  return /^\s*(Bearer|Token)\b/i.test(headers.get('Authorization') ?? '') || Boolean(headers.get('X-User-Token'));
}

export const requireCredential = createMiddleware<AppEnv>(async (c, next) => {
  const credential = await readCredential(c.req.raw.headers);
  if (!credential) {
    throw presents(c.req.raw.headers)
      ? problems.unauthenticated('The credential is malformed: send `Authorization: Bearer <token>`, `Authorization: Token <token>` or X-User-Email with X-User-Token.', 'invalid')
      : problems.unauthenticated();
  }
  c.set('credential', credential);
  await next();
});
