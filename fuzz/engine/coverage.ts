// Coverage feedback from V8's own block coverage, read through node:inspector in the
// thread that runs the target: after each input, Profiler.takePreciseCoverage returns the
// count of every block that ran (and resets the counters). A feature is a block with its
// count rounded to a power-of-two bucket, hashed into a bitmap; an input that sets a bit
// never set before found new behaviour and joins the corpus.
//
// Reading the counters costs about a millisecond however little ran, so inputs run in
// batches: one read per batch, and only a batch that shows something new is run again
// input by input to find which input to keep.
import { Session } from 'node:inspector';

export const MAP_BITS = 20;
const MAP_SIZE = 1 << MAP_BITS;

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: { ranges: Range[] }[];
}

function bucket(count: number): number {
  if (count === 0) return 0;
  if (count < 4) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

export class Coverage {
  private readonly session = new Session();
  /** Index per script URL we keep (project sources); -1 for scripts we ignore. */
  private readonly scripts = new Map<string, number>();
  /** Feature bits seen so far across the whole run, input by input. */
  readonly seen = new Uint8Array(MAP_SIZE);
  /** Feature bits seen in batches (counts summed over a batch of inputs). */
  private readonly seenBatch = new Uint8Array(MAP_SIZE);
  /** Blocks (script, start, end) that ran at least once, and every block V8 reported. */
  private readonly blocksRun = new Set<string>();
  private readonly blocksKnown = new Set<string>();
  private readonly current: number[] = [];

  constructor(private readonly keep: (url: string) => boolean) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  private post(method: string, params?: object): unknown {
    let out: unknown;
    let error: Error | null = null;
    // An in-thread session answers synchronously.
    this.session.post(method, params, (err, res) => {
      error = err;
      out = res;
    });
    if (error) throw error;
    return out;
  }

  private scriptIndex(url: string): number {
    let i = this.scripts.get(url);
    if (i === undefined) {
      i = this.keep(url) ? this.scripts.size : -1;
      this.scripts.set(url, i);
    }
    return i;
  }

  /**
   * Reads and resets the counters; returns the feature hashes of the last execution.
   * With `record`, also notes which blocks ran (for the report; slower, so only for
   * inputs that are kept). With `binary`, counts are only zero or not: summed over a
   * batch, their buckets would look new far more often than the batch holds anything new.
   */
  take(record = false, binary = false): number[] {
    const res = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const out = this.current;
    out.length = 0;
    for (const sc of res.result) {
      const si = this.scriptIndex(sc.url);
      if (si < 0) continue;
      for (const fn of sc.functions) {
        for (const r of fn.ranges) {
          if (record) {
            const key = `${si}:${r.startOffset}:${r.endOffset}`;
            this.blocksKnown.add(key);
            if (r.count > 0) this.blocksRun.add(key);
          }
          const h = Math.imul(si + 1, 0x9e3779b1) ^ Math.imul(r.startOffset + 1, 0x85ebca6b) ^ Math.imul(r.endOffset + 1, 0xc2b2ae35);
          const b = binary ? Math.min(r.count, 1) : bucket(r.count);
          out.push(((h ^ Math.imul(b + 1, 0x27d4eb2f)) >>> 0) & (MAP_SIZE - 1));
        }
      }
    }
    return out;
  }

  /** Marks the features as seen; returns how many were new. */
  merge(features: readonly number[]): number {
    let fresh = 0;
    for (const f of features) {
      if (this.seen[f] === 0) {
        this.seen[f] = 1;
        fresh++;
      }
    }
    return fresh;
  }

  hasNew(features: readonly number[]): boolean {
    for (const f of features) if (this.seen[f] === 0) return true;
    return false;
  }

  /**
   * For a batch's summed coverage: true when it shows a feature no batch showed before
   * (marking it), so its inputs are worth running one by one.
   */
  batchHasNew(features: readonly number[]): boolean {
    let fresh = false;
    for (const f of features) {
      if (this.seenBatch[f] === 0) {
        this.seenBatch[f] = 1;
        fresh = true;
      }
    }
    return fresh;
  }

  /** Distinct features seen, blocks that ran, and blocks V8 has reported in the kept sources. */
  stats(): { features: number; blocksRun: number; blocksKnown: number } {
    let features = 0;
    for (let i = 0; i < MAP_SIZE; i++) features += this.seen[i]!;
    return { features, blocksRun: this.blocksRun.size, blocksKnown: this.blocksKnown.size };
  }

  close(): void {
    this.session.disconnect();
  }
}
