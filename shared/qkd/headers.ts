// Legacy-transport headers carried by encrypted mail sent through ordinary SMTP:
//   X-QKD-Key-ID          comma-separated key_IDs (UUIDs) from the KME, L1/L2 only
//   X-QKD-Algorithm       one token naming the capsule algorithm
//   X-QKD-Security-Level  L1 | L2 | L3 | L4
//   X-QKD-Secure          true | false  (false = plain mode: no other X-QKD header)
// Parsing is strict: one occurrence each, known tokens only, level and algorithm must
// agree, key IDs present exactly when the level uses QKD keys.
import { UUID_RE } from './etsi014.js';

export type QkdHeaderErrorCode = 'missing_header' | 'duplicate_header' | 'invalid_value' | 'inconsistent' | 'too_large';

export class QkdHeaderError extends Error {
  override readonly name = 'QkdHeaderError';
  constructor(
    readonly code: QkdHeaderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const HEADER_KEY_ID = 'X-QKD-Key-ID';
export const HEADER_ALGORITHM = 'X-QKD-Algorithm';
export const HEADER_LEVEL = 'X-QKD-Security-Level';
export const HEADER_SECURE = 'X-QKD-Secure';
const ALL = [HEADER_KEY_ID, HEADER_ALGORITHM, HEADER_LEVEL, HEADER_SECURE] as const;

export type SecurityLevel = 'L1' | 'L2' | 'L3' | 'L4';

/** The algorithm token for each level. */
export const LEVEL_ALGORITHM = {
  L1: 'QKD-OTP',
  L2: 'QKD-HKDF-SHA256-AES-256',
  L3: 'XWING-MLKEM768-X25519',
  L4: 'X25519-AES-256-GCM',
} as const satisfies Record<SecurityLevel, string>;
export type QkdAlgorithm = (typeof LEVEL_ALGORITHM)[SecurityLevel];

export type QkdHeaderInfo =
  | { secure: true; level: 'L1' | 'L2'; algorithm: QkdAlgorithm; keyIds: string[] }
  | { secure: true; level: 'L3' | 'L4'; algorithm: QkdAlgorithm; keyIds: [] }
  | { secure: false };

/** Upper bounds so a hostile message cannot make us allocate without limit. */
export const MAX_KEY_IDS = 4096;
const MAX_VALUE_CHARS = MAX_KEY_IDS * 38;

const usesKeys = (l: SecurityLevel): l is 'L1' | 'L2' => l === 'L1' || l === 'L2';

function checkKeyIds(ids: readonly string[]): void {
  if (ids.length > MAX_KEY_IDS) throw new QkdHeaderError('too_large', `at most ${MAX_KEY_IDS} key IDs`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (!UUID_RE.test(id)) throw new QkdHeaderError('invalid_value', `${HEADER_KEY_ID}: not a UUID: ${JSON.stringify(id.slice(0, 60))}`);
    const k = id.toLowerCase();
    if (seen.has(k)) throw new QkdHeaderError('invalid_value', `${HEADER_KEY_ID}: key ID listed twice: ${id}`);
    seen.add(k);
  }
}

/** Headers for a message, canonical names, values safe for a single header line. */
export function produceQkdHeaders(info: QkdHeaderInfo): Record<string, string> {
  if (!info.secure) return { [HEADER_SECURE]: 'false' };
  if (LEVEL_ALGORITHM[info.level] !== info.algorithm) {
    throw new QkdHeaderError('inconsistent', `algorithm ${info.algorithm} does not belong to level ${info.level}`);
  }
  const out: Record<string, string> = {};
  if (usesKeys(info.level)) {
    if (info.keyIds.length === 0) throw new QkdHeaderError('inconsistent', `level ${info.level} needs at least one key ID`);
    checkKeyIds(info.keyIds);
    out[HEADER_KEY_ID] = info.keyIds.join(',');
  } else if (info.keyIds.length > 0) {
    throw new QkdHeaderError('inconsistent', `level ${info.level} carries no QKD key IDs`);
  }
  out[HEADER_ALGORITHM] = info.algorithm;
  out[HEADER_LEVEL] = info.level;
  out[HEADER_SECURE] = 'true';
  return out;
}

export type HeaderInput = Record<string, string | readonly string[] | undefined> | ReadonlyArray<readonly [string, string]>;

function collect(input: HeaderInput): Map<string, string> {
  const found = new Map<string, string>();
  const wanted = new Map(ALL.map((n) => [n.toLowerCase(), n]));
  const add = (name: string, value: string) => {
    const canon = wanted.get(name.trim().toLowerCase());
    if (!canon) return;
    if (found.has(canon)) throw new QkdHeaderError('duplicate_header', `${canon} appears more than once`);
    if (value.length > MAX_VALUE_CHARS) throw new QkdHeaderError('too_large', `${canon} is too long`);
    // Unfold (RFC 5322 folding is CRLF + WSP); any other control character is refused.
    const unfolded = value.replace(/\r\n(?=[ \t])/g, '');
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(unfolded))
      throw new QkdHeaderError('invalid_value', `${canon} contains control characters`);
    found.set(canon, unfolded.trim());
  };
  if (Array.isArray(input)) {
    for (const [n, v] of input as ReadonlyArray<readonly [string, string]>) add(n, v);
  } else {
    for (const [n, v] of Object.entries(input as Record<string, string | readonly string[] | undefined>)) {
      if (v === undefined) continue;
      if (typeof v === 'string') add(n, v);
      else for (const one of v) add(n, one);
    }
  }
  return found;
}

/**
 * Reads the X-QKD headers of a message. Returns null when none is present (not a QMail
 * message); throws QkdHeaderError for anything malformed or contradictory.
 */
export function parseQkdHeaders(input: HeaderInput): QkdHeaderInfo | null {
  const h = collect(input);
  if (h.size === 0) return null;
  const secure = h.get(HEADER_SECURE);
  if (secure === undefined) throw new QkdHeaderError('missing_header', `${HEADER_SECURE} is missing`);
  if (secure !== 'true' && secure !== 'false') throw new QkdHeaderError('invalid_value', `${HEADER_SECURE} must be true or false`);
  if (secure === 'false') {
    if (h.size > 1) throw new QkdHeaderError('inconsistent', `${HEADER_SECURE}: false comes with no other X-QKD header`);
    return { secure: false };
  }
  const level = h.get(HEADER_LEVEL);
  if (level === undefined) throw new QkdHeaderError('missing_header', `${HEADER_LEVEL} is missing`);
  if (!(level in LEVEL_ALGORITHM)) throw new QkdHeaderError('invalid_value', `${HEADER_LEVEL} must be L1, L2, L3 or L4`);
  const lvl = level as SecurityLevel;
  const algorithm = h.get(HEADER_ALGORITHM);
  if (algorithm === undefined) throw new QkdHeaderError('missing_header', `${HEADER_ALGORITHM} is missing`);
  if (!Object.values(LEVEL_ALGORITHM).includes(algorithm as QkdAlgorithm)) {
    throw new QkdHeaderError('invalid_value', `${HEADER_ALGORITHM}: unknown algorithm ${JSON.stringify(algorithm.slice(0, 60))}`);
  }
  if (LEVEL_ALGORITHM[lvl] !== algorithm)
    throw new QkdHeaderError('inconsistent', `${HEADER_ALGORITHM} ${algorithm} does not belong to level ${lvl}`);
  const rawIds = h.get(HEADER_KEY_ID);
  if (usesKeys(lvl)) {
    if (rawIds === undefined || rawIds === '') throw new QkdHeaderError('missing_header', `${HEADER_KEY_ID} is required at level ${lvl}`);
    const ids = rawIds.split(',').map((s) => s.trim());
    checkKeyIds(ids);
    return { secure: true, level: lvl, algorithm: algorithm as QkdAlgorithm, keyIds: ids };
  }
  if (rawIds !== undefined) throw new QkdHeaderError('inconsistent', `${HEADER_KEY_ID} is not used at level ${lvl}`);
  return { secure: true, level: lvl, algorithm: algorithm as QkdAlgorithm, keyIds: [] };
}
