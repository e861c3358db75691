import { isLevelName, LEVELS } from '../../shared/qmail/levels.js';
import type { Layout } from '../../shared/stripe/layout.js';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { networkFor, withNetwork, withProfile } from '../defaults.js';
import { withLegacy } from './accounts.js';

function layout(v: string): Layout {
  const m = /^(\d{1,2})\+(\d{1,2})$/.exec(v);
  if (!m) throw new Error('--stripes is K+P, e.g. 4+1');
  return { k: Number(m[1]), p: Number(m[2]) };
}

export function register(program: Command): void {
  const cmd = program.command('send').description('send a qmail and wait until it is stored and announced (prints the message id)');
  withNetwork(withProfile(cmd))
    .requiredOption('--to <addr...>', 'recipient address(es), e.g. 0006.0.1000')
    .option('--cc <addr...>', 'copy recipients', [])
    .option('--subject <text>', 'subject', '')
    .option('--body <text>', 'body text', '')
    .option('--attach <file...>', 'attach file(s)', [])
    .option('--stripes <K+P>', 'data + parity stripes (2 ≤ K+P ≤ 32)', '4+1')
    .option(
      '--level <L>',
      "security level: L1 (QKD one-time pad) or L2 (QKD key + AES), with the profile's KME; L3 (post-quantum); L4 (classical)",
      'L3',
    )
    .option('--allow-fallback', 'L1/L2: send at L3 when the KME cannot give the keys (default: refuse and send nothing)')
    .option(
      '--tip <CC>',
      'Chips for each recipient, put in a locker with the Tell: their inbox fee, or more as a tip (a fee above it refuses the send; free inboxes and white lists pay nothing)',
    )
    .option('--via <account>', 'send as plain email through this legacy account (qmail accounts) instead')
    .option('--json', 'print the outbox item as JSON')
    .action(
      async (o: {
        profile: string;
        network?: string;
        to: string[];
        cc: string[];
        subject: string;
        body: string;
        attach: string[];
        stripes: string;
        level: string;
        allowFallback?: boolean;
        tip?: string;
        via?: string;
        json?: boolean;
      }) => {
        if (o.via) {
          const via = o.via;
          const r = await withLegacy(o.profile, false, (s) =>
            s.send(via, {
              to: o.to,
              cc: o.cc,
              subject: o.subject,
              text: o.body,
              attachments: o.attach.map((f) => ({ filename: basename(f), content: readFileSync(f) })),
            }),
          );
          process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${r.messageId}\n`);
          if (r.rejected.length) process.exitCode = 2;
          return;
        }
        if (!isLevelName(o.level)) throw new Error(`--level is one of ${LEVELS.join(', ')}`);
        if (o.tip !== undefined && !/^\d{1,15}(?:\.\d{1,8})?$/.test(o.tip)) throw new Error('--tip is an amount in CC, e.g. 10 or 0.5');
        const attachments = o.attach.map((f) => ({ name: basename(f), data: new Uint8Array(readFileSync(f)) }));
        const app = await openProfile({ profile: o.profile, network: await networkFor(o), mail: { retryBaseMs: 500, maxAttempts: 4 } });
        try {
          app.mail.start({ receive: false });
          // As the app's mail.send: L1/L2 are checked against the KME, and each recipient's inbox fee
          // against the tip, before anything is queued.
          const tips = o.tip === undefined ? [] : [...o.to, ...o.cc].map((address) => ({ address, amount: o.tip! }));
          const item = await app.mail.send(
            {
              to: o.to,
              cc: o.cc,
              subject: o.subject,
              body: o.body,
              attachments,
              level: o.level,
              stripes: layout(o.stripes),
              ...(o.allowFallback ? { allowFallback: true } : {}),
            },
            tips,
          );
          const done = await app.mail.waitFor(item.id);
          if (o.json) process.stdout.write(JSON.stringify(done) + '\n');
          else if (done.state === 'sent') process.stdout.write(`${done.id}\n`);
          if (done.state !== 'sent') {
            process.stderr.write(`qmail: not sent: ${done.error ?? 'unknown reason'}\n`);
            process.exitCode = 2;
          }
        } finally {
          await closeProfile(app);
        }
      },
    );
}
