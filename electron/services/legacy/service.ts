// LegacyService: legacy (IMAP/POP3 + SMTP) accounts for the app, the CLI and mime/. Secrets
// stay in this process, sealed in the store; views carry no password, token or CA.
// Longer than 400 lines on purpose: it is the one facade the app, the CLI and mime/ call,
// each method a few lines over imap/, pop3/, smtp/, oauth2.ts and store/legacy.ts, where
// the protocol work lives; splitting it would only spread one account's lifecycle thin.
import { promises as dns } from 'node:dns';
import { connect as tcpConnect } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { ImapFlow } from 'imapflow';
import { z } from 'zod';
import type { FolderId } from '../../../shared/ipc/index.js';
import type { Db } from '../../store/database.js';
import { Flag, LegacyStore, newLegacyId, type FolderRole, type MessageRow } from '../../store/legacy.js';
import type { SecretBox } from '../../store/secret-box.js';
import { LegacyError, SentCopyError, classify, type LegacyErrorCode } from './errors.js';
import { backoffMs } from './imap/backoff.js';
import { BulkImap } from './imap/bulk.js';
import { connectImap, tlsOptions, type Credentials } from './imap/connect.js';
import { searchFolders, type FolderMatch } from './imap/search.js';
import { syncAccount, type FolderReport, type SyncOptions } from './imap/sync.js';
import { watchMailbox, type Watch } from './imap/watch.js';
import { authorize, fresh, type OAuthProviderConfig } from './oauth2.js';
import { Pop3Client } from './pop3/client.js';
import { pop3Sync } from './pop3/sync.js';
import { buildMessage, sendRaw, verifySmtp, type OutgoingMail } from './smtp/send.js';
import {
  PRESETS,
  type AccountSecret,
  type AccountSettings,
  type LegacyAccountInput,
  type LegacyAccountView,
  type LegacyMessageSummary,
  type ServerConfig,
} from './types.js';

const Host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or address');
const Server = z
  .object({
    host: Host,
    port: z.number().int().min(1).max(65535),
    tls: z.enum(['implicit', 'starttls', 'none']),
    ca: z
      .string()
      .max(256 * 1024)
      .optional(),
  })
  .strict();
const OAuthProvider = z
  .object({
    authorizationUrl: z.url(),
    tokenUrl: z.url(),
    clientId: z.string().min(1).max(512),
    clientSecret: z.string().max(512).optional(),
    scope: z.string().max(2048),
  })
  .strict();
const AccountInput = z
  .object({
    name: z.string().min(1).max(100),
    preset: z.enum(['gmail', 'outlook', 'yahoo', 'generic']),
    email: z
      .string()
      .min(3)
      .max(320)
      .regex(/^[^\s@]+@[^\s@]+$/, 'an email address'),
    displayName: z.string().max(200).optional(),
    user: z.string().min(1).max(320),
    incoming: Server.extend({ kind: z.enum(['imap', 'pop3']) }),
    smtp: Server,
    auth: z.union([
      z.object({ kind: z.literal('password'), password: z.string().min(1).max(1024) }).strict(),
      z.object({ kind: z.literal('oauth2'), provider: OAuthProvider }).strict(),
    ]),
    leaveOnServer: z.boolean().optional(),
  })
  .strict();

export interface SyncReport {
  folders: (FolderReport | (Omit<FolderReport, 'mode'> & { mode: 'pop3' }))[];
}

export interface TestResult {
  ok: boolean;
  stage?: LegacyErrorCode;
  server?: 'incoming' | 'smtp';
  message?: string;
}

export interface LegacyServiceOptions {
  now?: () => number;
  /** Reconnect policy for sync: attempts and the first backoff (doubled each time, with jitter). */
  retry?: { attempts: number; baseMs: number; maxMs?: number };
  /** Opens the system browser at the provider's sign-in page (OAuth2). */
  openBrowser?: (url: string) => Promise<void> | void;
  chunk?: number;
  /** Name resolution for "test connection" (node:dns by default). */
  lookup?: (host: string) => Promise<{ address: string }>;
}

const ROLE_OF_FOLDER: Record<FolderId, FolderRole> = { inbox: 'inbox', sent: 'sent', drafts: 'drafts', archive: 'archive', trash: 'trash' };

function invalid(e: z.ZodError): LegacyError {
  return new LegacyError('invalid_input', e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
}

export class LegacyService {
  readonly store: LegacyStore;
  private readonly now: () => number;
  private readonly commandClients = new Map<string, ImapFlow>();
  private readonly connecting = new Map<string, Promise<ImapFlow>>();

  constructor(
    db: Db,
    box: () => SecretBox,
    private readonly o: LegacyServiceOptions = {},
  ) {
    this.store = new LegacyStore(db, box);
    this.now = o.now ?? Date.now;
  }

  // ---- accounts
  private settings(id: string): AccountSettings {
    const a = this.store.accounts().find((x) => x.id === id);
    if (!a) throw new LegacyError('not_found', 'no such account');
    return a.settings as AccountSettings;
  }

  private view(id: string, s: AccountSettings): LegacyAccountView {
    const pub = (x: ServerConfig) => ({ host: x.host, port: x.port, tls: x.tls, hasCa: Boolean(x.ca) });
    return {
      id,
      name: s.name,
      preset: s.preset,
      email: s.email,
      ...(s.displayName ? { displayName: s.displayName } : {}),
      user: s.user,
      incoming: { kind: s.incoming.kind, ...pub(s.incoming) },
      smtp: pub(s.smtp),
      authKind: s.authKind,
      leaveOnServer: s.leaveOnServer ?? true,
      ...(s.lastSyncAt ? { lastSyncAt: s.lastSyncAt } : {}),
      ...(s.lastError ? { lastError: s.lastError } : {}),
    };
  }

  listAccounts(): LegacyAccountView[] {
    return this.store.accounts().map((a) => this.view(a.id, a.settings as AccountSettings));
  }

  account(idOrName: string): LegacyAccountView | undefined {
    return this.listAccounts().find((a) => a.id === idOrName || a.name === idOrName);
  }

  private resolve(idOrName: string): string {
    const a = this.account(idOrName);
    if (!a) throw new LegacyError('not_found', `no account named ${JSON.stringify(idOrName)}`);
    return a.id;
  }

  private toSettings(a: LegacyAccountInput, keep?: AccountSettings): AccountSettings {
    const { auth, ...rest } = a;
    return {
      ...rest,
      authKind: auth.kind,
      ...(auth.kind === 'oauth2' ? { oauth: auth.provider } : {}),
      ...(keep?.lastSyncAt ? { lastSyncAt: keep.lastSyncAt } : {}),
    };
  }

  /** Adds an account. OAuth2 accounts sign in first (system browser, loopback redirect). */
  async addAccount(input: LegacyAccountInput): Promise<LegacyAccountView> {
    const parsed = AccountInput.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error);
    const a = parsed.data as LegacyAccountInput;
    if (this.listAccounts().some((x) => x.name === a.name))
      throw new LegacyError('invalid_input', `an account named ${JSON.stringify(a.name)} exists`);
    const secret = await this.secretFor(a);
    const id = newLegacyId();
    this.store.putAccount(id, this.toSettings(a), secret, this.now());
    return this.view(id, this.settings(id));
  }

  private async secretFor(a: LegacyAccountInput): Promise<AccountSecret> {
    if (a.auth.kind === 'password') return { kind: 'password', password: a.auth.password };
    if (!this.o.openBrowser) throw new LegacyError('invalid_input', 'OAuth2 sign-in needs a browser');
    const t = await authorize(a.auth.provider, this.o.openBrowser, { now: this.now });
    return {
      kind: 'oauth2',
      accessToken: t.accessToken,
      ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}),
      expiresAt: t.expiresAt,
    };
  }

  /** Edits an account; a new password or provider replaces the secret, else it stays. */
  async editAccount(idOrName: string, patch: Partial<LegacyAccountInput>): Promise<LegacyAccountView> {
    const id = this.resolve(idOrName);
    const cur = this.settings(id);
    const base: LegacyAccountInput = {
      ...cur,
      auth: cur.authKind === 'oauth2' && cur.oauth ? { kind: 'oauth2', provider: cur.oauth } : { kind: 'password', password: 'unchanged' },
    };
    const merged = { ...base, ...patch };
    delete (merged as Partial<AccountSettings>).authKind;
    delete (merged as Partial<AccountSettings>).oauth;
    delete (merged as Partial<AccountSettings>).lastSyncAt;
    delete (merged as Partial<AccountSettings>).lastError;
    const parsed = AccountInput.safeParse(merged);
    if (!parsed.success) throw invalid(parsed.error);
    const a = parsed.data as LegacyAccountInput;
    if (a.name !== cur.name && this.listAccounts().some((x) => x.name === a.name))
      throw new LegacyError('invalid_input', `an account named ${JSON.stringify(a.name)} exists`);
    const secret = patch.auth ? await this.secretFor(a) : undefined;
    await this.dropClient(id);
    this.store.putAccount(id, this.toSettings(a, cur), secret, this.now());
    return this.view(id, this.settings(id));
  }

  async removeAccount(idOrName: string): Promise<void> {
    const id = this.resolve(idOrName);
    await this.dropClient(id);
    this.store.removeAccount(id);
  }

  private async credentials(id: string): Promise<Credentials> {
    const s = this.settings(id);
    const secret = this.store.secret(id) as AccountSecret | undefined;
    if (!secret) throw new LegacyError('auth', 'no saved password or sign-in for this account');
    if (secret.kind === 'password') return { user: s.user, pass: secret.password };
    if (!s.oauth) throw new LegacyError('auth', 'OAuth2 account without a provider');
    const { tokens, refreshed } = await fresh(
      s.oauth,
      {
        accessToken: secret.accessToken,
        ...(secret.refreshToken ? { refreshToken: secret.refreshToken } : {}),
        expiresAt: secret.expiresAt,
      },
      this.now,
    );
    if (refreshed)
      this.store.setSecret(id, {
        kind: 'oauth2',
        accessToken: tokens.accessToken,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        expiresAt: tokens.expiresAt,
      });
    return { user: s.user, accessToken: tokens.accessToken };
  }

  /** Where a connection fails, stage by stage: DNS, TCP, TLS certificate, then login. */
  async testConnection(target: LegacyAccountInput | string): Promise<TestResult> {
    let servers: { which: 'incoming' | 'smtp'; s: ServerConfig }[];
    let login: () => Promise<Credentials>;
    if (typeof target === 'string') {
      const id = this.resolve(target);
      const s = this.settings(id);
      servers = [
        { which: 'incoming', s: s.incoming },
        { which: 'smtp', s: s.smtp },
      ];
      login = () => this.credentials(id);
    } else {
      const parsed = AccountInput.safeParse(target);
      if (!parsed.success) return { ok: false, stage: 'invalid_input', message: invalid(parsed.error).message };
      const a = parsed.data as LegacyAccountInput;
      servers = [
        { which: 'incoming', s: a.incoming },
        { which: 'smtp', s: a.smtp },
      ];
      if (a.auth.kind !== 'password') return { ok: false, stage: 'invalid_input', message: 'test an OAuth2 account after signing in' };
      const pass = a.auth.password;
      login = () => Promise.resolve({ user: a.user, pass });
    }
    const fail = (e: unknown, server: 'incoming' | 'smtp', where: string): TestResult => {
      const err = classify(e, where);
      return { ok: false, stage: err.code, server, message: err.message };
    };
    const [incoming, smtp] = [servers[0]!.s as ServerConfig & { kind?: string }, servers[1]!.s];
    try {
      await probe(incoming, this.o.lookup ?? ((h) => dns.lookup(h)));
    } catch (e) {
      return fail(e, 'incoming', `${incoming.host}:${incoming.port}`);
    }
    let creds: Credentials;
    try {
      creds = await login();
    } catch (e) {
      return fail(e, 'incoming', 'sign-in');
    }
    try {
      if (incoming.kind === 'pop3') {
        const c = await Pop3Client.connect(incoming, creds);
        await c.quit();
      } else {
        const c = await connectImap(incoming, creds);
        await c.logout();
      }
    } catch (e) {
      return fail(e, 'incoming', 'incoming');
    }
    try {
      await probe(smtp, this.o.lookup ?? ((h) => dns.lookup(h)));
      await verifySmtp(smtp, creds);
    } catch (e) {
      return fail(e, 'smtp', `SMTP ${smtp.host}:${smtp.port}`);
    }
    return { ok: true };
  }

  // ---- IMAP connections
  private async client(id: string): Promise<ImapFlow> {
    const have = this.commandClients.get(id);
    if (have?.usable) return have;
    // One connect at a time per account: a search while a sync connects waits for the same
    // connection rather than opening a second that would replace (and leak) the first.
    const pending = this.connecting.get(id);
    if (pending) return pending;
    const p = (async () => {
      const s = this.settings(id);
      if (s.incoming.kind !== 'imap') throw new LegacyError('invalid_input', 'this account downloads by POP3');
      const c = await connectImap(s.incoming, await this.credentials(id));
      this.commandClients.set(id, c);
      c.on('close', () => {
        if (this.commandClients.get(id) === c) this.commandClients.delete(id);
      });
      return c;
    })().finally(() => this.connecting.delete(id));
    this.connecting.set(id, p);
    return p;
  }

  private async dropClient(id: string): Promise<void> {
    const c = this.commandClients.get(id);
    this.commandClients.delete(id);
    if (c?.usable) await c.logout().catch(() => c.close());
    else c?.close();
  }

  /** Closes every connection this service opened. */
  async close(): Promise<void> {
    for (const id of [...this.commandClients.keys()]) await this.dropClient(id);
  }

  /** One sync pass of an account; a dropped connection is retried with backoff and jitter, resuming where it stopped. */
  async sync(idOrName: string, opts: Omit<SyncOptions, 'now'> = {}): Promise<SyncReport> {
    const id = this.resolve(idOrName);
    const s = this.settings(id);
    const retry = this.o.retry ?? { attempts: 5, baseMs: 500, maxMs: 30_000 };
    for (let attempt = 0; ; attempt++) {
      try {
        let folders: SyncReport['folders'];
        if (s.incoming.kind === 'pop3') {
          folders = [
            await pop3Sync(s.incoming, await this.credentials(id), this.store, id, {
              leaveOnServer: s.leaveOnServer ?? true,
              now: this.now,
            }),
          ];
        } else {
          const c = await this.client(id);
          const incoming = s.incoming;
          folders = await syncAccount(c, this.store, id, {
            chunk: this.o.chunk,
            openBulk: async () => BulkImap.open(incoming, await this.credentials(id)),
            ...opts,
            now: this.now,
          });
        }
        this.store.putAccount(id, { ...this.settings(id), lastSyncAt: this.now(), lastError: undefined }, undefined, this.now());
        return { folders };
      } catch (e) {
        const err = classify(e, 'sync');
        const retriable = err.code === 'closed' || err.code === 'tcp' || err.code === 'timeout' || err.code === 'protocol';
        if (!retriable || attempt + 1 >= retry.attempts || opts.signal?.aborted) {
          this.store.putAccount(id, { ...this.settings(id), lastError: { code: err.code, message: err.message } }, undefined, this.now());
          throw err;
        }
        await this.dropClient(id);
        await new Promise((r) => setTimeout(r, backoffMs(attempt, retry.baseMs, retry.maxMs)));
      }
    }
  }

  /**
   * IDLE on INBOX on its own connection: each change syncs INBOX (on the command connection)
   * and then calls `onChange`. Returns the stop function.
   */
  async watch(
    idOrName: string,
    onChange: (e: { folderPath: string; report: SyncReport }) => void,
    o: { maxIdleMs?: number } = {},
  ): Promise<() => Promise<void>> {
    const id = this.resolve(idOrName);
    const s = this.settings(id);
    if (s.incoming.kind !== 'imap') throw new LegacyError('invalid_input', 'IDLE needs an IMAP account');
    let running: Promise<void> = Promise.resolve();
    let again = false;
    const kick = () => {
      if (again) return;
      again = true;
      running = running.then(async () => {
        again = false;
        try {
          const report = await this.sync(id, { only: ['INBOX'] });
          onChange({ folderPath: 'INBOX', report });
        } catch {
          // the next change or reconnect tries again; lastError holds what failed
        }
      });
    };
    const w: Watch = await watchMailbox(() => this.credentials(id).then((c) => ({ server: s.incoming, creds: c })), 'INBOX', kick, {
      ...(o.maxIdleMs ? { maxIdleMs: o.maxIdleMs } : {}),
      retry: this.o.retry ?? { attempts: Infinity, baseMs: 1000, maxMs: 60_000 },
    });
    return async () => {
      await w.stop();
      await running;
    };
  }

  // ---- messages
  private summary(m: MessageRow, folders: Map<string, { accountId: string; path: string; role: FolderRole | null }>): LegacyMessageSummary {
    const f = folders.get(m.folderId)!;
    const e = m.envelope;
    const role = f.role;
    return {
      id: m.id,
      accountId: f.accountId,
      folder: role === 'junk' ? null : role,
      folderPath: f.path,
      uid: m.uid,
      date: m.date,
      size: m.size,
      unread: (m.flags & Flag.seen) === 0,
      flagged: (m.flags & Flag.flagged) !== 0,
      answered: (m.flags & Flag.answered) !== 0,
      draft: (m.flags & Flag.draft) !== 0,
      from: e.from,
      ...(e.fromName ? { fromName: e.fromName } : {}),
      to: e.to,
      cc: e.cc,
      subject: e.subject,
      ...(e.messageId ? { messageId: e.messageId } : {}),
      ...(e.inReplyTo ? { inReplyTo: e.inReplyTo } : {}),
      hasAttachments: e.hasAttachments,
    };
  }

  private folderMap(accountId?: string) {
    const m = new Map<string, { accountId: string; path: string; role: FolderRole | null }>();
    for (const a of this.store.accounts()) {
      if (accountId && a.id !== accountId) continue;
      for (const f of this.store.folders(a.id)) m.set(f.id, { accountId: a.id, path: f.path, role: f.role });
    }
    return m;
  }

  list(q: { accountId?: string; folder: FolderId; offset: number; limit: number }): { total: number; items: LegacyMessageSummary[] } {
    const folders = this.folderMap(q.accountId ? this.resolve(q.accountId) : undefined);
    const ids = [...folders].filter(([, f]) => f.role === ROLE_OF_FOLDER[q.folder]).map(([id]) => id);
    const { total, items } = this.store.list(ids, q.offset, q.limit);
    return { total, items: items.map((m) => this.summary(m, folders)) };
  }

  message(id: string): LegacyMessageSummary | undefined {
    const m = this.store.message(id);
    return m ? this.summary(m, this.folderMap()) : undefined;
  }

  private locate(id: string): { m: MessageRow; accountId: string; path: string } {
    const m = this.store.message(id);
    if (!m) throw new LegacyError('not_found', 'no such message');
    const f = this.store.folder(m.folderId)!;
    return { m, accountId: f.accountId, path: f.path };
  }

  /** The message's RFC 822 bytes: from the sealed cache, else streamed from the server into it first. */
  async rawMessage(id: string): Promise<Readable> {
    if (!this.store.hasBody(id)) {
      const { m, accountId, path } = this.locate(id);
      const s = this.settings(accountId);
      if (s.incoming.kind !== 'imap') throw new LegacyError('not_found', 'the downloaded message has no body');
      const c = await this.client(accountId);
      const lock = await c.getMailboxLock(path);
      const w = this.store.bodyWriter(id);
      try {
        const d = await c.download(String(m.uid), undefined, { uid: true });
        if (!('content' in d) || !d.content) throw new LegacyError('not_found', 'the message is no longer on the server');
        await cacheStream(d.content, w);
      } catch (e) {
        w.abort();
        throw classify(e, 'IMAP download');
      } finally {
        lock.release();
      }
    }
    return Readable.from(this.store.body(id));
  }

  private async onServer<T>(id: string, fn: (c: ImapFlow, m: MessageRow, path: string, accountId: string) => Promise<T>): Promise<T> {
    const { m, accountId, path } = this.locate(id);
    const c = await this.client(accountId);
    const lock = await c.getMailboxLock(path);
    try {
      return await fn(c, m, path, accountId);
    } catch (e) {
      throw classify(e, 'IMAP');
    } finally {
      lock.release();
    }
  }

  async setFlags(id: string, f: { seen?: boolean; flagged?: boolean; answered?: boolean }): Promise<void> {
    await this.onServer(id, async (c, m) => {
      const add: string[] = [];
      const del: string[] = [];
      let bits = m.flags;
      for (const [k, flag, bit] of [
        ['seen', '\\Seen', Flag.seen],
        ['flagged', '\\Flagged', Flag.flagged],
        ['answered', '\\Answered', Flag.answered],
      ] as const) {
        if (f[k] === undefined) continue;
        (f[k] ? add : del).push(flag);
        bits = f[k] ? bits | bit : bits & ~bit;
      }
      if (add.length) await c.messageFlagsAdd(String(m.uid), add, { uid: true });
      if (del.length) await c.messageFlagsRemove(String(m.uid), del, { uid: true });
      this.store.setFlags(m.folderId, [{ uid: m.uid, flags: bits }]);
    });
  }

  private folderFor(accountId: string, role: FolderRole): { id: string; path: string } {
    const f = this.store.folders(accountId).find((x) => x.role === role);
    if (!f) throw new LegacyError('not_found', `the account has no ${role} folder`);
    return f;
  }

  /** Moves a message to one of our folders (archive = move to 'archive'); the destination syncs it in. */
  async move(id: string, to: FolderId): Promise<void> {
    const accountId = this.locate(id).accountId;
    const dest = this.folderFor(accountId, ROLE_OF_FOLDER[to]);
    await this.onServer(id, async (c, m) => {
      const r = await c.messageMove(String(m.uid), dest.path, { uid: true });
      if (!r) throw new LegacyError('protocol', 'the server did not move the message');
      this.store.removeMessage(m.id);
    });
    await this.sync(accountId, { only: [dest.path] });
  }

  /** To Trash; a message already in Trash is expunged. */
  async remove(id: string): Promise<void> {
    const { accountId, m } = this.locate(id);
    const f = this.store.folder(m.folderId)!;
    if (f.role === 'trash' || !this.store.folders(accountId).some((x) => x.role === 'trash')) {
      await this.onServer(id, async (c, msg) => {
        await c.messageDelete(String(msg.uid), { uid: true });
        this.store.removeMessage(msg.id);
      });
      return;
    }
    await this.move(id, 'trash');
  }

  /** APPENDs a draft (\Draft \Seen) to the Drafts folder and syncs it in. */
  async saveDraft(idOrName: string, raw: Buffer): Promise<void> {
    const id = this.resolve(idOrName);
    const drafts = this.folderFor(id, 'drafts');
    const c = await this.client(id);
    try {
      await c.append(drafts.path, raw, ['\\Draft', '\\Seen']);
    } catch (e) {
      throw classify(e, 'IMAP APPEND');
    }
    await this.sync(id, { only: [drafts.path] });
  }

  /** Sends through the account's SMTP server; a copy goes to Sent by APPEND unless the provider files it (Gmail). */
  async send(idOrName: string, m: OutgoingMail): Promise<{ messageId: string; accepted: string[]; rejected: string[] }> {
    const id = this.resolve(idOrName);
    const s = this.settings(id);
    const to = [...m.to, ...(m.cc ?? []), ...(m.bcc ?? [])];
    if (!to.length) throw new LegacyError('invalid_input', 'no recipient');
    const raw = await buildMessage({ address: s.email, ...(s.displayName ? { name: s.displayName } : {}) }, m);
    const creds = await this.credentials(id);
    const r = await sendRaw(s.smtp, creds, { from: s.email, to }, raw);
    const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.subarray(0, 64 * 1024).toString('latin1'))?.[1] ?? '';
    const savesSent = s.preset !== 'generic' && PRESETS[s.preset].savesSent;
    if (!savesSent && s.incoming.kind === 'imap') {
      const sent = this.store.folders(id).find((f) => f.role === 'sent');
      if (sent) {
        try {
          const c = await this.client(id);
          await c.append(sent.path, raw, ['\\Seen']);
        } catch (e) {
          throw new SentCopyError(classify(e, 'IMAP APPEND to Sent'), messageId);
        }
      }
    }
    return { messageId, accepted: r.accepted, rejected: r.rejected };
  }

  /**
   * `UID SEARCH TEXT` for these words on the account's server, in its folders of these roles
   * (in that order, at most `maxFolders`), over the command connection under its mailbox
   * lock, for at most `timeoutMs` with connecting included. On 'timeout' (or `signal`) no
   * further folder is asked and what the folders searched so far answered is kept.
   */
  async searchServer(
    accountId: string,
    roles: readonly FolderRole[],
    terms: readonly string[],
    o: { timeoutMs: number; maxFolders: number; signal?: AbortSignal },
  ): Promise<{ outcome: 'searched' | 'timeout' | 'failed'; matches: FolderMatch[] }> {
    const folders = this.store.folders(accountId);
    const targets = roles
      .flatMap((r) => folders.filter((f) => f.role === r))
      .slice(0, o.maxFolders)
      .map((f) => ({ folderId: f.id, path: f.path, uidvalidity: f.uidvalidity }));
    const matches: FolderMatch[] = [];
    if (!targets.length || !terms.length) return { outcome: 'searched', matches };
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const work = (async () => {
      const c = await this.client(accountId);
      await searchFolders(c, targets, terms, stop.signal, matches);
    })().then(
      () => 'searched' as const,
      () => 'failed' as const,
    );
    const late = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), o.timeoutMs)));
    try {
      const outcome = await Promise.race([work, late]);
      return { outcome: stop.signal.aborted && outcome === 'searched' ? 'timeout' : outcome, matches: [...matches] };
    } finally {
      clearTimeout(timer);
      stop.abort();
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Words against sender, recipients and subject of stored envelopes (opened in memory). */
  searchLocal(accountId: string | undefined, words: string): LegacyMessageSummary[] {
    const folders = this.folderMap(accountId ? this.resolve(accountId) : undefined);
    const terms = words.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    return this.store
      .allIn([...folders.keys()])
      .filter((m) => {
        const e = m.envelope;
        const hay = [e.from, e.fromName ?? '', ...e.to, ...e.cc, e.subject].join(' ').toLowerCase();
        return terms.every((t) => hay.includes(t));
      })
      .map((m) => this.summary(m, folders));
  }

  /** OAuth2 provider of an account, for a fresh sign-in when the saved one was revoked. */
  async signInAgain(idOrName: string): Promise<void> {
    const id = this.resolve(idOrName);
    const s = this.settings(id);
    if (!s.oauth) throw new LegacyError('invalid_input', 'this account signs in with a password');
    const p: OAuthProviderConfig = s.oauth;
    if (!this.o.openBrowser) throw new LegacyError('invalid_input', 'OAuth2 sign-in needs a browser');
    const t = await authorize(p, this.o.openBrowser, { now: this.now });
    this.store.setSecret(id, {
      kind: 'oauth2',
      accessToken: t.accessToken,
      ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}),
      expiresAt: t.expiresAt,
    });
    await this.dropClient(id);
  }
}

const CACHE_CHUNK = 1024 * 1024;

/** Streams a download into sealed 1 MiB chunks; memory stays at about one chunk. */
async function cacheStream(src: NodeJS.ReadableStream, w: { write(c: Uint8Array, last: boolean): void }): Promise<void> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of src as AsyncIterable<Buffer>) {
    pending.push(piece);
    size += piece.length;
    while (size > CACHE_CHUNK) {
      const all = Buffer.concat(pending);
      w.write(all.subarray(0, CACHE_CHUNK), false);
      pending = [all.subarray(CACHE_CHUNK)];
      size = pending[0]!.length;
    }
  }
  w.write(Buffer.concat(pending), true);
}

/** DNS, then TCP, then (implicit TLS) the certificate: the first stage that fails, as LegacyError. */
async function probe(s: ServerConfig, lookup: (host: string) => Promise<{ address: string }>): Promise<void> {
  let address = s.host;
  if (!/^[\d.]+$|:/.test(s.host)) {
    try {
      address = (await lookup(s.host)).address;
    } catch (e) {
      throw new LegacyError('dns', `${s.host}: ${(e as Error).message}`);
    }
  }
  await new Promise<void>((resolve, reject) => {
    const sock = tcpConnect({ host: address, port: s.port, timeout: 15_000 });
    sock.once('connect', () => {
      sock.destroy();
      resolve();
    });
    sock.once('timeout', () => {
      sock.destroy();
      reject(new LegacyError('timeout', `${s.host}:${s.port}: no answer`));
    });
    sock.once('error', (e) => reject(new LegacyError('tcp', `${s.host}:${s.port}: ${e.message}`)));
  });
  if (s.tls !== 'implicit') return;
  await new Promise<void>((resolve, reject) => {
    const t = tlsOptions(s);
    const sock = tlsConnect({
      host: address,
      port: s.port,
      ...t,
      servername: t.servername ?? (/^[\d.]+$|:/.test(s.host) ? undefined : s.host),
      timeout: 15_000,
    });
    sock.once('secureConnect', () => {
      sock.destroy();
      resolve();
    });
    sock.once('error', (e) => reject(classify(e, `TLS ${s.host}:${s.port}`)));
  });
}
