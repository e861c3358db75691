import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../../shared/ipc/errors.js';
import { requests, type RequestName, type ServerInfo } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { createServerPickerStore, layoutFacts, shownServers } from './store.js';

const id = (n: number) => n.toString(16).padStart(32, '0');
function server(
  n: number,
  name: string,
  price: number,
  latencyMs: number | null,
  uptime: number,
  extra: Partial<ServerInfo> = {},
): ServerInfo {
  return {
    nodeId: id(n),
    name,
    host: '127.0.0.1',
    port: 4000 + n,
    pricePerMbMonth: price,
    inboxFeeCut: 0.1,
    maxAttachmentBytes: 1 << 20,
    jurisdiction: n % 2 ? 'CH' : 'DE',
    location: 'x',
    uptimeSeconds: 100,
    protocol: 'QMail/1.0',
    latencyMs,
    uptime,
    hireRequired: true,
    hired: false,
    beacon: false,
    ...extra,
  };
}

/** The market behind the contract, both sides checked against its schemas; prices in units as the main process counts them. */
function marketRuntime(list: ServerInfo[], wallet = 100) {
  const calls: { channel: RequestName; input: Record<string, unknown> }[] = [];
  let total = wallet;
  const runtime: Runtime = {
    host: 'web',
    async invoke(channel, raw) {
      const input = requests[channel].input.parse(raw) as Record<string, unknown>;
      calls.push({ channel, input });
      let out: unknown;
      const term = input.term as { months: number; quotaMb: number } | undefined;
      const due = (ids: string[]) => list.filter((s) => ids.includes(s.nodeId) && !s.hired);
      const price = (s: ServerInfo) => Math.round(s.pricePerMbMonth * 1e8) * term!.quotaMb * term!.months;
      if (channel === 'servers.list') out = list;
      else if (channel === 'wallet.balance')
        out = { total: String(total), test: String(total), limbo: 0, byDenomination: [], testNetwork: true };
      else if (channel === 'servers.quote') {
        const items = due([...(input.storage as string[]), ...(input.beacon ? [input.beacon as string] : [])]);
        const sum = items.reduce((a, s) => a + price(s), 0) / 1e8;
        out = {
          items: items.map((s) => ({ nodeId: s.nodeId, name: s.name, amount: String(price(s) / 1e8) })),
          total: String(sum),
          balance: String(total),
          test: String(total),
          enough: total >= sum,
        };
      } else if (channel === 'servers.choose') {
        const ids = [...(input.storage as string[]), input.beacon as string];
        const sum = due(ids).reduce((a, s) => a + price(s), 0) / 1e8;
        if (sum > total) throw new ContractError('invalid_input', `The wallet holds ${total} CC, less than ${sum}.`);
        total -= sum;
        list = list.map((s) => ({ ...s, hired: s.hired || ids.includes(s.nodeId), beacon: s.nodeId === input.beacon }));
        out = { state: 'ready', storage: ids, beacon: input.beacon };
      } else if (channel === 'servers.renew')
        out = {
          renewed: [{ nodeId: id(1), name: 'a', paidUntil: Date.UTC(2027, 0, 2), amount: '0.5' }],
          failed: [{ nodeId: id(2), name: 'b', reason: 'the wallet holds 0 CC and renewing costs 1 CC' }],
        };
      else throw new Error(`unexpected ${channel}`);
      return requests[channel].output.parse(out) as never;
    },
    on: () => () => undefined,
  };
  return { runtime, calls, balance: () => total };
}

const list = [server(1, 'a', 0.3, 12, 0.99), server(2, 'b', 0.1, null, 0.5), server(3, 'c', 0.2, 3, 1), server(4, 'd', 0.4, 40, 0.9)];

describe('the server picker store', () => {
  it('sorts by price, latency and uptime and filters, keeping what is chosen in view', async () => {
    const { runtime } = marketRuntime(list);
    const s = createServerPickerStore(runtime);
    s.getState().show();
    await s.getState().load();
    const names = () => shownServers(s.getState()).map((x) => x.name);
    expect(names()).toEqual(['b', 'c', 'a', 'd']);
    s.getState().setSort('latency');
    expect(names()).toEqual(['c', 'a', 'd', 'b']);
    s.getState().setSort('uptime');
    expect(names()).toEqual(['c', 'a', 'd', 'b']);
    s.getState().setFilter({ maxPrice: '0.25' });
    expect(names()).toEqual(['c', 'b']);
    s.getState().setFilter({ maxPrice: '', minUptime: '95' });
    expect(names()).toEqual(['c', 'a']);
    s.getState().setFilter({ minUptime: '', jurisdiction: 'de' });
    expect(names()).toEqual(['d', 'b']);
    s.getState().setFilter({ minUptime: '', jurisdiction: '', maxLatency: '20' });
    expect(names()).toEqual(['c', 'a']);
    // A chosen server stays listed though the filter would hide it.
    s.getState().toggleStorage(id(4));
    expect(names()).toEqual(['c', 'a', 'd']);
  });

  it('explains k + p for the choice and prices a month of it', async () => {
    const { runtime } = marketRuntime(list);
    const s = createServerPickerStore(runtime);
    s.getState().show();
    await s.getState().load();
    for (const n of [1, 2, 3]) s.getState().toggleStorage(id(n));
    s.getState().setBeacon(id(4));
    s.getState().setParity(1);
    // 10 MB over 2 data stripes: 5 MB on each of the four servers at 0.3 + 0.1 + 0.2 + 0.4 CC per MB-month.
    expect(layoutFacts(s.getState())).toEqual({ n: 3, k: 2, p: 1, quotaMb: 5, perMonth: 5 });
    s.getState().setParity(5);
    expect(layoutFacts(s.getState())).toMatchObject({ k: 1, p: 2, quotaMb: 10 });
    s.getState().toggleStorage(id(3));
    // p is bounded by the servers left.
    expect(layoutFacts(s.getState())).toMatchObject({ n: 2, k: 1, p: 1 });
  });

  it('shows the price before paying, refuses what the wallet cannot pay, then hires and pays exactly the quote', async () => {
    const m = marketRuntime(list, 2);
    const s = createServerPickerStore(m.runtime);
    s.getState().show();
    await s.getState().load();
    for (const n of [2, 3, 1]) s.getState().toggleStorage(id(n));
    s.getState().setBeacon(id(4));
    await s.getState().refreshQuote();
    expect(s.getState().quote).toMatchObject({ total: '5', enough: false, balance: '2' });
    expect(await s.getState().hire()).toBe(false);
    expect(s.getState().error).toMatch(/Not enough Chips: these hires cost 5 CC and the wallet holds 2 CC/);
    expect(m.calls.some((c) => c.channel === 'servers.choose')).toBe(false);

    const rich = marketRuntime(list, 100);
    const t = createServerPickerStore(rich.runtime);
    t.getState().show();
    await t.getState().load();
    for (const n of [2, 3, 1]) t.getState().toggleStorage(id(n));
    t.getState().setBeacon(id(4));
    t.getState().setMonths(3);
    await t.getState().refreshQuote();
    expect(t.getState().quote?.total).toBe('15');
    expect(await t.getState().hire()).toBe(true);
    expect(rich.calls.find((c) => c.channel === 'servers.choose')?.input).toEqual({
      storage: [id(2), id(3), id(1)],
      beacon: id(4),
      term: { months: 3, quotaMb: 5 },
    });
    expect(rich.balance()).toBe(85);
    expect(t.getState().done).toMatch(/^Hired: 15 CC paid\. New mail is stored on 3 servers and announced by d/);
    // Reloaded: the servers in use are marked, the beacon too.
    expect(
      t
        .getState()
        .servers.filter((x) => x.hired)
        .map((x) => x.name),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(t.getState().servers.find((x) => x.beacon)?.name).toBe('d');
  });

  it('starts from the servers that store new mail and the beacon, not every server hired', async () => {
    const mine = [
      server(1, 'a', 0.3, 12, 0.99, { hired: true, storage: true }),
      server(2, 'b', 0.1, null, 0.5, { hired: true, storage: false }),
      server(3, 'c', 0.2, 3, 1, { hired: true, storage: true }),
      server(4, 'd', 0.4, 40, 0.9, { hired: true, beacon: true, storage: false }),
    ];
    const s = createServerPickerStore(marketRuntime(mine).runtime);
    s.getState().show();
    await s.getState().load();
    expect(s.getState()).toMatchObject({ storage: [id(1), id(3)], beacon: id(4) });
  });

  it('needs 2 to 32 storage servers and a beacon', async () => {
    const { runtime, calls } = marketRuntime(list);
    const s = createServerPickerStore(runtime);
    s.getState().show();
    await s.getState().load();
    s.getState().toggleStorage(id(1));
    expect(await s.getState().hire()).toBe(false);
    expect(s.getState().error).toMatch(/at least 2 storage servers/);
    s.getState().toggleStorage(id(2));
    expect(await s.getState().hire()).toBe(false);
    expect(s.getState().error).toMatch(/Choose a beacon/);
    expect(calls.some((c) => c.channel === 'servers.choose')).toBe(false);
  });

  it('in onboarding hands the choice and its term to onboarding instead of paying', async () => {
    const { runtime, calls } = marketRuntime(list);
    let chosen: unknown;
    const s = createServerPickerStore(runtime, {
      onChosen: (c) => (chosen = c),
      initial: () => ({ storage: [id(1), id(3)], beacon: id(1) }),
    });
    s.getState().show('create');
    await s.getState().load();
    expect(s.getState()).toMatchObject({ storage: [id(1), id(3)], beacon: id(1) });
    // Two servers: 1 + 1, each holding all of the 10 MB.
    expect(await s.getState().hire()).toBe(true);
    expect(chosen).toEqual({ storage: [id(1), id(3)], beacon: id(1), term: { months: 1, quotaMb: 10 } });
    expect(s.getState().open).toBe(false);
    expect(calls.some((c) => c.channel === 'servers.choose')).toBe(false);
  });

  it('renews and says what was renewed and what could not be', async () => {
    const { runtime, calls } = marketRuntime(list);
    const s = createServerPickerStore(runtime);
    s.getState().show();
    await s.getState().load();
    expect(await s.getState().renew([id(1), id(2)])).toBe(false);
    expect(calls.find((c) => c.channel === 'servers.renew')?.input).toEqual({ nodeIds: [id(1), id(2)], months: 1 });
    expect(s.getState().done).toMatch(/^Renewed a until .+ \(0\.5 CC\)\.$/);
    expect(s.getState().error).toBe('Not renewed: b: the wallet holds 0 CC and renewing costs 1 CC.');
  });
});
