// The CloudCoin client's Group 6 codes (60–64) and the one body form of theirs that ours
// does not read as is (docs/protocol.md, "Legacy-client compatibility").
import { LegacyQMailCommand } from '../raida/commands.js';
import { PREAMBLE_LENGTH } from './preamble.js';
import { RECIPIENT_LENGTH, SERVER_LENGTH, TELL_HEADER_LENGTH } from './tell.js';

const LEGACY_CODES: readonly number[] = Object.values(LegacyQMailCommand);

/** Group 6 commands 60–64. */
export function isLegacyQMailCommand(group: number, command: number): boolean {
  return group === 6 && LEGACY_CODES.includes(command);
}

/** Body length of the client's standard form (terminator included), or undefined when it cannot be told yet. */
function plainLength(command: number, body: Uint8Array): number | undefined {
  const v = new DataView(body.buffer, body.byteOffset, body.length);
  switch (command) {
    case LegacyQMailCommand.PEEK:
      return PREAMBLE_LENGTH + 4 + 2;
    case LegacyQMailCommand.DOWNLOAD:
      return PREAMBLE_LENGTH + 16 + 1 + 1 + 1 + 2 + 2;
    case LegacyQMailCommand.UPLOAD:
      return body.length >= PREAMBLE_LENGTH + 36 ? PREAMBLE_LENGTH + 36 + v.getUint32(PREAMBLE_LENGTH + 32) + 2 : undefined;
    case LegacyQMailCommand.TELL:
      return body.length >= PREAMBLE_LENGTH + TELL_HEADER_LENGTH
        ? PREAMBLE_LENGTH +
            TELL_HEADER_LENGTH +
            RECIPIENT_LENGTH * body[PREAMBLE_LENGTH + 29]! +
            SERVER_LENGTH * body[PREAMBLE_LENGTH + 30]! +
            2
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The client's network layer encrypts a body that already ends in `3E 3E` and appends
 * another, so the opened body ends `3E 3E 3E 3E`, two bytes longer than the command's
 * layout. Returns the body with the inner terminator dropped when, and only when, it is
 * exactly that form (every such length is otherwise invalid, so nothing valid changes
 * meaning); any other body comes back as it was.
 */
export function legacyBody(command: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  if (n < 4 || body[n - 1] !== 0x3e || body[n - 2] !== 0x3e || body[n - 3] !== 0x3e || body[n - 4] !== 0x3e) return body;
  if (command === LegacyQMailCommand.PING) {
    // 50 bytes, or 54 with `since`: doubled, 52 or 56 (our forms are 50, 54 and 55).
    return n === PREAMBLE_LENGTH + 4 || n === PREAMBLE_LENGTH + 8 ? body.subarray(0, n - 2) : body;
  }
  const plain = plainLength(command, body);
  return plain !== undefined && n === plain + 2 ? body.subarray(0, n - 2) : body;
}
