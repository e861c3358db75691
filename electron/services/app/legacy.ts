// The contract's legacy-account requests over LegacyService (accounts, sync, mail) and
// mime/ (reading, the encrypted format, the gateway). Passwords arrive here and go no
// further than the service; what returns carries no secret.
import { formatMailbox, parseMailbox } from '../../../shared/cbdf/index.js';
import {
  ContractError,
  type FolderId,
  type Handlers,
  type LegacyAccountInput as ContractAccountInput,
  type RequestArgs,
} from '../../../shared/ipc/index.js';
import type { LegacyService } from '../legacy/service.js';
import { LegacyError, SentCopyError } from '../legacy/errors.js';
import type { LegacyAccountInput, LegacyAccountView } from '../legacy/types.js';
import { MimeError, buildGatewayMail, replyHeaders } from '../legacy/mime/index.js';
import type { MailEngine } from '../mail/engine.js';
import type { ImageSenders } from '../../store/image-senders.js';
import { checkCaPem, type SignIns } from './legacy-signin.js';
import { legacyReader } from './legacy-reader.js';
import { legacyOutgoing, type OutgoingAttachments } from './legacy-outgoing.js';
import { MailError } from '../errors.js';

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
  if (e instanceof MailError)
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

export function legacyHandlers(d: LegacyHandlerDeps): Pick<Handlers, LegacyRequest> {
  const allowed = d.imageSenders;
  const reader = legacyReader(d);
  const { parsed, row, view } = reader;
  const outgoing = legacyOutgoing({ legacy: d.legacy, mail: d.mail, reader });

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
        // Attachments are checked (ids, sizes) before anything else is done.
        const files = await outgoing.gather(account, input);
        try {
          return await sendEmail(input, account, files);
        } finally {
          files.release();
        }
      }),
  };

  async function sendEmail(input: RequestArgs<'legacy.send'>, account: LegacyAccountView, files: OutgoingAttachments) {
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
        attachments: await files.open(mode.kind === 'encrypted'),
        ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
        ...(thread.references.length ? { references: thread.references } : {}),
      },
      mode,
    );
    let warning: string | undefined;
    try {
      await d.legacy.send(account.id, { to: input.to, cc: input.cc, subject: input.subject, raw: built.raw });
    } catch (e) {
      // It went: only its Sent copy failed. Said, not thrown, so nobody sends it again.
      if (!(e instanceof SentCopyError)) throw e;
      warning = e.message;
    }
    // Sent (and filed in Sent): the staged files are no longer needed. A failure above keeps them for another try.
    await files.sent();
    if (input.inReplyTo) await d.legacy.setFlags(input.inReplyTo, { answered: true }).catch(() => undefined);
    d.changed(['sent']);
    // The copy in the account's Sent folder joins the unified Sent, and the conversation an answer to it will join.
    const sent = account.incoming.kind === 'imap' ? d.legacy.store.folders(account.id).find((f) => f.role === 'sent') : undefined;
    if (sent)
      void d.legacy
        .sync(account.id, { only: [sent.path] })
        .then(() => d.changed(['sent']))
        .catch(() => undefined);
    return { messageId: built.messageId, ...(warning ? { warning } : {}) };
  }
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
