// The composer's fee line: what Send will cost for each recipient (their inbox fee, free, free
// because we are on their white list, refused, or unknown), the total and the wallet's balance.
import type { FeeQuote } from '../../../../shared/ipc/contract.js';
import { displayName } from '../../ui/format.js';
import { parseRecipients, qmailAddress } from '../composer/store.js';
import { lessCc, mustPay, quoteWords, refuses, registrationWords, registrationsOf, totalOf } from './quote.js';

/** The names typed with the addresses ("Ada <0006.1.42>"), by address. */
export function namesIn(...fields: string[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const piece of fields.flatMap(parseRecipients)) {
    const a = qmailAddress(piece);
    const name = displayName(piece);
    if (a && name !== a && !names.has(a)) names.set(a, name);
  }
  return names;
}

export interface FeeLineProps {
  id: string;
  quotes: readonly FeeQuote[] | null;
  quoting: boolean;
  balance: string | null;
  names: Map<string, string>;
}

export function FeeLine({ id, quotes, quoting, balance, names }: FeeLineProps) {
  if (!quotes || quotes.length === 0) {
    return quoting ? (
      <section id={id} className="fee-line" aria-label="Inbox fees" aria-busy="true">
        <p className="fee-summary">Asking what the recipients’ inboxes charge…</p>
      </section>
    ) : null;
  }
  const total = totalOf(quotes);
  const short = balance !== null && total !== '0' && lessCc(balance, total);
  const refused = quotes.filter(refuses);
  const unknown = quotes.filter((q) => q.kind === 'unknown');
  // One reason for them all (the fees could not be asked at all): said once, under the list.
  const sharedReason = unknown.length > 1 && unknown.every((q) => q.reason && q.reason === unknown[0]!.reason) ? unknown[0]!.reason! : null;
  return (
    <section id={id} className="fee-line" aria-label="Inbox fees" aria-busy={quoting || undefined}>
      <ul className="fee-list">
        {quotes.map((q) => (
          <li key={q.address} className={`fee-${q.kind}${mustPay(q) ? ' fee-pay' : ''}`}>
            <span className="fee-who">{names.get(q.address) ?? q.address}</span>
            <span className="fee-what">
              {sharedReason && q.kind === 'unknown' ? 'fee unknown' : quoteWords(q)}
              {q.registration && !refuses(q) && <span className="fee-registration"> {registrationWords(q.registration)}</span>}
            </span>
          </li>
        ))}
      </ul>
      {sharedReason && <p className="fee-summary">The fees could not be read: {sharedReason}</p>}
      <p className="fee-summary" role="status" aria-live="polite">
        {total === '0' ? (unknown.length ? 'Send pays nothing.' : 'Sending costs nothing.') : `Send pays ${total} CC in all.`}
        {unknown.length > 0 && <> An inbox whose fee is unknown may refuse the qmail; nothing is paid then.</>}
        {balance !== null && <> Your wallet holds {balance} CC.</>}
      </p>
      {short && (
        <p className="fee-problem" role="alert">
          Your wallet holds less than the {total} CC {registrationsOf(quotes).length ? 'this send pays' : 'these inboxes charge'}: add Chips
          in the Wallet, or remove the paying recipients.
        </p>
      )}
      {refused.length > 0 && (
        <p className="fee-problem" role="alert">
          Send is off: {refused.map((q) => names.get(q.address) ?? q.address).join(', ')} {refused.length === 1 ? 'refuses' : 'refuse'} your
          mail. Remove {refused.length === 1 ? 'them' : 'them all'} to send to the others.
        </p>
      )}
    </section>
  );
}
