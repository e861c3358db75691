// QMail end to end over 8 local qmail-server processes (the local-network launcher):
//  - a 100 KB message, send → readable at the recipient (mail.received), 6+2 stripes:
//    median and p99 latency vs. one raw 100 KB TCP round trip on loopback;
//  - sustained messages/s over 1,000 messages (100 with --quick) of 4 KB queued at once
//    until all are readable, vs. raw 4 KB TCP round trips per second;
//  - the servers' total RSS at the end of that load vs. the same servers idle.
import { createServer, connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, percentile, type Suite } from '../types.js';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { startNetwork, type LocalNetwork } from '../../tests/support/network.js';
import { TEST_KDF, tempDir } from '../../tests/support/tmp.js';

const KB = 1024;

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Loopback echo server and a client doing request/response round trips of `size` bytes. */
async function rawRoundTrips(size: number, n: number): Promise<number[]> {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sock: Socket = connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const data = randomBytes(size);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((res) => {
      let got = 0;
      const on = (d: Buffer) => {
        got += d.length;
        if (got >= size) {
          sock.off('data', on);
          res();
        }
      };
      sock.on('data', on);
      sock.write(data);
    });
    times.push(performance.now() - t0);
  }
  sock.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return times;
}

async function user(dir: string, net: LocalNetwork, name: string, storage: string[], beacon: string): Promise<{ app: AppServices; address: string }> {
  const app = createAppServices({ profileDir: join(dir, name), host: 'web', version: 'bench', kdf: TEST_KDF, directoryUrl: net.directoryUrl, autoStart: false, mail: { retryBaseMs: 200, maxAttempts: 6, pingWaitMs: 5000 } });
  await app.vault.create('bench passphrase');
  const id = await app.mail.createIdentity(name, { storage, beacon });
  return { app, address: id.address! };
}

const suite: Suite = {
  name: 'mail',
  async run(ctx) {
    const tmp = tempDir('qmail-bench-mail-');
    let net: LocalNetwork | undefined;
    const apps: AppServices[] = [];
    try {
      net = await startNetwork(join(tmp.path, 'net'), 8, { pingMaxWaitMs: 5000 });
      const ids = net.nodes.map((n) => n.nodeId);
      const alice = await user(tmp.path, net, 'alice', ids, ids[0]!);
      const bob = await user(tmp.path, net, 'bob', ids.slice(0, 4), ids[1]!);
      apps.push(alice.app, bob.app);
      alice.app.mail.start();
      bob.app.mail.start();
      const waiting = new Map<string, () => void>();
      bob.app.subscribe((event, payload) => {
        if (event !== 'mail.received') return;
        const subject = (payload as { subject: string }).subject;
        waiting.get(subject)?.();
        waiting.delete(subject);
      });
      const arrival = (subject: string) => new Promise<void>((r) => waiting.set(subject, r));
      const send = (subject: string, data: Uint8Array) =>
        alice.app.mail.queue({ to: [bob.address], cc: [], subject, body: 'bench', attachments: [{ name: 'a.bin', data }], level: 'L3', stripes: { k: 6, p: 2 } });

      // 1. Latency of one 100 KB message.
      const runs = ctx.quick ? 10 : 30;
      const big = new Uint8Array(randomBytes(100 * KB));
      const lat: number[] = [];
      for (let i = -2; i < runs; i++) {
        const subject = `lat-${i}`;
        const got = arrival(subject);
        const t0 = performance.now();
        send(subject, big);
        await got;
        if (i >= 0) lat.push(performance.now() - t0);
      }
      const raw100 = await rawRoundTrips(100 * KB, runs * 5);
      ctx.log(`mail: 100 KB latency median ${median(lat).toFixed(1)} ms, raw round trip ${median(raw100).toFixed(3)} ms`);

      // 2. Sustained throughput; 3. RSS under that load.
      const pids = [...net.nodes.map((n) => n.pid), net.launched.network.directory.pid];
      const total = () => net!.launched.network.nodes.reduce((a, n) => a + rssMb(n.pid), 0);
      const idle = total();
      const count = ctx.quick ? 100 : 1000;
      const small = new Uint8Array(randomBytes(4 * KB));
      const t0 = performance.now();
      const all: Promise<void>[] = [];
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, total())), 250);
      for (let i = 0; i < count; i++) {
        all.push(arrival(`tp-${i}`));
        send(`tp-${i}`, small);
      }
      await Promise.all(all);
      const secs = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      const loaded = Math.max(peak, total());
      const rate = count / secs;
      const raw4 = await rawRoundTrips(4 * KB, 2000);
      const rawRate = 1000 / median(raw4);
      ctx.log(`mail: ${count} messages in ${secs.toFixed(1)} s; servers ${pids.length - 1}`);

      return [
        { name: 'mail 100 KB send→readable, median (8 servers, 6+2)', value: median(lat), unit: 'ms', reference_name: 'raw 100 KB TCP round trip, loopback', reference_value: median(raw100), ratio: median(lat) / median(raw100), notes: `p99 ${percentile(lat, 99).toFixed(1)} ms over ${runs} runs` },
        { name: 'mail 100 KB send→readable, p99', value: percentile(lat, 99), unit: 'ms', reference_name: 'raw 100 KB TCP round trip p99', reference_value: percentile(raw100, 99), ratio: percentile(lat, 99) / percentile(raw100, 99) },
        { name: `mail sustained, ${count} × 4 KB queued at once`, value: rate, unit: 'msg/s', reference_name: 'raw 4 KB TCP round trips/s, loopback', reference_value: rawRate, ratio: rate / rawRate, notes: `${secs.toFixed(1)} s total` },
        { name: 'server RSS under load (8 nodes, total)', value: loaded, unit: 'MB', reference_name: 'same servers idle', reference_value: idle, ratio: loaded / idle },
      ];
    } finally {
      for (const a of apps) {
        await a.mail.stop().catch(() => undefined);
        a.close();
      }
      await net?.stop();
      tmp.remove();
    }
  },
};

export default suite;
