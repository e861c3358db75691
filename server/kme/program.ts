// The qmail-kme command line (server/kme/main.ts runs it).
// qmail-kme: a pair of ETSI GS QKD 014 KMEs simulating one QKD link, for development,
// tests and the embedded local network.
//   qmail-kme setup --dir DIR            make the CA, KME and SAE certificates
//   qmail-kme pair --dir DIR [options]   make them if absent and run two linked KMEs
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_IDS, setupPairCertificates } from './certs.js';
import { NONCONFORMING_QUIRKS } from './kme.js';
import { startKmePair } from './pair.js';

function int(name: string, min: number) {
  return (v: string): number => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return Number(v);
  };
}

interface PairOpts {
  dir: string;
  host: string;
  portA: number;
  portB: number;
  rate: number;
  capacity: number;
  initial?: number;
  syncDelay: number;
  nonconforming?: boolean;
  strictTls?: boolean;
  keyStore?: string;
  saeA: string;
  saeB: string;
  kmeA: string;
  kmeB: string;
}

export function buildKmeProgram(): Command {
  const program = new Command('qmail-kme').description('ETSI GS QKD 014 KME pair simulating one QKD link, with mutual TLS.');
  const ids = (c: Command) =>
    c
      .option('--kme-a <id>', 'KME ID of the first KME', DEFAULT_IDS.kmeIdA)
      .option('--kme-b <id>', 'KME ID of the second KME', DEFAULT_IDS.kmeIdB)
      .option('--sae-a <id>', 'SAE ID (certificate CN) behind the first KME', DEFAULT_IDS.saeIdA)
      .option('--sae-b <id>', 'SAE ID (certificate CN) behind the second KME', DEFAULT_IDS.saeIdB);
  ids(
    program
      .command('setup')
      .description('make the CA, KME and SAE certificates in DIR')
      .requiredOption('--dir <dir>', 'output folder')
      .option('--force', 'replace existing certificates'),
  ).action((o: { dir: string; force?: boolean; kmeA: string; kmeB: string; saeA: string; saeB: string }) => {
    const paths = setupPairCertificates(
      resolve(o.dir),
      { kmeIdA: o.kmeA, kmeIdB: o.kmeB, saeIdA: o.saeA, saeIdB: o.saeB },
      o.force ?? false,
    );
    process.stdout.write(JSON.stringify(paths) + '\n');
  });
  ids(
    program
      .command('pair')
      .description('run two linked KMEs on loopback until SIGINT/SIGTERM; writes DIR/kme.json')
      .requiredOption('--dir <dir>', 'folder for certificates and kme.json')
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port-a <n>', 'port of the first KME (0 = any)', int('port', 0), 0)
      .option('--port-b <n>', 'port of the second KME (0 = any)', int('port', 0), 0)
      .option('--rate <bits>', 'key pool fill rate in bits per second', int('rate', 0), 1024 * 1024)
      .option('--capacity <bits>', 'key pool capacity in bits', int('capacity', 8), 64 * 1024 * 1024)
      .option('--initial <bits>', 'bits in the pool at start (default: full)', int('initial', 0))
      .option('--sync-delay <ms>', 'delay before a key reaches the peer KME', int('sync-delay', 0), 0)
      .option(
        '--nonconforming',
        'behave like deviant real KMEs: HTML errors, 400 on exhaustion, drop unretrieved keys, GET enc_keys ignoring number and size, vendor error wording',
      )
      .option('--strict-tls', 'refuse the TLS handshake for a missing or untrusted client certificate')
      .option(
        '--key-store <file>',
        'keep undelivered keys and delivered key IDs in this SQLite file, so a restarted pair still serves them',
      ),
  ).action(async (o: PairOpts) => {
    const dir = resolve(o.dir);
    const pair = await startKmePair({
      dir,
      ids: { kmeIdA: o.kmeA, kmeIdB: o.kmeB, saeIdA: o.saeA, saeIdB: o.saeB },
      host: o.host,
      portA: o.portA,
      portB: o.portB,
      fillRateBitsPerSecond: o.rate,
      capacityBits: o.capacity,
      initialBits: o.initial,
      syncDelayMs: o.syncDelay,
      strictTls: o.strictTls,
      quirks: o.nonconforming ? NONCONFORMING_QUIRKS : {},
      ...(o.keyStore ? { keyStore: resolve(o.keyStore) } : {}),
    });
    process.stdout.write(JSON.stringify({ ready: true, config: pair.configPath, kmeA: pair.kmeA.url, kmeB: pair.kmeB.url }) + '\n');
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void pair.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildKmeProgram();
  program.exitOverride();
  program.configureOutput({ outputError: (s, w) => w(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return 0;
    if (typeof err.exitCode === 'number' && err.code?.startsWith('commander.')) return err.exitCode;
    process.stderr.write(`qmail-kme: ${err.message ?? String(e)}\n`);
    return 1;
  }
}
