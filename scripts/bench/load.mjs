// `npm run bench`: throughput under concurrency, against peers in the same run. Fieldbase as
// `wrangler deploy` bundles it, and three peers (peers.mjs: a bare Hono route, bare Hono with
// hand-written D1 reads, a worker written as Cloudflare's chanfana OpenAPI template writes one),
// each in its own Miniflare instance on a loopback port, driven over real HTTP by autocannon.
// Fieldbase's endpoints: GET /health, reads (one project, the project list, a bbox on assets, a
// search) and a 1 MiB upload and download. The endpoints of all servers run interleaved: in each
// round every endpoint runs once, the next round starts elsewhere in the list, and the table
// gives the medians over the rounds: requests/s, p50/p99 latency, errors, throughput relative to
// the bare Hono route of the same round, workerd CPU ms per request (the server's workerd
// process's CPU time over the run, from /proc, divided by the requests sent) and D1 round trips.
// Then the gzip bundle size and cold start of each worker (cold.mjs) and the machine.
//
//   npm run bench                                              # 50 connections, 30 s per endpoint, 3 rounds
//   npm run bench -- --duration 2 --rounds 1 --connections 10  # a quick try
//   npm run bench -- --only upload                             # bare Hono and the endpoints whose server or label has "upload"
//   npm run bench -- --only 'project,tasks'                    # several texts, separated by commas
//   npm run bench -- --cold 0                                  # no cold start measurement (default: 3 starts per worker)
//   npm run bench -- --keep                                    # leave .bench/load (D1 + R2 of every server) behind for a look
//
// Exits 1 when any endpoint of any server saw an error (a non-2xx answer, a socket error or a
// timeout; nothing is retried) or completed no request at all in some round: such figures are not
// figures of the API working.
//
// Every run starts from a fresh D1 and R2 under .bench/load, seeded in a few seconds: the upload
// endpoint adds a row and a 1 MiB object per request (a GB or more per full run), and a table
// that depends on how many runs went before it could not be compared with anything.
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStarts } from './cold.mjs';
import { buildBundle, cpuMs, gzipSize, median, migrate, ROOT, seedCaller, serverTiming, startWorker, withWorkerdPid, workerdPids } from './harness.mjs';
import { buildPeer, PEERS, startPeer } from './peers.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    cold: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    // Run only the endpoints whose server or label contains this text, or one of several separated by commas (bare Hono's always runs: it is the baseline).
    only: { type: 'string' },
  },
});
const DURATION = Number(flags.duration);
const CONNECTIONS = Number(flags.connections);
const ROUNDS = Number(flags.rounds);
const COLD_STARTS = Number(flags.cold);
if (!(DURATION > 0) || ![CONNECTIONS, ROUNDS].every((n) => Number.isInteger(n) && n >= 1) || !(Number.isInteger(COLD_STARTS) && COLD_STARTS >= 0)) {
  console.error('usage: npm run bench -- [--duration SECONDS] [--connections N] [--rounds N] [--cold STARTS] [--only TEXT] [--keep]');
  process.exit(2);
}
// A short unmeasured run before each measured one, so JIT warm-up and the first connections' setup
// do not land in the figures: 1 s for quick tries, 3 s for the 30 s default.
const WARMUP = Math.min(3, Math.max(1, Math.round(DURATION / 10)));

const PROJECTS = 3000;
const ASSETS = 10_000;
const FILE_BYTES = 1024 * 1024;
const SEARCH_WORD = 'lighthouse'; // in every 20th project's description: 150 hits, a full page of 50
const BBOX = '4.75,52.30,5.05,52.45'; // around Amsterdam, about 1% of the seeded area (as bench:assets)
const token = 'fbt_' + 'l'.repeat(43);
const auth = { Authorization: `Bearer ${token}` };

const FIELDBASE = {
  server: 'Fieldbase',
  name: 'fieldbase',
  endpoints: [
    { label: 'GET /health', path: '/health' },
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
    // Its path names the file seeded at start.
    { label: 'download 1 MiB data file', path: undefined, headers: auth, bytes: FILE_BYTES },
  ],
};

const SERVERS = [...PEERS, FIELDBASE]
  .map((s) => ({ ...s, endpoints: s.endpoints.filter((e) => e.baseline || !flags.only || flags.only.split(',').some((t) => `${s.server} ${e.label}`.includes(t))) }))
  .filter((s) => s.endpoints.length > 0);

// Load average before anything starts: on a shared machine it says whether the figures can be trusted.
const loadBefore = os.loadavg();
const STATE = join(ROOT, '.bench', 'load');
rmSync(STATE, { recursive: true, force: true });

process.stdout.write(`Bundling ${SERVERS.map((s) => s.server).join(', ')} with wrangler ... `);
const bundles = await Promise.all(
  SERVERS.map((s) => (s.name === FIELDBASE.name ? buildBundle(join(ROOT, '.bench', 'worker')) : buildPeer(s))),
);
SERVERS.forEach((s, i) => (s.bundle = bundles[i]));
console.log('done');

let cold;
if (COLD_STARTS > 0) {
  process.stdout.write(`Cold starts: ${COLD_STARTS} workerd starts per worker ... `);
  cold = await coldStarts(Object.fromEntries(SERVERS.map((s) => [s.name, s.bundle.scriptPath])), COLD_STARTS);
  console.log('done');
}

let failed = false;
try {
  // One at a time: each instance's workerd pid is the one new child process after it starts.
  for (const s of SERVERS) Object.assign(s, await withWorkerdPid(() => (s.name === FIELDBASE.name ? startFieldbase(s) : startPeer(s, s.bundle, join(STATE, s.name)))));
  const endpoints = SERVERS.flatMap((s) => s.endpoints.map((e) => Object.assign(e, { s, runs: [] })));
  for (const e of endpoints) await sample(e);

  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts at another place in the list, so that no endpoint always follows the same one.
    const from = (round * Math.ceil(endpoints.length / ROUNDS)) % endpoints.length;
    for (const e of [...endpoints.slice(from), ...endpoints.slice(0, from)]) {
      process.stdout.write(`round ${round + 1}/${ROUNDS}  ${e.s.server}  ${e.label}: ${WARMUP} s warm-up, ${DURATION} s with ${CONNECTIONS} connections ... `);
      const r = await load(e);
      // Near 100% busy, the server was bound by its workerd thread (what the ratios assume); far
      // under it, by the client or the machine.
      console.log(`${r.rps.toFixed(0)} req/s, ${r.cpu.toFixed(2)} CPU ms/req, workerd ${r.busy.toFixed(0)}% busy, ${r.errors} errors`);
      e.runs[round] = r;
    }
  }
  // A run in which nothing completed measured nothing (a 1 MiB upload at 50 connections takes
  // seconds): that fails as an error does.
  failed = endpoints.some((e) => e.runs.some((r) => r.errors > 0 || r.answered === 0));
  print(endpoints);
} finally {
  for (const s of SERVERS) await s.mf?.dispose();
  if (!flags.keep) rmSync(STATE, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

async function startFieldbase(s) {
  // Loopback only, on a port the OS picks: nothing outside this machine can reach the worker.
  const { mf, db, url } = await startWorker('load', { host: '127.0.0.1', port: 0, resourcePersistencePath: join(STATE, s.name) }, s.bundle);
  if (url.hostname !== '127.0.0.1') throw new Error(`Miniflare listens on ${url.host}, expected loopback`);
  await migrate(db);
  await seed(db);
  const download = s.endpoints.find((e) => e.label.startsWith('download'));
  if (download) download.path = `/v1/data/${await seedDownload(url.origin)}/download`;
  return { mf, url };
}

/**
 * One request outside the load runs: it must succeed and hold what the endpoint should answer (a
 * 4xx here is a mistake in this script, not a load effect). Fieldbase's Server-Timing says how
 * many D1 round trips the endpoint makes; a peer's are known from its code.
 */
async function sample(e) {
  const res = await fetch(e.s.url.origin + e.path, { method: e.method ?? 'GET', headers: e.headers, body: e.body });
  const body = Buffer.from(await res.arrayBuffer());
  const fail = (why) => new Error(`${e.s.server} ${e.label}: ${why}`);
  if (!res.ok) throw fail(`${res.status} ${body.toString('utf8', 0, 300)}`);
  if (e.bytes !== undefined && body.length !== e.bytes) throw fail(`${body.length} bytes, expected ${e.bytes}`);
  if (e.check && !e.check(JSON.parse(body.toString('utf8')))) throw fail(`unexpected answer ${body.toString('utf8', 0, 300)}`);
  e.trips ??= serverTiming(res).trips;
}

/**
 * A warm-up run (unmeasured: JIT, first connections), then the measured run, each followed by a
 * wait for workerd to go idle. autocannon stops by closing its sockets, but workerd finishes
 * requests whose bodies it already holds: 50 aborted 1 MiB uploads still cost seconds of CPU
 * (and create their rows). Without the wait that work would land in the next run's figures.
 * The server's workerd CPU time is read after the warm-up's wait and after the measured run's,
 * so it holds all the work the measured run caused, and is divided by the requests sent (those
 * still in flight at the end are finished during the wait).
 */
async function load(e) {
  const options = {
    url: e.s.url.origin + e.path,
    method: e.method ?? 'GET',
    headers: e.headers ?? {},
    body: e.body,
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: WARMUP });
  await settle();
  const cpuBefore = cpuMs(e.s.pid);
  const firstErrors = new Map(); // message -> count: a socket error or timeout is reported, not just counted
  const instance = autocannon({ ...options, duration: DURATION });
  instance.on('reqError', (error) => firstErrors.set(error.message, (firstErrors.get(error.message) ?? 0) + 1));
  const result = await instance;
  await settle();
  const cpuUsed = cpuMs(e.s.pid) - cpuBefore;
  // autocannon's `errors` already counts its `timeouts`; `non2xx` counts the other answers.
  const errors = result.errors + result.non2xx;
  if (errors > 0) {
    const statuses = Object.entries(result.statusCodeStats).map(([code, { count }]) => `${code}: ${count}`).join(', ');
    console.log(`\n  ${e.s.server} ${e.label}: status codes {${statuses}}, socket errors ${result.errors - result.timeouts}, timeouts ${result.timeouts}`);
    for (const [message, count] of firstErrors) console.log(`  ${count} x ${message}`);
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    answered: result.requests.total,
    cpu: cpuUsed / result.requests.sent,
    busy: (100 * cpuUsed) / (result.duration * 1000),
  };
}

/** Waits (up to 60 s) until every workerd of the run uses under 10% of a core, measured over 500 ms. */
async function settle() {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const pids = workerdPids();
  const total = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  let last = total();
  for (let waited = 0; waited < 60_000; waited += 500) {
    await sleep(500);
    const now = total();
    if (now - last < 50) return;
    last = now;
  }
  console.log('\n  (workerd still busy after 60 s; going on)');
}

function print(endpoints) {
  const baseline = endpoints.find((e) => e.baseline);
  const cpus = os.cpus();
  console.log(
    `\n${CONNECTIONS} connections, ${DURATION} s per endpoint (after ${WARMUP} s warm-up), ${ROUNDS} round${ROUNDS > 1 ? 's' : ''} interleaved, ` +
      `medians; autocannon over loopback to one Miniflare (local workerd, D1 on SQLite, R2 on disk) per server, ${new Date().toISOString()}\n`,
  );
  console.log('| server | route | requests/s | p50 ms | p99 ms | errors | × bare Hono | workerd CPU ms/req | D1 round trips |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const e of endpoints) {
    const rps = median(e.runs.map((r) => r.rps));
    // Throughput relative to the baseline route measured in the same round.
    const ratio = median(e.runs.map((r, i) => r.rps / baseline.runs[i].rps));
    const cpu = median(e.runs.map((r) => r.cpu));
    const errors = e.runs.reduce((sum, r) => sum + r.errors, 0);
    // Small figures keep some digits: the 1 MiB transfers run at a few thousandths of the baseline.
    console.log(
      `| ${e.s.server} | ${e.label} | ${rps >= 100 ? rps.toFixed(0) : rps.toFixed(1)} | ${median(e.runs.map((r) => r.p50))} | ${median(e.runs.map((r) => r.p99))} | ` +
        `${errors} | ${ratio.toPrecision(2)} | ${cpu >= 10 ? cpu.toFixed(1) : cpu.toFixed(2)} | ${Number.isNaN(e.trips) ? '?' : e.trips} |`,
    );
  }
  const coldHeader = cold ? `cold start: workerd CPU ms per isolate, median (range) of ${COLD_STARTS} start${COLD_STARTS > 1 ? 's' : ''}` : 'cold start';
  console.log(`\n| worker | bundle (wrangler deploy --dry-run, gzip) | ${coldHeader} |`);
  console.log('| --- | ---: | ---: |');
  for (const s of SERVERS) {
    const c = cold?.[s.name];
    console.log(`| ${s.server} | ${gzipSize(s.bundle.report)} | ${c ? `${c.ms.toFixed(0)} (${c.min.toFixed(0)} to ${c.max.toFixed(0)})` : 'not measured'} |`);
  }
  console.log(`\nMachine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
  const fmt = (l) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`Load average (1/5/15 min): ${fmt(loadBefore)} before, ${fmt(os.loadavg())} after`);
  const bad = endpoints.filter((e) => e.runs.some((r) => r.errors > 0));
  if (bad.length) console.log(`\nERRORS in: ${bad.map((e) => `${e.s.server} ${e.label} (${e.runs.map((r) => `${r.errors} errors, ${r.answered} answers`).join('; ')})`).join('; ')}`);
  const idle = endpoints.filter((e) => e.runs.some((r) => r.answered === 0 && r.errors === 0));
  if (idle.length) console.log(`\nNOTHING COMPLETED in: ${idle.map((e) => `${e.s.server} ${e.label}`).join('; ')}: a request took longer than --duration`);
}

/**
 * The caller (a member of one organisation, editor of the asset project), PROJECTS projects in
 * that organisation and ASSETS assets with coordinates in one private project, written straight
 * into D1 the way bench:projects and bench:assets do: through the API it would take minutes.
 */
async function seed(db) {
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
async function seedDownload(origin) {
  const res = await fetch(`${origin}/v1/assets/ast_load_files/data`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'download.bin' },
    body: randomBytes(FILE_BYTES),
  });
  const created = await res.json();
  if (res.status !== 201) throw new Error(`seeding the download: ${res.status} ${JSON.stringify(created).slice(0, 300)}`);
  return created.id;
}
