// The extras a local network carries besides its nodes, as `NetworkService`s:
// - the built-in correspondent, run as its own process (`qmail correspondent`), with a
//   profile kept in DIR/correspondent so it has the same identity on every start; when the
//   KME pair is started before it, it takes QKD keys from side B (L1/L2 with side A's user);
// - a pair of ETSI GS QKD 014 KMEs linked to each other (in this process), certificates
//   and kme.json in DIR/kme.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startKmePair, type KmeEndpoint, type KmePairOptions } from '../server/kme/index.js';
import { nodeEnv, type NetworkService } from './launcher.js';
import { projectFile } from '../server/package-root.js';
import { ownerOnlyDir } from '../server/owner-only.js';

export interface CorrespondentInfo {
  address: string;
  profile: string;
  pid: number;
}

export interface CorrespondentServiceOptions {
  /** Profile folder (default DIR/correspondent). */
  profile?: string;
  /** Its passphrase; default: a random one made on first start and kept in DIR/correspondent.passphrase (0600). */
  passphrase?: string;
  name?: string;
  /** Pause before each answer (default 0). */
  replyDelayMs?: number;
  startTimeoutMs?: number;
  echoLogs?: boolean;
  /**
   * Take QKD keys from side B of the network's KME pair (started before it, by kmeService),
   * so a user who imports side A exchanges L1/L2 qmail with it. Default true; a no-op
   * when the network has no KME pair.
   */
  kme?: boolean;
}

function passphraseFile(dir: string): string {
  const file = join(dir, 'correspondent.passphrase');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const pass = randomBytes(24).toString('base64url');
  writeFileSync(file, pass + '\n', { mode: 0o600 });
  return pass;
}

/** `qmail correspondent` as a child process; its address lands in network.json under `correspondent`. */
export function correspondentService(o: CorrespondentServiceOptions = {}): NetworkService {
  return {
    name: 'correspondent',
    start: (network, dir) =>
      new Promise((res, rej) => {
        const profile = resolve(o.profile ?? join(dir, 'correspondent'));
        ownerOnlyDir(profile);
        const passphrase = o.passphrase ?? passphraseFile(dir);
        const kme = o.kme === false ? undefined : (network.services.kme as KmeServiceInfo | undefined)?.config;
        const args = [
          projectFile('bin', 'qmail.js'),
          'correspondent',
          '--profile',
          profile,
          '--network',
          join(dir, 'network.json'),
          ...(o.name ? ['--name', o.name] : []),
          ...(o.replyDelayMs ? ['--reply-delay', String(o.replyDelayMs)] : []),
          ...(kme ? ['--kme', kme, '--kme-side', 'B'] : []),
        ];
        const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: nodeEnv({ QMAIL_PASSPHRASE: passphrase }) });
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        const log = createWriteStream(join(dir, 'correspondent.log'), { flags: 'a' });
        let tail = '';
        proc.stderr!.on('data', (d: Buffer) => {
          log.write(d);
          tail = (tail + d.toString()).slice(-2000);
          if (o.echoLogs) process.stderr.write(d);
        });
        proc.stderr!.once('end', () => log.end());
        let settled = false;
        const fail = (msg: string) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          proc.kill('SIGKILL');
          rej(new Error(`${msg}: ${tail}`));
        };
        const timer = setTimeout(
          () => fail(`the correspondent was not ready within ${o.startTimeoutMs ?? 60_000} ms`),
          o.startTimeoutMs ?? 60_000,
        );
        proc.once('exit', (code, signal) => fail(`the correspondent exited (${code ?? signal}) before it was ready`));
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          let j: { ready?: boolean; address?: string };
          try {
            j = JSON.parse(line) as typeof j;
          } catch {
            return;
          }
          if (!j.ready || settled) return;
          settled = true;
          clearTimeout(timer);
          const info: CorrespondentInfo = { address: String(j.address), profile, pid: proc.pid ?? -1 };
          res({
            info,
            async close() {
              if (proc.exitCode !== null || proc.signalCode !== null) return;
              proc.kill('SIGTERM');
              const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
              await exited;
              clearTimeout(t);
            },
          });
        });
      }),
  };
}

/** What kmeService puts in network.json under `kme`. */
export interface KmeServiceInfo {
  /** The kme.json path. */
  config: string;
  kmeA: KmeEndpoint;
  kmeB: KmeEndpoint;
}

/** A pair of linked KMEs (startKmePair) in DIR/kme; network.json gets kme.json's content and path. */
export function kmeService(o: Omit<KmePairOptions, 'dir'> = {}): NetworkService {
  return {
    name: 'kme',
    async start(_network, dir) {
      const kdir = join(dir, 'kme');
      // Private keys of the KMEs and SAEs, and keys.db with the keys handed out.
      ownerOnlyDir(kdir);
      // Same ports as last time when free, so a saved KME setting keeps working.
      const prev = previousKmePorts(join(kdir, 'kme.json'));
      // Keys handed out survive a restart of the network (keys.db), as they would at a real KME.
      const base = { host: '127.0.0.1', keyStore: join(kdir, 'keys.db') };
      const pair = await startKmePair({ ...base, ...prev, ...o, dir: kdir }).catch(() => startKmePair({ ...base, ...o, dir: kdir }));
      const info: KmeServiceInfo = { config: pair.configPath, kmeA: pair.kmeA, kmeB: pair.kmeB };
      return { info, close: () => pair.close() };
    },
  };
}

function previousKmePorts(file: string): { portA?: number; portB?: number } {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { kmeA?: { url?: string }; kmeB?: { url?: string } };
    const port = (u?: string) => (u ? Number(new URL(u).port) || undefined : undefined);
    const portA = port(j.kmeA?.url);
    const portB = port(j.kmeB?.url);
    return portA && portB ? { portA, portB } : {};
  } catch {
    return {};
  }
}
