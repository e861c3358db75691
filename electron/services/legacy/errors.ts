// The one error legacy accounts raise. `code` names the stage that failed, so "test
// connection" and sync can tell the user what to fix; messages name hosts, never secrets.
export type LegacyErrorCode =
  'dns' | 'tcp' | 'tls_certificate' | 'tls' | 'auth' | 'oauth_revoked' | 'protocol' | 'timeout' | 'not_found' | 'invalid_input' | 'closed';

export class LegacyError extends Error {
  override readonly name = 'LegacyError';
  constructor(
    readonly code: LegacyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The message went (SMTP accepted it); only its copy in Sent failed: sending again would send it twice. */
export class SentCopyError extends LegacyError {
  constructor(
    readonly failure: LegacyError,
    readonly messageId: string,
  ) {
    super(failure.code, `The email was sent, but its copy could not be filed in Sent (${failure.message}).`);
  }
}

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** Maps what imapflow, nodemailer, node:net/tls or our POP3 client threw to a LegacyError. */
export function classify(e: unknown, where: string): LegacyError {
  if (e instanceof LegacyError) return e;
  const err = e as {
    code?: string;
    message?: string;
    authenticationFailed?: boolean;
    responseText?: string;
    responseCode?: number;
    cause?: unknown;
  };
  const code = err?.code ?? '';
  const msg = `${where}: ${err?.responseText ?? err?.message ?? String(e)}`;
  if (CERT_CODES.has(code) || /certificate|self[- ]signed/i.test(err?.message ?? '')) return new LegacyError('tls_certificate', msg);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EDNS') return new LegacyError('dns', msg);
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNECTION')
    return new LegacyError('tcp', msg);
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT' || code === 'CONNECT_TIMEOUT' || code === 'GREETING_TIMEOUT')
    return new LegacyError('timeout', msg);
  if (err?.authenticationFailed || code === 'EAUTH' || code === 'AUTHENTICATIONFAILED' || err?.responseCode === 535)
    return new LegacyError('auth', msg);
  if (code === 'ETLS' || /tls|ssl/i.test(code)) return new LegacyError('tls', msg);
  if (
    code === 'NoConnection' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ClosedAfterConnectTLS' ||
    code === 'ClosedAfterConnectText'
  )
    return new LegacyError('closed', msg);
  if (err?.cause) {
    const inner = classify(err.cause, where);
    if (inner.code !== 'protocol') return inner;
  }
  return new LegacyError('protocol', msg);
}
