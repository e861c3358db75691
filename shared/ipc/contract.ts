// The one typed contract between the UI and the main process. Every request, response
// and event is declared here once; the preload (Electron IPC) and the host (WebSocket)
// both validate against these schemas, so the renderer runs unchanged on either.
import { z } from 'zod';

export const FolderId = z.enum(['inbox', 'sent', 'drafts', 'archive', 'trash']);
export type FolderId = z.infer<typeof FolderId>;

const Empty = z.object({}).strict();
const MessageId = z.string().regex(/^[0-9a-f]{32}$/, 'message id is 32 lowercase hex digits');

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
  level: z.enum(['L1', 'L2', 'L3', 'L4', 'plain', 'local']),
});
export type MessageSummary = z.infer<typeof MessageSummary>;

/** What the reader shows about an attachment; the bytes stay in the main process until saved. */
export const AttachmentInfo = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  size: z.number().int().nonnegative(),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfo>;

export const MessageView = MessageSummary.extend({
  body: z.string(),
  attachments: z.array(AttachmentInfo).optional(),
  /** Stripe layout the message travelled with, when it came over QMail. */
  stripes: z.object({ k: z.number().int(), p: z.number().int() }).optional(),
  /** Servers whose stripes were missing or damaged and were rebuilt from parity. */
  repaired: z.number().int().nonnegative().optional(),
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
export const Address = z.string().regex(/^[0-9a-fA-F]{4}\.-?\d{1,3}\.\d{1,10}$/, 'a QMail address looks like 0006.1.42');
const NodeId = z.string().regex(/^[0-9a-f]{32}$/, 'a server id is 32 lowercase hex digits');
const DisplayName = z.string().trim().min(1, 'a name is needed').max(64);
export const SecurityLevel = z.enum(['L1', 'L2', 'L3', 'L4']);
export type SecurityLevel = z.infer<typeof SecurityLevel>;
export const StripeLayout = z
  .object({ k: z.number().int().min(1), p: z.number().int().min(0) })
  .strict()
  .refine((l) => l.k + l.p >= 2 && l.k + l.p <= 32, 'k + p is between 2 and 32');

export const IdentityState = z.object({
  state: z.enum(['none', 'ready']),
  address: Address.optional(),
  name: z.string().optional(),
  /** 30 digits in six groups, read aloud to verify a correspondent. */
  fingerprint: z.string().optional(),
  beacon: NodeId.optional(),
  storage: z.array(NodeId).optional(),
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
  /** Whether this identity stores its mail here / uses it as its beacon. */
  hired: z.boolean(),
  beacon: z.boolean(),
});
export type ServerInfo = z.infer<typeof ServerInfo>;

/** Attachment bytes travel base64 over the contract (the renderer reads them from a File). */
export const OutgoingAttachment = z.object({
  name: z.string().min(1).max(255),
  data: z.string().max(34 * 1024 * 1024, 'attachments over 25 MB go through a file path, not the contract'),
}).strict();

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
});
export type OutboxItem = z.infer<typeof OutboxItem>;

export const requests = {
  'app.info': {
    input: Empty,
    output: z.object({ version: z.string(), host: z.enum(['electron', 'web']), platform: z.string() }),
  },
  'vault.state': { input: Empty, output: VaultState },
  'vault.create': { input: z.object({ passphrase: Passphrase }).strict(), output: VaultState },
  'vault.unlock': { input: z.object({ passphrase: z.string().max(1024) }).strict(), output: VaultState },
  'vault.lock': { input: Empty, output: VaultState },
  'mail.folders': { input: Empty, output: z.array(FolderSummary) },
  'mail.list': {
    input: z.object({ folder: FolderId, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(200) }).strict(),
    output: z.object({ total: z.number().int().nonnegative(), items: z.array(MessageSummary) }),
  },
  'mail.get': { input: z.object({ id: MessageId }).strict(), output: MessageView },
  'mail.markRead': { input: z.object({ id: MessageId, unread: z.boolean() }).strict(), output: z.object({ ok: z.literal(true) }) },
  'mail.move': { input: z.object({ id: MessageId, folder: FolderId }).strict(), output: z.object({ ok: z.literal(true) }) },
  'drafts.save': {
    input: z.object({
      id: MessageId.optional(),
      to: z.array(z.string().max(320)).max(500),
      subject: z.string().max(998),
      body: z.string().max(10 * 1024 * 1024),
    }).strict(),
    output: z.object({ id: MessageId }),
  },
  // ---- identity and onboarding ------------------------------------------------------
  'identity.state': { input: Empty, output: IdentityState },
  /** Makes a new identity, registers it with the directory and hires the chosen servers. */
  'identity.create': {
    input: z.object({ name: DisplayName, storage: z.array(NodeId).min(2).max(32).optional(), beacon: NodeId.optional() }).strict(),
    output: IdentityState.extend({ recoveryPhrase: z.string() }),
  },
  /** Rebuilds the identity from its 24-word recovery phrase (keeps its address when the directory knows it). */
  'identity.restore': {
    input: z.object({ phrase: z.string().min(1).max(1000), name: DisplayName.optional(), storage: z.array(NodeId).min(2).max(32).optional(), beacon: NodeId.optional() }).strict(),
    output: IdentityState,
  },
  // ---- directory and servers -----------------------------------------------------------
  /** Autocomplete for recipients: names and addresses the directory knows, by prefix. */
  'directory.search': {
    input: z.object({ query: z.string().max(128), limit: z.number().int().min(1).max(50).default(10) }).strict(),
    output: z.array(Contact),
  },
  'servers.list': { input: Empty, output: z.array(ServerInfo) },
  /** Hire a new set of storage servers and a beacon (registers a fresh AN on each new one). */
  'servers.choose': {
    input: z.object({ storage: z.array(NodeId).min(2).max(32), beacon: NodeId }).strict(),
    output: IdentityState,
  },
  // ---- sending -------------------------------------------------------------------------
  /** Queues a message in the persistent outbox and starts sending it; progress comes as outbox.changed. */
  'mail.send': {
    input: z.object({
      to: z.array(Address).min(1).max(255),
      cc: z.array(Address).max(255).default([]),
      subject: z.string().max(998),
      body: z.string().max(10 * 1024 * 1024),
      attachments: z.array(OutgoingAttachment).max(64).default([]),
      level: SecurityLevel.default('L3'),
      stripes: StripeLayout.optional(),
      /** The draft this message was composed in; it is removed once the message is queued. */
      draftId: MessageId.optional(),
    }).strict(),
    output: z.object({ id: MessageId, outbox: OutboxItem }),
  },
  'outbox.list': { input: Empty, output: z.array(OutboxItem) },
  'outbox.retry': { input: z.object({ id: MessageId }).strict(), output: OutboxItem },
  'outbox.cancel': { input: z.object({ id: MessageId }).strict(), output: z.object({ ok: z.literal(true) }) },
  // ---- receiving, reading, searching ---------------------------------------------------
  /** Asks every beacon now (the app also long-polls on its own while unlocked). */
  'mail.refresh': { input: Empty, output: z.object({ received: z.number().int().nonnegative() }) },
  /** Trash moves to Trash; from Trash (or with permanent) the message is erased. */
  'mail.delete': { input: z.object({ id: MessageId, permanent: z.boolean().default(false) }).strict(), output: z.object({ ok: z.literal(true) }) },
  /** Full-text search over decrypted mail, served from memory (nothing plaintext is written). */
  'mail.search': {
    input: z.object({ query: z.string().min(1).max(256), folder: FolderId.optional(), limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.object({ total: z.number().int().nonnegative(), items: z.array(MessageSummary) }),
  },
  'mail.attachment': {
    input: z.object({ id: MessageId, index: z.number().int().min(0).max(245) }).strict(),
    output: z.object({ name: z.string(), size: z.number().int().nonnegative(), data: z.string() }),
  },
} as const;

export const events = {
  'mail.changed': z.object({ folders: z.array(FolderId) }),
  'vault.changed': VaultState,
  'identity.changed': IdentityState,
  'outbox.changed': z.object({ items: z.array(OutboxItem) }),
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
