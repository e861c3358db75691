// qmail stripes selftest: runs the streamed stripe pipeline (the two crypto worker threads)
// on this machine: generated data → k + p stripe files in a temp dir → the message back
// with p stripes missing, compared byte for byte. Prints JSON with the throughput both
// ways (the receive figure includes the comparison).
// No keys leave the process and the stripe files are deleted afterwards.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CryptoError } from '../../shared/crypto/errors.js';
import { checkLayout, type Layout } from '../../shared/stripe/layout.js';
// The stream path is plain Node (worker threads and node:crypto, no Electron); the rule's
// bare 'electron/*' pattern is meant for the electron package and also matches our folder.
import { decryptMessageStream, encryptMessageStream } from '../../electron/services/crypto/stream.js';
import { patternCheck, patternStream } from '../../electron/services/crypto/pattern.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30 };

export function parseSize(v: string): number {
  const m = /^([0-9]{1,12})\s*([a-z]*)$/i.exec(v.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgumentError('size is a number of bytes, optionally with KiB, MiB or GiB');
  const n = Number(m[1]) * unit;
  if (n > 64 * 2 ** 30) throw new InvalidArgumentError('size is at most 64 GiB');
  return n;
}

export function parseLayout(v: string): Layout {
  const m = /^([0-9]{1,2})\+([0-9]{1,2})$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('layout is k+p, e.g. 4+1');
  try {
    return checkLayout({ k: Number(m[1]), p: Number(m[2]) });
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

export interface SelftestResult {
  layout: string;
  bytes: number;
  missing: number[];
  sendMBps: number;
  receiveMBps: number;
  ok: boolean;
}

export async function selftest(size: number, layout: Layout, dir = tmpdir()): Promise<SelftestResult> {
  const work = mkdtempSync(join(dir, 'qmail-selftest-'));
  try {
    const n = layout.k + layout.p;
    const paths = Array.from({ length: n }, (_, i) => join(work, `slot-${i}`));
    const base = randomBytes(1 << 20);
    let t = performance.now();
    const secrets = await encryptMessageStream(
      patternStream(base, size),
      layout,
      paths.map((f) => createWriteStream(f)),
      { length: size },
    );
    const send = performance.now() - t;
    // The first p slots are "lost": they are rebuilt from parity.
    const missing = [...Array(layout.p).keys()];
    const check = patternCheck(base, size);
    t = performance.now();
    const res = await decryptMessageStream((slot) => (missing.includes(slot) ? undefined : { path: paths[slot]! }), secrets, check.sink);
    const receive = performance.now() - t;
    const mbps = (ms: number) => Math.round((size / 1e6 / (ms / 1000)) * 10) / 10;
    const ok = check.result() && res.problems.length === missing.length;
    return { layout: `${layout.k}+${layout.p}`, bytes: size, missing, sendMBps: mbps(send), receiveMBps: mbps(receive), ok };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  const stripes = program.command('stripes').description('the streamed stripe pipeline (two worker threads, node:crypto)');
  stripes
    .command('selftest')
    .description('encrypt generated data into stripe files and back with p stripes missing; print throughput as JSON')
    .option('--size <bytes>', 'message size (B, KiB, MiB, GiB)', parseSize, 64 * 2 ** 20)
    .option('--layout <k+p>', 'data and parity stripes', parseLayout, { k: 4, p: 1 })
    .option('--dir <dir>', 'where the temporary stripe files go', tmpdir())
    .action(async (o: { size: number; layout: Layout; dir: string }) => {
      try {
        const r = await selftest(o.size, o.layout, o.dir);
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        if (!r.ok) {
          process.stderr.write('qmail stripes: the message did not come back intact\n');
          process.exitCode = 1;
        }
      } catch (e) {
        const line = e instanceof CryptoError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
        process.stderr.write(`qmail stripes: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
        process.exitCode = 1;
      }
    });
}
