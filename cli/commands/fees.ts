import type { Command } from 'commander';
import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';
import { directoryFromNetworkFile } from '../../electron/services/app/profile.js';
import { IdentityStore } from '../../electron/services/identity/store.js';
import { InboxFees, inboxFeeOf } from '../../electron/services/mail/tips.js';
import { ConnectionPool } from '../../electron/services/net/transport.js';
import { formatCc, parseCc } from '../../shared/drd/index.js';
import { ADDRESS_PATTERN } from '../../shared/qmail/address.js';
import { networkFor, withNetwork, withProfile } from '../defaults.js';

type Opts = { profile: string; network?: string; json?: boolean };

/** Our inbox's settings on our beacon, for as long as fn runs. */
async function withInbox<T>(o: Opts, fn: (fees: InboxFees) => Promise<T>): Promise<T> {
  const app = await openProfile({ profile: o.profile });
  const pool = new ConnectionPool(1);
  try {
    const me = new IdentityStore(app.db, () => app.vault.box()).load();
    if (!me) throw new Error(`${o.profile} has no QMail address yet; run qmail identity create first`);
    return await fn(new InboxFees(pool, me));
  } finally {
    pool.closeAll();
    await closeProfile(app);
  }
}

function addresses(list: string[]): string[] {
  for (const a of list) if (!ADDRESS_PATTERN.test(a)) throw new Error(`${a} is not a QMail address (such as 0006.0.1000)`);
  return list;
}

function classOf(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < -8 || n > 6) throw new Error('--class-rejection is a denomination from -8 to 6 (0 takes every sender)');
  return n;
}

export function register(program: Command): void {
  const fees = program
    .command('fees')
    .description('inbox fees: what your inbox charges strangers, your white and black lists, what others charge');

  withProfile(fees.command('set').description('set your inbox fee (and class rejection) on your beacon'))
    .option('--fee <CC>', 'what a sender not on your white list pays to reach you, e.g. 0.5 (0 = free)')
    .option('--class-rejection <denomination>', 'refuse senders whose address denomination is below this (0 = none)', classOf)
    .option('--json', 'print the settings as JSON')
    .action(async (o: Opts & { fee?: string; classRejection?: number }) => {
      if (o.fee === undefined && o.classRejection === undefined) throw new Error('give --fee and/or --class-rejection');
      const fee = o.fee === undefined ? undefined : parseCc(o.fee);
      await withInbox(o, async (inbox) => {
        await inbox.set({
          ...(fee !== undefined ? { fee } : {}),
          ...(o.classRejection !== undefined ? { classRejection: o.classRejection } : {}),
        });
        print(await inbox.get(), o.json);
      });
    });

  withProfile(fees.command('show').description('your inbox fee, class rejection and lists as your beacon holds them'))
    .option('--json', 'print {"fee": CC, "classRejection": n, "white": [...], "black": [...]}')
    .action(async (o: Opts) => withInbox(o, async (inbox) => print(await inbox.get(), o.json)));

  for (const kind of ['white', 'black'] as const)
    withProfile(
      fees
        .command(`${kind} <address...>`)
        .description(kind === 'white' ? 'these senders reach you free' : 'refuse these senders whatever they pay'),
    ).action(async (list: string[], o: Opts) => withInbox(o, (inbox) => inbox.list(kind, addresses(list))));

  withProfile(fees.command('unlist <address...>').description('take addresses off your white or black list')).action(
    async (list: string[], o: Opts) => withInbox(o, (inbox) => inbox.unlist(addresses(list))),
  );

  withNetwork(withProfile(fees.command('get <address>').description('what sending to an address costs: its inbox fee on its beacon')))
    .option('--json', 'print {"address", "fee": CC or null, "record": bool, "classRejection": n}')
    .action(async (address: string, o: Opts) => {
      addresses([address]);
      const network = await networkFor(o);
      const app = await openProfile({ profile: o.profile, ...(network ? { network } : {}) });
      const pool = new ConnectionPool(1);
      try {
        const url = network ? directoryFromNetworkFile(network) : undefined;
        if (!url) throw new Error('no network to ask: give --network FILE');
        const me = new IdentityStore(app.db, () => app.vault.box()).load();
        const fee = await inboxFeeOf(pool, new DirectoryClient(url), address, me?.mailbox);
        if (fee.kind === 'unknown') throw new Error(`cannot read ${address}'s inbox fee: ${fee.reason}`);
        const out =
          fee.kind === 'record'
            ? {
                address,
                record: true,
                fee: Number(formatCc(fee.fee)),
                classRejection: fee.classRejection,
                refusesOurClass: fee.refusesOurClass,
              }
            : { address, record: false, fee: null, classRejection: 0 };
        if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
        else if (fee.kind === 'record')
          process.stdout.write(
            `${address}: ${fee.fee === 0n ? 'free inbox' : `${formatCc(fee.fee)} CC`}${fee.refusesOurClass ? ' (refuses senders of your class)' : ''}\n`,
          );
        else process.stdout.write(`${address}: no DRD record; its beacon's default fee applies (10 CC unless its operator set another)\n`);
      } finally {
        pool.closeAll();
        await closeProfile(app);
      }
    });
}

function print(s: { fee: bigint; classRejection: number; white: string[]; black: string[] }, json?: boolean): void {
  if (json)
    process.stdout.write(
      JSON.stringify({ fee: Number(formatCc(s.fee)), classRejection: s.classRejection, white: s.white, black: s.black }) + '\n',
    );
  else {
    process.stdout.write(`inbox fee: ${s.fee === 0n ? 'free' : `${formatCc(s.fee)} CC`}; class rejection: ${s.classRejection || 'none'}\n`);
    process.stdout.write(`white list: ${s.white.join(', ') || '(empty)'}\nblack list: ${s.black.join(', ') || '(empty)'}\n`);
  }
}
