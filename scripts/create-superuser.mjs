// Creates a superuser on the local or the deployed D1 database.
//   npm run superuser -- --remote --username alice --email alice@example.org
// The password comes from FIELDBASE_PASSWORD, or is asked for on the terminal.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ensureSuperuser } from './lib/accounts.mjs';

const { values } = parseArgs({
  options: {
    remote: { type: 'boolean', default: false },
    local: { type: 'boolean', default: false },
    username: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string', default: '' },
  },
});
if (!values.username || !values.email || values.remote === values.local) {
  console.error('usage: npm run superuser -- (--local | --remote) --username NAME --email ADDRESS [--name "Full Name"]');
  process.exit(2);
}
let password = process.env.FIELDBASE_PASSWORD;
if (!password) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  password = await rl.question('Password (at least 10 characters): ');
  rl.close();
}
const created = ensureSuperuser({ username: values.username, email: values.email, name: values.name, password }, values.remote ? '--remote' : '--local');
console.log(created ? `superuser ${values.username} created` : `an account with that username or email exists already: nothing changed`);
