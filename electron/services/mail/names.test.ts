// Display names over real qmail-server processes: the receiver shows the sender's name from
// the directory record it verified; the sender's copy carries its own and the recipient's.
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppServices } from '../app/services.js';
import { useTestNetwork } from '../app/testing/network.js';

const world = useTestNetwork('qmail-names-', 3, { pingMaxWaitMs: 1000 });
const users: Record<string, AppServices> = {};
const address: Record<string, string> = {};

async function user(key: string, name: string): Promise<void> {
  const made = await world.user(key, name, { mail: { retryBaseMs: 300 } });
  users[key] = made.app;
  address[key] = made.address;
}

beforeAll(async () => {
  await user('alice', 'Alice Liddell');
  await user('bob', 'Bob Dylan');
}, 120_000);

describe('display names', () => {
  it('come from the directory on receive and from the identity for our own mail', async () => {
    const alice = users.alice!;
    const bob = users.bob!;
    alice.mail.start({ receive: false });
    const item = alice.mail.queue({
      to: [address.bob!],
      cc: [],
      subject: 'Names',
      body: 'Hi',
      attachments: [],
      level: 'L3',
      stripes: { k: 2, p: 1 },
    });
    expect((await alice.mail.waitFor(item.id)).state).toBe('sent');

    const sent = alice.mail.view(item.id)!;
    expect(sent).toMatchObject({
      folder: 'sent',
      from: address.alice,
      fromName: 'Alice Liddell',
      toNames: { [address.bob!]: 'Bob Dylan' },
    });

    let got;
    for (let i = 0; i < 20 && !got; i++) {
      await bob.mail.refresh();
      got = bob.messages.list('inbox', 0, 50).items.find((m) => m.subject === 'Names');
      if (!got) await new Promise((r) => setTimeout(r, 250));
    }
    expect(got).toMatchObject({ from: address.alice, fromName: 'Alice Liddell', toNames: { [address.bob!]: 'Bob Dylan' } });
    expect(bob.mail.view(got!.id)).toMatchObject({ fromName: 'Alice Liddell' });
    // Searchable by the name too.
    expect(bob.mail.search('Liddell', 'inbox', 10).items.map((m) => m.id)).toEqual([got!.id]);
  }, 60_000);
});
