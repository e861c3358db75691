// What Send costs, in words and in exact amounts: a recipient's quote (fees.quote) as the
// composer's fee line says it, the total, the tips Send passes, and who refuses our mail.
// Amounts are CC strings with at most 8 decimals, added as integers of 1e-8 CC.
import type { FeeQuote } from '../../../../shared/ipc/contract.js';
import { formatCc, parseCc } from '../../../../shared/drd/fields.js';

/** "10.5" → 1050000000n; null when it is not an amount a person or the contract can give. */
export function ccUnits(text: string): bigint | null {
  try {
    return parseCc(text);
  } catch {
    return null;
  }
}

/** The sum of CC amounts, as a CC string ("0" for none). */
export function sumCc(amounts: readonly string[]): string {
  return formatCc(amounts.reduce((n, a) => n + (ccUnits(a) ?? 0n), 0n));
}

/** Whether `a` is less than `b` (both CC strings). */
export function lessCc(a: string, b: string): boolean {
  return (ccUnits(a) ?? 0n) < (ccUnits(b) ?? 0n);
}

/** A quote whose recipient must be paid before their beacon takes the qmail. */
export const mustPay = (q: FeeQuote): boolean => (q.kind === 'fee' || q.kind === 'default') && (ccUnits(q.fee) ?? 0n) > 0n;
/** A quote whose recipient refuses our mail whatever we pay. */
export const refuses = (q: FeeQuote): boolean => q.kind === 'black' || q.kind === 'class';

/** What Send puts in each paying recipient's locker: exactly their fee. */
export function tipsFor(quotes: readonly FeeQuote[]): { address: string; amount: string }[] {
  return quotes.filter(mustPay).map((q) => ({ address: q.address, amount: q.fee }));
}

/** What Send pays in all: the inbox fees, and the registrations on recipients' beacons it buys first. */
export function totalOf(quotes: readonly FeeQuote[]): string {
  return sumCc([...quotes.filter(mustPay).map((q) => q.fee), ...registrationsOf(quotes).map((r) => r.fee)]);
}

/** The registrations Send buys before its Tells (one per beacon; the engine pays each once). */
export function registrationsOf(quotes: readonly FeeQuote[]): { server: string; fee: string }[] {
  return quotes.flatMap((q) => (q.registration && !refuses(q) ? [q.registration] : []));
}

/** The words for a registration on a recipient's beacon. */
export function registrationWords(r: { server: string; fee: string }): string {
  return `+ ${r.fee} CC to register on their server ${r.server} (once)`;
}

/** The fee line's words for one recipient. */
export function quoteWords(q: FeeQuote): string {
  switch (q.kind) {
    case 'free':
      return 'free';
    case 'white':
      return 'free: you are on their white list';
    case 'fee':
      return mustPay(q) ? `${q.fee} CC inbox fee` : 'free';
    case 'default':
      return mustPay(q) ? `${q.fee} CC inbox fee (their server’s default)` : 'free';
    case 'black':
      return `refuses your mail: ${q.reason ?? 'you are on their black list'}`;
    case 'class':
      return `refuses your mail: ${q.reason ?? 'they do not take mail from addresses of your class'}`;
    case 'unknown':
      return `fee unknown${q.reason ? ` (${q.reason})` : ''}`;
  }
}

/** The Send button's words: what it pays, when it pays anything. */
export function sendLabel(quotes: readonly FeeQuote[] | null): string {
  const total = quotes ? totalOf(quotes) : '0';
  return total === '0' ? 'Send' : `Pay ${total} CC and send`;
}
