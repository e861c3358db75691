// What every mail job receives: the clock, events, the log, the identity and directory,
// the profile's tables, the display names learnt from the directory, and the types, errors
// and level names the jobs share. It sits below the jobs (outbox, inbox, attempt, drafts,
// mailbox, views): none of them calls back into the engine that composes them.
import type { FolderId, MessageCertificate, MessageSummary, RecipientDelivery } from '../../../shared/ipc/index.js';
import { formatMailbox, parseMailbox } from '../../../shared/cbdf/address.js';
import type { Db } from '../../store/database.js';
import type { ExtrasTable } from '../../store/extras.js';
import type { MessageStore } from '../../store/messages.js';
import type { OutboxTable } from '../../store/outbox.js';
import type { ReceivedTable } from '../../store/received.js';
import type { AttachmentStore } from '../../store/attachments.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { DirectoryClient } from '../directory/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { MailError } from '../errors.js';

export { MailError };

/** A stripe layout needs more servers than the identity can use: refused before anything is queued. */
export class StripeLayoutError extends MailError {
  constructor(
    readonly layout: { k: number; p: number },
    readonly maxServers: number,
  ) {
    super(
      'too_few_servers',
      `A ${layout.k}+${layout.p} layout needs ${layout.k + layout.p} servers, but only ${maxServers} can be used on this network. Choose a layout with k + p at most ${maxServers}.`,
    );
  }
}

// One layout type for the engine and the stripe pipeline.
export type { Layout } from '../../../shared/stripe/layout.js';
import type { Layout } from '../../../shared/stripe/layout.js';

// Level names and numbers live with the format, for the renderer and the CLI too.
import type { LevelName } from '../../../shared/qmail/levels.js';
export { LEVEL_NAME, LEVEL_NUMBER, isQuantum, type LevelName } from '../../../shared/qmail/levels.js';

export const DEFAULT_LAYOUT: Layout = { k: 4, p: 1 };
/** Longest wait between two tries of anything (outbox, pending Tells). */
export const MAX_BACKOFF_MS = 5 * 60_000;

/** A received qmail given up for good: who sent it (from the beacon's Tell) and why. */
export interface Unreadable {
  sender: string;
  reason: string;
  /** The cause's code (`key_not_found`: our KME does not have its QKD keys). */
  code?: string;
}

export interface OutgoingMessage {
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  /** Bytes handed over whole, a file read when the letter is striped, or a staged upload in the attachment store (never held whole). */
  attachments: ({ name: string; data: Uint8Array } | { name: string; path: string } | { name: string; ref: string; size: number })[];
  level: LevelName;
  stripes?: Layout;
  /** L1/L2: send at L3 when QKD keys cannot be had (recorded on the outbox item); default refuse. */
  allowFallback?: boolean;
  /** A reply: the id (here) of the message it answers; the letter carries the thread reference. */
  inReplyTo?: string;
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
  /** What to put in each paying recipient's locker, 1e-8 CC (decimal) by address (MailEngine.send works it out from the quotes). */
  tips?: Record<string, string>;
}

/** What the outbox keeps (sealed) about a message until it is sent. */
export interface OutboxJob {
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  attachments: StoredAttachment[];
  level: LevelName;
  stripes: Layout;
  allowFallback?: boolean;
  /** Set when L1/L2 was wanted and the message goes (or went) at L3. */
  fallback?: { from: 'L1' | 'L2'; reason: string };
  /** A reply: the answered message's id here (to give a cancelled reply back to Drafts) and the letter ids the bundle carries. */
  replyTo?: string;
  thread?: { inReplyTo: string; root: string };
  /** Per recipient, from the last attempt that reached some of them or failed for some. */
  delivery?: RecipientDelivery[];
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
  /** Each paying recipient's locker, 1e-8 CC (decimal) by address. */
  tips?: Record<string, string>;
}

/**
 * An attachment of a stored message: in the sealed attachment store (`ref`, `size`), or, as
 * mail stored before that store existed and what the contract hands over, its bytes in base64.
 */
export interface StoredAttachment {
  name: string;
  data?: string;
  ref?: string;
  size?: number;
  /** A file of the user's, read when the message is sent (outbox, drafts and Sent keep the reference). */
  path?: string;
}

/** Extra facts about a stored message that the base store does not keep (sealed too). */
export interface Extras {
  attachments: StoredAttachment[];
  stripes?: Layout;
  repaired?: number;
  guid?: string;
  certificate?: MessageCertificate;
  /** Drafts: what the composer had besides To, subject and text. */
  draft?: { cc: string[]; level: LevelName; stripes: Layout; inReplyTo?: string };
  /** The letter's CBDF id (hex) and its conversation (sent and received mail). */
  letterId?: string;
  inReplyTo?: string;
  threadRoot?: string;
  /** Sent mail: each recipient's delivery. */
  delivery?: RecipientDelivery[];
  /** In Trash: where the message was before. */
  trashedFrom?: FolderId;
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
}

/** What drafts.save hands over; the optional fields keep the draft's earlier values when left out. */
export interface DraftInput {
  to: string[];
  subject: string;
  body: string;
  cc?: string[];
  level?: LevelName;
  stripes?: Layout;
  attachments?: StoredAttachment[];
  /** A reply's draft: the id of the message it answers. */
  inReplyTo?: string;
  /** A formatted body: its CBDF document, base64 (`body` is then its plain text). */
  document?: string;
}

/** The identity and directory as the jobs see them (identity/account.ts provides them). */
export interface IdentityAccess {
  /** Whether the profile has an identity (readable while locked). */
  exists(): boolean;
  /** The identity; throws when there is none. */
  me(): LoadedIdentity;
  /** The identity when there is one and the profile is unlocked. */
  current(): LoadedIdentity | undefined;
  directory(): DirectoryClient;
}

/** Display names the directory gave for addresses (on receive and send), kept while unlocked. */
export class DisplayNames {
  private readonly names = new Map<string, string>();
  constructor(private readonly identity: Pick<IdentityAccess, 'current'>) {}

  learn(address: string, name: string): void {
    this.names.set(address, name);
  }

  learnAll(names: Record<string, string>): void {
    for (const [a, n] of Object.entries(names)) this.names.set(a, n);
  }

  /** Learnt from the directory only (not our own name). */
  known(address: string): string | undefined {
    return this.names.get(address);
  }

  /** The display name of an address when known: ours from the identity, others from the directory. */
  of(address: string): string | undefined {
    const me = this.identity.current();
    if (me && me.address === address) return me.name;
    return this.names.get(address);
  }

  clear(): void {
    this.names.clear();
  }
}

export interface MailTables {
  messages: MessageStore;
  /** Received attachments, sealed on disk (store/attachments.ts). */
  attachments: AttachmentStore;
  extras: ExtrasTable<Extras>;
  outbox: OutboxTable<OutboxJob>;
  received: ReceivedTable;
}

export interface MailContext {
  db: Db;
  box: () => SecretBox;
  unlocked: () => boolean;
  now: () => number;
  emit: (event: string, payload: unknown) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  identity: IdentityAccess;
  names: DisplayNames;
  tables: MailTables;
  /** Default stripe layout for new messages. */
  defaultLayout: Layout;
}

/** A QMail address in its one written form, or invalid_input saying what they look like. */
export function normalAddress(a: string): string {
  try {
    return formatMailbox(parseMailbox(a));
  } catch {
    throw new MailError('invalid_input', `${a} is not a QMail address (they look like 0006.0.1000).`);
  }
}

export function checkLayoutBounds(stripes: Layout): void {
  if (stripes.k < 1 || stripes.p < 0 || stripes.k + stripes.p < 2 || stripes.k + stripes.p > 32)
    throw new MailError('invalid_input', 'k + p must be between 2 and 32.');
}

export type MessageLevel = MessageSummary['level'];
