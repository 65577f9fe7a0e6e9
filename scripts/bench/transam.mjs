// `npm run bench:transam`: 100,000 assets of one organisation in a local D1 (100 projects of
// 1,000, every tenth private; every fiftieth asset in no project), then TransAM's asset list
// (GET /compat/transam/api/v1/assets, offset paging by page/page_size with Total) for an org admin,
// who sees all of them, and for a plain member, who sees the open projects, the assets in no
// project and one private project they are a member of: page 1 and page 400 (page_size 25, 10,000
// rows deep); /v1 at the same depth with its count as kept and as a full count, and its keyset
// `next` link. Then the count statements
// alone, Total as kept (the counts triggers keep) against Total as a full count of the visible
// rows (the statement the list ran before), and the query plans of the page and the counts.
// The first run seeds; later runs reuse .bench/state (database bench-transam). `--reseed` starts over.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { measure, median, migrate, ROOT, startWorker } from './harness.mjs';

const PROJECTS = 100;
const PER_PROJECT = 1000;
const ASSETS = PROJECTS * PER_PROJECT;
const ROWS_PER_STATEMENT = 1000; // one bound parameter (a JSON array) per statement
const ORG = 'org_bench_transam';

if (process.argv.includes('--reseed')) rmSync(join(ROOT, '.bench', 'state'), { recursive: true, force: true });
const { mf, db } = await startWorker('transam');
const migrated = await migrate(db);

const WORDS = 'bus rail car ferry depot shelter station track signal switch bridge tunnel yard garage lift ramp platform canopy kiosk gate'.split(' ');
let seed = 13;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(rand() * list.length)];
const pad = (n, width) => String(n).padStart(width, '0');

const callers = {
  admin: { id: 'usr_bench_transam_admin', email: 'admin@transam.bench.test', token: 'fbt_' + 'm'.repeat(43), role: 'admin' },
  member: { id: 'usr_bench_transam_member', email: 'member@transam.bench.test', token: 'fbt_' + 'n'.repeat(43), role: 'member' },
};
const tokenHash = (token) => createHash('sha256').update(token).digest('hex');

const existing = (await db.prepare('SELECT count(*) AS n FROM assets WHERE organization_id = ?').bind(ORG).first()).n;
if (existing < ASSETS) {
  console.log(`seeding ${ASSETS} assets (found ${existing}) ...`);
  const started = performance.now();
  const now = Date.now();
  const setup = [db.prepare("INSERT OR IGNORE INTO organizations (id, slug, name, short_name, created_at, updated_at) VALUES (?, 'bench-transam', 'Transit Authority', 'TA', ?, ?)").bind(ORG, now, now)];
  for (const c of Object.values(callers)) {
    setup.push(
      db.prepare("INSERT OR IGNORE INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES (?, ?, ?, 'Bench', '!', ?, ?)").bind(c.id, c.email.split('@')[0], c.email, now, now),
      db
        .prepare("INSERT OR IGNORE INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at) VALUES (?, ?, ?, 'personal', 'bench', ?, ?)")
        .bind(`tok_${c.id.slice(4)}`, c.id, tokenHash(c.token), now, now + 365 * 86_400_000),
      db.prepare('INSERT OR IGNORE INTO memberships (organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').bind(ORG, c.id, c.role, now),
    );
  }
  for (let p = 0; p < PROJECTS; p++) {
    setup.push(
      db
        .prepare('INSERT OR IGNORE INTO projects (id, organization_id, slug, name, access, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .bind(`prj_bench_transam_${pad(p, 3)}`, ORG, `line-${p}`, `Line ${p}`, p % 10 === 0 ? 'private' : 'organization', now, now),
    );
  }
  setup.push(db.prepare("INSERT OR IGNORE INTO project_members (project_id, user_id, role, created_at) VALUES ('prj_bench_transam_000', ?, 'viewer', ?)").bind(callers.member.id, now));
  await db.batch(setup);
  for (let i = 0; i < ASSETS; i += ROWS_PER_STATEMENT * 10) {
    const statements = [];
    for (let j = i; j < Math.min(ASSETS, i + ROWS_PER_STATEMENT * 10); j += ROWS_PER_STATEMENT) {
      const rows = [];
      for (let n = j; n < j + ROWS_PER_STATEMENT; n++) {
        rows.push({
          id: `ast_bench_transam_${pad(n, 6)}`,
          project: n % 50 === 0 ? null : `prj_bench_transam_${pad(Math.floor(n / PER_PROJECT), 3)}`,
          tag: `TA-${n}`,
          name: `${pick(WORDS)} ${pick(WORDS)} ${n}`,
          type: pick(['Revenue Vehicle', 'Facility', 'Infrastructure', 'Equipment']),
          subtype: pick(['Bus', 'Light Rail', 'Ferry', 'Shelter', 'Garage', 'Track']),
          t: now - n * 1000,
        });
      }
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO assets (id, organization_id, project_id, asset_tag, name, asset_type, asset_subtype, in_service_date, created_at, updated_at)
             SELECT json_extract(value, '$.id'), '${ORG}', json_extract(value, '$.project'), json_extract(value, '$.tag'), json_extract(value, '$.name'),
                    json_extract(value, '$.type'), json_extract(value, '$.subtype'), '2018-11-23', json_extract(value, '$.t'), json_extract(value, '$.t')
             FROM json_each(?)`,
          )
          .bind(JSON.stringify(rows)),
      );
    }
    await db.batch(statements);
  }
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
if (migrated > 0 || existing < ASSETS) await db.prepare('ANALYZE').run();

const T = 'http://bench.local/compat/transam/api/v1/assets';
const pair = (c) => ({ 'X-User-Email': c.email, 'X-User-Token': c.token });

/** The /v1 keyset link that starts 10,000 rows in (50 pages of 200, then 25 a page). */
async function keysetAt10000(c) {
  let url = 'http://bench.local/v1/assets?limit=200';
  for (let i = 0; i < 50; i++) url = (await (await mf.dispatchFetch(url, { headers: pair(c) })).json()).next;
  return url.replace('limit=200', 'limit=25');
}

const rows = [];
for (const [who, c] of Object.entries(callers)) {
  for (const [label, url] of [
    ['page 1', `${T}?page=1&page_size=25`],
    ['page 400 (10,000 rows deep, offset)', `${T}?page=400&page_size=25`],
  ]) {
    const r = await measure(mf, `${who}: TransAM ${label}`, url, pair(c), { runs: 20, warmup: 3 });
    const res = await mf.dispatchFetch(url, { headers: pair(c) });
    await res.text();
    rows.push({ ...r, total: res.headers.get('Total'), n: r.sample.data.assets.length });
  }
  // /v1 at the same depth: its count as kept, then as a full count (a filter that keeps every row
  // makes the list count its rows), and its keyset `next` link.
  for (const [label, url] of [
    ['/v1 page 400, count as kept', 'http://bench.local/v1/assets?page=400&page_size=25'],
    ['/v1 page 400, count as a full count (?organization=)', 'http://bench.local/v1/assets?page=400&page_size=25&organization=bench-transam'],
    ['/v1 keyset `next` 10,000 rows deep', await keysetAt10000(c)],
  ]) {
    const r = await measure(mf, `${who}: ${label}`, url, pair(c), { runs: 20, warmup: 3 });
    rows.push({ ...r, total: String(r.sample.count), n: r.sample.results.length });
  }
}

console.log(`\n${ASSETS} assets in one organisation (${PROJECTS} projects, every tenth private; every fiftieth asset in no project). Miniflare (local workerd + SQLite), ${new Date().toISOString()}\n`);
console.log('| request | p50 ms | p95 ms | D1 ms (p50) | D1 round trips | rows | Total |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.label} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.d1p50.toFixed(1)} | ${r.trips} | ${r.n} | ${r.total} |`);

// The statements themselves, built by the service's own code (assets/service.ts, auth/access.ts)
// and run straight on the D1 with the caller's parameters in front: the page, Total as kept, and
// Total as a full count of the visible rows (the count the list ran before the kept counts).
const { assetListStatements } = await tsImport('../../src/assets/service.ts', import.meta.url);
const { visibleA } = await tsImport('../../src/assets/access.ts', import.meta.url);
const { callerParams, countWithCaller } = await tsImport('../../src/auth/caller.ts', import.meta.url);

async function timed(sql, params, runs = 20) {
  const prepared = db.prepare(sql).bind(...params);
  let answer;
  for (let i = 0; i < 3; i++) answer = await prepared.raw();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await prepared.raw();
    times.push(performance.now() - started);
  }
  return { ms: median(times), answer };
}

async function plan(sql, params) {
  const { results } = await db.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all();
  const depth = new Map([[0, -1]]);
  return results.map((r) => {
    depth.set(r.id, (depth.get(r.parent) ?? -1) + 1);
    return `${'  '.repeat(depth.get(r.id))}${r.detail}`;
  });
}

const statementRows = [];
const plans = [];
const baseline = await timed('SELECT 1', []);
for (const [who, c] of Object.entries(callers)) {
  const head = callerParams({ credential: { tokenHash: tokenHash(c.token), email: null }, now: Date.now() });
  const deep = assetListStatements({ page: 400, page_size: 25 });
  const full = countWithCaller(`SELECT count(*) FROM assets a WHERE ${visibleA('count')}`, []);
  const [page, kept, counted] = [deep.page, deep.count, full].map((s) => [s.sql, [...head, ...s.params]]);
  const nOf = (answer) => answer[0].at(-1);
  const p = await timed(...page);
  const k = await timed(...kept);
  const f = await timed(...counted);
  statementRows.push({ who, page: p.ms, kept: k.ms, keptN: nOf(k.answer), full: f.ms, fullN: nOf(f.answer) });
  if (who === 'member') plans.push(['page 400 (member)', await plan(...page)], ['Total as kept (member)', await plan(...kept)], ['Total as a full count (member)', await plan(...counted)]);
}

console.log(`\nThe statements alone (D1 from Node, median of 20 after 3 warm-up runs; the IPC to workerd included: SELECT 1 takes ${baseline.ms.toFixed(2)} ms):\n`);
console.log('| caller | page 400 ms | Total as kept ms | Total kept | Total as a full count ms | Total counted |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of statementRows) console.log(`| ${r.who} | ${r.page.toFixed(2)} | ${r.kept.toFixed(2)} | ${r.keptN} | ${r.full.toFixed(2)} | ${r.fullN} |`);
for (const [label, lines] of plans) console.log(`\nEXPLAIN QUERY PLAN, ${label}:\n${lines.map((l) => `    ${l}`).join('\n')}`);
await mf.dispose();
