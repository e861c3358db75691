// Legacy account settings, what reaches the renderer, and the provider presets.
import type { FolderId } from '../../../shared/ipc/index.js';
import type { Envelope } from '../../store/legacy.js';
import type { LegacyErrorCode } from './errors.js';
import type { OAuthProviderConfig } from './oauth2.js';

export type TlsMode = 'implicit' | 'starttls' | 'none';
export type PresetName = 'gmail' | 'outlook' | 'yahoo' | 'generic';

export interface ServerConfig {
  host: string;
  port: number;
  tls: TlsMode;
  /** PEM of an extra CA to trust (a private server). */
  ca?: string;
}

export type IncomingConfig = { kind: 'imap' | 'pop3' } & ServerConfig;

export type AuthInput = { kind: 'password'; password: string } | { kind: 'oauth2'; provider: OAuthProviderConfig };

export interface LegacyAccountInput {
  name: string;
  preset: PresetName;
  email: string;
  displayName?: string;
  user: string;
  incoming: IncomingConfig;
  smtp: ServerConfig;
  auth: AuthInput;
  /** POP3: keep messages on the server after downloading (default true). */
  leaveOnServer?: boolean;
}

/** The sealed settings row (no secret). */
export interface AccountSettings extends Omit<LegacyAccountInput, 'auth'> {
  authKind: 'password' | 'oauth2';
  oauth?: OAuthProviderConfig;
  lastSyncAt?: number;
  lastError?: { code: LegacyErrorCode; message: string };
}

/** The sealed secret: a password, or OAuth2 tokens. */
export type AccountSecret =
  { kind: 'password'; password: string } | { kind: 'oauth2'; accessToken: string; refreshToken?: string; expiresAt: number };

type PublicServer = Omit<ServerConfig, 'ca'> & { hasCa: boolean };

export interface LegacyAccountView {
  id: string;
  name: string;
  preset: PresetName;
  email: string;
  displayName?: string;
  user: string;
  incoming: { kind: 'imap' | 'pop3' } & PublicServer;
  smtp: PublicServer;
  authKind: 'password' | 'oauth2';
  leaveOnServer: boolean;
  lastSyncAt?: number;
  lastError?: { code: LegacyErrorCode; message: string };
}

/** One row of the unified inbox: the sealed envelope, opened, plus where it lives and its flags. */
export interface LegacyMessageSummary extends Envelope {
  id: string;
  accountId: string;
  folder: FolderId | null;
  folderPath: string;
  uid: number;
  date: number;
  size: number;
  unread: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
}

export interface Preset {
  incoming: IncomingConfig;
  smtp: ServerConfig;
  /** The provider files sent mail itself (no APPEND to Sent). */
  savesSent: boolean;
  oauth?: { authorizationUrl: string; tokenUrl: string; scope: string };
}

export const PRESETS: Record<Exclude<PresetName, 'generic'>, Preset> = {
  gmail: {
    incoming: { kind: 'imap', host: 'imap.gmail.com', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.gmail.com', port: 465, tls: 'implicit' },
    savesSent: true,
    oauth: {
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      scope: 'https://mail.google.com/',
    },
  },
  outlook: {
    incoming: { kind: 'imap', host: 'outlook.office365.com', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.office365.com', port: 587, tls: 'starttls' },
    savesSent: false,
    oauth: {
      authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      scope: 'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
    },
  },
  yahoo: {
    incoming: { kind: 'imap', host: 'imap.mail.yahoo.com', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.mail.yahoo.com', port: 465, tls: 'implicit' },
    savesSent: false,
  },
};
