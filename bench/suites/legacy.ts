// Legacy accounts against real servers (Debian's Dovecot and Postfix, from temp configs):
//   - initial sync of 10,000 messages by our IMAP sync (its bulk connection and lean parser,
//     docs/legacy.md) vs. mbsync (isync) mirroring the same mailbox to a Maildir (FSync off,
//     as our store does not fsync each row), same Dovecot, same run, alternating, medians and
//     the ratio of each round's pair (target ≤ 1.5×, stretch ≤ 1.0×);
//   - headers to first screen: from the sync's start to the newest 50 rows listable;
//   - IDLE latency: Postfix accepted a message → it is in our list (the watch synced it),
//     against the delivery itself (accepted → the file is in the Maildir).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { openDatabase } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { LegacyAccountInput } from '../../electron/services/legacy/types.js';
import { startDovecot, startPostfix, testMessage } from '../../tests/support/mailservers.js';
import { tempDir } from '../../tests/support/tmp.js';
import { median, type BenchResult, type Suite } from '../types.js';

const BIG = { user: 'big@a.localhost', password: 'big-pw' };
const RCPT = { user: 'idle@a.localhost', password: 'idle-pw' };

function account(
  u: { user: string; password: string },
  port: number,
  smtpPort: number,
  tls: 'none' | 'starttls',
  ca?: string,
): LegacyAccountInput {
  return {
    name: u.user,
    preset: 'generic',
    email: u.user,
    user: u.user,
    incoming: { kind: 'imap', host: '127.0.0.1', port, tls, ...(ca ? { ca } : {}) },
    smtp: { host: '127.0.0.1', port: smtpPort, tls: 'starttls', ...(ca ? { ca } : {}) },
    auth: { kind: 'password', password: u.password },
  };
}

/** CPU time (user + system, ms) of this process's waited-for children so far, from /proc (10 ms ticks). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

const suite: Suite = {
  name: 'legacy',
  async run(ctx) {
    const n = ctx.quick ? 2_000 : 10_000;
    const rounds = ctx.quick ? 1 : 7;
    const dovecot = await startDovecot({ users: [BIG, RCPT] });
    const work = tempDir('qmail-bench-legacy-');
    const rows: BenchResult[] = [];
    try {
      const body = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
      dovecot.fillMaildir(
        BIG.user,
        Array.from({ length: n }, (_, i) =>
          testMessage({ subject: `bench ${i}`, body: `${i} ${body}`, date: new Date(Date.UTC(2024, 0, 1) + i * 60_000) }),
        ),
      );
      // Dovecot indexes the folder once, before either client is timed.
      execFileSync('/usr/bin/doveadm', ['-c', join(dovecot.dir, 'dovecot.conf'), 'force-resync', '-u', BIG.user, 'INBOX']);

      const ours = async (): Promise<{ total: number; firstScreen: number; cpu: number }> => {
        const d = tempDir('qmail-bench-legacy-db-');
        const db = openDatabase(join(d.path, 'qmail.db'));
        const box = new SecretBox(randomBytes(32));
        const s = new LegacyService(db, () => box);
        try {
          await s.addAccount(account(BIG, dovecot.ports.imap, 1, 'none'));
          let firstScreen = 0;
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const report = await s.sync(BIG.user, {
            only: ['INBOX'],
            onChunk: () => {
              if (!firstScreen && s.list({ folder: 'inbox', offset: 0, limit: 50 }).items.length === 50)
                firstScreen = performance.now() - t0;
            },
          });
          const total = performance.now() - t0;
          if (s.list({ folder: 'inbox', offset: 0, limit: 1 }).total !== n) throw new Error('our sync missed messages');
          if (report.folders[0]?.fetchedBy !== 'bulk') throw new Error('the initial pass did not run over the bulk connection');
          const c = process.cpuUsage(c0);
          return { total, firstScreen, cpu: (c.user + c.system) / 1000 };
        } finally {
          await s.close();
          db.close();
          d.remove();
        }
      };

      const mbsync = (): { ms: number; cpu: number } => {
        const d = join(work.path, `mbsync-${randomBytes(4).toString('hex')}`);
        const rc = `${d}.rc`;
        mkdirSync(d);
        writeFileSync(
          rc,
          `FSync no\n\nIMAPAccount bench\nHost 127.0.0.1\nPort ${dovecot.ports.imap}\nUser ${BIG.user}\nPass ${BIG.password}\nSSLType None\nAuthMechs LOGIN\n\n` +
            `IMAPStore remote\nAccount bench\n\nMaildirStore local\nPath ${d}/\nInbox ${d}/INBOX\n\n` +
            `Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSync Pull\nSyncState *\n`,
        );
        const c0 = childrenCpuMs();
        const t0 = performance.now();
        execFileSync('mbsync', ['-q', '-c', rc, 'bench'], { stdio: 'pipe' });
        const ms = performance.now() - t0;
        const got = ['new', 'cur']
          .map((x) => join(d, 'INBOX', x))
          .filter(existsSync)
          .reduce((a, p) => a + readdirSync(p).length, 0);
        if (got !== n) throw new Error(`mbsync mirrored ${got} of ${n}`);
        return { ms, cpu: childrenCpuMs() - c0 };
      };

      // One untimed round each first: JIT, page cache and Dovecot's caches warm for both.
      await ours();
      mbsync();
      const oursMs: number[] = [];
      const firstMs: number[] = [];
      const mbMs: number[] = [];
      // CPU time of each side (ours: this process during the sync; mbsync: the child), which
      // the machine's load moves far less than wall time. Dovecot's own CPU is in neither.
      const oursCpu: number[] = [];
      const mbCpu: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const a = await ours();
        oursMs.push(a.total);
        oursCpu.push(a.cpu);
        firstMs.push(a.firstScreen);
        const b = mbsync();
        mbMs.push(b.ms);
        mbCpu.push(b.cpu);
        ctx.log(
          `round ${r + 1}: ours ${(a.total / 1000).toFixed(2)} s (first screen ${a.firstScreen.toFixed(0)} ms, CPU ${a.cpu.toFixed(0)} ms), mbsync ${(b.ms / 1000).toFixed(2)} s (CPU ${b.cpu} ms), ratio ${(a.total / b.ms).toFixed(2)}`,
        );
      }
      const spread = (a: number[]) => `${(Math.min(...a) / 1000).toFixed(2)}–${(Math.max(...a) / 1000).toFixed(2)}`;
      const ratios = oursMs.map((x, i) => x / mbMs[i]!);
      const spreadRatio = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
      const o = median(oursMs) / 1000;
      const m = median(mbMs) / 1000;
      rows.push({
        name: `legacy initial sync ${n} messages (headers, flags, structure; sealed store)`,
        value: o,
        unit: 's',
        reference_name: 'mbsync (isync) mirroring the same mailbox to a Maildir',
        reference_value: m,
        ratio: o / m,
        // Both spreads and the machine's load: on a shared machine single rounds vary a lot.
        notes: `median of ${rounds}; ours ${spread(oursMs)} s, mbsync ${spread(mbMs)} s; paired ratios ${spreadRatio} (median ${median(ratios).toFixed(2)}); CPU ours ${median(oursCpu).toFixed(0)} ms, mbsync ${median(mbCpu).toFixed(0)} ms (medians); load ${loadavg()[0]!.toFixed(1)}; target ≤ 1.5`,
      });
      const f = median(firstMs);
      rows.push({
        name: 'legacy headers to first screen (newest 50 listable)',
        value: f,
        unit: 'ms',
        reference_name: 'our whole initial sync',
        reference_value: o * 1000,
        ratio: f / (o * 1000),
      });

      // IDLE latency through Postfix.
      const postfix = await startPostfix(dovecot, ['a.localhost']);
      const d = tempDir('qmail-bench-legacy-idle-');
      const db = openDatabase(join(d.path, 'qmail.db'));
      const box = new SecretBox(randomBytes(32));
      const s = new LegacyService(db, () => box);
      try {
        await s.addAccount(account(RCPT, dovecot.ports.imap, postfix.port, 'starttls', dovecot.tls.caPem));
        await s.sync(RCPT.user);
        let want = '';
        let arrived = 0;
        const stop = await s.watch(RCPT.user, () => {
          if (want && !arrived && s.list({ folder: 'inbox', offset: 0, limit: 3 }).items.some((x) => x.subject === want))
            arrived = performance.now();
        });
        const t = nodemailer.createTransport({
          host: '127.0.0.1',
          port: postfix.port,
          requireTLS: true,
          tls: { ca: dovecot.tls.caPem },
          auth: { user: RCPT.user, pass: RCPT.password },
        });
        const idle: number[] = [];
        const delivery: number[] = [];
        const root = dovecot.maildir(RCPT.user);
        const files = () =>
          ['new', 'cur']
            .map((x) => join(root, x))
            .filter(existsSync)
            .reduce((a, p) => a + readdirSync(p).length, 0);
        try {
          for (let i = 0; i < (ctx.quick ? 3 : 7); i++) {
            want = `idle ${i} ${randomBytes(3).toString('hex')}`;
            arrived = 0;
            const before = files();
            await t.sendMail({ from: RCPT.user, to: RCPT.user, subject: want, text: 'ping' });
            const accepted = performance.now();
            let landed = 0;
            const end = accepted + 10_000;
            while ((!arrived || !landed) && performance.now() < end) {
              if (!landed && files() > before) landed = performance.now();
              await new Promise((r) => setTimeout(r, 2));
            }
            if (!arrived) throw new Error('IDLE did not deliver within 10 s');
            idle.push(arrived - accepted);
            delivery.push((landed || arrived) - accepted);
          }
        } finally {
          t.close();
          await stop();
        }
        const li = median(idle);
        const ld = median(delivery);
        rows.push({
          name: 'legacy IDLE latency (Postfix accepted → in our list)',
          value: li,
          unit: 'ms',
          reference_name: 'Postfix accepted → file in the Maildir',
          reference_value: ld,
          ratio: li / ld,
          notes: `median of ${idle.length}; max ${Math.max(...idle).toFixed(0)} ms`,
        });
      } finally {
        await s.close();
        db.close();
        d.remove();
        await postfix.stop();
      }
    } finally {
      await dovecot.stop();
      work.remove();
    }
    return rows;
  },
};

export default suite;
