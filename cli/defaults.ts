// Where the qmail command finds a profile and a network when not told: the app's own.
// --profile defaults to the folder the app opens (QMAIL_PROFILE, else the per-OS one), and
// --network to QMAIL_NETWORK, else the network file the app's embedded network writes in
// <profile>/network — the same rules as `npm start`.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { defaultProfileDir } from '../electron/services/app/paths.js';
import { chooseNetwork, embeddedNetworkDir, embeddedNetworkFile } from '../dev-network/embedded.js';

export function withProfile(cmd: Command): Command {
  return cmd.option('--profile <dir>', "profile folder: the app's own unless given here or in QMAIL_PROFILE", defaultProfileDir());
}

export function withNetwork(cmd: Command): Command {
  return cmd.option(
    '--network <file>',
    "network file naming the directory: QMAIL_NETWORK, else the app's embedded network, <profile>/network/network.json (qmail network where)",
  );
}

export interface EmbeddedStatus {
  /** The embedded network's folder and file for this profile. */
  dir: string;
  file: string;
  /** The file exists: the app (or `qmail network up`) has started it at least once. */
  created: boolean;
  /** Its directory answers now. */
  running: boolean;
  directory?: string;
  nodes?: number;
  correspondent?: string;
}

/** Whether the embedded network of `profile` exists and is up (its directory answers /v1/health). */
export async function embeddedStatus(profile: string, timeoutMs = 1500): Promise<EmbeddedStatus> {
  const dir = embeddedNetworkDir(profile);
  const file = embeddedNetworkFile(profile);
  let net: { directory?: { url?: unknown }; nodes?: unknown[]; services?: { correspondent?: { address?: unknown } } };
  try {
    net = JSON.parse(readFileSync(file, 'utf8')) as typeof net;
  } catch {
    return { dir, file, created: false, running: false };
  }
  const directory = typeof net.directory?.url === 'string' ? net.directory.url : undefined;
  const correspondent = net.services?.correspondent?.address;
  let running = false;
  if (directory) {
    try {
      const r = await fetch(new URL('/v1/health', directory), { signal: AbortSignal.timeout(timeoutMs) });
      running = r.ok;
    } catch {
      running = false;
    }
  }
  return {
    dir,
    file,
    created: true,
    running,
    ...(directory ? { directory } : {}),
    ...(Array.isArray(net.nodes) ? { nodes: net.nodes.length } : {}),
    ...(typeof correspondent === 'string' ? { correspondent } : {}),
  };
}

export type NetworkResolution =
  { source: 'flag' | 'env'; file: string } | { source: 'embedded'; file: string; status: EmbeddedStatus } | { source: 'none' };

/** The network a command uses, by the app's rules (the flag, then QMAIL_NETWORK, then the embedded one). */
export async function resolveNetwork(
  o: { profile: string; network?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<NetworkResolution> {
  const choice = chooseNetwork(o.network, env);
  if (choice.kind === 'none') return { source: 'none' };
  if (choice.kind === 'file') return { source: o.network ? 'flag' : 'env', file: choice.file };
  const status = await embeddedStatus(o.profile);
  return { source: 'embedded', file: status.file, status };
}

/**
 * The network file for a command that talks to the network. The embedded one must be up:
 * the CLI joins it, it does not start it (the app does, or `qmail network up`).
 */
export async function networkFor(o: { profile: string; network?: string }, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const r = await resolveNetwork(o, env);
  if (r.source === 'none') throw new Error('this command needs a network, and QMAIL_NETWORK=none says there is none: pass --network FILE');
  if (r.source !== 'embedded') return r.file;
  const s = r.status;
  if (s.running) return s.file;
  const how = `start the app (npm start or npm run web) with this profile, or run: qmail network up --dir ${s.dir}; or pass --network FILE`;
  throw new Error(
    s.created ? `the app's embedded network (${s.file}) is not running: ${how}` : `${o.profile} has no embedded network yet: ${how}`,
  );
}

/** For commands that can work offline: the network file when one is configured and there. */
export async function optionalNetworkFor(
  o: { profile: string; network?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const r = await resolveNetwork(o, env);
  if (r.source === 'none') return undefined;
  if (r.source !== 'embedded') return r.file;
  return r.status.running ? r.file : undefined;
}
