import { describe, expect, it } from 'vitest';
import { createFakeRuntime } from '../test-support/fake-runtime.js';
import { createNotifier, type NotificationApi } from './notifications.js';

function fakeApi(permission: 'default' | 'granted' | 'denied') {
  const shown: { title: string; body?: string }[] = [];
  let asks = 0;
  class N {
    static permission = permission;
    static async requestPermission() {
      asks++;
      N.permission = 'granted';
      return N.permission;
    }
    onclick: ((this: unknown, ev: Event) => unknown) | null = null;
    constructor(title: string, o?: { body?: string }) {
      shown.push({ title, body: o?.body });
    }
    close() {}
  }
  return { api: N as unknown as NotificationApi, shown, asks: () => asks };
}

describe('desktop notifications', () => {
  it('asks permission once and notifies only while the window is not focused', async () => {
    const rt = createFakeRuntime();
    const f = fakeApi('default');
    let focused = true;
    const n = createNotifier(rt, { api: f.api, isFocused: () => focused });
    await n.requestPermission();
    await n.requestPermission();
    expect(f.asks()).toBe(1);
    rt.emit('mail.received', { id: 'a'.repeat(32), from: 'Ada <0006.1.7>', subject: 'Hi' });
    expect(f.shown).toEqual([]);
    focused = false;
    rt.emit('mail.received', { id: 'a'.repeat(32), from: 'Ada <0006.1.7>', subject: 'Hi' });
    rt.emit('notify', { level: 'warning', title: 'Beacon slow', body: 'Retrying' });
    expect(f.shown).toEqual([
      { title: 'New qmail from Ada', body: 'Hi' },
      { title: 'Beacon slow', body: 'Retrying' },
    ]);
    n.dispose();
    rt.emit('notify', { level: 'info', title: 'x', body: 'y' });
    expect(f.shown).toHaveLength(2);
  });

  it('stays quiet when permission was denied', () => {
    const rt = createFakeRuntime();
    const f = fakeApi('denied');
    createNotifier(rt, { api: f.api, isFocused: () => false });
    rt.emit('mail.received', { id: 'a'.repeat(32), from: '0006.1.7', subject: 'Hi' });
    expect(f.shown).toEqual([]);
  });
});
