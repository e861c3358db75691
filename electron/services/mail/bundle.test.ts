import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { cloudCoinMailbox } from '../../../shared/cbdf/address.js';
import { encryptMessage, decryptMessage } from '../../../shared/stripe/index.js';
import { BundleError, decodeLetter, encodeLetter } from './bundle.js';
import { nodeBackend } from './backend.js';

describe('message bundle', () => {
  const letter = {
    id: new Uint8Array(randomBytes(16)),
    from: cloudCoinMailbox(0, 1000),
    to: [cloudCoinMailbox(0, 1001), cloudCoinMailbox(0, 1002)],
    cc: [cloudCoinMailbox(0, 1003)],
    subject: 'Quarterly numbers — über wichtig',
    body: 'Line one\nLine two\n\nParagraph two with émojis 🎉',
    timestamp: 1_760_000_000,
    attachments: [
      { name: 'report.pdf', data: new Uint8Array(randomBytes(5000)) },
      { name: 'empty.txt', data: new Uint8Array(0) },
    ],
  };

  it('round-trips through CBDF and survives striping with two stripes lost', () => {
    const bytes = encodeLetter(letter);
    const enc = encryptMessage(bytes, { k: 4, p: 2 }, { backend: nodeBackend });
    const slots: (Uint8Array | undefined)[] = [...enc.slots];
    slots[1] = undefined;
    slots[4] = undefined;
    const out = decodeLetter(decryptMessage(slots, enc.secrets, nodeBackend).plaintext);
    expect(out.subject).toBe(letter.subject);
    expect(out.body).toBe(letter.body);
    expect(out.from).toEqual(letter.from);
    expect(out.to).toEqual(letter.to);
    expect(out.cc).toEqual(letter.cc);
    expect(out.timestamp).toBe(letter.timestamp);
    expect(out.attachments.map((a) => a.name)).toEqual(['report.pdf', 'empty.txt']);
    expect(Buffer.from(out.attachments[0]!.data).equals(Buffer.from(letter.attachments[0]!.data))).toBe(true);
  });

  it('refuses truncated and foreign input', () => {
    const bytes = encodeLetter(letter);
    expect(() => decodeLetter(bytes.subarray(0, bytes.length - 10))).toThrow(BundleError);
    expect(() => decodeLetter(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(BundleError);
    const extra = new Uint8Array(bytes.length + 1);
    extra.set(bytes);
    expect(() => decodeLetter(extra)).toThrow(/trailing/);
  });

  it('carries a reply\'s thread reference in its own extension section, and letters without one have none', () => {
    const inReplyTo = new Uint8Array(randomBytes(16));
    const root = new Uint8Array(randomBytes(16));
    const out = decodeLetter(encodeLetter({ ...letter, thread: { inReplyTo, root } }));
    expect(Buffer.from(out.thread!.inReplyTo).equals(Buffer.from(inReplyTo))).toBe(true);
    expect(Buffer.from(out.thread!.root).equals(Buffer.from(root))).toBe(true);
    expect(out.subject).toBe(letter.subject);
    expect(decodeLetter(encodeLetter(letter)).thread).toBeUndefined();
  });
});
