import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContractError } from '../../../shared/ipc/errors.js';
import { backoffDelay, createWebRuntime, type SocketLike } from './web.js';

/** A stand-in for the browser WebSocket that the test drives by hand. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.drop();
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  reply(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const TOKEN = 'tok_0123456789abcdef';
const make = (over: Partial<Parameters<typeof createWebRuntime>[0]> = {}) =>
  createWebRuntime({
    url: 'ws://127.0.0.1:9/ws',
    token: TOKEN,
    createSocket: (u, p) => new FakeSocket(u, p),
    requestTimeoutMs: 1000,
    ...over,
  });
const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('web runtime', () => {
  it('offers the token as a subprotocol and answers a request with the validated value', async () => {
    const rt = make();
    expect(last().protocols).toEqual([`qmail.token.${TOKEN}`]);
    const p = rt.invoke('vault.state', {});
    expect(last().sent).toEqual([]); // not open yet: the request waits
    last().open();
    expect(last().sent).toEqual([{ t: 'req', id: 1, ch: 'vault.state', input: {} }]);
    last().reply({ t: 'res', id: 1, ok: true, value: { state: 'locked', keychain: false } });
    await expect(p).resolves.toEqual({ state: 'locked', keychain: false });
    expect(rt.connection.state).toBe('open');
  });

  it('turns an error frame into a ContractError with its code', async () => {
    const rt = make();
    last().open();
    const p = rt.invoke('vault.unlock', { passphrase: 'nope' });
    last().reply({ t: 'res', id: 1, ok: false, error: { code: 'wrong_passphrase', message: 'wrong' } });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code: 'wrong_passphrase', message: 'wrong' });
  });

  it('rejects an answer that does not match the contract', async () => {
    const rt = make();
    last().open();
    const p = rt.invoke('vault.state', {});
    last().reply({ t: 'res', id: 1, ok: true, value: { state: 'sideways' } });
    await expect(p).rejects.toMatchObject({ code: 'internal' });
  });

  it('times out a request with a clear error naming the channel', async () => {
    const rt = make();
    last().open();
    const p = rt.invoke('mail.folders', {});
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    const err = await caught;
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain('did not answer within 1 s (mail.folders)');
    // a late answer is ignored
    last().reply({ t: 'res', id: 1, ok: true, value: [] });
  });

  it('fails in-flight requests when the socket drops, then reconnects with growing delays', async () => {
    const rt = make({ backoffInitialMs: 100, backoffMaxMs: 350 });
    const states: string[] = [];
    rt.onConnection((i) => states.push(`${i.state}:${i.retryInMs ?? ''}`));
    last().open();
    const p = rt.invoke('mail.folders', {});
    last().drop();
    await expect(p).rejects.toMatchObject({ code: 'unavailable' });
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all).toHaveLength(2);
    last().drop(); // refused again
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(3);
    // A request made while reconnecting is sent once the socket opens.
    const q = rt.invoke('vault.state', {});
    last().open();
    expect(last().sent).toEqual([{ t: 'req', id: 2, ch: 'vault.state', input: {} }]);
    last().reply({ t: 'res', id: 2, ok: true, value: { state: 'unlocked', keychain: true } });
    await expect(q).resolves.toEqual({ state: 'unlocked', keychain: true });
    expect(states).toEqual(['open:', 'reconnecting:100', 'connecting:', 'reconnecting:200', 'connecting:', 'open:']);
  });

  it('delivers valid events and drops malformed ones', () => {
    const rt = make();
    last().open();
    const got: unknown[] = [];
    const off = rt.on('mail.changed', (p) => got.push(p));
    last().reply({ t: 'evt', ch: 'mail.changed', payload: { folders: ['inbox'] } });
    last().reply({ t: 'evt', ch: 'mail.changed', payload: { folders: ['nowhere'] } });
    last().reply({ t: 'evt', ch: 'not.an.event', payload: {} });
    last().onmessage?.({ data: '{not json' });
    off();
    last().reply({ t: 'evt', ch: 'mail.changed', payload: { folders: ['sent'] } });
    expect(got).toEqual([{ folders: ['inbox'] }]);
  });

  it('close() fails waiting requests and stops reconnecting', async () => {
    const rt = make();
    const p = rt.invoke('vault.state', {});
    rt.close();
    await expect(p).rejects.toMatchObject({ code: 'unavailable' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(rt.connection.state).toBe('closed');
  });

  it('caps the backoff', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, 250, 1000))).toEqual([250, 500, 1000, 1000, 1000]);
  });
});
