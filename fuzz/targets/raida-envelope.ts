// The RAIDA envelope as a node and a client read it: request headers (with and without the
// header-version-0 alias), whole request packets opened by the shared decoder and by the
// node's node:crypto fast path (they must agree), and response packets, clear and
// AN-encrypted, through both client decoders (they must agree too).
import { isDeepStrictEqual } from 'node:util';
import {
  Encryption,
  RaidaError,
  WireError,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  openRequestBody,
  type EncodedRequest,
  type RequestHeader,
} from '../../shared/raida/index.js';
import { decodeResponseFast, openRequest } from '../../server/wire/envelope.js';
import { type FuzzTarget, invariant, select, tokens } from '../engine/target.js';

/** The AN every keyed packet in the corpus is sealed with. */
export const FUZZ_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
export const FUZZ_NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
/** The challenge the responses in the corpus answer. */
export const FUZZ_CHALLENGE = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x92, 0x70, 0xc9, 0x65]);

type Outcome = { ok: true; value: unknown } | { ok: false; code: string };
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof WireError) return { ok: false, code: e.code };
    throw e;
  }
}

function requestHeader(rest: Uint8Array): void {
  const h = decodeRequestHeader(rest, { versionZero: () => true });
  const again = decodeRequestHeader(encodeRequestHeader(h.version === 0 ? { ...h, version: 1 } : h));
  invariant(isDeepStrictEqual({ ...again, version: h.version }, h), 'request header does not survive encode → decode');
  decodeRequestHeader(rest);
}

function requestPacket(rest: Uint8Array): void {
  const whole = outcome(() => decodeRequest(rest, () => FUZZ_KEY));
  let header: RequestHeader;
  try {
    header = decodeRequestHeader(rest);
  } catch (e) {
    invariant(!whole.ok, 'decodeRequest accepted a packet whose header does not decode');
    throw e;
  }
  const wireBody = rest.subarray(32, 32 + header.bodyLength);
  const key = header.encryption === Encryption.NONE ? undefined : FUZZ_KEY;
  const shared = outcome(() => openRequestBody(header, wireBody, key));
  const fast = outcome(() => openRequest(header, wireBody, key));
  invariant(
    shared.ok === fast.ok,
    `the node's fast path ${fast.ok ? 'accepts' : 'refuses'} what the shared decoder ${shared.ok ? 'accepts' : 'refuses'}`,
  );
  invariant(isDeepStrictEqual(shared, fast), "the node's fast path and the shared decoder disagree");
  outcome(() => openRequestBody(header, wireBody, key, { uncheckedClearChallenge: true }));
  if (!whole.ok) throw new RaidaError(whole.code, 0, 'request refused');
}

function responsePacket(rest: Uint8Array, keyed: boolean): void {
  const h = outcome(() => decodeResponseHeader(rest));
  if (h.ok) {
    const again = decodeResponseHeader(encodeResponseHeader(h.value as ReturnType<typeof decodeResponseHeader>));
    invariant(isDeepStrictEqual(again, h.value), 'response header does not survive encode → decode');
  }
  const header = { encryption: keyed ? Encryption.AN : Encryption.NONE, nonce: FUZZ_NONCE } as RequestHeader;
  const req: EncodedRequest = { packet: new Uint8Array(0), header, challenge: FUZZ_CHALLENGE, ...(keyed ? { key: FUZZ_KEY } : {}) };
  const slow = outcome(() =>
    decodeResponse(rest, {
      challenge: FUZZ_CHALLENGE,
      encryption: header.encryption,
      nonce: FUZZ_NONCE,
      ...(keyed ? { key: FUZZ_KEY } : {}),
    }),
  );
  const fast = outcome(() => decodeResponseFast(req, rest));
  invariant(
    slow.ok === fast.ok,
    `the node:crypto response decoder ${fast.ok ? 'accepts' : 'refuses'} what the shared one ${slow.ok ? 'accepts' : 'refuses'}`,
  );
  if (slow.ok && fast.ok) {
    const a = slow.value as { payload: Uint8Array; status: number };
    const b = fast.value as { payload: Uint8Array; status: number };
    invariant(isDeepStrictEqual(a.payload, b.payload) && a.status === b.status, 'the two response decoders disagree');
  }
  if (!slow.ok) throw new RaidaError(slow.code, 0, 'response refused');
}

export const target: FuzzTarget = {
  name: 'raida-envelope',
  about: 'RAIDA request header, request packet (shared decoder vs node fast path), response packet (clear and keyed)',
  sources: ['/shared/raida/', '/shared/bytes/', '/server/wire/envelope'],
  fuzz(data) {
    const { choice, rest } = select(data, 4);
    if (choice === 0) requestHeader(rest);
    else if (choice === 1) requestPacket(rest);
    else responsePacket(rest, choice === 3);
  },
  expected: (e) => e instanceof WireError,
  dictionary: tokens([0x3e, 0x3e], [0x01], [0x00, 0x06], [0xff, 0xff], [0x00, 0x01, 0x00, 0x00], [0x06, 0x48], [0x06, 0x55]),
  maxLength: 2048,
};
