/**
 * Invitations: the way into an account made without a password, with no e-mail server. The
 * account-creating routes answer the secret once (users/service.ts insertUser); its holder sets a
 * password with it and is signed in. Single use, expiring; only the SHA-256 is stored. An
 * unknown, used, expired or deactivated invitation answers one and the same 400.
 */
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { Db } from '../db/client';
import { invitations, users, type UserRow } from '../db/schema';
import type { Settings } from '../env';
import { touched } from '../db/changes';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { toUser } from '../users/schemas';
import { passwordChange } from './password-change';
import { newSession } from './service';
import { INVITATION_PREFIX, newTokenSecret, tokenHash } from './tokens';

/** The invitation of a new account: its INSERT for the account's batch, and what to answer once. */
export async function newInvitation(db: Db, s: Settings, userId: string, now: number) {
  const secret = newTokenSecret(INVITATION_PREFIX);
  const expiresAt = now + s.invitationTtlMs;
  const insert = db.insert(invitations).values({ id: newId('inv'), userId, tokenHash: await tokenHash(secret), createdAt: now, expiresAt });
  return { insert, answer: { token: secret, expires_at: iso(expiresAt)! } };
}

const invalid = () => problems.invalid([{ path: 'token', message: 'This invitation is unknown, used or expired.' }]);

/** Sets the password, consumes the invitation and answers a session, as sign-in does. */
export async function acceptInvitation(db: Db, s: Settings, input: { token: string; password: string }, now: number) {
  const hash = await tokenHash(input.token);
  const live = and(eq(invitations.tokenHash, hash), gt(invitations.expiresAt, now));
  const [found] = await db
    .select({ id: users.id })
    .from(invitations)
    .innerJoin(users, eq(users.id, invitations.userId))
    .where(and(live, eq(users.isActive, true)))
    .limit(1);
  if (!found) throw invalid();

  const change = await passwordChange(db, found.id, input.password, now, null);
  const session = await newSession(db, s, found.id, now, change.inPlace);
  // The UPDATE is guarded by the invitation itself, so of two acceptances at once only one lands.
  const [updated] = (await db.batch([
    db
      .update(users)
      .set({ ...change.columns, lastLogin: now, ...touched(users.version, now) })
      .where(and(eq(users.id, found.id), eq(users.isActive, true), sql`EXISTS (SELECT 1 FROM ${invitations} WHERE ${live})`))
      .returning(),
    ...change.after,
    session.insert,
  ])) as unknown as [UserRow[]];
  if (!updated[0]) throw invalid();
  return { token: session.secret, expires_at: iso(session.expiresAt)!, user: toUser(updated[0]) };
}

/** For the hourly cron: expired invitations can no longer be accepted. */
export async function dropExpiredInvitations(d1: D1Database, now: number): Promise<void> {
  await drizzle(d1).delete(invitations).where(lte(invitations.expiresAt, now));
}
