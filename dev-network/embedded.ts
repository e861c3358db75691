// The embedded default (DESIGN.md §5): with no configuration the app brings up a local
// QMail network in <profile>/network — qmail-server nodes, a directory, a linked KME pair
// and the built-in correspondent — and joins it. The folder is reused on the next start
// (same data, same ports, same correspondent identity). A real network is configuration:
// `--network FILE` or QMAIL_NETWORK=FILE names its network file; `none` runs without one.
import { dirname, join, resolve } from 'node:path';
import { startLocalNetwork, type LocalNetwork } from './launcher.js';
import { correspondentService, kmeService, type CorrespondentInfo } from './services.js';
import { embeddedMintKey, readMintKey } from './mint.js';
import { directoryFromNetworkFile } from '../electron/services/app/profile.js';
import type { WalletChips } from '../electron/services/app/wallet.js';

/** Where the embedded network of a profile lives, and the network file it writes there. */
export function embeddedNetworkDir(profileDir: string): string {
  return join(profileDir, 'network');
}

export function embeddedNetworkFile(profileDir: string): string {
  return join(embeddedNetworkDir(profileDir), 'network.json');
}

export type NetworkChoice = { kind: 'embedded' } | { kind: 'file'; file: string } | { kind: 'none' };

/** The flag wins over the environment; neither means the embedded network. */
export function chooseNetwork(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): NetworkChoice {
  const v = (flag ?? env.QMAIL_NETWORK ?? '').trim();
  if (v === '' || v === 'embedded') return { kind: 'embedded' };
  if (v === 'none') return { kind: 'none' };
  return { kind: 'file', file: resolve(v) };
}

export interface AppNetwork {
  choice: NetworkChoice;
  /** The network file the mail services use (absent with `none`). */
  file?: string;
  directoryUrl?: string;
  /** The embedded launcher, when this process runs the network. */
  local?: LocalNetwork;
  /** Resolves with the correspondent's address once it is up (embedded only). */
  correspondent: Promise<string | undefined>;
  close(): Promise<void>;
}

export interface AppNetworkOptions {
  profileDir: string;
  /** --network value, if given. */
  flag?: string;
  env?: NodeJS.ProcessEnv;
  nodes?: number;
  /** Status lines (the host prints them on stderr). */
  status?: (line: string) => void;
}

export async function openAppNetwork(o: AppNetworkOptions): Promise<AppNetwork> {
  const choice = chooseNetwork(o.flag, o.env);
  const status = o.status ?? (() => undefined);
  if (choice.kind === 'none') {
    status('network: none configured (QMAIL_NETWORK=none)');
    return { choice, correspondent: Promise.resolve(undefined), close: async () => undefined };
  }
  if (choice.kind === 'file') {
    const directoryUrl = directoryFromNetworkFile(choice.file);
    status(`network: ${choice.file} (directory ${directoryUrl})`);
    return { choice, file: choice.file, directoryUrl, correspondent: Promise.resolve(undefined), close: async () => undefined };
  }
  const dir = embeddedNetworkDir(o.profileDir);
  const nodes = o.nodes ?? 5;
  const t0 = Date.now();
  const local = await startLocalNetwork({
    dir,
    nodes,
    services: [kmeService()],
    nodeConfig: { log: { level: 'warn' }, chips: { mintKey: embeddedMintKey(dir) } },
  });
  const directoryUrl = local.network.directory.url;
  status(`network: embedded, ${nodes} nodes and a directory at ${directoryUrl} in ${Date.now() - t0} ms (${dir})`);
  // The correspondent needs a few seconds (its profile's key derivation); the app does not wait for it.
  const correspondent = local
    .addService(correspondentService())
    .then((info) => {
      const address = (info as CorrespondentInfo).address;
      status(`network: the correspondent answers at ${address}`);
      return address;
    })
    .catch((e: unknown) => {
      status(`network: the correspondent did not start: ${(e as Error).message}`);
      return undefined;
    });
  let closing: Promise<void> | null = null;
  return {
    choice,
    file: local.file,
    directoryUrl,
    local,
    correspondent,
    close: () =>
      (closing ??= (async () => {
        await correspondent;
        await local.close();
      })()),
  };
}

/** The embedded network's kme.json, when this process runs the embedded network (its `local` launcher started the KME pair). */
export function embeddedKmeFile(
  network: { directoryUrl?: string | undefined; local?: LocalNetwork | undefined } | null | undefined,
): string | undefined {
  const kme = network?.local?.network.services.kme as { config?: unknown } | undefined;
  return typeof kme?.config === 'string' ? kme.config : undefined;
}

/** The wallet's coin servers (the network file's nodes) and, for the embedded network only, its mint key beside that file. */
export function embeddedChips(network: { file?: string | undefined; local?: LocalNetwork | undefined } | null | undefined): WalletChips {
  if (!network?.file) return {};
  return { networkFile: network.file, ...(network.local ? { mintKey: readMintKey(dirname(network.file)) } : {}) };
}
