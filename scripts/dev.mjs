// `npm run dev [-- wrangler dev args]`: applies the migrations to the local D1, makes sure the
// local development superuser exists, then runs `wrangler dev` with the given arguments.
import { spawn } from 'node:child_process';
import { applyMigrations, ensureSuperuser, ROOT, WRANGLER } from './lib/accounts.mjs';

const DEV_ADMIN = { username: 'admin', email: 'admin@fieldbase.local', password: 'fieldbase-dev-password', name: 'Local admin' };

applyMigrations('--local');
const created = ensureSuperuser(DEV_ADMIN, '--local');
console.log(
  `\nLocal superuser (for local development only) ${created ? 'created' : 'present'}:\n` +
    `  username ${DEV_ADMIN.username}  email ${DEV_ADMIN.email}  password ${DEV_ADMIN.password}\n`,
);

const child = spawn(WRANGLER, ['dev', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
