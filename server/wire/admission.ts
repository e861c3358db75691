// Who gets a connection slot and who gets memory.
//
// ConnectionTable: a global cap and a cap per address (an IPv4 address, or the /64 of an
// IPv6 address, since one host is handed a whole /64). When a cap is full, a new
// connection takes the slot of a connection already being hung up, else of the one that
// has gone longest without progress: idle the longest between requests, or with the
// unfinished request that started the longest ago (a slowloris; a connection that has
// sent nothing yet counts from when it connected). A keep-alive connection idle for a
// moment thus outranks a request trickling in for seconds. A connection whose request is
// being answered (a parked ping included) is never taken. With no such victim the new
// connection is refused.
//
// MemoryBudget: bytes reserved for bulk request bodies across all connections. A
// reservation that does not fit waits (first come, first served) until others release
// theirs, or gives up after its timeout.
import { isIPv4 } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** new: connected, nothing received yet (ranked by connect time). */
export type SlotState = 'new' | 'idle' | 'receiving' | 'busy' | 'closing';

export interface Slot {
  readonly key: string;
  state: SlotState;
  /** When the current state began (ms, monotonic). */
  since: number;
  /** Called when the slot is taken for a newer connection. */
  evict(): void;
}

/** The address a per-address cap counts by: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(remote: string | undefined): string {
  if (!remote) return '?';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1]!;
  if (isIPv4(remote)) return remote;
  const [head, tail] = remote.toLowerCase().split('%')[0]!.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return (
    groups
      .slice(0, 4)
      .map((g) => (parseInt(g, 16) || 0).toString(16))
      .join(':') + '::/64'
  );
}

const RANK: Record<SlotState, number> = { closing: 0, idle: 1, new: 1, receiving: 1, busy: 2 };

export class ConnectionTable {
  private readonly all = new Set<Slot>();
  private readonly byKey = new Map<string, Set<Slot>>();
  refused = 0;
  evicted = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
  ) {}

  get size(): number {
    return this.all.size;
  }

  countFor(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }

  private victim(among: Iterable<Slot>): Slot | null {
    let best: Slot | null = null;
    for (const s of among) {
      if (s.state === 'busy') continue;
      if (!best || RANK[s.state] < RANK[best.state] || (RANK[s.state] === RANK[best.state] && s.since < best.since)) best = s;
    }
    return best;
  }

  private take(v: Slot): void {
    this.remove(v);
    this.evicted++;
    v.evict();
  }

  /** Makes room for `slot` (taking another's slot if a cap is full); false when it must be refused. */
  admit(slot: Slot): boolean {
    const mine = this.byKey.get(slot.key);
    if (mine && mine.size >= this.maxPerAddress) {
      const v = this.victim(mine);
      if (!v) {
        this.refused++;
        return false;
      }
      this.take(v);
    }
    if (this.all.size >= this.maxTotal) {
      const v = this.victim(this.all);
      if (!v) {
        this.refused++;
        return false;
      }
      this.take(v);
    }
    this.all.add(slot);
    let set = this.byKey.get(slot.key);
    if (!set) this.byKey.set(slot.key, (set = new Set()));
    set.add(slot);
    return true;
  }

  remove(slot: Slot): void {
    if (!this.all.delete(slot)) return;
    const set = this.byKey.get(slot.key);
    set?.delete(slot);
    if (set && set.size === 0) this.byKey.delete(slot.key);
  }
}

export interface Reservation {
  /** Resolves true once the bytes are reserved, false on timeout or cancel. */
  granted: Promise<boolean>;
  /** Give the bytes back (or stop waiting). Idempotent. */
  release(): void;
}

/**
 * A full collection, for after a burst of bulk bodies: V8 collects large external buffers
 * only once a further ~64 MiB has been allocated, so an idle node would otherwise keep the
 * dead bodies of a burst (or an attack) resident indefinitely.
 */
let collector: (() => void) | null | undefined;
function collectGarbage(): void {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as () => void;
    } catch {
      collector = null;
    }
  }
  collector?.();
}

export class MemoryBudget {
  used = 0;
  private readonly waiters: { n: number; grant: () => void }[] = [];
  /** Bytes granted since the last collection. */
  private churn = 0;
  private collectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly limit: number,
    /** Once nothing is reserved and this many bytes were granted since the last collection, collect (after a second's quiet). */
    private readonly collectAfter = 32 * 1024 * 1024,
  ) {}

  private released(): void {
    if (this.used > 0 || this.churn < this.collectAfter || this.collectTimer) return;
    this.collectTimer = setTimeout(() => {
      this.collectTimer = undefined;
      if (this.used > 0) return;
      this.churn = 0;
      collectGarbage();
    }, 1000);
    this.collectTimer.unref();
  }

  reserve(n: number, timeoutMs: number): Reservation {
    let state: 'waiting' | 'held' | 'done' = 'waiting';
    let settle!: (ok: boolean) => void;
    const granted = new Promise<boolean>((r) => (settle = r));
    let timer: NodeJS.Timeout | undefined;
    const waiter = {
      n,
      grant: () => {
        if (timer) clearTimeout(timer);
        state = 'held';
        this.used += n;
        this.churn += n;
        settle(true);
      },
    };
    const drop = () => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      state = 'done';
      settle(false);
      this.wake();
    };
    if (n > this.limit) {
      state = 'done';
      settle(false);
    } else if (this.waiters.length === 0 && this.used + n <= this.limit) waiter.grant();
    else {
      this.waiters.push(waiter);
      timer = setTimeout(drop, timeoutMs);
    }
    return {
      granted,
      release: () => {
        if (state === 'held') {
          state = 'done';
          this.used -= n;
          this.wake();
          this.released();
        } else if (state === 'waiting') {
          if (timer) clearTimeout(timer);
          drop();
        }
      },
    };
  }

  private wake(): void {
    while (this.waiters.length && this.used + this.waiters[0]!.n <= this.limit) this.waiters.shift()!.grant();
  }
}
