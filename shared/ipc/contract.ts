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

export const MessageView = MessageSummary.extend({
  body: z.string(),
});
export type MessageView = z.infer<typeof MessageView>;

const Passphrase = z.string().min(8, 'a passphrase has at least 8 characters').max(1024);

export const VaultState = z.object({
  state: z.enum(['absent', 'locked', 'unlocked']),
  keychain: z.boolean(),
});
export type VaultState = z.infer<typeof VaultState>;

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
} as const;

export const events = {
  'mail.changed': z.object({ folders: z.array(FolderId) }),
  'vault.changed': VaultState,
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
