/** Reading an organisation's change feed as a client does: page after page until it is up to date. */
import { expect } from 'vitest';
import { call, type Answer } from './api';
import type { Actor } from './actors';

export interface Change {
  seq: number;
  at: string;
  op: 'upsert' | 'delete';
  type: string;
  id: string;
  project: string | null;
  version: number | null;
  actor: string | null;
  entity: Record<string, any> | null;
}

export function feedPage(actor: Actor, org: { slug: string }, cursor?: string, limit?: number): Promise<Answer> {
  const q = new URLSearchParams();
  if (cursor !== undefined) q.set('cursor', cursor);
  if (limit !== undefined) q.set('limit', String(limit));
  return call(`/v1/organizations/${org.slug}/changes${q.size ? `?${q}` : ''}`, { headers: actor.auth });
}

/**
 * Every change after `cursor` (from the beginning without one), following next_cursor until the
 * same cursor comes back with nothing: the changes, in order, and the cursor to go on from.
 */
export async function syncFeed(actor: Actor, org: { slug: string }, cursor?: string, limit?: number): Promise<{ changes: Change[]; cursor: string; pages: number }> {
  const changes: Change[] = [];
  let at = cursor;
  for (let pages = 1; pages < 10_000; pages++) {
    const a = await feedPage(actor, org, at, limit);
    expect(a.status, a.text).toBe(200);
    changes.push(...(a.body.changes as Change[]));
    if (a.body.next_cursor === at && a.body.changes.length === 0) return { changes, cursor: at!, pages };
    at = a.body.next_cursor;
  }
  throw new Error('the feed never came to an end');
}

/** `type id op` of each change, for comparisons. */
export const described = (changes: Change[]) => changes.map((c) => `${c.type} ${c.id} ${c.op}`);
