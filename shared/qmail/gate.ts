import { classRejects } from '../drd/fields.js';
import { ListType, type ListTypeValue } from '../drd/commands.js';
import { Status } from '../raida/status.js';

/**
 * The DRD gate a beacon runs for each recipient of a Tell (QMail/1.0 §4.5, DRD/1.0 §4.3):
 * blacklist → whitelist (free) → class rejection (237) → inbox fee (169 / 168).
 * Pure: the server looks the facts up and passes them in.
 */
export interface GateFacts {
  /** Is the recipient's mailbox served by this beacon? If not: WRONG_RAIDA. */
  hostedHere: boolean;
  /** The sender's entry on the recipient's list, if any. */
  listEntry?: ListTypeValue | undefined;
  /** The recipient's DRD record, `undefined` when none, `'unavailable'` when the lookup failed. */
  record?: { fee: bigint; classRejection: number } | 'unavailable' | undefined;
  /** Sender's address denomination (signed), from the AN-authenticated preamble. */
  senderDenomination: number;
  /** Fee for recipients without a DRD record (default 10 CC = 1e9 units). */
  defaultFee: bigint;
  /**
   * The locker attached for this recipient: `undefined` = none supplied (zero key),
   * a value in 1e-8 CC units (0 = empty or unknown locker), `'unavailable'` = lookup failed.
   */
  locker?: bigint | 'unavailable' | undefined;
}

export type GateDecision =
  | { deliver: true; status: typeof Status.SUCCESS; fee: bigint; reason: 'whitelisted' | 'free_inbox' | 'fee_paid' }
  | {
      deliver: false;
      status: number;
      retryable: boolean;
      reason:
        'wrong_raida' | 'blacklisted' | 'class_rejected' | 'payment_required' | 'payment_insufficient' | 'lookup_failed' | 'rate_limited';
    };

export function gateDecision(f: GateFacts): GateDecision {
  if (!f.hostedHere) return { deliver: false, status: Status.WRONG_RAIDA, retryable: false, reason: 'wrong_raida' };
  if (f.listEntry === ListType.BLACK) return { deliver: false, status: Status.SENDER_BLACKLISTED, retryable: false, reason: 'blacklisted' };
  if (f.listEntry === ListType.WHITE) return { deliver: true, status: Status.SUCCESS, fee: 0n, reason: 'whitelisted' };
  if (f.record === 'unavailable') return { deliver: false, status: Status.PAYMENT_PROCESSING, retryable: true, reason: 'lookup_failed' };
  if (f.record && classRejects(f.record.classRejection, f.senderDenomination)) {
    return { deliver: false, status: Status.SENDER_CLASS_REJECTED, retryable: false, reason: 'class_rejected' };
  }
  const fee = f.record ? f.record.fee : f.defaultFee;
  if (fee === 0n) return { deliver: true, status: Status.SUCCESS, fee: 0n, reason: 'free_inbox' };
  if (f.locker === undefined) return { deliver: false, status: Status.PAYMENT_REQUIRED, retryable: false, reason: 'payment_required' };
  if (f.locker === 'unavailable') return { deliver: false, status: Status.PAYMENT_PROCESSING, retryable: true, reason: 'lookup_failed' };
  if (f.locker < fee) return { deliver: false, status: Status.PAYMENT_INSUFFICIENT, retryable: false, reason: 'payment_insufficient' };
  return { deliver: true, status: Status.SUCCESS, fee, reason: 'fee_paid' };
}

/**
 * When zero recipients deliver, the most specific failure wins (§4.5): blacklisted >
 * class-rejected > insufficient > payment-required > WRONG_RAIDA. A retryable
 * lookup failure (167) outranks them all: retrying can still deliver (docs/protocol.md).
 */
export const ZERO_DELIVERED_PRECEDENCE: readonly number[] = [
  Status.PAYMENT_PROCESSING,
  Status.SENDER_BLACKLISTED,
  Status.SENDER_CLASS_REJECTED,
  Status.PAYMENT_INSUFFICIENT,
  Status.PAYMENT_REQUIRED,
  Status.WRONG_RAIDA,
];

/** The Tell's status: 250 if any recipient delivered, else the winning failure. */
export function tellStatus(decisions: readonly GateDecision[]): number {
  if (decisions.length === 0) return Status.INVALID_PARAMETER;
  if (decisions.some((d) => d.deliver)) return Status.SUCCESS;
  let best = Infinity;
  for (const d of decisions) {
    const rank = ZERO_DELIVERED_PRECEDENCE.indexOf(d.status);
    best = Math.min(best, rank < 0 ? ZERO_DELIVERED_PRECEDENCE.length : rank);
  }
  return ZERO_DELIVERED_PRECEDENCE[best] ?? decisions[0]!.status;
}
