import type { Command } from 'commander';

import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { networkFor, optionalNetworkFor, withNetwork, withProfile } from '../defaults.js';

export function register(program: Command): void {
  const id = program.command('identity').description('create, restore or show the QMail identity of a profile');
  withNetwork(
    withProfile(
      id.command('create').description('make a new identity: address from the directory, servers hired, inbox opened; prints the address'),
    ),
  )
    .requiredOption('--name <name>', 'display name others find you by')
    .option('--json', 'print JSON (address, fingerprint, recovery phrase)')
    .action(async (o: { profile: string; network?: string; name: string; json?: boolean }) => {
      const app = await openProfile({ profile: o.profile, network: await networkFor(o), create: true });
      try {
        const r = await app.mail.createIdentity(o.name);
        if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
        else {
          process.stdout.write(`${r.address}\n`);
          process.stderr.write(
            `fingerprint: ${r.fingerprint}\nrecovery phrase (write it down, it restores this identity):\n${r.recoveryPhrase}\n`,
          );
        }
      } finally {
        await closeProfile(app);
      }
    });
  withNetwork(
    withProfile(id.command('restore').description('rebuild an identity from its 24-word recovery phrase (read from QMAIL_PHRASE)')),
  )
    .option('--name <name>', 'display name (default: the one the directory has)')
    .action(async (o: { profile: string; network?: string; name?: string }) => {
      const phrase = process.env.QMAIL_PHRASE;
      if (!phrase) throw new Error('set QMAIL_PHRASE to the 24-word recovery phrase');
      const app = await openProfile({ profile: o.profile, network: await networkFor(o), create: true });
      try {
        const r = await app.mail.restoreIdentity(phrase, o.name);
        process.stdout.write(`${r.address}\n`);
      } finally {
        await closeProfile(app);
      }
    });
  withNetwork(withProfile(id.command('show').description('print the identity (address, name, fingerprint, servers) as JSON'))).action(
    async (o: { profile: string; network?: string }) => {
      const network = await optionalNetworkFor(o);
      const app = await openProfile({ profile: o.profile, ...(network ? { network } : {}) });
      try {
        process.stdout.write(JSON.stringify(app.mail.identityState()) + '\n');
      } finally {
        await closeProfile(app);
      }
    },
  );
}
