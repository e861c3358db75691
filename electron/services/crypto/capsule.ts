// The key capsule (shared/capsule) as the main process seals and opens it: the same bytes,
// with L3's X-Wing from xwing.ts (OpenSSL's X25519, the decapsulation key expanded once per
// unlock). Mail, the legacy accounts' encrypted email and the bench use these.
import {
  openCapsule as openWith,
  sealCapsule as sealWith,
  type OpenOptions,
  type OpenedCapsule,
  type SealOptions,
} from '../../../shared/capsule/index.js';
import type { MessageSecrets } from '../../../shared/stripe/message.js';
import { xwing } from './xwing.js';

export { forgetExpandedKeys } from './xwing.js';

export function sealCapsule(secrets: MessageSecrets, opts: SealOptions): Promise<Uint8Array> {
  return sealWith(secrets, { kem: xwing, ...opts });
}

export function openCapsule(bytes: Uint8Array, opts: OpenOptions): Promise<OpenedCapsule> {
  return openWith(bytes, { kem: xwing, ...opts });
}
