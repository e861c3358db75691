import { defineConfig } from 'vitest/config';

// The long 1 GiB round trips (*.gib.test.ts): one file at a time, after the unit and
// integration suite, so their CPU does not starve tests that have timeouts.
export default defineConfig({
  test: {
    include: ['{shared,electron,server,cli}/**/*.gib.test.ts'],
    exclude: ['node_modules', 'dist', 'e2e'],
    testTimeout: 180_000,
    fileParallelism: false,
    pool: 'forks',
    allowOnly: false,
    reporters: ['default', ['json', { outputFile: 'artifacts/vitest/gib.json' }]],
  },
});
