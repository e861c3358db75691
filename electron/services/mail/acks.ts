// The Tells we owe the beacon an acknowledgement for (EXT-6 bit 1, docs/protocol.md). In
// the acknowledged mode a ping or peek deletes nothing: the beacon hands the same Tells
// again until a later ping or peek names them. We name a Tell only once it is kept sealed
// in the profile (or was handled before), so a Tell lost in flight, in a crash or while the
// app locks is simply handed over again.
import { MAX_PING_ACKS, type TellNotice } from '../../../shared/qmail/index.js';
import type { AcknowledgedTellList } from '../net/group6.js';

/** Beyond this many unsent acks the oldest are forgotten: those Tells come back and are acknowledged again. */
const MAX_OWED = 4096;

export class TellAcks {
  /** The beacon (node id) the owed acks belong to: cluster ids mean nothing to another node. */
  private beacon: string | null = null;
  private owed = new Set<number>();

  /** Records Tells of `beacon` as kept; they are named in the next ping or peek to it. */
  kept(beacon: string, tells: TellNotice[]): void {
    if (!tells.length) return;
    if (beacon !== this.beacon) {
      this.beacon = beacon;
      this.owed = new Set();
    }
    for (const t of tells) this.owed.add(t.clusterId);
    for (const id of this.owed) {
      if (this.owed.size <= MAX_OWED) break;
      this.owed.delete(id);
    }
  }

  /**
   * One ping or peek to `beacon` carrying the acks owed to it (at most MAX_PING_ACKS). Once
   * the beacon answered they are settled: it deleted them before answering, or it has no
   * acknowledged mode and consumed its Tells when it handed them over.
   */
  async ask(beacon: string, call: (ack: number[]) => Promise<AcknowledgedTellList>): Promise<AcknowledgedTellList> {
    const ack = beacon === this.beacon ? [...this.owed].slice(0, MAX_PING_ACKS) : [];
    const list = await call(ack);
    if (beacon === this.beacon) {
      if (list.acknowledged) for (const id of ack) this.owed.delete(id);
      else this.owed.clear();
    }
    return list;
  }

  /** How many acks are owed now (tests, diagnostics). */
  get pending(): number {
    return this.owed.size;
  }
}
