import { describe, expect, it } from 'vitest';
import type { ServerDescriptor, VerifiedIdentity } from '../directory/client.js';
import { sharedLookups, type DirectoryLookups } from './lookups.js';

function stand(url?: string) {
  const asked: string[] = [];
  let fail = false;
  const d = {
    ...(url ? { url } : {}),
    async lookup(address: string) {
      asked.push(`lookup ${address}`);
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('directory down');
      return { record: { name: address } } as unknown as VerifiedIdentity;
    },
    async servers() {
      asked.push('servers');
      await new Promise((r) => setTimeout(r, 5));
      return [{ nodeId: 'n1', host: '127.0.0.1', port: 1 } as ServerDescriptor];
    },
  };
  return { d: d as DirectoryLookups, asked, failing: (f: boolean) => (fail = f) };
}

describe('shared directory lookups', () => {
  it('one question in flight answers every caller; the next one after the answer asks again', async () => {
    const { d, asked } = stand('http://dir.test/');
    const [a, b, c] = await Promise.all([sharedLookups(d).lookup('x'), sharedLookups(d).lookup('x'), sharedLookups(d).lookup('y')]);
    expect(a).toBe(b);
    expect(c?.record.name).toBe('y');
    expect(asked).toEqual(['lookup x', 'lookup y']);
    await sharedLookups(d).lookup('x');
    expect(asked).toEqual(['lookup x', 'lookup y', 'lookup x']);
  });

  it('server lists are shared in flight but each caller gets its own copies', async () => {
    const { d, asked } = stand('http://dir2.test/');
    const [l1, l2] = await Promise.all([sharedLookups(d).servers(), sharedLookups(d).servers()]);
    expect(asked).toEqual(['servers']);
    expect(l1).toEqual(l2);
    expect(l1[0]).not.toBe(l2[0]);
  });

  it('a failure reaches every caller in flight and is not kept', async () => {
    const { d, asked, failing } = stand('http://dir3.test/');
    failing(true);
    const r = await Promise.allSettled([sharedLookups(d).lookup('x'), sharedLookups(d).lookup('x')]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    failing(false);
    expect((await sharedLookups(d).lookup('x'))?.record.name).toBe('x');
    expect(asked).toHaveLength(2);
  });

  it('clients without a URL share only with themselves', async () => {
    const one = stand();
    const two = stand();
    await Promise.all([sharedLookups(one.d).lookup('x'), sharedLookups(two.d).lookup('x')]);
    expect(one.asked).toEqual(['lookup x']);
    expect(two.asked).toEqual(['lookup x']);
  });
});
