/**
 * The caller as the one-row table `k` (no row when the credential is not valid): `cu` the user id,
 * `cs` the superuser flag, `ct` the token id, and what the caller check reads. Its parameters are
 * ?1 the token's SHA-256, ?2 now, ?3 the e-mail the credential names (NULL for a bearer token); a
 * statement's own `?` parameters are numbered after them. Apart from auth/caller.ts so that the
 * write context (db/write-context.ts) can see past it without importing the caller module.
 */
export const CALLER_TABLE = `k AS (SELECT t.id AS ct, t.user_id AS cu, u.is_superuser AS cs, t.token_hash AS th, t.last_used_at AS tl,
    u.username AS cn, u.email AS ce
  FROM tokens t JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 AND u.is_active = 1 AND (?3 IS NULL OR u.email = ?3))`;

/** `query` without the caller table that auth/caller.ts put in front of it (withCaller). */
export function withoutCaller(query: string): string {
  const alone = `WITH ${CALLER_TABLE} `;
  if (query.startsWith(alone)) return query.slice(alone.length);
  for (const head of ['WITH ', 'WITH RECURSIVE ']) {
    const merged = `${head}${CALLER_TABLE}, `;
    if (query.startsWith(merged)) return `${head}${query.slice(merged.length)}`;
  }
  return query;
}
