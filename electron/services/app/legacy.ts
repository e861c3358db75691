// The contract's legacy-account requests over LegacyService (accounts, sync, mail) and
// mime/ (reading, the encrypted format, the gateway). Passwords arrive here and go no
// further than the service; what returns carries no secret.
import {
  formatMailbox,
  decodeMailbox,
  encodeDocument,
  decodeDocument,
  parseMailbox,
  type Phase2Document,
} from '../../../shared/cbdf/index.js';
import {
  ContractError,
  type FolderId,
  type Handlers,
  type LegacyAccountInput as ContractAccountInput,
  type LegacyMessageView,
  type RequestArgs,
} from '../../../shared/ipc/index.js';
import { publicIdentity } from '../../../shared/identity/index.js';
import type { LegacyService } from '../legacy/service.js';
import { LegacyError } from '../legacy/errors.js';
import type { LegacyAccountInput, LegacyMessageSummary } from '../legacy/types.js';
import {
  ENCRYPTED_KEEP_TYPES,
  MimeError,
  buildGatewayMail,
  fetchRemoteImage,
  isEncrypted,
  legacyBody,
  openLegacy,
  parseMime,
  replyHeaders,
  withRemoteImages,
  type ParsedMessage,
} from '../legacy/mime/index.js';
import type { MailEngine } from '../mail/engine.js';
import type { ImageSenders } from '../../store/image-senders.js';
import { checkCaPem, type SignIns } from './legacy-signin.js';

type LegacyRequest =
  | 'accounts.list'
  | 'accounts.add'
  | 'accounts.edit'
  | 'accounts.remove'
  | 'accounts.test'
  | 'accounts.sync'
  | 'accounts.oauthPresets'
  | 'accounts.signIn'
  | 'accounts.signInStatus'
  | 'accounts.signInCancel'
  | 'accounts.testSaved'
  | 'accounts.checkCa'
  | 'legacy.list'
  | 'legacy.get'
  | 'legacy.allowImages'
  | 'legacy.send';

export interface LegacyHandlerDeps {
  legacy: LegacyService;
  mail: MailEngine;
  /** Called after anything that changes the legacy mail lists. */
  changed: (folders: FolderId[]) => void;
  /** Senders whose remote images the user allowed (sealed in the profile). */
  imageSenders: ImageSenders;
  /** Watches a newly added account's inbox, stops watching a removed one. */
  watcher?: LegacyWatcher;
  /** Fetches a remote image once the user allowed its sender (tests pass their own). */
  fetchImage?: (url: string) => Promise<Uint8Array | undefined>;
  /** Browser sign-ins (OAuth2) the window starts; without it only passwords. */
  signIns?: SignIns;
}

export function toContract(e: unknown): never {
  if (e instanceof ContractError) throw e;
  if (e instanceof LegacyError)
    throw new ContractError(e.code === 'not_found' ? 'not_found' : e.code === 'invalid_input' ? 'invalid_input' : 'unavailable', e.message);
  if (e instanceof MimeError)
    throw new ContractError(e.code === 'malformed' || e.code === 'too_large' ? 'invalid_input' : 'unavailable', e.message);
  throw e;
}

/** The servers with the account's CA (checked first), or as given when it has none. */
function withCa<T extends { incoming: object; smtp: object; ca?: string | undefined }>(a: T) {
  const { ca, ...rest } = a;
  if (!ca) return rest;
  checkCaPem(ca);
  return { ...rest, incoming: { ...a.incoming, ca }, smtp: { ...a.smtp, ca } };
}

function serviceInput(a: ContractAccountInput, password?: string): LegacyAccountInput {
  const { password: typed, ...rest } = a;
  return { ...withCa(rest), auth: { kind: 'password', password: password ?? typed } };
}

const LEVEL = { 1: 'L1', 2: 'L2', 3: 'L3' } as const;

export type LegacyReaderDeps = Pick<LegacyHandlerDeps, 'legacy' | 'mail' | 'imageSenders' | 'fetchImage'>;

/** Reading legacy mail: its list row, its MIME parsed, and the reader's view (decrypted when it is in the encrypted format). */
export function legacyReader(d: LegacyReaderDeps) {
  const allowed = d.imageSenders;
  const fetchImage = d.fetchImage ?? ((url: string) => fetchRemoteImage(url));
  const accountName = (id: string) => d.legacy.account(id)?.name ?? '';
  const row = (m: LegacyMessageSummary) => ({
    id: m.id,
    accountId: m.accountId,
    account: accountName(m.accountId),
    folder: m.folder,
    date: m.date,
    unread: m.unread,
    from: m.from,
    ...(m.fromName ? { fromName: m.fromName } : {}),
    to: m.to,
    subject: m.subject,
    hasAttachments: m.hasAttachments,
  });

  async function parsed(id: string): Promise<{ m: LegacyMessageSummary; p: ParsedMessage }> {
    const m = d.legacy.message(id);
    if (!m) throw new ContractError('not_found', 'No such message.');
    const p = await parseMime(await d.legacy.rawMessage(id), { keepTypes: ENCRYPTED_KEEP_TYPES });
    return { m, p };
  }

  /** Opens a message in our encrypted format: the sender from the directory, L1/L2 keys from the QKD link with that sender. */
  function openSecure(p: ParsedMessage) {
    return openLegacy(p, {
      me: d.mail.me().identity,
      resolveSender: async (a) => {
        const found = await d.mail.directory().lookup(formatMailbox(decodeMailbox(a)));
        return found ? publicIdentity(found.identity) : undefined;
      },
      qkdFor: (sender) => {
        const link = d.mail.qkd.linkFor(formatMailbox(decodeMailbox(sender)));
        return 'source' in link ? { qkd: link.source, qkdPeer: link.peer } : undefined;
      },
    });
  }

  /**
   * One attachment's bytes as the reader lists it (`index`), for Download: the cached body is
   * parsed again and only that attachment kept; an encrypted email's come from its opened letter.
   */
  async function attachment(id: string, index: number): Promise<{ name: string; data: Buffer }> {
    if (!d.legacy.message(id)) throw new ContractError('not_found', 'No such message.');
    let found: { name: string; data: Buffer } | undefined;
    const p = await parseMime(await d.legacy.rawMessage(id), {
      keepTypes: ENCRYPTED_KEEP_TYPES,
      sink: async (info, content) => {
        const chunks: Buffer[] = [];
        for await (const c of content) if (info.index === index) chunks.push(c as Buffer);
        if (info.index === index) found = { name: info.filename || 'attachment', data: Buffer.concat(chunks) };
        return undefined;
      },
    });
    if (isEncrypted(p)) {
      const a = (await openSecure(p)).letter.attachments[index];
      if (!a) throw new ContractError('not_found', 'That attachment is not here.');
      return { name: a.name, data: Buffer.from(a.data) };
    }
    // Inline images are kept in memory by the parser rather than handed to the sink.
    const kept = p.attachments.find((a) => a.index === index);
    if (!found && kept?.data) found = { name: kept.filename || 'attachment', data: Buffer.from(kept.data) };
    if (!found) throw new ContractError('not_found', 'That attachment is not here.');
    return found;
  }

  /** The reader's view; `markSeen` sets \\Seen on the server (the unified reader marks it read itself, after). */
  async function view(id: string, fetchImages: boolean, markSeen = true): Promise<LegacyMessageView> {
    const { m, p } = await parsed(id);
    if (markSeen && m.unread) await d.legacy.setFlags(id, { seen: true }).catch(() => undefined);
    const base = {
      ...row(m),
      unread: markSeen ? false : m.unread,
      cc: m.cc,
      attachments: p.attachments.map((a) => ({ index: a.index, name: a.filename || 'attachment', size: a.size })),
      ...(p.messageId ? { messageId: p.messageId } : {}),
    };
    if (isEncrypted(p)) {
      try {
        const o = await openSecure(p);
        const doc = o.letter.document ? Buffer.from(o.letter.document).toString('base64') : undefined;
        return {
          ...base,
          subject: o.letter.subject,
          body: o.letter.body,
          ...(doc ? { document: doc } : {}),
          remoteImages: 0,
          imagesAllowed: false,
          attachments: o.letter.attachments.map((a, index) => ({ index, name: a.name, size: a.data.length })),
          secure: {
            level: LEVEL[o.level],
            sender: formatMailbox(decodeMailbox(o.sender.address!)),
            senderFingerprint: o.senderFingerprint,
            keyIds: (o.qkdKeys ?? []).map((k) => k.keyId),
          },
        };
      } catch (e) {
        if (!(e instanceof MimeError)) throw e;
        // The parts of a message that failed to open are its ciphertext, not attachments to offer.
        return { ...base, attachments: [], body: '', remoteImages: 0, imagesAllowed: false, problem: { code: e.code, message: e.message } };
      }
    }
    const body = legacyBody(p);
    const sender = (p.from?.address ?? m.from).toLowerCase();
    const allow = fetchImages || allowed.has(sender);
    let document = body.document;
    let remote = body.remoteImages.length;
    if (allow && document && remote > 0) {
      const doc = await withRemoteImages(decodeDocument(document) as Phase2Document, fetchImage);
      document = encodeDocument(doc);
      remote = 0;
    }
    return {
      ...base,
      body: body.body,
      ...(document ? { document: Buffer.from(document).toString('base64') } : {}),
      remoteImages: remote,
      imagesAllowed: allow,
    };
  }
  /** The text search indexes (a cached body, parsed again); none for the encrypted format, whose text shows only once opened. */
  async function text(id: string): Promise<string | undefined> {
    const { p } = await parsed(id);
    return isEncrypted(p) ? undefined : legacyBody(p).body;
  }

  return { row, parsed, view, text, attachment };
}

export function legacyHandlers(d: LegacyHandlerDeps): Pick<Handlers, LegacyRequest> {
  const allowed = d.imageSenders;
  const { parsed, row, view } = legacyReader(d);

  const signIns = () => {
    if (!d.signIns) throw new ContractError('not_found', 'No such sign-in.');
    return d.signIns;
  };

  const guard = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      return toContract(e);
    }
  };

  return {
    'accounts.list': () => guard(() => d.legacy.listAccounts()),
    'accounts.add': ({ account }) =>
      guard(async () => {
        const v = await d.legacy.addAccount(serviceInput(account));
        d.watcher?.watch(v.id);
        return v;
      }),
    'accounts.edit': ({ id, account }) =>
      guard(async () => {
        const { password, ...rest } = account;
        // A CA left out keeps the saved one ('' removes it): the window never gets it back to resend.
        const saved = d.legacy.store.accounts().find((a) => a.id === id)?.settings as LegacyAccountInput | undefined;
        const ca = rest.ca === undefined ? saved?.incoming.ca : rest.ca;
        const patch: Partial<LegacyAccountInput> = {
          ...withCa({ ...rest, ca }),
          ...(password ? { auth: { kind: 'password', password } } : {}),
        };
        return d.legacy.editAccount(id, patch);
      }),
    'accounts.remove': ({ id }) =>
      guard(async () => {
        await d.watcher?.unwatch(id);
        await d.legacy.removeAccount(id);
        d.changed(['inbox', 'sent', 'drafts', 'archive', 'trash']);
        return { ok: true as const };
      }),
    'accounts.test': ({ account }) =>
      guard(async () => {
        const r = await d.legacy.testConnection(serviceInput(account));
        return {
          ok: r.ok,
          ...(r.stage ? { stage: r.stage } : {}),
          ...(r.server ? { server: r.server } : {}),
          message: r.ok ? 'Both servers answered and accepted the login.' : (r.message ?? 'The connection failed.'),
        };
      }),
    'accounts.sync': ({ id }) =>
      guard(async () => {
        const r = await d.legacy.sync(id);
        const added = r.folders.reduce((n, f) => n + f.added, 0);
        d.changed(['inbox', 'sent', 'drafts', 'archive', 'trash']);
        return { added };
      }),
    'accounts.oauthPresets': () => guard(() => ({ presets: d.signIns?.presets() ?? [] })),
    'accounts.signIn': ({ account }) =>
      guard(() => {
        if (!d.signIns) throw new ContractError('unavailable', 'Sign-in with a provider is not available here.');
        const { oauth: _endpoints, ...rest } = account;
        return d.signIns.start(account, withCa(rest));
      }),
    'accounts.signInStatus': ({ id }) => guard(() => signIns().status(id)),
    'accounts.signInCancel': ({ id }) => guard(() => signIns().cancel(id)),
    'accounts.testSaved': ({ id }) =>
      guard(async () => {
        if (!d.legacy.account(id)) throw new ContractError('not_found', 'No such account.');
        const r = await d.legacy.testConnection(id);
        return {
          ok: r.ok,
          ...(r.stage ? { stage: r.stage } : {}),
          ...(r.server ? { server: r.server } : {}),
          message: r.ok ? 'Both servers answered and accepted the sign-in.' : (r.message ?? 'The connection failed.'),
        };
      }),
    'accounts.checkCa': ({ pem }) => guard(() => ({ certificates: checkCaPem(pem) })),
    'legacy.list': ({ folder, offset, limit }) =>
      guard(() => {
        const r = d.legacy.list({ folder, offset, limit });
        return { total: r.total, items: r.items.map(row) };
      }),
    'legacy.get': ({ id }) => guard(() => view(id, false)),
    'legacy.allowImages': ({ id }) =>
      guard(async () => {
        const m = d.legacy.message(id);
        if (!m) throw new ContractError('not_found', 'No such message.');
        allowed.allow(m.from);
        return view(id, true);
      }),
    'legacy.send': (input: RequestArgs<'legacy.send'>) =>
      guard(async () => {
        const account = d.legacy.account(input.accountId);
        if (!account) throw new ContractError('not_found', 'No such account.');
        let thread: { inReplyTo?: string; references: string[] } = { references: [] };
        if (input.inReplyTo) thread = replyHeaders((await parsed(input.inReplyTo)).p);
        const mode = input.encryptFor
          ? await (async () => {
              const me = d.mail.me();
              const to = await d.mail.directory().lookup(formatMailbox(parseMailbox(input.encryptFor!.address)));
              if (!to) throw new ContractError('not_found', `No QMail identity at ${input.encryptFor!.address}.`);
              const level = Number(input.encryptFor!.level.slice(1)) as 1 | 2 | 3;
              if (level < 3) {
                const link = d.mail.qkd.linkFor(input.encryptFor!.address);
                if (!('source' in link))
                  throw new ContractError('unavailable', `${input.encryptFor!.level} needs quantum keys: ${link.missing}.`);
                return {
                  kind: 'encrypted' as const,
                  level,
                  sender: me.identity,
                  recipients: [{ identity: to.identity, qkdPeer: link.peer }],
                  qkd: link.source,
                };
              }
              return { kind: 'encrypted' as const, level, sender: me.identity, recipients: [{ identity: to.identity }] };
            })()
          : { kind: 'plain' as const };
        const built = await buildGatewayMail(
          {
            from: { address: account.email, ...(account.displayName ? { name: account.displayName } : {}) },
            to: input.to,
            cc: input.cc,
            subject: input.subject,
            body: input.body,
            ...(input.document ? { document: new Uint8Array(Buffer.from(input.document, 'base64')) } : {}),
            ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
            ...(thread.references.length ? { references: thread.references } : {}),
          },
          mode,
        );
        await d.legacy.send(account.id, { to: input.to, cc: input.cc, subject: input.subject, raw: built.raw });
        if (input.inReplyTo) await d.legacy.setFlags(input.inReplyTo, { answered: true }).catch(() => undefined);
        d.changed(['sent']);
        // The copy in the account's Sent folder joins the unified Sent, and the conversation an answer to it will join.
        const sent = account.incoming.kind === 'imap' ? d.legacy.store.folders(account.id).find((f) => f.role === 'sent') : undefined;
        if (sent)
          void d.legacy
            .sync(account.id, { only: [sent.path] })
            .then(() => d.changed(['sent']))
            .catch(() => undefined);
        return { messageId: built.messageId };
      }),
  };
}

/**
 * IDLE on every IMAP account's inbox while the profile is unlocked (each on its own
 * connection, reconnecting by itself): new mail syncs in and `onNew` tells the window.
 */
export class LegacyWatcher {
  private readonly stops = new Map<string, Promise<(() => Promise<void>) | undefined>>();

  constructor(
    private readonly legacy: LegacyService,
    private readonly onNew: () => void,
  ) {}

  start(): void {
    for (const a of this.legacy.listAccounts()) this.watch(a.id);
  }

  watch(id: string): void {
    const a = this.legacy.account(id);
    if (!a || a.incoming.kind !== 'imap' || this.stops.has(id)) return;
    this.stops.set(
      id,
      this.legacy.watch(id, () => this.onNew()).catch(() => undefined),
    );
  }

  async unwatch(id: string): Promise<void> {
    const stop = await this.stops.get(id);
    this.stops.delete(id);
    await stop?.().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.stops.keys()].map((id) => this.unwatch(id)));
  }
}
