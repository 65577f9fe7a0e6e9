// `npm run bench:assets`: 100,000 assets in one project of a local D1, then the asset list as a
// project member sees it (first page, 10,000 rows deep through `next`, a bbox, GeoJSON, search)
// and the throughput of a 50 MB data file upload and download. Prints a table.
// The first run seeds; later runs reuse .bench/state. `--reseed` starts over.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { measure, migrate, ROOT, seedCaller, startWorker, table } from './harness.mjs';

const ASSETS = 100_000;
const RARE = 'quetzalcoatlite';
const ROWS_PER_STATEMENT = 1000;

if (process.argv.includes('--reseed')) rmSync(join(ROOT, '.bench', 'state'), { recursive: true, force: true });
const { mf, db } = await startWorker('assets');
const migrated = await migrate(db);

const WORDS = 'pump valve hydrant pole mast culvert bridge pier lock gate sluice cabinet meter sign signal bench lamp tower tank well'.split(' ');
const STATUSES = ['Active', 'To Be Inspected', 'Inspected', 'Needs Repair', 'Under Repair', 'Out of Service', 'Retired'];
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(rand() * list.length)];
const token = 'fbt_' + 'a'.repeat(43);
const now = Date.now();

const existing = (await db.prepare('SELECT count(*) AS n FROM assets').first()).n;
if (existing < ASSETS) {
  console.log(`seeding ${ASSETS} assets (found ${existing}) ...`);
  const started = performance.now();
  await db.batch(
    seedCaller(db, { user: 'usr_bench_assets', username: 'bench-assets', token, org: 'org_bench_assets', orgSlug: 'bench-assets', orgName: 'Waterways', project: 'prj_bench_assets', now }),
  );
  for (let i = 0; i < ASSETS; i += ROWS_PER_STATEMENT * 10) {
    const statements = [];
    for (let j = i; j < Math.min(ASSETS, i + ROWS_PER_STATEMENT * 10); j += ROWS_PER_STATEMENT) {
      const rows = [];
      for (let n = j; n < j + ROWS_PER_STATEMENT; n++) {
        rows.push({
          id: `ast_bench_${String(n).padStart(6, '0')}`,
          tag: `WW-${n}`,
          name: `${pick(WORDS)} ${pick(WORDS)} ${n}`,
          description: `${pick(WORDS)} at ${pick(WORDS)}${n % 25_000 === 11 ? ` ${RARE}` : ''}`,
          status: pick(STATUSES),
          type: pick(['hydraulic', 'electrical', 'civil']),
          // The Netherlands, roughly: lon 3.3..7.2, lat 50.7..53.6
          lat: 50.7 + rand() * 2.9,
          lon: 3.3 + rand() * 3.9,
          t: now - n * 1000,
        });
      }
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO assets (id, organization_id, project_id, asset_tag, name, description, asset_status, asset_type, lat, lon, created_at, updated_at)
             SELECT json_extract(value, '$.id'), 'org_bench_assets', 'prj_bench_assets', json_extract(value, '$.tag'), json_extract(value, '$.name'),
                    json_extract(value, '$.description'), json_extract(value, '$.status'), json_extract(value, '$.type'),
                    json_extract(value, '$.lat'), json_extract(value, '$.lon'), json_extract(value, '$.t'), json_extract(value, '$.t')
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

const headers = { Authorization: `Bearer ${token}` };
const base = 'http://bench.local/v1/projects/prj_bench_assets/assets';
const results = [];
results.push(await measure(mf, 'first page (limit=50)', `${base}?limit=50`, headers));
let url = `${base}?limit=200`;
for (let i = 0; i < 50; i++) url = (await (await mf.dispatchFetch(url, { headers })).json()).next;
results.push(await measure(mf, 'page 10,000 rows deep via `next`', url.replace('limit=200', 'limit=50'), headers));
results.push(await measure(mf, 'bbox around Amsterdam (about 1% of the area)', `${base}?limit=50&bbox=4.75,52.30,5.05,52.45`, headers));
results.push(await measure(mf, 'GeoJSON, 200 features', `${base}?limit=200`, { ...headers, Accept: 'application/geo+json' }));
results.push(await measure(mf, `search for a rare word (${RARE})`, `${base}?search=${RARE}`, headers));
results.push(await measure(mf, 'asset_status=To Be Inspected', `${base}?limit=50&asset_status=To%20Be%20Inspected`, headers));
results.push(await measure(mf, 'GET /v1/assets (flat, all visible)', 'http://bench.local/v1/assets?limit=50', headers));
results.push(await measure(mf, 'GET one asset', 'http://bench.local/v1/assets/ast_bench_012345', headers));

console.log(`\n${ASSETS} assets in one project. Miniflare (local workerd + SQLite), ${new Date().toISOString()}\n`);
console.log(table(results));

// Throughput: a 50 MB and a 90 MB data file, up (raw body, streamed to R2) and down. The
// resident memory of Miniflare's workerd process is sampled meanwhile: the body must stream, not
// sit in memory (production isolates have 128 MB).
function workerdRssMb() {
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out.split('\n').filter(Boolean).reduce((sum, kb) => sum + Number(kb), 0) / 1024;
  } catch {
    return NaN;
  }
}

async function transfer(bytes) {
  const body = randomBytes(bytes);
  const expected = createHash('sha256').update(body).digest('hex');
  const baseline = workerdRssMb();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, workerdRssMb())), 50);
  let started = performance.now();
  const up = await mf.dispatchFetch('http://bench.local/v1/assets/ast_bench_000001/data', {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes), 'X-File-Name': 'survey.bin' },
    body,
  });
  const upSeconds = (performance.now() - started) / 1000;
  const created = await up.json();
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(created).slice(0, 300)}`);
  started = performance.now();
  const down = await mf.dispatchFetch(`http://bench.local/v1/data/${created.id}/download`, { headers });
  const hash = createHash('sha256');
  let received = 0;
  for await (const chunk of down.body) {
    hash.update(chunk);
    received += chunk.byteLength;
  }
  const downSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await mf.dispatchFetch(`http://bench.local/v1/data/${created.id}`, { method: 'DELETE', headers });
  const mb = bytes / 1e6;
  return {
    mb,
    upSeconds,
    downSeconds,
    intact: received === bytes && created.sha256 === expected && hash.digest('hex') === expected,
    rssGrowth: peak - baseline,
  };
}

console.log('\n| transfer | upload s | upload MB/s | download s | download MB/s | sha256 intact | workerd RSS growth MB |');
console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: |');
for (const bytes of [50_000_000, 90_000_000]) {
  const t = await transfer(bytes);
  console.log(
    `| ${t.mb} MB | ${t.upSeconds.toFixed(2)} | ${(t.mb / t.upSeconds).toFixed(1)} | ${t.downSeconds.toFixed(2)} | ${(t.mb / t.downSeconds).toFixed(1)} | ${t.intact} | ${t.rssGrowth.toFixed(0)} |`,
  );
}
await mf.dispose();
