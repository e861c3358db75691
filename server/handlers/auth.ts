// Mailbox authentication (QMail/1.0 §4.3, §5): the caller's AN for this server must match
// the one registered for its (denomination, serial). Constant-time compare.
import { constantTimeEqual } from '../../shared/bytes/index.js';
import { Encryption, Status, WireError, isValidDenomination, type RequestHeader } from '../../shared/raida/index.js';
import { isLegacyQMailCommand } from '../../shared/qmail/index.js';
import type { Storage, Mailbox } from '../storage/index.js';

export class AuthError extends WireError {
  override readonly name = 'AuthError';
}

export function checkMailbox(mb: Mailbox): void {
  if (!isValidDenomination(mb.denomination))
    throw new AuthError('bad_denomination', Status.INVALID_SN_OR_DENOMINATION, `denomination ${mb.denomination} out of range`);
}

/**
 * Throws AuthError(COIN_NOT_FOUND) for an unknown mailbox, AuthError(INVALID_AN) for a wrong
 * AN, and AuthError(INVALID_ENCRYPTION) when the right AN came in a clear (type 0) request:
 * an authenticated command must arrive encrypted (EXT-8 or the standard's CTR), except the
 * CloudCoin client's 60–64 (docs/protocol.md, "Legacy-client compatibility").
 */
export async function authenticate(
  storage: Storage,
  mb: Mailbox,
  an: Uint8Array,
  via: Pick<RequestHeader, 'encryption' | 'group' | 'command'>,
): Promise<void> {
  checkMailbox(mb);
  const stored = await storage.getAn(mb);
  if (!stored) throw new AuthError('unknown_mailbox', Status.COIN_NOT_FOUND, 'mailbox is not registered on this server');
  if (!constantTimeEqual(stored, an)) throw new AuthError('wrong_an', Status.INVALID_AN, 'AN does not match');
  if (via.encryption === Encryption.NONE && !isLegacyQMailCommand(via.group, via.command)) {
    throw new AuthError('clear_request', Status.INVALID_ENCRYPTION, 'authenticated commands must be encrypted');
  }
}

/**
 * Operator-provisioned mailboxes (config `legacy.mailboxes`): the mailbox AN is the coin's
 * AN on this server (QMail/1.0 §4.3, §4.7), so a client without register (EXT-2) can hold
 * its mailbox. Writes only where no AN is stored: provisioning never takes a mailbox from
 * whoever holds it, and a provisioned mailbox can no longer be claimed by register.
 */
export async function provisionMailboxes(
  storage: Storage,
  entries: readonly { denomination: number; serial: number; an: string }[],
  warn: (msg: string, fields: Record<string, unknown>) => void,
): Promise<{ written: number; kept: number }> {
  let written = 0;
  let kept = 0;
  for (const e of entries) {
    const mb = { denomination: e.denomination, serial: e.serial };
    checkMailbox(mb);
    const an = new Uint8Array(Buffer.from(e.an, 'hex'));
    const stored = await storage.getAn(mb);
    if (stored === null) {
      await storage.setAn(mb, an);
      written++;
    } else if (!constantTimeEqual(stored, an)) {
      kept++;
      warn('provisioned mailbox already holds another AN; kept the stored one', { mailbox: `${mb.denomination}.${mb.serial}` });
    }
  }
  return { written, kept };
}
