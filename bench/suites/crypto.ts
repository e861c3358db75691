// Send and receive pipelines (stripe + parity + AES-256-CTR + HMAC-SHA-256 + CRC32, in
// two worker threads) on 1 GiB (512 MiB with --quick), against `openssl speed` measured in
// the same run; plus per-message capsule seal/open per level and ML-DSA-65 sign/verify.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { decryptMessageStream, encryptMessageStream } from '../../electron/services/crypto/stream.js';
import { MemoryQkdLink, openCapsule, sealCapsule, type Level } from '../../shared/capsule/index.js';
import { generateIdentity, publicIdentity } from '../../shared/identity/index.js';
import { stripeInto, stripeIntoPortable, unstripeInto, unstripeIntoPortable } from '../../shared/stripe/interleave.js';
import { newMessageSecrets } from '../../shared/stripe/message.js';
import { median, type BenchResult, type Suite } from '../types.js';

/** MB/s (1e6 bytes) in the 16384-byte column of `openssl speed -evp aes-256-ctr` / `-hmac sha256`. */
function opensslSpeed(args: string[], seconds = 2): number {
  const out = execFileSync('openssl', ['speed', '-seconds', String(seconds), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = out
    .split('\n')
    .reverse()
    .find((l) => /^(aes-256-ctr|hmac\(sha256\)|AES-256-CTR)/i.test(l.trim()));
  const cols = line?.trim().split(/\s+/) ?? [];
  const last = cols.at(-1) ?? '';
  const kb = parseFloat(last.replace(/k$/, ''));
  if (!Number.isFinite(kb)) throw new Error(`cannot parse openssl speed output: ${line}`);
  return (kb * 1000) / 1e6; // openssl reports 1000s of bytes per second
}

function zeroStream(length: number): Readable {
  let done = 0;
  const block = Buffer.alloc(1 << 20, 0x5a);
  return new Readable({
    read() {
      if (done >= length) return void this.push(null);
      const n = Math.min(block.length, length - done);
      done += n;
      this.push(block.subarray(0, n));
    },
  });
}

const suite: Suite = {
  name: 'crypto',
  async run(ctx) {
    const rows: BenchResult[] = [];
    const size = ctx.quick ? 512 * 2 ** 20 : 2 ** 30;
    const aes = opensslSpeed(['-evp', 'aes-256-ctr']);
    const hmacSpeed = opensslSpeed(['-hmac', 'sha256']);
    const ref = Math.min(aes, hmacSpeed);
    ctx.log(`openssl 16 KiB: aes-256-ctr ${aes.toFixed(0)} MB/s, hmac-sha256 ${hmacSpeed.toFixed(0)} MB/s`);
    // Fixed cost of a message: the stream path's two worker threads start once and are then
    // reused from an idle pool (this bench runs them through the dev-time TypeScript loader,
    // which makes a cold start far dearer than the built worker.js). Measured on an empty
    // message; the pipeline rows below run warm.
    {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await encryptMessageStream(
        zeroStream(0),
        { k: 4, p: 1 },
        Array.from({ length: 5 }, () => createWriteStream('/dev/null')),
        { length: 0 },
      );
      const u = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      const cpu1 = process.cpuUsage();
      const t1 = performance.now();
      await encryptMessageStream(
        zeroStream(0),
        { k: 4, p: 1 },
        Array.from({ length: 5 }, () => createWriteStream('/dev/null')),
        { length: 0 },
      );
      const warm = performance.now() - t1;
      const w = process.cpuUsage(cpu1);
      rows.push({
        name: 'empty message, cold workers (dev loader)',
        value: wall,
        unit: 'ms',
        reference_name: 'same, warm workers',
        reference_value: warm,
        ratio: wall / warm,
        notes: `CPU ${((u.user + u.system) / 1000).toFixed(0)} ms cold, ${((w.user + w.system) / 1000).toFixed(1)} ms warm`,
      });
    }
    // The pipelines first, while the process is small: one warm-up message, then the median of RUNS messages (the cold first
    // one is in the notes). Sinks are files on /dev/null: the stream path hands files views
    // of its buffers (no copy), as it does for the stripe files of a real outbox, and the
    // disk does not enter the figure. Peak RSS is sampled at every progress event.
    const RUNS = 3;
    const devNull = () => createWriteStream('/dev/null');
    const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    // This shared machine's speed drifts within a run, so each layout's pipelines are compared
    // with OpenSSL measured just before and just after them (the mean of the two).
    const referenceNow = () => Math.min(opensslSpeed(['-evp', 'aes-256-ctr'], 1), opensslSpeed(['-hmac', 'sha256'], 1));
    for (const layout of [
      { k: 4, p: 1 },
      { k: 8, p: 2 },
    ]) {
      const refBefore = referenceNow();
      const secrets = newMessageSecrets(layout, size);
      const n = layout.k + layout.p;
      const rss0 = process.memoryUsage.rss();
      let peak = rss0;
      // Reading RSS costs a system call: at most every 20 ms.
      let lastSample = 0;
      const sample = () => {
        const now = performance.now();
        if (now - lastSample < 20) return;
        lastSample = now;
        peak = Math.max(peak, process.memoryUsage.rss());
      };
      /** MB/s and MB per CPU-second (all threads) of each of 1 + RUNS runs. */
      const measure = async (run: () => Promise<unknown>) => {
        const speeds: number[] = [];
        const perCpu: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const c = process.cpuUsage();
          const t = performance.now();
          await run();
          speeds.push(size / 1e6 / ((performance.now() - t) / 1000));
          perCpu.push(size / 1e6 / (cpuMs(process.cpuUsage(c)) / 1000));
        }
        return { cold: speeds[0]!, speed: median(speeds.slice(1)), all: speeds.slice(1), perCpu: median(perCpu.slice(1)) };
      };
      const send = await measure(() =>
        encryptMessageStream(zeroStream(size), layout, Array.from({ length: n }, devNull), { length: size, secrets, onProgress: sample }),
      );
      const sendPeak = peak;
      // The receive side re-reads stripe objects (verify pass, then decrypt pass), so they go
      // to a temp dir first; slot 0 is left out to exercise parity recovery.
      const dir = mkdtempSync(join(tmpdir(), 'qmail-bench-'));
      try {
        const paths = Array.from({ length: n }, (_, i) => join(dir, `s${i}`));
        await encryptMessageStream(
          zeroStream(size),
          layout,
          paths.map((f) => createWriteStream(f)),
          { length: size, secrets },
        );
        // Stripe files named (read in place), as a client decrypting its downloaded stripes does.
        const recv = await measure(() =>
          decryptMessageStream((slot) => (slot === 0 ? undefined : { path: paths[slot]! }), secrets, devNull(), { onProgress: sample }),
        );
        const refAfter = referenceNow();
        const pipeRef = (refBefore + refAfter) / 2;
        const refNote = `OpenSSL ${refBefore.toFixed(0)} before, ${refAfter.toFixed(0)} after`;
        const tag = `k=${layout.k} p=${layout.p} ${size / 2 ** 20} MiB`;
        const mib = (b: number) => (b / 2 ** 20).toFixed(0);
        const runs = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
        rows.push({
          name: `send pipeline ${tag}`,
          value: send.speed,
          unit: 'MB/s',
          reference_name: 'min(openssl aes-256-ctr, hmac-sha256) 16 KiB',
          reference_value: pipeRef,
          ratio: send.speed / pipeRef,
          notes: `median of ${runs(send.all)}; cold first run ${send.cold.toFixed(0)}; ${send.perCpu.toFixed(0)} MB per CPU-s; peak RSS ${mib(sendPeak)} MiB (+${mib(sendPeak - rss0)}); ${refNote}`,
        });
        rows.push({
          name: `receive pipeline ${tag} (1 stripe missing)`,
          value: recv.speed,
          unit: 'MB/s',
          reference_name: 'min(openssl aes-256-ctr, hmac-sha256) 16 KiB',
          reference_value: pipeRef,
          ratio: recv.speed / pipeRef,
          notes: `median of ${runs(recv.all)}; cold first run ${recv.cold.toFixed(0)}; ${recv.perCpu.toFixed(0)} MB per CPU-s; peak RSS ${mib(peak)} MiB (+${mib(peak - rss0)}); verify pass + decrypt pass from files; ${refNote}`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    {
      // The bit interleave alone, median of 7 runs on 32 MiB: the default path (WebAssembly
      // SIMD for k = 4, 8, 16, 32) and the portable JS kernels it falls back to.
      const block = new Uint8Array(32 * 2 ** 20).map((_, i) => (i * 2654435761) >>> 24);
      for (const [k, portable] of [
        [4, false],
        [8, false],
        [16, false],
        [5, false],
        [4, true],
        [8, true],
      ] as const) {
        const split = portable ? stripeIntoPortable : stripeInto;
        const join = portable ? unstripeIntoPortable : unstripeInto;
        const S = Math.ceil(block.length / k);
        const striped = new Uint8Array(k * S);
        const back = new Uint8Array(k * S + 1);
        const fwd: number[] = [];
        const inv: number[] = [];
        const fwdCpu: number[] = [];
        const invCpu: number[] = [];
        const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
        for (let i = 0; i < 7; i++) {
          let t = performance.now();
          let c = process.cpuUsage();
          split(block, 0, S, k, striped, S, 0);
          fwdCpu.push(cpuMs(process.cpuUsage(c)));
          fwd.push(performance.now() - t);
          t = performance.now();
          c = process.cpuUsage();
          join(striped, 0, S, S, k, back, 0);
          invCpu.push(cpuMs(process.cpuUsage(c)));
          inv.push(performance.now() - t);
        }
        for (const [dir, ms, cms] of [
          ['split', median(fwd), median(fwdCpu)],
          ['join', median(inv), median(invCpu)],
        ] as const) {
          const v = block.length / 1e6 / (ms / 1000);
          const notes = `${(block.length / 1e6 / (cms / 1000)).toFixed(0)} MB per CPU-s`;
          rows.push({
            name: `interleave ${dir} k=${k}${portable ? ' (JS kernels)' : ''}`,
            value: v,
            unit: 'MB/s',
            reference_name: 'min(openssl aes-256-ctr, hmac-sha256) 16 KiB',
            reference_value: ref,
            ratio: v / ref,
            notes,
          });
        }
      }
    }
    // Per message: capsule seal/open per level, reference = one ML-DSA-65 sign (+verify).
    const alice = generateIdentity();
    const bob = generateIdentity();
    const msg = new Uint8Array(100);
    const signs: number[] = [];
    const verifies: number[] = [];
    for (let i = 0; i < 15; i++) {
      let t = performance.now();
      const sig = ml_dsa65.sign(msg, alice.signSecretKey);
      signs.push(performance.now() - t);
      t = performance.now();
      ml_dsa65.verify(sig, msg, alice.signPublicKey);
      verifies.push(performance.now() - t);
    }
    const sign = median(signs);
    const verify = median(verifies);
    rows.push({
      name: 'ML-DSA-65 sign',
      value: sign,
      unit: 'ms',
      reference_name: 'ML-DSA-65 verify',
      reference_value: verify,
      ratio: sign / verify,
    });
    for (const level of [1, 2, 3, 4] as Level[]) {
      const seals: number[] = [];
      const opens: number[] = [];
      for (let i = 0; i < 11; i++) {
        const link = new MemoryQkdLink();
        const secrets = newMessageSecrets({ k: 8, p: 2 }, 1 << 20);
        let t = performance.now();
        const capsule = await sealCapsule(secrets, { level, sender: alice, recipient: publicIdentity(bob), qkd: link.sender });
        seals.push(performance.now() - t);
        t = performance.now();
        await openCapsule(capsule, { recipient: bob, sender: publicIdentity(alice), qkd: link.receiver });
        opens.push(performance.now() - t);
      }
      rows.push({
        name: `capsule seal L${level} (k=8 p=2)`,
        value: median(seals),
        unit: 'ms',
        reference_name: 'ML-DSA-65 sign',
        reference_value: sign,
        ratio: median(seals) / sign,
      });
      rows.push({
        name: `capsule open L${level} (k=8 p=2)`,
        value: median(opens),
        unit: 'ms',
        reference_name: 'ML-DSA-65 verify',
        reference_value: verify,
        ratio: median(opens) / verify,
      });
    }
    return rows;
  },
};

export default suite;
