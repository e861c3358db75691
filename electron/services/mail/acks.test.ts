// The acks owed to the beacon: named in the next ping or peek to that beacon only, settled
// once it answered, never sent to another node, bounded.
import { describe, expect, it } from 'vitest';
import { MAX_PING_ACKS, type TellNotice } from '../../../shared/qmail/index.js';
import { TellAcks } from './acks.js';
import type { AcknowledgedTellList } from '../net/group6.js';

const tell = (clusterId: number) => ({ clusterId }) as TellNotice;
const answer = (acknowledged: boolean): AcknowledgedTellList => ({ remaining: 0, tells: [], acknowledged });

describe('TellAcks', () => {
  it('names kept Tells in the next call to their beacon, and not again once it answered', async () => {
    const acks = new TellAcks();
    acks.kept('beacon-a', [tell(3), tell(4)]);
    const sent: number[][] = [];
    const call = (ok: boolean) => (ack: number[]) => {
      sent.push(ack);
      return Promise.resolve(answer(ok));
    };
    await acks.ask('beacon-b', call(true)); // cluster ids mean nothing to another node
    await acks.ask('beacon-a', call(true));
    await acks.ask('beacon-a', call(true));
    expect(sent).toEqual([[], [3, 4], []]);
    expect(acks.pending).toBe(0);
  });

  it('keeps them when the call fails, and drops them for a beacon without the acknowledged mode', async () => {
    const acks = new TellAcks();
    acks.kept('a', [tell(7)]);
    await expect(acks.ask('a', () => Promise.reject(new Error('connection closed')))).rejects.toThrow('connection closed');
    expect(acks.pending).toBe(1);
    await acks.ask('a', () => Promise.resolve(answer(false)));
    expect(acks.pending).toBe(0);
  });

  it('sends at most MAX_PING_ACKS at a time and forgets the oldest beyond its bound; a new beacon starts afresh', async () => {
    const acks = new TellAcks();
    acks.kept(
      'a',
      Array.from({ length: 5000 }, (_, i) => tell(i + 1)),
    );
    expect(acks.pending).toBe(4096);
    let sent: number[] = [];
    await acks.ask('a', (ack) => {
      sent = ack;
      return Promise.resolve(answer(true));
    });
    expect(sent.length).toBe(MAX_PING_ACKS);
    expect(sent[0]).toBe(5000 - 4096 + 1);
    expect(acks.pending).toBe(4096 - MAX_PING_ACKS);
    acks.kept('b', [tell(1)]);
    expect(acks.pending).toBe(1);
  });
});
