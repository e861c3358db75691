// Onboarding: make (or restore) an identity, get its address from the directory, hire
// storage servers and a beacon (a fresh random AN registered on each), open a free inbox
// on the beacon (a DRD record with fee 0) and publish the signed identity record.
import { randomBytes } from 'node:crypto';
import { generateIdentity, identityFromPhrase, identityToPhrase, fingerprint, type Identity } from '../../../shared/identity/index.js';
import { encodeMailbox, parseMailbox, type Mailbox } from '../../../shared/cbdf/address.js';
import { Group, DrdCommand, isSuccessStatus, makeChallenge } from '../../../shared/raida/index.js';
import { encodePostUser } from '../../../shared/drd/index.js';
import { encodeRegisterProof, signRegisterProof, type AddressTicket } from '../../../shared/qmail/index.js';
import type { DirectoryClient, ServerDescriptor } from '../directory/client.js';
import { QMailServerClient } from '../net/group6.js';
import { StatusError, type ConnectionPool } from '../net/transport.js';
import type { HiredServer, IdentityStore, LoadedIdentity, StoredIdentity } from './store.js';

export class OnboardingError extends Error {
  override readonly name = 'OnboardingError';
}

export interface ServerChoice {
  storage?: string[];
  beacon?: string;
}

/** How many storage servers a new identity hires when it does not choose. */
export const DEFAULT_STORAGE_COUNT = 8;

export function endpointOf(d: ServerDescriptor): { host: string; port: number; raidaId: number } {
  return { host: d.host, port: d.port, raidaId: d.raidaId };
}

/**
 * Default choice, from what the directory measured (never what a server claims of itself):
 * longest measured uptime first, then the larger share of successful probes, then the lower
 * latency, then by id; the beacon is the first of them.
 */
export function chooseDefault(all: ServerDescriptor[], count = DEFAULT_STORAGE_COUNT): { storage: string[]; beacon: string } {
  const up = (d: ServerDescriptor) => d.measured?.upSeconds ?? 0;
  const ratio = (d: ServerDescriptor) => d.measured?.successRatio ?? 0;
  const latency = (d: ServerDescriptor) => d.measured?.latencyMs ?? Infinity;
  const sorted = [...all].sort(
    (a, b) => up(b) - up(a) || ratio(b) - ratio(a) || latency(a) - latency(b) || a.nodeId.localeCompare(b.nodeId),
  );
  const storage = sorted.slice(0, Math.min(count, sorted.length)).map((d) => d.nodeId);
  if (storage.length < 2)
    throw new OnboardingError(`the directory lists ${all.length} server(s); at least 2 are needed to store striped mail`);
  return { storage, beacon: storage[0]! };
}

/** What proves to a node that we hold the identity key the directory bound to our address (EXT-7). */
export interface RegistrationProof {
  identity: Identity;
  ticket: AddressTicket | undefined;
}

export async function hire(
  pool: ConnectionPool,
  mailbox: Mailbox,
  d: ServerDescriptor,
  proof?: RegistrationProof,
  now: () => number = Date.now,
): Promise<HiredServer> {
  const an = new Uint8Array(randomBytes(16));
  const client = new QMailServerClient(pool, endpointOf(d));
  const ticket = proof?.ticket;
  const prove =
    proof && ticket
      ? (challenge: Uint8Array) =>
          encodeRegisterProof(
            signRegisterProof({
              ticket,
              identity: proof.identity,
              mailbox,
              nodeId: new Uint8Array(Buffer.from(d.nodeId, 'hex')),
              newAn: an,
              challenge,
              now: now(),
            }),
          )
      : undefined;
  await client.register({ mailbox }, an, prove);
  return { nodeId: d.nodeId, host: d.host, port: d.port, raidaId: d.raidaId, an: Buffer.from(an).toString('hex') };
}

/** Opens a free inbox on the beacon: DRD post_user with an inbox fee of 0. */
export async function openInbox(pool: ConnectionPool, mailbox: Mailbox, beacon: HiredServer, name: string): Promise<void> {
  const an = new Uint8Array(Buffer.from(beacon.an, 'hex'));
  const [first, ...rest] = name.split(' ');
  const body = encodePostUser({
    challenge: makeChallenge(new Uint8Array(randomBytes(12))),
    owner: { denomination: mailbox.denomination, serial: mailbox.serial },
    an,
    fee: 0n,
    symbol1: 0,
    symbol2: 0,
    classRejection: 0,
    firstName: (first ?? name).slice(0, 30),
    lastName: rest.join(' ').slice(0, 30),
  });
  const res = await pool.get(endpointOf({ ...beacon } as unknown as ServerDescriptor)).call({
    group: Group.DRD,
    command: DrdCommand.POST_USER,
    body,
    timeoutMs: 10_000,
    an: { key: an, denomination: mailbox.denomination, serial: mailbox.serial },
  });
  if (!isSuccessStatus(res.status)) throw new StatusError(res.status, 'opening the inbox on the beacon');
}

export interface OnboardResult {
  loaded: LoadedIdentity;
  recoveryPhrase: string;
}

export class Onboarding {
  /**
   * Pays a node that requires a paid term (its descriptor's `hire`, EXT-10) before registering
   * there; unset, such a node is refused. Nodes without it register free (test networks).
   */
  payment?: (mailbox: Mailbox, d: ServerDescriptor) => Promise<void>;

  constructor(
    private readonly store: IdentityStore,
    private readonly directory: () => DirectoryClient,
    private readonly pool: ConnectionPool,
    private readonly now: () => number = Date.now,
  ) {}

  async create(name: string, choice: ServerChoice = {}): Promise<OnboardResult> {
    if (this.store.exists) throw new OnboardingError('This profile already has an identity.');
    const identity = generateIdentity();
    const loaded = await this.enrol(identity, name, choice, true);
    return { loaded, recoveryPhrase: identityToPhrase(identity) };
  }

  async restore(phrase: string, name: string | undefined, choice: ServerChoice = {}): Promise<LoadedIdentity> {
    if (this.store.exists) throw new OnboardingError('This profile already has an identity.');
    const identity = identityFromPhrase(phrase);
    return this.enrol(identity, name, choice);
  }

  private async enrol(identity: Identity, name: string | undefined, choice: ServerChoice, phrasePending = false): Promise<LoadedIdentity> {
    const dir = this.directory();
    const all = await dir.servers();
    // allocate is idempotent per signing key: a restored identity gets its old address back.
    const { address, ticket } = await dir.allocation(name ?? 'QMail user', identity);
    const previous = await dir.lookup(address);
    const displayName = name ?? previous?.record.name ?? 'QMail user';
    const mailbox = parseMailbox(address);
    const picked = this.pick(all, choice);
    const hired = await this.hireAll(mailbox, picked.storage.concat(picked.beacon), all, [], { identity, ticket });
    const beacon = hired.find((h) => h.nodeId === picked.beacon);
    if (!beacon)
      throw new OnboardingError(
        `The chosen beacon did not accept the registration${because(hired.refused, picked.beacon)}; choose another one.`,
      );
    await openInbox(this.pool, mailbox, beacon, displayName);
    const storage = hired.filter((h) => picked.storage.includes(h.nodeId));
    if (storage.length < 2) throw new OnboardingError('Fewer than two storage servers accepted the registration; choose others.');
    await dir.publish(
      { ...identity, address: encodeMailbox(mailbox) },
      {
        address,
        name: displayName,
        beacon: beacon.nodeId,
        servers: storage.map((s) => s.nodeId),
        updatedAt: this.now(),
      },
    );
    return this.store.save({
      seed: Buffer.from(identity.seed).toString('hex'),
      address,
      name: displayName,
      directory: dir.url,
      beacon: beacon.nodeId,
      servers: dedupe([...storage, beacon]),
      createdAt: this.now(),
      ...(phrasePending ? { phrasePending } : {}),
    });
  }

  private pick(all: ServerDescriptor[], choice: ServerChoice): { storage: string[]; beacon: string } {
    const def = chooseDefault(all);
    const known = new Set(all.map((d) => d.nodeId));
    const storage = choice.storage ?? def.storage;
    const beacon = choice.beacon ?? storage[0] ?? def.beacon;
    for (const id of [...storage, beacon]) if (!known.has(id)) throw new OnboardingError(`The directory does not list server ${id}.`);
    return { storage, beacon };
  }

  /** The directory's ticket for a saved identity (allocation is idempotent per key). */
  private async proofFor(cur: LoadedIdentity): Promise<RegistrationProof> {
    const { ticket } = await this.directory().allocation(cur.name, cur.identity);
    return { identity: cur.identity, ticket };
  }

  /** The servers hired, and why each of the others refused (so an error can say it). */
  private async hireAll(
    mailbox: Mailbox,
    ids: string[],
    all: ServerDescriptor[],
    have: HiredServer[] = [],
    proof?: RegistrationProof,
  ): Promise<HiredServer[] & { refused: Map<string, string> }> {
    const out: HiredServer[] = [...have];
    const refused = new Map<string, string>();
    const todo = [...new Set(ids)].filter((id) => !have.some((h) => h.nodeId === id));
    const results = await Promise.allSettled(
      todo.map(async (id) => {
        const d = all.find((x) => x.nodeId === id)!;
        await this.pay(mailbox, d);
        return hire(this.pool, mailbox, d, proof);
      }),
    );
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') out.push(r.value);
      else refused.set(todo[i]!, r.reason instanceof Error ? r.reason.message : String(r.reason));
    });
    return Object.assign(out, { refused });
  }

  /** Hire a new set of servers (keeping ANs on ones already hired) and republish the record. */
  async chooseServers(storage: string[], beacon: string): Promise<LoadedIdentity> {
    const cur = this.store.load();
    if (!cur) throw new OnboardingError('Create an identity first.');
    const dir = this.directory();
    const all = await dir.servers();
    const hired = await this.hireAll(cur.mailbox, [...storage, beacon], all, cur.servers, await this.proofFor(cur));
    const b = hired.find((h) => h.nodeId === beacon);
    if (!b) throw new OnboardingError(`The chosen beacon did not accept the registration${because(hired.refused, beacon)}.`);
    if (b.nodeId !== cur.beacon) await openInbox(this.pool, cur.mailbox, b, cur.name);
    const st = storage.map((id) => hired.find((h) => h.nodeId === id)).filter((h): h is HiredServer => h !== undefined);
    if (st.length < 2) throw new OnboardingError('Fewer than two storage servers accepted the registration.');
    await dir.publish(cur.identity, {
      address: cur.address,
      name: cur.name,
      beacon,
      servers: st.map((s) => s.nodeId),
      updatedAt: this.now(),
    });
    return this.store.save({ ...stripLoaded(cur), beacon, servers: dedupe([...st, b, ...hired]) });
  }

  /** Hire extra servers (for a wider stripe layout) without changing the published choice. */
  async hireMore(count: number): Promise<LoadedIdentity> {
    const cur = this.store.load();
    if (!cur) throw new OnboardingError('Create an identity first.');
    const all = await this.directory().servers();
    const extra = all
      .filter((d) => !cur.servers.some((s) => s.nodeId === d.nodeId))
      .slice(0, count)
      .map((d) => d.nodeId);
    const hired = await this.hireAll(cur.mailbox, extra, all, cur.servers, await this.proofFor(cur));
    return this.store.save({ ...stripLoaded(cur), servers: hired });
  }

  /** Registers on one more server (a recipient's beacon only accepts Tells from mailboxes it knows). */
  async ensureHired(d: ServerDescriptor): Promise<LoadedIdentity> {
    const cur = this.store.load();
    if (!cur) throw new OnboardingError('Create an identity first.');
    if (cur.servers.some((s) => s.nodeId === d.nodeId)) return cur;
    await this.pay(cur.mailbox, d);
    const h = await hire(this.pool, cur.mailbox, d, await this.proofFor(cur));
    // Beacons hired only to reach recipients go last, so they are not picked as storage first.
    return this.store.save({ ...stripLoaded(cur), servers: [...cur.servers, h] });
  }

  private async pay(mailbox: Mailbox, d: ServerDescriptor): Promise<void> {
    if (!d.hire?.required) return;
    if (!this.payment) throw new OnboardingError(`${d.name} takes only paid hires, and no wallet pays here.`);
    await this.payment(mailbox, d);
  }

  describe(l: LoadedIdentity) {
    return {
      state: 'ready' as const,
      address: l.address,
      name: l.name,
      fingerprint: fingerprint(l.identity),
      beacon: l.beacon,
      storage: l.servers.map((s) => s.nodeId),
      phraseConfirmed: !l.phrasePending,
    };
  }
}

function dedupe(list: HiredServer[]): HiredServer[] {
  const seen = new Set<string>();
  return list.filter((h) => (seen.has(h.nodeId) ? false : (seen.add(h.nodeId), true)));
}

export function stripLoaded(l: LoadedIdentity): StoredIdentity {
  const { identity: _i, mailbox: _m, ...rest } = l;
  return rest;
}

/** " (the server's reason)" for an error sentence, when one was heard. */
function because(refused: Map<string, string>, nodeId: string): string {
  const why = refused.get(nodeId);
  return why ? ` (${why})` : '';
}
