import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../../../shared/ipc/contract.js';
import { createAppStores } from '../../app/stores.js';
import { createFakeRuntime, fakeId } from '../../test-support/fake-runtime.js';
import { noticeFor, pending, progressText } from './store.js';

const item = (extra: Partial<OutboxItem>): OutboxItem => ({
  id: fakeId(),
  to: ['0006.1.7'],
  subject: 's',
  state: 'queued',
  attempts: 0,
  uploaded: 0,
  total: 5,
  createdAt: 1,
  ...extra,
});
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('outbox', () => {
  it('words the progress of each state', () => {
    expect(progressText(item({ state: 'sending', uploaded: 3, total: 5 }))).toBe('Sending: 3 of 5 stripes stored');
    expect(progressText(item({ state: 'failed', error: 'no server answered' }))).toBe('Not sent: no server answered');
    expect(progressText(item({ state: 'queued', attempts: 2 }))).toBe('Waiting to try again (attempt 3)');
    expect(pending([item({ state: 'sent' }), item({ state: 'failed', createdAt: 2 })]).map((i) => i.state)).toEqual(['failed']);
  });

  it('follows outbox.changed while unlocked, and retries a failed item', async () => {
    const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, identity: { state: 'ready', address: '0006.1.42' } });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    expect(app.identity.getState().status).toBe('ready');
    const failed = item({ state: 'failed', error: 'boom' });
    rt.outbox.push(failed);
    rt.emit('outbox.changed', { items: [failed] });
    expect(app.outbox.getState().items).toEqual([failed]);
    await app.outbox.getState().retry(failed.id);
    expect(app.outbox.getState().items[0]).toMatchObject({ id: failed.id, state: 'queued', attempts: 1 });
    await app.vault.getState().lock();
    expect(app.outbox.getState().items).toEqual([]);
    rt.emit('outbox.changed', { items: [failed] });
    expect(app.outbox.getState().items).toEqual([]);
  });

  it('says how a message sent from this window went: Sending…, then Sent to … or why not', async () => {
    const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, identity: { state: 'ready', address: '0006.1.42' } });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    app.composer.getState().openNew();
    app.composer.getState().setField('to', '0006.1.7');
    app.composer.getState().setField('subject', 'Hello');
    const queued = await app.composer.getState().send();
    expect(app.outbox.getState().notice).toEqual({ id: queued!.id, kind: 'sending', text: 'Sending “Hello” to 0006.1.7…' });
    const sent = {
      ...queued!,
      state: 'sent' as const,
      recipients: [{ address: '0006.1.7', name: 'QMail Correspondent', state: 'delivered' as const }],
    };
    // Other items settling say nothing.
    rt.emit('outbox.changed', { items: [], settled: item({ state: 'sent', subject: 'not mine' }) });
    expect(app.outbox.getState().notice?.kind).toBe('sending');
    rt.emit('outbox.changed', { items: [], settled: sent });
    expect(app.outbox.getState().notice).toEqual({ id: queued!.id, kind: 'sent', text: 'Sent to QMail Correspondent: “Hello”' });
    expect(
      noticeFor(
        item({
          state: 'failed',
          subject: 'x',
          error: 'e',
          recipients: [
            { address: '0006.1.7', state: 'delivered' },
            { address: '0006.1.9', state: 'failed', reason: 'no beacon' },
          ],
        }),
      ).text,
    ).toBe('Not sent to 0006.1.9: no beacon. It waits in the outbox (Retry, or Edit).');
  });

  it('Cancel puts the message back in Drafts; Edit opens it in the composer', async () => {
    const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, identity: { state: 'ready', address: '0006.1.42' } });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    const a = item({ state: 'failed', subject: 'First' });
    const b = item({ state: 'queued', subject: 'Second' });
    rt.outbox.push(a, b);
    rt.emit('outbox.changed', { items: [a, b] });
    const draftId = await app.outbox.getState().cancel(a.id);
    expect(rt.messages.find((m) => m.id === draftId)).toMatchObject({ folder: 'drafts', subject: 'First' });
    expect(app.outbox.getState().items.map((i) => i.id)).toEqual([b.id]);
    expect(app.outbox.getState().notice?.text).toBe('“First” is back in Drafts, not sent.');
    expect(await app.outbox.getState().edit(b.id)).toBe(true);
    expect(app.composer.getState()).toMatchObject({ open: true, subject: 'Second' });
    expect(app.composer.getState().draftId).toBe(rt.messages.find((m) => m.subject === 'Second' && m.folder === 'drafts')!.id);
  });
});
