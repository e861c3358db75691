// qmail kme status|enc|dec: talk to a real (or simulated) ETSI GS QKD 014 KME with our
// SAE's certificate, print the KME's answer as JSON on stdout. Errors are one line on
// stderr and a non-zero exit.
import { InvalidArgumentError, type Command } from 'commander';
import { base64Encode } from '../../shared/qkd/base64.js';
// The QKD client is a plain Node module (no Electron in it); the rule's bare 'electron/*'
// pattern is meant for the electron package and also matches our electron/ folder.
import { KmeClient } from '../../electron/services/qkd/client.js';
import { KmeError } from '../../electron/services/qkd/errors.js';

interface Common {
  url: string;
  peerSae: string;
  cert: string;
  key: string;
  ca: string;
  method?: 'GET' | 'POST';
  timeout: number;
}

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^[0-9]{1,9}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return Number(v);
  };
}

function method(v: string): 'GET' | 'POST' {
  const m = v.toUpperCase();
  if (m !== 'GET' && m !== 'POST') throw new InvalidArgumentError('method is GET or POST');
  return m;
}

function common(c: Command): Command {
  return c
    .requiredOption('--url <url>', 'KME base URL (https://host:port)')
    .requiredOption('--peer-sae <id>', 'the other SAE: slave SAE for status/enc, master SAE for dec')
    .requiredOption('--cert <file>', 'our SAE client certificate (PEM)')
    .requiredOption('--key <file>', 'our SAE private key (PEM)')
    .requiredOption('--ca <file>', 'CA certificate the KME must chain to (PEM)')
    .option('--timeout <ms>', 'request timeout', positiveInt('timeout'), 10_000);
}

async function run(o: Common, fn: (c: KmeClient) => Promise<unknown>): Promise<void> {
  let client: KmeClient | undefined;
  try {
    client = KmeClient.fromFiles({ url: o.url, certFile: o.cert, keyFile: o.key, caFile: o.ca, timeoutMs: o.timeout });
    const out = await fn(client);
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } catch (e) {
    const line = e instanceof KmeError ? `${e.code}: ${e.message}` : ((e as Error).message ?? String(e));
    process.stderr.write(`qmail kme: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  } finally {
    client?.close();
  }
}

const keysJson = (keys: Array<{ keyId: string; key: Uint8Array }>) => ({
  keys: keys.map((k) => ({ key_ID: k.keyId, key: base64Encode(k.key) })),
});

export function register(program: Command): void {
  const kme = program.command('kme').description('test a link to an ETSI GS QKD 014 key manager (KME)');
  common(kme.command('status').description('GET …/{peer}/status: what the KME can deliver to us for the peer SAE')).action((o: Common) =>
    run(o, (c) => c.status(o.peerSae)),
  );
  common(kme.command('enc').description('Get key: fetch new keys shared with the peer SAE (we are the master SAE)'))
    .option('--number <n>', 'number of keys', positiveInt('number'), 1)
    .option('--size <bits>', "key size in bits, a multiple of 8 (default: the KME's)", positiveInt('size'))
    .option('--method <m>', 'GET or POST', method)
    .action((o: Common & { number: number; size?: number }) =>
      run(o, async (c) => keysJson(await c.encKeys(o.peerSae, { number: o.number, size: o.size, method: o.method }))),
    );
  common(kme.command('dec').description('Get key with key IDs: fetch the keys the master SAE named'))
    .option('--key-id <id>', 'a key_ID (repeat for several)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--method <m>', 'GET (one key) or POST', method)
    .action((o: Common & { keyId: string[] }) =>
      run(o, async (c) => {
        if (o.keyId.length === 0) throw new KmeError('invalid_argument', 'give at least one --key-id');
        return keysJson(await c.decKeys(o.peerSae, o.keyId, { method: o.method }));
      }),
    );
}
