// The one error mime/ raises. Hostile or malformed input ends here, never in an untyped
// exception; `tampered` is never downgraded to "show it as plain mail".
export type MimeErrorCode =
  | 'too_large' // a bound below was passed (message, header, part count, text, payload)
  | 'malformed' // not a message mailparser or our formats can read
  | 'not_encrypted' // no QMail encrypted part where one was expected
  | 'unsupported' // a version or security level this build does not read
  | 'tampered' // a signature, MAC or header binding does not verify
  | 'not_for_us' // sealed for other recipients only
  | 'unknown_sender' // the sender's identity is not the one the directory/contacts know
  | 'keys_unavailable'; // L1/L2: our QKD key manager cannot give the keys named

export class MimeError extends Error {
  override readonly name = 'MimeError';
  constructor(
    readonly code: MimeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
