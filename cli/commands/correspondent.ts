import type { Command } from 'commander';
 
import { runCorrespondent } from '../../electron/services/correspondent/bot.js';
 
import { readPassphrase } from '../../electron/services/mail/profile.js';

export function register(program: Command): void {
  program
    .command('correspondent')
    .description('run the built-in correspondent: answers every qmail it receives (until SIGTERM)')
    .requiredOption('--profile <dir>', 'its profile folder (an identity is made on first start)')
    .requiredOption('--network <file>', 'network file naming the directory')
    .option('--name <name>', 'display name', 'QMail Correspondent')
    .action(async (o: { profile: string; network: string; name: string }) => {
      const bot = await runCorrespondent({
        profile: o.profile,
        network: o.network,
        name: o.name,
        passphrase: await readPassphrase(),
        log: (msg, f) => process.stderr.write(JSON.stringify({ msg, ...f }) + '\n'),
      });
      // One machine-readable line for launchers.
      process.stdout.write(JSON.stringify({ ready: true, address: bot.address }) + '\n');
      const alive = setInterval(() => {}, 60_000); // a long-running service: stay up between long polls
      await new Promise<void>((res) => {
        process.once('SIGINT', res);
        process.once('SIGTERM', res);
      });
      clearInterval(alive);
      await bot.stop();
    });
}
