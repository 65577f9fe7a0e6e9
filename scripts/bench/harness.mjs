// Benchmark harness: the worker as `wrangler deploy` would bundle it, run by Miniflare's Node API
// (no wrangler dev proxy in the way), on a D1 and R2 persisted under .bench/ so that a seeded
// database survives between runs. Requests go straight to the worker with dispatchFetch.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';

export const ROOT = join(import.meta.dirname, '..', '..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');

/** Bundles the worker; answers the bundle's path and wrangler's report (it holds the upload sizes). */
export function buildWorker() {
  const outdir = join(ROOT, '.bench', 'worker');
  const report = execFileSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' });
  return { scriptPath: join(outdir, 'worker.js'), report };
}

/**
 * As buildWorker, without blocking, so that several bundles build at once; `entry` and `config`
 * bundle another worker (a benchmark peer) with wrangler's esbuild and that config's settings.
 */
export async function buildBundle(outdir, { entry, config } = {}) {
  const args = ['deploy', ...(entry ? [entry] : []), '--dry-run', '--outdir', outdir, ...(config ? ['--config', config] : [])];
  const { stdout } = await promisify(execFile)(WRANGLER, args, { cwd: ROOT, encoding: 'utf8' });
  return { scriptPath: join(outdir, `${basename(entry ?? 'worker.ts').replace(/\.ts$/, '')}.js`), report: stdout };
}

/** The gzip size from a wrangler build report, e.g. "199.41 KiB". */
export function gzipSize(report) {
  return /Total Upload: [\d.]+ \w+ \/ gzip: ([\d.]+ \w+)/.exec(report)?.[1] ?? '?';
}

/** The workerd processes this process started (Miniflare spawns one per instance, as a child). */
export function workerdPids() {
  return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('workerd'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** CPU time a process has used, user and system, in ms: fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Runs `start` (which creates one Miniflare instance and waits for it) and answers its result
 * with the pid of the workerd process it spawned, so that its CPU time can be read. Instances
 * must start one at a time for the new pid to be known.
 */
export async function withWorkerdPid(start) {
  const before = new Set(workerdPids());
  const started = await start();
  const fresh = workerdPids().filter((pid) => !before.has(pid));
  if (fresh.length !== 1) throw new Error(`expected one new workerd process, found ${fresh.length}`);
  return { ...started, pid: fresh[0] };
}

/**
 * `shared`: extra Miniflare shared options, e.g. the host and port of the entry socket (the load
 * bench drives that socket over HTTP) or another persistence path. Answers the entry socket's URL
 * and the build report beside the Miniflare instance and its D1. `bundle`: an already built one.
 */
export async function startWorker(name, shared = {}, bundle = buildWorker()) {
  const { scriptPath, report } = bundle;
  // Miniflare 5 takes a new option shape; the long-documented v4 shape converts to it.
  const mf = new Miniflare(convertV4MiniflareOptions({
    resourcePersistencePath: join(ROOT, '.bench', 'state'),
    ...shared,
    workers: [
      {
        name: 'fieldbase',
        modules: true,
        scriptPath,
        compatibilityDate: '2026-10-01',
        d1Databases: { DB: `bench-${name}` },
        r2Buckets: { FILES: `bench-${name}` },
        bindings: { TOKEN_TTL_HOURS: '720', UPLOAD_MAX_BYTES: String(90 * 1024 * 1024), JSON_MAX_BYTES: '1048576', CORS_ORIGINS: '' },
      },
    ],
  }));
  const url = await mf.ready;
  return { mf, db: await mf.getD1Database('DB'), url, report };
}

/** Applies migrations/ in order, once (tracked in the same table wrangler uses); answers how many ran. */
export async function migrate(db) {
  let applied = 0;
  await db.prepare('CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TEXT)').run();
  const done = new Set((await db.prepare('SELECT name FROM d1_migrations').all()).results.map((r) => r.name));
  for (const file of readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql')).sort()) {
    if (done.has(file)) continue;
    const statements = readFileSync(join(ROOT, 'migrations', file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare('INSERT INTO d1_migrations (name, applied_at) VALUES (?, ?)').bind(file, new Date().toISOString())]);
    applied += 1;
  }
  return applied;
}

export function serverTiming(res) {
  const m = /d1;dur=([\d.]+);desc="(\d+) round trips?"/.exec(res.headers.get('Server-Timing') ?? '');
  return m ? { d1ms: Number(m[1]), trips: Number(m[2]) } : { d1ms: NaN, trips: NaN };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export function median(list) {
  const sorted = list.toSorted((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[Math.floor(mid)];
}

/** Times `runs` sequential requests after `warmup` unmeasured ones. */
export async function measure(mf, label, url, headers, { runs = 30, warmup = 5 } = {}) {
  const times = [];
  const d1 = [];
  let trips = 0;
  let sample;
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const res = await mf.dispatchFetch(url, { headers });
    const body = await res.text();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${body.slice(0, 300)}`);
    if (i >= warmup) {
      times.push(elapsed);
      const t = serverTiming(res);
      d1.push(t.d1ms);
      trips = t.trips;
      sample ??= JSON.parse(body);
    }
  }
  times.sort((a, b) => a - b);
  d1.sort((a, b) => a - b);
  return { label, p50: quantile(times, 0.5), p95: quantile(times, 0.95), d1p50: quantile(d1, 0.5), trips, sample };
}

export function table(rows) {
  const lines = ['| request | p50 ms | p95 ms | D1 ms (p50) | D1 round trips | rows | count |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.d1p50.toFixed(1)} | ${r.trips} | ${r.sample?.results?.length ?? r.sample?.features?.length ?? 1} | ${r.sample?.count ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Who a benchmark calls as: a user with a token (by its SHA-256, as the worker stores it), a
 * member of one organisation and an editor of one private project in it. Statements for a batch;
 * INSERT OR IGNORE so that a persisted state is reused as it is.
 */
export function seedCaller(db, { user, username, token, org, orgSlug, orgName, project, now }) {
  const tokenHash = createHash('sha256').update(token).digest('hex');
  return [
    db.prepare("INSERT OR IGNORE INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES (?, ?, ?, 'Bench', '!', ?, ?)").bind(user, username, `${username}@bench.test`, now, now),
    db
      .prepare("INSERT OR IGNORE INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at) VALUES (?, ?, ?, 'personal', 'bench', ?, ?)")
      .bind(`tok_${user.slice(4)}`, user, tokenHash, now, now + 365 * 86_400_000),
    db.prepare('INSERT OR IGNORE INTO organizations (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').bind(org, orgSlug, orgName, now, now),
    db.prepare("INSERT OR IGNORE INTO memberships (organization_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)").bind(org, user, now),
    db
      .prepare("INSERT OR IGNORE INTO projects (id, organization_id, slug, name, access, created_at, updated_at) VALUES (?, ?, 'canals', 'Canals', 'private', ?, ?)")
      .bind(project, org, now, now),
    db.prepare("INSERT OR IGNORE INTO project_members (project_id, user_id, role, created_at) VALUES (?, ?, 'editor', ?)").bind(project, user, now),
  ];
}
