/**
 * A feed cursor: where the client is in an organisation's feed (the last change it has been
 * given, `seq`) and what it could see then (who it is and its role there), so that the feed can
 * tell when that no longer holds (410). Opaque to clients; nothing in it grants anything, since
 * what a page shows is decided from the caller's rights now.
 */
import { problems } from '../http/problem';

export type FeedRole = 'superuser' | 'admin' | 'member';

export interface FeedCursor {
  /** The organisation's id. */
  o: string;
  /** The last change given. */
  s: number;
  /** The caller's user id. */
  u: string;
  r: FeedRole;
}

export function encodeFeedCursor(c: FeedCursor): string {
  return btoa(JSON.stringify([c.o, c.s, c.u, c.r])).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const ROLES: FeedRole[] = ['superuser', 'admin', 'member'];

export function decodeFeedCursor(raw: string): FeedCursor {
  const bad = problems.invalid([{ path: 'cursor', message: 'Not a cursor of this feed: send the `next_cursor` of an answer.' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(raw.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw bad;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw bad;
  const [o, s, u, r] = parsed as unknown[];
  if (typeof o !== 'string' || typeof u !== 'string' || !Number.isSafeInteger(s) || (s as number) < 0 || !ROLES.includes(r as FeedRole)) throw bad;
  return { o, s: s as number, u, r: r as FeedRole };
}
