/** Bindings and settings (wrangler.toml [vars]); settings are parsed once per isolate and cached. */
export interface Bindings {
  DB: D1Database;
  FILES: R2Bucket;
  ASSETS?: Fetcher;
  TOKEN_TTL_HOURS?: string;
  LOCKOUT_MAX_ATTEMPTS?: string;
  LOCKOUT_MINUTES?: string;
  INVITATION_TTL_HOURS?: string;
  UPLOAD_MAX_BYTES?: string;
  JSON_MAX_BYTES?: string;
  CORS_ORIGINS?: string;
  CHANGE_RETENTION_DAYS?: string;
}

export interface Settings {
  tokenTtlMs: number;
  lockoutMaxAttempts: number;
  lockoutMs: number;
  invitationTtlMs: number;
  uploadMaxBytes: number;
  jsonMaxBytes: number;
  corsOrigins: string[];
  /** How long the change log keeps a change that a later one superseded, or a deletion. */
  changeRetentionMs: number;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`setting ${name} must be a positive integer, got "${value}"`);
  return n;
}

const cache = new WeakMap<object, Settings>();

export function settings(env: Bindings): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed: Settings = {
    tokenTtlMs: positiveInt(env.TOKEN_TTL_HOURS, 720, 'TOKEN_TTL_HOURS') * 3_600_000,
    lockoutMaxAttempts: positiveInt(env.LOCKOUT_MAX_ATTEMPTS, 4, 'LOCKOUT_MAX_ATTEMPTS'),
    lockoutMs: positiveInt(env.LOCKOUT_MINUTES, 5, 'LOCKOUT_MINUTES') * 60_000,
    invitationTtlMs: positiveInt(env.INVITATION_TTL_HOURS, 168, 'INVITATION_TTL_HOURS') * 3_600_000,
    uploadMaxBytes: positiveInt(env.UPLOAD_MAX_BYTES, 90 * 1024 * 1024, 'UPLOAD_MAX_BYTES'),
    jsonMaxBytes: positiveInt(env.JSON_MAX_BYTES, 1024 * 1024, 'JSON_MAX_BYTES'),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    changeRetentionMs: positiveInt(env.CHANGE_RETENTION_DAYS, 30, 'CHANGE_RETENTION_DAYS') * 86_400_000,
  };
  cache.set(env, parsed);
  return parsed;
}
