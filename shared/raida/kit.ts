import { ByteReader } from '../bytes/index.js';
import { type WireError, guardDecode } from './errors.js';
import { Status } from './status.js';

export interface CodecKit {
  fail(code: string, status: number, message: string): never;
  decode<T>(fn: () => T): T;
  check(cond: boolean, code: string, status: number, message: string): asserts cond;
  fixed(b: Uint8Array, n: number, what: string): void;
  bodyReader(body: Uint8Array, what: string): ByteReader;
  expectDone(r: ByteReader, what: string): void;
}

/** The small toolbox every body codec (DRD, RKE) builds on, bound to its error class. */
export function codecKit(make: (code: string, status: number, message: string) => WireError): CodecKit {
  const fail = (code: string, status: number, message: string): never => {
    throw make(code, status, message);
  };
  return {
    fail,
    decode: <T>(fn: () => T): T => guardDecode(make, fn),
    check(cond: boolean, code: string, status: number, message: string): asserts cond {
      if (!cond) fail(code, status, message);
    },
    fixed(b: Uint8Array, n: number, what: string): void {
      if (!(b instanceof Uint8Array) || b.length !== n) fail('bad_field', Status.INVALID_PARAMETER, `${what} must be ${n} bytes`);
    },
    /** Reader over a body minus its `3E 3E` terminator. */
    bodyReader(body: Uint8Array, what: string): ByteReader {
      if (body.length < 2 || body[body.length - 2] !== 0x3e || body[body.length - 1] !== 0x3e)
        fail('missing_terminator', Status.INVALID_EOF, `${what}: body does not end with 3E 3E`);
      return new ByteReader(body.subarray(0, body.length - 2));
    },
    expectDone(r: ByteReader, what: string): void {
      if (!r.done) fail('trailing_bytes', Status.INVALID_PACKET_LENGTH, `${what}: ${r.remaining} byte(s) after the last field`);
    },
  };
}
