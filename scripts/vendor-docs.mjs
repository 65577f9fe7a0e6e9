// Copies Swagger UI's script and styles into public/docs/vendor, so /docs is served from this
// origin (no CDN). Runs after `npm install`; the copies are not committed.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let source;
try {
  source = dirname(require.resolve('swagger-ui-dist/package.json'));
} catch {
  // A production install without devDependencies: the docs page is not needed there.
  process.exit(0);
}
const target = join(import.meta.dirname, '..', 'public', 'docs', 'vendor');
mkdirSync(target, { recursive: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png']) {
  const from = join(source, file);
  if (existsSync(from)) copyFileSync(from, join(target, file));
}
