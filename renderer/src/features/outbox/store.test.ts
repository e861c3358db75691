import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../../../shared/ipc/contract.js';
import { createAppStores } from '../../app/stores.js';
import { createFakeRuntime, fakeId } from '../../test-support/fake-runtime.js';
import { pending, progressText } from './store.js';

const item = (extra: Partial<OutboxItem>): OutboxItem => ({ id: fakeId(), to: ['0006.1.7'], subject: 's', state: 'queued', attempts: 0, uploaded: 0, total: 5, createdAt: 1, ...extra });
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
});
