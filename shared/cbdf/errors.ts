// Every CBDF decoder and encoder reports failure through this one error class. The `code`
// is stable (tests, logs and the UI key on it); the message is for people.
export type CbdfErrorCode =
  | 'TRUNCATED'
  | 'TOO_LARGE'
  | 'TRAILING_BYTES'
  | 'BAD_SEPARATOR'
  | 'BAD_META'
  | 'DUPLICATE_KEY'
  | 'RETIRED_KEY'
  | 'ANNOTATION_ON_WIRE'
  | 'FORBIDDEN_KEY'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_COMPRESSION'
  | 'DECOMPRESSION_FAILED'
  | 'ZIP_BOMB'
  | 'BAD_STYLES'
  | 'BAD_RECORD'
  | 'BAD_TEXT'
  | 'BAD_UTF8'
  | 'RESERVED_CONTROL'
  | 'STYLE_STACK'
  | 'STYLE_INDEX'
  | 'BAD_RESOURCE'
  | 'LOGIC_NOT_ALLOWED'
  | 'BAD_EXTENSION'
  | 'CONTENT_HASH_MISMATCH'
  | 'BAD_ADDRESS'
  | 'BAD_JSON'
  | 'BAD_INPUT';

export class CbdfError extends Error {
  override readonly name = 'CbdfError';
  constructor(
    readonly code: CbdfErrorCode,
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

export function fail(code: CbdfErrorCode, message: string, offset?: number): never {
  throw new CbdfError(code, message, offset);
}
