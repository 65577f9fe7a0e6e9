import type { Bindings } from '../src/env';

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import('../src/index');
    }
    interface Env extends Bindings {
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
      /** An empty D1 of its own, for tests that apply the migrations step by step (numbers.test.ts). */
      MIGRATION_DB: D1Database;
    }
  }
}
export {};
