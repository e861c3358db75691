// A pair of KMEs simulating one QKD link, on loopback, with certificates in `dir` and a
// description of the pair in `dir/kme.json` for clients to read.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_IDS, setupPairCertificates, type PairIdentities } from './certs.js';
import { DEFAULT_LIMITS, KmeNode, startKmeServer, type KmeLimits, type KmeQuirks } from './kme.js';
import { QkdLink, type LinkOptions } from './link.js';
import { KmeKeyStore } from './store.js';

export interface KmePairOptions extends LinkOptions {
  dir: string;
  ids?: Partial<PairIdentities>;
  host?: string;
  portA?: number;
  portB?: number;
  quirks?: KmeQuirks;
  limits?: Partial<KmeLimits>;
  strictTls?: boolean;
  /** Delay before a key handed out at one KME is available at the other. Default 0. */
  syncDelayMs?: number;
  /** Write dir/kme.json. Default true. */
  writeConfig?: boolean;
  /**
   * A SQLite file keeping both KMEs' undelivered keys and delivered key IDs, so a restarted
   * pair still serves the keys it handed out before. Default: memory only.
   */
  keyStore?: string;
}

/** One KME as a client sees it: where it is and how its SAE authenticates. */
export interface KmeEndpoint {
  url: string;
  kmeId: string;
  saeId: string;
  /** The SAE behind the other KME of the link. */
  peerSaeId: string;
  saeCert: string;
  saeKey: string;
  ca: string;
}

export interface KmePairFile {
  version: 1;
  kmeA: KmeEndpoint;
  kmeB: KmeEndpoint;
}

export interface KmePair {
  kmeA: KmeEndpoint;
  kmeB: KmeEndpoint;
  link: QkdLink;
  nodes: { a: KmeNode; b: KmeNode };
  configPath: string;
  close(): Promise<void>;
}

export async function startKmePair(opts: KmePairOptions): Promise<KmePair> {
  const ids: PairIdentities = { ...DEFAULT_IDS, ...opts.ids };
  const paths = setupPairCertificates(opts.dir, ids);
  const link = new QkdLink(opts);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const quirks = opts.quirks ?? {};
  const sync = opts.syncDelayMs ?? 0;
  const a = new KmeNode(ids.kmeIdA, ids.saeIdA, link, limits, quirks, sync);
  const b = new KmeNode(ids.kmeIdB, ids.saeIdB, link, limits, quirks, sync);
  a.peer = b;
  b.peer = a;
  const store = opts.keyStore ? new KmeKeyStore(opts.keyStore) : null;
  if (store) {
    a.attachStore(store);
    b.attachStore(store);
  }
  const ca = readFileSync(paths.ca, 'utf8');
  const tls = (p: { cert: string; key: string }) => ({ cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8'), ca });
  let sa;
  try {
    sa = await startKmeServer({ node: a, tls: tls(paths.kmeA), host: opts.host, port: opts.portA ?? 0, strictTls: opts.strictTls });
  } catch (e) {
    store?.close();
    throw e;
  }
  let sb;
  try {
    sb = await startKmeServer({ node: b, tls: tls(paths.kmeB), host: opts.host, port: opts.portB ?? 0, strictTls: opts.strictTls });
  } catch (e) {
    await sa.close();
    store?.close();
    throw e;
  }
  const kmeA: KmeEndpoint = {
    url: sa.url,
    kmeId: ids.kmeIdA,
    saeId: ids.saeIdA,
    peerSaeId: ids.saeIdB,
    saeCert: paths.saeA.cert,
    saeKey: paths.saeA.key,
    ca: paths.ca,
  };
  const kmeB: KmeEndpoint = {
    url: sb.url,
    kmeId: ids.kmeIdB,
    saeId: ids.saeIdB,
    peerSaeId: ids.saeIdA,
    saeCert: paths.saeB.cert,
    saeKey: paths.saeB.key,
    ca: paths.ca,
  };
  const configPath = join(opts.dir, 'kme.json');
  if (opts.writeConfig ?? true) {
    const file: KmePairFile = { version: 1, kmeA, kmeB };
    const tmp = `${configPath}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, configPath);
  }
  let closed: Promise<void> | null = null;
  return {
    kmeA,
    kmeB,
    link,
    nodes: { a, b },
    configPath,
    close: () => (closed ??= Promise.all([sa.close(), sb.close()]).then(() => store?.close())),
  };
}
