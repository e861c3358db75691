import { afterEach, describe, expect, it } from 'vitest';
import type { ServerDescriptor, VerifiedIdentity } from '../directory/client.js';
import { ANSWER_TTL_MS, MAX_KEPT, forgetLookups, keptLookups, setLookupClock, sharedLookups, type DirectoryLookups } from './lookups.js';

function stand(url?: string) {
  const asked: string[] = [];
  let fail = false;
  let missing = false;
  const d = {
    ...(url ? { url } : {}),
    async lookup(address: string) {
      asked.push(`lookup ${address}`);
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('directory down');
      if (missing) return undefined;
      return { record: { name: address } } as unknown as VerifiedIdentity;
    },
    async servers() {
      asked.push('servers');
      await new Promise((r) => setTimeout(r, 5));
      return [{ nodeId: 'n1', host: '127.0.0.1', port: 1 } as ServerDescriptor];
    },
  };
  return { d: d as DirectoryLookups, asked, failing: (f: boolean) => (fail = f), absent: (m: boolean) => (missing = m) };
}

let now = 1_000_000;
setLookupClock(() => now);
afterEach(() => forgetLookups());

describe('shared directory lookups', () => {
  it('one question in flight answers every caller; an answer is kept for a few seconds, then asked again', async () => {
    const { d, asked } = stand('http://dir.test/');
    const [a, b, c] = await Promise.all([sharedLookups(d).lookup('x'), sharedLookups(d).lookup('x'), sharedLookups(d).lookup('y')]);
    expect(a).toBe(b);
    expect(c?.record.name).toBe('y');
    expect(asked).toEqual(['lookup x', 'lookup y']);
    now += ANSWER_TTL_MS - 1;
    expect(await sharedLookups(d).lookup('x')).toBe(a);
    expect(asked).toEqual(['lookup x', 'lookup y']);
    now += 1;
    await sharedLookups(d).lookup('x');
    expect(asked).toEqual(['lookup x', 'lookup y', 'lookup x']);
  });

  it('server lists are shared and kept but each caller gets its own copies', async () => {
    const { d, asked } = stand('http://dir2.test/');
    const [l1, l2] = await Promise.all([sharedLookups(d).servers(), sharedLookups(d).servers()]);
    const l3 = await sharedLookups(d).servers();
    expect(asked).toEqual(['servers']);
    expect(l1).toEqual(l2);
    expect(l3).toEqual(l1);
    expect(l1[0]).not.toBe(l2[0]);
    expect(l3[0]).not.toBe(l1[0]);
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

  it('"not in the directory" is not kept: a new address is seen at once', async () => {
    const { d, asked, absent } = stand('http://dir4.test/');
    absent(true);
    expect(await sharedLookups(d).lookup('x')).toBeUndefined();
    absent(false);
    expect((await sharedLookups(d).lookup('x'))?.record.name).toBe('x');
    expect(asked).toEqual(['lookup x', 'lookup x']);
  });

  it("forgetLookups(d) drops that directory's answers only; forgetLookups() (lock) drops all", async () => {
    const one = stand('http://dir5.test/');
    const two = stand('http://dir6.test/');
    await Promise.all([sharedLookups(one.d).lookup('x'), sharedLookups(one.d).servers(), sharedLookups(two.d).lookup('x')]);
    expect(keptLookups()).toBe(3);
    forgetLookups(one.d);
    expect(keptLookups()).toBe(1);
    await sharedLookups(one.d).lookup('x');
    await sharedLookups(two.d).lookup('x');
    expect(one.asked).toEqual(['lookup x', 'servers', 'lookup x']);
    expect(two.asked).toEqual(['lookup x']);
    forgetLookups();
    expect(keptLookups()).toBe(0);
    await sharedLookups(two.d).lookup('x');
    expect(two.asked).toEqual(['lookup x', 'lookup x']);
  });

  it('an answer to a question asked before a forget is not kept', async () => {
    const { d, asked } = stand('http://dir7.test/');
    const pending = sharedLookups(d).lookup('x');
    forgetLookups();
    expect((await pending)?.record.name).toBe('x');
    expect(keptLookups()).toBe(0);
    await sharedLookups(d).lookup('x');
    expect(asked).toEqual(['lookup x', 'lookup x']);
  });

  it('keeps at most MAX_KEPT answers, the oldest dropped first', async () => {
    const { d, asked } = stand('http://dir8.test/');
    for (let i = 0; i <= MAX_KEPT; i++) await sharedLookups(d).lookup(`a${i}`);
    expect(keptLookups()).toBe(MAX_KEPT);
    await sharedLookups(d).lookup(`a${MAX_KEPT}`); // the newest: kept
    await sharedLookups(d).lookup('a0'); // the oldest: dropped, asked again
    expect(asked.slice(MAX_KEPT + 1)).toEqual(['lookup a0']);
  });

  it('clients without a URL share only with themselves', async () => {
    const one = stand();
    const two = stand();
    await Promise.all([sharedLookups(one.d).lookup('x'), sharedLookups(two.d).lookup('x')]);
    expect(one.asked).toEqual(['lookup x']);
    expect(two.asked).toEqual(['lookup x']);
  });
});
