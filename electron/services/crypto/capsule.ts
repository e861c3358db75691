// The key capsule (shared/capsule) as the main process seals, checks and opens it: the same
// bytes, with L3's X-Wing from xwing.ts (OpenSSL's X25519, the decapsulation key expanded
// once per unlock) and the ML-DSA-65 signature made and checked in worker threads
// (signatures.ts). Mail and the bench use these.
import {
  openCapsule as openWith,
  sealCapsule as sealWith,
  verifyCapsuleWith,
  type DecodedCapsule,
  type OpenOptions,
  type OpenedCapsule,
  type SealOptions,
} from '../../../shared/capsule/index.js';
import type { PublicIdentity } from '../../../shared/identity/index.js';
import type { MessageSecrets } from '../../../shared/stripe/message.js';
import { signMlDsa65, verifyMlDsa65Off } from './signatures.js';
import { xwing } from './xwing.js';

export { forgetExpandedKeys } from './xwing.js';

export function sealCapsule(secrets: MessageSecrets, opts: SealOptions): Promise<Uint8Array> {
  return sealWith(secrets, { kem: xwing, sign: signMlDsa65, ...opts });
}

/** shared/capsule's verifyCapsule, the signature checked in a worker thread. */
export function verifyCapsule(
  bytes: Uint8Array,
  opts: Pick<OpenOptions, 'sender' | 'expectLevel'> & { recipient: PublicIdentity },
): Promise<DecodedCapsule> {
  return verifyCapsuleWith(bytes, opts, verifyMlDsa65Off);
}

export async function openCapsule(bytes: Uint8Array, opts: OpenOptions): Promise<OpenedCapsule> {
  // Checked first off the main thread; openCapsule's own check then finds it remembered.
  await verifyCapsule(bytes, opts);
  return openWith(bytes, { kem: xwing, ...opts });
}
