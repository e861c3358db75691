// The profile's QMail identity as the rest of the app uses it: who we are (loaded from the
// sealed store), the directory to ask, onboarding (create, restore, choose servers), the
// servers the directory lists and the directory search. The mail jobs see it through
// their context; the app's composition root through the mail engine.
import type { Contact, IdentityState, ServerInfo } from '../../../shared/ipc/index.js';
import { ADDRESS_PATTERN, formatMailbox, parseMailbox } from '../../../shared/cbdf/address.js';
import { fingerprint } from '../../../shared/identity/index.js';
import { DirectoryClient } from '../directory/client.js';
import { MailError } from '../errors.js';
import type { ConnectionPool } from '../net/transport.js';
import { Onboarding, OnboardingError, type ServerChoice } from './onboarding.js';
import type { IdentityStore, LoadedIdentity } from './store.js';

export interface AccountOptions {
  store: IdentityStore;
  pool: ConnectionPool;
  unlocked: () => boolean;
  emit: (event: string, payload: unknown) => void;
  now: () => number;
  /** The directory to use when the identity does not name one (network file, app default). */
  directoryUrl?: string;
}

function rethrow(e: unknown): never {
  if (e instanceof OnboardingError) throw new MailError('invalid_input', e.message);
  throw e;
}

export class Account {
  readonly onboarding: Onboarding;

  constructor(private readonly o: AccountOptions) {
    this.onboarding = new Onboarding(o.store, () => this.directory(), o.pool, o.now);
  }

  exists(): boolean {
    return this.o.store.exists;
  }

  me(): LoadedIdentity {
    const l = this.o.store.load();
    if (!l) throw new MailError('no_identity', 'This profile has no QMail identity yet; create one first.');
    return l;
  }

  /** The identity when there is one and the profile is unlocked. */
  current(): LoadedIdentity | undefined {
    return this.o.store.exists && this.o.unlocked() ? this.o.store.load() : undefined;
  }

  directory(): DirectoryClient {
    const url = this.current()?.directory ?? this.o.directoryUrl;
    if (!url) throw new MailError('unavailable', 'No directory is configured (give a network file or a directory URL).');
    return new DirectoryClient(url);
  }

  state(): IdentityState {
    if (!this.o.store.exists) return { state: 'none' };
    return this.onboarding.describe(this.me());
  }

  async create(name: string, choice: ServerChoice = {}): Promise<IdentityState & { recoveryPhrase: string }> {
    const r = await this.onboarding.create(name, choice).catch(rethrow);
    this.o.emit('identity.changed', this.onboarding.describe(r.loaded));
    return { ...this.onboarding.describe(r.loaded), recoveryPhrase: r.recoveryPhrase };
  }

  async restore(phrase: string, name?: string, choice: ServerChoice = {}): Promise<IdentityState> {
    const l = await this.onboarding.restore(phrase, name, choice).catch(rethrow);
    this.o.emit('identity.changed', this.onboarding.describe(l));
    return this.onboarding.describe(l);
  }

  async chooseServers(storage: string[], beacon: string): Promise<IdentityState> {
    const l = await this.onboarding.chooseServers(storage, beacon).catch(rethrow);
    this.o.emit('identity.changed', this.onboarding.describe(l));
    return this.onboarding.describe(l);
  }

  async listServers(): Promise<ServerInfo[]> {
    const all = await this.directory().servers();
    const me = this.o.store.exists ? this.me() : undefined;
    return all.map((d) => ({
      nodeId: d.nodeId,
      name: d.name,
      host: d.host,
      port: d.port,
      pricePerMbMonth: d.pricePerMbMonth,
      inboxFeeCut: d.inboxFeeCut,
      maxAttachmentBytes: d.maxAttachmentBytes,
      jurisdiction: d.jurisdiction,
      location: d.location,
      uptimeSeconds: d.uptimeSeconds,
      protocol: d.protocol,
      latencyMs: d.measured?.latencyMs ?? null,
      uptime: d.measured?.successRatio ?? 0,
      hireRequired: d.hire?.required === true,
      hired: me?.servers.some((s) => s.nodeId === d.nodeId) ?? false,
      beacon: me?.beacon === d.nodeId,
    }));
  }

  async searchDirectory(query: string, limit: number): Promise<Contact[]> {
    const dir = this.directory();
    const q = query.trim();
    if (ADDRESS_PATTERN.test(q)) {
      const one = await dir.lookup(formatMailbox(parseMailbox(q)));
      return one ? [{ address: one.record.address, name: one.record.name, fingerprint: fingerprint(one.identity) }] : [];
    }
    const list = await dir.search(q, limit);
    return list.map((v) => ({ address: v.record.address, name: v.record.name, fingerprint: fingerprint(v.identity) }));
  }

  /** On lock: forget the decrypted identity. */
  forget(): void {
    this.o.store.forget();
  }
}

/** Whether an error is the user's to fix (bad onboarding input): such errors are never retried. */
export const isUserError = (e: unknown): boolean => e instanceof OnboardingError || e instanceof MailError;
