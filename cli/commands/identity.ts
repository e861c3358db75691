import type { Command } from 'commander';
 
import { closeProfile, openProfile } from '../../electron/services/mail/profile.js';

export function register(program: Command): void {
  const id = program.command('identity').description('create, restore or show the QMail identity of a profile');
  id.command('create')
    .description('make a new identity: address from the directory, servers hired, inbox opened; prints the address')
    .requiredOption('--profile <dir>', 'profile folder (created if absent)')
    .requiredOption('--network <file>', 'network file naming the directory')
    .requiredOption('--name <name>', 'display name others find you by')
    .option('--json', 'print JSON (address, fingerprint, recovery phrase)')
    .action(async (o: { profile: string; network: string; name: string; json?: boolean }) => {
      const app = await openProfile({ profile: o.profile, network: o.network, create: true });
      try {
        const r = await app.mail.createIdentity(o.name);
        if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
        else {
          process.stdout.write(`${r.address}\n`);
          process.stderr.write(`fingerprint: ${r.fingerprint}\nrecovery phrase (write it down, it restores this identity):\n${r.recoveryPhrase}\n`);
        }
      } finally {
        await closeProfile(app);
      }
    });
  id.command('restore')
    .description('rebuild an identity from its 24-word recovery phrase (read from QMAIL_PHRASE)')
    .requiredOption('--profile <dir>', 'profile folder (created if absent)')
    .requiredOption('--network <file>', 'network file naming the directory')
    .option('--name <name>', 'display name (default: the one the directory has)')
    .action(async (o: { profile: string; network: string; name?: string }) => {
      const phrase = process.env.QMAIL_PHRASE;
      if (!phrase) throw new Error('set QMAIL_PHRASE to the 24-word recovery phrase');
      const app = await openProfile({ profile: o.profile, network: o.network, create: true });
      try {
        const r = await app.mail.restoreIdentity(phrase, o.name);
        process.stdout.write(`${r.address}\n`);
      } finally {
        await closeProfile(app);
      }
    });
  id.command('show')
    .description('print the identity (address, name, fingerprint, servers) as JSON')
    .requiredOption('--profile <dir>', 'profile folder')
    .option('--network <file>', 'network file naming the directory')
    .action(async (o: { profile: string; network?: string }) => {
      const app = await openProfile({ profile: o.profile, ...(o.network ? { network: o.network } : {}) });
      try {
        process.stdout.write(JSON.stringify(app.mail.identityState()) + '\n');
      } finally {
        await closeProfile(app);
      }
    });
}
