// The one typed contract between the UI and the main process. Every request, response
// and event is declared here once; the preload (Electron IPC) and the host (WebSocket)
// both validate against these schemas, so the renderer runs unchanged on either.
import { z } from 'zod';
import { LEVELS } from '../qmail/levels.js';
import { ADDRESS_PATTERN } from '../qmail/address.js';
import { MAX_STRIPES } from '../stripe/layout.js';

export const FolderId = z.enum(['inbox', 'sent', 'drafts', 'archive', 'trash']);
export type FolderId = z.infer<typeof FolderId>;

const Empty = z.object({}).strict();
const MessageId = z.string().regex(/^[0-9a-f]{32}$/, 'message id is 32 lowercase hex digits');
/** Which mail a list or search covers: all (left out), qmail only, or one legacy account (its id). */
export const MailSource = z.union([z.literal('qmail'), MessageId]);
export type MailSource = z.infer<typeof MailSource>;
/** A stripe layout as reported (messages, certificates); what a caller asks for is checked by StripeLayout. */
const StripeShape = z.object({ k: z.number().int(), p: z.number().int() });

export const FolderSummary = z.object({
  id: FolderId,
  name: z.string(),
  total: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
});
export type FolderSummary = z.infer<typeof FolderSummary>;

export const MessageSummary = z.object({
  id: MessageId,
  folder: FolderId,
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  preview: z.string(),
  date: z.number().int().nonnegative(),
  unread: z.boolean(),
  level: z.enum([...LEVELS, 'plain', 'local']),
  /** The sender's display name: from the directory record that verified on receive, or our identity's name for our own mail. */
  fromName: z.string().optional(),
  /** Display names of recipients, by address, where known (our own name, names the directory gave when sending). */
  toNames: z.record(z.string(), z.string()).optional(),
  /** Mail of a legacy (IMAP/POP3) account in the unified folders: the account it came through; absent for qmail. */
  origin: z.object({ accountId: MessageId, account: z.string() }).optional(),
  /**
   * Chips that came with this qmail (received) or went with it (sent), in CC. `state`: 'received'
   * — in our wallet; 'pending' — the beacon holds it for us and it is not collected yet; 'paid' —
   * our Send paid it; 'refunded' — it came back to our wallet.
   */
  tip: z.object({ amount: z.string(), state: z.enum(['received', 'pending', 'paid', 'refunded']) }).optional(),
});
export type MessageSummary = z.infer<typeof MessageSummary>;

/** [start, end) offsets, in UTF-16 code units, of a matched stretch of text. */
export const TextRange = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);
export type TextRange = z.infer<typeof TextRange>;

/**
 * A search result: the message's summary, where `preview` is an excerpt around the first match
 * when the match lies deeper in the text (or names the matching attachment), and the ranges to
 * highlight in what a list row shows.
 */
/** A search as typed: the words, the folder (all when absent), how many hits, which mail. */
export const SearchQuery = z
  .object({
    query: z.string().min(1).max(256),
    folder: FolderId.optional(),
    limit: z.number().int().min(1).max(500).default(50),
    source: MailSource.optional(),
  })
  .strict();
export const SearchHit = MessageSummary.extend({
  highlights: z.object({
    subject: z.array(TextRange),
    preview: z.array(TextRange),
    from: z.array(TextRange),
    fromName: z.array(TextRange),
    /** Per recipient address: ranges in its display name when known (toNames), else in the address. */
    to: z.record(z.string(), z.array(TextRange)),
  }),
  /** Which parts of the message matched, including those a row does not show. */
  matchedIn: z.array(z.enum(['from', 'to', 'subject', 'body', 'attachment'])),
  /** An email found by its account's server (mail.searchServer): its text is not held here, so what matched there is not known. */
  onServer: z.literal(true).optional(),
});
export type SearchHit = z.infer<typeof SearchHit>;

/** Where one recipient's copy stands: queued, being sent, its beacon took the notice, or failed (and why). */
export const RecipientDelivery = z.object({
  address: z.string(),
  name: z.string().optional(),
  state: z.enum(['queued', 'sending', 'delivered', 'failed']),
  reason: z.string().optional(),
  /** When the beacon took the notice (delivered). */
  at: z.number().int().nonnegative().optional(),
  /** CC put in this recipient's locker with the Tell (their inbox fee or a tip); absent: nothing paid. */
  paid: z.string().optional(),
  /** The locker came back to the wallet (the Tell was refused, or the send given up). */
  refunded: z.boolean().optional(),
});
export type RecipientDelivery = z.infer<typeof RecipientDelivery>;

/** What the reader shows about an attachment; the bytes stay in the main process until saved. */
export const AttachmentInfo = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  size: z.number().int().nonnegative(),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfo>;

/**
 * A formatted body: a CBDF/1.0 Phase II document (docs/protocol/cbdf.md), base64. At most
 * 10 MiB of CBDF (inline images included); `body` always carries its plain text as well.
 */
export const RichBody = z
  .string()
  .max(Math.ceil((10 * 1024 * 1024) / 3) * 4, 'a formatted body is at most 10 MiB')
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'a formatted body is base64');

export const MessageView = MessageSummary.extend({
  /** The text: the whole message for plain mail, the formatted body's plain text (CBDF → text) otherwise. */
  body: z.string(),
  /** The formatted body, when the message has one (the reader renders it; `body` stays for search and older mail). */
  document: RichBody.optional(),
  attachments: z.array(AttachmentInfo).optional(),
  /** Stripe layout the message travelled with, when it came over QMail. */
  stripes: StripeShape.optional(),
  /** Servers whose stripes were missing or damaged and were rebuilt from parity. */
  repaired: z.number().int().nonnegative().optional(),
  /** How the message was protected, from verified data only (QMail messages; absent for drafts and legacy mail). */
  certificate: z.lazy(() => MessageCertificate).optional(),
  /** Drafts: what the composer had besides To, subject, text and attachments (`attachments` lists those; mail.attachment gives their bytes). */
  draft: z
    .object({
      cc: z.array(z.string()),
      level: z.enum(LEVELS),
      stripes: StripeShape,
      /** A reply's draft: the message it answers. */
      inReplyTo: MessageId.optional(),
    })
    .optional(),
  /** The conversation: `inReplyTo` is the message here that this one answers (when we have it); `size` counts the conversation's messages here, this one included (mail.thread lists them). */
  thread: z.object({ inReplyTo: MessageId.optional(), size: z.number().int().min(1) }).optional(),
  /** Sent mail: each recipient's delivery as the outbox recorded it. */
  delivery: z.array(RecipientDelivery).optional(),
  /** Trash: the folder Restore puts the message back in. */
  restoreTo: FolderId.optional(),
  /** Legacy account mail (`origin` set): remote images held back, and the encrypted-over-legacy outcome. */
  legacy: z.lazy(() => LegacyReading).optional(),
});
export type MessageView = z.infer<typeof MessageView>;

const Passphrase = z.string().min(8, 'a passphrase has at least 8 characters').max(1024);

export const VaultState = z.object({
  state: z.enum(['absent', 'locked', 'unlocked']),
  keychain: z.boolean(),
});
export type VaultState = z.infer<typeof VaultState>;

// ---- identity, directory, servers, outbox ----------------------------------------------

/** A QMail address as people write it: coin group hex . denomination . serial (0006.1.42). */
export const Address = z.string().regex(ADDRESS_PATTERN, 'a QMail address looks like 0006.1.42');
const NodeId = z.string().regex(/^[0-9a-f]{32}$/, 'a server id is 32 lowercase hex digits');
const DisplayName = z.string().trim().min(1, 'a name is needed').max(64);
export const SecurityLevel = z.enum(LEVELS);
export type SecurityLevel = z.infer<typeof SecurityLevel>;
/** k data stripes + p parity stripes, the bounds of shared/stripe/layout.ts. */
export const StripeLayout = StripeShape.extend({ k: z.number().int().min(1), p: z.number().int().min(0) })
  .strict()
  .refine((l) => l.k + l.p >= 2 && l.k + l.p <= MAX_STRIPES, `k + p is between 2 and ${MAX_STRIPES}`);
export type StripeLayout = z.infer<typeof StripeLayout>;

export const IdentityState = z.object({
  state: z.enum(['none', 'ready']),
  address: Address.optional(),
  name: z.string().optional(),
  /** 30 digits in six groups, read aloud to verify a correspondent. */
  fingerprint: z.string().optional(),
  beacon: NodeId.optional(),
  storage: z.array(NodeId).optional(),
  /** false while a new identity's recovery phrase waits to be confirmed (onboarding ends only then). */
  phraseConfirmed: z.boolean().optional(),
});
export type IdentityState = z.infer<typeof IdentityState>;

export const Contact = z.object({ address: Address, name: z.string(), fingerprint: z.string().optional() });
export type Contact = z.infer<typeof Contact>;

export const ServerInfo = z.object({
  nodeId: NodeId,
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
  pricePerMbMonth: z.number(),
  inboxFeeCut: z.number(),
  maxAttachmentBytes: z.number().int(),
  jurisdiction: z.string(),
  location: z.string(),
  uptimeSeconds: z.number().int(),
  protocol: z.string(),
  /** What the directory measured: echo round trip (ms, null before one answered) and share of probes answered (0..1). */
  latencyMs: z.number().nullable().optional(),
  uptime: z.number().min(0).max(1).optional(),
  /** The server takes only paid hires (EXT-10); absent or false: it registers free (test networks). */
  hireRequired: z.boolean().optional(),
  /** Whether this identity stores its mail here / uses it as its beacon. */
  hired: z.boolean(),
  beacon: z.boolean(),
  /** This identity's published choice stores new mail here (hired alone may be a server left behind, or a recipient's beacon). */
  storage: z.boolean().optional(),
  /** This identity's paid term here, as the app last paid it (ms since 1970, MB bought); absent: no paid term known. */
  paidUntil: z.number().int().nonnegative().optional(),
  quotaMb: z.number().int().positive().optional(),
});
export type ServerInfo = z.infer<typeof ServerInfo>;
/** A paid term (EXT-10): months of 30 days, MB bought on each server. */
export const HireTerm = z.object({ months: z.number().int().min(1).max(24), quotaMb: z.number().int().min(1).max(1_000_000) }).strict();
export type HireTerm = z.infer<typeof HireTerm>;

/** A staged upload's id (attachments.begin). */
export const StageId = z.string().regex(/^[0-9a-f]{32}$/, 'an upload id is 32 lowercase hex digits');
/** One chunk of a staged upload, base64: at most 1 MiB of bytes. */
export const STAGE_CHUNK_BASE64 = Math.ceil((1 << 20) / 3) * 4;

/** Attachment bytes travel base64 over the contract (the renderer reads them from a File). */
export const OutgoingAttachment = z
  .object({
    name: z.string().min(1).max(255),
    data: z.string().max(34 * 1024 * 1024, 'attachments over 25 MB go through a file path, not the contract'),
  })
  .strict();

// ---- quantum keys (ETSI GS QKD 014 KME) ----------------------------------------------

/** An SAE ID as ETSI 014 allows it in a URL path. */
export const SaeId = z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'an SAE ID is 1-128 letters, digits, . _ ~ -');
const FilePath = z.string().trim().min(1, 'a file path is needed').max(4096);

/** The profile's KME: where it is, who we are to it, whom we talk to through it. Stored sealed by the vault. */
export const QkdSettings = z
  .object({
    /** https URL of our KME (a path prefix is kept). */
    url: z
      .string()
      .max(2048)
      .regex(/^https:\/\/[^\s?#@]+$/, 'the KME URL is https://host[:port][/prefix]'),
    /** Our own SAE ID (the CN of the client certificate). */
    saeId: SaeId,
    /** The peer SAE for correspondents not listed in `peers`. */
    defaultPeerSaeId: SaeId.optional(),
    /** Peer SAE per correspondent address (0006.1.42 → SAE_BOB). */
    peers: z.record(Address, SaeId).default({}),
    certFile: FilePath,
    keyFile: FilePath,
    caFile: FilePath,
    /** Name in the KME's certificate when it differs from the URL host. */
    servername: z.string().max(255).optional(),
  })
  .strict();
export type QkdSettings = z.infer<typeof QkdSettings>;

export const QkdSettingsState = z.object({
  configured: z.boolean(),
  settings: QkdSettings.optional(),
  /** The kme.json of the local test network this app runs (embedded mode only); import side A of it to use it. */
  localKme: z.object({ path: z.string() }).optional(),
});
export type QkdSettingsState = z.infer<typeof QkdSettingsState>;

export const LevelAvailability = z.object({
  level: SecurityLevel,
  available: z.boolean(),
  /** Why not, in words ("no KME configured", "key pool exhausted: …"). */
  reason: z.string().optional(),
  /** L1/L2: the reader shows "Quantum Secured". */
  quantum: z.boolean(),
  /** L1/L2: key bits this message would take per recipient, and what the link holds now (the smallest over the recipients). */
  neededBits: z.number().int().nonnegative().optional(),
  availableBits: z.number().int().nonnegative().optional(),
});
export type LevelAvailability = z.infer<typeof LevelAvailability>;

export const QkdKeyRefView = z.object({ keyId: z.string(), kmeId: z.string() });

/** The reader's certificate panel. Every field comes from data that verified. */
export const MessageCertificate = z.object({
  /** 'received': from an opened capsule; 'sent': what this device sealed. */
  direction: z.enum(['received', 'sent']),
  level: SecurityLevel,
  /** L1/L2 only. */
  quantumSecured: z.boolean(),
  algorithms: z.object({ capsule: z.string(), stripes: z.string(), signature: z.string() }),
  /** L1/L2: the QKD keys, per recipient when sent. */
  qkd: z.array(z.object({ recipient: z.string().optional(), keys: z.array(QkdKeyRefView), kmeIds: z.array(z.string()) })).optional(),
  /** True only when openCapsule verified the sender's ML-DSA-65 signature (received mail). */
  signatureVerified: z.boolean(),
  senderFingerprint: z.string(),
  stripes: StripeShape,
  /** The servers that held the stripes; `ok` false when that stripe was missing or damaged (rebuilt from parity). */
  servers: z.array(
    z.object({ stripe: z.number().int().nonnegative(), host: z.string(), port: z.number().int(), ok: z.boolean().optional() }),
  ),
  /** Set when the user asked for L1/L2, allowed fallback, and the message went at L3. */
  fallback: z.object({ from: z.enum(['L1', 'L2']), reason: z.string() }).optional(),
});
export type MessageCertificate = z.infer<typeof MessageCertificate>;

export const OutboxItem = z.object({
  id: MessageId,
  to: z.array(z.string()),
  subject: z.string(),
  state: z.enum(['queued', 'sending', 'sent', 'failed']),
  attempts: z.number().int().nonnegative(),
  /** Stripes acknowledged by servers so far, out of total (k + p per object). */
  uploaded: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** Why the last attempt failed, in words for the user. */
  error: z.string().optional(),
  nextAttemptAt: z.number().int().optional(),
  createdAt: z.number().int().nonnegative(),
  /** The level the message is (or was) sent at. */
  level: SecurityLevel.optional(),
  /** L1/L2 was asked for with fallback allowed and could not be had: sent at L3 instead, and why. */
  fallback: z.object({ from: z.enum(['L1', 'L2']), reason: z.string() }).optional(),
  /** Each recipient's state. */
  recipients: z.array(RecipientDelivery).optional(),
});
export type OutboxItem = z.infer<typeof OutboxItem>;

// ---- legacy accounts (IMAP/POP3 + SMTP), their mail, the gateway ------------------------
const TlsMode = z.enum(['implicit', 'starttls', 'none']);
const LegacyServer = z
  .object({
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address'),
    port: z.number().int().min(1).max(65535),
    tls: TlsMode,
  })
  .strict();
const EmailAddress = z
  .string()
  .max(254)
  .regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'an email address looks like name@example.org');
/** What the user types to add or test an account; the password goes to the main process only, never back. */
export const LegacyAccountInput = z
  .object({
    name: z.string().trim().min(1).max(64),
    preset: z.enum(['gmail', 'outlook', 'yahoo', 'generic']),
    email: EmailAddress,
    displayName: z.string().max(128).optional(),
    user: z.string().min(1).max(254),
    incoming: LegacyServer.extend({ kind: z.enum(['imap', 'pop3']) }).strict(),
    smtp: LegacyServer,
    password: z.string().min(1).max(1024),
    leaveOnServer: z.boolean().optional(),
    /** PEM of a CA both servers are trusted under besides the system's (a self-hosted server); on edit, left out keeps the saved one and '' removes it. */
    ca: z
      .string()
      .max(256 * 1024)
      .optional(),
  })
  .strict();
export type LegacyAccountInput = z.infer<typeof LegacyAccountInput>;
/** The provider a generic account signs in at (OAuth2 public client: a client id, no secret). */
export const LegacyOAuthEndpoints = z
  .object({ authorizationUrl: z.url(), tokenUrl: z.url(), clientId: z.string().min(1).max(512), scope: z.string().max(2048) })
  .strict();
/** An account that signs in with its provider instead of a password (Gmail, Outlook: their endpoints; generic: `oauth`). */
export const LegacySignInInput = LegacyAccountInput.omit({ password: true }).extend({ oauth: LegacyOAuthEndpoints.optional() }).strict();
export type LegacySignInInput = z.infer<typeof LegacySignInInput>;
/**
 * A browser sign-in the main process runs (RFC 8252): `url` is the provider's page (the
 * desktop app opens it in the system browser; host mode shows it as a link), the answer comes
 * back to the main process on 127.0.0.1; the tokens stay there. `account` once signed in and added.
 */
export const LegacySignIn = z.object({
  id: MessageId,
  state: z.enum(['waiting', 'done', 'failed', 'cancelled']),
  url: z.string(),
  account: z.lazy(() => LegacyAccount).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type LegacySignIn = z.infer<typeof LegacySignIn>;
const PublicServer = z.object({ host: z.string(), port: z.number().int(), tls: TlsMode, hasCa: z.boolean() });
export const LegacyAccount = z.object({
  id: MessageId,
  name: z.string(),
  preset: z.enum(['gmail', 'outlook', 'yahoo', 'generic']),
  email: z.string(),
  displayName: z.string().optional(),
  user: z.string(),
  incoming: PublicServer.extend({ kind: z.enum(['imap', 'pop3']) }),
  smtp: PublicServer,
  authKind: z.enum(['password', 'oauth2']),
  leaveOnServer: z.boolean(),
  lastSyncAt: z.number().optional(),
  lastError: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type LegacyAccount = z.infer<typeof LegacyAccount>;
/** "Test connection": ok, or the stage that failed (dns, tcp, tls_certificate, tls, auth …) on which server. */
export const LegacyTestResult = z.object({
  ok: z.boolean(),
  stage: z.string().optional(),
  server: z.enum(['incoming', 'smtp']).optional(),
  message: z.string(),
});
export type LegacyTestResult = z.infer<typeof LegacyTestResult>;
/** One row of a legacy account's mail, with the account it came through. */
export const LegacyMessageRow = z.object({
  id: MessageId,
  accountId: MessageId,
  account: z.string(),
  folder: FolderId.nullable(),
  date: z.number(),
  unread: z.boolean(),
  from: z.string(),
  fromName: z.string().optional(),
  to: z.array(z.string()),
  subject: z.string(),
  hasAttachments: z.boolean(),
});
export type LegacyMessageRow = z.infer<typeof LegacyMessageRow>;
export const LegacyMessageView = LegacyMessageRow.extend({
  cc: z.array(z.string()),
  body: z.string(),
  document: RichBody.optional(),
  /** Remote images the message names and does not show (the sender is not allowed yet). */
  remoteImages: z.number().int().nonnegative(),
  imagesAllowed: z.boolean(),
  attachments: z.array(AttachmentInfo),
  messageId: z.string().optional(),
  /** Encrypted with QMail Desktop and opened: from verified data only. */
  secure: z
    .object({ level: z.enum(['L1', 'L2', 'L3']), sender: z.string(), senderFingerprint: z.string(), keyIds: z.array(z.string()) })
    .optional(),
  /** Encrypted but could not be opened: why (tampered, not_for_us, unknown_sender, keys_unavailable …); never shown as plain mail. */
  problem: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type LegacyMessageView = z.infer<typeof LegacyMessageView>;
/** What the reader shows of a legacy message besides a qmail's fields (MessageView.legacy). */
export const LegacyReading = LegacyMessageView.pick({
  remoteImages: true,
  imagesAllowed: true,
  messageId: true,
  secure: true,
  problem: true,
  cc: true,
});
export type LegacyReading = z.infer<typeof LegacyReading>;

/**
 * The most an email through a legacy account may carry in attachments (their bytes, before
 * encoding), by its provider: Outlook.com takes 20 MB, Gmail and Yahoo 25 MB; another server
 * 25 MB, as Gmail (its SMTP SIZE, when it says one, is checked when the message goes).
 */
const MB = 1024 * 1024;
export const LEGACY_ATTACHMENT_LIMITS = { gmail: 25 * MB, outlook: 20 * MB, yahoo: 25 * MB, generic: 25 * MB } as const;
export function legacyAttachmentLimit(preset: LegacyAccount['preset']): number {
  return LEGACY_ATTACHMENT_LIMITS[preset];
}

// ---- wallet (Chips) ------------------------------------------------------------------
/** A CC amount as an exact decimal (up to 8 places): JSON numbers would round it. */
const CcAmount = z.string().regex(/^\d{1,15}(?:\.\d{1,8})?$/, 'an amount in CC, up to 8 decimals');
/** Coin files are small (439 bytes a coin): 1 MiB holds thousands. */
export const WALLET_FILE_MAX = 1 << 20;
const Denomination = z.number().int().min(-8).max(11);
export const WalletBalance = z.object({
  total: CcAmount,
  /** Of the total, test money from a test network's mint (not real). */
  test: CcAmount,
  /** Coins whose pown is undecided (not in the total). */
  limbo: z.number().int().nonnegative(),
  byDenomination: z.array(z.object({ denomination: Denomination, value: CcAmount, coins: z.number().int().nonnegative() })),
  /** The network has a mint: "Get test Chips" is offered. */
  testNetwork: z.boolean(),
});
export type WalletBalance = z.infer<typeof WalletBalance>;
/** A coin as the UI sees it: never its ANs. */
export const WalletCoin = z.object({
  denomination: Denomination,
  value: CcAmount,
  serial: z.number().int().nonnegative(),
  test: z.boolean(),
  state: z.enum(['bank', 'limbo', 'locker']),
});
export type WalletCoin = z.infer<typeof WalletCoin>;
export const WalletHistoryRow = z.object({
  at: z.number().int().nonnegative(),
  kind: z.enum(['received', 'imported', 'minted', 'rejected', 'exported', 'change', 'recovered', 'locker']),
  amount: CcAmount,
  coins: z.number().int().nonnegative(),
  test: z.boolean(),
  note: z.string().optional(),
});
export type WalletHistoryRow = z.infer<typeof WalletHistoryRow>;
export const WalletReceived = z.object({
  accepted: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  limbo: z.number().int().nonnegative(),
  amount: CcAmount,
});
export type WalletReceived = z.infer<typeof WalletReceived>;

// ---- inbox fees and tips (DRD on the beacons, docs/chips.md) ---------------------------
/**
 * What Send will pay one recipient, asked before Send. 'free': their inbox charges nothing;
 * 'white': we are on their white list, so nothing; 'fee': their beacon charges `fee`; 'default':
 * they set no fee and their beacon's default `fee` applies; 'black': they refuse our mail; 'class':
 * they refuse senders of our coin class; 'unknown': it could not be read (`reason`), Send may fail.
 */
export const FeeQuote = z.object({
  address: Address,
  kind: z.enum(['free', 'white', 'fee', 'default', 'black', 'class', 'unknown']),
  /** CC this recipient's locker needs ('0' unless kind is 'fee' or 'default'). */
  fee: CcAmount,
  reason: z.string().optional(),
  /**
   * Their beacon takes only paid hires and we hold no term there: the first qmail registers us
   * on it for the app's default term, at this price. Given on one recipient per beacon.
   */
  registration: z
    .object({ server: z.string().max(200), fee: CcAmount })
    .strict()
    .optional(),
});
export type FeeQuote = z.infer<typeof FeeQuote>;
/** Our own inbox on our beacon: its fee, the lowest sender coin class it takes, and the lists. */
export const InboxSettings = z.object({
  fee: CcAmount,
  /** 0: any class; else senders whose mailbox denomination is below this are refused (status 237). */
  classRejection: z.number().int().min(0).max(11),
  white: z.array(Address).max(10_000),
  black: z.array(Address).max(10_000),
  /** Everyone we write to joins the white list. */
  contactsFree: z.boolean(),
});
export type InboxSettings = z.infer<typeof InboxSettings>;

export const requests = {
  'app.info': {
    input: Empty,
    output: z.object({ version: z.string(), host: z.enum(['electron', 'web']), platform: z.string() }),
  },
  /** The embedded network's built-in correspondent, once it is up (absent on other networks); `name` as the directory knows it. */
  'app.correspondent': { input: Empty, output: z.object({ address: Address.optional(), name: z.string().optional() }) },
  'vault.state': { input: Empty, output: VaultState },
  'vault.create': { input: z.object({ passphrase: Passphrase }).strict(), output: VaultState },
  'vault.unlock': { input: z.object({ passphrase: z.string().max(1024) }).strict(), output: VaultState },
  'vault.lock': { input: Empty, output: VaultState },
  'mail.folders': { input: Empty, output: z.array(FolderSummary) },
  /** A folder's messages, newest first: qmail and, in the unified folders, the legacy accounts' mail (`source` narrows to one). */
  'mail.list': {
    input: z
      .object({
        folder: FolderId,
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(200),
        source: MailSource.optional(),
      })
      .strict(),
    output: z.object({ total: z.number().int().nonnegative(), items: z.array(MessageSummary) }),
  },
  'mail.get': { input: z.object({ id: MessageId }).strict(), output: MessageView },
  'mail.markRead': { input: z.object({ id: MessageId, unread: z.boolean() }).strict(), output: z.object({ ok: z.literal(true) }) },
  'mail.move': { input: z.object({ id: MessageId, folder: FolderId }).strict(), output: z.object({ ok: z.literal(true) }) },
  'drafts.save': {
    input: z
      .object({
        id: MessageId.optional(),
        to: z.array(z.string().max(320)).max(500),
        subject: z.string().max(998),
        body: z.string().max(10 * 1024 * 1024),
        /** The optional fields replace what the draft had when given, and keep it when left out. */
        cc: z.array(z.string().max(320)).max(500).optional(),
        level: SecurityLevel.optional(),
        stripes: StripeLayout.optional(),
        attachments: z.array(OutgoingAttachment).max(64).optional(),
        /** A reply's draft: the message it answers (kept when left out). */
        inReplyTo: MessageId.optional(),
        /** The formatted body; left out, the draft is plain text (`body`). */
        document: RichBody.optional(),
      })
      .strict(),
    output: z.object({ id: MessageId }),
  },
  // ---- identity and onboarding ------------------------------------------------------
  'identity.state': { input: Empty, output: IdentityState },
  /** Makes a new identity, registers it with the directory and hires the chosen servers. */
  'identity.create': {
    input: z
      .object({
        name: DisplayName,
        storage: z.array(NodeId).min(2).max(32).optional(),
        beacon: NodeId.optional(),
        /** What each server that takes only paid hires is paid for (default: a month of 10 MB). */
        term: HireTerm.optional(),
      })
      .strict(),
    output: IdentityState.extend({ recoveryPhrase: z.string() }),
  },
  /** Rebuilds the identity from its 24-word recovery phrase (keeps its address when the directory knows it). */
  'identity.restore': {
    input: z
      .object({
        phrase: z.string().min(1).max(1000),
        name: DisplayName.optional(),
        storage: z.array(NodeId).min(2).max(32).optional(),
        beacon: NodeId.optional(),
      })
      .strict(),
    output: IdentityState,
  },
  /** The 1-based positions of the words the user retypes to confirm the recovery phrase (the same until confirmed). */
  'identity.phrase.challenge': { input: Empty, output: z.object({ positions: z.array(z.number().int().min(1).max(24)) }) },
  /** Checks the retyped words (in the order of the challenge's positions); right ones end onboarding. */
  'identity.phrase.confirm': {
    input: z.object({ words: z.array(z.string().max(64)).min(1).max(24) }).strict(),
    output: IdentityState,
  },
  /** The recovery phrase again, after the passphrase is checked here: the only way it reaches the UI after onboarding. */
  'identity.phrase.reveal': { input: z.object({ passphrase: z.string().max(1024) }).strict(), output: z.object({ phrase: z.string() }) },
  // ---- directory and servers -----------------------------------------------------------
  /** Autocomplete for recipients: names and addresses the directory knows, by prefix. */
  'directory.search': {
    input: z.object({ query: z.string().max(128), limit: z.number().int().min(1).max(50).default(10) }).strict(),
    output: z.array(Contact),
  },
  'servers.list': { input: Empty, output: z.array(ServerInfo) },
  /** Hire a new set of storage servers and a beacon (registers a fresh AN on each new one). */
  'servers.choose': {
    input: z.object({ storage: z.array(NodeId).min(2).max(32), beacon: NodeId, term: HireTerm.optional() }).strict(),
    output: IdentityState,
  },
  /** What choosing these servers costs now: each server that takes paid hires and is not hired yet, and the wallet's balance. */
  'servers.quote': {
    input: z.object({ storage: z.array(NodeId).max(32), beacon: NodeId.optional(), term: HireTerm }).strict(),
    output: z.object({
      items: z.array(z.object({ nodeId: NodeId, name: z.string(), amount: CcAmount })),
      total: CcAmount,
      balance: CcAmount,
      /** Of the balance, test money (a test network's mint). */
      test: CcAmount,
      enough: z.boolean(),
    }),
  },
  /** Extends the paid terms on these servers (default: every hired server whose known term ends within the renewal margin). */
  'servers.renew': {
    input: z.object({ nodeIds: z.array(NodeId).max(64).optional(), months: z.number().int().min(1).max(24).optional() }).strict(),
    output: z.object({
      renewed: z.array(z.object({ nodeId: NodeId, name: z.string(), paidUntil: z.number().int(), amount: CcAmount })),
      failed: z.array(z.object({ nodeId: NodeId, name: z.string(), reason: z.string() })),
    }),
  },
  // ---- sending -------------------------------------------------------------------------
  /** Queues a message in the persistent outbox and starts sending it; progress comes as outbox.changed. */
  'mail.send': {
    input: z
      .object({
        to: z.array(Address).min(1).max(255),
        cc: z.array(Address).max(255).default([]),
        subject: z.string().max(998),
        body: z.string().max(10 * 1024 * 1024),
        attachments: z.array(OutgoingAttachment).max(64).default([]),
        /** Files streamed in before (attachments.begin/chunk/finish), by upload id: sent without their bytes ever crossing whole. */
        staged: z.array(StageId).max(64).default([]),
        level: SecurityLevel.default('L3'),
        stripes: StripeLayout.optional(),
        /** The draft this message was composed in; it is removed once the message is queued. */
        draftId: MessageId.optional(),
        /** A reply: the message it answers; the sealed letter then carries the conversation's reference. */
        inReplyTo: MessageId.optional(),
        /** The formatted body (the letter's text then comes from it, and `body` is replaced by its plain text). */
        document: RichBody.optional(),
        /**
         * L1/L2 only. false (default): if QKD keys cannot be had the send is refused with an
         * 'unavailable' error saying why (before queueing), or the outbox item fails (keys ran out
         * later); nothing is downgraded. true: the message goes at L3 instead and the outbox item's
         * `fallback` says so.
         */
        allowFallback: z.boolean().default(false),
        /**
         * Chips per recipient, in CC, put in a locker for that recipient with the Tell (their inbox
         * fee, or more as a tip). A recipient whose fee (fees.quote) is above what is given here
         * refuses the Send before it is queued ('fee_not_covered' naming the fee); none given: only
         * free inboxes are sent to.
         */
        tips: z
          .array(z.object({ address: Address, amount: CcAmount }).strict())
          .max(255)
          .default([]),
      })
      .strict(),
    output: z.object({ id: MessageId, outbox: OutboxItem }),
  },
  // ---- quantum keys ----------------------------------------------------------------------
  'qkd.settings.get': { input: Empty, output: QkdSettingsState },
  /** Saves the KME settings (files must be readable), imports them from a kme.json (side A or B), or clears them. */
  'qkd.settings.set': {
    input: z
      .object({
        settings: QkdSettings.optional(),
        import: z
          .object({ path: FilePath, side: z.enum(['A', 'B']), peers: z.record(Address, SaeId).optional() })
          .strict()
          .optional(),
        clear: z.literal(true).optional(),
      })
      .strict()
      .refine(
        (o) => [o.settings, o.import, o.clear].filter((x) => x !== undefined).length === 1,
        'give exactly one of settings, import, clear',
      ),
    output: QkdSettingsState,
  },
  /** "Test connection": asks the KME for its status toward a peer (a correspondent's or the default peer SAE). */
  'qkd.test': {
    input: z.object({ peer: z.union([Address, SaeId]).optional() }).strict(),
    output: z.object({
      ok: z.boolean(),
      /** One readable sentence: the KME's answer, or the error's message. */
      message: z.string(),
      /** The KmeError code when it failed (unauthorized, server_untrusted, network, exhausted …). */
      code: z.string().optional(),
      status: z
        .object({
          sourceKmeId: z.string(),
          targetKmeId: z.string(),
          keySize: z.number().int(),
          storedKeyCount: z.number().int(),
          maxKeyPerRequest: z.number().int(),
        })
        .optional(),
    }),
  },
  /** Which levels can protect this message right now, each unavailable one with a reason. */
  'qkd.levels': {
    input: z
      .object({ to: z.array(Address).min(1).max(255), bodyBytes: z.number().int().min(0).default(0), stripes: StripeLayout.optional() })
      .strict(),
    output: z.object({ levels: z.array(LevelAvailability) }),
  },
  'outbox.list': { input: Empty, output: z.array(OutboxItem) },
  'outbox.retry': { input: z.object({ id: MessageId }).strict(), output: OutboxItem },
  /** Takes a queued or failed message out of the outbox and puts it back in Drafts, whole (to edit it, or keep it). */
  'outbox.cancel': { input: z.object({ id: MessageId }).strict(), output: z.object({ ok: z.literal(true), draftId: MessageId }) },
  /** The widest stripe layout this identity can send with: k + p may not exceed `maxServers` (the servers it can use, at most 32). */
  'mail.stripeLimit': {
    input: Empty,
    output: z.object({
      maxServers: z.number().int().min(0).max(32),
      /** On a network whose servers take only paid hires: how many we hold a term on (a wider layout hires and pays more). */
      hired: z.number().int().min(0).max(255).optional(),
    }),
  },
  // ---- receiving, reading, searching ---------------------------------------------------
  /** Asks every beacon now (the app also long-polls on its own while unlocked). */
  'mail.refresh': { input: Empty, output: z.object({ received: z.number().int().nonnegative() }) },
  /** Trash moves to Trash; from Trash (or with permanent) the message is erased. */
  'mail.delete': {
    input: z.object({ id: MessageId, permanent: z.boolean().default(false) }).strict(),
    output: z.object({ ok: z.literal(true) }),
  },
  /** Moves a message out of Trash, back to the folder it was deleted from. */
  'mail.restore': { input: z.object({ id: MessageId }).strict(), output: z.object({ folder: FolderId }) },
  /** The conversation a message belongs to, oldest first (the message itself included). */
  'mail.thread': { input: z.object({ id: MessageId }).strict(), output: z.object({ items: z.array(MessageSummary) }) },
  /** Full-text search over decrypted mail, served from memory (nothing plaintext is written). */
  'mail.search': {
    input: SearchQuery,
    output: z.object({ total: z.number().int().nonnegative(), items: z.array(SearchHit) }),
  },
  /**
   * The same search asked of the email accounts' servers (IMAP UID SEARCH TEXT; POP3 accounts
   * have none): the emails they found that mail.search did not (bodies never fetched), each
   * `onServer`, newest first, and how each server answered. Asked after mail.search; a few
   * seconds at most per server.
   */
  'mail.searchServer': {
    input: SearchQuery,
    output: z.object({
      items: z.array(SearchHit),
      servers: z.array(z.object({ accountId: MessageId, account: z.string(), outcome: z.enum(['searched', 'timeout', 'failed']) })),
    }),
  },
  /** A staged upload: a file of any size (up to 4 GiB) streamed to the main process in chunks of at most 1 MiB, in order, sealed on disk as they come. */
  'attachments.begin': {
    input: z.object({ name: z.string().min(1).max(255), size: z.number().int().min(0).max(0xffffffff) }).strict(),
    output: z.object({ id: StageId }),
  },
  'attachments.chunk': {
    input: z.object({ id: StageId, data: z.string().max(STAGE_CHUNK_BASE64) }).strict(),
    output: z.object({ received: z.number().int().nonnegative() }),
  },
  'attachments.finish': { input: z.object({ id: StageId }).strict(), output: z.object({ size: z.number().int().nonnegative() }) },
  'attachments.discard': { input: z.object({ id: StageId }).strict(), output: z.object({ ok: z.literal(true) }) },
  /** Part `part` (1 MiB, base64) of an attachment: large ones are saved part by part, no answer carrying more. */
  'mail.attachmentPart': {
    input: z.object({ id: MessageId, index: z.number().int().min(0).max(245), part: z.number().int().min(0).max(4096) }).strict(),
    output: z.object({ name: z.string(), size: z.number().int().nonnegative(), data: z.string(), last: z.boolean() }),
  },
  'mail.attachment': {
    input: z.object({ id: MessageId, index: z.number().int().min(0).max(245) }).strict(),
    output: z.object({ name: z.string(), size: z.number().int().nonnegative(), data: z.string() }),
  },
  // ---- legacy accounts (IMAP/POP3 + SMTP), their mail, the gateway -----------------------
  'accounts.list': { input: Empty, output: z.array(LegacyAccount) },
  'accounts.add': { input: z.object({ account: LegacyAccountInput }).strict(), output: LegacyAccount },
  /** Changes the settings; the password only when one is given. */
  'accounts.edit': {
    input: z.object({ id: MessageId, account: LegacyAccountInput.extend({ password: z.string().max(1024).optional() }) }).strict(),
    output: LegacyAccount,
  },
  'accounts.remove': { input: z.object({ id: MessageId }).strict(), output: z.object({ ok: z.literal(true) }) },
  'accounts.test': { input: z.object({ account: LegacyAccountInput }).strict(), output: LegacyTestResult },
  'accounts.sync': { input: z.object({ id: MessageId }).strict(), output: z.object({ added: z.number().int().nonnegative() }) },
  /** Presets that can sign in with their provider here (a client id is configured for them); generic always can, given its endpoints. */
  'accounts.oauthPresets': { input: Empty, output: z.object({ presets: z.array(z.enum(['gmail', 'outlook'])) }) },
  /** Starts a browser sign-in that adds the account when it comes back; answers once the provider's URL is known. One at a time. */
  'accounts.signIn': { input: z.object({ account: LegacySignInInput }).strict(), output: LegacySignIn },
  'accounts.signInStatus': { input: z.object({ id: MessageId }).strict(), output: LegacySignIn },
  'accounts.signInCancel': { input: z.object({ id: MessageId }).strict(), output: LegacySignIn },
  /** "Test connection" of a saved account (its saved password or sign-in): the stage that failed, as accounts.test. */
  'accounts.testSaved': { input: z.object({ id: MessageId }).strict(), output: LegacyTestResult },
  /** Reads a CA certificate the user pasted or picked: its certificates, or invalid_input saying what is wrong with it. */
  'accounts.checkCa': {
    input: z.object({ pem: z.string().max(256 * 1024) }).strict(),
    output: z.object({ certificates: z.array(z.object({ subject: z.string(), validTo: z.string(), ca: z.boolean() })).min(1) }),
  },
  'legacy.list': {
    input: z
      .object({ folder: FolderId, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(200) })
      .strict(),
    output: z.object({ total: z.number().int().nonnegative(), items: z.array(LegacyMessageRow) }),
  },
  'legacy.get': { input: z.object({ id: MessageId }).strict(), output: LegacyMessageView },
  /** Allows remote images from this message's sender from now on, and shows this message with them (fetched by the main process). */
  'legacy.allowImages': { input: z.object({ id: MessageId }).strict(), output: LegacyMessageView },
  /**
   * Sends through a legacy account: a reply to legacy mail (inReplyTo), or a qmail to plain
   * addresses through the gateway (the UI confirms first). encryptFor: the recipient runs
   * QMail Desktop under that QMail address; the message then goes in the encrypted format.
   */
  'legacy.send': {
    input: z
      .object({
        accountId: MessageId,
        to: z.array(EmailAddress).min(1).max(100),
        cc: z.array(EmailAddress).max(100).default([]),
        subject: z.string().max(998),
        body: z.string().max(10 * 1024 * 1024),
        document: RichBody.optional(),
        inReplyTo: MessageId.optional(),
        encryptFor: z
          .object({ address: Address, level: z.enum(['L1', 'L2', 'L3']) })
          .strict()
          .optional(),
        /** Files streamed in before (attachments.begin/chunk/finish), by upload id, as mail.send takes them; dropped once sent, kept when the send fails. */
        staged: z.array(StageId).max(64).default([]),
        /** A forward: the legacy message forwarded and which of its attachments (the reader's indexes) go with it; the main process fetches them. */
        forward: z
          .object({ id: MessageId, attachments: z.array(z.number().int().min(0).max(245)).max(64) })
          .strict()
          .optional(),
      })
      .strict(),
    /** warning: the email went but something after it failed (its copy in Sent); sending again would send it twice. */
    output: z.object({ messageId: z.string(), warning: z.string().optional() }),
  },
  // ---- wallet (Chips): amounts, denominations and serials only, never a coin's ANs -------
  'wallet.balance': { input: Empty, output: WalletBalance },
  'wallet.coins': { input: Empty, output: z.object({ total: z.number().int().nonnegative(), items: z.array(WalletCoin).max(5000) }) },
  'wallet.history': {
    input: z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.array(WalletHistoryRow),
  },
  /** A coin file: its bytes (base64, host mode reads a File) or a path the main process reads. */
  'wallet.import': {
    input: z
      .object({
        data: z
          .string()
          .min(1)
          .max(Math.ceil(WALLET_FILE_MAX / 3) * 4)
          .optional(),
        path: FilePath.optional(),
      })
      .strict()
      .refine((i) => (i.data === undefined) !== (i.path === undefined), "give the file's bytes or its path, one of them"),
    output: WalletReceived,
  },
  /** Coins worth exactly `amount` leave the wallet as one coin file: written by the main process to `to` (0600), else returned (base64) to be saved. */
  'wallet.export': {
    input: z.object({ amount: CcAmount, to: FilePath.optional() }).strict(),
    output: z.object({
      amount: CcAmount,
      coins: z.number().int().positive(),
      bytes: z.number().int().positive(),
      name: z.string(),
      path: z.string().optional(),
      data: z.string().optional(),
    }),
  },
  /** Test networks only: test Chips from the network's mint, labelled test money. */
  'wallet.fund': { input: Empty, output: WalletReceived },
  // ---- inbox fees and tips ----------------------------------------------------------------
  /** Our inbox's settings as our beacon holds them. */
  'fees.mine': { input: Empty, output: InboxSettings },
  'fees.set': {
    input: z
      .object({
        fee: CcAmount.optional(),
        classRejection: z.number().int().min(0).max(11).optional(),
        contactsFree: z.boolean().optional(),
      })
      .strict(),
    output: InboxSettings,
  },
  /** Adds to and removes from the white or black list (an address is on at most one of them). */
  'fees.list': {
    input: z
      .object({
        list: z.enum(['white', 'black']),
        add: z.array(Address).max(1000).default([]),
        remove: z.array(Address).max(1000).default([]),
      })
      .strict(),
    output: InboxSettings,
  },
  /** What sending to these addresses costs, per recipient (the composer asks before Send). */
  'fees.quote': { input: z.object({ to: z.array(Address).min(1).max(255) }).strict(), output: z.array(FeeQuote) },
} as const;

export const events = {
  'mail.changed': z.object({ folders: z.array(FolderId) }),
  'vault.changed': VaultState,
  'identity.changed': IdentityState,
  /** `settled`: the item that has just been sent or has failed for good (sent items leave `items`). */
  'outbox.changed': z.object({ items: z.array(OutboxItem), settled: OutboxItem.optional() }),
  /** A new message arrived (after it is verified, decrypted and stored). */
  'mail.received': z.object({ id: MessageId, from: z.string(), subject: z.string() }),
  /** Something the user should see even when the window is not on that view. */
  notify: z.object({ level: z.enum(['info', 'warning', 'error']), title: z.string(), body: z.string() }),
} as const;

export type RequestName = keyof typeof requests;
export type EventName = keyof typeof events;
export type RequestInput<K extends RequestName> = z.input<(typeof requests)[K]['input']>;
export type RequestArgs<K extends RequestName> = z.output<(typeof requests)[K]['input']>;
export type RequestOutput<K extends RequestName> = z.output<(typeof requests)[K]['output']>;
export type EventPayload<K extends EventName> = z.output<(typeof events)[K]>;

export const requestNames = Object.keys(requests) as RequestName[];
export const eventNames = Object.keys(events) as EventName[];

export function isRequestName(ch: unknown): ch is RequestName {
  return typeof ch === 'string' && Object.prototype.hasOwnProperty.call(requests, ch);
}
export function isEventName(ch: unknown): ch is EventName {
  return typeof ch === 'string' && Object.prototype.hasOwnProperty.call(events, ch);
}
