/**
 * The one way a password is changed (PATCH /v1/me, PATCH /v1/users/{user}, accepting an
 * invitation): a new password ends every other way into the account in the same batch, so a
 * password changed after a compromise leaves the attacker nothing. Every session and personal
 * token of the account is revoked but the one that presented the change, its pending invitations
 * are deleted and its failed-attempt count goes (so a reset also unlocks it).
 *
 * The route writes `columns` in its own users UPDATE (with its own guards: If-Match, the
 * invitation) and puts `after` behind that UPDATE in its batch. Each statement of `after` applies
 * only if the new hash is in place (it is salted, so no other write put it there): a change that
 * loses a race to another write ends nothing.
 */
import { and, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client';
import { invitations, tokens } from '../db/schema';
import { accountSubject, attemptSucceeded } from './lockout';
import { hashPassword } from './password';

export interface PasswordChange {
  /** For the route's users UPDATE. */
  columns: { passwordHash: string };
  /** SQL: the UPDATE took effect (the account has the new hash). */
  inPlace: SQL;
  /** Behind the UPDATE, in its batch. */
  after: BatchItem<'sqlite'>[];
}

export async function passwordChange(db: Db, userId: string, password: string, now: number, keepTokenId: string | null): Promise<PasswordChange> {
  const passwordHash = await hashPassword(password);
  const inPlace = sql`EXISTS (SELECT 1 FROM users pc WHERE pc.id = ${userId} AND pc.password_hash = ${passwordHash})`;
  return {
    columns: { passwordHash },
    inPlace,
    after: [
      db
        .update(tokens)
        .set({ revokedAt: now })
        .where(and(eq(tokens.userId, userId), isNull(tokens.revokedAt), keepTokenId ? ne(tokens.id, keepTokenId) : undefined, inPlace)),
      db.delete(invitations).where(and(eq(invitations.userId, userId), inPlace)),
      attemptSucceeded(db, accountSubject(userId), inPlace),
    ],
  };
}
