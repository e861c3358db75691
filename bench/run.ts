// npm run bench [-- --json FILE] [--quick] [--only NAME]
// Runs every suite in bench/suites, prints one table, optionally writes JSON rows of
// {name, value, unit, reference_name, reference_value, ratio, machine}.
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult, Suite } from './types.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function machineDescription(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown cpu';
  return `${cpus().length}x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

export function renderTable(rows: BenchResult[]): string {
  const head = ['benchmark', 'value', 'unit', 'reference', 'ref value', 'ratio', 'notes'];
  const body = rows.map((r) => [r.name, fmt(r.value), r.unit, r.reference_name, fmt(r.reference_value), fmt(r.ratio), r.notes ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const only = arg('--only');
  const jsonFile = arg('--json');
  const quick = process.argv.includes('--quick');
  const files = readdirSync(join(here, 'suites'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  const machine = machineDescription();
  const rows: BenchResult[] = [];
  for (const f of files) {
    const suite = (await import(pathToFileURL(join(here, 'suites', f)).href)).default as Suite;
    if (only && !suite.name.includes(only)) continue;
    process.stderr.write(`# ${suite.name}\n`);
    const results = await suite.run({ quick, log: (l) => process.stderr.write(`  ${l}\n`) });
    for (const r of results) rows.push({ ...r, machine });
  }
  process.stdout.write(`machine: ${machine}\n\n${renderTable(rows)}\n`);
  if (jsonFile) {
    writeFileSync(
      jsonFile,
      JSON.stringify(
        rows.map(({ notes: _n, ...r }) => r),
        null,
        2,
      ) + '\n',
    );
    process.stdout.write(`\nwrote ${rows.length} rows to ${jsonFile}\n`);
  }
}

await main();
