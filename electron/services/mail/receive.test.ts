// receiveTell and the directory's kept answers (lookups.ts): a refusal that an answer from a
// few seconds ago could explain is decided only on a fresh one. No server is contacted here:
// every Tell below is refused before any connection.
import { afterEach, describe, expect, it } from 'vitest';
import type { TellNotice } from '../../../shared/qmail/index.js';
import type { DirectoryClient, ServerDescriptor, VerifiedIdentity } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { forgetLookups, keptLookups, sharedLookups } from './lookups.js';
import { ReceiveError, receiveTell } from './receive.js';

afterEach(() => forgetLookups());

const tell: TellNotice = {
  clusterId: 1,
  sender: { coinGroup: 6, denomination: 1, serial: 42 },
  timestamp: 0,
  tellType: 0,
  fileGroupGuid: new Uint8Array(16),
  totalSize: 0,
  servers: [{ stripeIndex: 0, stripeType: 0, raidaId: 3, ipv4: new Uint8Array([127, 0, 0, 1]), port: 1 }],
  lockerKey: new Uint8Array(16),
  manifest: [],
};

function directory(url: string, who: VerifiedIdentity | undefined) {
  const asked: string[] = [];
  const d = {
    url,
    async lookup() {
      asked.push('lookup');
      return who;
    },
    async servers(): Promise<ServerDescriptor[]> {
      asked.push('servers');
      return [];
    },
  };
  return { d: d as unknown as DirectoryClient, asked };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof ReceiveError ? e.code : String(e)),
  );

describe('receiveTell and kept directory answers', () => {
  it('a server list kept from before that does not list the Tell’s servers is asked again before the Tell is refused', async () => {
    const who = { record: { name: 'Bo' }, identity: {} } as unknown as VerifiedIdentity;
    const { d, asked } = directory('http://receive-1.test/', who);
    await sharedLookups(d).servers(); // kept from an earlier message
    await sharedLookups(d).lookup('0006.1.42');
    expect(asked).toEqual(['servers', 'lookup']);
    const code = await refusal(receiveTell({ me: {} as LoadedIdentity, directory: d }, tell));
    expect(code).toBe('unlisted_server');
    // Dropped after the refusal and asked again once, both questions.
    expect(asked.filter((a) => a === 'servers')).toHaveLength(2);
    expect(asked.filter((a) => a === 'lookup')).toHaveLength(2);
  });

  it('an unknown sender is asked twice, and nothing about it is kept', async () => {
    const { d, asked } = directory('http://receive-2.test/', undefined);
    const code = await refusal(receiveTell({ me: {} as LoadedIdentity, directory: d }, tell));
    expect(code).toBe('unknown_sender');
    expect(asked.filter((a) => a === 'lookup')).toHaveLength(2);
    expect(keptLookups()).toBe(1); // the server list of the second attempt only
  });
});
