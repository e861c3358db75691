import { TruncatedError } from '../bytes/index.js';
import { Status, statusName } from './status.js';

/**
 * Every codec on the RAIDA wire (the envelope, Group 6, DRD, RKE) rejects bad input
 * with a WireError: a stable `code` for programs, and `status`, the RAIDA status byte a
 * server should answer with. Decoders never throw anything else.
 */
export class WireError extends Error {
  override readonly name: string = 'WireError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${message} [${code}, ${statusName(status)}]`);
  }
}

/** Errors of the RAIDA envelope: headers, framing, challenge, encryption. */
export class RaidaError extends WireError {
  override readonly name = 'RaidaError';
}

/**
 * Run a decoder body, turning the reader's TruncatedError (and, defensively, any
 * RangeError/TypeError from byte helpers) into the module's typed error.
 */
export function guardDecode<T>(make: (code: string, status: number, message: string) => WireError, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) throw e;
    if (e instanceof TruncatedError) throw make('truncated', Status.INVALID_PACKET_LENGTH, e.message);
    if (e instanceof RangeError || e instanceof TypeError) throw make('malformed', Status.INVALID_PARAMETER, e.message);
    throw e;
  }
}
