// The contract's inbox-fee requests: our inbox's fee and lists on our beacon, and what each
// recipient's inbox charges before Send (docs/chips.md). What crosses to the renderer is
// amounts in CC, addresses and kinds: never a locker code or an AN.
import { ContractError, type FeeQuote, type Handlers, type InboxSettings } from '../../../shared/ipc/index.js';
import type { MessageStore } from '../../store/messages.js';
import type { MailEngine } from '../mail/engine.js';
import { InboxFees, whiteListContacts } from '../mail/tips.js';
import { registrationFor } from '../market/market.js';
import { sharedLookups } from '../mail/lookups.js';
import { MailError } from '../errors.js';
import { WalletError, formatAmount, parseAmount } from '../wallet/wallet.js';

type FeesRequest = 'fees.mine' | 'fees.set' | 'fees.list' | 'fees.quote';
export const FEES_REQUESTS: readonly FeesRequest[] = ['fees.mine', 'fees.set', 'fees.list', 'fees.quote'];

export interface FeesDeps {
  mail: MailEngine;
  messages: MessageStore;
  /** The term a send's registration on a recipient's beacon buys (the market's default term). */
  registrationTerm?: { months: number; quotaMb: number };
}

/** CC as the contract writes it to 1e-8 units ('0' is a free inbox). */
const units = (cc: string): bigint => (/^0+(\.0+)?$/.test(cc) ? 0n : parseAmount(cc));

function toContract(e: unknown): never {
  if (e instanceof ContractError) throw e;
  if (e instanceof MailError) throw new ContractError(e.code === 'no_identity' ? 'not_found' : e.code, e.message);
  if (e instanceof WalletError) throw new ContractError('invalid_input', e.message);
  throw new ContractError('unavailable', `Your beacon could not be reached: ${(e as Error).message}.`);
}

export function feesHandlers(d: FeesDeps): Pick<Handlers, FeesRequest> {
  const inbox = () => {
    try {
      return new InboxFees(d.mail.pool, d.mail.me());
    } catch (e) {
      if (e instanceof MailError) throw e;
      throw new ContractError('not_found', 'Create or restore a QMail identity first: the inbox fee lives on its beacon.');
    }
  };
  const settings = () => d.mail.tipping.tables.settings();
  const view = async (fees: InboxFees): Promise<InboxSettings> => {
    const s = await fees.get();
    return {
      fee: formatAmount(s.fee),
      // The contract counts classes from 0 (none); a negative class set elsewhere refuses no one the app can name.
      classRejection: Math.max(0, s.classRejection),
      white: s.white.slice(0, 10_000),
      black: s.black.slice(0, 10_000),
      contactsFree: settings().contactsFree,
    };
  };
  const run = <T>(fn: () => Promise<T>): Promise<T> => fn().catch(toContract);
  /** Everyone we have written to (Sent) joins the white list, except addresses on either list already. */
  const addCorrespondents = async (fees: InboxFees) => {
    const sent = sentTo(d);
    if (sent.length) await whiteListContacts(fees, sent);
  };

  return {
    'fees.mine': () => run(() => view(inbox())),
    'fees.set': ({ fee, classRejection, contactsFree }) =>
      run(async () => {
        if (classRejection !== undefined && classRejection > 6)
          throw new ContractError('invalid_input', 'A class rejection is a coin denomination, 0 (none) to 6.');
        const fees = inbox();
        if (fee !== undefined || classRejection !== undefined)
          await fees.set({
            ...(fee !== undefined ? { fee: units(fee) } : {}),
            ...(classRejection !== undefined ? { classRejection } : {}),
          });
        if (contactsFree !== undefined) {
          const was = settings().contactsFree;
          d.mail.tipping.tables.saveSettings({ ...settings(), contactsFree });
          if (contactsFree && !was) await addCorrespondents(fees);
        }
        return view(fees);
      }),
    'fees.list': ({ list, add, remove }) =>
      run(async () => {
        const fees = inbox();
        if (add.length) await fees.list(list, add);
        if (remove.length) {
          // Only what is on the list named: an address on the other list stays there.
          const now = await fees.get();
          const on = new Set(list === 'white' ? now.white : now.black);
          const gone = remove.filter((a) => on.has(a));
          if (gone.length) await fees.unlist(gone);
        }
        return view(fees);
      }),
    'fees.quote': ({ to }) =>
      run(async () => {
        const quotes = await d.mail.quote(to);
        const regs = await registrations(
          d,
          quotes.filter((q) => q.kind !== 'black' && q.kind !== 'class' && q.kind !== 'unknown').map((q) => q.address),
        );
        return quotes.map((q): FeeQuote => ({
          address: q.address,
          kind: q.kind,
          fee: formatAmount(q.units),
          ...(q.reason ? { reason: q.reason } : {}),
          ...(regs.has(q.address) ? { registration: regs.get(q.address)! } : {}),
        }));
      }),
  };
}

/**
 * The registrations a send to `to` buys first, by address: one per beacon we hold no term on
 * (given on the first of its recipients), priced for the term the wallet will pay.
 */
async function registrations(d: FeesDeps, to: readonly string[]): Promise<Map<string, { server: string; fee: string }>> {
  const out = new Map<string, { server: string; fee: string }>();
  if (!d.registrationTerm || to.length === 0) return out;
  // The answers the quote just asked for, kept a few seconds: not asked of the directory again.
  const directory = sharedLookups(d.mail.account.directory());
  const hired = d.mail.me().servers;
  const seen = new Set<string>();
  for (const address of to) {
    const r = await registrationFor(directory, hired, address, d.registrationTerm);
    if (!r || seen.has(r.nodeId)) continue;
    seen.add(r.nodeId);
    out.set(address, { server: r.server, fee: formatAmount(r.units) });
  }
  return out;
}

/** The addresses of everything in Sent. */
function sentTo(d: FeesDeps): string[] {
  const out = new Set<string>();
  const page = 500;
  for (let offset = 0; ; offset += page) {
    const { items } = d.messages.list('sent', offset, page);
    for (const m of items) for (const a of m.to) out.add(a);
    if (items.length < page) break;
  }
  return [...out];
}
