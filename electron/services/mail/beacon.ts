// The receive loop's line to the beacon: peek on the pool, ping (the long poll) on a
// connection of its own that is dropped after a failure or when the servers change. Each
// call names the Tells already kept (acks.ts) so the beacon can delete them.
import type { LoadedIdentity } from '../identity/store.js';
import { QMailServerClient, type AcknowledgedTellList } from '../net/group6.js';
import { MailError } from './context.js';
import type { Connection, ConnectionPool } from '../net/transport.js';

export interface BeaconLink {
  peek(me: LoadedIdentity, ack: number[]): Promise<AcknowledgedTellList>;
  /** Parks on the beacon up to `waitMs` for new Tells. */
  ping(me: LoadedIdentity, waitMs: number, ack: number[]): Promise<AcknowledgedTellList>;
  /** Drops the long-poll connection (after a failure, on new servers, on stop). */
  reset(): void;
}

function beaconOf(me: LoadedIdentity) {
  const b = me.servers.find((s) => s.nodeId === me.beacon);
  if (!b) throw new MailError('unavailable', 'The beacon is not among the hired servers.');
  return {
    endpoint: { host: b.host, port: b.port, raidaId: b.raidaId },
    caller: { mailbox: me.mailbox, an: new Uint8Array(Buffer.from(b.an, 'hex')) },
  };
}

export function beaconLink(pool: ConnectionPool): BeaconLink {
  let conn: Connection | null = null;
  return {
    peek(me, ack) {
      const b = beaconOf(me);
      return new QMailServerClient(pool, b.endpoint).peek(b.caller, 0, ack);
    },
    ping(me, waitMs, ack) {
      const b = beaconOf(me);
      conn ??= pool.dedicated(b.endpoint);
      return new QMailServerClient(pool, b.endpoint).ping(b.caller, conn, waitMs, ack);
    },
    reset() {
      conn?.close();
      conn = null;
    },
  };
}
