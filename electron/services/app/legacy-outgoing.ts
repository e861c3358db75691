// The attachments of an email sent through a legacy account (legacy.send): files the window
// staged (attachments.begin/chunk/finish, sealed on disk; here only their ids) and, for a
// forward, the original's attachments, fetched from its cached body by the reader. Checked
// before anything is built: every id known and finished, none listed twice or already in
// another send under way, the total within the provider's limit. Staged files are read as
// streams while the message is built; they are dropped once it is sent and kept when the
// send fails, so sending again works.
import { ContractError, legacyAttachmentLimit, type LegacyAccount, type RequestArgs } from '../../../shared/ipc/index.js';
import type { Attachment } from '../mail/bundle.js';
import type { MailEngine } from '../mail/engine.js';
import type { LegacyService } from '../legacy/service.js';
import type { GatewayAttachment } from '../legacy/mime/index.js';
import type { legacyReader } from './legacy-reader.js';

const PROVIDER = { gmail: 'Gmail', outlook: 'Outlook', yahoo: 'Yahoo', generic: 'This account' } as const;

/** Sizes as the window shows them (binary MB). */
export function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export interface OutgoingAttachments {
  /** For the message builder; streams are opened by `open()` so a retry reads the files again. */
  open(inMemory: boolean): Promise<(Attachment | GatewayAttachment)[]>;
  /** The send went: the staged files are dropped. */
  sent(): Promise<void>;
  /** Sent or failed: the ids may be used by another send again. */
  release(): void;
}

export function legacyOutgoing(d: {
  legacy: LegacyService;
  mail: MailEngine;
  reader: Pick<ReturnType<typeof legacyReader>, 'attachment'>;
}) {
  /** Upload ids in a send under way. */
  const busy = new Set<string>();

  async function gather(
    account: { preset: LegacyAccount['preset'] },
    input: Pick<RequestArgs<'legacy.send'>, 'staged' | 'forward'>,
  ): Promise<OutgoingAttachments> {
    const limit = legacyAttachmentLimit(account.preset);
    const tooBig = (total: number) =>
      new ContractError(
        'invalid_input',
        `The attachments come to ${mb(total)}; ${PROVIDER[account.preset]} takes at most ${mb(limit)} in one email. Remove some and send again.`,
      );
    const staged = input.staged;
    if (new Set(staged).size !== staged.length) throw new ContractError('invalid_input', 'The same attached file is listed twice.');
    const taken = staged.map((id) => {
      if (busy.has(id)) throw new ContractError('invalid_input', 'That file is being sent with another email already; attach it again.');
      return { id, ...d.mail.staging.take(id) };
    });
    let total = taken.reduce((n, t) => n + t.size, 0);
    if (total > limit) throw tooBig(total);

    const forwarded: Attachment[] = [];
    if (input.forward) {
      const f = input.forward;
      if (!d.legacy.message(f.id)) throw new ContractError('not_found', 'The forwarded email is no longer here.');
      if (new Set(f.attachments).size !== f.attachments.length)
        throw new ContractError('invalid_input', 'An attachment of the forwarded email is listed twice.');
      for (const index of f.attachments) {
        const a = await d.reader.attachment(f.id, index);
        total += a.data.length;
        if (total > limit) throw tooBig(total);
        forwarded.push({ name: a.name, data: new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.length) });
      }
    }
    // Checked again now that the forward's parts were fetched: another send may have taken an id meanwhile.
    for (const t of taken)
      if (busy.has(t.id)) throw new ContractError('invalid_input', 'That file is being sent with another email already.');
    for (const t of taken) busy.add(t.id);

    return {
      async open(inMemory) {
        const files: (Attachment | GatewayAttachment)[] = [];
        for (const t of taken) {
          const content = d.mail.staging.read(t.id);
          if (!inMemory) files.push({ name: t.name, content });
          else {
            // The encrypted format seals the whole letter at once: the files come in (within the limit above).
            const chunks: Buffer[] = [];
            for await (const c of content) chunks.push(c as Buffer);
            files.push({ name: t.name, data: new Uint8Array(Buffer.concat(chunks)) });
          }
        }
        return [...files, ...forwarded];
      },
      async sent() {
        for (const t of taken) await d.mail.staging.discard(t.id);
      },
      release() {
        for (const t of taken) busy.delete(t.id);
      },
    };
  }

  return { gather };
}
