// Anti-replay for encrypted requests (QMail/1.0 §5 asks deployments to define one): a
// request whose (nonce, challenge) pair was already seen within the window is refused.
// Clients make a fresh nonce per request, so a retry that re-encodes is never caught;
// only a byte-identical replay of a captured packet is. Memory is bounded: the oldest
// entries go first once `max` is reached.
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = 15 * 60_000, private readonly max = 200_000, private readonly now: () => number = Date.now) {}

  /** Records the pair; false if it was already recorded within the window. */
  admit(nonce: Uint8Array, challenge: Uint8Array): boolean {
    const t = this.now();
    const k = Buffer.concat([nonce, challenge]).toString('base64');
    const prev = this.seen.get(k);
    if (prev !== undefined && t - prev < this.windowMs) return false;
    if (prev !== undefined) this.seen.delete(k);
    this.seen.set(k, t);
    // Map keeps insertion order: drop expired or surplus entries from the front.
    for (const [key, at] of this.seen) {
      if (this.seen.size <= this.max && t - at < this.windowMs) break;
      this.seen.delete(key);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
