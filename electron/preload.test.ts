import { describe, expect, it, vi } from 'vitest';
import { ContractError } from '../shared/ipc/index.js';
import { createBridge, EVENT_CHANNEL, REQUEST_CHANNEL_PREFIX } from './preload-bridge.js';

const exposed: Record<string, unknown> = {};
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn() },
}));

describe('preload', () => {
  it('exposes only window.qmail with host, invoke and on — never ipcRenderer', async () => {
    await import('./preload.js');
    expect(Object.keys(exposed)).toEqual(['qmail']);
    expect(Object.keys(exposed.qmail as object).sort()).toEqual(['host', 'invoke', 'on']);
  });

  it('refuses unknown channels and invalid payloads before anything crosses', async () => {
    const invoke = vi.fn(async () => ({ ok: true, value: {} }));
    const bridge = createBridge({ invoke, subscribe: () => () => {} });
    await expect(bridge.invoke('shell.openExternal' as never, {} as never)).rejects.toMatchObject({ code: 'unknown_channel' });
    await expect(bridge.invoke('vault.create', { passphrase: 'short' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(bridge.invoke('mail.get', { id: '../../etc/passwd' })).rejects.toBeInstanceOf(ContractError);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('passes valid calls on their own channel and validates the reply', async () => {
    const invoke = vi.fn(async () => ({ ok: true, value: { state: 'locked', keychain: false } }));
    const bridge = createBridge({ invoke, subscribe: () => () => {} });
    await expect(bridge.invoke('vault.state', {})).resolves.toEqual({ state: 'locked', keychain: false });
    expect(invoke).toHaveBeenCalledWith(REQUEST_CHANNEL_PREFIX + 'vault.state', {});
    invoke.mockResolvedValueOnce({ ok: true, value: { state: 'nonsense' } } as never);
    await expect(bridge.invoke('vault.state', {})).rejects.toMatchObject({ code: 'internal' });
    invoke.mockResolvedValueOnce({ ok: false, error: { code: 'wrong_passphrase', message: 'no' } } as never);
    await expect(bridge.invoke('vault.unlock', { passphrase: 'x' })).rejects.toMatchObject({ code: 'wrong_passphrase', message: 'no' });
  });

  it('delivers only known, well-formed events', () => {
    let push: (ch: unknown, payload: unknown) => void = () => {};
    const subscribe = vi.fn((channel: string, l: typeof push) => {
      expect(channel).toBe(EVENT_CHANNEL);
      push = l;
      return () => {};
    });
    const bridge = createBridge({ invoke: vi.fn(), subscribe });
    const got = vi.fn();
    bridge.on('mail.changed', got);
    push('mail.changed', { folders: ['inbox'] });
    push('mail.changed', { folders: ['nowhere'] });
    push('evil.event', { folders: ['inbox'] });
    expect(got).toHaveBeenCalledTimes(1);
    expect(got).toHaveBeenCalledWith({ folders: ['inbox'] });
  });
});

describe('errors across contextBridge', () => {
  it('carry their code inside the message, the one field that survives the bridge', async () => {
    const { encodeErrorForBridge } = await import('./preload-bridge.js');
    expect(encodeErrorForBridge(new ContractError('wrong_passphrase', 'That passphrase does not unlock this profile.'))).toBe(
      '[wrong_passphrase] That passphrase does not unlock this profile.',
    );
    expect(encodeErrorForBridge(new Error('boom'))).toBe('[internal] boom');
  });
});
