// `npm run bench:teams`: 100,000 projects across 100 organisations in a local D1, then seed 001's
// filtered list (POST /compat/teams/v1/projects/list) as a caller who is a member of all of them
// (90,000 visible: a tenth are private) and admin of ten (their trash too). Prints a table.
// The first run seeds; later runs reuse .bench/state (database bench-teams). `--reseed` starts over.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorker, migrate, ROOT, serverTiming, startWorker } from './harness.mjs';

const ORGS = 100;
const PER_ORG = 1000;
const CREATORS = 10;
const ROWS_PER_STATEMENT = 1000; // one bound parameter (a JSON array) per statement

if (process.argv.includes('--reseed')) rmSync(join(ROOT, '.bench', 'state'), { recursive: true, force: true });
/** wrangler's bundle; where wrangler will not run (it needs Node 22), the same entry bundled by esbuild, which wrangler uses. */
function bundle() {
  try {
    return buildWorker();
  } catch (error) {
    console.log(`wrangler: ${String(error.stderr ?? error).split('\n')[0]}; bundling with esbuild`);
    const outfile = join(ROOT, '.bench', 'teams-worker', 'index.js');
    const args = ['src/index.ts', '--bundle', '--format=esm', '--platform=neutral', '--main-fields=module,main', '--conditions=workerd,worker,browser', '--external:cloudflare:*', '--minify', `--outfile=${outfile}`];
    execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), args, { cwd: ROOT, stdio: 'pipe' });
    return { scriptPath: outfile, report: '' };
  }
}
const { mf, db } = await startWorker('teams', {}, bundle());
const migrated = await migrate(db);

const WORDS = 'river valley north south harbour mill bridge station tower field forest lake hill park road rail water power grid solar'.split(' ');
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(rand() * list.length)];
const pad = (n, width) => String(n).padStart(width, '0');

const token = 'fbt_' + 't'.repeat(43);
const existing = (await db.prepare('SELECT count(*) AS n FROM projects').first()).n;
if (existing < ORGS * PER_ORG) {
  console.log(`seeding ${ORGS * PER_ORG} projects (found ${existing}) ...`);
  const started = performance.now();
  const now = Date.now();
  const users = [db.prepare("INSERT OR IGNORE INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES ('usr_bench_teams', 'bench', 'bench@bench.test', 'Bench', '!', ?, ?)").bind(now, now)];
  for (let u = 0; u < CREATORS; u++) {
    users.push(db.prepare("INSERT OR IGNORE INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES (?, ?, ?, 'Creator', '!', ?, ?)").bind(`usr_bench_c${u}`, `creator${u}`, `c${u}@bench.test`, now, now));
  }
  users.push(
    db
      .prepare("INSERT OR IGNORE INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at) VALUES ('tok_bench_teams', 'usr_bench_teams', ?, 'personal', 'bench', ?, ?)")
      .bind(createHash('sha256').update(token).digest('hex'), now, now + 365 * 86_400_000),
  );
  await db.batch(users);
  for (let o = 0; o < ORGS; o++) {
    const orgId = `org_bench_${pad(o, 4)}`;
    const statements = [
      db.prepare('INSERT OR IGNORE INTO organizations (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').bind(orgId, `bench-${o}`, `Team ${o}`, now, now),
      db.prepare('INSERT OR IGNORE INTO memberships (organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').bind(orgId, 'usr_bench_teams', o < 10 ? 'admin' : 'member', now),
    ];
    const rows = [];
    for (let p = 0; p < PER_ORG; p++) {
      const n = o * PER_ORG + p;
      rows.push({
        id: `prj_bench_${pad(n, 6)}`,
        org: orgId,
        slug: `p-${p}`,
        name: `${pick(WORDS)} ${pick(WORDS)} ${n}`,
        access: p % 10 === 0 ? 'private' : 'organization',
        creator: `usr_bench_c${n % CREATORS}`,
        t: now - n * 1000,
        deleted: p % 50 === 1 ? now : null,
      });
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO projects (id, organization_id, slug, name, access, creator_id, created_at, updated_at, deleted_at)
             SELECT json_extract(value, '$.id'), json_extract(value, '$.org'), json_extract(value, '$.slug'), json_extract(value, '$.name'),
                    json_extract(value, '$.access'), json_extract(value, '$.creator'), json_extract(value, '$.t'), json_extract(value, '$.t'), json_extract(value, '$.deleted')
             FROM json_each(?)`,
          )
          .bind(JSON.stringify(rows.slice(i, i + ROWS_PER_STATEMENT))),
      );
    }
    await db.batch(statements);
  }
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
if (migrated > 0 || existing < ORGS * PER_ORG) await db.prepare('ANALYZE').run();

const numberOf = async (table, id) => (await db.prepare(`SELECT number FROM ${table} WHERE id = ?`).bind(id).first()).number;
const team = await numberOf('organizations', 'org_bench_0042');
const creator = await numberOf('users', 'usr_bench_c3');
const pk = await numberOf('projects', 'prj_bench_054321');

/** Times `runs` sequential POSTs of `body` after `warmup` unmeasured ones. */
async function measure(label, body, query = '', { runs = 20, warmup = 3 } = {}) {
  const times = [];
  const d1 = [];
  let trips = 0;
  let rows = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const res = await mf.dispatchFetch(`http://bench.local/compat/teams/v1/projects/list${query}`, {
      method: 'POST',
      headers: { Authorization: `Token ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${text.slice(0, 300)}`);
    if (i >= warmup) {
      times.push(elapsed);
      const t = serverTiming(res);
      d1.push(t.d1ms);
      trips = t.trips;
      rows = JSON.parse(text).length;
    }
  }
  const q = (list, at) => list.toSorted((a, b) => a - b)[Math.min(list.length - 1, Math.floor(at * list.length))];
  return { label, p50: q(times, 0.5), p95: q(times, 0.95), d1p50: q(d1, 0.5), trips, rows };
}

const results = [
  await measure('no body: first 1,000 by pk', undefined),
  await measure('no body, limit=50', undefined, '?limit=50'),
  await measure('team = one team (1,000), order_by name, limit=50', { expressions: [{ type: 'exact', field: 'team', value: team }], order_by: [{ field: 'name' }] }, '?limit=50'),
  await measure('name contains "harbour" (case-insensitive), limit=50', { expressions: [{ type: 'contains', field: 'name', sub_string: 'HARBOUR', case_insensitive: true }] }, '?limit=50'),
  await measure('name contains a string no project has', { expressions: [{ type: 'contains', field: 'name', sub_string: 'zanzibarite' }] }),
  await measure('creator = one user, order_by creation_time desc, limit=50', { expressions: [{ type: 'exact', field: 'creator', value: creator }], order_by: [{ field: 'creation_time', ascending: false }] }, '?limit=50'),
  await measure('pk = one project', { expressions: [{ type: 'exact', field: 'pk', value: pk }] }),
  await measure('or of team and creator, order_by name desc, limit=50', { expressions: [{ type: 'or', sub_expressions: [{ type: 'exact', field: 'team', value: team }, { type: 'exact', field: 'creator', value: creator }] }], order_by: [{ field: 'name', ascending: false }] }, '?limit=50'),
  await measure('include_inactive, order_by deletion_time desc nulls last, limit=50', { include_inactive: true, order_by: [{ field: 'deletion_time', ascending: false, nulls_first: false }] }, '?limit=50'),
];

const visible = (await db.prepare("SELECT count(*) AS n FROM projects WHERE deleted_at IS NULL AND (access = 'organization' OR organization_id < 'org_bench_0010')").first()).n;
console.log(`\n${ORGS * PER_ORG} projects, ${ORGS} teams; the caller sees ${visible} live ones (and the trash of 10 teams). Miniflare (local workerd + SQLite), ${new Date().toISOString()}\n`);
console.log('| filter document | p50 ms | p95 ms | D1 ms (p50) | D1 round trips | rows |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) console.log(`| ${r.label} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.d1p50.toFixed(1)} | ${r.trips} | ${r.rows} |`);
await mf.dispose();
