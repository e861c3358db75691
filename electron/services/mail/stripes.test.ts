import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MessageSecrets } from '../../../shared/stripe/message.js';
import { decryptMessage } from '../../../shared/stripe/index.js';
import { IN_THREAD_MAX, stripeBundle } from './stripes.js';

describe('stripeBundle and the keys it hands out early', () => {
  it("gives a small letter's keys before encrypting with them (the send seals its capsules meanwhile)", async () => {
    const letter = new Uint8Array(randomBytes(5000));
    const seen: MessageSecrets[] = [];
    const enc = await stripeBundle(letter, { k: 4, p: 1 }, undefined, (s) => seen.push(s));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(enc.secrets);
    const slots = enc.slots.map((s) => s as Uint8Array);
    expect(Buffer.from(decryptMessage(slots, seen[0]!).plaintext).equals(Buffer.from(letter))).toBe(true);
  });

  it('does not call it for a letter striped by the pipeline (its keys come out with the stripes)', async () => {
    const seen: MessageSecrets[] = [];
    const enc = await stripeBundle(new Uint8Array(IN_THREAD_MAX + 1), { k: 4, p: 1 }, undefined, (s) => seen.push(s));
    try {
      expect(seen).toHaveLength(0);
      expect(enc.secrets.length).toBe(IN_THREAD_MAX + 1);
    } finally {
      await enc.dispose();
    }
  });
});
