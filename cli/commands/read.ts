import type { Command } from 'commander';
import { join, basename } from 'node:path';
 
import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { optionalNetworkFor, withNetwork, withProfile } from '../defaults.js';

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
        if (!m) throw new Error(`no message ${id}`);
        if (o.save) for (const a of m.attachments ?? []) await app.mail.saveAttachment(id, a.index, join(o.save, basename(a.name) || `attachment-${a.index}`));
        if (o.json) process.stdout.write(JSON.stringify(m) + '\n');
        else process.stdout.write(`From: ${m.from}\nTo: ${m.to.join(', ')}\nSubject: ${m.subject}\nDate: ${new Date(m.date).toISOString()}\n${(m.attachments ?? []).map((a) => `Attachment: ${a.name} (${a.size} bytes)\n`).join('')}\n${m.body}\n`);
      } finally {
        await closeProfile(app);
      }
    });
}
