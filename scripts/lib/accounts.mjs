// Shared by dev.mjs and create-superuser.mjs: a superuser row written with `wrangler d1 execute`,
// its password hashed exactly as src/auth/password.ts does (PBKDF2-SHA256, 100,000 iterations).
import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { typeid } from 'typeid-js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

export function hashPassword(password) {
  const iterations = 100_000;
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return `pbkdf2_sha256$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const quote = (text) => `'${String(text).replace(/'/g, "''")}'`;

export function validateAccount({ username, email, password }) {
  if (!/^[a-z0-9][a-z0-9._-]{1,39}$/.test(username)) throw new Error('username: 2-40 lower-case letters, digits, ".", "_" or "-"');
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error('email: not an email address');
  if (!password || password.length < 10) throw new Error('password: at least 10 characters');
}

/** Inserts the superuser unless that username or email exists already; answers whether it was created. */
export function ensureSuperuser({ username, email, password, name = '' }, where /* '--local' | '--remote' */) {
  validateAccount({ username, email, password });
  const now = Date.now();
  const sql =
    'INSERT OR IGNORE INTO users (id, username, email, name, password_hash, is_superuser, is_active, date_joined, updated_at) VALUES (' +
    [quote(typeid('usr').toString()), quote(username.toLowerCase()), quote(email.toLowerCase()), quote(name), quote(hashPassword(password)), 1, 1, now, now].join(', ') +
    ');';
  const out = execFileSync(WRANGLER, ['d1', 'execute', 'DB', where, '--json', '--command', sql], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(out);
  return (result[0]?.meta?.changes ?? 0) > 0;
}

export function applyMigrations(where) {
  execFileSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', where], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, CI: 'true' } });
}
