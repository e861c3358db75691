// QMail end to end over 8 local qmail-server processes on loopback (real nodes, durable storage),
// each row against references measured in the same run:
//  - mail 100 KB: one 100 KB message, queue → readable at the recipient (mail.received), 6+2
//    stripes at L3; median and p99 against (a) the same bytes through the raw transport to the
//    same servers (the 8 stripe objects and the capsule copies uploaded in parallel, then the
//    capsule and the stripes downloaded in parallel: transport.ts + the Group 6 codecs, no
//    crypto), and (b) the capsule floor (seal with its ML-DSA-65 signature + open with its
//    verification, same layout); the notes say how far above both together the send is;
//  - mail sustained: 4 KB messages, 1 recipient, 4+1, all queued at once until all are readable,
//    against ML-DSA-65 signatures per second on this thread (one per message is the floor);
//  - the servers' RSS under that load against the same servers idle.
// Tell budgets (60 per sender per minute by default, against junk) are raised on these nodes:
// the rows measure the client and the nodes' work, not the anti-spam policy.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { median, percentile, type Suite } from '../types.js';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { QMailServerClient } from '../../electron/services/net/group6.js';
import { CAPSULE_FILE_TYPE, STRIPE_FILE_TYPE, capsuleCopies } from '../../electron/services/mail/objects.js';
import { openCapsule, sealCapsule } from '../../electron/services/crypto/capsule.js';
import { generateIdentity, publicIdentity } from '../../shared/identity/index.js';
import { encryptMessage, newMessageSecrets } from '../../shared/stripe/index.js';
import { TEST_KDF, tempDir } from '../../tests/support/tmp.js';

const KB = 1024;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function user(
  dir: string,
  net: LocalNetwork,
  name: string,
  storage: string[],
  beacon: string,
): Promise<{ app: AppServices; address: string }> {
  const app = createAppServices({
    profileDir: join(dir, name),
    host: 'web',
    version: 'bench',
    kdf: TEST_KDF,
    directoryUrl: net.network.directory.url,
    autoStart: false,
    mail: { retryBaseMs: 200, maxAttempts: 6, pingWaitMs: 5000 },
  });
  await app.vault.create('bench passphrase');
  const id = await app.mail.createIdentity(name, { storage, beacon });
  return { app, address: id.address! };
}

/** The raw transport reference: what a 6+2 send stores and its recipient fetches, no crypto, no Tell. */
async function rawTransfer(app: AppServices, size: number, runs: number): Promise<number[]> {
  const me = app.mail.account.me();
  const layout = { k: 6, p: 2 };
  const n = layout.k + layout.p;
  const slots = encryptMessage(new Uint8Array(size), layout).slots;
  const capsule = new Uint8Array(randomBytes(4900));
  const pool = new ConnectionPool(3);
  const servers = me.servers.slice(0, n).map((h) => ({
    client: new QMailServerClient(pool, { host: h.host, port: h.port, raidaId: h.raidaId }),
    caller: { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(h.an, 'hex')) },
  }));
  const nobody = { mailbox: { coinGroup: 6, denomination: 0, serial: 0 } };
  const times: number[] = [];
  try {
    for (let i = -2; i < runs; i++) {
      const guid = new Uint8Array(randomBytes(16));
      const cg = new Uint8Array(randomBytes(16));
      const t0 = performance.now();
      await Promise.all([
        ...servers.map((s, slot) => s.client.upload(s.caller, guid, STRIPE_FILE_TYPE, slots[slot]!)),
        ...servers.slice(0, capsuleCopies(n, layout.p)).map((s) => s.client.upload(s.caller, cg, CAPSULE_FILE_TYPE, capsule)),
      ]);
      await servers[0]!.client.download(nobody, cg, CAPSULE_FILE_TYPE);
      await Promise.all(servers.map((s) => s.client.download(nobody, guid, STRIPE_FILE_TYPE)));
      if (i >= 0) times.push(performance.now() - t0);
    }
  } finally {
    pool.closeAll();
  }
  return times;
}

/** The capsule floor: seal (X-Wing, AES-GCM, ML-DSA-65 sign) + open (verify, decapsulate) of a fresh capsule, as the app does them. */
async function capsuleFloor(runs: number): Promise<number[]> {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const secrets = newMessageSecrets({ k: 6, p: 2 }, 100 * KB);
    const t0 = performance.now();
    const c = await sealCapsule(secrets, { level: 3, sender: alice, recipient: publicIdentity(bob) });
    await openCapsule(c, { recipient: bob, sender: publicIdentity(alice) });
    times.push(performance.now() - t0);
  }
  return times;
}

/** ML-DSA-65 signatures per second on this thread (median of single signs). */
function signRate(runs: number): number {
  const { secretKey } = ml_dsa65.keygen(new Uint8Array(randomBytes(32)));
  const msg = new Uint8Array(1400);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    ml_dsa65.sign(msg, secretKey);
    t.push(performance.now() - t0);
  }
  return 1000 / median(t);
}

const suite: Suite = {
  name: 'mail',
  async run(ctx) {
    const tmp = tempDir('qmail-bench-mail-');
    let net: LocalNetwork | undefined;
    const apps: AppServices[] = [];
    try {
      const budget = 1_000_000;
      net = await startLocalNetwork({
        dir: join(tmp.path, 'net'),
        nodes: 8,
        nodeConfig: {
          limits: {
            pingMaxWaitMs: 5000,
            tellsPerSenderPerMinute: budget,
            tellsPerAddressPerMinute: budget,
            maxPendingTellsPerSender: 10_000,
          },
          log: { level: 'warn' },
        },
      });
      const ids = net.network.nodes.map((n) => n.nodeId);
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
      const send = (subject: string, data: Uint8Array, stripes: { k: number; p: number }) =>
        alice.app.mail.queue({
          to: [bob.address],
          cc: [],
          subject,
          body: 'bench',
          attachments: [{ name: 'a.bin', data }],
          level: 'L3',
          stripes,
        });

      // 1. One 100 KB message at a time (two warm-ups).
      const runs = ctx.quick ? 12 : 40;
      const big = new Uint8Array(randomBytes(100 * KB));
      const lat: number[] = [];
      for (let i = -2; i < runs; i++) {
        const subject = `lat-${i}`;
        const got = arrival(subject);
        const t0 = performance.now();
        send(subject, big, { k: 6, p: 2 });
        await got;
        if (i >= 0) lat.push(performance.now() - t0);
      }
      const raw = await rawTransfer(alice.app, 100 * KB, runs);
      const floor = await capsuleFloor(runs);
      const [m, p99, rawM, floorM] = [median(lat), percentile(lat, 99), median(raw), median(floor)];
      const above = `${(m - rawM - floorM).toFixed(1)} ms above raw transfer + capsule floor (${rawM.toFixed(1)} + ${floorM.toFixed(1)} ms)`;
      ctx.log(`mail 100 KB: median ${m.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ${above}`);

      // 2. Sustained 4 KB messages; 3. the servers' RSS under that load.
      const total = () => net!.network.nodes.reduce((a, n) => a + rssMb(n.pid), 0);
      const idle = total();
      const count = ctx.quick ? 100 : 300;
      const small = new Uint8Array(randomBytes(4 * KB));
      const signs = signRate(ctx.quick ? 20 : 40);
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, total())), 250);
      const nodesCpu = () => net!.network.nodes.reduce((a, n) => a + cpuSeconds(n.pid), 0) + cpuSeconds(net!.network.directory.pid);
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const nodes0 = nodesCpu();
      const t0 = performance.now();
      const all: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        all.push(arrival(`tp-${i}`));
        send(`tp-${i}`, small, { k: 4, p: 1 });
      }
      await Promise.all(all);
      const secs = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      const rate = count / secs;
      const c = process.cpuUsage(cpu0);
      // How busy the main thread (both apps' engines) was: near 100 % it is the bottleneck, not the servers.
      const elu = performance.eventLoopUtilization(elu0).utilization;
      // Where the time goes: CPU per message in this process (sender and recipient apps) and in the nodes.
      const cpuNote =
        `CPU per message: apps ${((c.user + c.system) / 1000 / count).toFixed(1)} ms (main thread busy ${(elu * 100).toFixed(0)} % of the run), ` +
        `nodes + directory ${(((nodesCpu() - nodes0) * 1000) / count).toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
      const loaded = Math.max(peak, total());
      ctx.log(
        `mail sustained: ${count} messages in ${secs.toFixed(1)} s (${rate.toFixed(1)} msg/s); ${cpuNote}; ML-DSA-65 ${signs.toFixed(0)} signs/s`,
      );

      return [
        {
          name: 'mail 100 KB send→readable, median (8 servers, 6+2, L3)',
          value: m,
          unit: 'ms',
          reference_name: 'same bytes, raw transport, same servers (upload + download)',
          reference_value: rawM,
          ratio: m / rawM,
          notes: `p99 ${p99.toFixed(1)} ms over ${runs} runs; ${above}`,
        },
        {
          name: 'mail 100 KB send→readable, p99',
          value: p99,
          unit: 'ms',
          reference_name: 'raw transport p99',
          reference_value: percentile(raw, 99),
          ratio: p99 / percentile(raw, 99),
        },
        {
          name: 'mail 100 KB send→readable vs. capsule floor',
          value: m,
          unit: 'ms',
          reference_name: 'capsule seal + open (ML-DSA-65 sign + verify, X-Wing), 6+2',
          reference_value: floorM,
          ratio: m / floorM,
          notes: above,
        },
        {
          name: `mail sustained, ${count} × 4 KB, 1 recipient, 4+1`,
          value: rate,
          unit: 'msg/s',
          reference_name: 'ML-DSA-65 signs/s, same thread',
          reference_value: signs,
          ratio: rate / signs,
          notes: `${secs.toFixed(1)} s total; ${cpuNote}`,
        },
        {
          name: 'server RSS under mail load (8 nodes, total)',
          value: loaded,
          unit: 'MB',
          reference_name: 'same servers idle',
          reference_value: idle,
          ratio: loaded / idle,
        },
      ];
    } finally {
      for (const a of apps) {
        await a.mail.stop().catch(() => undefined);
        a.close();
      }
      await net?.close();
      tmp.remove();
    }
  },
};

export default suite;
