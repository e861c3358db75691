// RAIDA status codes (byte 2 of the response header), as far as QMail, DRD and RKE use
// them, plus the ones a generic server needs to answer malformed packets. Values are the
// RAIDA `protocol.h` enum; names drop the ERROR_/STATUS_ prefix.
export const Status = {
  NO_ERROR: 0,
  INVALID_CLOUD_ID: 1,
  INVALID_SPLIT_ID: 2,
  INVALID_RAIDA_ID: 3,
  INVALID_SHARD_ID: 4,
  INVALID_COMMAND_GROUP: 5,
  INVALID_COMMAND: 6,
  INVALID_COIN_ID: 7,
  COIN_NOT_FOUND: 8,
  INVALID_UDP_FRAME_COUNT: 15,
  INVALID_PACKET_LENGTH: 16,
  /** `ERROR_UDP_FRAME_TIMEOUT`; the CloudCoin client reads it as "no mail" after a ping. */
  UDP_FRAME_TIMEOUT: 17,
  WRONG_RAIDA: 18,
  ENCRYPTION_COIN_NOT_FOUND: 25,
  INVALID_ENCRYPTION_CODE: 27,
  INVALID_EOF: 33,
  INVALID_ENCRYPTION: 34,
  EMPTY_REQUEST: 36,
  INVALID_CRC: 37,
  ADMIN_AUTH: 38,
  COINS_NOT_DIV: 39,
  INVALID_SN_OR_DENOMINATION: 40,
  PAGE_IS_NOT_RESERVED: 41,
  /** Healing (Group 2): every ticket slot in use / no such live ticket for this claimer / ticket used. */
  NO_TICKET_SLOT: 42,
  NO_TICKET_FOUND: 43,
  TICKET_CLAIMED_ALREADY: 44,
  TOO_MANY_COINS: 45,
  NOT_IMPLEMENTED: 89,
  REQUEST_RATE: 160,
  PAYMENT_PROCESSING: 167,
  PAYMENT_INSUFFICIENT: 168,
  PAYMENT_REQUIRED: 169,
  LOCKER_EMPTY_OR_NOT_EXISTS: 179,
  NO_ENTRY: 193,
  FILESYSTEM: 194,
  INVALID_PARAMETER: 198,
  INVALID_PAN: 199,
  INVALID_AN: 200,
  FILE_EXISTS: 201,
  FILE_NOT_EXIST: 202,
  /** Find (Group 2): no coin matched its AN or PAN / all their ANs / all their PANs / some of each. */
  FIND_NEITHER: 208,
  FIND_ALL_AN: 209,
  FIND_ALL_PAN: 210,
  FIND_MIXED: 211,
  SECRET_NOT_FOUND: 212,
  INVALID_CS_ID: 213,
  INVALID_KEY_ID: 215,
  KEY_NOT_FOUND: 216,
  SENDER_BLACKLISTED: 236,
  SENDER_CLASS_REJECTED: 237,
  ALL_PASS: 241,
  ALL_FAIL: 242,
  MIXED: 243,
  SUCCESS: 250,
  INTERNAL: 252,
  NETWORK: 253,
  MEMORY_ALLOC: 254,
  INVALID_ROUTING: 255,
} as const;

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

const NAMES = new Map<number, StatusName>(Object.entries(Status).map(([k, v]) => [v, k as StatusName]));

/** The symbolic name of a status byte, or `STATUS_<n>` for a value we do not name. */
export function statusName(code: number): string {
  return NAMES.get(code) ?? `STATUS_${code}`;
}

export function isSuccessStatus(code: number): boolean {
  return code === Status.SUCCESS || code === Status.NO_ERROR || code === Status.ALL_PASS || code === Status.MIXED;
}

/** Codes the RAIDA retry policy marks as transient: retry after a delay. */
export function isRetryableStatus(code: number): boolean {
  return (
    code === Status.UDP_FRAME_TIMEOUT ||
    code === 20 ||
    code === 42 ||
    code === 47 ||
    code === 48 ||
    code === 49 ||
    code === 150 ||
    code === Status.REQUEST_RATE ||
    code === Status.PAYMENT_PROCESSING ||
    (code >= 178 && code <= 189) ||
    code === Status.FILESYSTEM ||
    code === 197 ||
    code === 204 ||
    code === 205 ||
    code === 206 ||
    code === 207 ||
    code === Status.INTERNAL ||
    code === Status.NETWORK ||
    code === Status.MEMORY_ALLOC
  );
}
