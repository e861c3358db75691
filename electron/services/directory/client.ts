// The client side of the directory (HTTP/JSON): server descriptors, address allocation,
// identity records (address ↔ public keys, signed by the identity), lookups by address
// and by any part of a name or address. Descriptors and identity records are verified
// here, not trusted.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import type { Identity, PublicIdentity } from '../../../shared/identity/index.js';
import { encodeMailbox, parseMailbox } from '../../../shared/cbdf/address.js';
import { decodeAddressTicket, type AddressTicket } from '../../../shared/qmail/index.js';
import { verifyMlDsa65 } from '../../../shared/crypto/signature.js';

export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ALLOCATE_DOMAIN = 'qmail-directory-allocate/1\n';
const IDENTITY_DOMAIN = 'qmail-identity-record/1\n';
const DESCRIPTOR_DOMAIN = 'qmail-server-descriptor/1\n';

/** Sorted keys, no spaces: the bytes both sides sign and verify. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export const descriptorSchema = z.object({
  v: z.literal(1),
  nodeId: z.string().regex(/^[0-9a-f]{32}$/),
  name: z.string(),
  address: z.string().nullable(),
  host: z.string(),
  port: z.number().int(),
  raidaId: z.number().int(),
  protocol: z.string(),
  pricePerMbMonth: z.number(),
  inboxFeeCut: z.number(),
  maxAttachmentBytes: z.number().int(),
  jurisdiction: z.string(),
  location: z.string(),
  startedAt: z.number().int(),
  uptimeSeconds: z.number().int(),
  issuedAt: z.number().int(),
  /** Hiring (EXT-10): only on a node that requires a paid term; absent elsewhere (the signed bytes stay as before). */
  hire: z.object({ command: z.number().int(), required: z.boolean() }).optional(),
  publicKey: z.string(),
});
/** What the directory measured of a server by probing it (never what the server claims). */
export const measuredSchema = z.object({
  upSeconds: z.number().min(0),
  probes: z.number().int().min(0),
  successes: z.number().int().min(0),
  successRatio: z.number().min(0).max(1),
  latencyMs: z.number().nullable(),
  lastProbe: z.number().nullable(),
});
export type Measured = z.infer<typeof measuredSchema>;
const UNMEASURED: Measured = { upSeconds: 0, probes: 0, successes: 0, successRatio: 0, latencyMs: null, lastProbe: null };

/**
 * A server as the client sees it: the signed descriptor, except that `uptimeSeconds` is the
 * directory's measurement; the descriptor's own figure is kept only as `claimedUptimeSeconds`.
 */
export type ServerDescriptor = z.infer<typeof descriptorSchema> & { claimedUptimeSeconds?: number; measured?: Measured };

export const identityRecordSchema = z.object({
  v: z.literal(1),
  address: z.string(),
  name: z.string(),
  signingKey: z.string(),
  keys: z.record(z.string(), z.string()),
  beacon: z.string().nullable(),
  servers: z.array(z.string()),
  updatedAt: z.number().int(),
});
export type IdentityRecord = z.infer<typeof identityRecordSchema>;

/** A directory entry after its signature checked out. */
export interface VerifiedIdentity {
  record: IdentityRecord;
  identity: PublicIdentity;
}

/** Every send and receive lists the servers again: a descriptor verified once is remembered. */
function verify(sig: string, msg: Uint8Array, pk: Uint8Array): boolean {
  return pk.length === 1952 && verifyMlDsa65(unb64(sig), msg, pk);
}

export function verifyDescriptor(input: unknown): ServerDescriptor | undefined {
  const r = z.object({ descriptor: descriptorSchema, signature: z.string() }).safeParse(input);
  if (!r.success) return undefined;
  const d = r.data.descriptor;
  const pk = unb64(d.publicKey);
  if (Buffer.from(sha256(pk).subarray(0, 16)).toString('hex') !== d.nodeId) return undefined;
  const { ...plain } = d;
  return verify(r.data.signature, enc(DESCRIPTOR_DOMAIN + canonicalJson(plain)), pk) ? d : undefined;
}

export function verifyIdentityEntry(input: unknown): VerifiedIdentity | undefined {
  const r = z.object({ record: identityRecordSchema, signature: z.string() }).safeParse(input);
  if (!r.success) return undefined;
  const { record, signature } = r.data;
  const signPublicKey = unb64(record.signingKey);
  if (!verify(signature, enc(IDENTITY_DOMAIN + canonicalJson(record)), signPublicKey)) return undefined;
  const kem = record.keys['x-wing'];
  const x = record.keys['x25519'];
  if (!kem || !x) return undefined;
  let address: Uint8Array;
  try {
    address = encodeMailbox(parseMailbox(record.address));
  } catch {
    return undefined;
  }
  return { record, identity: { signPublicKey, kemPublicKey: unb64(kem), x25519PublicKey: unb64(x), address } };
}

/** By directory URL: the last server list as it came, and what it verified to (clients are made per call). */
const lastServers = new Map<string, { same: string; list: ServerDescriptor[] }>();

export class DirectoryClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 8000,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.url), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new DirectoryError(0, `the directory at ${this.url} cannot be reached: ${(e as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      throw new DirectoryError(res.status, `the directory answered something that is not JSON (${res.status})`);
    }
    if (!res.ok) throw new DirectoryError(res.status, (json as { error?: string } | null)?.error ?? `the directory answered ${res.status}`);
    return json as T;
  }

  /**
   * Every server whose descriptor verifies (forged or malformed ones are dropped), with the
   * directory's own measurements: `uptimeSeconds` is the measured uptime, never the claim.
   */
  async servers(): Promise<ServerDescriptor[]> {
    const r = await this.request<{ servers: unknown[] }>('GET', '/v1/servers');
    // Asked on every send and receive, mostly answered the same: the same answer is not checked again.
    const same = JSON.stringify(r.servers);
    const last = lastServers.get(this.url);
    if (last?.same === same) return last.list.map((d) => ({ ...d }));
    const out: ServerDescriptor[] = [];
    for (const entry of r.servers) {
      const d = verifyDescriptor(entry);
      if (!d) continue;
      const m = measuredSchema.safeParse((entry as { measured?: unknown } | null)?.measured);
      const measured = m.success ? m.data : UNMEASURED;
      out.push({ ...d, uptimeSeconds: Math.floor(measured.upSeconds), claimedUptimeSeconds: d.uptimeSeconds, measured });
    }
    lastServers.set(this.url, { same, list: out });
    return out.map((d) => ({ ...d }));
  }

  /** Allocates (or returns the already allocated) address for this signing key. */
  async allocate(name: string, id: Identity): Promise<string> {
    return (await this.allocation(name, id)).address;
  }

  /**
   * The address and the directory's ticket binding it to this key (EXT-7): nodes that
   * belong to this directory register the address only with that ticket and our signature.
   */
  async allocation(name: string, id: Identity): Promise<{ address: string; ticket: AddressTicket | undefined }> {
    const signingKey = b64(id.signPublicKey);
    const proof = b64(ml_dsa65.sign(enc(ALLOCATE_DOMAIN + canonicalJson({ name, signingKey })), id.signSecretKey));
    const r = await this.request<{ address: string; ticket?: string }>('POST', '/v1/addresses', { name, signingKey, proof });
    let ticket: AddressTicket | undefined;
    try {
      ticket = r.ticket ? decodeAddressTicket(unb64(r.ticket)) : undefined;
    } catch {
      ticket = undefined; // a malformed ticket: nodes will refuse the registration and say so
    }
    return { address: r.address, ticket };
  }

  async publish(id: Identity, record: Omit<IdentityRecord, 'v' | 'signingKey' | 'keys'>): Promise<IdentityRecord> {
    const full: IdentityRecord = {
      v: 1,
      ...record,
      signingKey: b64(id.signPublicKey),
      keys: { 'x-wing': b64(id.kemPublicKey), x25519: b64(id.x25519PublicKey) },
    };
    const signature = b64(ml_dsa65.sign(enc(IDENTITY_DOMAIN + canonicalJson(full)), id.signSecretKey));
    await this.request('PUT', `/v1/identities/${encodeURIComponent(full.address)}`, { record: full, signature });
    return full;
  }

  /** The identity behind an address, or undefined when the directory has none (or it does not verify). */
  async lookup(address: string): Promise<VerifiedIdentity | undefined> {
    try {
      return verifyIdentityEntry(await this.request('GET', `/v1/identities/${encodeURIComponent(address)}`));
    } catch (e) {
      if (e instanceof DirectoryError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Identities whose name or address contains `text` anywhere, case-insensitive (names starting with it first). */
  async search(text: string, limit = 10): Promise<VerifiedIdentity[]> {
    const r = await this.request<{ identities: unknown[] }>('GET', `/v1/identities?q=${encodeURIComponent(text)}&limit=${limit}`);
    return r.identities.map(verifyIdentityEntry).filter((x): x is VerifiedIdentity => x !== undefined);
  }
}
