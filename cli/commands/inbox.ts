import type { Command } from 'commander';

import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { networkFor, optionalNetworkFor, withNetwork, withProfile } from '../defaults.js';
import type { FolderId } from '../../shared/ipc/index.js';
import { withLegacy } from './accounts.js';

export function register(program: Command): void {
  const cmd = program.command('inbox').description('fetch new qmail from the beacon and list a folder');
  withNetwork(withProfile(cmd))
    .option('--folder <name>', 'inbox | sent | drafts | archive | trash', 'inbox')
    .option('--no-fetch', 'list only what is stored, do not ask the beacon')
    .option('--limit <n>', 'messages per page, newest first', '500')
    .option('--page <n>', 'which page (0 = the newest)', '0')
    .option('--via <account>', 'list a legacy account (qmail accounts) instead, synced first unless --no-fetch')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        profile: string;
        network?: string;
        folder: string;
        fetch: boolean;
        limit: string;
        page: string;
        via?: string;
        json?: boolean;
      }) => {
        const limit = Number(o.limit);
        const page = Number(o.page);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new Error('--limit must be a whole number from 1 to 500');
        if (!Number.isInteger(page) || page < 0) throw new Error('--page must be a whole number from 0');
        if (o.via) {
          const via = o.via;
          await withLegacy(o.profile, false, async (s) => {
            if (o.fetch) await s.sync(via);
            const list = s.list({ accountId: via, folder: o.folder as FolderId, offset: page * limit, limit });
            if (o.json) process.stdout.write(JSON.stringify(list.items) + '\n');
            else for (const m of list.items) process.stdout.write(`${m.id}  ${new Date(m.date).toISOString()}  ${m.from}  ${m.subject}\n`);
          });
          return;
        }
        // Listing what is stored needs no network.
        const network = o.fetch ? await networkFor(o) : await optionalNetworkFor(o);
        const app = await openProfile({ profile: o.profile, ...(network ? { network } : {}) });
        try {
          if (o.fetch) await app.mail.refresh();
          const list = app.messages.list(o.folder as FolderId, page * limit, limit);
          if (o.json) process.stdout.write(JSON.stringify(list.items) + '\n');
          else for (const m of list.items) process.stdout.write(`${m.id}  ${new Date(m.date).toISOString()}  ${m.from}  ${m.subject}\n`);
        } finally {
          await closeProfile(app);
        }
      },
    );
}
