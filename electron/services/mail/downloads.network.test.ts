// Received mail's downloads go over connections kept between Tells (no TCP connect per
// message), which carry nothing else: no request that names us ever goes on them. Real nodes.
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { QMailCommand } from '../../../shared/raida/index.js';
import { useTestNetwork, sendFrom, startSender } from '../app/testing/network.js';
import { Connection, type CallOptions } from '../net/transport.js';

const t = useTestNetwork('qmail-downloads-', 3);

/** Every call made while `fn` runs, with the connection it went on. */
async function calls(fn: () => Promise<void>): Promise<{ o: CallOptions; conn: Connection }[]> {
  const spy = vi.spyOn(Connection.prototype, 'call');
  try {
    await fn();
    return spy.mock.calls.map((c, i) => ({ o: c[0], conn: spy.mock.contexts[i] as Connection }));
  } finally {
    spy.mockRestore();
  }
}

describe('download connections', () => {
  it('are reused from one Tell to the next, never carry a request that names us, and are dropped on lock', async () => {
    const bob = await t.user('bob', 'Bob');
    const grace = t.track(await startSender(join(t.dir, 'grace'), t.net.directoryUrl));
    const seen = await calls(async () => {
      for (const subject of ['one', 'two']) {
        await sendFrom(grace, bob.address, subject);
        expect(await bob.app.mail.refresh()).toBe(1);
      }
    });
    const downloads = seen.filter((m) => m.o.command === QMailCommand.DOWNLOAD);
    expect(downloads.length).toBeGreaterThanOrEqual(8); // a capsule and three stripes, twice
    const used = new Set(downloads.map((d) => d.conn));
    // one connection per node, kept from the first Tell to the second (a pool per Tell made six)
    expect(used.size).toBeLessThanOrEqual(3);
    // nothing but anonymous downloads on them
    for (const m of seen.filter((m) => used.has(m.conn))) {
      expect(m.o.command).toBe(QMailCommand.DOWNLOAD);
      expect(m.o.an).toBeUndefined();
    }
    // A lock drops them; after unlock, mail arrives over new ones.
    await bob.app.mail.stop();
    expect([...used].some((c) => c.alive)).toBe(false);
    bob.app.mail.start({ receive: false });
    const after = await calls(async () => {
      await sendFrom(grace, bob.address, 'three');
      expect(await bob.app.mail.refresh()).toBe(1);
    });
    const again = after.filter((m) => m.o.command === QMailCommand.DOWNLOAD);
    expect(again.length).toBeGreaterThan(0);
    expect(again.some((m) => used.has(m.conn))).toBe(false);
  }, 120_000);
});
