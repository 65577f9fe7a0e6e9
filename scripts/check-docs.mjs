// `npm run check:docs`: checks /docs (Swagger UI) in a real browser against a real local worker.
//
// The unit tests see /docs only as HTML and headers; what they cannot see is whether Swagger UI
// actually runs under the page's strict Content-Security-Policy, renders every operation, and
// whether "Try it out" can reach the API from the page. So this script:
//   1. applies the migrations to a local D1 of its own (.docs-check/state, never .wrangler/state,
//      so it neither needs nor disturbs the developer's database) and writes a superuser into it;
//   2. starts `wrangler dev` on a free loopback port against that state, waits for /health and
//      signs in through the API for a token;
//   3. opens /docs in Debian's chromium through playwright-core and checks: as many operations
//      rendered as /openapi.json has, a few known summaries visible, no console errors, page
//      errors or CSP violations, Authorize with the Bearer token, then "Try it out" + "Execute"
//      on GET /v1/me (200 and our username) and GET /health (200 and "ok");
//   4. saves a full-page screenshot to .docs-check/docs.png, prints a summary and exits non-zero
//      on any failure. Wrangler and the browser are stopped on every path out.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, relative } from 'node:path';
import { chromium } from 'playwright-core';
import { typeid } from 'typeid-js';
import { hashPassword, ROOT, validateAccount, WRANGLER } from './lib/accounts.mjs';

const WORK_DIR = join(ROOT, '.docs-check');
const STATE_DIR = join(WORK_DIR, 'state');
const SCREENSHOT = join(WORK_DIR, 'docs.png');
const CHROMIUM = '/usr/bin/chromium';
// The machine has no internet: without these chromium stalls or logs errors trying to reach
// Google's services (component updates, sync, QUIC probes), which would read as page failures.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// A throwaway account in the throwaway database; the password is random so nothing here is a secret.
const USER = { username: 'docs-check', email: 'docs-check@fieldbase.local', name: 'Docs check', password: randomBytes(18).toString('base64url') };
const HEALTH_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 30_000;

// Wrangler 4 needs Node 22.12+, and its bin runs `#!/usr/bin/env node`: put the project's own node
// (the `node` devDependency) first on PATH so this also works when started with the system node.
const CHILD_ENV = {
  ...process.env,
  PATH: [join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  CI: 'true', // no interactive prompts, no hotkeys bar
  WRANGLER_SEND_METRICS: 'false', // no telemetry attempts on an offline machine
};

const failures = [];
const summary = [];
const fail = (message) => {
  failures.push(message);
  console.log(`  ✗ ${message}`); // stdout like the ✓ lines, so the two keep their order
};
const pass = (message) => {
  summary.push(message);
  console.log(`  ✓ ${message}`);
};

let wrangler; // the `wrangler dev` child process
let wranglerLog = ''; // its output, shown if it fails to come up
let browser;

/** A port the OS says is free on 127.0.0.1 (there is a tiny race until wrangler binds it; fine for a check). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function runWrangler(args) {
  return execFileSync(WRANGLER, args, { cwd: ROOT, encoding: 'utf8', env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Same row as scripts/lib/accounts.mjs ensureSuperuser writes, but that helper only takes
 * `--local`/`--remote`, and this database lives under --persist-to.
 */
function createUser(user) {
  validateAccount(user);
  const quote = (text) => `'${String(text).replace(/'/g, "''")}'`;
  const now = Date.now();
  const sql =
    'INSERT INTO users (id, username, email, name, password_hash, is_superuser, is_active, date_joined, updated_at) VALUES (' +
    [quote(typeid('usr').toString()), quote(user.username), quote(user.email), quote(user.name), quote(hashPassword(user.password)), 1, 1, now, now].join(', ') +
    ');';
  runWrangler(['d1', 'execute', 'DB', '--local', '--persist-to', STATE_DIR, '--json', '--command', sql]);
}

async function startWorker() {
  const port = await freePort();
  // Its own inspector port too: the default 9229 may be held by a `npm run dev` already running.
  const inspectorPort = await freePort();
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-ip', '127.0.0.1', '--inspector-port', String(inspectorPort), '--persist-to', STATE_DIR, '--show-interactive-dev-session=false'];
  if (interrupted) throw new Error('interrupted');
  // detached: wrangler runs workerd as a child of its own; a process group lets us stop both.
  wrangler = spawn(WRANGLER, args, { cwd: ROOT, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [wrangler.stdout, wrangler.stderr]) stream.on('data', (chunk) => (wranglerLog += chunk));
  const exited = new Promise((resolve) => wrangler.once('exit', (code, signal) => resolve({ code, signal })));

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const early = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 500, null))]);
    if (early) throw new Error(`wrangler dev exited (${early.signal ?? early.code}) before /health answered:\n${wranglerLog}`);
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return base;
    } catch {
      // not listening yet
    }
  }
  throw new Error(`/health did not answer within ${HEALTH_TIMEOUT_MS / 1000}s:\n${wranglerLog}`);
}

/** Stops wrangler and workerd (the process group we created), and waits for them to go. */
async function stopWorker() {
  if (!wrangler || wrangler.exitCode !== null || wrangler.signalCode !== null) return;
  const gone = new Promise((resolve) => wrangler.once('exit', resolve));
  const signal = (name) => {
    try {
      process.kill(-wrangler.pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

async function signIn(base) {
  const response = await fetch(`${base}/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login: USER.username, password: USER.password }),
  });
  if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
  const { token } = await response.json();
  if (!token) throw new Error('sign-in answered no token');
  return token;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

async function loadSpec(base) {
  const response = await fetch(`${base}/openapi.json`);
  if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
  const spec = await response.json();
  const operations = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.has(method)) operations.push({ path, method, ...operation });
    }
  }
  return operations;
}

/**
 * Expands one operation, presses "Try it out" (unless tryItOutEnabled already did) and "Execute",
 * and answers the live response's status and body as Swagger UI shows them.
 */
async function tryOperation(page, operation) {
  // With deepLinking, Swagger UI gives each block the id operations-<tag>-<operationId>.
  const block = page.locator(`[id="operations-${operation.tags[0]}-${operation.operationId}"]`);
  await block.scrollIntoViewIfNeeded();
  if (!(await block.evaluate((element) => element.classList.contains('is-open')))) {
    await block.locator('.opblock-summary-control').click();
  }
  const tryItOut = block.locator('button.try-out__btn', { hasText: 'Try it out' });
  if (await tryItOut.count()) await tryItOut.click();
  await block.locator('button.execute').click();
  // The live response table appears once the request has come back.
  const live = block.locator('.live-responses-table .response');
  await live.first().waitFor({ timeout: UI_TIMEOUT_MS });
  const status = (await live.first().locator('.response-col_status').innerText()).trim();
  const body = await live.first().locator('.response-col_description').innerText();
  return { status, body };
}

async function checkDocs(base, token, operations) {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  // Everything the page reports as broken. CSP violations show up both as console errors
  // ("Refused to …") and as securitypolicyviolation events; the event carries the exact
  // directive and URL, so collect it too (playwright's init scripts are exempt from the CSP).
  const problems = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The location names the resource for "Failed to load resource" errors, whose text does not.
    const where = message.location().url;
    problems.push(`console error: ${message.text()} (${where || 'no location'})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    // A missing vendored asset would render a half-styled page without any script error.
    if (response.status() >= 400 && !response.url().includes('/v1/')) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await context.exposeBinding('__reportCspViolation', (_source, text) => problems.push(`CSP violation: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });

  try {
    await exercisePage(page, base, token, operations);
  } catch (error) {
    fail(error.message.split('\n')[0]);
  } finally {
    // The screenshot and the page's own complaints are wanted most when a step above failed.
    mkdirSync(WORK_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    pass(`screenshot ${relative(process.cwd(), SCREENSHOT)}`);
    // Give late CSP reports (fired asynchronously) a moment to arrive before judging.
    await page.waitForTimeout(250);
    if (problems.length === 0) pass('no console errors, page errors, failed requests or CSP violations');
    else for (const problem of problems) fail(problem);
  }
}

async function exercisePage(page, base, token, operations) {
  const find = (method, path) => {
    const operation = operations.find((candidate) => candidate.method === method && candidate.path === path);
    if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in /openapi.json`);
    return operation;
  };
  const me = find('get', '/v1/me');
  const health = find('get', '/health');
  const signInOp = find('post', '/v1/auth/sign-in');

  const docsResponse = await page.goto(`${base}/docs`, { waitUntil: 'load' });
  if (docsResponse?.status() !== 200) fail(`/docs answered ${docsResponse?.status()}`);
  if (!docsResponse?.headers()['content-security-policy']) fail('/docs has no Content-Security-Policy header: the check would prove nothing about it');

  // Operations rendered: with the default docExpansion ('list') every tag is open, so there
  // should be one .opblock per operation once the spec has loaded.
  try {
    await page.waitForFunction((expected) => document.querySelectorAll('#swagger-ui .opblock').length >= expected, operations.length, { timeout: UI_TIMEOUT_MS });
  } catch {
    // counted and reported just below
  }
  const rendered = await page.locator('#swagger-ui .opblock').count();
  if (rendered === operations.length) pass(`${rendered} operations rendered (as many as /openapi.json has)`);
  else fail(`${rendered} operations rendered, /openapi.json has ${operations.length}`);
  // Nothing rendered means Swagger UI did not run at all: the steps below would only time out.
  if (rendered === 0) throw new Error('Swagger UI rendered no operations: skipping Authorize and Try it out');

  for (const operation of [me, health, signInOp]) {
    const summary = page.locator('.opblock-summary-description', { hasText: operation.summary });
    if (await summary.first().isVisible()) pass(`visible: ${operation.method.toUpperCase()} ${operation.path} "${operation.summary}"`);
    else fail(`not visible: ${operation.method.toUpperCase()} ${operation.path} "${operation.summary}"`);
  }

  // Authorize with the Bearer token, as a reader of the docs would.
  await page.locator('.auth-wrapper button.authorize').click();
  const modal = page.locator('.modal-ux');
  await modal.waitFor({ timeout: UI_TIMEOUT_MS });
  await modal.locator('#auth-bearer-value').fill(token);
  await modal.locator('.auth-btn-wrapper button.authorize').first().click();
  await modal.locator('h6', { hasText: 'Authorized' }).first().waitFor({ timeout: UI_TIMEOUT_MS });
  await modal.locator('button.btn-done').first().click();
  await modal.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
  pass('authorized with the Bearer token');

  // Try it out: an authenticated operation and a public one. A 200 on /v1/me also proves the
  // Authorization header went out, since it answers 401 without one.
  const tries = [
    { operation: me, expect: `"username": "${USER.username}"` },
    { operation: health, expect: '"status": "ok"' },
  ];
  for (const { operation, expect } of tries) {
    const label = `${operation.method.toUpperCase()} ${operation.path}`;
    try {
      const { status, body } = await tryOperation(page, operation);
      if (status === '200' && body.includes(expect)) pass(`try it out ${label}: ${status}, body has ${expect}`);
      else fail(`try it out ${label}: status ${status}, body ${body.includes(expect) ? 'has' : 'lacks'} ${expect}\n${body.slice(0, 500)}`);
    } catch (error) {
      fail(`try it out ${label}: ${error.message.split('\n')[0]}`);
    }
  }
}

async function main() {
  // A fresh database each run: no lockouts, leftovers or stale migrations from an earlier run.
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  console.log('Applying migrations to .docs-check/state …');
  runWrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', STATE_DIR]);
  createUser(USER);

  console.log('Starting wrangler dev …');
  const base = await startWorker();
  console.log(`Worker up at ${base}`);
  const token = await signIn(base);
  const operations = await loadSpec(base);

  console.log('Checking /docs in chromium …');
  await checkDocs(base, token, operations);
}

// Ctrl-C: wrangler runs in a process group of its own (see startWorker), so the terminal's SIGINT
// does not reach it; stop it and the browser here. Whatever main() was awaiting then fails, and
// the finally below tidies up and exits; the timer is a backstop should some await not fail.
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = signal;
    console.log(`\ninterrupted by ${signal}: stopping wrangler and the browser`);
    void browser?.close().catch(() => {});
    void stopWorker();
    setTimeout(() => process.exit(130), 10_000);
  });
}

try {
  await main();
} catch (error) {
  // Playwright appends its call and browser logs to messages: the first part says what failed.
  // wrangler's own output is kept (startWorker puts it in the message; execFileSync in stderr).
  if (!interrupted) fail(`${error.message.split(/\n(?:Call log|Browser logs):/)[0]}${error.stderr ? `\n${error.stderr}` : ''}`);
} finally {
  await browser?.close().catch(() => {});
  await stopWorker();
}

if (interrupted) process.exit(130);
console.log(failures.length ? `\ncheck:docs FAILED (${failures.length} problem${failures.length === 1 ? '' : 's'})` : `\ncheck:docs passed: ${summary.length} checks`);
process.exit(failures.length ? 1 : 0);
