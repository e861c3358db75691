import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { cloudCoinMailbox } from '../../../shared/cbdf/address.js';
import { encryptMessage, decryptMessage } from '../../../shared/stripe/index.js';
import { composeDocument, decodeDocument, encodeDocument, metaView } from '../../../shared/cbdf/index.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BundleError, decodeLetter, encodeLetter, letterSink, letterStream, type AttachmentWriter } from './bundle.js';
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

  it("carries a reply's thread reference in its own extension section, and letters without one have none", () => {
    const inReplyTo = new Uint8Array(randomBytes(16));
    const root = new Uint8Array(randomBytes(16));
    const out = decodeLetter(encodeLetter({ ...letter, thread: { inReplyTo, root } }));
    expect(Buffer.from(out.thread!.inReplyTo).equals(Buffer.from(inReplyTo))).toBe(true);
    expect(Buffer.from(out.thread!.root).equals(Buffer.from(root))).toBe(true);
    expect(out.subject).toBe(letter.subject);
    expect(decodeLetter(encodeLetter(letter)).thread).toBeUndefined();
  });

  it("carries a formatted body (styles, links, lists, quote, inline image) under the letter's own Meta, with its plain text", () => {
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
      'hex',
    ).toString('base64');
    const composed = composeDocument(
      `<b>Bold</b> and <i>slanted</i>, <a href="https://example.org/x">a link</a><ul><li>one</li><li>two</li></ul><blockquote>quoted</blockquote><img src="data:image/png;base64,${png}" alt="dot"><img src="https://tracker.example/p.png" alt="remote">`,
    );
    const inReplyTo = new Uint8Array(randomBytes(16));
    const out = decodeLetter(
      encodeLetter({ ...letter, body: 'ignored', document: encodeDocument(composed), thread: { inReplyTo, root: inReplyTo } }),
    );
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

  /** Attachment writers that keep bytes in memory, and remember which were dropped. */
  function memoryStore() {
    const kept = new Map<string, Buffer>();
    const aborted: string[] = [];
    let n = 0;
    const open = (): AttachmentWriter => {
      const ref = `r${n++}`;
      const parts: Buffer[] = [];
      return {
        write: async (b) => void parts.push(Buffer.from(b)),
        finish: async () => (kept.set(ref, Buffer.concat(parts)), ref),
        abort: async () => void aborted.push(ref),
      };
    };
    return { kept, aborted, open };
  }

  it('streams the same bytes as encodeLetter, and reads them back in pieces of any size into attachment writers', async () => {
    const streamed = letterStream({
      ...letter,
      attachments: letter.attachments.map((a) => ({
        name: a.name,
        size: a.data.length,
        open: () => Readable.from([a.data.subarray(0, 7), a.data.subarray(7)]),
      })),
    });
    const parts: Buffer[] = [];
    for await (const c of streamed.open()) parts.push(c as Buffer);
    const whole = Buffer.concat(parts);
    expect(whole.equals(Buffer.from(encodeLetter(letter)))).toBe(true);
    expect(streamed.length).toBe(whole.length);
    for (const piece of [1, 3, 4096, whole.length]) {
      const mem = memoryStore();
      const { sink, letter: read } = letterSink(mem.open);
      const pieces = Array.from({ length: Math.ceil(whole.length / piece) }, (_, i) => whole.subarray(i * piece, (i + 1) * piece));
      await pipeline(Readable.from(pieces), sink);
      const out = await read();
      expect(out.subject).toBe(letter.subject);
      expect(out.body).toBe(letter.body);
      expect(out.attachments.map((a) => [a.name, a.size])).toEqual([
        ['report.pdf', 5000],
        ['empty.txt', 0],
      ]);
      expect(mem.kept.get(out.attachments[0]!.ref)!.equals(Buffer.from(letter.attachments[0]!.data))).toBe(true);
    }
  });

  it('a streamed letter whose attachment changes size fails, and a cut or padded bundle drops what its sink wrote', async () => {
    const grown = letterStream({ ...letter, attachments: [{ name: 'a', size: 3, open: () => Readable.from([Buffer.from('four')]) }] });
    await expect(pipeline(grown.open(), new (await import('node:stream')).PassThrough().resume())).rejects.toThrow(/grew/);
    const whole = Buffer.from(encodeLetter(letter));
    for (const bad of [
      whole.subarray(0, whole.length - 10),
      Buffer.concat([whole, Buffer.from([0])]),
      Buffer.from('QMB1\xff\xff\xff\xff\x00', 'latin1'),
    ]) {
      const mem = memoryStore();
      const { sink, letter: read } = letterSink(mem.open);
      const pieces = Array.from({ length: Math.ceil(bad.length / 1000) }, (_, i) => bad.subarray(i * 1000, (i + 1) * 1000));
      await expect(pipeline(Readable.from(pieces), sink)).rejects.toBeInstanceOf(BundleError);
      await expect(read()).rejects.toBeInstanceOf(BundleError);
      if (bad.length > 5000) expect(mem.aborted.length).toBeGreaterThan(0);
    }
  });
});
