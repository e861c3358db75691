import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDocument, imageSourcesOf, toPlainText, type Phase2Document } from '../../../../shared/cbdf/index.js';
import { legacyBody, remoteImageUrls, withRemoteImages } from './document.js';
import { MimeError } from './errors.js';
import { parseMime } from './parse.js';

// 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function htmlMail(html: string, extra = ''): Buffer {
  return Buffer.from(
    [
      'From: "News Desk" <news@example.com>',
      'To: reader@example.net, "Second" <second@example.net>',
      'Subject: =?UTF-8?B?V2Vla2x5IOKAlCBuZXdz?=',
      'Date: Tue, 01 Dec 2026 10:00:00 +0000',
      'Message-ID: <weekly-42@example.com>',
      'In-Reply-To: <weekly-41@example.com>',
      'References: <weekly-40@example.com> <weekly-41@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/related; boundary="rel"',
      '',
      '--rel',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      html,
      '--rel',
      'Content-Type: image/png',
      'Content-ID: <logo@example.com>',
      'Content-Disposition: inline',
      'Content-Transfer-Encoding: base64',
      '',
      PNG.toString('base64'),
      extra,
      '--rel--',
      '',
    ].join('\r\n'),
  );
}

const HTML =
  '<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p onclick=3D"x()">Hello <b>reader</b>.</p><img src=3D"cid:logo@example.com" alt=3D"Logo"><img src=3D"https://tracker.example/banner.png" alt=3D"Banner" width=3D"300" height=3D"80"><a href=3D"javascript:alert(1)">bad</a></body></html>';

describe('reading legacy MIME', () => {
  it('envelope, threading ids, addresses and the decoded subject', async () => {
    const m = await parseMime(htmlMail(HTML));
    expect(m.subject).toBe('Weekly — news');
    expect(m.from).toEqual({ address: 'news@example.com', name: 'News Desk' });
    expect(m.to.map((a) => a.address)).toEqual(['reader@example.net', 'second@example.net']);
    expect(m.messageId).toBe('<weekly-42@example.com>');
    expect(m.inReplyTo).toBe('<weekly-41@example.com>');
    expect(m.references).toEqual(['<weekly-40@example.com>', '<weekly-41@example.com>']);
    expect(m.date).toBe(Date.UTC(2026, 11, 1, 10));
  });

  it('HTML becomes CBDF: scripts and handlers gone, the cid image embedded, the remote one a blocked reference until fetched', async () => {
    const m = await parseMime(htmlMail(HTML));
    const view = legacyBody(m);
    expect(view.body).toContain('Hello reader.');
    expect(view.body).not.toMatch(/alert|color:red/);
    const doc = decodeDocument(view.document!) as Phase2Document;
    expect(doc.resources.length).toBe(1);
    expect(Buffer.from(doc.resources[0]!.data).equals(PNG)).toBe(true);
    expect(view.remoteImages).toEqual(['https://tracker.example/banner.png']);
    expect(remoteImageUrls(doc)).toEqual(['https://tracker.example/banner.png']);

    const asked: string[] = [];
    const allowed = await withRemoteImages(doc, async (url) => (asked.push(url), new Uint8Array(PNG)));
    expect(asked).toEqual(['https://tracker.example/banner.png']);
    expect(allowed.resources.length).toBe(2);
    expect(remoteImageUrls(allowed)).toEqual([]);
    // Not an image by its bytes (whatever the server says): stays blocked.
    const html = await withRemoteImages(doc, async () => new TextEncoder().encode('<html>not an image</html>'));
    expect(remoteImageUrls(html)).toEqual(['https://tracker.example/banner.png']);
    expect([...imageSourcesOf(allowed).values()].map((s) => s.alt)).toEqual(['Logo', 'Banner']);
  });

  it('an HTML mail dated outside what CBDF can say (before 1970) still reads, without a timestamp', async () => {
    const m = await parseMime(Buffer.from('Date: Mon, 1 Jan 1200 00:00:00 +0000\r\nContent-Type: text/html\r\n\r\n<p>old</p>'));
    expect(m.date).toBeLessThan(0);
    expect(legacyBody(m).body).toBe('old');
  });

  it('plain text stays as it is', async () => {
    const m = await parseMime(
      Buffer.from(
        'From: a@b.c\r\nTo: d@e.f\r\nSubject: plain\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline one\r\n  <b>not bold</b>\r\n',
      ),
    );
    const view = legacyBody(m);
    expect(view.document).toBeUndefined();
    expect(view.body).toBe('line one\n  <b>not bold</b>\n');
  });

  it('attachments stream to the sink, not into memory', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 0x5a);
    const raw = Buffer.concat([
      Buffer.from(
        'From: a@b.c\r\nTo: d@e.f\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename="big.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      ),
      Buffer.from(big.toString('base64').replace(/.{76}/g, '$&\r\n')),
      Buffer.from('\r\n--b--\r\n'),
    ]);
    let chunks = 0;
    let bytes = 0;
    let largest = 0;
    // As a server streams it: 64 KiB at a time.
    const pieces = Array.from({ length: Math.ceil(raw.length / 65536) }, (_, i) => raw.subarray(i * 65536, (i + 1) * 65536));
    const m = await parseMime(Readable.from(pieces), {
      sink: async (info, content) => {
        expect(info.filename).toBe('big.zip');
        for await (const c of content as AsyncIterable<Buffer>) {
          chunks++;
          bytes += c.length;
          largest = Math.max(largest, c.length);
        }
        return 'stored-1';
      },
    });
    expect(bytes).toBe(big.length);
    expect(chunks).toBeGreaterThan(10);
    expect(largest).toBeLessThan(1024 * 1024);
    expect(m.attachments).toEqual([
      { index: 0, filename: 'big.zip', contentType: 'application/zip', inline: false, size: big.length, stored: 'stored-1' },
    ]);
    expect(m.text).toBe('see attached');
  });

  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'parsed',
      (e: unknown) => (e instanceof MimeError ? e.code : `untyped: ${String(e)}`),
    );

  it('bounds: message size, header block, part count and text length end in MimeError too_large', async () => {
    expect(await code(parseMime(htmlMail(HTML), { limits: { maxMessageBytes: 500 } }))).toBe('too_large');
    expect(await code(parseMime(Buffer.from(`X-Long: ${'a'.repeat(5000)}\r\n\r\nbody`), { limits: { maxHeadBytes: 1024 } }))).toBe(
      'too_large',
    );
    const parts = Array.from(
      { length: 40 },
      (_, i) => `--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="${i}.txt"\r\n\r\nx\r\n`,
    ).join('');
    expect(
      await code(
        parseMime(Buffer.from(`Content-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}--b--\r\n`), { limits: { maxParts: 10 } }),
      ),
    ).toBe('too_large');
    expect(await code(parseMime(Buffer.from(`Subject: x\r\n\r\n${'word '.repeat(3000)}`), { limits: { maxTextChars: 1000 } }))).toBe(
      'too_large',
    );
    const inline = htmlMail(HTML);
    expect(await code(parseMime(inline, { limits: { maxMemoryBytes: 10 } }))).toBe('too_large');
    expect(await code(parseMime(inline))).toBe('parsed');
  });

  it('hostile input: random bytes and mutated messages end in a message or a MimeError, never anything else', async () => {
    const base = htmlMail(HTML);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 30 }),
        async (noise, flips) => {
          const mutated = Buffer.from(base);
          for (const [at, v] of flips) mutated[at] = v;
          for (const input of [Buffer.from(noise), mutated]) {
            try {
              const m = await parseMime(input, { limits: { maxParts: 50 } });
              const doc = legacyBody(m).document;
              if (doc) toPlainText(decodeDocument(doc));
            } catch (e) {
              if (!(e instanceof MimeError)) throw e;
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
