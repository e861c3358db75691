// Command routing: (group, command) → handler. Handlers get the opened request and the
// node's services, and return a status and optional payload. Any WireError they throw
// becomes its status; anything else is logged and answered as INTERNAL.
import type { DecodedRequest } from '../shared/raida/index.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import type { Storage } from './storage/index.js';
import type { TellBus } from './tellbus.js';
import type { RegistrationAuthority } from './handlers/register.js';
import type { TellRates } from './tellrate.js';
import type { OperatorKey } from './directory/descriptor.js';

export interface HandlerResult {
  status: number;
  payload?: Uint8Array;
}

/** What collecting a locker came to (1e-8 CC units). */
export interface Collected {
  /** Taken from the sender's locker: 0 when less than the fee could be taken (all given back to that locker). */
  units: bigint;
  /** The operator's share of `units`, kept by the beacon. */
  cut: bigint;
  /** The rest, in a new locker for the recipient: its code goes in the notice. Absent when nothing is left. */
  code?: Uint8Array;
  tip?: bigint;
}

/**
 * Where inbox fees are paid from (QMail/1.0 §4.5, DESIGN §4.6): the locker whose code a Tell's
 * recipient entry carries (server/purse.ts). A node started without one values every locker at 0.
 */
export interface LockerService {
  /** What the locker holds, in 1e-8 CC units (0 = empty or unknown), or 'unavailable'. */
  value(code: Uint8Array): Promise<bigint | 'unavailable'>;
  /** Take the locker (at least `fee`): `operatorCut` (0..1) to the operator, the rest into a new locker for the recipient. */
  collect(code: Uint8Array, fee: bigint, recipient: { denomination: number; serial: number }, operatorCut: number): Promise<Collected>;
  /** Give a collected tip (`tipCode`) back to the sender's locker `code` (its notice was not stored). */
  refund?(tipCode: Uint8Array, code: Uint8Array): Promise<void>;
}

export const NO_LOCKERS: LockerService = {
  value: async () => 0n,
  collect: async () => {
    throw new Error('no locker service');
  },
};

export interface NodeContext {
  config: ServerConfig;
  storage: Storage;
  log: Logger;
  tells: TellBus;
  lockers: LockerService;
  now: () => number;
  /** Resolves when the node starts shutting down (long polls end early). */
  closing: Promise<void>;
  /**
   * The caller's connection: aborted once it has closed (or closed its sending side), so a
   * long poll stops waiting and nothing is handed to a connection that has gone. Absent
   * when the handler is not called for a connection.
   */
  gone?: AbortSignal;
  /** Who may register new addresses (EXT-7); set once the node knows its own id. */
  registration?: RegistrationAuthority;
  /** The caller's address as the connection caps count it (IPv4, or IPv6 /64). */
  peer?: string;
  /** Tells per sender and per connecting address (finding 5); absent: unlimited. */
  tellRates?: TellRates;
  /** The operator's ML-DSA-65 key (its public key is in the descriptor): signs validate ticket votes. */
  operatorKey?: OperatorKey;
}

export type Handler = (req: DecodedRequest, ctx: NodeContext) => Promise<HandlerResult>;

export class Dispatcher {
  private readonly table = new Map<number, Handler>();
  private readonly groups = new Set<number>();

  on(group: number, command: number, h: Handler): this {
    this.table.set((group << 8) | command, h);
    this.groups.add(group);
    return this;
  }
  find(group: number, command: number): Handler | undefined {
    return this.table.get((group << 8) | command);
  }
  knowsGroup(group: number): boolean {
    return this.groups.has(group);
  }
}
