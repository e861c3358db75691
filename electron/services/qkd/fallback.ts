// Whether L1/L2 (QKD) can protect a message now, and if not, why: an explicit decision
// the caller must show ("L1/L2 unavailable: <reason>, use L3"). Nothing here, nor in the
// key source, ever downgrades silently.
import { KmeError, type KmeErrorCode } from './errors.js';

export type QkdLevel = 'L1' | 'L2';

export type QkdUnavailableReason =
  'not_configured' | 'unauthorized' | 'exhausted' | 'unreachable' | 'kme_misbehaving' | 'key_not_delivered' | 'key_reused' | 'local_error';

export type QkdDecision =
  | { usable: true; level: QkdLevel; availableBits: number }
  | { usable: false; wanted: QkdLevel; level: 'L3'; reason: QkdUnavailableReason; detail: string; message: string };

const REASON: Record<KmeErrorCode, QkdUnavailableReason> = {
  invalid_argument: 'local_error',
  bad_request: 'kme_misbehaving',
  unauthorized: 'unauthorized',
  server_untrusted: 'unauthorized',
  exhausted: 'exhausted',
  unavailable: 'unreachable',
  key_not_found: 'key_not_delivered',
  key_consumed: 'key_reused',
  key_reused: 'key_reused',
  http_error: 'kme_misbehaving',
  malformed_response: 'kme_misbehaving',
  response_too_large: 'kme_misbehaving',
  network: 'unreachable',
  timeout: 'unreachable',
  cache_corrupt: 'local_error',
};

function unavailable(wanted: QkdLevel, reason: QkdUnavailableReason, detail: string): QkdDecision {
  return { usable: false, wanted, level: 'L3', reason, detail, message: `L1/L2 unavailable: ${detail}, use L3` };
}

/** The decision after a QKD operation failed (e.g. getEncKeys threw). */
export function decisionFromError(wanted: QkdLevel, err: unknown): QkdDecision {
  if (err instanceof KmeError) return unavailable(wanted, REASON[err.code], err.message);
  return unavailable(wanted, 'local_error', err instanceof Error ? err.message : String(err));
}

export interface QkdAvailability {
  availableBits(peer?: string): Promise<{ cachedBits: number; kmeBits: number }>;
}

/**
 * Asks the key source (cache + KME status) whether `bits` of key can be had for `peer`.
 * `source` null/undefined means no KME is configured.
 */
export async function decideQkdLevel(opts: {
  source?: QkdAvailability | null;
  wanted: QkdLevel;
  bits: number;
  peer?: string;
}): Promise<QkdDecision> {
  if (!opts.source) return unavailable(opts.wanted, 'not_configured', 'no QKD key manager (KME) is configured');
  try {
    const a = await opts.source.availableBits(opts.peer);
    const total = a.cachedBits + a.kmeBits;
    if (total < opts.bits) {
      return unavailable(opts.wanted, 'exhausted', `the KME link holds ${total} bits of key and this message needs ${opts.bits}`);
    }
    return { usable: true, level: opts.wanted, availableBits: total };
  } catch (e) {
    return decisionFromError(opts.wanted, e);
  }
}
