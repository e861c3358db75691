// The one error the main-process services raise for what the user can fix or must wait
// for; the app turns its code into a contract error. It sits below every service folder
// (identity, mail …) so each can raise it without importing another.
export class MailError extends Error {
  override readonly name = 'MailError';
  constructor(
    readonly code: 'no_identity' | 'not_found' | 'invalid_input' | 'unavailable' | 'too_few_servers' | 'fee_not_covered',
    message: string,
  ) {
    super(message);
  }
}
