// Chips on a message in the reader: the tip that came with it (or what our Send paid), and for a
// received qmail, letting its sender in free (white list) or blocking them (black list).
import type { MessageView } from '../../../../shared/ipc/contract.js';
import { Address } from '../../../../shared/ipc/contract.js';
import { useStores } from '../../app/context.js';
import { useFees } from './TipSettingsDialog.js';

const TIP_WORDS: Record<NonNullable<MessageView['tip']>['state'], (amount: string) => string> = {
  received: (a) => `Tip: ${a} CC received, in your wallet.`,
  // A tip not collected yet may not say its amount (the beacon holds the locker).
  pending: (a) => `Tip${a === '0' ? '' : `: ${a} CC`} pending: your server holds it until it reaches your wallet.`,
  paid: (a) => `You paid ${a} CC with this qmail.`,
  refunded: (a) => `The ${a} CC paid with this qmail came back to your wallet.`,
};

export function tipWords(tip: NonNullable<MessageView['tip']>): string {
  return TIP_WORDS[tip.state](tip.amount);
}

/** A list row's mark for the Chips that came or went with a message ("Tip 9.5 CC", "Paid 10 CC"). */
export function RowTip({ tip }: { tip: MessageView['tip'] }) {
  if (!tip || tip.state === 'refunded') return null;
  const amount = tip.amount === '0' ? '' : ` ${tip.amount} CC`;
  return <span className="row-tip">{tip.state === 'paid' ? `Paid${amount}` : `Tip${amount}`}</span>;
}

/** Whether the reader offers list actions for this message's sender: a qmail someone else sent us. */
export function canListSender(m: MessageView): boolean {
  return !m.origin && !m.legacy && m.folder !== 'sent' && m.folder !== 'drafts' && Address.safeParse(m.from).success;
}

/**
 * Chips on the message (the tip that came with it, or what our Send paid), and for a received
 * qmail: let the sender in free or block them, saying which list they are on already.
 */
export function MessageFees({ message }: { message: MessageView }) {
  const tip = message.tip;
  const listable = canListSender(message);
  if (!tip && !listable) return null;
  return (
    <div className="message-fees">
      {tip && <p className={`tip-note tip-${tip.state}`}>{tipWords(tip)}</p>}
      {listable && <SenderFees message={message} />}
    </div>
  );
}

function SenderFees({ message }: { message: MessageView }) {
  const { fees } = useStores();
  const settings = useFees((s) => s.settings);
  const busy = useFees((s) => s.busy);
  const who = message.fromName || message.from;
  const on = settings?.white.includes(message.from) ? 'white' : settings?.black.includes(message.from) ? 'black' : null;
  // Each list: take them off it when they are on it, else put them on it.
  const actions = (['white', 'black'] as const).map((list) => ({
    list,
    label: on === list ? (list === 'white' ? 'Make them pay again' : 'Unblock') : list === 'white' ? 'Let them write free' : 'Block sender',
    run: () =>
      on === list
        ? fees.getState().remove(list, message.from, message.fromName)
        : fees.getState().add(list, message.from, message.fromName),
  }));
  return (
    <div className="sender-fees" role="group" aria-label={`Inbox fee for ${who}`}>
      {on === 'white' && <span className="sender-fees-state">{who} writes to you free (white list).</span>}
      {on === 'black' && <span className="sender-fees-state">{who} is blocked (black list).</span>}
      {actions.map((a) => (
        <button key={a.list} type="button" className="small" disabled={busy !== null} onClick={() => void a.run()}>
          {a.label}
        </button>
      ))}
    </div>
  );
}
