/**
 * The whole stored state, to prove a request changed nothing: every row of every table (the
 * app's, the FTS5 and R*Tree indexes and their shadow tables; not SQLite's, D1's or workerd's own,
 * nor where the sweep's walk stopped), sorted; and every R2 object with its ETag and size.
 */
import { env } from 'cloudflare:workers';

export interface Snapshot {
  rows: Record<string, string[]>;
  objects: string[];
}

/**
 * What a request may write without changing anything a client sees: sign-in and token-use
 * bookkeeping. Columns by table; `'*'` for a whole table (the failed password checks, which a
 * refused sign-in or current_password counts by design; the kept answers of Idempotency-Key,
 * where a refusal is kept like any answer, for that key's retry alone).
 */
export const BOOKKEEPING: Record<string, string[] | '*'> = {
  users: ['last_login', 'updated_at'],
  tokens: ['last_used_at'],
  password_failures: '*',
  idempotency_keys: '*',
};

function cell(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return `x'${[...new Uint8Array(v)].map((b) => b.toString(16).padStart(2, '0')).join('')}'`;
  if (ArrayBuffer.isView(v)) return cell(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  return v;
}

/** The state, leaving out the `ignore` columns of each table. */
export async function snapshot(ignore: Record<string, string[] | '*'> = {}): Promise<Snapshot> {
  const listed = await env.DB.prepare('PRAGMA table_list').all<{ schema: string; name: string; type: string }>();
  const tables = listed.results
    .filter((t) => t.schema === 'main' && ['table', 'virtual', 'shadow'].includes(t.type) && !/^(sqlite_|_cf_|d1_)/i.test(t.name) && t.name !== 'sweep_state')
    .filter((t) => ignore[t.name] !== '*')
    .sort((a, b) => a.name.localeCompare(b.name));
  const results = await env.DB.batch(
    tables.map((t) => env.DB.prepare(`SELECT ${t.type === 'virtual' ? 'rowid AS _rowid, ' : ''}* FROM "${t.name}"`)),
  );
  const rows: Record<string, string[]> = {};
  tables.forEach((t, i) => {
    const skip = new Set(ignore[t.name] === '*' ? [] : (ignore[t.name] ?? []));
    rows[t.name] = (results[i]!.results as Record<string, unknown>[])
      .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !skip.has(k)).map(([k, v]) => [k, cell(v)]))))
      .sort();
  });
  const objects: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ ...(cursor ? { cursor } : {}) });
    objects.push(...page.objects.map((o) => `${o.key} ${o.etag} ${o.size}`));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { rows, objects: objects.sort() };
}

/** What differs between two snapshots: table names, and `r2` for the objects. */
export function changedParts(before: Snapshot, after: Snapshot): string[] {
  const tables = [...new Set([...Object.keys(before.rows), ...Object.keys(after.rows)])];
  const changed = tables.filter((t) => JSON.stringify(before.rows[t]) !== JSON.stringify(after.rows[t]));
  return JSON.stringify(before.objects) === JSON.stringify(after.objects) ? changed : [...changed, 'r2'];
}
