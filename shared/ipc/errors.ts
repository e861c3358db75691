// Errors crossing the contract carry a stable code the UI can act on and a sentence a
// person can read. Stack traces never cross.
export const ErrorCodes = [
  'invalid_input',
  'unknown_channel',
  'locked',
  'vault_absent',
  'vault_exists',
  'wrong_passphrase',
  'not_found',
  'unavailable',
  'internal',
  /** A stripe layout wider than the servers the identity can use (k + p > servers). */
  'too_few_servers',
  /** A recipient's inbox fee is more than the Chips offered for them (mail.send `tips`), or the wallet cannot pay it. */
  'fee_not_covered',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };
