// imapflow clients for a legacy account: implicit TLS, STARTTLS (required, not opportunistic)
// or none; an extra CA added to the system roots; password or XOAUTH2 bearer.
import { rootCertificates } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { classify } from '../errors.js';
import type { ServerConfig } from '../types.js';

export type Credentials = { user: string; pass: string } | { user: string; accessToken: string };

/** node:tls options for a server: the system roots plus the account's CA, when it has one. */
export function tlsOptions(s: ServerConfig): { ca?: string[]; servername?: string; minVersion: 'TLSv1.2' } {
  return {
    minVersion: 'TLSv1.2',
    ...(s.ca ? { ca: [...rootCertificates, s.ca] } : {}),
    ...(/^[\d.]+$|:/.test(s.host) ? {} : { servername: s.host }),
  };
}

export function imapOptions(s: ServerConfig, creds: Credentials, extra: Partial<ImapFlowOptions> = {}): ImapFlowOptions {
  return {
    host: s.host,
    port: s.port,
    secure: s.tls === 'implicit',
    doSTARTTLS: s.tls === 'starttls' ? true : s.tls === 'none' ? false : undefined,
    tls: tlsOptions(s),
    auth: creds,
    logger: false,
    qresync: true,
    connectionTimeout: 20_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
    // Servers without IDLE are polled with NOOP.
    missingIdleCommand: 'NOOP',
    ...extra,
  };
}

/** A connected, logged-in client; failures come as LegacyError naming the stage. */
export async function connectImap(s: ServerConfig, creds: Credentials, extra: Partial<ImapFlowOptions> = {}): Promise<ImapFlow> {
  const client = new ImapFlow(imapOptions(s, creds, extra));
  // imapflow emits 'error' for socket failures; the command in flight rejects with it too.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw classify(e, `IMAP ${s.host}:${s.port}`);
  }
  return client;
}
