// `npm run bench:changes`: an organisation's change feed at 1,000,000 log entries (10,000 assets in
// 10 private projects, each changed 100 times), read by an org admin (sees all of it) and by a
// member of one of the projects (sees a tenth): the first page, a page half a million entries
// deep, the last page and an up-to-date page, through their cursors. Then the write overhead of
// the change log on a create: POST …/assets with the assets' log trigger and without it,
// interleaved. Prints two tables. The first run seeds (a few minutes); later runs reuse
// .bench/state. `--reseed` starts over.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { median, migrate, ROOT, serverTiming, startWorker } from './harness.mjs';

const PROJECTS = 10;
const ASSETS_PER_PROJECT = 1000;
const ASSETS = PROJECTS * ASSETS_PER_PROJECT;
const ENTRIES = 1_000_000;
const ROWS_PER_STATEMENT = 1000; // one bound parameter (a JSON array) per statement

if (process.argv.includes('--reseed')) rmSync(join(ROOT, '.bench', 'state'), { recursive: true, force: true });
const { mf, db } = await startWorker('changes');
const migrated = await migrate(db);

const ORG = 'org_bench_feed';
const ADMIN = { user: 'usr_bench_feed_admin', token: 'fbt_' + 'f'.repeat(43) };
const MEMBER = { user: 'usr_bench_feed_member', token: 'fbt_' + 'm'.repeat(43) };
const pad = (n, width) => String(n).padStart(width, '0');
const project = (p) => `prj_bench_feed_${pad(p, 2)}`;
const asset = (n) => `ast_bench_feed_${pad(n, 5)}`;

const inOrg = (await db.prepare('SELECT count(*) AS n FROM changes WHERE organization_id = ?').bind(ORG).first()).n;
if (inOrg < ENTRIES) {
  if (inOrg > 0) throw new Error(`a partial seed (${inOrg} entries): run again with --reseed`);
  console.log(`seeding ${ENTRIES} change log entries ...`);
  const started = performance.now();
  const now = Date.now();
  const statements = [db.prepare("INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES (?, 'bench-feed', 'Feed bench', ?, ?)").bind(ORG, now, now)];
  for (const [who, role] of [[ADMIN, 'admin'], [MEMBER, 'member']]) {
    statements.push(
      db.prepare("INSERT INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES (?, ?, ?, 'Bench', '!', ?, ?)").bind(who.user, who.user, `${who.user}@bench.test`, now, now),
      db
        .prepare("INSERT INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at) VALUES (?, ?, ?, 'personal', 'bench', ?, ?)")
        .bind(`tok_${who.user}`, who.user, createHash('sha256').update(who.token).digest('hex'), now, now + 365 * 86_400_000),
      db.prepare('INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').bind(ORG, who.user, role, now),
    );
  }
  for (let p = 0; p < PROJECTS; p++) {
    statements.push(db.prepare("INSERT INTO projects (id, organization_id, slug, name, access, created_at, updated_at) VALUES (?, ?, ?, ?, 'private', ?, ?)").bind(project(p), ORG, `p-${p}`, `Project ${p}`, now, now));
  }
  statements.push(db.prepare("INSERT INTO project_members (project_id, user_id, role, created_at) VALUES (?, ?, 'viewer', ?)").bind(project(0), MEMBER.user, now));
  await db.batch(statements);
  // The assets, through their triggers (one change each; their numbers from the numbering trigger).
  for (let n = 0; n < ASSETS; n += ROWS_PER_STATEMENT) {
    const rows = [];
    for (let i = n; i < n + ROWS_PER_STATEMENT; i++) rows.push([asset(i), project(Math.floor(i / ASSETS_PER_PROJECT)), `Asset ${i}`]);
    await db
      .prepare(
        `INSERT INTO assets (id, organization_id, project_id, name, created_at, updated_at)
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?2, ?2 FROM json_each(?3)`,
      )
      .bind(ORG, now, JSON.stringify(rows))
      .run();
  }
  // The rest as updates of those assets, in the order a busy organisation makes them.
  const have = (await db.prepare('SELECT count(*) AS n FROM changes WHERE organization_id = ?').bind(ORG).first()).n;
  for (let at = have; at < ENTRIES; at += ROWS_PER_STATEMENT * 20) {
    const batch = [];
    for (let s = at; s < Math.min(ENTRIES, at + ROWS_PER_STATEMENT * 20); s += ROWS_PER_STATEMENT) {
      const rows = [];
      for (let i = s; i < Math.min(ENTRIES, s + ROWS_PER_STATEMENT); i++) {
        const n = i % ASSETS;
        rows.push([asset(n), project(Math.floor(n / ASSETS_PER_PROJECT)), 2 + Math.floor(i / ASSETS)]);
      }
      batch.push(
        db
          .prepare(
            `INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, actor_id, at)
             SELECT ?1, json_extract(value, '$[1]'), 'asset', json_extract(value, '$[0]'), 'update', json_extract(value, '$[2]'), ?2, ?3 FROM json_each(?4)`,
          )
          .bind(ORG, ADMIN.user, now, JSON.stringify(rows)),
      );
    }
    await db.batch(batch);
    if (Math.floor(at / 100_000) !== Math.floor((at + ROWS_PER_STATEMENT * 20) / 100_000)) console.log(`  ${at + ROWS_PER_STATEMENT * 20} entries, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  await db.prepare('ANALYZE').run();
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} else if (migrated > 0) await db.prepare('ANALYZE').run();

const { first: firstSeq, last: lastSeq, n: entries } = await db.prepare('SELECT min(seq) AS first, max(seq) AS last, count(*) AS n FROM changes WHERE organization_id = ?').bind(ORG).first();
const cursor = (who, role, seq) => Buffer.from(JSON.stringify([ORG, seq, who.user, role])).toString('base64url');
const feed = (c) => `http://bench.local/v1/organizations/bench-feed/changes?limit=100${c ? `&cursor=${c}` : ''}`;

/** Times `runs` requests after `warmup`; also what a page held and whether its cursor moved. */
async function time(label, url, headers, { runs = 30, warmup = 5 } = {}) {
  const times = [];
  const d1 = [];
  let trips;
  let sample;
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const res = await mf.dispatchFetch(url, { headers });
    const body = await res.text();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${body.slice(0, 300)}`);
    if (i < warmup) continue;
    times.push(elapsed);
    const t = serverTiming(res);
    d1.push(t.d1ms);
    trips = t.trips;
    sample ??= JSON.parse(body);
  }
  return { label, p50: median(times), d1: median(d1), trips, changes: (sample.changes ?? sample.results).length };
}

// What a page costs depends on how many of its window's changes the caller may see (a page stops
// at `limit` visible ones, or at the window's end), not on its depth. So deep and shallow pages are
// compared with windows that hold the same changes: each begins just before the k-th change of one
// asset, and the log changes the assets in turn. Asset 0 is in the member's project (a window they
// see whole), asset 9000 in another (a window of which they see nothing).
const before = async (n, k) =>
  (await db.prepare("SELECT seq FROM changes WHERE entity_type = 'asset' AND entity_id = ? ORDER BY seq LIMIT 1 OFFSET ?").bind(asset(n), k).first()).seq - 1;
const depth = (seq) => `${Math.round((seq - firstSeq) / 1000)}k entries deep`;
const rows = [];
for (const [who, role, name] of [[ADMIN, 'admin', 'org admin (sees all)'], [MEMBER, 'member', 'member of 1 of 10 projects']]) {
  const headers = { Authorization: `Bearer ${who.token}` };
  rows.push(await time(`${name}: first page`, feed(), headers));
  for (const [n, what] of [[0, "the member's project"], [9000, 'another project']]) {
    for (const k of [1, 50, 98]) {
      const seq = await before(n, k);
      rows.push(await time(`${name}: a window of ${what}, ${depth(seq)}`, feed(cursor(who, role, seq)), headers));
    }
  }
  rows.push(await time(`${name}: the last page`, feed(cursor(who, role, lastSeq - 100)), headers));
  rows.push(await time(`${name}: up to date (empty)`, feed(cursor(who, role, lastSeq)), headers));
}
rows.push(await time('activity of one asset (100 changes): first page', `http://bench.local/v1/assets/${asset(1234)}/activity?limit=50`, { Authorization: `Bearer ${ADMIN.token}` }));

console.log(`\n${entries} change log entries in one organisation (${ASSETS} assets in ${PROJECTS} private projects). Miniflare (local workerd + SQLite), ${new Date().toISOString()}\n`);
console.log('| request | p50 ms | D1 ms (p50) | D1 round trips | changes on the page |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.label} | ${r.p50.toFixed(1)} | ${r.d1.toFixed(1)} | ${r.trips} | ${r.changes} |`);

// The write overhead of logging: the same create with the assets' insert trigger and without it, in alternating blocks.
const trigger = (await db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'changes_assets_insert'").first()).sql;
const adminHeaders = { Authorization: `Bearer ${ADMIN.token}`, 'Content-Type': 'application/json' };
const create = async () => {
  const started = performance.now();
  const res = await mf.dispatchFetch(`http://bench.local/v1/projects/${project(1)}/assets`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'Bench create' }) });
  await res.text();
  if (res.status !== 201) throw new Error(`create: ${res.status}`);
  return { ms: performance.now() - started, d1: serverTiming(res).d1ms };
};
const samples = { logged: [], unlogged: [] };
for (let i = 0; i < 5; i++) await create();
try {
  for (let block = 0; block < 6; block++) {
    const logged = block % 2 === 0;
    if (!logged) await db.prepare('DROP TRIGGER changes_assets_insert').run();
    for (let i = 0; i < 10; i++) samples[logged ? 'logged' : 'unlogged'].push(await create());
    if (!logged) await db.prepare(trigger).run();
  }
} finally {
  if (!(await db.prepare("SELECT 1 AS x FROM sqlite_master WHERE name = 'changes_assets_insert'").first())) await db.prepare(trigger).run();
}
console.log('\n| POST /v1/projects/{project}/assets | p50 ms | D1 ms (p50) |');
console.log('| --- | ---: | ---: |');
for (const [k, v] of Object.entries(samples)) console.log(`| ${k === 'logged' ? 'with its change logged' : 'without the log trigger'} (${v.length} runs) | ${median(v.map((s) => s.ms)).toFixed(2)} | ${median(v.map((s) => s.d1)).toFixed(2)} |`);
await mf.dispose();
