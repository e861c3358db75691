// A fake Runtime for unit tests of stores: an in-memory mail service that follows the
// contract's shapes (outputs are validated against the contract schemas), records calls,
// and can emit events. Not used by the app.
import {
  events,
  requests,
  type EventName,
  type EventPayload,
  type FeeQuote,
  type FolderId,
  type InboxSettings,
  type IdentityState,
  type MessageView,
  type OutboxItem,
  type RequestName,
  type ServerInfo,
} from '../../../shared/ipc/contract.js';
import { ContractError } from '../../../shared/ipc/errors.js';
import type { Runtime } from '../../../shared/ipc/runtime.js';

export interface FakeRuntime extends Runtime {
  calls: { channel: RequestName; input: unknown }[];
  messages: MessageView[];
  vault: { state: 'absent' | 'locked' | 'unlocked'; passphrase: string | null };
  identity: IdentityState;
  servers: ServerInfo[];
  outbox: OutboxItem[];
  /** What qkd.levels answers for L1/L2 (L3/L4 are always available). */
  quantum: { available: boolean; reason?: string };
  /** What mail.stripeLimit answers: the servers the identity can use. */
  maxServers: number;
  /** What mail.stripeLimit answers on a network of paid hires: the servers paid for (absent: a free network). */
  hiredServers?: number;
  /** What fees.quote answers for an address (absent: a free inbox). */
  feeQuotes: Record<string, Omit<FeeQuote, 'address'>>;
  /** Our inbox as fees.mine / fees.set / fees.list see it. */
  inbox: InboxSettings;
  /** The wallet's total in CC (wallet.balance); mail.send pays its tips from it. */
  walletTotal: string;
  /** Emails only an account's server finds (mail.searchServer: subject or text), and how the servers answer. */
  serverMail: MessageView[];
  serverOutcomes: { accountId: string; account: string; outcome: 'searched' | 'timeout' | 'failed' }[];
  emit<K extends EventName>(event: K, payload: EventPayload<K>): void;
  /** Makes the next call to `channel` fail with this error. */
  failNext(channel: RequestName, error: ContractError): void;
  /** Holds the answer to the next call on `channel` until release() is called. */
  hold(channel: RequestName): { release(): void };
}

let counter = 0;
export function fakeId(): string {
  return (++counter).toString(16).padStart(32, '0');
}

export function fakeMessage(folder: FolderId, i: number, extra: Partial<MessageView> = {}): MessageView {
  return {
    id: fakeId(),
    folder,
    from: `sender${i}@example.org`,
    to: ['me@example.org'],
    subject: `Subject ${i}`,
    preview: `Preview ${i}`,
    body: `Body ${i}`,
    date: 1_700_000_000_000 - i * 60_000,
    unread: true,
    level: 'L3',
    ...extra,
  };
}

export function fakeServer(i: number, extra: Partial<ServerInfo> = {}): ServerInfo {
  return {
    nodeId: (0xabc000 + i).toString(16).padStart(32, '0'),
    name: `node ${i}`,
    host: '127.0.0.1',
    port: 9000 + i,
    pricePerMbMonth: i,
    inboxFeeCut: 0,
    maxAttachmentBytes: 64 << 20,
    jurisdiction: 'EE',
    location: 'Tallinn',
    uptimeSeconds: 1000 * (10 - i),
    protocol: 'qmail/1.0',
    hired: false,
    beacon: false,
    ...extra,
  };
}

export const FAKE_PHRASE = Array.from({ length: 24 }, (_, i) => `word${i}`).join(' ');
/** The positions the fake asks for when confirming the phrase. */
export const FAKE_CHALLENGE = [2, 11, 20];

export function createFakeRuntime(init: Partial<Pick<FakeRuntime, 'messages' | 'vault' | 'identity' | 'servers'>> = {}): FakeRuntime {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const failures = new Map<RequestName, ContractError>();
  const holds = new Map<RequestName, Promise<void>>();
  const fake: FakeRuntime = {
    host: 'web',
    calls: [],
    messages: init.messages ?? [],
    vault: init.vault ?? { state: 'absent', passphrase: null },
    identity: init.identity ?? { state: 'none' },
    servers: init.servers ?? [fakeServer(1), fakeServer(2), fakeServer(3)],
    outbox: [],
    quantum: { available: false, reason: 'no KME configured' },
    maxServers: 5,
    feeQuotes: {},
    inbox: { fee: '0', classRejection: 0, white: [], black: [], contactsFree: false },
    walletTotal: '0',
    serverMail: [],
    serverOutcomes: [],
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) l(events[event].parse(payload));
    },
    failNext(channel, error) {
      failures.set(channel, error);
    },
    hold(channel) {
      let release!: () => void;
      holds.set(channel, new Promise<void>((r) => (release = r)));
      return {
        release,
      };
    },
    async invoke(channel, rawInput) {
      fake.calls.push({ channel, input: rawInput });
      const input = requests[channel].input.parse(rawInput ?? {}) as Record<string, unknown>;
      const held = holds.get(channel);
      holds.delete(channel);
      await held;
      const failure = failures.get(channel);
      if (failure) {
        failures.delete(channel);
        throw failure;
      }
      const value = answer(channel, input);
      return requests[channel].output.parse(value) as never;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };

  function state() {
    return { state: fake.vault.state, keychain: false };
  }
  function needUnlocked() {
    if (fake.vault.state !== 'unlocked') throw new ContractError('locked', 'locked');
  }

  function answer(channel: RequestName, input: Record<string, unknown>): unknown {
    switch (channel) {
      case 'app.info':
        return { version: '0.0.0', host: 'web', platform: 'test' };
      case 'vault.state':
        return state();
      case 'vault.create':
        if (fake.vault.state !== 'absent') throw new ContractError('vault_exists', 'exists');
        fake.vault = { state: 'unlocked', passphrase: input.passphrase as string };
        return state();
      case 'vault.unlock':
        if (input.passphrase !== fake.vault.passphrase) throw new ContractError('wrong_passphrase', 'wrong passphrase');
        fake.vault.state = 'unlocked';
        return state();
      case 'vault.lock':
        fake.vault.state = 'locked';
        return state();
      case 'mail.folders': {
        needUnlocked();
        const ids: FolderId[] = ['inbox', 'sent', 'drafts', 'archive', 'trash'];
        return ids.map((id) => {
          const ms = fake.messages.filter((m) => m.folder === id);
          return { id, name: id, total: ms.length, unread: ms.filter((m) => m.unread).length };
        });
      }
      case 'mail.list': {
        needUnlocked();
        // `source`: qmail only, or one email account's mail (the rows with that origin).
        const from = (m: { origin?: { accountId: string } }) =>
          input.source === undefined || (input.source === 'qmail' ? !m.origin : m.origin?.accountId === input.source);
        const ms = fake.messages.filter((m) => m.folder === input.folder && from(m)).sort((a, b) => b.date - a.date);
        const offset = input.offset as number;
        return { total: ms.length, items: ms.slice(offset, offset + (input.limit as number)).map(({ body: _b, ...rest }) => rest) };
      }
      case 'mail.get': {
        needUnlocked();
        const m = fake.messages.find((x) => x.id === input.id);
        if (!m) throw new ContractError('not_found', 'not found');
        return m;
      }
      case 'mail.markRead': {
        const m = fake.messages.find((x) => x.id === input.id);
        if (!m) throw new ContractError('not_found', 'not found');
        m.unread = input.unread as boolean;
        return { ok: true };
      }
      case 'mail.move': {
        const m = fake.messages.find((x) => x.id === input.id);
        if (!m) throw new ContractError('not_found', 'not found');
        m.folder = input.folder as FolderId;
        return { ok: true };
      }
      case 'drafts.save': {
        needUnlocked();
        const id = (input.id as string | undefined) ?? fakeId();
        const existing = fake.messages.find((m) => m.id === id);
        const fields = {
          to: input.to as string[],
          subject: input.subject as string,
          body: input.body as string,
          preview: String(input.body).slice(0, 80),
        };
        if (existing) Object.assign(existing, fields);
        else
          fake.messages.push({
            ...fakeMessage('drafts', 0),
            ...fields,
            id,
            from: 'me',
            unread: false,
            level: 'local',
            date: 1_700_000_000_000,
          });
        return { id };
      }
      case 'identity.state':
        needUnlocked();
        return fake.identity;
      case 'identity.create':
      case 'identity.restore': {
        needUnlocked();
        fake.identity = {
          state: 'ready',
          address: '0006.1.42',
          name: (input.name as string | undefined) ?? 'Restored',
          fingerprint: '12345 67890 12345 67890 12345 67890',
          storage: input.storage as string[] | undefined,
          beacon: input.beacon as string | undefined,
          phraseConfirmed: channel === 'identity.restore',
        };
        return channel === 'identity.create' ? { ...fake.identity, recoveryPhrase: FAKE_PHRASE } : fake.identity;
      }
      case 'identity.phrase.challenge':
        needUnlocked();
        return { positions: fake.identity.phraseConfirmed === false ? FAKE_CHALLENGE : [] };
      case 'identity.phrase.confirm': {
        needUnlocked();
        const words = FAKE_PHRASE.split(' ');
        const wrong = FAKE_CHALLENGE.filter((p, i) => (input.words as string[])[i] !== words[p - 1]);
        if (wrong.length) throw new ContractError('invalid_input', `Word ${wrong[0]} does not match your recovery phrase.`);
        fake.identity = { ...fake.identity, phraseConfirmed: true };
        return fake.identity;
      }
      case 'identity.phrase.reveal':
        needUnlocked();
        if (input.passphrase !== fake.vault.passphrase) throw new ContractError('wrong_passphrase', 'wrong passphrase');
        return { phrase: FAKE_PHRASE };
      case 'app.correspondent':
        return { address: '0006.1.7', name: 'QMail Correspondent' };
      case 'servers.list':
        needUnlocked();
        return fake.servers;
      case 'directory.search':
        return [{ address: '0006.1.7', name: 'QMail Correspondent' }].filter((c) =>
          `${c.name} ${c.address}`.toLowerCase().includes(String(input.query).trim().toLowerCase()),
        );
      case 'qkd.levels':
        return {
          levels: (['L1', 'L2', 'L3', 'L4'] as const).map((level) =>
            level === 'L1' || level === 'L2' ? { level, quantum: true, ...fake.quantum } : { level, quantum: false, available: true },
          ),
        };
      case 'mail.send': {
        needUnlocked();
        // As the main process does: every paying inbox is covered, and the wallet holds the sum.
        const tips = input.tips as { address: string; amount: string }[];
        const units = (cc: string) => Math.round(Number(cc) * 1e8);
        for (const a of [...(input.to as string[]), ...(input.cc as string[])]) {
          const q = fake.feeQuotes[a];
          const given = tips.find((t) => t.address === a)?.amount ?? '0';
          if (q && (q.kind === 'fee' || q.kind === 'default') && units(given) < units(q.fee))
            throw new ContractError('fee_not_covered', `${a} charges ${q.fee} CC and ${given} CC was offered.`);
        }
        const paid = tips.reduce((n, t) => n + units(t.amount), 0);
        if (paid > units(fake.walletTotal))
          throw new ContractError(
            'fee_not_covered',
            `The wallet holds ${fake.walletTotal} CC, less than the ${paid / 1e8} CC these inboxes charge.`,
          );
        fake.walletTotal = String((units(fake.walletTotal) - paid) / 1e8);
        const item: OutboxItem = {
          id: fakeId(),
          to: input.to as string[],
          subject: input.subject as string,
          state: 'queued',
          attempts: 0,
          uploaded: 0,
          total: 5,
          createdAt: 1_700_000_000_000,
          level: input.level as OutboxItem['level'],
        };
        fake.outbox.push(item);
        return { id: item.id, outbox: item };
      }
      case 'outbox.list':
        return fake.outbox;
      case 'outbox.retry': {
        const item = fake.outbox.find((i) => i.id === input.id);
        if (!item) throw new ContractError('not_found', 'not found');
        Object.assign(item, { state: 'queued', error: undefined, attempts: item.attempts + 1 });
        return item;
      }
      case 'outbox.cancel': {
        const item = fake.outbox.find((i) => i.id === input.id);
        if (!item) throw new ContractError('not_found', 'not found');
        fake.outbox = fake.outbox.filter((i) => i.id !== input.id);
        const draft = fakeMessage('drafts', 0, {
          to: item.to,
          subject: item.subject,
          body: '',
          preview: '',
          from: 'me',
          unread: false,
          level: 'local',
        });
        fake.messages.push(draft);
        return { ok: true, draftId: draft.id };
      }
      case 'fees.quote':
        return (input.to as string[]).map((address) => ({ address, ...(fake.feeQuotes[address] ?? { kind: 'free', fee: '0' }) }));
      case 'fees.mine':
        needUnlocked();
        return fake.inbox;
      case 'fees.set':
        needUnlocked();
        fake.inbox = { ...fake.inbox, ...input };
        return fake.inbox;
      case 'fees.list': {
        needUnlocked();
        // An address is on at most one list: adding it to one takes it off the other.
        const list = input.list as 'white' | 'black';
        const other = list === 'white' ? 'black' : 'white';
        const add = input.add as string[];
        const remove = input.remove as string[];
        fake.inbox = {
          ...fake.inbox,
          [list]: [...fake.inbox[list].filter((a) => !add.includes(a) && !remove.includes(a)), ...add],
          [other]: fake.inbox[other].filter((a) => !add.includes(a)),
        };
        return fake.inbox;
      }
      case 'wallet.balance':
        return { total: fake.walletTotal, test: '0', limbo: 0, byDenomination: [], testNetwork: false };
      case 'mail.stripeLimit':
        return { maxServers: fake.maxServers, ...(fake.hiredServers !== undefined ? { hired: fake.hiredServers } : {}) };
      case 'mail.delete': {
        const m = fake.messages.find((x) => x.id === input.id);
        if (!m) throw new ContractError('not_found', 'not found');
        if (m.folder === 'trash' || input.permanent) fake.messages = fake.messages.filter((x) => x !== m);
        else Object.assign(m, { restoreTo: m.folder, folder: 'trash' });
        return { ok: true };
      }
      case 'mail.restore': {
        const m = fake.messages.find((x) => x.id === input.id);
        if (!m || m.folder !== 'trash') throw new ContractError('not_found', 'not found');
        const folder = m.restoreTo ?? 'inbox';
        Object.assign(m, { folder, restoreTo: undefined });
        return { folder };
      }
      case 'mail.thread': {
        const m = fake.messages.find((x) => x.id === input.id);
        if (!m) throw new ContractError('not_found', 'not found');
        return { items: [m].map(({ body: _b, ...rest }) => rest) };
      }
      case 'mail.search': {
        // Case-insensitive substring over subject and text; the preview becomes the text when only it matched.
        const q = String(input.query).toLowerCase();
        const ranges = (t: string): [number, number][] => {
          const i = t.toLowerCase().indexOf(q);
          return i < 0 ? [] : [[i, i + q.length]];
        };
        const hits = fake.messages
          .filter(
            (m) =>
              (!input.folder || m.folder === input.folder) && (m.subject.toLowerCase().includes(q) || m.body.toLowerCase().includes(q)),
          )
          .sort((a, b) => b.date - a.date)
          .map(({ body, ...m }) => {
            const preview = ranges(m.preview).length || !ranges(body).length ? m.preview : body;
            return {
              ...m,
              preview,
              highlights: { subject: ranges(m.subject), preview: ranges(preview), from: [], fromName: [], to: {} },
              matchedIn: [...(ranges(m.subject).length ? (['subject'] as const) : []), ...(ranges(body).length ? (['body'] as const) : [])],
            };
          });
        return { total: hits.length, items: hits.slice(0, input.limit as number) };
      }
      case 'mail.searchServer': {
        const q = String(input.query).toLowerCase();
        const items = fake.serverMail
          .filter(
            (m) =>
              (!input.folder || m.folder === input.folder) && (m.subject.toLowerCase().includes(q) || m.body.toLowerCase().includes(q)),
          )
          .sort((a, b) => b.date - a.date)
          .map(({ body: _b, ...m }) => ({
            ...m,
            highlights: { subject: [], preview: [], from: [], fromName: [], to: {} },
            matchedIn: [],
            onServer: true as const,
          }));
        return { items: items.slice(0, input.limit as number), servers: fake.serverOutcomes };
      }
    }
  }
  return fake;
}
