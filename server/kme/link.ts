// One simulated QKD link: a pool of agreed key bits shared by two KMEs, filled at a fixed
// rate up to a capacity. Bits leave the pool exactly once; the key material is drawn
// from node:crypto at the moment it leaves (indistinguishable, for an SAE, from bits
// agreed earlier), so the pool itself is a truthful counter, not a buffer.
import { randomBytes, randomUUID } from 'node:crypto';

export interface LinkOptions {
  /** Most bits the pool holds. Default 64 Mbit. */
  capacityBits?: number;
  /** Refill rate. Default 1 Mbit/s. 0 = never refills. */
  fillRateBitsPerSecond?: number;
  /** Bits present at start. Default: full. */
  initialBits?: number;
  /** Clock for tests. */
  now?: () => number;
}

export interface LinkKey {
  keyId: string;
  key: Uint8Array;
}

export class QkdLink {
  readonly capacityBits: number;
  readonly fillRateBitsPerSecond: number;
  private bits: number;
  private last: number;
  private readonly now: () => number;

  constructor(opts: LinkOptions = {}) {
    this.capacityBits = opts.capacityBits ?? 64 * 1024 * 1024;
    this.fillRateBitsPerSecond = opts.fillRateBitsPerSecond ?? 1024 * 1024;
    this.now = opts.now ?? (() => performance.now());
    this.bits = Math.min(this.capacityBits, opts.initialBits ?? this.capacityBits);
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    const dt = Math.max(0, t - this.last) / 1000;
    this.last = t;
    this.bits = Math.min(this.capacityBits, this.bits + Math.floor(dt * this.fillRateBitsPerSecond));
  }

  availableBits(): number {
    this.refill();
    return this.bits;
  }

  /** Takes `number` keys of `sizeBits` each, or returns null (and takes nothing) if the pool is short. */
  take(number: number, sizeBits: number): LinkKey[] | null {
    this.refill();
    const need = number * sizeBits;
    if (need > this.bits) return null;
    this.bits -= need;
    const bytes = randomBytes(need / 8);
    const per = sizeBits / 8;
    const out: LinkKey[] = [];
    for (let i = 0; i < number; i++) out.push({ keyId: randomUUID(), key: new Uint8Array(bytes.buffer, bytes.byteOffset + i * per, per) });
    return out;
  }

  /** Empties the pool (tests of exhaustion). */
  drain(): void {
    this.refill();
    this.bits = 0;
  }
}
