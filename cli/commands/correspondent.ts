import type { Command } from 'commander';
 
import { runCorrespondent } from '../../electron/services/correspondent/bot.js';
 
import { readPassphrase } from '../../electron/services/mail/profile.js';
import { untilSignal } from './network.js';

export function register(program: Command): void {
  program
    .command('correspondent')
    .description('run the built-in correspondent: answers every qmail it receives (until SIGTERM)')
    .requiredOption('--profile <dir>', 'its profile folder (an identity is made on first start)')
    .requiredOption('--network <file>', 'network file naming the directory')
    .option('--name <name>', 'display name', 'QMail Correspondent')
    .option('--reply-delay <ms>', 'pause before each answer', (v: string) => Math.max(0, Number(v) || 0), 0)
    .action(async (o: { profile: string; network: string; name: string; replyDelay: number }) => {
      const bot = await runCorrespondent({
        profile: o.profile,
        network: o.network,
        name: o.name,
        passphrase: await readPassphrase(),
        replyDelayMs: o.replyDelay,
        log: (msg, f) => process.stderr.write(JSON.stringify({ msg, ...f }) + '\n'),
      });
      // One machine-readable line for launchers.
      process.stdout.write(JSON.stringify({ ready: true, address: bot.address }) + '\n');
      // The action must not resolve before a signal (cli/main.ts exits when it does), and a
      // pending promise alone does not keep Node running: untilSignal holds a timer.
      await untilSignal();
      await bot.stop();
    });
}
