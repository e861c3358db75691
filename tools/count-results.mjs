#!/usr/bin/env node
// Sums every suite's results into one line for CI: "N passed, N failed".
// Reads vitest's and Playwright's JSON reports; a report that is missing counts as a
// failed suite, so a runner that never started cannot pass silently.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
const lines = [];

function read(file) {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

for (const [name, file] of [
  ['unit+integration', 'artifacts/vitest/results.json'],
  ['1 GiB round trips', 'artifacts/vitest/gib.json'],
]) {
  const vitest = read(file);
  if (vitest) {
    passed += vitest.numPassedTests;
    failed += vitest.numFailedTests + (vitest.numFailedTestSuites ?? 0) + (vitest.numPendingTests ?? 0) + (vitest.numTodoTests ?? 0);
    lines.push(
      `${name}: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed, ${vitest.numFailedTestSuites ?? 0} suites failed to run`,
    );
  } else {
    failed += 1;
    lines.push(`${name}: no report (the runner did not finish)`);
  }
}

const e2e = read('artifacts/e2e/results.json');
if (e2e?.stats) {
  const s = e2e.stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected + s.skipped;
  lines.push(`e2e: ${s.expected + s.flaky} passed, ${s.unexpected} failed, ${s.skipped} skipped`);
} else {
  failed += 1;
  lines.push('e2e: no report (the runner did not finish)');
}

for (const l of lines) console.log(l);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
