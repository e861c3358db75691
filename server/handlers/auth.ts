// Mailbox authentication (QMail/1.0 §4.3, §5): the caller's AN for this server must match
// the one registered for its (denomination, serial). Constant-time compare.
import { constantTimeEqual } from '../../shared/bytes/index.js';
import { Status, WireError, isValidDenomination } from '../../shared/raida/index.js';
import type { Storage, Mailbox } from '../storage/index.js';

export class AuthError extends WireError {
  override readonly name = 'AuthError';
}

export function checkMailbox(mb: Mailbox): void {
  if (!isValidDenomination(mb.denomination)) throw new AuthError('bad_denomination', Status.INVALID_SN_OR_DENOMINATION, `denomination ${mb.denomination} out of range`);
}

/** Throws AuthError(COIN_NOT_FOUND) for an unknown mailbox, AuthError(INVALID_AN) for a wrong AN. */
export async function authenticate(storage: Storage, mb: Mailbox, an: Uint8Array): Promise<void> {
  checkMailbox(mb);
  const stored = await storage.getAn(mb);
  if (!stored) throw new AuthError('unknown_mailbox', Status.COIN_NOT_FOUND, 'mailbox is not registered on this server');
  if (!constantTimeEqual(stored, an)) throw new AuthError('wrong_an', Status.INVALID_AN, 'AN does not match');
}
