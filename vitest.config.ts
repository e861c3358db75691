import { defineConfig } from 'vitest/config';

// One runner for unit and integration tests. Integration tests start real processes
// (qmail-server, KMEs, dovecot) on loopback, so they get longer timeouts.
export default defineConfig({
  test: {
    include: ['{shared,electron,renderer,server,cli,tools,bench}/**/*.test.{ts,tsx}', 'tests/**/*.test.{ts,tsx}'],
    exclude: ['node_modules', 'dist', 'e2e'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    allowOnly: false,
    reporters: ['default', ['json', { outputFile: 'artifacts/vitest/results.json' }]],
  },
});
