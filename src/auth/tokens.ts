/**
 * Tokens: 32 random bytes, base64url, behind a recognisable prefix (secret scanners can match
 * it): `fbt_` for tokens, `fbi_` for invitations. Only the SHA-256 is stored; the secret is shown
 * once, when it is made.
 */
export const TOKEN_PREFIX = 'fbt_';
export const INVITATION_PREFIX = 'fbi_';
const TOKEN_PATTERN = /^fbt_[A-Za-z0-9_-]{43}$/;

function b64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function newTokenSecret(prefix: typeof TOKEN_PREFIX | typeof INVITATION_PREFIX = TOKEN_PREFIX): string {
  return prefix + b64url(crypto.getRandomValues(new Uint8Array(32)));
}

export function isWellFormedToken(secret: string): boolean {
  return TOKEN_PATTERN.test(secret);
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export async function tokenHash(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  let hex = '';
  for (const b of digest) hex += HEX[b];
  return hex;
}

/** Comparison of two hex digests in time that depends only on their length. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
