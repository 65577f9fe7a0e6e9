// Cold start of a bundle, as workerd CPU time: workerd parses, compiles and evaluates each
// worker's top level while it starts (before Miniflare reports ready), so the CPU time of a
// workerd that loads COPIES isolates of a bundle, less that of one loading COPIES isolates of an
// empty worker, divided by COPIES, is what one isolate's start costs for that bundle. Several
// copies spread the 10 ms clock tick of /proc/<pid>/stat and the noise of workerd's own start
// (a few hundred ms) over more work; the median of several starts is reported with its range.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { cpuMs, median, ROOT, withWorkerdPid } from './harness.mjs';

const COPIES = 5;

/** `bundles`: name -> script path. Answers name -> { ms, min, max } (ms of CPU per isolate start). */
export async function coldStarts(bundles, starts) {
  const dir = join(ROOT, '.bench', 'cold');
  mkdirSync(dir, { recursive: true });
  const empty = join(dir, 'empty.js');
  writeFileSync(empty, 'export default { fetch: () => new Response(null) };\n');
  const samples = Object.fromEntries(Object.keys(bundles).map((name) => [name, []]));
  for (let i = 0; i < starts; i++) {
    const base = await startupCpu(empty);
    for (const [name, scriptPath] of Object.entries(bundles)) samples[name].push(((await startupCpu(scriptPath)) - base) / COPIES);
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [name, { ms: median(list), min: Math.min(...list), max: Math.max(...list) }]),
  );
}

/** CPU ms of a workerd from its spawn until ready, with COPIES isolates of one script and no bindings. */
async function startupCpu(scriptPath) {
  const { mf, pid } = await withWorkerdPid(async () => {
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        host: '127.0.0.1',
        port: 0,
        workers: Array.from({ length: COPIES }, (_, i) => ({ name: `copy${i}`, modules: true, scriptPath, compatibilityDate: '2026-10-01' })),
      }),
    );
    await mf.ready;
    return { mf };
  });
  const ms = cpuMs(pid);
  await mf.dispose();
  return ms;
}
