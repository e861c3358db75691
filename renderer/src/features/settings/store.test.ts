import { describe, expect, it } from 'vitest';
import { requests, type QkdSettingsState, type RequestName } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { createSettingsStore } from './store.js';

const LOCAL = '/profile/network/kme/kme.json';

/** Answers the KME settings channels the way the main process does, checking both sides against the contract. */
function kmeRuntime(localKme?: string) {
  const calls: { channel: RequestName; input: unknown }[] = [];
  let state: QkdSettingsState = { configured: false };
  const withLocal = (s: QkdSettingsState) => (localKme ? { ...s, localKme: { path: localKme } } : s);
  const runtime: Runtime = {
    host: 'web',
    async invoke(channel, raw) {
      calls.push({ channel, input: raw });
      const input = requests[channel].input.parse(raw) as Record<string, unknown>;
      let out: unknown;
      if (channel === 'qkd.settings.get') out = withLocal(state);
      else if (channel === 'qkd.settings.set') {
        const imp = input.import as { path: string; side: 'A' | 'B' } | undefined;
        if (imp)
          state = {
            configured: true,
            settings: {
              url: 'https://127.0.0.1:8443',
              saeId: `SAE_${imp.side}`,
              defaultPeerSaeId: 'SAE_B',
              peers: {},
              certFile: 'a.pem',
              keyFile: 'a.key',
              caFile: 'ca.pem',
            },
          };
        out = withLocal(state);
      } else throw new Error(`unexpected ${channel}`);
      return requests[channel].output.parse(out) as never;
    },
    on: () => () => undefined,
  };
  return { runtime, calls };
}

describe('KME settings store', () => {
  it('imports side A of the local test KME in one step when the app runs the local network', async () => {
    const { runtime, calls } = kmeRuntime(LOCAL);
    const store = createSettingsStore(runtime);
    await store.getState().load();
    expect(store.getState().state?.localKme).toEqual({ path: LOCAL });
    expect(await store.getState().useLocalKme()).toBe(true);
    expect(calls.at(-1)).toEqual({ channel: 'qkd.settings.set', input: { import: { path: LOCAL, side: 'A' } } });
    expect(store.getState()).toMatchObject({
      saved: 'Using the local test KME (side A).',
      error: null,
      state: { configured: true, settings: { saeId: 'SAE_A' } },
    });
  });

  it('says so when there is no local test KME, and asks nothing', async () => {
    const { runtime, calls } = kmeRuntime();
    const store = createSettingsStore(runtime);
    await store.getState().load();
    expect(store.getState().state?.localKme).toBeUndefined();
    expect(await store.getState().useLocalKme()).toBe(false);
    expect(calls.map((c) => c.channel)).toEqual(['qkd.settings.get']);
    expect(store.getState().error).toMatch(/not running the local test network/);
  });
});
