// Writes the OpenAPI document the worker serves at /openapi.json to a file (for spectral and
// client generators). Usage: tsx scripts/export-openapi.ts [out-file]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { app } from '../src/index';

const out = process.argv[2] ?? 'dist/openapi.json';
const res = await app.request('/openapi.json', {}, { DB: {}, FILES: {} });
if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}: ${await res.text()}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(await res.json(), null, 2) + '\n');
console.log(`wrote ${out}`);
