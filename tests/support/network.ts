// Integration tests and benchmarks use the one local-network launcher (dev-network/launcher.ts):
// real qmail-server processes and a directory on loopback, killed and restarted by index.
// This keeps the short call the tests were written against.
import { startLocalNetwork, type LocalNetwork as Launched, type NetworkNode, type NetworkService } from '../../dev-network/launcher.js';
import type { ServerConfigInput } from '../../server/config.js';

export interface LocalNetwork {
  directoryUrl: string;
  nodes: NetworkNode[];
  /** The network.json the CLI reads (--network). */
  networkFile: string;
  /** The launcher itself (services, network.json content). */
  launched: Launched;
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

/** `limits`: node limits beside the ping wait (the 1 GiB mail test raises the object size and quota). */
export async function startNetwork(
  base: string,
  count: number,
  opts: {
    pingMaxWaitMs?: number;
    services?: NetworkService[];
    limits?: { maxObjectBytes?: number; mailboxQuotaBytes?: number };
    /** More node configuration (chips, market), merged into every node's. */
    nodeConfig?: Omit<ServerConfigInput, 'limits' | 'log'>;
    perNode?: (index: number) => ServerConfigInput;
  } = {},
): Promise<LocalNetwork> {
  const net = await startLocalNetwork({
    dir: base,
    nodes: count,
    nodeConfig: {
      ...opts.nodeConfig,
      limits: { pingMaxWaitMs: opts.pingMaxWaitMs ?? 2000, ...(opts.limits ?? {}) },
      log: { level: 'warn' },
    },
    ...(opts.perNode ? { perNode: opts.perNode } : {}),
    ...(opts.services ? { services: opts.services } : {}),
  });
  return {
    directoryUrl: net.network.directory.url,
    nodes: net.network.nodes,
    networkFile: net.file,
    launched: net,
    kill: (i, signal = 'SIGKILL') => net.kill(i, signal),
    restart: async (i) => {
      await net.restart(i);
    },
    stop: () => net.close(),
  };
}
