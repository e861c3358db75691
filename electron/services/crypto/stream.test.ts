import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fromHex, toHex } from '../../../shared/bytes/index.js';
import { pureBackend } from '../../../shared/crypto/primitives.js';
import { AES256_CTR_SP800_38A_F55 as F55, HMAC_SHA256_RFC4231 } from '../../../shared/crypto/vectors.js';
import { decryptMessage, encryptMessage, newMessageSecrets } from '../../../shared/stripe/message.js';
import type { Layout } from '../../../shared/stripe/layout.js';
import { nodeBackend } from './node-backend.js';
import { decryptMessageStream, encryptMessageStream, type Progress } from './stream.js';
import { expectSameBytes, memorySink, pick } from '../../../tests/support/streams.js';

describe('node:crypto backend known answers', () => {
  it('AES-256-CTR F.5.5 and HMAC-SHA-256 RFC 4231 agree with the published vectors and the pure path', () => {
    expect(toHex(nodeBackend.aes256Ctr(fromHex(F55.key), fromHex(F55.iv), fromHex(F55.plaintext)))).toBe(F55.ciphertext);
    for (const v of HMAC_SHA256_RFC4231) expect(toHex(nodeBackend.hmacSha256(fromHex(v.key), fromHex(v.data)))).toBe(v.mac);
    const key = randomBytes(32),
      iv = randomBytes(16),
      data = randomBytes(100_003);
    expect(nodeBackend.aes256Ctr(key, iv, data)).toEqual(pureBackend.aes256Ctr(key, iv, data));
  });
});

describe('stripes with node:crypto', () => {
  // Every width, several parity counts each (1, 2, half, all but one), at 0 B, 1 B and 1 MiB.
  const msg = new Uint8Array(randomBytes(1 << 20));
  for (let n = 2; n <= 32; n++) {
    const layouts = [...new Set([1, 2, n >> 1, n - 1])].filter((p) => p >= 1 && p < n).map((p) => ({ k: n - p, p }));
    it(`k + p = ${n} (p = ${layouts.map((l) => l.p).join(', ')}): round trip at 0 B, 1 B, 1 MiB; any p missing works, p + 1 fails`, () => {
      for (const layout of layouts) {
        for (const size of [0, 1, 1 << 20]) {
          const plain = msg.subarray(0, size);
          const enc = encryptMessage(plain, layout, { backend: nodeBackend });
          const gone = pick(n, layout.p + 1, n * 131 + layout.p * 7 + size);
          const slots: (Uint8Array | undefined)[] = enc.slots.slice();
          for (const i of gone.slice(0, layout.p)) slots[i] = undefined;
          const got = decryptMessage(slots, enc.secrets, nodeBackend);
          expectSameBytes(got.plaintext, plain, `k=${layout.k} p=${layout.p} ${size} B`);
          expect(got.problems.map((x) => x.slot).sort((a, b) => a - b)).toEqual(gone.slice(0, layout.p).sort((a, b) => a - b));
          slots[gone[layout.p]!] = undefined;
          expect(() => decryptMessage(slots, enc.secrets, nodeBackend)).toThrow(
            expect.objectContaining({ code: 'too-many-missing', message: expect.stringContaining(`need ${layout.k} of ${n} stripes`) }),
          );
        }
      }
    }, 20_000);
  }
  it('pure and node:crypto produce identical stripe objects', () => {
    const msg = new Uint8Array(randomBytes(300_001));
    for (const layout of [
      { k: 3, p: 1 },
      { k: 7, p: 4 },
    ]) {
      const a = encryptMessage(msg, layout, { backend: nodeBackend });
      const b = encryptMessage(msg, layout, { backend: pureBackend, secrets: a.secrets });
      expect(b.slots).toEqual(a.slots);
    }
  });
});

describe('streamed encryption in a worker thread', () => {
  const cases: [Layout, number][] = [
    [{ k: 1, p: 1 }, 0],
    [{ k: 3, p: 2 }, 1],
    [{ k: 5, p: 1 }, (1 << 20) + 7],
    [{ k: 8, p: 3 }, 3 * 65536 * 8 + 12_345],
    [{ k: 16, p: 1 }, 2 * 65536 * 16 + 999],
    [{ k: 16, p: 16 }, 65536 * 16 + 5],
    [{ k: 31, p: 1 }, 100_000],
  ];
  for (const [layout, size] of cases) {
    it(`k=${layout.k} p=${layout.p} ${size} B: byte-identical to encryptMessage, decrypts with p missing`, async () => {
      const msg = new Uint8Array(randomBytes(size));
      const secrets = newMessageSecrets(layout, size);
      const sinks = Array.from({ length: layout.k + layout.p }, memorySink);
      const progress: Progress[] = [];
      await encryptMessageStream(
        Readable.from([Buffer.from(msg)]),
        layout,
        sinks.map((s) => s.sink),
        { length: size, secrets, stripeChunkBytes: 65536, onProgress: (p) => progress.push(p) },
      );
      const streamed = sinks.map((s) => s.bytes());
      // The in-memory path with node:crypto; the test above proves it equal to the pure one.
      const reference = encryptMessage(msg, layout, { secrets, backend: nodeBackend });
      streamed.forEach((obj, slot) => expectSameBytes(obj, reference.slots[slot]!, `slot ${slot}`));
      if (size > 0) expect(progress.at(-1)).toEqual({ phase: 'encrypt', done: size, total: size });
      const missing = new Set([...Array(layout.p).keys()].map((i) => (i * 7 + 1) % (layout.k + layout.p)));
      const out = memorySink();
      const res = await decryptMessageStream(
        (slot) => (missing.has(slot) ? undefined : Readable.from([Buffer.from(streamed[slot]!)])),
        secrets,
        out.sink,
        { stripeChunkBytes: 65536 },
      );
      expectSameBytes(out.bytes(), msg, 'plaintext');
      expect(res.problems.map((x) => x.slot).sort((a, b) => a - b)).toEqual([...missing].sort((a, b) => a - b));
    }, 20_000);
  }
  it('refuses with p + 1 stripes gone, and flags a tampered stripe without decrypting it', async () => {
    const layout = { k: 4, p: 2 };
    const msg = new Uint8Array(randomBytes(200_000));
    const enc = encryptMessage(msg, layout, { backend: nodeBackend });
    const open = (gone: number[], bad?: number) => (slot: number) => {
      if (gone.includes(slot)) return undefined;
      const b = Buffer.from(enc.slots[slot]!);
      if (slot === bad) b[1000]! ^= 4;
      return Readable.from([b]);
    };
    // p + 1 gone: refused as soon as that is known, without reading the remaining stripes.
    const opened: number[] = [];
    const counting = (slot: number) => {
      opened.push(slot);
      return open([0, 1, 2])(slot);
    };
    await expect(decryptMessageStream(counting, enc.secrets, new PassThrough())).rejects.toMatchObject({
      code: 'too-many-missing',
      message: expect.stringContaining('need 4 of 6 stripes, at most 3 usable'),
    });
    expect(opened).not.toContain(5);
    await expect(decryptMessageStream(open([0, 1], 2), enc.secrets, new PassThrough())).rejects.toMatchObject({ code: 'too-many-missing' });
    const out = memorySink();
    const res = await decryptMessageStream(open([0], 3), enc.secrets, out.sink);
    expectSameBytes(out.bytes(), msg);
    expect(res.problems).toEqual([
      { slot: 0, reason: 'missing' },
      { slot: 3, reason: 'crc-mismatch' },
    ]);
  });
  it('concurrent messages and a message after a failed one get their own, clean workers', async () => {
    const layout = { k: 4, p: 1 };
    // A failure first: its workers must not come back to the pool half-initialised.
    await expect(
      encryptMessageStream(
        Readable.from([Buffer.alloc(10)]),
        layout,
        Array.from({ length: 5 }, () => new PassThrough().resume()),
        { length: 11 },
      ),
    ).rejects.toMatchObject({ code: 'bad-input' });
    const run = async (seed: number) => {
      const msg = new Uint8Array(randomBytes(400_000 + seed));
      const secrets = newMessageSecrets(layout, msg.length);
      const sinks = Array.from({ length: 5 }, memorySink);
      await encryptMessageStream(
        Readable.from([Buffer.from(msg)]),
        layout,
        sinks.map((x) => x.sink),
        { length: msg.length, secrets, stripeChunkBytes: 65536 },
      );
      const reference = encryptMessage(msg, layout, { secrets, backend: nodeBackend });
      sinks.forEach((x, slot) => expectSameBytes(x.bytes(), reference.slots[slot]!, `message ${seed} slot ${slot}`));
    };
    await Promise.all([run(1), run(2), run(3)]);
    await run(4);
  });
  it('files get views of the reused buffers (no copy) and still receive every byte as it was; messages and stripe files can be named instead of streamed', async () => {
    const layout = { k: 8, p: 2 };
    const size = 40 * 65536 * 8 + 4321; // 41 chunks of 64 KiB per stripe: the buffer ring turns over many times
    const msg = new Uint8Array(randomBytes(size));
    const secrets = newMessageSecrets(layout, size);
    const dir = mkdtempSync(join(tmpdir(), 'qmail-borrow-'));
    try {
      const paths = Array.from({ length: 10 }, (_, i) => join(dir, `slot-${i}`));
      await encryptMessageStream(
        Readable.from([Buffer.from(msg)]),
        layout,
        paths.map((f) => createWriteStream(f)),
        { length: size, secrets, stripeChunkBytes: 65536 },
      );
      const reference = encryptMessage(msg, layout, { secrets, backend: nodeBackend });
      paths.forEach((f, slot) => expectSameBytes(new Uint8Array(readFileSync(f)), reference.slots[slot]!, `slot ${slot}`));
      // The message named as a file gives the same stripe objects; a file of another length is refused.
      const msgPath = join(dir, 'message');
      writeFileSync(msgPath, msg);
      const fromFile = Array.from({ length: 10 }, memorySink);
      await encryptMessageStream(
        { path: msgPath },
        layout,
        fromFile.map((x) => x.sink),
        { length: size, secrets, stripeChunkBytes: 65536 },
      );
      fromFile.forEach((x, slot) => expectSameBytes(x.bytes(), reference.slots[slot]!, `slot ${slot} from a file`));
      await expect(
        encryptMessageStream(
          { path: msgPath },
          layout,
          Array.from({ length: 10 }, () => new PassThrough().resume()),
          { length: size - 1 },
        ),
      ).rejects.toMatchObject({ code: 'bad-input' });
      await expect(
        encryptMessageStream(
          { path: msgPath },
          layout,
          Array.from({ length: 10 }, () => new PassThrough().resume()),
          { length: size + 1 },
        ),
      ).rejects.toMatchObject({ code: 'bad-input' });
      const outPath = join(dir, 'plain');
      // Odd slots by name (read in place), even ones as streams.
      const res = await decryptMessageStream(
        (slot) => (slot === 3 || slot === 7 ? undefined : slot % 2 ? { path: paths[slot]! } : createReadStream(paths[slot]!)),
        secrets,
        createWriteStream(outPath),
        { stripeChunkBytes: 65536 },
      );
      expect(res.problems.map((x) => x.slot)).toEqual([3, 7]);
      expectSameBytes(new Uint8Array(readFileSync(outPath)), msg, 'plaintext');
      // A named file that was cut short is a bad stripe, like a short stream.
      truncateSync(paths[1]!, 1000);
      const again = await decryptMessageStream((slot) => (slot === 3 ? undefined : { path: paths[slot]! }), secrets, memorySink().sink, {
        stripeChunkBytes: 65536,
      });
      expect(again.problems).toEqual([
        { slot: 1, reason: 'bad-length' },
        { slot: 3, reason: 'missing' },
      ]);
      // Every stripe named: the workers read them in place; the plaintext is the same.
      writeFileSync(paths[1]!, reference.slots[1]!);
      const named = memorySink();
      const all = await decryptMessageStream(
        (slot) => (slot === 2 || slot === 5 ? undefined : { path: paths[slot]! }),
        secrets,
        named.sink,
        {
          stripeChunkBytes: 65536,
        },
      );
      expect(all.problems.map((x) => x.slot)).toEqual([2, 5]);
      expectSameBytes(named.bytes(), msg, 'plaintext from named stripes');
      // A named stripe cut short after it was verified: refused, not decrypted from what is left.
      const opened = new Map<number, number>();
      await expect(
        decryptMessageStream(
          (slot) => {
            opened.set(slot, (opened.get(slot) ?? 0) + 1);
            // Slot 4's file is cut short once it has been verified (its second opening).
            if (slot === 4 && opened.get(slot) === 2) truncateSync(paths[4]!, 3 * 65536);
            return slot === 2 ? undefined : { path: paths[slot]! };
          },
          secrets,
          memorySink().sink,
          { stripeChunkBytes: 65536 },
        ),
      ).rejects.toMatchObject({ code: 'malformed-stripe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses input shorter or longer than announced', async () => {
    const sinks = () => Array.from({ length: 3 }, () => new PassThrough().resume());
    await expect(encryptMessageStream(Readable.from([Buffer.alloc(10)]), { k: 2, p: 1 }, sinks(), { length: 11 })).rejects.toMatchObject({
      code: 'bad-input',
    });
    await expect(encryptMessageStream(Readable.from([Buffer.alloc(12)]), { k: 2, p: 1 }, sinks(), { length: 11 })).rejects.toMatchObject({
      code: 'bad-input',
    });
  });
});
