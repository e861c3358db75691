// Send and receive pipelines (stripe + parity + AES-256-CTR + HMAC-SHA-256 + CRC32, in a
// worker thread) on 1 GiB (512 MiB with --quick), against `openssl speed` measured in
// the same run; plus per-message capsule seal/open per level and ML-DSA-65 sign/verify.
import { execFileSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { decryptMessageStream, encryptMessageStream } from '../../electron/services/crypto/stream.js';
import { MemoryQkdLink, openCapsule, sealCapsule, type Level } from '../../shared/capsule/index.js';
import { generateIdentity, publicIdentity } from '../../shared/identity/index.js';
import { stripeInto, stripeIntoPortable, unstripeInto, unstripeIntoPortable } from '../../shared/stripe/interleave.js';
import { newMessageSecrets } from '../../shared/stripe/message.js';
import { median, type BenchResult, type Suite } from '../types.js';

/** MB/s (1e6 bytes) in the 16384-byte column of `openssl speed -evp aes-256-ctr` / `-hmac sha256`. */
function opensslSpeed(args: string[]): number {
  const out = execFileSync('openssl', ['speed', '-seconds', '2', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.split('\n').reverse().find((l) => /^(aes-256-ctr|hmac\(sha256\)|AES-256-CTR)/i.test(l.trim()));
  const cols = line?.trim().split(/\s+/) ?? [];
  const last = cols.at(-1) ?? '';
  const kb = parseFloat(last.replace(/k$/, ''));
  if (!Number.isFinite(kb)) throw new Error(`cannot parse openssl speed output: ${line}`);
  return (kb * 1000) / 1e6; // openssl reports 1000s of bytes per second
}

function zeroStream(length: number): Readable {
  let done = 0;
  const block = Buffer.alloc(1 << 20, 0x5a);
  return new Readable({ read() { if (done >= length) return void this.push(null); const n = Math.min(block.length, length - done); done += n; this.push(block.subarray(0, n)); } });
}

/** Discards what it is given: measures the pipeline, not the disk. */
const nullSink = () => new Writable({ write(_c, _e, cb) { cb(); } });

const suite: Suite = {
  name: 'crypto',
  async run(ctx) {
    const rows: BenchResult[] = [];
    const size = ctx.quick ? 512 * 2 ** 20 : 2 ** 30;
    const aes = opensslSpeed(['-evp', 'aes-256-ctr']);
    const hmacSpeed = opensslSpeed(['-hmac', 'sha256']);
    const ref = Math.min(aes, hmacSpeed);
    ctx.log(`openssl 16 KiB: aes-256-ctr ${aes.toFixed(0)} MB/s, hmac-sha256 ${hmacSpeed.toFixed(0)} MB/s`);
    // The bit interleave alone, median of 7 runs on 32 MiB: the default path (WebAssembly
    // SIMD for k = 4, 8, 16, 32) and the portable JS kernels it falls back to.
    const block = new Uint8Array(32 * 2 ** 20).map((_, i) => (i * 2654435761) >>> 24);
    for (const [k, portable] of [[4, false], [8, false], [16, false], [5, false], [4, true], [8, true]] as const) {
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
      for (const [dir, ms, cms] of [['split', median(fwd), median(fwdCpu)], ['join', median(inv), median(invCpu)]] as const) {
        const v = block.length / 1e6 / (ms / 1000);
        const notes = `${(block.length / 1e6 / (cms / 1000)).toFixed(0)} MB per CPU-s`;
        rows.push({ name: `interleave ${dir} k=${k}${portable ? ' (JS kernels)' : ''}`, value: v, unit: 'MB/s', reference_name: 'min(openssl aes-256-ctr, hmac-sha256) 16 KiB', reference_value: ref, ratio: v / ref, notes });
      }
    }
    // Fixed cost of a message: the stream path's two worker threads start once and are then
    // reused from an idle pool (this bench runs them through the dev-time TypeScript loader,
    // which makes a cold start far dearer than the built worker.js). Measured on an empty
    // message; the pipeline rows below run warm.
    {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await encryptMessageStream(zeroStream(0), { k: 4, p: 1 }, Array.from({ length: 5 }, nullSink), { length: 0 });
      const u = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      const cpu1 = process.cpuUsage();
      const t1 = performance.now();
      await encryptMessageStream(zeroStream(0), { k: 4, p: 1 }, Array.from({ length: 5 }, nullSink), { length: 0 });
      const warm = performance.now() - t1;
      const w = process.cpuUsage(cpu1);
      rows.push({ name: 'empty message, cold workers (dev loader)', value: wall, unit: 'ms', reference_name: 'same, warm workers', reference_value: warm, ratio: wall / warm, notes: `CPU ${((u.user + u.system) / 1000).toFixed(0)} ms cold, ${((w.user + w.system) / 1000).toFixed(1)} ms warm` });
    }
    for (const layout of [{ k: 4, p: 1 }, { k: 8, p: 2 }]) {
      const secrets = newMessageSecrets(layout, size);
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
      let cpu = process.cpuUsage();
      let t = performance.now();
      await encryptMessageStream(zeroStream(size), layout, Array.from({ length: layout.k + layout.p }, nullSink), { length: size, secrets, onProgress: sample });
      const send = size / 1e6 / ((performance.now() - t) / 1000);
      // Throughput per CPU-second (all threads): what the pipeline costs, independent of load.
      const perCpu = (u: NodeJS.CpuUsage) => size / 1e6 / ((u.user + u.system) / 1e6);
      const sendCpu = perCpu(process.cpuUsage(cpu));
      // The receive side must re-read stripe objects (verify pass, then decrypt pass), so
      // they go to a temp dir; slot 0 is left out to exercise parity recovery.
      const { mkdtempSync, createWriteStream, createReadStream, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const dir = mkdtempSync(join(tmpdir(), 'qmail-bench-'));
      try {
        const paths = Array.from({ length: layout.k + layout.p }, (_, i) => join(dir, `s${i}`));
        await encryptMessageStream(zeroStream(size), layout, paths.map((p) => createWriteStream(p)), { length: size, secrets, onProgress: sample });
        cpu = process.cpuUsage();
        t = performance.now();
        await decryptMessageStream((slot) => (slot === 0 ? undefined : createReadStream(paths[slot]!, { highWaterMark: 1 << 20 })), secrets, nullSink(), { onProgress: sample });
        const recv = size / 1e6 / ((performance.now() - t) / 1000);
        const recvCpu = perCpu(process.cpuUsage(cpu));
        const rssMiB = (peak - rss0) / 2 ** 20;
        const tag = `k=${layout.k} p=${layout.p} ${size / 2 ** 20} MiB`;
        rows.push({ name: `send pipeline ${tag}`, value: send, unit: 'MB/s', reference_name: 'min(openssl aes-256-ctr, hmac-sha256) 16 KiB', reference_value: ref, ratio: send / ref, notes: `${sendCpu.toFixed(0)} MB per CPU-s; RSS growth ${rssMiB.toFixed(0)} MiB` });
        rows.push({ name: `receive pipeline ${tag} (1 stripe missing)`, value: recv, unit: 'MB/s', reference_name: 'min(openssl aes-256-ctr, hmac-sha256) 16 KiB', reference_value: ref, ratio: recv / ref, notes: `${recvCpu.toFixed(0)} MB per CPU-s; RSS growth ${rssMiB.toFixed(0)} MiB (verify pass + decrypt pass)` });
      } finally {
        rmSync(dir, { recursive: true, force: true });
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
    rows.push({ name: 'ML-DSA-65 sign', value: sign, unit: 'ms', reference_name: 'ML-DSA-65 verify', reference_value: verify, ratio: sign / verify });
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
      rows.push({ name: `capsule seal L${level} (k=8 p=2)`, value: median(seals), unit: 'ms', reference_name: 'ML-DSA-65 sign', reference_value: sign, ratio: median(seals) / sign });
      rows.push({ name: `capsule open L${level} (k=8 p=2)`, value: median(opens), unit: 'ms', reference_name: 'ML-DSA-65 verify', reference_value: verify, ratio: median(opens) / verify });
    }
    return rows;
  },
};

export default suite;
