// The peers `npm run bench` measures Fieldbase against, in the same run: small workers under
// peers/, each bundled by wrangler as the app is (peers/wrangler.toml: same compatibility date,
// minified) and run in its own Miniflare instance, so in its own workerd process whose CPU time
// can be read alone. The D1 peers read the same 3,000 tasks, seeded the same way every run, in a
// table shaped like the one of Cloudflare's chanfana OpenAPI template.
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { buildBundle, ROOT } from './harness.mjs';

export const TASKS = 3000;
const PER_PAGE = 50;

/**
 * `trips`: D1 round trips per request, read from the code (the peers send no Server-Timing):
 * chanfana's D1ListEndpoint sends the page and its count as two queries at once.
 * `check`: what a sample answer must hold, so that every server is seen to read the same rows.
 */
export const PEERS = [
  {
    server: 'bare Hono',
    name: 'hono',
    d1: false,
    endpoints: [{ label: 'GET / (baseline)', path: '/', trips: 0, baseline: true, check: (b) => b.ok === true }],
  },
  {
    server: 'bare Hono + D1',
    name: 'hono-d1',
    d1: true,
    endpoints: [
      { label: 'GET /tasks/:id (one row by id)', path: '/tasks/1042', trips: 1, check: (b) => b.result?.id === 1042 },
      { label: `GET /tasks?page=1 (${PER_PAGE} of ${TASKS.toLocaleString('en')}, no count)`, path: '/tasks?page=1', trips: 1, check: (b) => b.result?.length === PER_PAGE },
    ],
  },
  {
    server: 'chanfana template (no auth)',
    name: 'chanfana',
    d1: true,
    endpoints: [
      { label: 'GET /tasks/:id (get by id)', path: '/tasks/1042', trips: 1, check: (b) => b.result?.id === 1042 },
      {
        label: `GET /tasks?page=1&per_page=${PER_PAGE} (list with its count)`,
        path: `/tasks?page=1&per_page=${PER_PAGE}`,
        trips: 2,
        check: (b) => b.result?.length === PER_PAGE && b.result_info?.total_count === TASKS,
      },
    ],
  },
];

export function buildPeer(peer) {
  return buildBundle(join(ROOT, '.bench', 'peers', peer.name), {
    entry: join('scripts', 'bench', 'peers', `${peer.name}.ts`),
    config: join('scripts', 'bench', 'peers', 'wrangler.toml'),
  });
}

/** Starts a peer on a loopback port the OS picks, its D1 (if any) under `state`, seeded. */
export async function startPeer(peer, bundle, state) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      resourcePersistencePath: state,
      workers: [
        {
          name: peer.name,
          modules: true,
          scriptPath: bundle.scriptPath,
          compatibilityDate: '2026-10-01',
          ...(peer.d1 ? { d1Databases: { DB: `bench-${peer.name}` } } : {}),
        },
      ],
    }),
  );
  const url = await mf.ready;
  if (url.hostname !== '127.0.0.1') throw new Error(`Miniflare listens on ${url.host}, expected loopback`);
  if (peer.d1) await seedTasks(await mf.getD1Database('DB'));
  return { mf, url };
}

/** The template's tasks table (its migration 0001) and TASKS rows, the same ones every run. */
async function seedTasks(db) {
  const WORDS = 'inspect repair paint replace clean survey order check measure report valve pump gate lock bridge pier mast lamp cable drain'.split(' ');
  let s = 7;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const words = (n) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const start = Date.UTC(2026, 0, 1);
  const rows = Array.from({ length: TASKS }, (_, n) => ({
    name: `${words(3)} ${n + 1}`,
    slug: `task-${n + 1}`,
    description: words(12),
    completed: n % 3 === 0 ? 1 : 0,
    due_date: new Date(start + n * 3_600_000).toISOString(),
  }));
  const chunks = Array.from({ length: Math.ceil(TASKS / 1000) }, (_, i) => rows.slice(i * 1000, (i + 1) * 1000));
  await db.batch([
    db.prepare(
      `CREATE TABLE tasks (
         id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL, slug TEXT NOT NULL,
         description TEXT NOT NULL, completed INTEGER NOT NULL, due_date DATETIME NOT NULL)`,
    ),
    // One bound parameter per statement (a JSON array of rows), far under D1's limit of 100.
    ...chunks.map((chunk) =>
      db
        .prepare(
          `INSERT INTO tasks (name, slug, description, completed, due_date)
           SELECT json_extract(value, '$.name'), json_extract(value, '$.slug'), json_extract(value, '$.description'),
                  json_extract(value, '$.completed'), json_extract(value, '$.due_date')
           FROM json_each(?)`,
        )
        .bind(JSON.stringify(chunk)),
    ),
  ]);
  await db.prepare('ANALYZE').run();
}
