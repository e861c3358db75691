import type { Command } from 'commander';
import { join, basename } from 'node:path';

import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { optionalNetworkFor, withNetwork, withProfile } from '../defaults.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import { parseMime } from '../../electron/services/legacy/mime/parse.js';

export function register(program: Command): void {
  const cmd = program.command('read <id>').description('print one message (and optionally save its attachments)');
  withNetwork(withProfile(cmd))
    .option('--save <dir>', 'write the attachments into this folder')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { profile: string; network?: string; save?: string; json?: boolean }) => {
      const network = await optionalNetworkFor(o);
      const app = await openProfile({ profile: o.profile, ...(network ? { network } : {}) });
      try {
        const m = app.mail.view(id);
        if (!m) {
          // Not a qmail: a message of a legacy account (qmail inbox --via), read from its cache or server.
          const legacy = new LegacyService(app.db, () => app.vault.box());
          try {
            if (!legacy.message(id)) throw new Error(`no message ${id}`);
            const p = await parseMime(await legacy.rawMessage(id));
            const out = {
              id,
              from: p.from?.address ?? '',
              to: p.to.map((a) => a.address),
              subject: p.subject,
              date: p.date ?? 0,
              text: p.text ?? '',
              attachments: p.attachments.map((a) => ({ name: a.filename ?? '', size: a.size })),
            };
            if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
            else
              process.stdout.write(
                `From: ${out.from}\nTo: ${out.to.join(', ')}\nSubject: ${out.subject}\nDate: ${new Date(out.date).toISOString()}\n${out.attachments.map((a) => `Attachment: ${a.name} (${a.size} bytes)\n`).join('')}\n${out.text}\n`,
              );
          } finally {
            await legacy.close();
          }
          return;
        }
        if (o.save)
          for (const a of m.attachments ?? [])
            await app.mail.saveAttachment(id, a.index, join(o.save, basename(a.name) || `attachment-${a.index}`));
        if (o.json) process.stdout.write(JSON.stringify(m) + '\n');
        else
          process.stdout.write(
            `From: ${m.from}\nTo: ${m.to.join(', ')}\nSubject: ${m.subject}\nDate: ${new Date(m.date).toISOString()}\n${(m.attachments ?? []).map((a) => `Attachment: ${a.name} (${a.size} bytes)\n`).join('')}\n${m.body}\n`,
          );
      } finally {
        await closeProfile(app);
      }
    });
}
