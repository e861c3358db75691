import { CryptoError } from '../crypto/errors.js';

/** k data stripes plus p parity stripes; 2 ≤ k + p ≤ 32, k ≥ 1, p ≥ 0. */
export interface Layout {
  readonly k: number;
  readonly p: number;
}

export const MAX_STRIPES = 32;

export function checkLayout(layout: Layout): Layout {
  const { k, p } = layout ?? ({} as Layout);
  if (!Number.isInteger(k) || !Number.isInteger(p) || k < 1 || p < 0 || k + p < 2 || k + p > MAX_STRIPES) {
    throw new CryptoError('bad-layout', `layout must have k ≥ 1, p ≥ 0 and 2 ≤ k + p ≤ ${MAX_STRIPES}; got k=${String(k)} p=${String(p)}`);
  }
  return { k, p };
}

/** Bytes per stripe for a message of `length` bytes: each group of k input bytes gives one byte per stripe. */
export function stripeLength(length: number, k: number): number {
  return Math.ceil(length / k);
}
