// Writes the OpenAPI documents the worker serves to files (for spectral and client generators):
// /openapi.json to the given file, and each seed dialect's /compat/<dialect>/openapi.json to
// compat/<dialect>/openapi.json beside it. Usage: tsx scripts/export-openapi.ts [out-file]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DIALECTS } from '../src/compat/registry';
import { app } from '../src/index';

const out = process.argv[2] ?? 'dist/openapi.json';
const documents = [{ url: '/openapi.json', file: out }, ...DIALECTS.map((d) => ({ url: `${d.base}/openapi.json`, file: join(dirname(out), 'compat', d.name, 'openapi.json') }))];
for (const { url, file } of documents) {
  const res = await app.request(url, {}, { DB: {}, FILES: {} });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(await res.json(), null, 2) + '\n');
  console.log(`wrote ${file}`);
}
