// Work split between the stream path's worker threads. Each chunk has two kinds of work:
// "owned" work that must stay in one thread (a stripe's AES-CTR, HMAC and CRC state lives
// in the worker that owns the stripe, so with 5 stripes and 2 workers one worker owns 3),
// and "shared" work that any thread can do on any range (the bit interleave and parity,
// or the join on the way back). Splitting the shared work evenly leaves the worker with
// fewer owned stripes idle; the balancer hands it a larger range instead, from the time
// each worker reports for its last chunks.

/** Moving averages move this far towards each new measurement. */
const SMOOTHING = 0.25;

export class Balancer {
  /** ms per group of shared work, per worker. */
  private readonly sharedRate: number[];
  /** ms per group of owned work, per worker. */
  private readonly ownedRate: number[];
  /** Which rates hold a measurement yet (the first one replaces the initial guess). */
  private readonly seen = new Set<string>();

  constructor(readonly workers: number) {
    this.sharedRate = new Array<number>(workers).fill(1);
    this.ownedRate = new Array<number>(workers).fill(0);
  }

  recordShared(worker: number, ms: number, groups: number): void {
    this.record(this.sharedRate, worker, ms, groups);
  }

  recordOwned(worker: number, ms: number, groups: number): void {
    this.record(this.ownedRate, worker, ms, groups);
  }

  private record(rates: number[], worker: number, ms: number, groups: number): void {
    if (!(groups > 0) || !(ms >= 0) || !Number.isFinite(ms)) return;
    const rate = Math.max(ms / groups, 1e-9);
    const key = `${rates === this.sharedRate ? 's' : 'o'}${worker}`;
    rates[worker] = this.seen.has(key) ? rates[worker]! + SMOOTHING * (rate - rates[worker]!) : rate;
    this.seen.add(key);
  }

  /**
   * Boundaries b[0] = 0 ≤ b[1] ≤ … ≤ b[workers] = groups: worker w takes [b[w], b[w+1]).
   * Inner boundaries are multiples of `unit` (the SIMD kernels' block), so only the last
   * range may be ragged; the split makes each worker's owned + shared time equal.
   */
  split(groups: number, unit: number): number[] {
    const n = this.workers;
    const r = this.sharedRate;
    const l = this.ownedRate;
    // Worker w finishes at l[w]·G + x[w]·r[w]; equal finish T with Σ x = G gives
    // T = G·(1 + Σ l/r) / Σ 1/r and x[w] = (T − l[w]·G) / r[w].
    let inv = 0,
      lr = 0;
    for (let w = 0; w < n; w++) {
      inv += 1 / r[w]!;
      lr += l[w]! / r[w]!;
    }
    const T = (1 + lr) / inv;
    const share = r.map((rw, w) => Math.max(0, (T - l[w]!) / rw));
    const sum = share.reduce((a, b) => a + b, 0) || 1;
    const bounds = [0];
    let acc = 0;
    for (let w = 0; w < n - 1; w++) {
      acc += share[w]! / sum;
      const b = Math.round((acc * groups) / unit) * unit;
      bounds.push(Math.min(groups, Math.max(bounds[w]!, b)));
    }
    bounds.push(groups);
    return bounds;
  }
}
