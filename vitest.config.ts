import { defineConfig } from 'vitest/config';

// One runner for unit and integration tests. Integration tests start real processes
// (qmail-server, KMEs, dovecot) on loopback, so they get longer timeouts.
export default defineConfig({
  test: {
    include: ['{shared,electron,renderer,server,dev-network,cli,tools,bench,fuzz}/**/*.test.{ts,tsx}', 'tests/**/*.test.{ts,tsx}'],
    // The 1 GiB round trips run on their own: vitest.gib.config.ts.
    exclude: ['node_modules', 'dist', 'e2e', '**/*.gib.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    allowOnly: false,
    reporters: ['default', ['json', { outputFile: 'artifacts/vitest/results.json' }]],
  },
});
