import { ByteReader } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { WireError, guardDecode } from '../raida/errors.js';

/** Every Group 6 codec error. `status` is what a server answers with. */
export class QMailError extends WireError {
  override readonly name = 'QMailError';
}

const make = (code: string, status: number, message: string) => new QMailError(code, status, message);

export function qmailDecode<T>(fn: () => T): T {
  return guardDecode(make, fn);
}

/** A reader over a request body minus its `3E 3E` terminator; rejects a body without one. */
export function bodyReader(body: Uint8Array, what: string): ByteReader {
  if (body.length < 2 || body[body.length - 2] !== 0x3e || body[body.length - 1] !== 0x3e) {
    throw new QMailError('missing_terminator', Status.INVALID_EOF, `${what}: body does not end with 3E 3E`);
  }
  return new ByteReader(body.subarray(0, body.length - 2));
}

export function expectDone(r: ByteReader, what: string): void {
  if (!r.done) throw new QMailError('trailing_bytes', Status.INVALID_PACKET_LENGTH, `${what}: ${r.remaining} byte(s) after the last field`);
}

export function expectZeros(b: Uint8Array, what: string): void {
  for (const x of b)
    if (x !== 0) throw new QMailError('reserved_nonzero', Status.INVALID_PARAMETER, `${what}: reserved bytes must be zero`);
}

export function check(cond: boolean, code: string, status: number, message: string): asserts cond {
  if (!cond) throw new QMailError(code, status, message);
}

export function fixed(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n)
    throw new QMailError('bad_field', Status.INVALID_PARAMETER, `${what} must be ${n} bytes`);
}
