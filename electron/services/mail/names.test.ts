// Display names over real qmail-server processes: the receiver shows the sender's name from
// the directory record it verified; the sender's copy carries its own and the recipient's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../app/services.js';
import { startNetwork, type LocalNetwork } from '../../../tests/support/network.js';
import { TEST_KDF, tempDir } from '../../../tests/support/tmp.js';

const tmp = tempDir('qmail-names-');
let net: LocalNetwork;
const users: Record<string, AppServices> = {};
const address: Record<string, string> = {};

async function user(key: string, name: string): Promise<AppServices> {
  const ids = net.nodes.map((n) => n.nodeId);
  const app = createAppServices({ profileDir: join(tmp.path, key), host: 'web', version: 'test', kdf: TEST_KDF, directoryUrl: net.directoryUrl, autoStart: false, mail: { retryBaseMs: 300 } });
  await app.vault.create('correct horse battery');
  address[key] = (await app.mail.createIdentity(name, { storage: ids, beacon: ids[0]! })).address!;
  return app;
}

beforeAll(async () => {
  net = await startNetwork(join(tmp.path, 'net'), 3, { pingMaxWaitMs: 1000 });
  users.alice = await user('alice', 'Alice Liddell');
  users.bob = await user('bob', 'Bob Dylan');
}, 120_000);

afterAll(async () => {
  for (const u of Object.values(users)) {
    await u.mail.stop();
    u.close();
  }
  await net?.stop();
  tmp.remove();
}, 30_000);

describe('display names', () => {
  it('come from the directory on receive and from the identity for our own mail', async () => {
    const alice = users.alice!;
    const bob = users.bob!;
    alice.mail.start({ receive: false });
    const item = alice.mail.queue({ to: [address.bob!], cc: [], subject: 'Names', body: 'Hi', attachments: [], level: 'L3', stripes: { k: 2, p: 1 } });
    expect((await alice.mail.waitFor(item.id)).state).toBe('sent');

    const sent = alice.mail.view(item.id)!;
    expect(sent).toMatchObject({ folder: 'sent', from: address.alice, fromName: 'Alice Liddell', toNames: { [address.bob!]: 'Bob Dylan' } });

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
