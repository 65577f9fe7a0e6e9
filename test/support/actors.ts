/**
 * Test actors: accounts and tokens written straight into D1 (fast, and independent of the
 * routes under test), organisations made through the API.
 */
import { env } from 'cloudflare:workers';
import { hashPassword } from '../../src/auth/password';
import { newTokenSecret, tokenHash } from '../../src/auth/tokens';
import { newId } from '../../src/lib/ids';
import { call } from './api';

export const PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;

export interface Actor {
  id: string;
  username: string;
  email: string;
  token: string;
  /** Authorization: Bearer */
  auth: Record<string, string>;
  /** The X-User-Email + X-User-Token pair (seed 003). */
  pair: Record<string, string>;
}

let counter = 0;

export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}${Math.random().toString(36).slice(2, 7)}`;
}

export async function mintToken(userId: string, opts: { expiresAt?: number; revoked?: boolean } = {}): Promise<string> {
  const secret = newTokenSecret();
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(newId('tok'), userId, await tokenHash(secret), 'personal', 'test', now, opts.expiresAt ?? now + 3_600_000, opts.revoked ? now : null)
    .run();
  return secret;
}

export async function makeUser(opts: { superuser?: boolean; username?: string; active?: boolean } = {}): Promise<Actor> {
  passwordHash ??= hashPassword(PASSWORD);
  const id = newId('usr');
  const username = opts.username ?? unique('user');
  const email = `${username}@example.test`;
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO users (id, username, email, name, password_hash, is_superuser, is_active, date_joined, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(id, username, email, `Name of ${username}`, await passwordHash, opts.superuser ? 1 : 0, opts.active === false ? 0 : 1, now, now)
    .run();
  const token = await mintToken(id);
  return { id, username, email, token, auth: { Authorization: `Bearer ${token}` }, pair: { 'X-User-Email': email, 'X-User-Token': token } };
}

/** An organisation whose admin is `admin`, with `members` added as members. */
export async function makeOrg(admin: Actor, members: Actor[] = [], fields: Record<string, unknown> = {}) {
  const slug = unique('org-');
  const created = await call('/v1/organizations', { headers: admin.auth, json: { name: `Org ${slug}`, slug, ...fields } });
  if (created.status !== 201) throw new Error(`org create failed: ${created.status} ${created.text}`);
  for (const m of members) {
    const added = await call(`/v1/organizations/${slug}/members`, { headers: admin.auth, json: { user: m.id, role: 'member' } });
    if (added.status !== 201) throw new Error(`member add failed: ${added.status} ${added.text}`);
  }
  return created.body as { id: string; slug: string; name: string };
}

export async function count(table: string, where = '1 = 1', ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).bind(...params).first<{ n: number }>();
  return row?.n ?? 0;
}
