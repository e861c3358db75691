// The 1 GiB round trips (issue 4): a few minutes of CPU, so they run as their own suite
// after the unit and integration tests (`npm run test:gib`, vitest.gib.config.ts) rather
// than beside integration tests that have timeouts.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Layout } from '../../../shared/stripe/layout.js';
import { patternStream as seededStream, pick } from '../../../tests/support/streams.js';
import { patternCheck as blockCheck, patternStream as blockPattern } from './pattern.js';
import { decryptMessageStream, encryptMessageStream } from './stream.js';

describe('1 GiB through the stream path', () => {
  // 1 GiB through files, constant memory: one layout read back through streams and hashed,
  // then one layout for every k + p from 2 to 32 (XOR, two-row and wide Reed–Solomon
  // parity), stripe files read back alternately as streams and by name. The stripe files
  // go to /dev/shm where there is one (RAM, up to 2 GiB at a time), else the temp dir.
  // QMAIL_GIB_LAYOUTS="4/2,16/16" runs just those layouts in the sweep.
  it('1 GiB streamed, k=4 p=2, from a stream through stripe files read back as streams: round trip with p stripes missing, peak RSS growth < 256 MiB', async () => {
    const [k, p] = [4, 2];
    const size = 1 << 30;
    const dir = mkdtempSync(join(tmpdir(), 'qmail-stripes-'));
    try {
      const n = k + p;
      const paths = Array.from({ length: n }, (_, i) => join(dir, `slot-${i}`));
      // Workers started (a message's worth of set-up), so the figure is the pipeline's own.
      await encryptMessageStream(
        Readable.from([]),
        { k, p },
        paths.map(() => new PassThrough().resume()),
        { length: 0 },
      );
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sample = () => {
        peak = Math.max(peak, process.memoryUsage().rss);
      };
      const inHash = createHash('sha256');
      const secrets = await encryptMessageStream(
        seededStream(size, 42, inHash),
        { k, p },
        paths.map((f) => createWriteStream(f)),
        { length: size, onProgress: sample },
      );
      for (const f of paths) expect(statSync(f).size).toBe(Math.ceil(size / k) + 36);
      const out = createHash('sha256');
      const sink = new Writable({
        write(c: Buffer, _e, cb) {
          out.update(c);
          cb();
        },
      });
      const res = await decryptMessageStream(
        (slot) => (slot < p ? undefined : createReadStream(paths[slot]!, { highWaterMark: 1 << 20 })),
        secrets,
        sink,
        { onProgress: sample },
      );
      expect(res.problems).toHaveLength(p);
      expect(out.digest('hex')).toBe(inHash.digest('hex'));
      expect((peak - rss0) / 2 ** 20).toBeLessThan(256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  const sweep: Layout[] = process.env.QMAIL_GIB_LAYOUTS
    ? process.env.QMAIL_GIB_LAYOUTS.split(',').map((x) => {
        const [k, p] = x.split('/').map(Number);
        return { k: k!, p: p! };
      })
    : Array.from({ length: 31 }, (_, i) => {
        const n = i + 2;
        const p = n === 2 ? 1 : [1, 2, n >> 1][n % 3]!;
        return { k: n - p, p };
      });
  const ram = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  for (const layout of sweep) {
    it(`1 GiB streamed, k=${layout.k} p=${layout.p}: any p stripes missing still decrypts, p + 1 fails, peak RSS growth < 256 MiB`, async () => {
      const { k, p } = layout;
      const n = k + p;
      const size = 1 << 30;
      const dir = mkdtempSync(join(ram, 'qmail-gib-'));
      try {
        const paths = Array.from({ length: n }, (_, i) => join(dir, `slot-${i}`));
        await encryptMessageStream(
          Readable.from([]),
          layout,
          paths.map(() => new PassThrough().resume()),
          { length: 0 },
        );
        const rss0 = process.memoryUsage().rss;
        let peak = rss0;
        const sample = () => {
          peak = Math.max(peak, process.memoryUsage().rss);
        };
        const base = new Uint8Array(randomBytes(1 << 20));
        const secrets = await encryptMessageStream(
          blockPattern(base, size),
          layout,
          paths.map((f) => createWriteStream(f)),
          { length: size, onProgress: sample },
        );
        for (const f of paths) expect(statSync(f).size).toBe(Math.ceil(size / k) + 36);
        const gone = pick(n, p + 1, 977 * n + p);
        const missing = new Set(gone.slice(0, p));
        const check = blockCheck(base, size);
        const res = await decryptMessageStream(
          (slot) =>
            missing.has(slot) ? undefined : slot % 2 ? { path: paths[slot]! } : createReadStream(paths[slot]!, { highWaterMark: 1 << 20 }),
          secrets,
          check.sink,
          { onProgress: sample },
        );
        expect(check.result(), 'the message came back byte for byte').toBe(true);
        expect(res.problems.map((x) => x.slot).sort((a, b) => a - b)).toEqual([...missing].sort((a, b) => a - b));
        expect((peak - rss0) / 2 ** 20).toBeLessThan(256);
        // One more stripe gone: refused before anything is decrypted.
        missing.add(gone[p]!);
        await expect(
          decryptMessageStream((slot) => (missing.has(slot) ? undefined : { path: paths[slot]! }), secrets, new PassThrough().resume()),
        ).rejects.toMatchObject({ code: 'too-many-missing', message: expect.stringContaining(`need ${k} of ${n} stripes`) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
