// The main-process services behind the contract. Plain Node: the Electron shell and the
// host mode both run exactly this, so every test exercises what users run.
//
// Longer than 400 lines on purpose: it is the composition root, the one place that builds
// every service and wires each contract handler to it in a line or two.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ContractError,
  type EventName,
  type EventPayload,
  type FolderId,
  type Handlers,
  type VaultState,
} from '../../../shared/ipc/index.js';
import { openDatabase, type Db } from '../../store/database.js';
import { MessageStore } from '../../store/messages.js';
import { DEFAULT_KDF, Vault, VaultError, type KdfParams, type Keychain } from '../../store/vault.js';
import { MailEngine, MailError } from '../mail/engine.js';
import { DirectoryError } from '../directory/client.js';
import { QkdConfigError } from '../mail/qkd.js';
import { formattedBody } from '../mail/bundle.js';
import { PhraseConfirmation, PhraseError } from '../identity/phrase.js';
import { LegacyService } from '../legacy/service.js';
import { LegacyWatcher, legacyHandlers } from './legacy.js';
import { legacyReader } from './legacy-reader.js';
import { UnifiedMail } from './unified.js';
import { ImageSenders } from '../../store/image-senders.js';
import { SignIns, oauthClientsFromEnv, type OAuthClient, type OAuthPreset } from './legacy-signin.js';
import { FEES_REQUESTS, feesHandlers } from './fees.js';
import { WALLET_REQUESTS, walletHandlers, type WalletChips } from './wallet.js';
import { WalletRunner } from '../wallet/runner.js';
import type { Sealer } from '../wallet/client.js';
import type { LoadedIdentity } from '../identity/store.js';
import { MARKET_REQUESTS, createMarket, type Market } from './market.js';
import { DEFAULT_TERM } from '../market/payment.js';
import { sharedLookups } from '../mail/lookups.js';

export interface AppServicesOptions {
  profileDir: string;
  host: 'electron' | 'web';
  version: string;
  keychain?: Keychain | null;
  /** Lower Argon2id costs are for tests only; profiles record the costs they were made with. */
  kdf?: KdfParams;
  now?: () => number;
  /** The directory a new identity registers with (from the network file or the app default). */
  directoryUrl?: string;
  /** Start sending and receiving as soon as the profile is unlocked (the app; off for one-shot CLI use). */
  autoStart?: boolean;
  /** Mail engine tuning (tests, benchmarks). */
  mail?: {
    pingWaitMs?: number;
    retryBaseMs?: number;
    maxAttempts?: number;
    defaultLayout?: { k: number; p: number };
    qkd?: { prefetchKeys?: number; timeoutMs?: number };
  };
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * The kme.json of the local test network this process runs (the embedded network only):
   * qkd.settings.get reports it so the KME dialog can offer it in one click.
   */
  localKmeFile?: string | undefined;
  /** The embedded network's correspondent address, once it is up (AppNetwork.correspondent). */
  correspondent?: Promise<string | undefined>;
  /** The wallet's coin servers and, on a test network, its mint (embeddedChips). */
  chips?: WalletChips;
  /** The system browser, for a mail account's sign-in page (the desktop app); host mode leaves it out and the window shows the link. */
  openBrowser?: (url: string) => Promise<void> | void;
  /** The app's OAuth2 client ids at Gmail and Outlook (default: QMAIL_OAUTH_*_CLIENT_ID, legacy-signin.ts). */
  oauthClients?: Partial<Record<OAuthPreset, OAuthClient>>;
}

export type Emit = <K extends EventName>(event: K, payload: EventPayload<K>) => void;

export interface AppServices {
  handlers: Handlers;
  subscribe(listener: (event: EventName, payload: unknown) => void): () => void;
  close(): void;
  /** For the services that later issues add: the database and the unlocked stores. */
  readonly db: Db;
  readonly vault: Vault;
  readonly messages: MessageStore;
  readonly mail: MailEngine;
  /** The server market: paid terms and their renewal (check() runs it now). */
  readonly market: Market;
}

const FOLDER_NAMES: Record<FolderId, string> = { inbox: 'Inbox', sent: 'Sent', drafts: 'Drafts', archive: 'Archive', trash: 'Trash' };

function toContractError(e: unknown): never {
  if (e instanceof VaultError) {
    const code = e.code === 'vault_corrupt' ? 'internal' : e.code;
    throw new ContractError(code, e.message);
  }
  if (e instanceof MailError) throw new ContractError(e.code === 'no_identity' ? 'not_found' : e.code, e.message);
  if (e instanceof DirectoryError) throw new ContractError('unavailable', `Directory: ${e.message}`);
  if (e instanceof QkdConfigError) throw new ContractError('invalid_input', e.message);
  if (e instanceof PhraseError) throw new ContractError('invalid_input', e.message);
  throw e;
}

/** A message's text: `body` alone, or a formatted body (checked) with its plain text in place of `body`. */
function textOf(body: string, document: string | undefined): { body: string; document?: string } {
  if (!document) return { body };
  try {
    return formattedBody(document);
  } catch (e) {
    throw new ContractError('invalid_input', `The formatted text cannot be sent: ${(e as Error).message}.`);
  }
}

/** Runs a handler body, turning service errors into contract errors. */
async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return toContractError(e);
  }
}

export function createAppServices(opts: AppServicesOptions): AppServices {
  const db = openDatabase(join(opts.profileDir, 'qmail.db'));
  const vault = new Vault(db, opts.keychain ?? null, opts.kdf ?? DEFAULT_KDF);
  const messages = new MessageStore(db, () => {
    try {
      return vault.box();
    } catch (e) {
      return toContractError(e);
    }
  });
  const now = opts.now ?? Date.now;
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  const emit: Emit = (event, payload) => {
    for (const l of listeners) l(event, payload);
  };

  // One wallet for the Wallet screen, the tips a send pays and the tips received (one operation at a time).
  const wallet: WalletRunner = new WalletRunner({
    db,
    box: () => vault.box(),
    networkFile: opts.chips?.networkFile,
    testMoney: !!opts.chips?.mintKey,
    now,
    // Where the wallet holds no coin on a server yet, our mailbox's AN there seals its requests.
    mailbox: (i: number): Sealer | undefined => {
      const me: LoadedIdentity | undefined = mail.account.current();
      const h = me?.servers.find((s) => s.raidaId === i);
      return me && h
        ? { denomination: me.mailbox.denomination, serial: me.mailbox.serial, an: new Uint8Array(Buffer.from(h.an, 'hex')) }
        : undefined;
    },
  });
  const mail = new MailEngine({
    db,
    box: () => vault.box(),
    wallet,
    unlocked: () => vault.unlocked,
    messages,
    emit: (event, payload) => emit(event as EventName, payload as never),
    ...(opts.directoryUrl ? { directoryUrl: opts.directoryUrl } : {}),
    now,
    ...(opts.mail ?? {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  // The server market (app/market.ts): paid hires from this profile's wallet, their terms, renewal before expiry.
  const market = createMarket({
    db,
    box: () => vault.box(),
    mail,
    chips: opts.chips ?? {},
    runner: wallet,
    emit,
    unlocked: () => vault.unlocked,
    now,
    guard: guarded,
    ...(opts.autoStart === false ? { checkEveryMs: 0 } : {}),
  });
  const phrase = new PhraseConfirmation(mail.identities);
  const signIns = new SignIns();
  const legacy = new LegacyService(db, () => vault.box(), { openBrowser: (url) => signIns.openBrowser(url) });
  const watcher = new LegacyWatcher(legacy, () => emit('mail.changed', { folders: ['inbox'] }));
  const imageSenders = new ImageSenders(db, () => vault.box());
  // The unified folders: qmail and the legacy accounts' mail in one list (app/unified.ts).
  const unified = new UnifiedMail({
    db,
    messages,
    mail,
    legacy,
    reader: legacyReader({ legacy, mail, imageSenders }),
    changed: (folders) => emit('mail.changed', { folders }),
  });
  const autoStart = opts.autoStart ?? true;
  signIns.attach({
    legacy,
    clients: opts.oauthClients ?? oauthClientsFromEnv(process.env),
    ...(opts.openBrowser ? { openBrowser: opts.openBrowser } : {}),
    added: (v) => {
      if (autoStart) watcher.watch(v.id);
    },
  });
  const startMail = () => {
    // The embedded network's KME pair is the profile's KME from the first unlock on (DESIGN §5),
    // unless the user chose otherwise; it is followed again on each unlock.
    if (vault.unlocked && opts.localKmeFile) mail.qkd.adoptEmbedded(opts.localKmeFile);
    if (autoStart && vault.unlocked) mail.start();
    if (autoStart && vault.unlocked) watcher.start();
  };

  if (vault.exists && !vault.unlocked) vault.unlockWithKeychain();
  startMail();

  // Offered only while the file is there (the embedded network writes it when its KME pair starts).
  const withLocalKme = <T extends object>(st: T): T & { localKme?: { path: string } } =>
    opts.localKmeFile && existsSync(opts.localKmeFile) ? { ...st, localKme: { path: opts.localKmeFile } } : st;

  const state = (): VaultState => ({
    state: !vault.exists ? 'absent' : vault.unlocked ? 'unlocked' : 'locked',
    keychain: vault.hasKeychain,
  });

  const handlers: Handlers = {
    'app.info': () => ({ version: opts.version, host: opts.host, platform: process.platform }),
    'app.correspondent': async () => {
      // It starts a few seconds after the network; a caller that asks early waits a little, then hears "not yet".
      const address = await Promise.race([opts.correspondent ?? Promise.resolve(undefined), sleep(15_000, undefined, { ref: false })]);
      if (!address) return {};
      const name = vault.unlocked
        ? await mail.searchDirectory(address, 1).then(
            (c) => c[0]?.name,
            () => undefined,
          )
        : undefined;
      return { address, ...(name ? { name } : {}) };
    },
    'vault.state': () => state(),
    'vault.create': async ({ passphrase }) => {
      await vault.create(passphrase).catch(toContractError);
      startMail();
      emit('vault.changed', state());
      return state();
    },
    'vault.unlock': async ({ passphrase }) => {
      await vault.unlock(passphrase).catch(toContractError);
      startMail();
      emit('vault.changed', state());
      return state();
    },
    'vault.lock': async () => {
      signIns.close();
      await watcher.stop();
      await mail.stop();
      unified.clear();
      vault.lock();
      emit('vault.changed', state());
      return state();
    },
    'mail.folders': () => {
      vault.box();
      const counts = unified.counts(messages.counts());
      return (Object.keys(FOLDER_NAMES) as FolderId[]).map((id) => ({
        id,
        name: FOLDER_NAMES[id],
        total: counts.get(id)?.total ?? 0,
        unread: counts.get(id)?.unread ?? 0,
      }));
    },
    'mail.list': ({ folder, offset, limit, source }) => unified.list(folder, source, offset, limit),
    'mail.get': ({ id }) => {
      if (unified.isLegacy(id)) return unified.get(id);
      const m = mail.view(id);
      if (!m) throw new ContractError('not_found', 'That message is no longer here.');
      return m;
    },
    'mail.markRead': async ({ id, unread }) => {
      vault.box();
      if (unified.isLegacy(id)) return (await unified.markRead(id, unread), { ok: true as const });
      if (!messages.setUnread(id, unread)) throw new ContractError('not_found', 'That message is no longer here.');
      const m = messages.get(id);
      if (m) emit('mail.changed', { folders: [m.folder] });
      return { ok: true as const };
    },
    'mail.move': ({ id, folder }) =>
      guarded(async () => {
        const from = unified.isLegacy(id) ? await unified.move(id, folder) : mail.moveTo(id, folder);
        emit('mail.changed', { folders: [from, folder] });
        return { ok: true as const };
      }),
    'mail.restore': ({ id }) =>
      guarded(() => {
        if (unified.isLegacy(id)) throw new ContractError('invalid_input', 'Email in Trash goes back with Move, in its account.');
        const folder = mail.restore(id);
        emit('mail.changed', { folders: ['trash', folder] });
        return { folder };
      }),
    'mail.thread': ({ id }) => guarded(() => ({ items: unified.isLegacy(id) ? unified.thread(id) : mail.thread(id) })),
    'mail.stripeLimit': () =>
      guarded(async () => {
        const maxServers = await mail.stripeLimit();
        // A paid network: say how many servers are paid for, so the composer does not quietly hire more.
        const paid = (await sharedLookups(mail.account.directory()).servers()).some((s) => s.hire?.required);
        const hired = paid ? mail.account.current()?.servers.length : undefined;
        return { maxServers, ...(hired !== undefined ? { hired: Math.min(255, hired) } : {}) };
      }),
    'drafts.save': ({ id, to, subject, body, cc, level, stripes, attachments, inReplyTo, document }) =>
      guarded(() => {
        const draftId = mail.saveDraft(id, {
          to,
          subject,
          ...textOf(body, document),
          ...(cc ? { cc } : {}),
          ...(level ? { level } : {}),
          ...(stripes ? { stripes } : {}),
          ...(attachments ? { attachments: attachments.map((a) => ({ name: a.name, data: a.data })) } : {}),
          ...(inReplyTo ? { inReplyTo } : {}),
        });
        emit('mail.changed', { folders: ['drafts'] });
        return { id: draftId };
      }),
    'identity.state': () => guarded(() => mail.identityState()),
    'identity.create': ({ name, storage, beacon, term }) =>
      guarded(async () => {
        const r = await market.withTerm(term, () =>
          mail.createIdentity(name, { ...(storage ? { storage } : {}), ...(beacon ? { beacon } : {}) }),
        );
        startMail();
        return r;
      }),
    'identity.restore': ({ phrase, name, storage, beacon }) =>
      guarded(async () => {
        const r = await mail.restoreIdentity(phrase, name, { ...(storage ? { storage } : {}), ...(beacon ? { beacon } : {}) });
        startMail();
        return r;
      }),
    'identity.phrase.challenge': () => guarded(() => ({ positions: phrase.challenge() })),
    'identity.phrase.confirm': ({ words }) =>
      guarded(() => {
        const state = mail.onboarding.describe(phrase.confirm(words));
        emit('identity.changed', state);
        return state;
      }),
    'identity.phrase.reveal': ({ passphrase }) =>
      guarded(async () => {
        await vault.checkPassphrase(passphrase);
        return { phrase: phrase.phrase() };
      }),
    'directory.search': ({ query, limit }) => guarded(() => mail.searchDirectory(query, limit)),
    'mail.send': ({ to, cc, subject, body, attachments, staged, level, stripes, draftId, allowFallback, inReplyTo, document, tips }) =>
      guarded(async () => {
        const item = await mail.send(
          {
            to,
            cc,
            subject,
            ...textOf(body, document),
            // Staged files stay staged (and are dropped later) if the send is refused.
            attachments: [
              ...attachments.map((a) => ({ name: a.name, data: new Uint8Array(Buffer.from(a.data, 'base64')) })),
              ...staged.map((id) => mail.staging.take(id)),
            ],
            level,
            ...(stripes ? { stripes } : {}),
            ...(allowFallback ? { allowFallback } : {}),
            ...(inReplyTo ? { inReplyTo } : {}),
          },
          tips,
        );
        for (const id of staged) mail.staging.handOver(id);
        if (draftId && messages.get(draftId)?.folder === 'drafts') {
          mail.delete(draftId, true);
          emit('mail.changed', { folders: ['drafts'] });
        }
        return { id: item.id, outbox: item };
      }),
    'outbox.list': () => guarded(() => mail.outbox()),
    'outbox.retry': ({ id }) => guarded(() => mail.retry(id)),
    'outbox.cancel': ({ id }) =>
      guarded(() => {
        const draftId = mail.returnToDrafts(id);
        emit('mail.changed', { folders: ['drafts'] });
        return { ok: true as const, draftId };
      }),
    'mail.refresh': () => guarded(async () => ({ received: await mail.refresh() })),
    'mail.delete': ({ id, permanent }) =>
      guarded(async () => {
        const folders = unified.isLegacy(id) ? await unified.delete(id) : mail.delete(id, permanent);
        emit('mail.changed', { folders });
        return { ok: true as const };
      }),
    'mail.search': ({ query, folder, limit, source }) => guarded(() => unified.search(query, folder, source, limit)),
    'mail.searchServer': ({ query, folder, limit, source }) => unified.searchServer(query, folder, source, limit),
    'attachments.begin': ({ name, size }) => guarded(() => ({ id: mail.staging.begin(name, size) })),
    'attachments.chunk': ({ id, data }) =>
      guarded(async () => ({ received: await mail.staging.chunk(id, new Uint8Array(Buffer.from(data, 'base64'))) })),
    'attachments.finish': ({ id }) => guarded(() => mail.staging.finish(id)),
    'attachments.discard': ({ id }) => guarded(async () => (await mail.staging.discard(id), { ok: true as const })),
    'mail.attachmentPart': ({ id, index, part }) =>
      unified.isLegacy(id) ? unified.attachmentPart(id, index, part) : guarded(() => mail.attachmentPart(id, index, part)),
    'mail.attachment': ({ id, index }) => guarded(() => mail.attachment(id, index)),
    'qkd.settings.get': () => guarded(() => withLocalKme(mail.qkd.state())),
    'qkd.settings.set': (i) =>
      guarded(() => {
        if (i.clear) return withLocalKme(mail.qkd.clear());
        if (i.import) {
          // "Use the local test KME" after a clear: the embedded pair again, followed as before.
          const embedded = i.import.path === opts.localKmeFile && i.import.side === 'A' && Object.keys(i.import.peers ?? {}).length === 0;
          return withLocalKme(mail.qkd.import(i.import.path, i.import.side, i.import.peers ?? {}, embedded ? 'embedded' : 'user'));
        }
        return withLocalKme(mail.qkd.set(i.settings!));
      }),
    'qkd.test': ({ peer }) => guarded(() => mail.qkd.test(peer)),
    'qkd.levels': ({ to, stripes }) =>
      guarded(async () => ({ levels: await mail.qkd.levels(to, stripes ?? opts.mail?.defaultLayout ?? { k: 4, p: 1 }) })),
    ...legacyHandlers({
      legacy,
      mail,
      imageSenders,
      ...(autoStart ? { watcher } : {}),
      changed: (folders) => emit('mail.changed', { folders }),
      signIns,
    }),
    ...walletHandlers({ db, box: () => vault.box(), chips: opts.chips ?? {}, now, runner: wallet }),
    ...feesHandlers({ mail, messages, ...(opts.chips?.networkFile ? { registrationTerm: DEFAULT_TERM } : {}) }),
    ...market.handlers,
  };

  // Guard every handler that touches mail with the vault wrapping above: a locked profile
  // answers 'locked' rather than failing deep inside.
  for (const name of [
    'mail.folders',
    'mail.list',
    'mail.get',
    'mail.markRead',
    'mail.move',
    'drafts.save',
    'identity.state',
    'identity.create',
    'identity.restore',
    'identity.phrase.challenge',
    'identity.phrase.confirm',
    'identity.phrase.reveal',
    'directory.search',
    'mail.send',
    'outbox.list',
    'outbox.retry',
    'outbox.cancel',
    'mail.refresh',
    'mail.delete',
    'mail.search',
    'mail.searchServer',
    'mail.attachment',
    'mail.attachmentPart',
    'attachments.begin',
    'attachments.chunk',
    'attachments.finish',
    'attachments.discard',
    'mail.restore',
    'mail.thread',
    'mail.stripeLimit',
    'qkd.settings.get',
    'qkd.settings.set',
    'qkd.test',
    'qkd.levels',
    'accounts.list',
    'accounts.add',
    'accounts.edit',
    'accounts.remove',
    'accounts.test',
    'accounts.sync',
    'accounts.oauthPresets',
    'accounts.signIn',
    'accounts.signInStatus',
    'accounts.signInCancel',
    'accounts.testSaved',
    'accounts.checkCa',
    'legacy.list',
    'legacy.get',
    'legacy.allowImages',
    'legacy.send',
    ...WALLET_REQUESTS,
    ...FEES_REQUESTS,
    ...MARKET_REQUESTS,
  ] as const) {
    const inner = handlers[name] as (i: unknown) => unknown;
    (handlers as Record<string, (i: unknown) => unknown>)[name] = (input: unknown) => {
      if (!vault.unlocked)
        throw new ContractError(
          vault.exists ? 'locked' : 'vault_absent',
          vault.exists ? 'The profile is locked; unlock it with your passphrase.' : 'Create a vault first.',
        );
      return inner(input);
    };
  }

  return {
    handlers,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      market.close();
      signIns.close();
      void watcher.stop().then(() => legacy.close());
      mail.close();
      void mail.stop();
      vault.lock();
      listeners.clear();
      db.close();
    },
    db,
    vault,
    messages,
    mail,
    market,
  };
}
