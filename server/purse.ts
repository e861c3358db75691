// The beacon's purse: how a Tell's inbox fee is collected (QMail/1.0 §4.5, DESIGN §4.6).
// The Tell's recipient entry carries the 16-byte code of a locker the sender filled. The
// beacon takes the whole locker into coins of its own (remove to fresh ANs on every server,
// kept when a majority agrees, exactly as a wallet receives), keeps the operator's cut, and
// puts the rest in a new locker whose code goes to the recipient in the notice. The sender
// never learns the new code, so it cannot take the tip back; the recipient takes it from
// there with the code, as from any locker. A locker pays once: its coins leave it on the
// first remove a majority of servers grants.
//
// The coins are moved by the same wallet logic the app uses (server/chips/wallet.ts: coins
// stored before any request goes out, a majority decides), kept in purse.db in the node's
// data folder (0600).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { denominationUnits, type CoinRef } from '../shared/raida/index.js';
import { ChipClient, type Endpoint } from './chips/client.js';
import { PeerPool } from './chips/peers.js';
import { PurseStore } from './chips/purse-store.js';
import { Wallet, lockerKeys, type Balance } from './chips/wallet.js';
import type { ChipStore } from './storage/chips.js';
import type { Collected, LockerService } from './dispatch.js';
import type { Logger } from './log.js';
import { verifyDescriptor } from './directory/descriptor.js';

const networkSchema = z.object({
  nodes: z
    .array(
      z.object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        raidaId: z.number().int().min(0).max(24),
        nodeId: z.string().optional(),
        /** The node's signed descriptor (dev-network/launcher.ts writes it): where its operator key comes from. */
        descriptor: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(25),
});

/** A coin server of the network file and its operator's ML-DSA-65 public key (null: none usable). */
export interface NetworkPeer extends Endpoint {
  publicKey: Uint8Array | null;
}

/**
 * The coin servers of a network file with their operator keys. A key is taken only from an
 * entry's signed descriptor that verifies (signature, node id bound to the key), names the same
 * RAIDA index and, where the entry names a node id, that one. An entry without one (an older
 * file) or with one that does not check has no key: its validate ticket votes do not count.
 */
export function networkPeers(file: string): NetworkPeer[] {
  const nodes = [...networkSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).nodes].sort((a, b) => a.raidaId - b.raidaId);
  if (nodes.some((n, i) => n.raidaId !== i)) throw new Error(`${file}: the nodes' RAIDA indexes must be 0..${nodes.length - 1}, each once`);
  return nodes.map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId, publicKey: operatorKeyOf(n) }));
}

function operatorKeyOf(n: { raidaId: number; nodeId?: string | undefined; descriptor?: unknown }): Uint8Array | null {
  if (n.descriptor === undefined) return null;
  try {
    const d = verifyDescriptor(n.descriptor);
    if (d.descriptor.raidaId !== n.raidaId || (n.nodeId !== undefined && n.nodeId !== d.nodeId)) return null;
    return new Uint8Array(Buffer.from(d.descriptor.publicKey, 'base64'));
  } catch {
    return null;
  }
}

/** The coin servers of a network file, slot i of every coin's ANs being the node with RAIDA index i. */
export function networkEndpoints(file: string): Endpoint[] {
  return networkPeers(file).map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId }));
}

/** A cut as a whole number of basis points (1/10 000), so that it is exact on integers. */
export function cutBasisPoints(share: number): bigint {
  if (!(share >= 0 && share <= 1)) throw new RangeError('an operator cut is between 0 and 1');
  return BigInt(Math.round(share * 10_000));
}

/** The operator's cut of `units` (1e-8 CC): rounded down, so the recipient never gets less than the rest. */
export function operatorCut(units: bigint, share: number): bigint {
  return (units * cutBasisPoints(share)) / 10_000n;
}

/** At most this many coins are taken from one locker (bounds a stranger's locker's cost to the beacon). */
export const MAX_LOCKER_COINS = 200;

export interface PurseOptions {
  dataDir: string;
  /** This node's RAIDA index: slot `raidaId` of every coin's ANs is ours, its locker list read locally. */
  raidaId: number;
  /** The network file (network.json) listing every coin server by RAIDA index. */
  networkFile: string;
  chips: ChipStore;
  log: Logger;
  timeoutMs?: number;
}

export class BeaconPurse implements LockerService {
  private wallet: Wallet | undefined;
  private store: PurseStore | undefined;
  private n = 0;
  /** One purse operation at a time: the wallet's coin choices must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: PurseOptions) {}

  private open(): Wallet {
    if (this.wallet) return this.wallet;
    const endpoints = networkEndpoints(this.o.networkFile);
    this.store = new PurseStore(join(this.o.dataDir, 'purse.db'));
    this.n = endpoints.length;
    this.wallet = new Wallet(this.store, new ChipClient(new PeerPool(), endpoints, this.o.timeoutMs ?? 5000));
    return this.wallet;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The coins our own server lists in the locker (no network): what the locker is worth at most, and a coin to seal with elsewhere. */
  private async local(code: Uint8Array): Promise<CoinRef[]> {
    this.open();
    const key = lockerKeys(code, this.n)[this.o.raidaId];
    if (!key) return [];
    return this.o.chips.lockerPeek(key);
  }

  async value(code: Uint8Array): Promise<bigint | 'unavailable'> {
    try {
      const coins = await this.local(code);
      if (coins.length > MAX_LOCKER_COINS) return 0n;
      return coins.reduce((a, c) => a + denominationUnits(c.denomination), 0n);
    } catch (e) {
      this.o.log.warn('locker value unavailable', { error: (e as Error).message });
      return 'unavailable';
    }
  }

  collect(code: Uint8Array, fee: bigint, recipient: { denomination: number; serial: number }, share: number): Promise<Collected> {
    return this.serial(async () => {
      const wallet = this.open();
      const seen = await this.local(code);
      if (seen.length === 0 || seen.length > MAX_LOCKER_COINS) return { units: 0n, cut: 0n };
      const to = `${recipient.denomination}.${recipient.serial}`;
      const got = await wallet.takeFromLocker(code, { hint: seen[0]!, note: `inbox fee for ${to}`, maxCoins: MAX_LOCKER_COINS });
      // Our own server lists coins, yet no coin came back: too few servers answered the peek to
      // say what the locker holds. Undecided, not empty: the Tell is answered 167 (try again),
      // never 168, and the coins stay in the sender's locker.
      if (got.accepted === 0 && got.rejected === 0 && got.limbo === 0 && seen.length <= MAX_LOCKER_COINS)
        throw new Error('the locker could not be read on a majority of coin servers');
      if (got.units < fee || got.limbo > 0) {
        // Less than the fee (the sender took some back meanwhile) or undecided: hand what came back to the sender's locker.
        if (got.units > 0n) await wallet.putInLocker(got.units, code).then(() => wallet.forgetLocker(code));
        return { units: 0n, cut: 0n };
      }
      const cut = operatorCut(got.units, share);
      const tip = got.units - cut;
      if (tip === 0n) return { units: got.units, cut };
      try {
        const out = await wallet.putInLocker(tip);
        wallet.forgetLocker(out.code);
        return { units: got.units, cut, code: out.code, tip };
      } catch (e) {
        // Could not pass it on: the sender's locker gets it all back, the Tell is refused.
        await wallet.putInLocker(got.units, code).then(() => wallet.forgetLocker(code));
        throw e;
      }
    });
  }

  /** A recipient's locker whose notice could not be stored: back to the sender's locker `code`. */
  refund(tipCode: Uint8Array, code: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const wallet = this.open();
      const got = await wallet.takeFromLocker(tipCode, { kind: 'recovered' });
      if (got.units > 0n) await wallet.putInLocker(got.units, code).then(() => wallet.forgetLocker(code));
    });
  }

  /** The operator's coins (the cuts taken so far). */
  balance(): Balance {
    return this.open().balance();
  }

  close(): void {
    this.store?.close();
    this.store = undefined;
    this.wallet = undefined;
  }
}
