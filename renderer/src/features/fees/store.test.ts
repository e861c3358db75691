import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../../shared/ipc/errors.js';
import { createFakeRuntime } from '../../test-support/fake-runtime.js';
import { classWords, createFeesStore } from './store.js';
import { lessCc, quoteWords, sendLabel, sumCc, tipsFor, totalOf } from './quote.js';

const unlocked = () => createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });

describe('fee quotes in words and amounts', () => {
  it('says what each kind of inbox costs', () => {
    expect(quoteWords({ address: '0006.1.2', kind: 'free', fee: '0' })).toBe('free');
    expect(quoteWords({ address: '0006.1.2', kind: 'white', fee: '0' })).toBe('free: you are on their white list');
    expect(quoteWords({ address: '0006.1.2', kind: 'fee', fee: '10' })).toBe('10 CC inbox fee');
    expect(quoteWords({ address: '0006.1.2', kind: 'fee', fee: '0' })).toBe('free');
    expect(quoteWords({ address: '0006.1.2', kind: 'default', fee: '10' })).toBe('10 CC inbox fee (their server’s default)');
    expect(quoteWords({ address: '0006.1.2', kind: 'black', fee: '0' })).toBe('refuses your mail: you are on their black list');
    expect(quoteWords({ address: '0006.1.2', kind: 'class', fee: '0', reason: 'they take class 3 and up' })).toBe(
      'refuses your mail: they take class 3 and up',
    );
    expect(quoteWords({ address: '0006.1.2', kind: 'unknown', fee: '0', reason: 'no beacon' })).toBe('fee unknown (no beacon)');
  });

  it('adds amounts exactly and pays only the inboxes that charge', () => {
    expect(sumCc(['0.1', '0.2', '10'])).toBe('10.3');
    expect(sumCc(['0.00000001', '0.99999999'])).toBe('1');
    expect(sumCc([])).toBe('0');
    expect(lessCc('9.99999999', '10')).toBe(true);
    expect(lessCc('10', '10')).toBe(false);
    const quotes = [
      { address: '0006.1.2', kind: 'fee' as const, fee: '0.1' },
      { address: '0006.1.3', kind: 'default' as const, fee: '0.2' },
      { address: '0006.1.4', kind: 'white' as const, fee: '0' },
      { address: '0006.1.5', kind: 'unknown' as const, fee: '0' },
    ];
    expect(tipsFor(quotes)).toEqual([
      { address: '0006.1.2', amount: '0.1' },
      { address: '0006.1.3', amount: '0.2' },
    ]);
    expect(totalOf(quotes)).toBe('0.3');
    expect(sendLabel(quotes)).toBe('Pay 0.3 CC and send');
    expect(sendLabel(quotes.slice(2))).toBe('Send');
    expect(sendLabel(null)).toBe('Send');
    // a registration on a recipient's paid beacon is part of what Send pays, but not of a locker
    const first = [{ address: '0006.1.6', kind: 'fee' as const, fee: '10', registration: { server: 'node 2', fee: '5' } }];
    expect(totalOf(first)).toBe('15');
    expect(sendLabel(first)).toBe('Pay 15 CC and send');
    expect(tipsFor(first)).toEqual([{ address: '0006.1.6', amount: '10' }]);
    expect(sendLabel([{ address: '0006.1.7', kind: 'white' as const, fee: '0', registration: { server: 'node 2', fee: '0.5' } }])).toBe(
      'Pay 0.5 CC and send',
    );
    // nothing is bought for a recipient who refuses our mail anyway
    expect(totalOf([{ address: '0006.1.8', kind: 'black' as const, fee: '0', registration: { server: 'node 2', fee: '5' } }])).toBe('0');
  });

  it('explains class rejection in words', () => {
    expect(classWords(0)).toBe('Take mail from any address');
    expect(classWords(1)).toBe('Only addresses of class 1 and up (worth 10 CC or more)');
    expect(classWords(4)).toBe('Only addresses of class 4 and up (worth 10,000 CC or more)');
  });
});

describe('fees store', () => {
  it('reads the inbox, sets a fee, class rejection and contacts-free, each confirmed', async () => {
    const rt = unlocked();
    const store = createFeesStore(rt);
    store.getState().show();
    await store.getState().load();
    expect(store.getState()).toMatchObject({ open: true, loading: false, settings: { fee: '0', white: [], black: [] } });

    expect(await store.getState().setFee(' 010.50 ')).toBe(true);
    expect(rt.calls.filter((c) => c.channel === 'fees.set').map((c) => c.input)).toEqual([{ fee: '10.5' }]);
    expect(store.getState()).toMatchObject({ settings: { fee: '10.5' }, notice: { kind: 'done', text: 'Your inbox fee is 10.5 CC now.' } });
    expect(await store.getState().setFee('')).toBe(true);
    expect(store.getState().notice?.text).toBe('Your inbox is free now: anyone may write without paying.');

    for (const bad of ['-1', 'ten', '1.123456789', '1e3']) {
      expect(await store.getState().setFee(bad), bad).toBe(false);
      expect(store.getState().error).toMatch(/^Type the fee in CC, 0 or more/);
    }
    expect(rt.calls.filter((c) => c.channel === 'fees.set')).toHaveLength(2);

    expect(await store.getState().setClassRejection(2)).toBe(true);
    expect(await store.getState().setContactsFree(true)).toBe(true);
    expect(rt.inbox).toMatchObject({ fee: '0', classRejection: 2, contactsFree: true });
    expect(store.getState().notice?.text).toBe('Everyone you write to may now write to you free.');
    expect(store.getState().error).toBeNull();
  });

  it('adds typed addresses and directory names to a list, and refuses what is not an address, at its field', async () => {
    const rt = unlocked();
    const store = createFeesStore(rt);
    await store.getState().load();
    expect(await store.getState().addTyped('white', 'ada@example.org')).toBe(false);
    expect(store.getState().fieldError).toEqual({
      list: 'white',
      message: '“ada@example.org” is an email address; QMail sends to QMail addresses (they look like 0006.1.42).',
    });
    expect(await store.getState().addTyped('black', 'Nobody Here')).toBe(false);
    expect(store.getState().fieldError).toMatchObject({ list: 'black', message: expect.stringMatching(/^No one in the directory/) });
    expect(await store.getState().addTyped('white', '  ')).toBe(false);
    expect(rt.calls.some((c) => c.channel === 'fees.list')).toBe(false);

    expect(await store.getState().addTyped('white', 'qmail correspondent, 0006.1.9')).toBe(true);
    expect(store.getState()).toMatchObject({
      fieldError: null,
      settings: { white: ['0006.1.7', '0006.1.9'] },
      notice: { kind: 'done', text: '2 addresses may write to you free now.' },
    });
    // On one list at a time: blocking takes it off the white list.
    expect(await store.getState().add('black', '0006.1.9', 'Mallory')).toBe(true);
    expect(store.getState().settings).toMatchObject({ white: ['0006.1.7'], black: ['0006.1.9'] });
    expect(store.getState().notice?.text).toBe('Mallory (0006.1.9) is blocked: their mail is refused (on your black list).');
    expect(await store.getState().remove('white', '0006.1.7')).toBe(true);
    expect(store.getState().notice?.text).toBe('0006.1.7 pays your inbox fee again (off your white list).');
    expect(store.getState().settings?.white).toEqual([]);
  });

  it('a failed change is a failure notice and the settings stay as they were; a lock forgets them', async () => {
    const rt = unlocked();
    const store = createFeesStore(rt);
    await store.getState().load();
    rt.failNext('fees.list', new ContractError('unavailable', 'Your beacon did not answer.'));
    expect(await store.getState().add('white', '0006.1.7')).toBe(false);
    expect(store.getState()).toMatchObject({
      busy: null,
      error: 'Your beacon did not answer.',
      notice: { kind: 'failed', text: 'Not changed: Your beacon did not answer.' },
      settings: { white: [] },
    });
    rt.failNext('fees.mine', new ContractError('unavailable', 'Inbox fees are not reachable from the app yet.'));
    await store.getState().load();
    expect(store.getState().error).toBe('Your inbox settings could not be read: Inbox fees are not reachable from the app yet.');
    store.getState().reset();
    expect(store.getState()).toMatchObject({ settings: null, notice: null, error: null, open: false });
  });

  it('an older read does not overwrite a change made meanwhile', async () => {
    const rt = unlocked();
    const store = createFeesStore(rt);
    const held = rt.hold('fees.mine');
    const reading = store.getState().load();
    expect(await store.getState().add('white', '0006.1.7')).toBe(true);
    // The read answers with the inbox as it was before the change.
    rt.inbox = { ...rt.inbox, white: [] };
    held.release();
    await reading;
    expect(store.getState().settings?.white).toEqual(['0006.1.7']);
  });
});
