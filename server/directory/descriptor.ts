// The operator's signed server descriptor (DESIGN §4.5): what a node offers, signed with
// the operator's ML-DSA-65 key so a directory or client can check it was not altered.
// The signed bytes are a domain tag plus canonical JSON (sorted keys, no spaces).
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ServerConfig } from '../config.js';

export const PROTOCOL_VERSION = 'QMail/1.0';
const DOMAIN = 'qmail-server-descriptor/1\n';

export const descriptorSchema = z
  .object({
    v: z.literal(1),
    nodeId: z.string().regex(/^[0-9a-f]{32}$/),
    name: z.string().max(64),
    /** The operator's own mailbox, GGGG.D.S, if set. */
    address: z.string().max(32).nullable(),
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535),
    raidaId: z.number().int().min(0).max(255),
    protocol: z.string().max(32),
    pricePerMbMonth: z.number().min(0),
    inboxFeeCut: z.number().min(0).max(1),
    maxAttachmentBytes: z.number().int().min(0),
    jurisdiction: z.string().max(64),
    location: z.string().max(128),
    startedAt: z.number().int().min(0),
    uptimeSeconds: z.number().int().min(0),
    issuedAt: z.number().int().min(0),
    /**
     * Hiring (EXT-10): present only on a node that requires a paid term (market.requireHire),
     * so every other node's descriptor is byte for byte what it was before the field existed.
     */
    hire: z
      .object({ command: z.literal(86), required: z.literal(true) })
      .strict()
      .optional(),
    /** ML-DSA-65 public key, base64. */
    publicKey: z.string().max(4096),
  })
  .strict();
export type Descriptor = z.infer<typeof descriptorSchema>;

export const signedDescriptorSchema = z.object({ descriptor: descriptorSchema, signature: z.string().max(8192) });
export interface SignedDescriptor {
  descriptor: Descriptor;
  /** ML-DSA-65 signature over DOMAIN + canonical JSON, base64. */
  signature: string;
  readonly nodeId: string;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A node id is the first 16 bytes of SHA-256 over the operator public key, hex. */
export function nodeIdOf(publicKey: Uint8Array): string {
  return Buffer.from(sha256(publicKey).subarray(0, 16)).toString('hex');
}

export interface OperatorKey {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Loads DATA/operator-key.json (or another file name) or creates it (mode 0600) with a fresh 32-byte seed. */
export function loadOperatorKey(dataDir: string, name = 'operator-key.json'): OperatorKey {
  const file = join(dataDir, name);
  let seed: Uint8Array;
  if (existsSync(file)) {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { seed?: string };
    if (!j.seed || !/^[0-9a-f]{64}$/.test(j.seed)) throw new Error(`${file}: malformed operator key`);
    seed = new Uint8Array(Buffer.from(j.seed, 'hex'));
  } else {
    mkdirSync(dataDir, { recursive: true });
    seed = new Uint8Array(randomBytes(32));
    writeFileSync(file, JSON.stringify({ alg: 'ML-DSA-65', seed: Buffer.from(seed).toString('hex') }) + '\n', { mode: 0o600, flag: 'wx' });
  }
  return ml_dsa65.keygen(seed);
}

function message(d: Descriptor): Uint8Array {
  return new TextEncoder().encode(DOMAIN + canonicalJson(d));
}

export function signDescriptor(d: Omit<Descriptor, 'nodeId' | 'publicKey'>, key: OperatorKey): SignedDescriptor {
  const full: Descriptor = { ...d, nodeId: nodeIdOf(key.publicKey), publicKey: b64(key.publicKey) };
  return { descriptor: full, signature: b64(ml_dsa65.sign(message(full), key.secretKey)), nodeId: full.nodeId };
}

export class DescriptorError extends Error {
  override readonly name = 'DescriptorError';
}

/** Validates shape, node id binding and signature; returns the descriptor or throws. */
export function verifyDescriptor(input: unknown): SignedDescriptor {
  const r = signedDescriptorSchema.safeParse(input);
  if (!r.success) throw new DescriptorError(`malformed descriptor: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
  const { descriptor, signature } = r.data;
  const pk = unb64(descriptor.publicKey);
  if (pk.length !== 1952) throw new DescriptorError('public key is not an ML-DSA-65 key');
  if (nodeIdOf(pk) !== descriptor.nodeId) throw new DescriptorError('node id does not match the public key');
  const sig = unb64(signature);
  let ok: boolean;
  try {
    ok = ml_dsa65.verify(sig, message(descriptor), pk);
  } catch {
    ok = false;
  }
  if (!ok) throw new DescriptorError('descriptor signature does not verify');
  return { descriptor, signature, nodeId: descriptor.nodeId };
}

export function makeDescriptor(
  config: ServerConfig,
  key: OperatorKey,
  at: { host: string; port: number; startedAt: number; now: number },
): SignedDescriptor {
  return signDescriptor(
    {
      v: 1,
      name: config.operator.name,
      address: config.operator.address ?? null,
      host: at.host,
      port: at.port,
      raidaId: config.raidaId,
      protocol: PROTOCOL_VERSION,
      pricePerMbMonth: config.operator.pricePerMbMonth,
      inboxFeeCut: config.operator.inboxFeeCut,
      maxAttachmentBytes: config.limits.maxObjectBytes,
      jurisdiction: config.operator.jurisdiction,
      location: config.operator.location,
      startedAt: at.startedAt,
      uptimeSeconds: Math.max(0, Math.floor((at.now - at.startedAt) / 1000)),
      issuedAt: at.now,
      ...(config.market.requireHire ? { hire: { command: 86 as const, required: true as const } } : {}),
    },
    key,
  );
}
