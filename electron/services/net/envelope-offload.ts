// The authenticated envelope (EXT-8) of a large request or answer, its AES-256-GCM run in
// the side worker (crypto/offload.ts) instead of on the main thread: page uploads and
// downloads are 256 KiB each, and a 1 GiB message moves thousands of them. Everything but
// the cipher is shared/raida's own code (sealAeadRequest, openAeadResponse), handed a
// cipher that only notes what it is asked to do; so the bytes are the same as
// encodeRequestFast and decodeResponseFast give (envelope-offload.test.ts checks it).
import { RaidaError, Status, openAeadResponse, sealAeadRequest, type AeadCipher } from '../../../shared/raida/index.js';
import type { DecodedResponse, EncodedRequest, RequestOptions } from '../../../shared/raida/index.js';
import { nodeAead } from '../../../server/wire/envelope.js';
import { gcmOpen, gcmSeal } from '../crypto/offload.js';

/** Bodies from this size on are sealed and opened off the main thread; smaller ones cost less than the hand-off. */
export const OFF_THREAD_BYTES = 64 << 10;

interface Job {
  key: Uint8Array;
  iv: Uint8Array;
  aad: Uint8Array;
  data: Uint8Array;
}

/** A cipher that records its one call and returns a placeholder. */
function recorder(): { cipher: AeadCipher; job(): Job | undefined } {
  let job: Job | undefined;
  const empty = new Uint8Array(0);
  return {
    cipher: {
      deriveKey: nodeAead.deriveKey,
      seal: (key, iv, aad, data) => ((job = { key, iv, aad, data }), empty),
      open: (key, iv, aad, data) => ((job = { key, iv, aad, data }), empty),
    },
    job: () => job,
  };
}

/** The buffer behind `v` when `v` covers all of it (so it can be handed over, not copied). */
function whole(v: Uint8Array): ArrayBuffer[] {
  return v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? [v.buffer] : [];
}

/** encodeRequestFast for a sealed request (options with the AN as `key`), the cipher off the main thread. */
export async function sealRequestOffThread(o: RequestOptions): Promise<EncodedRequest> {
  const r = recorder();
  // The packet here is header ‖ 3E 3E: the sealed body goes between them.
  const req = sealAeadRequest(o, r.cipher);
  const job = r.job()!;
  const { data } = await gcmSeal({
    key: job.key,
    iv: job.iv,
    aad: job.aad,
    parts: [job.data],
    // sealAeadRequest's plaintext (clock ‖ body) is its own fresh copy: handed over, not copied again.
    transfer: whole(job.data),
    prefix: req.packet.subarray(0, req.packet.length - 2),
    suffix: req.packet.subarray(req.packet.length - 2),
  });
  return { ...req, packet: data! };
}

/** decodeResponseFast for the answer to a sealed request, the cipher off the main thread. `packet` is handed over. */
export async function openResponseOffThread(req: EncodedRequest, packet: Uint8Array): Promise<DecodedResponse> {
  const r = recorder();
  const res = openAeadResponse(req, packet, r.cipher);
  const job = r.job();
  // No body (an unauthenticated error): nothing to open.
  if (!job) return res;
  const { data } = await gcmOpen({ key: job.key, iv: job.iv, aad: job.aad, sealed: job.data, transfer: whole(packet) });
  if (!data) throw new RaidaError('bad_signature', Status.INVALID_ENCRYPTION, 'response does not authenticate');
  return { ...res, payload: data };
}
