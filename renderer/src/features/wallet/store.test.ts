import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../../shared/ipc/errors.js';
import { requests, type RequestName } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { createWalletStore } from './store.js';

/** A wallet behind the contract: both sides checked against its schemas; the total moves as the main process would move it. */
function walletRuntime(o: { testNetwork?: boolean } = {}) {
  const calls: { channel: RequestName; input: Record<string, unknown> }[] = [];
  let total = 0;
  const runtime: Runtime = {
    host: 'web',
    async invoke(channel, raw) {
      const input = requests[channel].input.parse(raw) as Record<string, unknown>;
      calls.push({ channel, input });
      let out: unknown;
      if (channel === 'wallet.balance')
        out = {
          total: String(total),
          test: String(total),
          limbo: 0,
          byDenomination: total ? [{ denomination: 0, value: '1', coins: total }] : [],
          testNetwork: !!o.testNetwork,
        };
      else if (channel === 'wallet.coins') out = { total: 0, items: [] };
      else if (channel === 'wallet.history') out = [];
      else if (channel === 'wallet.fund') {
        if (!o.testNetwork) throw new ContractError('unavailable', 'Only a test network has a mint.');
        total += 100;
        out = { accepted: 100, rejected: 0, limbo: 0, amount: '100' };
      } else if (channel === 'wallet.export') {
        const amount = Number(input.amount);
        if (amount > total) throw new ContractError('invalid_input', `The wallet holds ${total} CC, less than ${amount}.`);
        total -= amount;
        out = {
          amount: input.amount,
          coins: amount,
          bytes: 32 + 407 * amount,
          name: `${amount}.CloudCoin.bin`,
          data: Buffer.from([9, 1, 0, 6]).toString('base64'),
        };
      } else if (channel === 'wallet.import') out = { accepted: 0, rejected: 2, limbo: 0, amount: '0' };
      else throw new Error(`unexpected ${channel}`);
      return requests[channel].output.parse(out) as never;
    },
    on: () => () => undefined,
  };
  return { runtime, calls };
}

const file = (bytes: number[], name = 'coins.bin') => ({ name, size: bytes.length, arrayBuffer: async () => new Uint8Array(bytes).buffer });

describe('wallet store', () => {
  it('gets test Chips, shows the new balance, exports an amount as a file and the balance drops', async () => {
    const { runtime } = walletRuntime({ testNetwork: true });
    const store = createWalletStore(runtime);
    await store.getState().load();
    expect(store.getState().balance).toMatchObject({ total: '0', testNetwork: true });
    expect(await store.getState().fund()).toBe(true);
    expect(store.getState().done).toMatch(/100 CC of test Chips \(test money, not real\)/);
    await store.getState().load();
    expect(store.getState().balance?.total).toBe('100');
    const f = await store.getState().exportAmount(' 3 ');
    expect(f).toMatchObject({ name: '3.CloudCoin.bin', amount: '3' });
    expect([...new Uint8Array(await f!.blob!.arrayBuffer())]).toEqual([9, 1, 0, 6]);
    await store.getState().load();
    expect(store.getState().balance?.total).toBe('97');
    expect(store.getState().busy).toBeNull();
  });

  it('shows errors from the main process and refuses bad amounts and oversized files before asking', async () => {
    const { runtime, calls } = walletRuntime();
    const store = createWalletStore(runtime);
    expect(await store.getState().fund()).toBe(false);
    expect(store.getState().error).toBe('Only a test network has a mint.');
    expect(await store.getState().exportAmount('5')).toBeNull();
    expect(store.getState().error).toMatch(/holds 0 CC/);

    await new Promise((r) => setTimeout(r, 0));
    const asked = calls.length;
    for (const bad of ['', '0', '0.00', '1e3', '-2', '1.123456789', 'ten']) {
      expect(await store.getState().exportAmount(bad), bad).toBeNull();
      expect(store.getState().error).toMatch(/amount in CC greater than 0/);
    }
    expect(
      await store.getState().importFile({ name: 'big.bin', size: (1 << 20) + 1, arrayBuffer: () => Promise.reject(new Error('not read')) }),
    ).toBe(false);
    expect(store.getState().error).toMatch(/big\.bin is not a coin file/);
    expect(await store.getState().importFile(file([]))).toBe(false);
    expect(calls.length).toBe(asked);

    // A file whose coins are all refused says so.
    expect(await store.getState().importFile(file([9, 1, 0, 6]))).toBe(false);
    expect(calls.filter((c) => c.channel === 'wallet.import')).toEqual([
      { channel: 'wallet.import', input: { data: Buffer.from([9, 1, 0, 6]).toString('base64') } },
    ]);
    expect(store.getState()).toMatchObject({ error: 'Nothing in coins.bin could be taken.', done: expect.stringMatching(/2 refused/) });
  });
});
