import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../shared/bytes/index.js';
import { createDispatcher, requests, type Handlers, type RequestName, type RequestOutput } from '../../../shared/ipc/index.js';
import { openDatabase } from '../../store/database.js';
import { SecretBox } from '../../store/secret-box.js';
import { TEST_KDF, tempDir } from '../../../tests/support/tmp.js';
import type { ConnectionPool } from '../net/transport.js';
import { ChipClient, type FindVerdict, type Verdict } from '../wallet/client.js';
import { createAppServices } from './services.js';
import { walletHandlers, type WalletChips } from './wallet.js';
import type { CoinAn, CoinAnPan } from '../../../shared/chips/index.js';

const tmp = tempDir('qmail-wallet-handlers-');
afterAll(() => tmp.remove());

const SERVERS = 5;
const MINT_KEY = toHex(new Uint8Array(randomBytes(16)));

/** Five coin servers in memory, each keeping one AN per coin: mint sets it, pown checks it and replaces it. */
class FakeServers extends ChipClient {
  readonly ans = Array.from({ length: SERVERS }, () => new Map<string, string>());
  constructor(pool: ConnectionPool, endpoints: ConstructorParameters<typeof ChipClient>[1]) {
    super(pool, endpoints);
  }
  override mintOn(i: number, key: Uint8Array, coins: readonly CoinAn[]): Promise<Verdict[]> {
    if (toHex(key) !== MINT_KEY) return Promise.resolve(coins.map(() => 'f'));
    for (const c of coins) this.ans[i]!.set(`${c.denomination}.${c.serial}`, toHex(c.an));
    return Promise.resolve(coins.map(() => 'p'));
  }
  /** Servers whose answers are lost on the way back (the pown still happens there). */
  readonly lostAnswers = new Set<number>();
  /** Servers nobody reaches. */
  readonly down = new Set<number>();
  override pownOn(i: number, coins: readonly CoinAnPan[]): Promise<Verdict[]> {
    if (this.down.has(i)) return Promise.resolve(coins.map(() => 'n'));
    const v = coins.map((c): Verdict => {
      const k = `${c.denomination}.${c.serial}`;
      if (this.ans[i]!.get(k) !== toHex(c.an)) return 'f';
      this.ans[i]!.set(k, toHex(c.pan));
      return 'p';
    });
    return Promise.resolve(this.lostAnswers.has(i) ? v.map(() => 'n') : v);
  }
  override findOn(i: number, coins: readonly CoinAnPan[]): Promise<FindVerdict[]> {
    if (this.down.has(i)) return Promise.resolve(coins.map(() => 'n'));
    return Promise.resolve(
      coins.map((c) => {
        const held = this.ans[i]!.get(`${c.denomination}.${c.serial}`);
        return held === toHex(c.an) ? 'an' : held === toHex(c.pan) ? 'pan' : 'neither';
      }),
    );
  }
}

let profiles = 0;
function wallet(chips: WalletChips, servers?: FakeServers) {
  const db = openDatabase(join(tmp.path, `w${profiles++}.db`));
  const box = new SecretBox(randomBytes(32));
  let shared = servers;
  const handlers = walletHandlers({
    db,
    box: () => box,
    chips,
    client: (pool, endpoints) => (shared ??= new FakeServers(pool, endpoints)),
  });
  const dispatch = createDispatcher(handlers as Handlers);
  const call = async <K extends RequestName & `wallet.${string}`>(channel: K, input: unknown = {}): Promise<RequestOutput<K>> => {
    const r = await dispatch(channel, input);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.value as RequestOutput<K>;
  };
  const fails = (channel: RequestName, input: unknown = {}) =>
    dispatch(channel, input).then((r) => (r.ok ? { code: 'ok', message: '' } : r.error));
  return { call, fails, servers: () => shared! };
}

const networkFile = join(tmp.path, 'network.json');
writeFileSync(
  networkFile,
  JSON.stringify({ nodes: Array.from({ length: SERVERS }, (_, i) => ({ host: '127.0.0.1', port: 1 + i, raidaId: i })) }),
);
const TEST_NET: WalletChips = { networkFile, mintKey: MINT_KEY };

describe('wallet requests', () => {
  it('funds with labelled test money, shows balance, coins and history without ANs, and exports an exact amount', async () => {
    const w = wallet(TEST_NET);
    expect(await w.call('wallet.balance')).toEqual({ total: '0', test: '0', limbo: 0, byDenomination: [], testNetwork: true });

    expect(await w.call('wallet.fund')).toEqual({ accepted: 145, rejected: 0, limbo: 0, amount: '100' });
    const b = await w.call('wallet.balance');
    expect(b).toMatchObject({ total: '100', test: '100', limbo: 0 });
    expect(b.byDenomination).toEqual([
      { denomination: 1, value: '10', coins: 5 },
      { denomination: 0, value: '1', coins: 40 },
      { denomination: -1, value: '0.1', coins: 100 },
    ]);
    const coins = await w.call('wallet.coins');
    expect(coins.total).toBe(145);
    for (const c of coins.items) expect(Object.keys(c).sort()).toEqual(['denomination', 'serial', 'state', 'test', 'value']);
    // Nothing of what crosses to the renderer holds a server's AN.
    const known = w.servers().ans.flatMap((m) => [...m.values()]);
    const seen = JSON.stringify([b, coins, await w.call('wallet.history')]);
    for (const an of known) expect(seen).not.toContain(an);

    const out = await w.call('wallet.export', { amount: '12.5' });
    expect(out).toMatchObject({ amount: '12.5', coins: 8, name: '12.5.CloudCoin.bin' });
    const file = Buffer.from(out.data!, 'base64');
    expect(file.length).toBe(out.bytes);
    expect(file[0]).toBe(9);
    expect((await w.call('wallet.balance')).total).toBe('87.5');
    const history = await w.call('wallet.history', { limit: 10 });
    expect(history.map((h) => [h.kind, h.amount, h.coins, h.test])).toEqual([
      ['exported', '12.5', 8, true],
      ['minted', '100', 145, true],
    ]);

    // Another wallet on the same servers takes the file; importing it twice yields nothing new.
    const other = wallet(TEST_NET, w.servers());
    expect(await other.call('wallet.import', { data: out.data })).toEqual({ accepted: 8, rejected: 0, limbo: 0, amount: '12.5' });
    expect(await other.call('wallet.balance')).toMatchObject({ total: '12.5', test: '12.5' });
    // The first owner's ANs no longer pass: the coins moved.
    expect(await w.call('wallet.import', { data: out.data })).toMatchObject({ accepted: 0, rejected: 8 });
  });

  it('settles coins whose pown answers were lost: at once when it can, else on the next request that reaches the servers', async () => {
    const endpoints = Array.from({ length: SERVERS }, (_, i) => ({ host: '127.0.0.1', port: 1 + i, raidaId: i }));
    const servers = new FakeServers({} as ConnectionPool, endpoints);
    // Three of five answers lost: no majority heard, though every server took the pown.
    for (const i of [0, 1, 2]) servers.lostAnswers.add(i);
    const w = wallet(TEST_NET, servers);
    expect(await w.call('wallet.fund')).toEqual({ accepted: 145, rejected: 0, limbo: 0, amount: '100' });
    expect(await w.call('wallet.balance')).toMatchObject({ total: '100', limbo: 0 });

    // Three servers out of reach: two passes are no majority, so the coins wait in limbo...
    servers.lostAnswers.clear();
    const v = wallet(TEST_NET, servers);
    for (const i of [0, 1, 2]) servers.down.add(i);
    const first = await v.call('wallet.fund');
    expect(first).toMatchObject({ accepted: 0, rejected: 0, limbo: 145 });
    expect(await v.call('wallet.balance')).toMatchObject({ total: '0', limbo: 145 });
    // ...and the next request that speaks to them settles them before doing its own work.
    servers.down.clear();
    expect(await v.call('wallet.export', { amount: '1' })).toMatchObject({ amount: '1' });
    expect(await v.call('wallet.balance')).toMatchObject({ total: '99', limbo: 0 });
    expect((await v.call('wallet.history', { limit: 500 })).filter((e) => e.kind === 'recovered')).toHaveLength(145);
  });

  it('writes an export to a path as 0600, and loses nothing when the path cannot be written', async () => {
    const w = wallet(TEST_NET);
    await w.call('wallet.fund');
    const to = join(tmp.path, 'out.bin');
    const out = await w.call('wallet.export', { amount: '1.3', to });
    expect(out).toMatchObject({ amount: '1.3', path: to });
    expect(out.data).toBeUndefined();
    expect(readFileSync(to).length).toBe(out.bytes);
    expect(statSync(to).mode & 0o777).toBe(0o600);
    expect(await w.fails('wallet.export', { amount: '1', to: join(tmp.path, 'no', 'such', 'dir', 'x.bin') })).toMatchObject({
      code: 'invalid_input',
    });
    expect((await w.call('wallet.balance')).total).toBe('98.7');
    // And a path import reads the file back (the coins left this wallet, so on the servers they are still the file's).
    expect(await w.call('wallet.import', { path: to })).toMatchObject({ accepted: 4, amount: '1.3' });
    const real = wallet({ networkFile }, w.servers());
    await w.call('wallet.export', { amount: '2', to });
    expect(await real.call('wallet.import', { path: to })).toMatchObject({ accepted: 2 });
    expect(await real.call('wallet.balance')).toMatchObject({ total: '2', test: '0' });
  });

  it('answers hostile or impossible requests with a typed error', async () => {
    const w = wallet(TEST_NET);
    for (const amount of ['1e3', '-1', '0.000000001', '', '1'.repeat(16), 5])
      expect(await w.fails('wallet.export', { amount }), String(amount)).toMatchObject({ code: 'invalid_input' });
    expect(await w.fails('wallet.export', { amount: '0' })).toMatchObject({ code: 'invalid_input', message: /more than 0/ });
    expect(await w.fails('wallet.export', { amount: '5' })).toMatchObject({ code: 'invalid_input', message: /holds 0 CC/ });
    expect(await w.fails('wallet.import', {})).toMatchObject({ code: 'invalid_input' });
    expect(await w.fails('wallet.import', { data: 'AAAA', path: '/x' })).toMatchObject({ code: 'invalid_input' });
    expect(await w.fails('wallet.import', { data: 'A'.repeat(1_500_000) })).toMatchObject({ code: 'invalid_input' });
    expect(await w.fails('wallet.import', { data: Buffer.from('not a coin file at all').toString('base64') })).toMatchObject({
      code: 'invalid_input',
      message: /not a coin file/,
    });
    expect(await w.fails('wallet.import', { path: join(tmp.path, 'missing.bin') })).toMatchObject({ code: 'not_found' });
    expect(await w.fails('wallet.import', { path: tmp.path })).toMatchObject({ code: 'invalid_input' });
    expect(await w.fails('wallet.history', { limit: 100_000 })).toMatchObject({ code: 'invalid_input' });
    expect(await w.fails('wallet.balance', { extra: 1 })).toMatchObject({ code: 'invalid_input' });

    // No mint on a real network, no coin servers without one.
    const real = wallet({ networkFile });
    expect((await real.call('wallet.balance')).testNetwork).toBe(false);
    expect(await real.fails('wallet.fund')).toMatchObject({ code: 'unavailable', message: /test network/ });
    const none = wallet({});
    expect(await none.fails('wallet.fund')).toMatchObject({ code: 'unavailable', message: /without a network/ });
    expect(await none.call('wallet.balance')).toMatchObject({ total: '0' });
  });

  it('asks for the vault first', async () => {
    const app = createAppServices({
      profileDir: join(tmp.path, 'app'),
      host: 'web',
      version: 'test',
      kdf: TEST_KDF,
      autoStart: false,
      chips: TEST_NET,
    });
    try {
      const dispatch = createDispatcher(app.handlers);
      expect(await dispatch('wallet.balance', {})).toMatchObject({ ok: false, error: { code: 'vault_absent' } });
      await app.handlers['vault.create']({ passphrase: 'correct horse battery' });
      expect(await dispatch('wallet.balance', {})).toMatchObject({ ok: true, value: { total: '0', testNetwork: true } });
      await app.handlers['vault.lock']({});
      expect(await dispatch('wallet.fund', {})).toMatchObject({ ok: false, error: { code: 'locked' } });
    } finally {
      app.close();
    }
    expect(
      Object.keys(requests)
        .filter((k) => k.startsWith('wallet.'))
        .sort(),
    ).toEqual(['wallet.balance', 'wallet.coins', 'wallet.export', 'wallet.fund', 'wallet.history', 'wallet.import']);
  });
});
