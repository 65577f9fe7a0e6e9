// Fails when src/db/schema.ts and the committed migrations disagree: drizzle-kit generates into a
// copy of migrations/, and any new file means a migration is missing (`npm run db:generate`).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'fieldbase-migrations-'));
try {
  const out = join(work, 'migrations');
  cpSync(join(root, 'migrations'), out, { recursive: true });
  const before = new Set(readdirSync(out));
  const config = join(work, 'drizzle.config.mjs');
  writeFileSync(
    config,
    // drizzle-kit wants `out` relative to its working directory.
    `export default { dialect: 'sqlite', schema: ${JSON.stringify(join(root, 'src/db/schema.ts'))}, out: './migrations' };\n`,
  );
  const output = execFileSync(join(root, 'node_modules/.bin/drizzle-kit'), ['generate', '--config', config], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const added = readdirSync(out).filter((f) => !before.has(f));
  if (added.length === 0 && !/No schema changes/i.test(output)) {
    console.error(`could not compare the schema with migrations/:\n${output}`);
    process.exit(1);
  }
  if (added.length > 0) {
    console.error(`migrations/ is behind src/db/schema.ts: drizzle-kit would add ${added.join(', ')}. Run \`npm run db:generate\` and commit it.`);
    process.exit(1);
  }
  console.log('migrations match the schema');
} finally {
  rmSync(work, { recursive: true, force: true });
}
