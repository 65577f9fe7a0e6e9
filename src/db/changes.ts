import { sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

/** What every write to an entity sets: updated_at, and the version moved on (its ETag changes, If-Match guards compare it). */
export const touched = (version: SQLiteColumn, now: number) => ({ updatedAt: now, version: sql`${version} + 1` });

/**
 * The SET of a PATCH: touched(), and each field the client sent (undefined: not sent; null
 * clears) under the name of its column.
 */
export function changeSet<C extends object>(changes: C, columns: { [F in keyof C]?: string }, version: SQLiteColumn, now: number): Record<string, unknown> {
  const set: Record<string, unknown> = touched(version, now);
  for (const [field, column] of Object.entries(columns) as [keyof C, string][]) {
    if (changes[field] !== undefined) set[column] = changes[field];
  }
  return set;
}
