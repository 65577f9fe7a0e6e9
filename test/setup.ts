import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Each test file gets its own D1 and R2; the migrations are the committed ones.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
