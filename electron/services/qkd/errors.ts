// Every failure of the QKD client is a KmeError with a stable code the caller can act on
// (and the fallback decision reads), and a sentence an operator can act on.
export type KmeErrorCode =
  | 'invalid_argument' // refused client-side before any request
  | 'bad_request' // 400 that is not one of the cases below
  | 'unauthorized' // 401, or the TLS handshake refused our client certificate
  | 'server_untrusted' // the KME's certificate does not chain to the pinned CA / wrong name
  | 'exhausted' // no key material: 503, or a deviant 400 that means the same
  | 'unavailable' // 503 or another 5xx for another reason
  | 'key_not_found' // dec_keys: the KME does not know the key_ID (yet), after retries
  | 'key_consumed' // dec_keys: the KME says the key_ID was already retrieved
  | 'key_reused' // our own ledger: the key was already used once here
  | 'http_error' // any other status
  | 'malformed_response' // not ETSI 014 JSON, wrong counts, wrong sizes, bad base64, bad key_ID
  | 'response_too_large'
  | 'network'
  | 'timeout'
  | 'cache_corrupt';

export interface KmeErrorInfo {
  status?: number;
  /** The KME's own `message`, or text pulled from a non-JSON body. */
  kmeMessage?: string;
  details?: unknown[];
  cause?: unknown;
}

export class KmeError extends Error {
  override readonly name = 'KmeError';
  readonly status?: number;
  readonly kmeMessage?: string;
  readonly details?: unknown[];
  constructor(
    readonly code: KmeErrorCode,
    message: string,
    info: KmeErrorInfo = {},
  ) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.status = info.status;
    this.kmeMessage = info.kmeMessage;
    this.details = info.details;
  }
}

/** A limit the KME announces in its status (ETSI GS QKD 014, clause 6.1). */
export type KmeLimitName = 'max_key_size' | 'min_key_size' | 'max_key_per_request';

/**
 * A request the KME's own announced limits rule out (code `invalid_argument`): which limit,
 * what the KME allows, what was asked. Refused before it is sent (no `status`), or, when
 * the KME refused it without saying why, found in its status afterwards (with `status`).
 */
export class KmeLimitError extends KmeError {
  constructor(
    readonly limit: KmeLimitName,
    readonly allowed: number,
    readonly requested: number,
    message: string,
    info: KmeErrorInfo = {},
  ) {
    super('invalid_argument', message, info);
  }
}
