// What the fee line, the Tip settings screen and the reader's tip and sender actions show,
// rendered to markup against the app's stores over a fake runtime.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { StoresProvider } from '../../app/context.js';
import { createAppStores } from '../../app/stores.js';
import { createFakeRuntime, fakeMessage } from '../../test-support/fake-runtime.js';
import { ComposerDialog } from '../composer/ComposerDialog.js';
import { DeliveryList } from '../reader/Reader.js';
import { FeeLine, namesIn } from './FeeLine.js';
import { canListSender, MessageFees, RowTip } from './ReaderFees.js';
import { TipSettingsDialog } from './TipSettingsDialog.js';

function render(node: ReactNode, prepare?: (stores: ReturnType<typeof createAppStores>) => void): string {
  const stores = createAppStores(createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } }));
  prepare?.(stores);
  // Server rendering reads a store's initial state: make it the state prepared here.
  stores.fees.getInitialState = stores.fees.getState;
  stores.composer.getInitialState = stores.composer.getState;
  const html = renderToStaticMarkup(<StoresProvider stores={stores}>{node}</StoresProvider>);
  stores.dispose();
  return html;
}
/** The text a person reads (tags dropped, entities decoded). */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

describe('fee line', () => {
  it('names each recipient with what Send costs them, the total and the balance', () => {
    const names = namesIn('Stranger <0006.1.500>, 0006.1.501', 'Friend <0006.1.502>');
    expect([...names]).toEqual([
      ['0006.1.500', 'Stranger'],
      ['0006.1.502', 'Friend'],
    ]);
    const html = render(
      <FeeLine
        id="f"
        quoting={false}
        balance="4"
        names={names}
        quotes={[
          { address: '0006.1.500', kind: 'fee', fee: '10' },
          { address: '0006.1.501', kind: 'unknown', fee: '0', reason: 'no beacon' },
          { address: '0006.1.502', kind: 'white', fee: '0' },
        ]}
      />,
    );
    expect(html).toContain('aria-label="Inbox fees"');
    expect(text(html)).toBe(
      'Stranger 10 CC inbox fee 0006.1.501 fee unknown (no beacon) Friend free: you are on their white list ' +
        'Send pays 10 CC in all. An inbox whose fee is unknown may refuse the qmail; nothing is paid then. Your wallet holds 4 CC. ' +
        'Your wallet holds less than the 10 CC these inboxes charge: add Chips in the Wallet, or remove the paying recipients.',
    );
    expect(html).toMatch(/role="alert"/);
  });

  it('counts the registration on a paid beacon in the total, once, and says where it goes', () => {
    const html = render(
      <FeeLine
        id="f"
        quoting={false}
        balance="12"
        names={new Map()}
        quotes={[
          { address: '0006.1.600', kind: 'fee', fee: '10', registration: { server: 'local node 2', fee: '5' } },
          { address: '0006.1.601', kind: 'free', fee: '0' },
        ]}
      />,
    );
    expect(text(html)).toBe(
      '0006.1.600 10 CC inbox fee + 5 CC to register on their server local node 2 (once) 0006.1.601 free ' +
        'Send pays 15 CC in all. Your wallet holds 12 CC. ' +
        'Your wallet holds less than the 15 CC this send pays: add Chips in the Wallet, or remove the paying recipients.',
    );
  });

  it('says who refuses our mail and that Send is off for them', () => {
    const html = render(
      <FeeLine
        id="f"
        quoting={false}
        balance={null}
        names={new Map()}
        quotes={[
          { address: '0006.1.500', kind: 'class', fee: '0', reason: 'they take class 3 and up' },
          { address: '0006.1.501', kind: 'free', fee: '0' },
        ]}
      />,
    );
    expect(text(html)).toBe(
      '0006.1.500 refuses your mail: they take class 3 and up 0006.1.501 free Sending costs nothing. ' +
        'Send is off: 0006.1.500 refuses your mail. Remove them to send to the others.',
    );
  });

  it('says once why no fee could be read', () => {
    const reason = 'Inbox fees are not reachable from the app yet.';
    const html = render(
      <FeeLine
        id="f"
        quoting={false}
        balance="0"
        names={new Map([['0006.1.500', 'Stranger']])}
        quotes={[
          { address: '0006.1.500', kind: 'unknown', fee: '0', reason },
          { address: '0006.1.501', kind: 'unknown', fee: '0', reason },
        ]}
      />,
    );
    expect(text(html)).toBe(
      `Stranger fee unknown 0006.1.501 fee unknown The fees could not be read: ${reason} ` +
        'Send pays nothing. An inbox whose fee is unknown may refuse the qmail; nothing is paid then. Your wallet holds 0 CC.',
    );
  });

  it('shows nothing without recipients, and says it is asking while it asks', () => {
    expect(render(<FeeLine id="f" quoting={false} balance={null} names={new Map()} quotes={null} />)).toBe('');
    expect(text(render(<FeeLine id="f" quoting balance={null} names={new Map()} quotes={null} />))).toBe(
      'Asking what the recipients’ inboxes charge…',
    );
  });
});

describe('composer Send', () => {
  const composerWith = (quotes: { address: string; kind: 'fee' | 'black' | 'free'; fee: string }[], to = '0006.1.500') =>
    render(<ComposerDialog />, (s) => {
      s.composer.getState().openNew();
      s.composer.setState({ to, quotes, quotedFor: quotes.map((q) => q.address).join(','), balance: '100' });
    });
  const sendButton = (html: string) => /<button type="button" class="primary"[^>]*>[^<]*<\/button>/.exec(html)?.[0] ?? '';

  it('says what it pays, and is described by the fee line', () => {
    const html = composerWith([{ address: '0006.1.500', kind: 'fee', fee: '10' }]);
    expect(sendButton(html)).toMatch(/aria-describedby="[^"]+"[^>]*>Pay 10 CC and send</);
    expect(sendButton(html)).not.toContain('disabled');
    expect(text(composerWith([{ address: '0006.1.500', kind: 'free', fee: '0' }]))).toContain(
      'Sending costs nothing. Your wallet holds 100 CC.',
    );
    expect(sendButton(composerWith([{ address: '0006.1.500', kind: 'free', fee: '0' }]))).toMatch(/>Send</);
  });

  it('is off while a recipient refuses our mail', () => {
    expect(sendButton(composerWith([{ address: '0006.1.500', kind: 'black', fee: '0' }]))).toMatch(/disabled=""[^>]*>Send</);
  });

  it('offers no price for recipients it has not asked about yet', () => {
    // The quote answers for other recipients than those typed now: not shown, not paid.
    const html = composerWith([{ address: '0006.1.500', kind: 'fee', fee: '10' }], '0006.1.501');
    expect(sendButton(html)).toMatch(/>Send</);
    expect(html).not.toContain('Inbox fees');
  });
});

describe('Tip settings screen', () => {
  it('shows the fee, the class choice in words, the contacts switch and both lists with named controls', () => {
    const html = render(<TipSettingsDialog />, (s) =>
      s.fees.setState({
        open: true,
        settings: { fee: '10', classRejection: 1, white: ['0006.1.7'], black: [], contactsFree: true },
      }),
    );
    const t = text(html);
    expect(t).toContain('Tip settings');
    expect(t).toContain('Strangers pay 10 CC to write to you.');
    expect(html).toMatch(/<input[^>]*value="10"/);
    expect(html).toContain('Save fee');
    expect(html).toMatch(/<option value="1" selected="">Only addresses of class 1 and up \(worth 10 CC or more\)<\/option>/);
    expect(html).toMatch(/<input type="checkbox" role="switch"[^>]*checked=""/);
    expect(t).toContain('Contacts are free');
    expect(html).toContain('aria-label="Remove 0006.1.7 from the white list"');
    expect(html).toContain('aria-label="Add to the white list"');
    expect(html).toContain('aria-label="Add to the black list"');
    expect(t).toContain('Black list Their mail is refused, whatever they pay. Add to the black list Add Nobody yet.');
    expect(html).toContain('aria-label="Close the tip settings"');
  });

  it('says while it reads, and why it could not', () => {
    expect(text(render(<TipSettingsDialog />, (s) => s.fees.setState({ open: true, loading: true })))).toContain(
      'Reading your inbox settings…',
    );
    const html = render(<TipSettingsDialog />, (s) => s.fees.setState({ open: true, error: 'Your inbox settings could not be read: x' }));
    expect(html).toMatch(/role="alert">Your inbox settings could not be read: x</);
    expect(html).not.toContain('Save fee');
  });
});

describe('reader', () => {
  it('shows a tip received or pending, with the sender actions, and what our Send paid or got back', () => {
    const got = (tip: { amount: string; state: 'received' | 'pending' | 'paid' | 'refunded' }, folder: 'inbox' | 'sent' = 'inbox') =>
      text(render(<MessageFees message={fakeMessage(folder, 1, { from: folder === 'sent' ? 'me' : '0006.1.500', tip })} />));
    expect(got({ amount: '9.5', state: 'received' })).toBe('Tip: 9.5 CC received, in your wallet. Let them write free Block sender');
    expect(got({ amount: '9.5', state: 'pending' })).toBe(
      'Tip: 9.5 CC pending: your server holds it until it reaches your wallet. Let them write free Block sender',
    );
    expect(got({ amount: '0', state: 'pending' })).toBe(
      'Tip pending: your server holds it until it reaches your wallet. Let them write free Block sender',
    );
    expect(got({ amount: '10', state: 'paid' }, 'sent')).toBe('You paid 10 CC with this qmail.');
    expect(got({ amount: '10', state: 'refunded' }, 'sent')).toBe('The 10 CC paid with this qmail came back to your wallet.');
    expect(render(<MessageFees message={fakeMessage('sent', 1, { from: 'me' })} />)).toBe('');
  });

  it('says what each recipient of a sent qmail was paid or given back', () => {
    const html = render(
      <DeliveryList
        recipients={[
          { address: '0006.1.500', state: 'delivered', paid: '10' },
          { address: '0006.1.501', state: 'failed', reason: 'refused', paid: '5', refunded: true },
          { address: '0006.1.502', state: 'queued' },
        ]}
      />,
    );
    expect(text(html)).toBe(
      '0006.1.500 Delivered to the recipient’s beacon · paid 10 CC ' +
        '0006.1.501 Not delivered: refused · 5 CC came back to your wallet 0006.1.502 Queued',
    );
  });

  it('offers to let a sender in free or block them, and says which list they are on', () => {
    const m = fakeMessage('inbox', 1, { from: '0006.1.500', fromName: 'Stranger' });
    const html = render(<MessageFees message={m} />);
    expect(html).toContain('aria-label="Inbox fee for Stranger"');
    expect(text(html)).toBe('Let them write free Block sender');
    const white = render(<MessageFees message={m} />, (s) =>
      s.fees.setState({ settings: { fee: '10', classRejection: 0, white: ['0006.1.500'], black: [], contactsFree: false } }),
    );
    expect(text(white)).toBe('Stranger writes to you free (white list). Make them pay again Block sender');
    const black = render(<MessageFees message={m} />, (s) =>
      s.fees.setState({ settings: { fee: '10', classRejection: 0, white: [], black: ['0006.1.500'], contactsFree: false } }),
    );
    expect(text(black)).toBe('Stranger is blocked (black list). Let them write free Unblock');
  });

  it('marks a list row with the tip that came or the fee paid', () => {
    expect(text(render(<RowTip tip={{ amount: '9.5', state: 'received' }} />))).toBe('Tip 9.5 CC');
    expect(text(render(<RowTip tip={{ amount: '0', state: 'pending' }} />))).toBe('Tip');
    expect(text(render(<RowTip tip={{ amount: '10', state: 'paid' }} />))).toBe('Paid 10 CC');
    expect(render(<RowTip tip={{ amount: '10', state: 'refunded' }} />)).toBe('');
    expect(render(<RowTip tip={undefined} />)).toBe('');
  });

  it('offers nothing for our own mail, drafts and email', () => {
    expect(canListSender(fakeMessage('inbox', 1, { from: '0006.1.500' }))).toBe(true);
    expect(canListSender(fakeMessage('archive', 1, { from: '0006.1.500' }))).toBe(true);
    expect(canListSender(fakeMessage('sent', 1, { from: '0006.1.42' }))).toBe(false);
    expect(canListSender(fakeMessage('drafts', 1, { from: '0006.1.42' }))).toBe(false);
    expect(canListSender(fakeMessage('inbox', 1, { from: 'ada@example.org' }))).toBe(false);
    expect(canListSender(fakeMessage('inbox', 1, { from: '0006.1.500', origin: { accountId: '0'.repeat(32), account: 'Mail' } }))).toBe(
      false,
    );
    expect(render(<MessageFees message={fakeMessage('sent', 1, { from: '0006.1.42' })} />)).toBe('');
  });
});
