// How many Tells a beacon takes per sender (issue 12, finding 5): one token bucket per sender
// mailbox and one per connecting address (an IPv4 address or an IPv6 /64, as the connection
// caps count them). A bucket holds a minute's worth and refills evenly; a Tell beyond it is
// answered REQUEST_RATE (160) and stored nowhere. The table of buckets is bounded: when it is
// full, buckets that have refilled are dropped first, then the oldest.

export class KeyedRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Tokens a key earns per minute, and the most it can hold. */
    private readonly perMinute: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string, now: number): boolean {
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / 60_000) : this.perMinute;
    if (tokens < 1) {
      if (b) Object.assign(b, { tokens, at: now });
      return false;
    }
    if (!b && this.buckets.size >= this.maxKeys) this.prune(now);
    this.buckets.delete(key); // re-inserted last: the map's order is the least recently used first
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return true;
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * this.perMinute) / 60_000 >= this.perMinute) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(k);
    }
  }
}

/** The node's two Tell budgets. */
export interface TellRates {
  /** Per sender mailbox ("denomination.serial"). */
  sender: KeyedRate;
  /** Per connecting address. */
  address: KeyedRate;
}

export function tellRates(limits: { tellsPerSenderPerMinute: number; tellsPerAddressPerMinute: number }): TellRates {
  return { sender: new KeyedRate(limits.tellsPerSenderPerMinute), address: new KeyedRate(limits.tellsPerAddressPerMinute) };
}
