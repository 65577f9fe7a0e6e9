// `npm run lint:openapi` (after openapi:export): Spectral over every exported document. /v1's
// (dist/openapi.json) with .spectral.yaml; each seed dialect's (dist/compat/<dialect>/openapi.json)
// with .spectral.yaml and, appended to its `overrides:` list, the entries of the dialect's own
// src/compat/<dialect>/spectral.yaml and of the shared files it names on a `# uses:` line
// (Spectral does not inherit overrides through `extends`, so one ruleset is written per document,
// beside it). Exits non-zero when any document has an error.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const root = readFileSync(join(ROOT, '.spectral.yaml'), 'utf8');
if (!/\noverrides:\n(?:[\s\S](?!\n\S))*$/.test(root)) throw new Error('.spectral.yaml must end with its overrides: list');

const documents = [{ file: join(ROOT, 'dist/openapi.json'), ruleset: join(ROOT, '.spectral.yaml') }];
const compat = join(ROOT, 'dist/compat');
for (const name of existsSync(compat) ? readdirSync(compat) : []) {
  const own = join(ROOT, 'src/compat', name, 'spectral.yaml');
  const text = existsSync(own) ? readFileSync(own, 'utf8') : '';
  const uses = [...text.matchAll(/^# uses: (.+)$/gm)].flatMap((m) => m[1].split(',').map((f) => f.trim()));
  const parts = [root, ...uses.map((f) => readFileSync(join(dirname(own), f), 'utf8')), text];
  const ruleset = join(compat, name, '.spectral.yaml');
  writeFileSync(ruleset, parts.join('\n'));
  documents.push({ file: join(compat, name, 'openapi.json'), ruleset });
}

let failed = false;
for (const { file, ruleset } of documents) {
  console.log(`spectral: ${file.slice(ROOT.length + 1)}`);
  const run = spawnSync('spectral', ['lint', '--fail-severity=error', '--ruleset', ruleset, file], { stdio: 'inherit', cwd: ROOT });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
