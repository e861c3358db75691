// npm run fuzz [-- --seconds N] [--target NAME] [--seed N] [--timeout S] [--ci] [--until-crash] [--list]
//
// Coverage-guided fuzzing of every parser that reads bytes from outside (fuzz/targets).
// Each target runs in turn for the given time in a worker thread; the supervisor stops a
// worker whose input hangs (no execution finishes for --timeout seconds) or exhausts its
// heap, saves that input as a crasher and starts a fresh worker for the time left.
// Without --ci, new corpus entries and crashers are written under fuzz/ and the corpus is
// minimised at the end; with --ci nothing in the tree changes and crashers go to
// artifacts/fuzz/. The exit code is 1 when anything crashed or hung.
import { Worker } from 'node:worker_threads';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FUZZ_DIR, crashersDir, hashName } from './engine/corpus.js';
import { TARGET_NAMES, loadTarget } from './targets/index.js';
import type { WorkerMessage, WorkerOptions } from './engine/worker.js';
import type { FuzzTarget } from './engine/target.js';

interface Args {
  seconds: number;
  targets: string[];
  seed: number;
  timeout: number;
  ci: boolean;
  list: boolean;
  heapMb: number;
  untilCrash: boolean;
  /** A module exporting `target` (for testing the fuzzer itself). */
  module?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    seconds: 60,
    targets: [],
    seed: Date.now() >>> 0,
    timeout: 10,
    ci: false,
    list: false,
    heapMb: 1024,
    untilCrash: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--seconds') a.seconds = Number(v());
    else if (k === '--target') a.targets.push(...v().split(','));
    else if (k === '--seed') a.seed = Number(v()) >>> 0;
    else if (k === '--timeout') a.timeout = Number(v());
    else if (k === '--heap-mb') a.heapMb = Number(v());
    else if (k === '--ci') a.ci = true;
    else if (k === '--list') a.list = true;
    else if (k === '--until-crash') a.untilCrash = true;
    else if (k === '--target-module') a.module = pathToFileURL(resolve(v())).href;
    else throw new Error(`unknown option ${k}`);
  }
  if (!(a.seconds > 0)) throw new Error('--seconds must be a positive number');
  if (a.module) return a;
  for (const t of a.targets) if (!TARGET_NAMES.includes(t)) throw new Error(`unknown target ${t}; known: ${TARGET_NAMES.join(', ')}`);
  if (a.targets.length === 0) a.targets = [...TARGET_NAMES];
  return a;
}

export interface TargetReport {
  target: string;
  seconds: number;
  execs: number;
  execsPerSecond: number;
  corpus: number;
  kept: number;
  features: number;
  blocksRun: number;
  blocksKnown: number;
  crashes: { signature: string; file: string }[];
  hangs: string[];
}

const ARTIFACTS = join(FUZZ_DIR, '..', 'artifacts', 'fuzz');
let lastLine = 0;

function runWorker(
  args: Args,
  target: string,
  seconds: number,
  skip: string[],
  report: TargetReport,
): Promise<{ stuck?: Uint8Array; reason?: string; broken?: string }> {
  const shared = new SharedArrayBuffer(8 + (1 << 20));
  const counters = new Int32Array(shared, 0, 2);
  const options: WorkerOptions = {
    target,
    seconds,
    seed: args.seed + skip.length,
    shared,
    save: !args.ci,
    crashOut: join(ARTIFACTS, 'crashers', target),
    skip,
    ...(args.module ? { targetModule: args.module } : {}),
  };
  const worker = new Worker(new URL('./engine/boot.mjs', import.meta.url), {
    workerData: options,
    resourceLimits: { maxOldGenerationSizeMb: args.heapMb },
  });
  return new Promise((done) => {
    let last = -1;
    let still = 0;
    let finished = false;
    const current = (): Uint8Array => new Uint8Array(shared, 8, Atomics.load(counters, 1)).slice();
    const watchdog = setInterval(() => {
      const n = Atomics.load(counters, 0);
      // Starting the worker (loading and compiling the target) is not an execution.
      if (n !== last || n === 0) {
        last = n;
        still = 0;
        return;
      }
      still += 0.5;
      if (still >= args.timeout) {
        clearInterval(watchdog);
        const stuck = current();
        void worker.terminate().then(() => done({ stuck, reason: `no execution finished in ${args.timeout} s` }));
      }
    }, 500);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        const line = `  ${target}: ${m.execs} execs, corpus ${m.corpus}, features ${m.features}, blocks ${m.blocksRun}/${m.blocksKnown}`;
        if (process.stdout.isTTY) process.stdout.write(`${line}\r`);
        else if (performance.now() - lastLine > 60_000) {
          lastLine = performance.now();
          console.log(line);
        }
        Object.assign(report, { features: m.features, blocksRun: m.blocksRun, blocksKnown: m.blocksKnown, corpus: m.corpus });
      } else if (m.type === 'crash') {
        report.crashes.push({ signature: m.signature, file: m.file });
        console.log(
          `\n  CRASH in ${target}: ${m.signature}\n    saved as ${m.file}\n${m.message
            .split('\n')
            .slice(0, 8)
            .map((l) => '    ' + l)
            .join('\n')}`,
        );
        if (args.untilCrash) {
          finished = true;
          void worker.terminate();
        }
      } else {
        finished = true;
        report.corpus = m.corpus;
        report.kept = m.kept;
        report.features = m.features;
        report.blocksRun = m.blocksRun;
        report.blocksKnown = m.blocksKnown;
      }
    });
    worker.on('error', (e) => {
      clearInterval(watchdog);
      // Failing before the first input ran is a broken target, not a finding.
      if (Atomics.load(counters, 0) === 0) done({ broken: e.stack ?? e.message });
      else done({ stuck: current(), reason: e.message });
    });
    worker.on('exit', () => {
      clearInterval(watchdog);
      report.execs += Atomics.load(counters, 0);
      if (finished) done({});
      else done({ stuck: current(), reason: 'worker exited early' });
    });
  });
}

async function fuzzTarget(args: Args, name: string): Promise<TargetReport> {
  const report: TargetReport = {
    target: name,
    seconds: 0,
    execs: 0,
    execsPerSecond: 0,
    corpus: 0,
    kept: 0,
    features: 0,
    blocksRun: 0,
    blocksKnown: 0,
    crashes: [],
    hangs: [],
  };
  const started = performance.now();
  const skip: string[] = [];
  for (;;) {
    const left = args.seconds - (performance.now() - started) / 1000;
    if (left <= 0.5) break;
    const r = await runWorker(args, name, left, skip, report);
    if (r.broken) throw new Error(`fuzz target ${name} failed to start: ${r.broken}`);
    if (!r.stuck || (args.untilCrash && report.crashes.length > 0)) break;
    const dir = args.ci ? join(ARTIFACTS, 'crashers', name) : crashersDir(name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `hang-${hashName(r.stuck)}`);
    writeFileSync(file, r.stuck);
    skip.push(`hang-${hashName(r.stuck)}`);
    report.hangs.push(file);
    console.log(`\n  HANG or OUT OF MEMORY in ${name} (${r.reason}); input saved as ${file}`);
    if (skip.length >= 5) break;
  }
  report.seconds = (performance.now() - started) / 1000;
  report.execsPerSecond = Math.round(report.execs / report.seconds);
  return report;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const n of TARGET_NAMES) console.log(`${n.padEnd(16)} ${(await loadTarget(n)).about}`);
    return;
  }
  if (args.module) args.targets = [((await import(args.module)) as { target: FuzzTarget }).target.name];
  console.log(`fuzzing ${args.targets.join(', ')} for ${args.seconds} s each (seed ${args.seed})`);
  const reports: TargetReport[] = [];
  for (const t of args.targets) {
    const r = await fuzzTarget(args, t);
    reports.push(r);
    console.log(
      `  ${t}: ${r.execs} execs in ${r.seconds.toFixed(0)} s (${r.execsPerSecond}/s), corpus ${r.corpus} → ${r.kept} kept, features ${r.features}, blocks ${r.blocksRun}/${r.blocksKnown}, crashes ${r.crashes.length}, hangs ${r.hangs.length}`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(
    join(ARTIFACTS, `report-${args.targets.length === 1 ? args.targets[0] : 'all'}.json`),
    JSON.stringify({ seed: args.seed, reports }, null, 2),
  );
  if (reports.some((r) => r.crashes.length > 0 || r.hangs.length > 0)) process.exitCode = 1;
}

await main();
