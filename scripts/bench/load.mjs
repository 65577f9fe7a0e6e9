// `npm run bench`: throughput under concurrency. The worker as `wrangler deploy` bundles it, run
// by Miniflare (harness.mjs) on a loopback port, driven over real HTTP by autocannon, one
// endpoint after another: GET /health as the baseline, then reads (one project, the project
// list, a bbox on assets, a search) and a 1 MiB upload and download. Prints a Markdown table
// (requests/s, p50/p99 latency, errors, throughput relative to /health, D1 round trips per
// request), the gzip bundle size and the machine, ready to paste into the README.
//
//   npm run bench                                   # 50 connections, 30 s per endpoint
//   npm run bench -- --duration 3 --connections 10  # a quick try
//   npm run bench -- --only upload                  # /health and the endpoints whose label has "upload"
//   npm run bench -- --keep                         # leave .bench/load (D1 + R2) behind for a look
//
// Exits 1 when any endpoint saw an error (a non-2xx answer, a socket error or a timeout; nothing
// is retried) or completed no request at all: such figures are not figures of the API working.
//
// Every run starts from a fresh D1 and R2 under .bench/load, seeded in a few seconds: the upload
// endpoint adds a row and a 1 MiB object per request (a GB or more per full run), and a table
// that depends on how many runs went before it could not be compared with anything.
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate, ROOT, seedCaller, serverTiming, startWorker } from './harness.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false },
    // Run only the endpoints whose label contains this text (GET /health always runs: it is the baseline).
    only: { type: 'string' },
  },
});
const DURATION = Number(flags.duration);
const CONNECTIONS = Number(flags.connections);
if (!(DURATION > 0) || !Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) {
  console.error('usage: npm run bench -- [--duration SECONDS] [--connections N] [--only TEXT] [--keep]');
  process.exit(2);
}
// A short unmeasured run per endpoint first, so JIT warm-up and the first connections' setup do
// not land in the figures: 1 s for quick tries, 3 s for the 30 s default.
const WARMUP = Math.min(3, Math.max(1, Math.round(DURATION / 10)));

const PROJECTS = 3000;
const ASSETS = 10_000;
const FILE_BYTES = 1024 * 1024;
const SEARCH_WORD = 'lighthouse'; // in every 20th project's description: 150 hits, a full page of 50
const BBOX = '4.75,52.30,5.05,52.45'; // around Amsterdam, about 1% of the seeded area (as bench:assets)
const token = 'fbt_' + 'l'.repeat(43);
const auth = { Authorization: `Bearer ${token}` };

// Load average before anything starts: on a shared machine it says whether the figures can be trusted.
const loadBefore = os.loadavg();
const STATE = join(ROOT, '.bench', 'load');
rmSync(STATE, { recursive: true, force: true });
// Loopback only, on a port the OS picks: nothing outside this machine can reach the worker.
const { mf, db, url, report } = await startWorker('load', { host: '127.0.0.1', port: 0, resourcePersistencePath: STATE });
if (url.hostname !== '127.0.0.1') throw new Error(`Miniflare listens on ${url.host}, expected loopback`);
const origin = url.origin;

let failed = false;
try {
  await migrate(db);
  await seed();
  const downloadId = await seedDownload();

  const endpoints = [
    { label: 'GET /health (baseline)', path: '/health' },
    { label: 'GET one project', path: '/v1/projects/prj_load_00042', headers: auth },
    { label: `project list (limit=50 of ${PROJECTS})`, path: '/v1/projects?limit=50', headers: auth },
    { label: 'asset list, bbox (limit=50)', path: `/v1/projects/prj_load_assets/assets?limit=50&bbox=${BBOX}`, headers: auth },
    { label: `project search (${SEARCH_WORD}, limit=50)`, path: `/v1/projects?search=${SEARCH_WORD}&limit=50`, headers: auth },
    {
      label: 'upload 1 MiB data file',
      path: '/v1/assets/ast_load_uploads/data',
      method: 'POST',
      // The raw-body form: streamed to R2 (multipart would be parsed in memory first).
      headers: { ...auth, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'load.bin' },
      body: randomBytes(FILE_BYTES),
    },
    { label: 'download 1 MiB data file', path: `/v1/data/${downloadId}/download`, headers: auth, bytes: FILE_BYTES },
  ];

  const rows = [];
  for (const e of endpoints.filter((e, i) => i === 0 || !flags.only || e.label.includes(flags.only))) {
    const trips = await sample(e);
    process.stdout.write(`${e.label}: ${WARMUP} s warm-up, ${DURATION} s with ${CONNECTIONS} connections ... `);
    const r = await load(e);
    console.log(`${r.rps.toFixed(0)} req/s, ${r.errors} errors`);
    rows.push({ ...r, label: e.label, trips });
  }
  // A run in which nothing completed measured nothing (a 1 MiB upload at 50 connections takes
  // seconds): that fails as an error does.
  failed = rows.some((r) => r.errors > 0 || r.answered === 0);
  print(rows);
} finally {
  await mf.dispose();
  if (!flags.keep) rmSync(STATE, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

/**
 * One request outside the load run: it must succeed (a 4xx here is a mistake in this script, not
 * a load effect) and its Server-Timing says how many D1 round trips the endpoint makes.
 */
async function sample(e) {
  const res = await fetch(origin + e.path, { method: e.method ?? 'GET', headers: e.headers, body: e.body });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${e.label}: ${res.status} ${body.toString('utf8', 0, 300)}`);
  if (e.bytes !== undefined && body.length !== e.bytes) throw new Error(`${e.label}: ${body.length} bytes, expected ${e.bytes}`);
  return serverTiming(res).trips;
}

/**
 * A warm-up run (unmeasured: JIT, first connections), then the measured run, each followed by a
 * wait for workerd to go idle. autocannon stops by closing its sockets, but workerd finishes
 * requests whose bodies it already holds: 50 aborted 1 MiB uploads still cost seconds of CPU
 * (and create their rows). Without the wait that work would land in the next run's figures.
 */
async function load(e) {
  const options = {
    url: origin + e.path,
    method: e.method ?? 'GET',
    headers: e.headers ?? {},
    body: e.body,
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: WARMUP });
  await settle();
  const firstErrors = new Map(); // message -> count: a socket error or timeout is reported, not just counted
  const instance = autocannon({ ...options, duration: DURATION });
  instance.on('reqError', (error) => firstErrors.set(error.message, (firstErrors.get(error.message) ?? 0) + 1));
  const result = await instance;
  await settle();
  // autocannon's `errors` already counts its `timeouts`; `non2xx` counts the other answers.
  const errors = result.errors + result.non2xx;
  if (errors > 0) {
    const statuses = Object.entries(result.statusCodeStats).map(([code, { count }]) => `${code}: ${count}`).join(', ');
    console.log(`\n  ${e.label}: status codes {${statuses}}, socket errors ${result.errors - result.timeouts}, timeouts ${result.timeouts}`);
    for (const [message, count] of firstErrors) console.log(`  ${count} x ${message}`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors, answered: result.requests.total };
}

/** Waits (up to 60 s) until Miniflare's workerd uses under 10% of a core, measured over 500 ms. */
async function settle() {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // The workerd processes Miniflare started: children of this process (Linux /proc, as bench:assets uses ps).
  let pids = [];
  try {
    pids = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('workerd'))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
  } catch {
    // no ps: fall through to a fixed pause
  }
  const cpuMs = () =>
    pids.reduce((sum, pid) => {
      // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) * 10;
    }, 0);
  if (pids.length === 0) return sleep(5000);
  let last = cpuMs();
  for (let waited = 0; waited < 60_000; waited += 500) {
    await sleep(500);
    const now = cpuMs();
    if (now - last < 50) return;
    last = now;
  }
  console.log('\n  (workerd still busy after 60 s; going on)');
}

function print(rows) {
  const baseline = rows[0].rps;
  const bundle = /Total Upload: ([\d.]+ \w+) \/ gzip: ([\d.]+ \w+)/.exec(report);
  const cpus = os.cpus();
  console.log(
    `\n${CONNECTIONS} connections, ${DURATION} s per endpoint (after ${WARMUP} s warm-up), autocannon over loopback to Miniflare ` +
      `(local workerd, D1 on SQLite, R2 on disk), ${new Date().toISOString()}\n`,
  );
  console.log('| endpoint | requests/s | p50 ms | p99 ms | errors | × /health | D1 round trips |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    // Small figures keep some digits: the 1 MiB transfers run at a few thousandths of /health.
    const rps = r.rps >= 100 ? r.rps.toFixed(0) : r.rps.toFixed(1);
    console.log(`| ${r.label} | ${rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${(r.rps / baseline).toPrecision(2)} | ${r.trips} |`);
  }
  console.log(`\nBundle (wrangler deploy --dry-run): ${bundle ? `${bundle[1]}, gzip ${bundle[2]}` : 'size not found in the wrangler output'}`);
  console.log(`Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
  const fmt = (l) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`Load average (1/5/15 min): ${fmt(loadBefore)} before, ${fmt(os.loadavg())} after`);
  const bad = rows.filter((r) => r.errors > 0);
  if (bad.length) console.log(`\nERRORS in: ${bad.map((r) => `${r.label} (${r.errors} errors, ${r.answered} answers)`).join('; ')}`);
  const idle = rows.filter((r) => r.answered === 0 && r.errors === 0);
  if (idle.length) console.log(`\nNOTHING COMPLETED in: ${idle.map((r) => r.label).join('; ')}: a request took longer than --duration`);
}

/**
 * The caller (a member of one organisation, editor of the asset project), PROJECTS projects in
 * that organisation and ASSETS assets with coordinates in one private project, written straight
 * into D1 the way bench:projects and bench:assets do: through the API it would take minutes.
 */
async function seed() {
  const now = Date.now();
  const WORDS = 'river valley north south harbour mill bridge station tower field forest lake hill park road rail water power grid solar'.split(' ');
  const ASSET_WORDS = 'pump valve hydrant pole mast culvert pier lock gate sluice cabinet meter sign signal lamp tank well'.split(' ');
  let s = 11;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

  await db.batch(
    seedCaller(db, { user: 'usr_load', username: 'load', token, org: 'org_load', orgSlug: 'load', orgName: 'Load test trust', project: 'prj_load_assets', now }),
  );

  // One bound parameter per statement (a JSON array of rows), far under D1's limit of 100.
  const projects = Array.from({ length: PROJECTS }, (_, n) => ({
    id: `prj_load_${String(n).padStart(5, '0')}`,
    slug: `p-${n}`,
    name: `${pick(WORDS)} ${pick(WORDS)} ${n}`,
    description: `${words(12)}${n % 20 === 3 ? ` ${SEARCH_WORD}` : ''}`,
    // Every tenth private, as in bench:projects: the list filters on visibility, as it does in use.
    access: n % 10 === 5 ? 'private' : 'organization',
    t: now - n * 1000,
  }));
  const assets = Array.from({ length: ASSETS }, (_, n) => ({
    id: `ast_load_${String(n).padStart(6, '0')}`,
    tag: `WW-${n}`,
    name: `${pick(ASSET_WORDS)} ${n}`,
    // The Netherlands, roughly: lon 3.3..7.2, lat 50.7..53.6
    lat: 50.7 + rand() * 2.9,
    lon: 3.3 + rand() * 3.9,
    t: now - n * 1000,
  }));
  const chunks = (list, size) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
  await db.batch([
    ...chunks(projects, 1000).map((rows) =>
      db
        .prepare(
          `INSERT INTO projects (id, organization_id, slug, name, description, access, created_at, updated_at)
           SELECT json_extract(value, '$.id'), 'org_load', json_extract(value, '$.slug'), json_extract(value, '$.name'),
                  json_extract(value, '$.description'), json_extract(value, '$.access'), json_extract(value, '$.t'), json_extract(value, '$.t')
           FROM json_each(?)`,
        )
        .bind(JSON.stringify(rows)),
    ),
    ...chunks(assets, 1000).map((rows) =>
      db
        .prepare(
          `INSERT INTO assets (id, organization_id, project_id, asset_tag, name, asset_status, lat, lon, created_at, updated_at)
           SELECT json_extract(value, '$.id'), 'org_load', 'prj_load_assets', json_extract(value, '$.tag'), json_extract(value, '$.name'),
                  'Active', json_extract(value, '$.lat'), json_extract(value, '$.lon'), json_extract(value, '$.t'), json_extract(value, '$.t')
           FROM json_each(?)`,
        )
        .bind(JSON.stringify(rows)),
    ),
    // Two more assets (no coordinates, so outside any bbox): one holds the file to download, the
    // uploads of the load run go into the other.
    db
      .prepare(
        `INSERT INTO assets (id, organization_id, project_id, asset_tag, name, asset_status, created_at, updated_at)
         VALUES ('ast_load_files', 'org_load', 'prj_load_assets', 'FILES', 'File store', 'Active', ?, ?),
                ('ast_load_uploads', 'org_load', 'prj_load_assets', 'UPLOADS', 'Upload target', 'Active', ?, ?)`,
      )
      .bind(now, now, now, now),
  ]);
  await db.prepare('ANALYZE').run();
}

/** The 1 MiB file to download, uploaded through the API so that its blob row and R2 object are real. */
async function seedDownload() {
  const res = await fetch(`${origin}/v1/assets/ast_load_files/data`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'download.bin' },
    body: randomBytes(FILE_BYTES),
  });
  const created = await res.json();
  if (res.status !== 201) throw new Error(`seeding the download: ${res.status} ${JSON.stringify(created).slice(0, 300)}`);
  return created.id;
}
