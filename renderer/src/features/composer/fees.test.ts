// The composer and inbox fees: what each recipient charges is asked as they are entered (a
// stale answer dropped), Send pays exactly the fees shown, a refusing recipient stops it, and a
// fee that is not covered leaves the message in the composer and in Drafts.
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../../shared/ipc/errors.js';
import { createFakeRuntime } from '../../test-support/fake-runtime.js';
import { createComposerStore } from './store.js';

const STRANGER = '0006.1.500';
const FRIEND = '0006.1.501';
const ENEMY = '0006.1.502';

function setup() {
  const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });
  rt.feeQuotes = {
    [STRANGER]: { kind: 'fee', fee: '10' },
    [FRIEND]: { kind: 'white', fee: '0' },
    [ENEMY]: { kind: 'black', fee: '0', reason: 'you are on their black list' },
  };
  rt.walletTotal = '100';
  const store = createComposerStore(rt);
  store.getState().openNew();
  store.getState().setField('subject', 'Hello');
  store.getState().setField('body', 'Words worth paying for');
  return { rt, store };
}

const sendInput = (rt: ReturnType<typeof setup>['rt']) => rt.calls.filter((c) => c.channel === 'mail.send').map((c) => c.input);

describe('composer inbox fees', () => {
  it('asks each recipient’s fee and the balance, and Send pays exactly the fees shown', async () => {
    const { rt, store } = setup();
    store.getState().setField('to', `Stranger <${STRANGER}>, ${FRIEND}`);
    store.getState().setField('cc', '0006.1.503');
    await store.getState().checkFees();
    expect(rt.calls.find((c) => c.channel === 'fees.quote')?.input).toEqual({ to: [STRANGER, FRIEND, '0006.1.503'] });
    expect(store.getState()).toMatchObject({
      quotes: [
        { address: STRANGER, kind: 'fee', fee: '10' },
        { address: FRIEND, kind: 'white', fee: '0' },
        { address: '0006.1.503', kind: 'free', fee: '0' },
      ],
      quotedFor: `${STRANGER},${FRIEND},0006.1.503`,
      balance: '100',
      quoting: false,
    });
    const item = await store.getState().send();
    expect(item).not.toBeNull();
    expect(sendInput(rt)).toEqual([expect.objectContaining({ tips: [{ address: STRANGER, amount: '10' }] })]);
    expect(rt.walletTotal).toBe('90');
    expect(store.getState().open).toBe(false);
  });

  it('drops an answer that came back after the recipients changed', async () => {
    const { rt, store } = setup();
    store.getState().setField('to', STRANGER);
    const held = rt.hold('fees.quote');
    const stale = store.getState().checkFees();
    store.getState().setField('to', FRIEND);
    const fresh = store.getState().checkFees();
    held.release();
    await Promise.all([stale, fresh]);
    expect(store.getState().quotes).toEqual([{ address: FRIEND, kind: 'white', fee: '0' }]);
    expect(store.getState().quotedFor).toBe(FRIEND);
  });

  it('does not pay a fee that was never on screen: a Send before the fees were shown stops and shows them', async () => {
    const { rt, store } = setup();
    store.getState().setField('to', STRANGER);
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().error).toBe('These inboxes charge 10 CC (see each recipient above): press Pay 10 CC and send to pay it.');
    expect(store.getState().quotes).toEqual([{ address: STRANGER, kind: 'fee', fee: '10' }]);
    expect(sendInput(rt)).toEqual([]);
    // Shown now: the second Send pays.
    expect(await store.getState().send()).not.toBeNull();
    expect(sendInput(rt)).toEqual([expect.objectContaining({ tips: [{ address: STRANGER, amount: '10' }] })]);
  });

  it('refuses to send while a recipient refuses our mail, naming them; sends once they are removed', async () => {
    const { rt, store } = setup();
    store.getState().setField('to', `${ENEMY}, ${FRIEND}`);
    await store.getState().checkFees();
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().error).toBe(`${ENEMY} refuses your mail: remove them to send.`);
    expect(sendInput(rt)).toEqual([]);
    store.getState().setField('to', FRIEND);
    expect(await store.getState().send()).not.toBeNull();
    expect(sendInput(rt)).toEqual([expect.objectContaining({ to: [FRIEND], tips: [] })]);
  });

  it('a fee not covered is said plainly; nothing is paid, the message stays open and is kept as a draft, and the fees are asked again', async () => {
    const { rt, store } = setup();
    rt.walletTotal = '4';
    store.getState().setField('to', STRANGER);
    await store.getState().checkFees();
    expect(store.getState().balance).toBe('4');
    const quotesAsked = rt.calls.filter((c) => c.channel === 'fees.quote').length;
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().error).toBe(
      'Not sent, nothing was paid: The wallet holds 4 CC, less than the 10 CC these inboxes charge. Your message is kept as a draft. Check the fees and send again.',
    );
    expect(store.getState()).toMatchObject({ open: true, to: STRANGER, body: 'Words worth paying for', sending: false });
    expect(rt.walletTotal).toBe('4');
    expect(rt.messages).toEqual([expect.objectContaining({ folder: 'drafts', to: [STRANGER], body: 'Words worth paying for' })]);
    expect(rt.calls.filter((c) => c.channel === 'fees.quote').length).toBe(quotesAsked + 1);

    // The stranger raised the fee meanwhile: the main process refuses what was offered; the new fee is shown.
    rt.walletTotal = '100';
    rt.feeQuotes[STRANGER] = { kind: 'fee', fee: '12.5' };
    rt.failNext('mail.send', new ContractError('fee_not_covered', `${STRANGER} charges 12.5 CC and 10 CC was offered`));
    store.setState({ quotes: [{ address: STRANGER, kind: 'fee', fee: '10' }] });
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().error).toMatch(/^Not sent, nothing was paid: 0006\.1\.500 charges 12\.5 CC and 10 CC was offered\. /);
    expect(store.getState().quotes).toEqual([{ address: STRANGER, kind: 'fee', fee: '12.5' }]);
    expect(await store.getState().send()).not.toBeNull();
    expect(sendInput(rt).at(-1)).toMatchObject({ tips: [{ address: STRANGER, amount: '12.5' }] });
  });

  it('fees that cannot be read say why for each recipient, and Send offers nothing', async () => {
    const { rt, store } = setup();
    store.getState().setField('to', `${STRANGER}, ${FRIEND}`);
    rt.failNext('fees.quote', new ContractError('unavailable', 'Inbox fees are not reachable from the app yet.'));
    await store.getState().checkFees();
    expect(store.getState().quotes).toEqual([
      { address: STRANGER, kind: 'unknown', fee: '0', reason: 'Inbox fees are not reachable from the app yet.' },
      { address: FRIEND, kind: 'unknown', fee: '0', reason: 'Inbox fees are not reachable from the app yet.' },
    ]);
    expect(await store.getState().send()).toBeNull();
    expect(sendInput(rt)).toEqual([expect.objectContaining({ tips: [] })]);
    // The fake's stranger does charge: the main process refuses the Send and the composer says so.
    expect(store.getState().error).toMatch(/^Not sent, nothing was paid: 0006\.1\.500 charges 10 CC and 0 CC was offered\./);
  });

  it('forgets the fees with the message', async () => {
    const { store } = setup();
    store.getState().setField('to', STRANGER);
    await store.getState().checkFees();
    store.getState().discard();
    expect(store.getState()).toMatchObject({ quotes: null, quotedFor: '', balance: null });
    store.getState().openNew();
    await store.getState().checkFees();
    expect(store.getState().quotes).toBeNull();
  });
});
