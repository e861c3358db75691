import { InvalidArgumentError, type Command } from 'commander';

import { runCorrespondent } from '../../dev-network/correspondent/bot.js';

import { readPassphrase } from '../../electron/services/app/profile.js';
import { untilSignal } from './network.js';

export function register(program: Command): void {
  program
    .command('correspondent')
    .description('run the built-in correspondent: answers every qmail it receives (until SIGTERM)')
    .requiredOption('--profile <dir>', 'its profile folder (an identity is made on first start)')
    .requiredOption('--network <file>', 'network file naming the directory')
    .option('--name <name>', 'display name', 'QMail Correspondent')
    .option('--reply-delay <ms>', 'pause before each answer', (v: string) => Math.max(0, Number(v) || 0), 0)
    .option('--kme <file>', 'take QKD keys from one side of this kme.json, to open and answer L1/L2 qmail')
    .option(
      '--kme-side <side>',
      'which side of the kme.json is ours (A or B)',
      (v: string) => {
        const side = v.toUpperCase();
        if (side !== 'A' && side !== 'B') throw new InvalidArgumentError('A or B');
        return side;
      },
      'B',
    )
    .action(async (o: { profile: string; network: string; name: string; replyDelay: number; kme?: string; kmeSide: 'A' | 'B' }) => {
      const bot = await runCorrespondent({
        profile: o.profile,
        network: o.network,
        name: o.name,
        passphrase: await readPassphrase(),
        replyDelayMs: o.replyDelay,
        ...(o.kme ? { kme: { path: o.kme, side: o.kmeSide } } : {}),
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
