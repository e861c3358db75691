import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { cloudCoinMailbox } from '../../../shared/cbdf/address.js';
import { encryptMessage, decryptMessage } from '../../../shared/stripe/index.js';
import { composeDocument, decodeDocument, encodeDocument, metaView } from '../../../shared/cbdf/index.js';
import { BundleError, decodeLetter, encodeLetter } from './bundle.js';
import { nodeBackend } from '../crypto/node-backend.js';

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

  it('carries a formatted body (styles, links, lists, quote, inline image) under the letter\'s own Meta, with its plain text', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex').toString('base64');
    const composed = composeDocument(`<b>Bold</b> and <i>slanted</i>, <a href="https://example.org/x">a link</a><ul><li>one</li><li>two</li></ul><blockquote>quoted</blockquote><img src="data:image/png;base64,${png}" alt="dot"><img src="https://tracker.example/p.png" alt="remote">`);
    const inReplyTo = new Uint8Array(randomBytes(16));
    const out = decodeLetter(encodeLetter({ ...letter, body: 'ignored', document: encodeDocument(composed), thread: { inReplyTo, root: inReplyTo } }));
    expect(out.subject).toBe(letter.subject);
    expect(out.thread).toBeDefined();
    expect(out.body).toContain('Bold and slanted, a link <https://example.org/x>');
    expect(out.body).toContain('- one\n- two');
    expect(out.body).toContain('[image: dot]');
    expect(out.body).not.toContain('tracker.example');
    const doc = decodeDocument(out.document!);
    if (doc.kind !== 'phase2') throw new Error('phase 2 expected');
    expect(metaView(doc.meta).subject).toBe(letter.subject);
    expect(doc.resources).toHaveLength(1);
    expect(Buffer.from(doc.resources[0]!.data).toString('base64')).toBe(png);
    expect(doc.text.some((t) => t.t === 'itemBlock')).toBe(true);
    expect(doc.text.some((t) => t.t === 'styleContainer')).toBe(true);
    // A plain letter carries no document: the reader shows its text as before.
    expect(decodeLetter(encodeLetter(letter)).document).toBeUndefined();
  });
});
