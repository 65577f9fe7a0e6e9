import { problems } from '../http/problem';

// "UNIQUE constraint failed: projects.organization_id, projects.slug": the columns of the index.
const UNIQUE = /UNIQUE constraint failed: ((?:\w+\.\w+)(?:, \w+\.\w+)*)/;

/** The messages of an error and its causes (drizzle wraps D1's own message in `cause`). */
export function messages(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    parts.push(String((e as { message?: unknown }).message ?? e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(' | ');
}

/**
 * The field a UNIQUE constraint failed on, or null for any other error. For an index unique
 * within a parent (organization_id, slug) it is the last column, the one the client chose.
 */
export function uniqueViolation(error: unknown): string | null {
  const match = UNIQUE.exec(messages(error));
  return match ? match[1]!.split(', ').at(-1)!.split('.')[1]! : null;
}

/** A foreign-key failure: what a write referred to was deleted between the read and the write. */
export function isForeignKeyFailure(error: unknown): boolean {
  return /FOREIGN KEY constraint failed/i.test(messages(error));
}

/** Awaits a write; a UNIQUE violation becomes 409 naming the field, anything else is rethrown. */
export async function conflictOnUnique<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const column = uniqueViolation(error);
    if (column) throw problems.conflict(`That ${column} is taken.`, [{ path: column, message: 'Already taken.' }]);
    throw error;
  }
}

/** What the triggers of migrations/0012_move_invariants.sql answer when a write would break a move's invariant. */
export const REFUSED_BY_TRIGGER = {
  resourceBytes: 'resource bytes of another organization',
  reportAsset: 'report about an asset of another project',
} as const;

/** A write that a trigger refused with `message` (RAISE(ABORT, …)); its batch rolled back. */
export function refusedByTrigger(error: unknown, message: string): boolean {
  return messages(error).includes(message);
}
