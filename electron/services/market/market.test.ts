import { describe, expect, it } from 'vitest';
import type { ServerDescriptor } from '../directory/client.js';
import { filterServers, marketServer, registrationFor, sortServers, type MarketServer } from './market.js';

function server(name: string, price: number, latencyMs: number | null, uptime: number, jurisdiction = 'CH'): MarketServer {
  return {
    nodeId: name.padEnd(32, '0'),
    name,
    host: '127.0.0.1',
    port: 1,
    raidaId: 0,
    protocol: 'QMail/1.0',
    pricePerMbMonth: price,
    inboxFeeCut: 0.1,
    maxAttachmentBytes: 1 << 20,
    jurisdiction,
    location: 'Zurich',
    latencyMs,
    uptime,
    upSeconds: 0,
    hireRequired: true,
  };
}

const list = [server('a', 0.3, 12, 0.99), server('b', 0.1, null, 0.5, 'DE'), server('c', 0.2, 3, 1), server('d', 0.1, 40, 0.9, 'de')];

describe('the market list', () => {
  it('sorts by price, latency (unmeasured last) and uptime, ties by name', () => {
    expect(sortServers(list, 'price').map((s) => s.name)).toEqual(['b', 'd', 'c', 'a']);
    expect(sortServers(list, 'latency').map((s) => s.name)).toEqual(['c', 'a', 'd', 'b']);
    expect(sortServers(list, 'uptime').map((s) => s.name)).toEqual(['c', 'a', 'd', 'b']);
  });

  it('filters by price, latency, uptime and jurisdiction (any case)', () => {
    expect(filterServers(list, { maxPrice: 0.2 }).map((s) => s.name)).toEqual(['b', 'c', 'd']);
    // An unmeasured server is not known to be fast enough.
    expect(filterServers(list, { maxLatencyMs: 20 }).map((s) => s.name)).toEqual(['a', 'c']);
    expect(filterServers(list, { minUptime: 0.95 }).map((s) => s.name)).toEqual(['a', 'c']);
    expect(filterServers(list, { jurisdiction: ' DE ' }).map((s) => s.name)).toEqual(['b', 'd']);
    expect(filterServers(list, {})).toHaveLength(4);
  });

  it('takes latency and uptime from the directory’s measurements, not the descriptor', () => {
    const d = {
      v: 1,
      nodeId: 'f'.repeat(32),
      name: 'n',
      address: null,
      host: 'h',
      port: 2,
      raidaId: 3,
      protocol: 'QMail/1.0',
      pricePerMbMonth: 0.5,
      inboxFeeCut: 0.2,
      maxAttachmentBytes: 10,
      jurisdiction: 'local',
      location: 'loopback',
      startedAt: 0,
      uptimeSeconds: 999_999,
      issuedAt: 0,
      publicKey: '',
      measured: { upSeconds: 60, probes: 4, successes: 3, successRatio: 0.75, latencyMs: 1.5, lastProbe: 1 },
    } satisfies ServerDescriptor;
    expect(marketServer(d)).toMatchObject({ latencyMs: 1.5, uptime: 0.75, upSeconds: 60, hireRequired: false });
    expect(marketServer({ ...d, hire: { command: 86, required: true } }).hireRequired).toBe(true);
    const { measured: _m, ...bare } = d;
    expect(marketServer(bare)).toMatchObject({ latencyMs: null, uptime: 0 });
  });

  it('prices the registration a first qmail buys on a paid beacon we hold no term on, and nothing elsewhere', async () => {
    const desc = (nodeId: string, price: number, required: boolean) =>
      ({ nodeId, name: `node ${nodeId}`, pricePerMbMonth: price, hire: { required } }) as unknown as ServerDescriptor;
    const beacons: Record<string, string | null> = { bob: 'n2', eve: 'n1', tom: 'n3', ann: null };
    const directory = {
      lookup: async (a: string) => (a === 'nobody' ? undefined : { record: { beacon: beacons[a] ?? null } }),
      servers: async () => [desc('n1', 0.2, true), desc('n2', 0.5, true), desc('n3', 0.5, false)],
    };
    const hired = [{ nodeId: 'n1' }];
    const term = { months: 1, quotaMb: 10 };
    expect(await registrationFor(directory, hired, 'bob', term)).toEqual({ nodeId: 'n2', server: 'node n2', units: 500_000_000n });
    expect(await registrationFor(directory, hired, 'bob', { months: 2, quotaMb: 5 })).toMatchObject({ units: 500_000_000n });
    // our own beacon, a free one, no beacon, no record: nothing to buy
    expect(await registrationFor(directory, hired, 'eve', term)).toBeUndefined();
    expect(await registrationFor(directory, hired, 'tom', term)).toBeUndefined();
    expect(await registrationFor(directory, hired, 'ann', term)).toBeUndefined();
    expect(await registrationFor(directory, hired, 'nobody', term)).toBeUndefined();
  });
});
