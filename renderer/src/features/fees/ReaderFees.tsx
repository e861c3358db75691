// Chips on a message in the reader: the tip that came with it (or what our Send paid), and for a
// received qmail, letting its sender in free (white list) or blocking them (black list).
import type { MessageView } from '../../../../shared/ipc/contract.js';
import { Address } from '../../../../shared/ipc/contract.js';
import { useStores } from '../../app/context.js';
import { useFees } from './TipSettingsDialog.js';

const TIP_WORDS: Record<NonNullable<MessageView['tip']>['state'], (amount: string) => string> = {
  received: (a) => `Tip: ${a} CC received, in your wallet`,
  pending: (a) => `Tip: ${a} CC pending: your server holds it until it reaches your wallet`,
  paid: (a) => `You paid ${a} CC with this qmail`,
  refunded: (a) => `${a} CC paid with this qmail came back to your wallet`,
};

export function tipWords(tip: NonNullable<MessageView['tip']>): string {
  return TIP_WORDS[tip.state](tip.amount);
}

/** The tip on a message, as a badge. */
export function TipBadge({ tip }: { tip: MessageView['tip'] }) {
  if (!tip) return null;
  return <p className={`badge tip tip-${tip.state}`}>{tipWords(tip)}</p>;
}

/** Whether the reader offers list actions for this message's sender: a qmail someone else sent us. */
export function canListSender(m: MessageView): boolean {
  return !m.origin && !m.legacy && m.folder !== 'sent' && m.folder !== 'drafts' && Address.safeParse(m.from).success;
}

/** Let the sender in free, or block them; says which list they are on already. */
export function SenderFees({ message }: { message: MessageView }) {
  const { fees } = useStores();
  const settings = useFees((s) => s.settings);
  const busy = useFees((s) => s.busy);
  if (!canListSender(message)) return null;
  const who = message.fromName || message.from;
  const on = settings?.white.includes(message.from) ? 'white' : settings?.black.includes(message.from) ? 'black' : null;
  const act = (fn: () => Promise<boolean>) => () => void fn();
  return (
    <div className="sender-fees" role="group" aria-label={`Inbox fee for ${who}`}>
      {on === 'white' && <span className="sender-fees-state">{who} writes to you free (white list).</span>}
      {on === 'black' && <span className="sender-fees-state">{who} is blocked (black list).</span>}
      {on === 'white' ? (
        <button
          type="button"
          className="small"
          disabled={busy !== null}
          onClick={act(() => fees.getState().remove('white', message.from, message.fromName))}
        >
          Make them pay again
        </button>
      ) : (
        <button
          type="button"
          className="small"
          disabled={busy !== null}
          onClick={act(() => fees.getState().add('white', message.from, message.fromName))}
        >
          Let them write free
        </button>
      )}
      {on === 'black' ? (
        <button
          type="button"
          className="small"
          disabled={busy !== null}
          onClick={act(() => fees.getState().remove('black', message.from, message.fromName))}
        >
          Unblock
        </button>
      ) : (
        <button
          type="button"
          className="small"
          disabled={busy !== null}
          onClick={act(() => fees.getState().add('black', message.from, message.fromName))}
        >
          Block sender
        </button>
      )}
    </div>
  );
}
