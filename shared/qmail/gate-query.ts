// gate query (Group 6, command 87, ours: EXT-11): a sender asks a recipient's beacon what its
// DRD gate would do with a Tell from that sender to that recipient, before sending. The
// request is authenticated by the sender's AN on the beacon (sealed, EXT-8) and the answer
// concerns that sender alone: it tells no more than a Tell from it would (delivered free,
// refused 236/237, or the fee owed), without bothering the recipient. Layout and rules:
// docs/protocol.md "gate query (EXT-11)".
import { ByteReader, ByteWriter } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { bodyReader, check, expectDone, qmailDecode } from './errors.js';
import { type Preamble, readPreamble, writePreamble } from './preamble.js';
import { readMailboxBE, writeMailboxBE } from './tell.js';
import type { Mailbox } from '../cbdf/address.js';

export const GATE_QUERY_COMMAND = 87;

/** What the gate would do with the caller's Tell: the order of the gate itself (black → white → class → fee). */
export const GateOutcome = {
  /** The recipient's inbox charges nothing. */
  FREE: 0,
  /** The caller is on the recipient's white list: free. */
  WHITE: 1,
  /** The recipient's record charges `fee`. */
  FEE: 2,
  /** The recipient has no record: the beacon's default fee `fee` applies. */
  DEFAULT: 3,
  /** The caller is on the recipient's black list (a Tell gets 236). */
  BLACK: 4,
  /** The recipient refuses the caller's coin class (a Tell gets 237). */
  CLASS: 5,
  /** The recipient is not served by this beacon. */
  NOT_HERE: 6,
} as const;
export type GateOutcomeValue = (typeof GateOutcome)[keyof typeof GateOutcome];

export interface GateQuery {
  /** The sender's mailbox and its AN on this beacon. */
  preamble: Preamble;
  recipient: Mailbox;
}

export interface GateAnswer {
  outcome: GateOutcomeValue;
  /** 1e-8 CC the caller's locker must hold (0 unless FEE or DEFAULT). */
  fee: bigint;
}
export const GATE_ANSWER_LENGTH = 9;

export function encodeGateQuery(q: GateQuery): Uint8Array {
  const w = new ByteWriter(48 + 7 + 2);
  writePreamble(w, q.preamble);
  writeMailboxBE(w, q.recipient);
  return w.bytes(new Uint8Array([0x3e, 0x3e])).finish();
}

export function decodeGateQuery(body: Uint8Array): GateQuery {
  return qmailDecode(() => {
    const r = bodyReader(body, 'gate query');
    const preamble = readPreamble(r);
    const recipient = readMailboxBE(r);
    expectDone(r, 'gate query');
    return { preamble, recipient };
  });
}

export function encodeGateAnswer(a: GateAnswer): Uint8Array {
  check(a.fee >= 0n && a.fee < 2n ** 64n, 'bad_fee', Status.INVALID_PARAMETER, 'gate answer: fee out of range');
  return new ByteWriter(GATE_ANSWER_LENGTH).u8(a.outcome).u64(a.fee).finish();
}

export function decodeGateAnswer(payload: Uint8Array): GateAnswer {
  return qmailDecode(() => {
    const r = new ByteReader(payload);
    const outcome = r.u8();
    const fee = r.u64();
    expectDone(r, 'gate answer');
    check(outcome <= GateOutcome.NOT_HERE, 'bad_outcome', Status.INVALID_PARAMETER, `gate answer: unknown outcome ${outcome}`);
    const owes = outcome === GateOutcome.FEE || outcome === GateOutcome.DEFAULT;
    check(owes || fee === 0n, 'bad_fee', Status.INVALID_PARAMETER, 'gate answer: a fee with an outcome that owes none');
    return { outcome: outcome as GateOutcomeValue, fee };
  });
}
