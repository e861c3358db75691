// The fuzzing loop, in a worker thread so the supervisor (run.ts) can stop it when an input
// hangs or exhausts memory. Before each execution the input is copied into shared memory
// and a counter bumped: the supervisor reads both when the counter stops moving.
import { parentPort, workerData } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import { Coverage } from './coverage.js';
import { Mutator, Rng } from './mutate.js';
import { corpusDir, crashersDir, isSeed, readFolder, saveInput } from './corpus.js';
import { loadTarget } from '../targets/index.js';
import type { FuzzTarget } from './target.js';

export interface WorkerOptions {
  target: string;
  seconds: number;
  seed: number;
  /** Int32 [0] = executions, [1] = length of the current input; bytes from offset 8 = the input. */
  shared: SharedArrayBuffer;
  /** Keep new corpus entries and crashers on disk, and minimise the corpus at the end. */
  save: boolean;
  /** Where crashers go when not saving into the repository. */
  crashOut: string;
  /** Do not run these inputs again (they hung or ran out of memory in an earlier worker). */
  skip: string[];
  /** A module exporting `target`, instead of a target from fuzz/targets by name. */
  targetModule?: string;
}

export type WorkerMessage =
  | { type: 'progress'; execs: number; corpus: number; features: number; blocksRun: number; blocksKnown: number }
  | { type: 'crash'; signature: string; message: string; file: string }
  | {
      type: 'done';
      execs: number;
      corpus: number;
      kept: number;
      features: number;
      blocksRun: number;
      blocksKnown: number;
      seconds: number;
    };

const opts = workerData as WorkerOptions;
const target = opts.targetModule ? ((await import(opts.targetModule)) as { target: FuzzTarget }).target : await loadTarget(opts.target);
const counters = new Int32Array(opts.shared, 0, 2);
const slot = new Uint8Array(opts.shared, 8);
const maxLength = Math.min(target.maxLength ?? 4096, slot.length);
// Only the target's own sources count (dependencies only when a source names one).
const coverage = new Coverage(
  (url) =>
    url.startsWith('file:') &&
    target.sources.some((s) => url.includes(s) && (s.includes('/node_modules/') || !url.includes('/node_modules/'))),
);
const rng = new Rng(opts.seed);
const mutator = new Mutator(rng, maxLength, target.dictionary ?? []);
const send = (m: WorkerMessage): void => parentPort!.postMessage(m);

interface Entry {
  name: string;
  data: Uint8Array;
}
const corpus: Entry[] = [];
const crashSignatures = new Set<string>();
let execs = 0;

function signature(e: unknown): string {
  if (!(e instanceof Error)) return `non-error: ${typeof e}`;
  const frame = (e.stack ?? '').split('\n').find((l) => l.includes('file:') && !l.includes('/fuzz/')) ?? '';
  return `${e.name}: ${e.message.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 160)} @ ${frame.trim().replace(/:\d+:\d+\)?$/, '')}`;
}

/** Runs one input, reporting it if it crashed; coverage is left for the caller to read. */
function run(data: Uint8Array): void {
  slot.set(data.subarray(0, slot.length), 0);
  Atomics.store(counters, 1, data.length);
  Atomics.add(counters, 0, 1);
  execs++;
  try {
    target.fuzz(data);
  } catch (e) {
    if (!target.expected(e)) {
      const sig = signature(e);
      if (!crashSignatures.has(sig)) {
        crashSignatures.add(sig);
        const file = saveInput(opts.save ? crashersDir(target.name) : opts.crashOut, data, 'crash-');
        send({ type: 'crash', signature: sig, message: e instanceof Error ? (e.stack ?? e.message) : String(e), file });
      }
    }
  }
}

/** Runs one input alone; returns its features. */
function execute(data: Uint8Array, record = false): number[] {
  coverage.take();
  run(data);
  return coverage.take(record);
}

function progress(): void {
  const s = coverage.stats();
  send({ type: 'progress', execs, corpus: corpus.length, features: s.features, blocksRun: s.blocksRun, blocksKnown: s.blocksKnown });
}

const started = performance.now();
const deadline = started + opts.seconds * 1000;
const skip = new Set(opts.skip);

// Seeds, earlier finds and committed crashers first.
for (const f of [...readFolder(corpusDir(target.name)), ...readFolder(crashersDir(target.name))]) {
  if (skip.has(f.name)) continue;
  const features = execute(f.data, true);
  coverage.merge(features);
  corpus.push({ name: f.name, data: f.data });
}
if (corpus.length === 0) corpus.push({ name: 'empty', data: new Uint8Array(0) });
progress();

const BATCH = 32;
const batch: Uint8Array[] = [];
let lastReport = performance.now();
while (performance.now() < deadline) {
  for (let round = 0; round < 8; round++) {
    batch.length = 0;
    for (let i = 0; i < BATCH; i++) {
      const recent = rng.chance(0.5) ? Math.max(0, corpus.length - 32) : 0;
      const parent = corpus[recent + rng.below(corpus.length - recent)]!;
      const other = corpus[rng.below(corpus.length)]!;
      const input = mutator.mutate(parent.data, other.data);
      run(input);
      batch.push(input);
    }
    if (!coverage.batchHasNew(coverage.take(false, true))) continue;
    for (const input of batch) {
      if (!coverage.hasNew(execute(input))) continue;
      coverage.merge(execute(input, true));
      const name = opts.save ? saveInput(corpusDir(target.name), input).split(/[\\/]/).pop()! : `mem-${corpus.length}`;
      corpus.push({ name, data: input });
    }
  }
  if (performance.now() - lastReport > 2000) {
    progress();
    lastReport = performance.now();
  }
}

// Minimise: keep the seeds, then the smallest inputs that still add coverage.
const final = coverage.stats();
let kept = corpus.length;
if (opts.save) {
  const seen = new Set<number>();
  const order = [...corpus].sort((a, b) => Number(isSeed(b.name)) - Number(isSeed(a.name)) || a.data.length - b.data.length);
  const keep = new Set<string>();
  for (const e of order) {
    const features = execute(e.data);
    let adds = false;
    for (const f of features)
      if (!seen.has(f)) {
        seen.add(f);
        adds = true;
      }
    if (adds || isSeed(e.name)) keep.add(e.name);
  }
  for (const f of readFolder(corpusDir(target.name))) if (!keep.has(f.name) && !isSeed(f.name)) rmSync(f.path);
  kept = keep.size;
}
coverage.close();
send({
  type: 'done',
  execs,
  corpus: corpus.length,
  kept,
  features: final.features,
  blocksRun: final.blocksRun,
  blocksKnown: final.blocksKnown,
  seconds: (performance.now() - started) / 1000,
});
