import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fromHex, toHex } from '../../../shared/bytes/index.js';
import { pureBackend } from '../../../shared/crypto/primitives.js';
import { AES256_CTR_SP800_38A_F55 as F55, HMAC_SHA256_RFC4231 } from '../../../shared/crypto/vectors.js';
import { decryptMessage, encryptMessage, newMessageSecrets } from '../../../shared/stripe/message.js';
import type { Layout } from '../../../shared/stripe/layout.js';
import { nodeBackend } from './node-backend.js';
import { decryptMessageStream, encryptMessageStream, type Progress } from './stream.js';

function memorySink(): { sink: Writable; bytes: () => Uint8Array } {
  const parts: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } });
  return { sink, bytes: () => new Uint8Array(Buffer.concat(parts)) };
}

/** A deterministic pseudo-random byte stream of `length` bytes, generated chunk by chunk. */
function patternStream(length: number, seed: number): Readable {
  let done = 0;
  let x = seed >>> 0 || 1;
  return new Readable({
    read() {
      if (done >= length) return void this.push(null);
      const n = Math.min(1 << 20, length - done);
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i + 4 <= n; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b.writeUInt32LE(x >>> 0, i); }
      for (let i = n & ~3; i < n; i++) b[i] = i & 255;
      done += n;
      this.push(b);
    },
  });
}

async function sha256OfStream(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
}

describe('node:crypto backend known answers', () => {
  it('AES-256-CTR F.5.5 and HMAC-SHA-256 RFC 4231 agree with the published vectors and the pure path', () => {
    expect(toHex(nodeBackend.aes256Ctr(fromHex(F55.key), fromHex(F55.iv), fromHex(F55.plaintext)))).toBe(F55.ciphertext);
    for (const v of HMAC_SHA256_RFC4231) expect(toHex(nodeBackend.hmacSha256(fromHex(v.key), fromHex(v.data)))).toBe(v.mac);
    const key = randomBytes(32), iv = randomBytes(16), data = randomBytes(100_003);
    expect(nodeBackend.aes256Ctr(key, iv, data)).toEqual(pureBackend.aes256Ctr(key, iv, data));
  });
});

describe('stripes with node:crypto', () => {
  it('round-trips 1 MiB for every k + p from 2 to 32 (p = 1); p missing works, p + 1 fails', () => {
    const msg = new Uint8Array(randomBytes(1 << 20));
    for (let n = 2; n <= 32; n++) {
      for (const p of [1]) {
        const layout = { k: n - p, p };
        const enc = encryptMessage(msg, layout, { backend: nodeBackend });
        const slots: (Uint8Array | undefined)[] = enc.slots.slice();
        const order = [...slots.keys()].sort(() => 0.5 - Math.random());
        for (const i of order.slice(0, p)) slots[i] = undefined;
        expect(decryptMessage(slots, enc.secrets, nodeBackend).plaintext).toEqual(msg);
        slots[order[p]!] = undefined;
        expect(() => decryptMessage(slots, enc.secrets, nodeBackend)).toThrow(expect.objectContaining({ code: 'too-many-missing' }));
      }
    }
  }, 240_000);
  it('pure and node:crypto produce identical stripe objects', () => {
    const msg = new Uint8Array(randomBytes(300_001));
    for (const layout of [{ k: 3, p: 1 }, { k: 7, p: 4 }]) {
      const a = encryptMessage(msg, layout, { backend: nodeBackend });
      const b = encryptMessage(msg, layout, { backend: pureBackend, secrets: a.secrets });
      expect(b.slots).toEqual(a.slots);
    }
  });
});

describe('streamed encryption in a worker thread', () => {
  const cases: [Layout, number][] = [[{ k: 1, p: 1 }, 0], [{ k: 3, p: 2 }, 1], [{ k: 5, p: 1 }, (1 << 20) + 7], [{ k: 16, p: 16 }, 65536 * 16 + 5], [{ k: 31, p: 1 }, 100_000]];
  for (const [layout, size] of cases) {
    it(`k=${layout.k} p=${layout.p} ${size} B: byte-identical to the pure path, decrypts with p missing`, async () => {
      const msg = new Uint8Array(randomBytes(size));
      const secrets = newMessageSecrets(layout, size);
      const sinks = Array.from({ length: layout.k + layout.p }, memorySink);
      const progress: Progress[] = [];
      await encryptMessageStream(Readable.from([Buffer.from(msg)]), layout, sinks.map((s) => s.sink), { length: size, secrets, stripeChunkBytes: 65536, onProgress: (p) => progress.push(p) });
      const streamed = sinks.map((s) => s.bytes());
      const reference = encryptMessage(msg, layout, { secrets, backend: pureBackend });
      expect(streamed).toEqual(reference.slots);
      if (size > 0) expect(progress.at(-1)).toEqual({ phase: 'encrypt', done: size, total: size });
      const missing = new Set([...Array(layout.p).keys()].map((i) => (i * 7 + 1) % (layout.k + layout.p)));
      const out = memorySink();
      const res = await decryptMessageStream((slot) => (missing.has(slot) ? undefined : Readable.from([Buffer.from(streamed[slot]!)])), secrets, out.sink, { stripeChunkBytes: 65536 });
      expect(out.bytes()).toEqual(msg);
      expect(res.problems.map((x) => x.slot).sort()).toEqual([...missing].sort());
    });
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
    await expect(decryptMessageStream(open([0, 1, 2]), enc.secrets, new PassThrough())).rejects.toMatchObject({ code: 'too-many-missing' });
    await expect(decryptMessageStream(open([0, 1], 2), enc.secrets, new PassThrough())).rejects.toMatchObject({ code: 'too-many-missing' });
    const out = memorySink();
    const res = await decryptMessageStream(open([0], 3), enc.secrets, out.sink);
    expect(out.bytes()).toEqual(msg);
    expect(res.problems).toEqual([{ slot: 0, reason: 'missing' }, { slot: 3, reason: 'crc-mismatch' }]);
  });
  it('refuses input shorter or longer than announced', async () => {
    const sinks = () => Array.from({ length: 3 }, () => new PassThrough().resume());
    await expect(encryptMessageStream(Readable.from([Buffer.alloc(10)]), { k: 2, p: 1 }, sinks(), { length: 11 })).rejects.toMatchObject({ code: 'bad-input' });
    await expect(encryptMessageStream(Readable.from([Buffer.alloc(12)]), { k: 2, p: 1 }, sinks(), { length: 11 })).rejects.toMatchObject({ code: 'bad-input' });
  });
  // 1 GiB through files, constant memory. One layout in the default suite (about a minute
  // of CPU on a shared 2-core box); QMAIL_GIB_LAYOUTS="4/2,8/1,16/16" sweeps more.
  const gib = (process.env.QMAIL_GIB_LAYOUTS ?? '4/2').split(',').map((s) => s.split('/').map(Number) as [number, number]);
  for (const [k, p] of gib) {
    it(`1 GiB streamed, k=${k} p=${p}: round trip with p stripes missing, bounded RSS`, async () => {
      const size = 1 << 30;
      const dir = mkdtempSync(join(tmpdir(), 'qmail-stripes-'));
      try {
        const n = k + p;
        const paths = Array.from({ length: n }, (_, i) => join(dir, `slot-${i}`));
        const rss0 = process.memoryUsage().rss;
        let peak = rss0;
        const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
        const secrets = await encryptMessageStream(patternStream(size, 42), { k, p }, paths.map((f) => createWriteStream(f)), { length: size, onProgress: sample });
        for (const f of paths) expect(statSync(f).size).toBe(Math.ceil(size / k) + 36);
        const out = createHash('sha256');
        const sink = new Writable({ write(c: Buffer, _e, cb) { out.update(c); cb(); } });
        const res = await decryptMessageStream((slot) => (slot < p ? undefined : createReadStream(paths[slot]!, { highWaterMark: 1 << 20 })), secrets, sink, { onProgress: sample });
        expect(res.problems).toHaveLength(p);
        expect(out.digest('hex')).toBe(await sha256OfStream(patternStream(size, 42)));
        // Measured growth is ~300 MiB (worker heap plus lazily collected transfer buffers);
        // the bound proves memory does not scale with the 1 GiB input.
        expect(peak - rss0).toBeLessThan(512 * 2 ** 20);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
