/**
 * The lockout: every password check (sign-in, `current_password`) is counted here, before it is
 * evaluated. One statement claims the attempt: it raises the subject's failure count and sets the
 * lock when the count reaches the limit, and only a claimed attempt is evaluated. D1 serialises
 * the claims, so no more than `lockoutMaxAttempts` checks are ever evaluated before the lock,
 * however many arrive at once; a success deletes the count.
 *
 * Subjects (password_failures in db/schema.ts): an active account is counted as `user:<id>`
 * whatever names it; any other login string as `login:<string>`, with the same statement, limit,
 * lock and answers, so that the lockout cannot tell which accounts exist. A count is forgotten a
 * day after its last failure (by the claim itself, so the hourly clean-up changes no answer).
 */
import { and, eq, gt, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { passwordFailures } from '../db/schema';
import type { Settings } from '../env';
import { problems } from '../http/problem';
import { drizzle } from 'drizzle-orm/d1';

/** A count with no failure for this long starts again from zero. */
export const FAILURES_FORGOTTEN_AFTER_MS = 24 * 3_600_000;

/** SQL: the subject of an account's own checks (NULL when `userId` is, so nothing is counted). */
export const accountSubject = (userId: SQL | string): SQL => sql`('user:' || ${userId})`;

/**
 * SQL: the subject of a sign-in login (normalised: trimmed, lower-case): the active account it
 * names by username or email, or else the string itself.
 */
export function loginSubject(login: string): SQL {
  return sql`COALESCE((SELECT 'user:' || lu.id FROM users lu WHERE lu.is_active = 1 AND (lu.username = ${login} OR lu.email = ${login})), ${`login:${login}`})`;
}

/**
 * The two statements of an attempt, for the batch that also reads the password hash: the claim
 * (a row when the attempt may be evaluated) and the subject's running lock (a row when locked).
 * A NULL subject claims nothing and is not locked.
 */
export function claimAttempt(db: Db, s: Settings, now: number, subject: SQL) {
  const t = passwordFailures;
  const lockUntil = now + s.lockoutMs;
  const fresh = sql`((${t.lockedUntil} IS NOT NULL AND ${t.lockedUntil} <= ${now}) OR ${t.lastFailedAt} <= ${now - FAILURES_FORGOTTEN_AFTER_MS})`;
  const attempts = sql`(CASE WHEN ${fresh} THEN 1 ELSE ${t.failedAttempts} + 1 END)`;
  const claim = db
    .insert(t)
    // INSERT … SELECT needs a WHERE before ON CONFLICT (SQLite's parsing rule), which also keeps NULL out.
    .select(sql`SELECT s.subject, 1, ${1 >= s.lockoutMaxAttempts ? lockUntil : null}, ${now} FROM (SELECT ${subject} AS subject) s WHERE s.subject IS NOT NULL`)
    .onConflictDoUpdate({
      target: t.subject,
      set: {
        failedAttempts: attempts,
        lockedUntil: sql`(CASE WHEN ${attempts} >= ${s.lockoutMaxAttempts} THEN ${lockUntil} ELSE NULL END)`,
        lastFailedAt: now,
      },
      setWhere: or(isNull(t.lockedUntil), lte(t.lockedUntil, now)),
    })
    .returning({ failedAttempts: t.failedAttempts });
  const lock = db.select({ lockedUntil: t.lockedUntil }).from(t).where(and(eq(t.subject, subject), gt(t.lockedUntil, now)));
  return [claim, lock] as const;
}

/** After the batch: 429 with Retry-After unless the attempt was claimed. */
export function requireClaimed(claimed: unknown[], locked: { lockedUntil: number | null }[], now: number): void {
  if (claimed.length > 0) return;
  const until = locked[0]?.lockedUntil;
  if (!until) throw new Error('an unclaimed password attempt without a running lock');
  throw problems.locked(Math.max(1, Math.ceil((until - now) / 1000)));
}

/** A right password (or a new one, when `when` holds): the subject's count goes. */
export function attemptSucceeded(db: Db, subject: SQL, when?: SQL) {
  return db.delete(passwordFailures).where(and(eq(passwordFailures.subject, subject), when));
}

/** For the hourly cron: rows the claim would treat as fresh anyway (no running lock, forgotten). */
export async function forgetPasswordFailures(d1: D1Database, now: number): Promise<void> {
  const t = passwordFailures;
  await drizzle(d1)
    .delete(t)
    .where(and(lt(t.lastFailedAt, now - FAILURES_FORGOTTEN_AFTER_MS), or(isNull(t.lockedUntil), lte(t.lockedUntil, now))));
}
