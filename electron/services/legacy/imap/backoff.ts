import { randomInt } from 'node:crypto';

/** Backoff with jitter: a random wait in [cap/2, cap], cap = base·2^attempt (bounded by maxMs). */
export function backoffMs(attempt: number, baseMs: number, maxMs = 60_000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const half = Math.floor(cap / 2);
  return half + randomInt(0, Math.max(1, cap - half + 1));
}
