// What QKD adds to one message: send (queue → sent) plus receive (refresh → stored) at L1
// and at L2, against L3 measured in the same run on the same loopback network (real
// qmail-server processes, a mutual-TLS qmail-kme pair), same body, same 4+1 layout. The
// levels take turns each round so drift hits all alike. Keys come through the ETSI 014
// client with no read-ahead (every message asks KME A for enc_keys and KME B for
// dec_keys), the worst case; a last row shows L2 with the sealed cache's read-ahead.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { startKmePair } from '../../server/kme/index.js';
import { startNetwork } from '../../tests/support/network.js';
import { median, type BenchResult, type Suite } from '../types.js';

type Level = 'L1' | 'L2' | 'L3';
const KDF = { algorithm: 'argon2id', memoryKiB: 1024, iterations: 1, parallelism: 1 } as const;

const suite: Suite = {
  name: 'qkd-mail',
  async run(ctx) {
    const rounds = ctx.quick ? 3 : 9;
    const dir = mkdtempSync(join(tmpdir(), 'qmail-bench-qkd-mail-'));
    const [net, kme] = await Promise.all([
      startNetwork(join(dir, 'net'), 5, { pingMaxWaitMs: 1000 }),
      startKmePair({ dir: join(dir, 'kme'), strictTls: true }),
    ]);
    const apps: AppServices[] = [];
    const problems: string[] = [];
    try {
      const ids = net.nodes.map((n) => n.nodeId);
      const open = async (name: string, side: 'A' | 'B', prefetchKeys: number) => {
        const app = createAppServices({
          profileDir: join(dir, name),
          host: 'web',
          version: 'bench',
          kdf: KDF,
          directoryUrl: net.directoryUrl,
          autoStart: false,
          mail: { qkd: { prefetchKeys } },
          log: (msg, f) => problems.push(`${name}: ${msg} ${JSON.stringify(f)}`),
        });
        apps.push(app);
        await app.vault.create('correct horse battery');
        const id = await app.mail.createIdentity(name, { storage: ids, beacon: ids[0]! });
        app.mail.qkd.import(kme.configPath, side);
        return { app, address: id.address! };
      };
      const alice = await open('alice', 'A', 0);
      const bob = await open('bob', 'B', 0);
      alice.app.mail.start();
      const body = randomBytes(3 * 1024).toString('base64'); // 4 KiB of text
      let seq = 0;
      const once = async (level: Level): Promise<number> => {
        const subject = `bench ${level} ${++seq}`;
        const t0 = performance.now();
        const item = await alice.app.mail.send({
          to: [bob.address],
          cc: [],
          subject,
          body,
          attachments: [],
          level,
          stripes: { k: 4, p: 1 },
        });
        const done = await alice.app.mail.waitFor(item.id);
        if (done.state !== 'sent' || done.fallback) throw new Error(`${level} send failed: ${done.error ?? 'fell back'}`);
        for (const deadline = performance.now() + 20_000; ;) {
          if (performance.now() > deadline) throw new Error(`${subject} did not arrive in 20 s: ${problems.slice(-3).join(' | ')}`);
          await bob.app.mail.refresh();
          const got = bob.app.messages.list('inbox', 0, 500).items.find((m) => m.subject === subject);
          if (got) {
            if (got.level !== level) throw new Error(`${subject} arrived at ${got.level}`);
            return performance.now() - t0;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      for (const l of ['L3', 'L1', 'L2'] as const) await once(l); // warm TLS sessions, hires, code paths
      const times: Record<Level, number[]> = { L1: [], L2: [], L3: [] };
      for (let r = 0; r < rounds; r++) for (const l of ['L3', 'L1', 'L2'] as const) times[l].push(await once(l));

      // L2 again with read-ahead: most messages take their key from the sealed cache.
      alice.app.mail.qkd.forget();
      const cachedAlice = await open('alice-cached', 'A', 16);
      cachedAlice.app.mail.start();
      const aliceBak = alice.app;
      alice.app = cachedAlice.app;
      alice.address = cachedAlice.address;
      const cachedL2: number[] = [];
      const l3b: number[] = [];
      await once('L2');
      for (let r = 0; r < rounds; r++) {
        l3b.push(await once('L3'));
        cachedL2.push(await once('L2'));
      }
      alice.app = aliceBak;

      const l3 = median(times.L3);
      const out: BenchResult[] = [];
      const row = (name: string, v: number, ref: number, refName: string) => {
        ctx.log(`${name}: ${v.toFixed(1)} ms vs ${ref.toFixed(1)} ms`);
        out.push({
          name,
          value: Number(v.toFixed(2)),
          unit: 'ms/message',
          reference_name: refName,
          reference_value: Number(ref.toFixed(2)),
          ratio: Number((v / ref).toFixed(3)),
          notes: `added ${(v - ref).toFixed(1)} ms; median of ${rounds}; 4 KiB body, 4+1, send+receive`,
        });
      };
      row('L1 send+receive, keys via ETSI 014 (no read-ahead)', median(times.L1), l3, 'L3 send+receive, same run');
      row('L2 send+receive, keys via ETSI 014 (no read-ahead)', median(times.L2), l3, 'L3 send+receive, same run');
      row('L2 send+receive, sealed cache read-ahead 16', median(cachedL2), median(l3b), 'L3 send+receive, same run');
      return out;
    } finally {
      for (const a of apps) {
        await a.mail.stop();
        a.close();
      }
      await kme.close();
      await net.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
