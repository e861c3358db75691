// Opening a profile outside the window (the CLI, the correspondent, benchmarks): the same
// services the app runs, unlocked with a passphrase, pointed at a network file's directory.
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createAppServices, type AppServices, type AppServicesOptions } from './services.js';
import type { KdfParams } from '../../store/vault.js';

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/** The directory URL from a network file; accepts `directory` as a URL or as `{ url }`, or `directoryUrl`. */
export function directoryFromNetworkFile(file: string): string {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ProfileError(`cannot read the network file ${file}: ${(e as Error).message}`);
  }
  const d = j.directory;
  const url =
    typeof d === 'string'
      ? d
      : d && typeof d === 'object' && typeof (d as { url?: unknown }).url === 'string'
        ? (d as { url: string }).url
        : j.directoryUrl;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new ProfileError(`the network file ${file} names no directory URL`);
  return url;
}

export async function readPassphrase(prompt = 'Passphrase: '): Promise<string> {
  const env = process.env.QMAIL_PASSPHRASE;
  if (env) return env;
  if (!process.stdin.isTTY) throw new ProfileError('set QMAIL_PASSPHRASE or run in a terminal to be asked for the passphrase');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((res) => rl.question(prompt, res));
  } finally {
    rl.close();
  }
}

export interface OpenProfileOptions {
  profile: string;
  network?: string;
  /** Create the vault when the profile has none (identity create). */
  create?: boolean;
  passphrase?: string;
  kdf?: KdfParams;
  autoStart?: boolean;
  mail?: AppServicesOptions['mail'];
  log?: AppServicesOptions['log'];
  /**
   * When the network file describes a local KME pair (the embedded network's `kme` entry),
   * the profile takes its side A as KME settings unless it has its own, as the app does.
   * Default true; the correspondent, which takes side B itself, turns it off.
   */
  networkKme?: boolean;
}

/** The kme.json of the local KME pair a network file describes (services.kme.config), if any. */
export function kmeFileFromNetworkFile(file: string): string | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { services?: { kme?: { config?: unknown } } };
    const config = j.services?.kme?.config;
    return typeof config === 'string' && existsSync(config) ? config : undefined;
  } catch {
    return undefined;
  }
}

export async function openProfile(o: OpenProfileOptions): Promise<AppServices> {
  const app = createAppServices({
    profileDir: o.profile,
    host: 'web',
    version: 'cli',
    autoStart: o.autoStart ?? false,
    // The network's coin servers: the wallet checks coins there, and pays nodes that require hiring (EXT-10).
    ...(o.network ? { directoryUrl: directoryFromNetworkFile(o.network), chips: { networkFile: o.network } } : {}),
    ...(o.kdf ? { kdf: o.kdf } : {}),
    ...(o.mail ? { mail: o.mail } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  try {
    const pass = o.passphrase ?? (await readPassphrase());
    if (!app.vault.exists) {
      if (!o.create) throw new ProfileError(`${o.profile} has no profile yet; run qmail identity create first`);
      if (pass.length < 8) throw new ProfileError('a passphrase has at least 8 characters');
      await app.vault.create(pass);
    } else if (!app.vault.unlocked) await app.vault.unlock(pass);
    const kmeFile = o.network && o.networkKme !== false ? kmeFileFromNetworkFile(o.network) : undefined;
    if (kmeFile) app.mail.qkd.adoptEmbedded(kmeFile);
    if (o.autoStart) app.mail.start();
    return app;
  } catch (e) {
    app.close();
    throw e;
  }
}

export async function closeProfile(app: AppServices): Promise<void> {
  await app.mail.stop();
  app.close();
}
