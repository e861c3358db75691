// Who may register a new address here (EXT-2 + EXT-7, docs/protocol.md). A node that
// belongs to a directory registers a new address only with a proof that the caller holds
// the identity key the directory bound to it: the directory's ticket and the identity's
// signature over this node's id, the new AN and the request's challenge. A node without a
// directory has no bindings to check against and keeps first-come registration (logged).
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { decodeRegisterProof, verifyRegisterProof, type ProofVerdict } from '../../shared/qmail/index.js';
import { directoryRequest } from '../directory/client.js';

// A node whose directory was not reachable at start asks again this soon: until it has the key
// it refuses every new registration, so a long pause here is a long outage.
const KEY_RETRY_MS = 2_000;
/**
 * Proof checks a node makes per second at most (two ML-DSA-65 verifications each, a few ms of
 * one core): a flood of bogus registrations costs it a bounded share of its CPU, and is
 * answered REQUEST_RATE (160, retryable) beyond that, while mail traffic is unaffected.
 */
const PROOF_CHECKS_PER_SECOND = 20;
const PROOF_CHECK_BURST = 40;

export interface RegistrationAuthority {
  /** True when new addresses need a proof (the node knows a directory). */
  readonly required: boolean;
  /** This node's id (the descriptor's nodeId, 16 bytes): the proof must name it. */
  readonly nodeId: Uint8Array;
  /** The directory key that signs tickets, or undefined while it cannot be had. */
  directoryKey(): Promise<Uint8Array | undefined>;
  /** Takes one proof check from the node's budget; false when it is spent for now. */
  takeCheck(now: number): boolean;
}

export function registrationAuthority(config: ServerConfig, nodeIdHex: string, log: Logger): RegistrationAuthority {
  const pinned = config.directory.publicKey ? new Uint8Array(Buffer.from(config.directory.publicKey, 'base64')) : undefined;
  const url = config.directory.url;
  let fetched: Uint8Array | undefined;
  let lastTry = -Infinity;
  let inflight: Promise<Uint8Array | undefined> | null = null;
  let tokens = PROOF_CHECK_BURST;
  let refilled = -Infinity;
  const authority: RegistrationAuthority = {
    takeCheck(now) {
      tokens = Math.min(PROOF_CHECK_BURST, tokens + (refilled === -Infinity ? 0 : ((now - refilled) / 1000) * PROOF_CHECKS_PER_SECOND));
      refilled = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    required: pinned !== undefined || url !== undefined,
    nodeId: new Uint8Array(Buffer.from(nodeIdHex, 'hex')),
    async directoryKey() {
      if (pinned) return pinned;
      if (fetched || !url) return fetched;
      if (inflight) return inflight;
      if (Date.now() - lastTry < KEY_RETRY_MS) return undefined;
      lastTry = Date.now();
      inflight = directoryRequest<{ publicKey?: string }>(url, 'GET', '/v1/key')
        .then((r) => {
          const k = new Uint8Array(Buffer.from(r.publicKey ?? '', 'base64'));
          if (k.length !== 1952) throw new Error('the directory key is not an ML-DSA-65 key');
          fetched = k;
          log.info('directory key loaded', { directory: url });
          return k;
        })
        .catch((e: unknown) => {
          log.warn('directory key unavailable: new addresses cannot register until it is', { directory: url, error: (e as Error).message });
          return undefined;
        })
        .finally(() => (inflight = null));
      return inflight;
    },
  };
  if (!authority.required) log.warn('no directory configured: new addresses register first come, first served (EXT-2 without EXT-7)');
  else void authority.directoryKey();
  return authority;
}

/** 'ok' when the proof lets this caller register `newAn` for the mailbox; else why not. */
export async function checkRegisterProof(
  auth: RegistrationAuthority,
  o: {
    proof: Uint8Array | undefined;
    mailbox: { denomination: number; serial: number };
    newAn: Uint8Array;
    challenge: Uint8Array;
    now: number;
  },
): Promise<ProofVerdict | 'missing' | 'no_directory_key' | 'busy'> {
  if (!o.proof) return 'missing';
  const key = await auth.directoryKey();
  if (!key) return 'no_directory_key';
  if (!auth.takeCheck(o.now)) return 'busy';
  return verifyRegisterProof({
    proof: decodeRegisterProof(o.proof),
    mailbox: o.mailbox,
    nodeId: auth.nodeId,
    newAn: o.newAn,
    challenge: o.challenge,
    directoryKey: key,
    now: o.now,
  });
}
