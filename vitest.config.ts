import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // An empty database of its own for tests that apply the migrations step by step.
          d1Databases: ['MIGRATION_DB'],
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Small limits so the 413 paths are cheap to reach in tests.
            UPLOAD_MAX_BYTES: '2097152',
            JSON_MAX_BYTES: '65536',
          },
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      include: ['test/**/*.test.ts'],
      reporters: process.env.CI ? ['default', 'json'] : ['default'],
      outputFile: process.env.CI ? { json: './test-results.json' } : undefined,
    },
  };
});
