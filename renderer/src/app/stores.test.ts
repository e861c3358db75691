import { describe, expect, it } from 'vitest';
import { rowAt } from '../features/messages/store.js';
import { createFakeRuntime, fakeMessage } from '../test-support/fake-runtime.js';
import { createAppStores } from './stores.js';

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('app stores', () => {
  it('walks a newcomer from no vault to an open, empty inbox', async () => {
    const rt = createFakeRuntime();
    const app = createAppStores(rt);
    await app.vault.getState().check();
    expect(app.vault.getState().status).toBe('absent');
    expect(await app.vault.getState().create('short')).toBe(false);
    expect(app.vault.getState().error?.message).toBe('Use at least 8 characters.');
    expect(await app.vault.getState().create('long enough words')).toBe(true);
    await settle();
    expect(app.vault.getState().status).toBe('unlocked');
    expect(app.folders.getState().loaded).toBe(true);
    expect(app.messages.getState()).toMatchObject({ folder: 'inbox', total: 0, loading: false });
  });

  it('explains a wrong passphrase and opens with the right one', async () => {
    const rt = createFakeRuntime({ vault: { state: 'locked', passphrase: 'the right one' } });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    expect(await app.vault.getState().unlock('the wrong one')).toBe(false);
    expect(app.vault.getState()).toMatchObject({
      status: 'locked',
      error: { code: 'wrong_passphrase', message: 'That passphrase does not open this vault. Check Caps Lock and try again.' },
    });
    expect(await app.vault.getState().unlock('the right one')).toBe(true);
    expect(app.vault.getState()).toMatchObject({ status: 'unlocked', error: null });
  });

  it('opening an unread message marks it read in the list and the folder count', async () => {
    const rt = createFakeRuntime({
      vault: { state: 'unlocked', passphrase: 'x' },
      messages: [fakeMessage('inbox', 0), fakeMessage('inbox', 1)],
    });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    expect(app.folders.getState().folders.find((f) => f.id === 'inbox')?.unread).toBe(2);
    const first = rowAt(app.messages.getState(), 0)!;
    await app.reader.getState().open(first.id);
    expect(app.reader.getState().message).toMatchObject({ id: first.id, body: 'Body 0', unread: false });
    expect(rt.calls).toContainEqual({ channel: 'mail.markRead', input: { id: first.id, unread: false } });
    expect(rowAt(app.messages.getState(), 0)?.unread).toBe(false);
    expect(app.folders.getState().folders.find((f) => f.id === 'inbox')?.unread).toBe(1);
  });

  it('switching folders closes the reader and loads the new folder', async () => {
    const rt = createFakeRuntime({
      vault: { state: 'unlocked', passphrase: 'x' },
      messages: [fakeMessage('inbox', 0), fakeMessage('sent', 1)],
    });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    await app.reader.getState().open(rowAt(app.messages.getState(), 0)!.id);
    app.folders.getState().select('sent');
    await settle();
    expect(app.reader.getState().openId).toBeNull();
    expect(app.messages.getState()).toMatchObject({ folder: 'sent', total: 1 });
  });

  it('a burst of mail.changed events refreshes the folder on screen once', async () => {
    const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });
    const app = createAppStores(rt, { coalesceMs: 5 });
    await app.vault.getState().check();
    await settle();
    const before = rt.calls.length;
    rt.messages.push(fakeMessage('inbox', 0, { subject: 'Just arrived' }));
    for (let i = 0; i < 20; i++) rt.emit('mail.changed', { folders: ['inbox'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(rt.calls.slice(before).map((c) => c.channel)).toEqual(['mail.folders', 'mail.list']);
    expect(rowAt(app.messages.getState(), 0)?.subject).toBe('Just arrived');
    expect(app.folders.getState().folders.find((f) => f.id === 'inbox')?.total).toBe(1);
  });

  it('locking drops every message from memory', async () => {
    const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, messages: [fakeMessage('inbox', 0)] });
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    await app.reader.getState().open(rowAt(app.messages.getState(), 0)!.id);
    app.composer.getState().openNew();
    app.composer.getState().setField('body', 'secret');
    await app.vault.getState().lock();
    expect(app.vault.getState().status).toBe('locked');
    expect(app.messages.getState()).toMatchObject({ folder: null, total: 0 });
    expect(app.messages.getState().pages.size).toBe(0);
    expect(app.reader.getState().message).toBeNull();
    expect(app.composer.getState()).toMatchObject({ open: false, body: '' });
    app.dispose();
  });
});
