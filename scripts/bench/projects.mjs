// `npm run bench:projects`: 1,000,000 projects across 1,000 organisations in a local D1, then the
// project list as seen by a caller who sees 100,000 of them: first page, a page 10,000 rows deep
// through the `next` links, a search for a rare word, and ordering=-updated_at. Prints a table.
// The first run seeds (a few minutes); later runs reuse .bench/state. `--reseed` starts over.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { measure, migrate, ROOT, startWorker, table } from './harness.mjs';

const ORGS = 1000;
const PER_ORG = 1000;
const VISIBLE_ORGS = 100; // the caller is a member of these: 100 x 1,000 = 100,000 visible projects
const RARE = 'zanzibarite';
const ROWS_PER_STATEMENT = 1000; // one bound parameter (a JSON array) per statement: far under D1's 100

if (process.argv.includes('--reseed')) rmSync(join(ROOT, '.bench', 'state'), { recursive: true, force: true });
const { mf, db } = await startWorker('projects');
const migrated = await migrate(db);

const WORDS = (
  'river valley north south east west harbour mill bridge station tower field forest lake hill park road rail ' +
  'water power grid solar wind farm depot yard school clinic market canal dam levee pipeline survey parcel ' +
  'vineyard orchard quarry mine port airport corridor district ward block estate village town city region'
).split(' ');
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(rand() * list.length)];
const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const pad = (n, width) => String(n).padStart(width, '0');

const existing = (await db.prepare('SELECT count(*) AS n FROM projects').first()).n;
const token = 'fbt_' + 'b'.repeat(43);
if (existing < ORGS * PER_ORG) {
  console.log(`seeding ${ORGS * PER_ORG} projects (found ${existing}) ...`);
  const started = performance.now();
  const now = Date.now();
  const hash = createHash('sha256').update(token).digest('hex');
  await db.batch([
    db.prepare("INSERT OR IGNORE INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES ('usr_bench_caller', 'bench', 'bench@bench.test', 'Bench', '!', ?, ?)").bind(now, now),
    db.prepare("INSERT OR IGNORE INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at) VALUES ('tok_bench', 'usr_bench_caller', ?, 'personal', 'bench', ?, ?)").bind(hash, now, now + 365 * 86_400_000),
  ]);
  for (let o = 0; o < ORGS; o++) {
    const orgId = `org_bench_${pad(o, 4)}`;
    const statements = [
      db.prepare('INSERT OR IGNORE INTO organizations (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').bind(orgId, `bench-${o}`, `${pick(WORDS)} ${pick(WORDS)} trust ${o}`, now, now),
    ];
    if (o < VISIBLE_ORGS) {
      statements.push(db.prepare("INSERT OR IGNORE INTO memberships (organization_id, user_id, role, created_at) VALUES (?, 'usr_bench_caller', 'member', ?)").bind(orgId, now));
    }
    const rows = [];
    for (let p = 0; p < PER_ORG; p++) {
      const n = o * PER_ORG + p;
      // A few projects the caller can see carry the rare word.
      const rare = o < VISIBLE_ORGS && p % 200 === 7 && o % 10 === 3;
      rows.push({
        id: `prj_bench_${pad(n, 7)}`,
        org: orgId,
        slug: `p-${p}`,
        name: `${pick(WORDS)} ${pick(WORDS)} ${n}`,
        description: `${words(12)}${rare ? ` ${RARE}` : ''}`,
        country: pick(['Uganda', 'Kenya', 'Philippines', 'Colombia', 'Netherlands']),
        type: pick(['inspection', 'cadastre', 'transit', 'utility']),
        access: p % 10 === 0 ? 'private' : 'organization',
        t: now - n * 1000,
      });
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO projects (id, organization_id, slug, name, description, country, project_type, access, created_at, updated_at)
             SELECT json_extract(value, '$.id'), json_extract(value, '$.org'), json_extract(value, '$.slug'), json_extract(value, '$.name'),
                    json_extract(value, '$.description'), json_extract(value, '$.country'), json_extract(value, '$.type'),
                    json_extract(value, '$.access'), json_extract(value, '$.t'), json_extract(value, '$.t')
             FROM json_each(?)`,
          )
          .bind(JSON.stringify(rows.slice(i, i + ROWS_PER_STATEMENT))),
      );
    }
    await db.batch(statements);
    if (o % 100 === 99) console.log(`  ${(o + 1) * PER_ORG} rows, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
if (migrated > 0 || existing < ORGS * PER_ORG) await db.prepare('ANALYZE').run();

// A second caller who belongs to one organisation only (1,000 projects, 900 of them open to members).
const smallToken = 'fbt_' + 's'.repeat(43);
{
  const now = Date.now();
  await db.batch([
    db.prepare("INSERT OR IGNORE INTO users (id, username, email, name, password_hash, date_joined, updated_at) VALUES ('usr_bench_small', 'bench-small', 'small@bench.test', 'Small', '!', ?, ?)").bind(now, now),
    db
      .prepare("INSERT OR IGNORE INTO tokens (id, user_id, token_hash, kind, name, created_at, expires_at) VALUES ('tok_bench_small', 'usr_bench_small', ?, 'personal', 'bench', ?, ?)")
      .bind(createHash('sha256').update(smallToken).digest('hex'), now, now + 365 * 86_400_000),
    db.prepare("INSERT OR IGNORE INTO memberships (organization_id, user_id, role, created_at) VALUES ('org_bench_0500', 'usr_bench_small', 'member', ?)").bind(now),
  ]);
}

const headers = { Authorization: `Bearer ${token}` };
const base = 'http://bench.local/v1/projects';
const results = [];
results.push(await measure(mf, 'first page (limit=50)', `${base}?limit=50`, headers));

// Walk `next` to the page that starts 10,000 rows in, then time that page.
let url = `${base}?limit=200`;
for (let i = 0; i < 50; i++) url = (await (await mf.dispatchFetch(url, { headers })).json()).next;
const deepUrl = url.replace('limit=200', 'limit=50');
results.push(await measure(mf, 'page 10,000 rows deep via `next`', deepUrl, headers));
results.push(await measure(mf, 'same depth with offset=10000', `${base}?limit=50&offset=10000`, headers));
results.push(await measure(mf, `search for a rare word (${RARE})`, `${base}?search=${RARE}`, headers));
results.push(await measure(mf, 'search for a common word (river)', `${base}?search=river&limit=50`, headers));
results.push(await measure(mf, 'ordering=-updated_at', `${base}?ordering=-updated_at&limit=50`, headers));
results.push(await measure(mf, 'one organisation (1,000 projects)', `http://bench.local/v1/organizations/bench-7/projects?limit=50`, headers));
results.push(await measure(mf, 'GET one project', `${base}/prj_bench_0012345`, headers));
const small = { Authorization: `Bearer ${smallToken}` };
results.push(await measure(mf, 'caller in 1 organisation: first page', `${base}?limit=50`, small));
results.push(await measure(mf, 'caller in 1 organisation: its org list', `http://bench.local/v1/organizations/bench-500/projects?limit=50`, small));

const visible = results[0].sample.count;
console.log(`\n${ORGS * PER_ORG} projects, ${ORGS} organisations; the caller sees ${visible}. Miniflare (local workerd + SQLite), ${new Date().toISOString()}\n`);
console.log(table(results));
// Issue 11: a page at 100,000 visible costs at most 1.5x what it costs a caller who sees about 1,000.
const small1 = results.find((r) => r.label === 'caller in 1 organisation: first page');
for (const r of results.slice(0, 2)) console.log(`${r.label}: ${(r.p50 / small1.p50).toFixed(2)}x the first page of the caller who sees ${small1.sample.count}`);
await mf.dispose();
