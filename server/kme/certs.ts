// Certificates for a simulated QKD link: one CA, a server certificate per KME (valid for
// 127.0.0.1 and localhost) and a client certificate per SAE whose CN is the SAE ID, as
// ETSI GS QKD 014 clause 5.2 has it. node:crypto makes the RSA keys; node-forge builds
// and signs the X.509 certificates (node:crypto cannot).
import forge from 'node-forge';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOnlyDir } from '../owner-only.js';

export interface Pem {
  cert: string;
  key: string;
}

export interface CertificateAuthority extends Pem {
  cn: string;
}

function keyPair(): { forgePriv: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgePriv = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const forgePub = forge.pki.setRsaPublicKey(forgePriv.n, forgePriv.e);
  return { forgePriv, forgePub, pem: privateKey };
}

function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // positive INTEGER
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

export function makeCa(cn: string, days = 3650): CertificateAuthority {
  const kp = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.forgePub;
  cert.serialNumber = serial();
  validity(cert, days);
  const name = [
    { name: 'commonName', value: cn },
    { name: 'organizationName', value: 'QMail KME simulator' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(kp.forgePriv, forge.md.sha256.create());
  return { cn, cert: forge.pki.certificateToPem(cert), key: kp.pem };
}

export interface IssueOptions {
  cn: string;
  kind: 'server' | 'client';
  ips?: string[];
  dns?: string[];
  days?: number;
}

export function issueCert(ca: CertificateAuthority, opts: IssueOptions): Pem {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const kp = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.forgePub;
  cert.serialNumber = serial();
  validity(cert, opts.days ?? 825);
  cert.setSubject([{ name: 'commonName', value: opts.cn }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [...(opts.dns ?? []).map((value) => ({ type: 2, value })), ...(opts.ips ?? []).map((ip) => ({ type: 7, ip }))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: opts.kind === 'server', clientAuth: opts.kind === 'client' },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: kp.pem };
}

export interface PairIdentities {
  kmeIdA: string;
  kmeIdB: string;
  saeIdA: string;
  saeIdB: string;
}

export const DEFAULT_IDS: PairIdentities = { kmeIdA: 'KME_A', kmeIdB: 'KME_B', saeIdA: 'SAE_ALICE', saeIdB: 'SAE_BOB' };

export interface PairCertPaths {
  ca: string;
  kmeA: { cert: string; key: string };
  kmeB: { cert: string; key: string };
  saeA: { cert: string; key: string };
  saeB: { cert: string; key: string };
}

export function pairCertPaths(dir: string): PairCertPaths {
  const p = (n: string) => ({ cert: join(dir, `${n}.crt`), key: join(dir, `${n}.key`) });
  return { ca: join(dir, 'ca.crt'), kmeA: p('kme-a'), kmeB: p('kme-b'), saeA: p('sae-a'), saeB: p('sae-b') };
}

function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/**
 * Makes (or reuses, when all files are there and `force` is not set) the CA, KME and SAE
 * certificates for a pair in `dir`. Private keys are written 0600.
 */
export function setupPairCertificates(dir: string, ids: PairIdentities = DEFAULT_IDS, force = false): PairCertPaths {
  const paths = pairCertPaths(dir);
  ownerOnlyDir(dir);
  const all = [
    paths.ca,
    paths.kmeA.cert,
    paths.kmeA.key,
    paths.kmeB.cert,
    paths.kmeB.key,
    paths.saeA.cert,
    paths.saeA.key,
    paths.saeB.cert,
    paths.saeB.key,
  ];
  if (
    !force &&
    all.every((f) => existsSync(f)) &&
    saeCn(readFileSync(paths.saeA.cert, 'utf8')) === ids.saeIdA &&
    saeCn(readFileSync(paths.saeB.cert, 'utf8')) === ids.saeIdB
  ) {
    return paths;
  }
  const ca = makeCa('QMail KME simulator CA');
  const server = (cn: string) => issueCert(ca, { cn, kind: 'server', ips: ['127.0.0.1'], dns: ['localhost'] });
  const client = (cn: string) => issueCert(ca, { cn, kind: 'client' });
  const put = (p: { cert: string; key: string }, pem: Pem) => {
    writeAtomic(p.key, pem.key, 0o600);
    writeAtomic(p.cert, pem.cert, 0o644);
  };
  put(paths.kmeA, server(ids.kmeIdA));
  put(paths.kmeB, server(ids.kmeIdB));
  put(paths.saeA, client(ids.saeIdA));
  put(paths.saeB, client(ids.saeIdB));
  writeAtomic(join(dir, 'ca.key'), ca.key, 0o600);
  writeAtomic(paths.ca, ca.cert, 0o644);
  return paths;
}

/** The subject CN of a PEM certificate (null if absent or unreadable). */
export function saeCn(pem: string): string | null {
  try {
    const c = forge.pki.certificateFromPem(pem);
    const cn = c.subject.getField('CN') as { value?: unknown } | null;
    return typeof cn?.value === 'string' ? cn.value : null;
  } catch {
    return null;
  }
}
