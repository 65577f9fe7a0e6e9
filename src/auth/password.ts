/**
 * PBKDF2-SHA256 through WebCrypto, stored as `pbkdf2_sha256$<iterations>$<salt>$<hash>` (the
 * Django format), so the algorithm and its parameters travel with every hash.
 *
 * 100,000 iterations is the most the Workers runtime allows in production (workerd #1346);
 * local workerd does not enforce the cap, so a test does.
 */
export const PBKDF2_ITERATIONS = 100_000;
export const PBKDF2_MAX_ITERATIONS = 100_000;
const ALGORITHM = 'pbkdf2_sha256';
const KEY_BYTES = 32;

const enc = new TextEncoder();

function b64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', enc.encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, KEY_BYTES * 8);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  if (iterations > PBKDF2_MAX_ITERATIONS) throw new Error(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS} fail on Workers`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${b64(salt)}$${b64(hash)}`;
}

/** A hash no password matches: for accounts created without one. */
export const UNUSABLE_PASSWORD = '!';

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algorithm, iterText, saltText, hashText] = stored.split('$');
  const iterations = Number(iterText);
  if (algorithm !== ALGORITHM || !saltText || !hashText || !Number.isInteger(iterations)) {
    await burnVerification(password);
    return false;
  }
  if (iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) return false;
  const expected = unb64(hashText);
  const actual = await derive(password, unb64(saltText), iterations);
  return expected.byteLength === actual.byteLength && crypto.subtle.timingSafeEqual(expected, actual);
}

const BURN_SALT = new Uint8Array(16);

/** Spends the time of one verification, so that an unknown login answers as slowly as a wrong password. */
export async function burnVerification(password: string): Promise<void> {
  await derive(password, BURN_SALT, PBKDF2_ITERATIONS);
}
