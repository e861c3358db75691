// A 1 GiB attachment through the app's own path over real qmail-server processes on
// loopback (nodes allowing objects of that size): the outbox reads it from the user's file,
// the streamed worker pipeline stripes it, the stripes go up page by page; the recipient's
// inbox downloads them into scratch files, decrypts streamed and writes the attachment to
// the sealed attachment store, read back streamed to a file. Throughout, this process's RSS
// growth and event-loop delay are measured.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../app/services.js';
import { startNetwork, type LocalNetwork } from '../../../tests/support/network.js';
import { patternStream } from '../../../tests/support/streams.js';
import { TEST_KDF, tempDir } from '../../../tests/support/tmp.js';

const GiB = 1 << 30;
/** QMAIL_GIB_MAIL_BYTES: a smaller size for a quick look (the assertions stay). */
const SIZE = Number(process.env.QMAIL_GIB_MAIL_BYTES ?? GiB);
const tmp = tempDir('qmail-gib-mail-');
let net: LocalNetwork | undefined;
const apps: AppServices[] = [];

afterAll(async () => {
  for (const a of apps) {
    await a.mail.stop();
    a.close();
  }
  await net?.stop();
  tmp.remove();
}, 60_000);

async function user(name: string, storage: string[], beacon: string): Promise<{ app: AppServices; address: string }> {
  const app = createAppServices({
    profileDir: join(tmp.path, name),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net!.directoryUrl,
    autoStart: false,
    mail: { retryBaseMs: 1000, maxAttempts: 2 },
  });
  apps.push(app);
  await app.vault.create('correct horse battery');
  const id = await app.mail.createIdentity(name, { storage, beacon });
  return { app, address: id.address! };
}

/**
 * The goal: event-loop delay p99 under 50 ms. The scheduler's own delay, which an idle
 * process measures meanwhile, is part of any figure on a shared machine, so the bound is
 * the goal or LOAD_FACTOR × that idle p99, whichever is larger (measured ratios: 2.2–3.7
 * before the bulk AES-GCM left the main thread, see docs/architecture-mail.md).
 */
const GOAL_MS = 50;
const LOAD_FACTOR = 4;
const REFERENCE =
  "const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable(); process.stdin.resume(); process.stdin.on('end', () => { h.disable(); process.stdout.write(String(h.percentile(99) / 1e6)); process.exit(0); });";

/** CPU time of this process's main thread alone (Linux; NaN elsewhere), in ms. */
function mainThreadCpuMs(): number {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 per second).
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

describe('1 GiB attachment through the app', () => {
  it('sends and receives 1 GiB at 8+2 with RSS growth < 256 MiB and event-loop delay p99 < 50 ms, or < 4 × the p99 an idle process sees on a loaded machine; the saved file has the same SHA-256', async () => {
    net = await startNetwork(join(tmp.path, 'net'), 10, { limits: { maxObjectBytes: 512 << 20, mailboxQuotaBytes: 4 * GiB } });
    const ids = net.nodes.map((n) => n.nodeId);
    const alice = await user('alice', ids, ids[0]!);
    const bob = await user('bob', ids.slice(0, 3), ids[0]!);
    const source = join(tmp.path, 'big.bin');
    const inHash = createHash('sha256');
    await pipeline(patternStream(SIZE, 7, inHash), createWriteStream(source));
    const want = inHash.digest('hex');

    // A small letter first: workers, connections and code paths warmed, so the figures are the transfer's own.
    alice.app.mail.start();
    const warm = alice.app.mail.queue({
      to: [bob.address],
      cc: [],
      subject: 'warm-up',
      body: 'x',
      attachments: [{ name: 'w', data: new Uint8Array(3 << 20) }],
      level: 'L3',
      stripes: { k: 8, p: 2 },
    });
    expect((await alice.app.mail.waitFor(warm.id)).state).toBe('sent');
    await bob.app.mail.refresh();
    global.gc?.();

    // The scheduling floor: an idle process measuring its own event-loop delay meanwhile.
    const reference = spawn(process.execPath, ['-e', REFERENCE], { stdio: ['pipe', 'pipe', 'inherit'] });
    const referenceP99 = new Promise<number>((resolve) => reference.stdout.on('data', (d: Buffer) => resolve(Number(d.toString()))));
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    // rss() alone: memoryUsage() also walks the heap spaces, work the figure would then include.
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
    const cpu0 = mainThreadCpuMs();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const t0 = Date.now();
    const item = alice.app.mail.queue({
      to: [bob.address],
      cc: [],
      subject: 'one gibibyte',
      body: 'see attached',
      attachments: [{ name: 'big.bin', path: source }],
      level: 'L3',
      stripes: { k: 8, p: 2 },
    });
    const sent = await alice.app.mail.waitFor(item.id);
    const t1 = Date.now();
    expect(sent.state, sent.error).toBe('sent');
    let got: string | undefined;
    for (let i = 0; i < 40 && !got; i++) {
      await bob.app.mail.refresh();
      got = bob.app.messages.list('inbox', 0, 10).items.find((m) => m.subject === 'one gibibyte')?.id;
      if (!got) await new Promise((r) => setTimeout(r, 500));
    }
    const t2 = Date.now();
    const cpu = mainThreadCpuMs() - cpu0;
    delay.disable();
    clearInterval(sampler);
    reference.stdin.end();
    const floor = await referenceP99;
    expect(got).toBeDefined();
    const growth = (peak - rss0) / 1048576;
    const p99 = delay.percentile(99) / 1e6;
    console.log(
      `1 GiB mail: send ${((t1 - t0) / 1000).toFixed(1)} s, receive ${((t2 - t1) / 1000).toFixed(1)} s, RSS growth ${growth.toFixed(0)} MiB, event-loop delay p99 ${p99.toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; an idle process meanwhile: p99 ${floor.toFixed(1)} ms; main thread CPU ${(cpu / 1000).toFixed(1)} s`,
    );
    expect(growth).toBeLessThan(256);
    // What a UI would feel is this process's delay, part of which the machine imposes on any
    // process (ten nodes and the workers share the cores: an idle process waits too).
    expect(p99).toBeLessThan(Math.max(GOAL_MS, LOAD_FACTOR * floor));

    const view = bob.app.mail.view(got!)!;
    expect(view.attachments).toEqual([{ index: 0, name: 'big.bin', size: SIZE }]);
    const saved = join(tmp.path, 'saved.bin');
    await bob.app.mail.saveAttachment(got!, 0, saved);
    expect(await sha256File(saved)).toBe(want);
  }, 1_200_000);
});
