// Drafts: To, subject and text always; Cc, level, layout, attachments and the message a reply
// answers when given, else what the draft had. Sealed like any message.
import { randomBytes } from 'node:crypto';
import { checkLayoutBounds, MailError, type DraftInput, type MailContext } from './context.js';
import type { Mailbox } from './mailbox.js';

export class Drafts {
  constructor(
    private readonly ctx: MailContext,
    private readonly mailbox: Mailbox,
  ) {}

  /** Saves a draft (a new one when `id` is undefined); returns its id. */
  save(id: string | undefined, d: DraftInput): string {
    const draftId = id ?? randomBytes(16).toString('hex');
    const existing = id ? this.ctx.tables.messages.get(id) : undefined;
    if (id && existing && existing.folder !== 'drafts') throw new MailError('invalid_input', 'Only drafts can be edited.');
    const before = existing ? this.mailbox.extras(draftId) : undefined;
    const stripes = d.stripes ?? before?.draft?.stripes ?? this.ctx.defaultLayout;
    checkLayoutBounds(stripes);
    const inReplyTo = d.inReplyTo ?? before?.draft?.inReplyTo;
    const draft = {
      cc: d.cc ?? before?.draft?.cc ?? [],
      level: d.level ?? before?.draft?.level ?? 'L3',
      stripes: { k: stripes.k, p: stripes.p },
      ...(inReplyTo ? { inReplyTo } : {}),
    };
    const me = this.ctx.identity.exists() ? this.ctx.identity.me() : undefined;
    this.mailbox.file(
      draftId,
      'drafts',
      this.ctx.now(),
      false,
      { from: 'me', to: d.to, subject: d.subject, body: d.body, level: 'local', ...(me ? { fromName: me.name } : {}) },
      { attachments: d.attachments ?? before?.attachments ?? [], draft, ...(d.document ? { document: d.document } : {}) },
    );
    return draftId;
  }
}
