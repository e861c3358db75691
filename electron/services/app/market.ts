// The contract's server-market requests (docs/server.md "Market"): the servers with this
// identity's paid terms, what a choice costs before it is paid, hiring a new choice (paid
// from the wallet through onboarding's payment), renewing terms; and the renewal the app
// runs by itself: a term in use that ends within the margin is renewed when the wallet can
// pay, and the user is told when it cannot. After a switch of beacon, the Tells still waiting
// on the old one are fetched from it once, so no mail announced there is lost.
import { ContractError, type Handlers, type HireTerm } from '../../../shared/ipc/index.js';
import { hirePrice } from '../../../shared/qmail/hire.js';
import { MAX_PING_ACKS } from '../../../shared/qmail/index.js';
import { QMailServerClient } from '../net/group6.js';
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { MailEngine } from '../mail/engine.js';
import { ConnectionPool } from '../net/transport.js';
import { ChipClient } from '../wallet/client.js';
import { WalletStore } from '../../store/wallet.js';
import { Wallet, WalletError, formatAmount } from '../wallet/wallet.js';
import { MarketError, hireServer, marketServer } from '../market/market.js';
import { DEFAULT_TERM, recordTerm, walletPayment, withWallet } from '../market/payment.js';
import { TermStore } from '../../store/market-terms.js';
import type { Emit } from './services.js';
import type { WalletChips } from './wallet.js';
import type { WalletRunner } from '../wallet/runner.js';

type MarketRequest = 'servers.list' | 'servers.choose' | 'servers.quote' | 'servers.renew';
export const MARKET_REQUESTS: readonly MarketRequest[] = ['servers.list', 'servers.choose', 'servers.quote', 'servers.renew'];

/** A term in use that ends within this margin is renewed. */
export const RENEW_MARGIN_MS = 7 * 24 * 60 * 60 * 1000;
const CHECK_EVERY_MS = 60 * 60 * 1000;
/** A former beacon is asked once more this long after the switch. */
const DRAIN_AGAIN_MS = 2 * 60 * 1000;

export interface MarketDeps {
  db: Db;
  box: () => SecretBox;
  mail: MailEngine;
  chips: WalletChips;
  /** The app's one wallet runner (payments never interleave with the Wallet screen's or the tips' operations). */
  runner?: WalletRunner;
  emit: Emit;
  unlocked: () => boolean;
  now?: () => number;
  /** The composition root's error mapping (service errors to contract errors). */
  guard: <T>(fn: () => T | Promise<T>) => Promise<T>;
  renewMarginMs?: number;
  /** How often the renewal check runs while the app runs (0: only when asked). */
  checkEveryMs?: number;
}

export interface RenewOutcome {
  renewed: { nodeId: string; name: string; paidUntil: number; amount: string }[];
  failed: { nodeId: string; name: string; reason: string }[];
}

export interface Market {
  handlers: Pick<Handlers, MarketRequest>;
  /** Runs fn with `term` as what onboarding's payments buy (identity.create, servers.choose). */
  withTerm<T>(term: HireTerm | undefined, fn: () => Promise<T>): Promise<T>;
  /** The renewal check: renews what is due, tells the user what could not be. */
  check(): Promise<RenewOutcome>;
  /** Fetches the Tells waiting on a beacon we left (acknowledging them there); resolves with the messages stored. */
  drainBeacon(nodeId: string): Promise<number>;
  close(): void;
}

const sentence = (m: string) => (m.endsWith('.') ? m : `${m}.`).replace(/^./, (c) => c.toUpperCase());

function toContract(e: unknown): never {
  if (e instanceof MarketError) throw new ContractError(e.code === 'unreachable' ? 'unavailable' : 'invalid_input', sentence(e.message));
  if (e instanceof WalletError) throw new ContractError(e.code === 'insufficient' ? 'invalid_input' : 'unavailable', sentence(e.message));
  throw e;
}

export function createMarket(d: MarketDeps): Market {
  const now = d.now ?? Date.now;
  const margin = d.renewMarginMs ?? RENEW_MARGIN_MS;
  const terms = new TermStore(d.db, d.box);
  const offline = () => d.runner?.offline() ?? new Wallet(new WalletStore(d.db, d.box), new ChipClient(new ConnectionPool(1), []));
  let term: HireTerm = DEFAULT_TERM;
  // One market operation at a time: a term set for one hire must not pay another's.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const networkFile = d.chips.networkFile;
  // A paid network (EXT-10): a node that requires hiring is paid from this profile's wallet before it registers us.
  if (networkFile)
    d.mail.account.onboarding.payment = walletPayment({
      db: d.db,
      box: d.box,
      networkFile,
      term: () => term,
      now,
      ...(d.runner ? { runner: d.runner } : {}),
    });

  const withTerm = <T>(t: HireTerm | undefined, fn: () => Promise<T>): Promise<T> =>
    serial(async () => {
      term = t ?? DEFAULT_TERM;
      try {
        return await fn();
      } finally {
        term = DEFAULT_TERM;
      }
    });

  /** The published choice (the directory's record of us; our own list if the directory cannot say). */
  async function published(): Promise<{ storage: string[]; beacon: string }> {
    const me = d.mail.account.me();
    const rec = await d.mail.account
      .directory()
      .lookup(me.address)
      .catch(() => undefined);
    return rec
      ? { storage: rec.record.servers, beacon: rec.record.beacon ?? me.beacon }
      : { storage: me.servers.map((s) => s.nodeId), beacon: me.beacon };
  }

  /** The servers the published record uses (storage and beacon): the ones worth renewing. */
  async function inUse(): Promise<Set<string>> {
    const p = await published();
    return new Set([...p.storage, p.beacon]);
  }

  async function due(): Promise<string[]> {
    const me = d.mail.account.me();
    const used = await inUse();
    return terms
      .all(me.address)
      .filter((t) => used.has(t.nodeId) && t.expiresAt - now() < margin)
      .map((t) => t.nodeId);
  }

  function renew(ids: string[], months?: number): Promise<RenewOutcome> {
    return serial(async () => {
      const out: RenewOutcome = { renewed: [], failed: [] };
      if (!networkFile) throw new ContractError('unavailable', 'This app runs without a network, so nothing can be paid.');
      const me = d.mail.account.me();
      const listed = await d.mail.account.directory().servers();
      await withWallet({ db: d.db, box: d.box, networkFile, ...(d.runner ? { runner: d.runner } : {}) }, async (wallet, pool) => {
        for (const id of ids) {
          const desc = listed.find((s) => s.nodeId === id);
          const mine = me.servers.find((s) => s.nodeId === id);
          const name = desc?.name ?? id.slice(0, 8);
          if (!desc || !mine) {
            out.failed.push({ nodeId: id, name, reason: desc ? 'this address is not hired there' : 'the directory does not list it now' });
            continue;
          }
          if (!desc.hire?.required) {
            out.failed.push({ nodeId: id, name, reason: 'it takes no paid hires, so there is nothing to renew' });
            continue;
          }
          const known = terms.get(me.address, id);
          const t = { months: months ?? known?.months ?? DEFAULT_TERM.months, quotaMb: known?.quotaMb ?? DEFAULT_TERM.quotaMb };
          const price = hirePrice(desc.pricePerMbMonth, t.quotaMb, t.months);
          const have = wallet.balance().total;
          if (have < price) {
            out.failed.push({
              nodeId: id,
              name,
              reason: `the wallet holds ${formatAmount(have)} CC and renewing costs ${formatAmount(price)} CC`,
            });
            continue;
          }
          try {
            const h = await hireServer({
              wallet,
              pool,
              server: marketServer(desc),
              mailbox: me.mailbox,
              an: new Uint8Array(Buffer.from(mine.an, 'hex')),
              ...t,
            });
            recordTerm(terms, me.mailbox, id, h, t.months, now());
            out.renewed.push({ nodeId: id, name, paidUntil: h.expiresAt, amount: formatAmount(h.paidUnits) });
          } catch (e) {
            out.failed.push({ nodeId: id, name, reason: (e as Error).message });
          }
        }
      });
      return out;
    });
  }

  async function check(): Promise<RenewOutcome> {
    if (!networkFile || !d.unlocked() || !d.mail.account.exists()) return { renewed: [], failed: [] };
    const ids = await due();
    if (!ids.length) return { renewed: [], failed: [] };
    const r = await renew(ids);
    const me = d.mail.account.me();
    if (r.renewed.length)
      d.emit('notify', {
        level: 'info',
        title: 'Server hires renewed',
        body: r.renewed.map((x) => `${x.name} until ${new Date(x.paidUntil).toLocaleDateString()} (${x.amount} CC)`).join('; '),
      });
    for (const f of r.failed) {
      const until = terms.get(me.address, f.nodeId)?.expiresAt;
      d.emit('notify', {
        level: 'warning',
        title: `The hire of ${f.name} could not be renewed`,
        body: `${sentence(f.reason)}${until ? ` It is paid until ${new Date(until).toLocaleString()}; after that, mail cannot be stored or announced there.` : ''}`,
      });
    }
    return r;
  }

  /** At most this many pages of Tells are taken from a former beacon at once. */
  const DRAIN_PAGES = 20;
  const drains = new Set<ReturnType<typeof setTimeout>>();
  async function drainBeacon(nodeId: string): Promise<number> {
    const me = d.mail.account.me();
    const h = me.servers.find((x) => x.nodeId === nodeId);
    if (!h) return 0;
    const client = new QMailServerClient(d.mail.pool, { host: h.host, port: h.port, raidaId: h.raidaId });
    const caller = { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(h.an, 'hex')) };
    let ack: number[] = [];
    let stored = 0;
    for (let page = 0; page < DRAIN_PAGES; page++) {
      const list = await client.peek(caller, 0, ack);
      ack = [];
      if (!list.tells.length) break;
      // Kept sealed before they are acknowledged: a Tell lost here is handed over again next time.
      stored += await d.mail.accept(list.tells);
      if (!list.acknowledged) break; // the node consumed them as it handed them over
      ack = list.tells.map((t) => t.clusterId).slice(0, MAX_PING_ACKS);
    }
    if (ack.length) await client.peek(caller, 0, ack).catch(() => undefined);
    return stored;
  }

  /** After a switch: the old beacon's waiting Tells now, and once more a little later (sends in flight when the record changed). */
  function drainLater(nodeId: string): void {
    const run = () =>
      (d.unlocked() ? drainBeacon(nodeId) : Promise.resolve(0)).catch((e: unknown) =>
        d.emit('notify', {
          level: 'warning',
          title: 'Mail on your former beacon could not be fetched',
          body: `${sentence((e as Error).message)} It is tried again when you choose servers next.`,
        }),
      );
    void run();
    const t = setTimeout(() => {
      drains.delete(t);
      void run();
    }, DRAIN_AGAIN_MS);
    t.unref();
    drains.add(t);
  }

  const every = d.checkEveryMs ?? CHECK_EVERY_MS;
  const timer = every > 0 ? setInterval(() => void check().catch(() => undefined), every) : undefined;
  timer?.unref();

  const handlers: Pick<Handlers, MarketRequest> = {
    'servers.list': () =>
      d.guard(async () => {
        const list = await d.mail.listServers();
        const address = d.mail.account.current()?.address;
        const paid = new Map(address ? terms.all(address).map((t) => [t.nodeId, t]) : []);
        const storage = address ? new Set((await published()).storage) : new Set<string>();
        return list.map((s) => {
          const t = paid.get(s.nodeId);
          return {
            ...s,
            ...(address ? { storage: storage.has(s.nodeId) } : {}),
            ...(t ? { paidUntil: t.expiresAt, quotaMb: t.quotaMb } : {}),
          };
        });
      }),
    'servers.choose': ({ storage, beacon, term: t }) =>
      d.guard(async () => {
        const before = d.mail.account.me().beacon;
        const r = await withTerm(t, () => d.mail.chooseServers(storage, beacon)).catch(toContract);
        if (before !== beacon) drainLater(before);
        return r;
      }),
    'servers.quote': ({ storage, beacon, term: t }) =>
      d.guard(async () => {
        const listed = await d.mail.account.directory().servers();
        const have = new Set(d.mail.account.current()?.servers.map((s) => s.nodeId) ?? []);
        const items = [...new Set([...storage, ...(beacon ? [beacon] : [])])]
          .filter((id) => !have.has(id))
          .map((id) => {
            const s = listed.find((x) => x.nodeId === id);
            if (!s) throw new ContractError('not_found', `The directory does not list server ${id}.`);
            return { nodeId: id, name: s.name, units: s.hire?.required ? hirePrice(s.pricePerMbMonth, t.quotaMb, t.months) : 0n };
          })
          .filter((x) => x.units > 0n);
        const total = items.reduce((a, x) => a + x.units, 0n);
        const b = offline().balance();
        return {
          items: items.map((x) => ({ nodeId: x.nodeId, name: x.name, amount: formatAmount(x.units) })),
          total: formatAmount(total),
          balance: formatAmount(b.total),
          test: formatAmount(b.test),
          enough: b.total >= total,
        };
      }),
    'servers.renew': ({ nodeIds, months }) => d.guard(async () => renew(nodeIds ?? (await due()), months).catch(toContract)),
  };

  return {
    handlers,
    withTerm,
    check,
    drainBeacon,
    close: () => {
      clearInterval(timer);
      for (const t of drains) clearTimeout(t);
    },
  };
}
