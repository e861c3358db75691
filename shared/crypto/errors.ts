/**
 * Every failure in the crypto, stripe, identity and capsule layers is a CryptoError with a
 * stable `code`, so callers switch on codes, never on messages.
 */
export type CryptoErrorCode =
  | 'bad-layout'
  | 'bad-input'
  | 'too-many-missing'
  | 'mac-mismatch'
  | 'crc-mismatch'
  | 'malformed-stripe'
  | 'malformed-capsule'
  | 'unsupported-version'
  | 'bad-signature'
  | 'wrong-recipient'
  | 'wrong-sender'
  | 'level-mismatch'
  | 'decrypt-failed'
  | 'qkd-keys-unavailable'
  | 'malformed-identity'
  | 'malformed-export'
  | 'wrong-passphrase'
  | 'bad-phrase'
  | 'bad-address'
  | 'worker-failed';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function fail(code: CryptoErrorCode, message: string): never {
  throw new CryptoError(code, message);
}
