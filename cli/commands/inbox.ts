import type { Command } from 'commander';
 
import { closeProfile, openProfile } from '../../electron/services/mail/profile.js';
import type { FolderId } from '../../shared/ipc/index.js';

export function register(program: Command): void {
  program
    .command('inbox')
    .description('fetch new qmail from the beacon and list a folder')
    .requiredOption('--profile <dir>', 'profile folder')
    .requiredOption('--network <file>', 'network file naming the directory')
    .option('--folder <name>', 'inbox | sent | drafts | archive | trash', 'inbox')
    .option('--no-fetch', 'list only what is stored, do not ask the beacon')
    .option('--json', 'print JSON')
    .action(async (o: { profile: string; network: string; folder: string; fetch: boolean; json?: boolean }) => {
      const app = await openProfile({ profile: o.profile, network: o.network });
      try {
        if (o.fetch) await app.mail.refresh();
        const list = app.messages.list(o.folder as FolderId, 0, 500);
        if (o.json) process.stdout.write(JSON.stringify(list.items) + '\n');
        else for (const m of list.items) process.stdout.write(`${m.id}  ${new Date(m.date).toISOString()}  ${m.from}  ${m.subject}\n`);
      } finally {
        await closeProfile(app);
      }
    });
}
