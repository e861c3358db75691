// ETSI GS QKD 014 v1.1.1 client: Get status, Get key (enc_keys, GET and POST) and Get key
// with key IDs (dec_keys, GET and POST), over mutual TLS with a pinned CA.
// It trusts nothing the KME says: bodies are size-capped and validated with zod, keys are
// base64-decoded and length-checked, key_IDs must look like UUIDs, and real KMEs'
// deviations (HTML error pages, 400 for an empty pool, keys not yet at the peer) become
// KmeErrors with clear messages.
// Longer than 400 lines on purpose: it is one protocol's client, and most of its length is
// the validation and the real KMEs' deviations, which belong next to the calls they guard.
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { base64Decode } from '../../../shared/qkd/base64.js';
import {
  ErrorSchema,
  Etsi014FormatError,
  KeyContainerSchema,
  StatusSchema,
  UUID_RE,
  checkKeySizeBits,
  checkSaeId,
  parseEtsiJson,
  type Status,
} from '../../../shared/qkd/etsi014.js';
import { KmeError, KmeLimitError } from './errors.js';

export interface QkdKey {
  keyId: string;
  key: Uint8Array;
}

export interface RetryPolicy {
  /** Total attempts, including the first. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface KmeClientOptions {
  /** Base URL of the KME, https only; a path prefix is kept (https://kme.example/qkd). */
  url: string;
  /** PEM client certificate and key of our SAE. Omitting them is allowed only to test refusals. */
  cert?: string;
  key?: string;
  /** PEM CA the KME's certificate must chain to (pinned: the system store is not used). */
  ca: string;
  /** Expected name in the KME's certificate when it differs from the URL host. */
  servername?: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Client-side cap on keys per request (the KME's own is in its status). */
  maxKeysPerRequest?: number;
  /** dec_keys retry when the KME does not know a key_ID yet (the peer KME may lag). */
  decRetry?: RetryPolicy;
  /** On a 400 from enc_keys whose text says nothing, ask /status whether the pool is short. */
  probeStatusOn400?: boolean;
  /**
   * Check enc_keys' number and size against the limits in the KME's status
   * (max_key_per_request, max_key_size, min_key_size) before sending; the status is asked
   * once per peer SAE and kept for `statusLimitsTtlMs`. Default true.
   */
  checkStatusLimits?: boolean;
  /** How long a peer's status limits are used before they are asked again. Default 10 minutes. */
  statusLimitsTtlMs?: number;
}

export interface KmeClientFiles extends Omit<KmeClientOptions, 'cert' | 'key' | 'ca'> {
  certFile?: string;
  keyFile?: string;
  caFile: string;
}

export interface EncKeysRequest {
  number?: number;
  /** Bits, a multiple of 8. Absent: the KME's default key_size. */
  size?: number;
  method?: 'GET' | 'POST';
  additionalSlaveSaeIds?: string[];
  extensionMandatory?: Record<string, unknown>[];
  extensionOptional?: Record<string, unknown>[];
}

export interface DecKeysRequest {
  method?: 'GET' | 'POST';
  /** Check every key has exactly this many bits. */
  expectedSizeBits?: number;
  retry?: RetryPolicy;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 6, initialDelayMs: 100, maxDelayMs: 2000 };
const MAX_KEY_BITS_ACCEPTED = 1 << 20;

const SERVER_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
]);

const RE_EXHAUSTED =
  /exhaust|insufficient|not enough|no (more )?keys?\b|out of keys|pool (is )?empty|empty pool|keys? (are |is )?not available|no key material/i;
const RE_CONSUMED = /already (been )?(retrieved|consumed|used|delivered)|consumed/i;
// dec_keys answers meaning "this KME does not have that key (yet)", as real KMEs word them:
// "key not found", "Some of the requested keys do not exist", "unknown key_ID", "key ID is
// unknown", "no key with this ID", "keys not yet available"…
const RE_NOT_FOUND = new RegExp(
  [
    'not (be )?found',
    "(does|do|did)( not|n't) exist",
    'not exist',
    'non-?existent',
    'no such',
    'unknown key',
    'key.?(ids?|s)? (is |are )?unknown',
    'no (matching )?keys? (found|with|for|matching)',
    'not (yet )?(available|received|synchroni[sz]ed|known|present|ready)',
    'invalid key.?id',
  ].join('|'),
  'i',
);
// enc_keys refusals that say what was wrong with the request (its size or number), not that the pool is empty.
const RE_LIMIT =
  /too (large|big|small|long|short|many)|exceed|above the (max|limit)|below the (min|limit)|max(imum)?[ _]key|min(imum)?[ _]key|out of (the )?range|must be between|not (a )?multiple of|(invalid|unsupported|bad) (key )?(size|number)/i;
/** Failures of the status request that would fail the request it guards just the same. */
const STATUS_FATAL = new Set(['invalid_argument', 'unauthorized', 'server_untrusted', 'network', 'timeout']);

/** Text an operator can read from a non-JSON error body (HTML pages from proxies and some KMEs). */
export function readableText(body: string, max = 200): string {
  const t = body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n) & 0xffff))
    .replace(/&(amp|lt|gt|quot|apos);/g, (_, n: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[n] ?? '')
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > max ? t.slice(0, max) + '…' : t;
}

interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

interface ErrorBody {
  message: string;
  details?: unknown[];
  json: boolean;
}

function errorBody(r: RawResponse): ErrorBody {
  try {
    const e = parseEtsiJson(ErrorSchema, r.body, 'error body');
    return { message: e.message, details: e.details, json: true };
  } catch {
    return { message: readableText(r.body) || '(empty body)', json: false };
  }
}

function describe(r: RawResponse, e: ErrorBody): string {
  if (e.json) return `"${e.message}"`;
  const kind = /html/i.test(r.contentType) || /^\s*</.test(r.body) ? 'an HTML page' : 'a non-JSON body';
  return `${kind} instead of the ETSI error JSON: "${e.message}"`;
}

export class KmeClient {
  private readonly base: URL;
  private readonly prefix: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly maxKeysPerRequest: number;
  private readonly decRetry: RetryPolicy;
  private readonly probeStatusOn400: boolean;
  private readonly checkStatusLimits: boolean;
  private readonly statusLimitsTtlMs: number;
  /** The last status per peer SAE, for its limits. */
  private readonly statuses = new Map<string, { st: Status; at: number }>();
  /** The KME answered 405/501 to POST enc_keys: it gets GET from then on. */
  private postRefused = false;

  constructor(readonly options: KmeClientOptions) {
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new KmeError('invalid_argument', `not a URL: ${options.url}`);
    }
    if (u.protocol !== 'https:') throw new KmeError('invalid_argument', `ETSI GS QKD 014 runs over HTTPS only, got ${u.protocol}`);
    if (u.search || u.hash || u.username || u.password)
      throw new KmeError('invalid_argument', 'KME URL must not carry a query, fragment or credentials');
    if ((options.cert === undefined) !== (options.key === undefined))
      throw new KmeError('invalid_argument', 'client certificate and key go together');
    this.base = u;
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
    this.maxKeysPerRequest = options.maxKeysPerRequest ?? 4096;
    this.decRetry = options.decRetry ?? DEFAULT_RETRY;
    this.probeStatusOn400 = options.probeStatusOn400 ?? true;
    this.checkStatusLimits = options.checkStatusLimits ?? true;
    this.statusLimitsTtlMs = options.statusLimitsTtlMs ?? 10 * 60_000;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 4,
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      servername: options.servername,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
  }

  static fromFiles(o: KmeClientFiles): KmeClient {
    const read = (f: string, what: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new KmeError('invalid_argument', `cannot read ${what} ${f}: ${(e as Error).message}`);
      }
    };
    const { certFile, keyFile, caFile, ...rest } = o;
    return new KmeClient({
      ...rest,
      cert: certFile === undefined ? undefined : read(certFile, 'client certificate'),
      key: keyFile === undefined ? undefined : read(keyFile, 'client key'),
      ca: read(caFile, 'CA certificate'),
    });
  }

  get url(): string {
    return this.base.href;
  }

  close(): void {
    this.agent.destroy();
  }

  /** GET /api/v1/keys/{slave_SAE_ID}/status */
  async status(slaveSaeId: string): Promise<Status> {
    const r = await this.call('GET', this.path(slaveSaeId, 'status'));
    if (r.status !== 200) throw this.httpError('status', r);
    const st = this.parse(StatusSchema, r, 'status');
    this.statuses.set(slaveSaeId, { st, at: performance.now() });
    return st;
  }

  /** Get key: GET or POST /api/v1/keys/{slave_SAE_ID}/enc_keys */
  async encKeys(slaveSaeId: string, req: EncKeysRequest = {}): Promise<QkdKey[]> {
    const number = req.number ?? 1;
    if (!Number.isSafeInteger(number) || number < 1 || number > this.maxKeysPerRequest) {
      throw new KmeError(
        'invalid_argument',
        `number of keys must be an integer between 1 and ${this.maxKeysPerRequest}, got ${String(number)}`,
      );
    }
    const size = req.size;
    if (size !== undefined) this.checkSize(size);
    const extras = req.additionalSlaveSaeIds !== undefined || req.extensionMandatory !== undefined || req.extensionOptional !== undefined;
    if (req.method === 'GET' && extras) throw new KmeError('invalid_argument', 'additional_slave_SAE_IDs and extensions need POST');
    for (const id of req.additionalSlaveSaeIds ?? []) this.checkSae(id);
    const path = this.path(slaveSaeId, 'enc_keys');
    if (this.checkStatusLimits) this.checkLimits(await this.limitsFor(slaveSaeId), 'enc_keys', number, size);
    // POST carries number and size in its body; some KMEs ignore them on GET and hand out one
    // key of their default size. GET stays for one key of the default size, which every KME
    // gets right, and for a KME that refuses POST.
    let method = req.method ?? (extras || ((number > 1 || size !== undefined) && !this.postRefused) ? 'POST' : 'GET');
    let r = await this.sendEnc(method, path, number, size, req);
    if (req.method === undefined && method === 'POST' && !extras && (r.status === 405 || r.status === 501)) {
      this.postRefused = true;
      method = 'GET';
      r = await this.sendEnc(method, path, number, size, req);
    }
    if (r.status !== 200) throw await this.encError(slaveSaeId, r, number, size);
    const keys = this.keysFrom(r, 'enc_keys');
    const hint =
      method === 'GET' ? ' (this KME seems to ignore number or size on GET; POST, the default for them, carries them in the body)' : '';
    if (keys.length !== number)
      throw new KmeError('malformed_response', `enc_keys asked for ${number} keys and the KME returned ${keys.length}${hint}`);
    const expected = size ?? null;
    const first = keys[0]!.key.length;
    for (const k of keys) {
      if (expected !== null && k.key.length * 8 !== expected) {
        throw new KmeError(
          'malformed_response',
          `enc_keys asked for ${expected}-bit keys and key ${k.keyId} has ${k.key.length * 8} bits${hint}`,
        );
      }
      if (expected === null && k.key.length !== first)
        throw new KmeError('malformed_response', 'enc_keys returned keys of different sizes');
    }
    return keys;
  }

  /** Get key with key IDs: GET (one key_ID) or POST /api/v1/keys/{master_SAE_ID}/dec_keys, with retry while the KME does not know them yet. */
  async decKeys(masterSaeId: string, keyIds: readonly string[], req: DecKeysRequest = {}): Promise<QkdKey[]> {
    if (keyIds.length === 0) throw new KmeError('invalid_argument', 'dec_keys needs at least one key_ID');
    if (keyIds.length > this.maxKeysPerRequest)
      throw new KmeError('invalid_argument', `at most ${this.maxKeysPerRequest} key_IDs per request`);
    const seen = new Set<string>();
    for (const id of keyIds) {
      if (!UUID_RE.test(id)) throw new KmeError('invalid_argument', `key_ID is not UUID-shaped: ${JSON.stringify(id.slice(0, 60))}`);
      if (seen.has(id.toLowerCase())) throw new KmeError('invalid_argument', `key_ID given twice: ${id}`);
      seen.add(id.toLowerCase());
    }
    if (req.expectedSizeBits !== undefined) this.checkSize(req.expectedSizeBits);
    // The limit is checked when this client has the peer's status already; it asks for none.
    const known = this.statuses.get(masterSaeId);
    if (this.checkStatusLimits && known) this.checkLimits(known.st, 'dec_keys', keyIds.length, undefined);
    const method = req.method ?? (keyIds.length === 1 ? 'GET' : 'POST');
    if (method === 'GET' && keyIds.length !== 1)
      throw new KmeError('invalid_argument', 'GET dec_keys carries exactly one key_ID; use POST for several');
    const path = this.path(masterSaeId, 'dec_keys');
    const policy = req.retry ?? this.decRetry;
    const started = performance.now();
    let delay = policy.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      const r =
        method === 'GET'
          ? await this.call('GET', `${path}?${new URLSearchParams({ key_ID: keyIds[0]! })}`)
          : await this.call('POST', path, JSON.stringify({ key_IDs: keyIds.map((key_ID) => ({ key_ID })) }));
      if (r.status === 200) return this.checkDec(r, keyIds, req.expectedSizeBits);
      const err = this.decError(r);
      if (err.code !== 'key_not_found' || attempt >= policy.attempts) {
        if (err.code === 'key_not_found') {
          const ms = Math.round(performance.now() - started);
          throw new KmeError(
            'key_not_found',
            `the KME does not have key_ID ${keyIds.length === 1 ? keyIds[0] : `(one of ${keyIds.length})`} after ${attempt} attempts over ${ms} ms ` +
              `(it said ${describe(r, errorBody(r))}): the peer KME has not received it yet, or dropped it ` +
              "(some KMEs drop keys not retrieved before the sender's next request). Ask the sender to send again with fresh keys.",
            { status: r.status, kmeMessage: err.kmeMessage, details: err.details },
          );
        }
        throw err;
      }
      await sleep(delay);
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }

  // ---- internals -----------------------------------------------------------------

  private sendEnc(
    method: 'GET' | 'POST',
    path: string,
    number: number,
    size: number | undefined,
    req: EncKeysRequest,
  ): Promise<RawResponse> {
    if (method === 'GET') {
      const q = new URLSearchParams({ number: String(number) });
      if (size !== undefined) q.set('size', String(size));
      return this.call('GET', `${path}?${q}`);
    }
    const body: Record<string, unknown> = { number };
    if (size !== undefined) body.size = size;
    if (req.additionalSlaveSaeIds) body.additional_slave_SAE_IDs = req.additionalSlaveSaeIds;
    if (req.extensionMandatory) body.extension_mandatory = req.extensionMandatory;
    if (req.extensionOptional) body.extension_optional = req.extensionOptional;
    return this.call('POST', path, JSON.stringify(body));
  }

  /** The peer's status for its limits: remembered, or asked now. Undefined when the KME will not say. */
  private async limitsFor(slaveSaeId: string): Promise<Status | undefined> {
    const known = this.statuses.get(slaveSaeId);
    if (known && performance.now() - known.at < this.statusLimitsTtlMs) return known.st;
    try {
      return await this.status(slaveSaeId);
    } catch (e) {
      if (e instanceof KmeError && STATUS_FATAL.has(e.code)) throw e;
      return undefined; // a KME with a broken status still judges the request itself
    }
  }

  /** Refuses what the KME's announced limits rule out; a limit of 0 is taken as not announced. */
  private checkLimits(
    st: Status | undefined,
    op: string,
    number: number,
    size: number | undefined,
    info: { status?: number; kmeMessage?: string; details?: unknown[] } = {},
    after = '',
  ): void {
    if (!st) return;
    const kme = `KME ${st.source_KME_ID}`;
    if (st.max_key_per_request > 0 && number > st.max_key_per_request) {
      throw new KmeLimitError(
        'max_key_per_request',
        st.max_key_per_request,
        number,
        `${op}: ${number} keys asked in one request and ${kme} serves at most ${st.max_key_per_request} (max_key_per_request in its status); ask in several requests${after}`,
        info,
      );
    }
    if (size === undefined) return;
    if (st.max_key_size > 0 && size > st.max_key_size) {
      throw new KmeLimitError(
        'max_key_size',
        st.max_key_size,
        size,
        `${op}: keys of ${size} bits asked and ${kme} serves at most ${st.max_key_size} bits per key (max_key_size in its status)${after}`,
        info,
      );
    }
    if (st.min_key_size > 0 && size < st.min_key_size) {
      throw new KmeLimitError(
        'min_key_size',
        st.min_key_size,
        size,
        `${op}: keys of ${size} bits asked and ${kme} serves no key under ${st.min_key_size} bits (min_key_size in its status)${after}`,
        info,
      );
    }
  }

  private checkSize(size: number): void {
    try {
      checkKeySizeBits(size);
    } catch (e) {
      throw new KmeError('invalid_argument', (e as Error).message);
    }
    if (size > MAX_KEY_BITS_ACCEPTED)
      throw new KmeError('invalid_argument', `key size ${size} bits is above this client's limit of ${MAX_KEY_BITS_ACCEPTED}`);
  }

  private checkSae(id: string): string {
    try {
      return checkSaeId(id);
    } catch (e) {
      throw new KmeError('invalid_argument', (e as Error).message);
    }
  }

  private path(saeId: string, op: string): string {
    return `${this.prefix}/api/v1/keys/${encodeURIComponent(this.checkSae(saeId))}/${op}`;
  }

  private parse<T>(schema: Parameters<typeof parseEtsiJson<T>>[0], r: RawResponse, what: string): T {
    try {
      return parseEtsiJson(schema, r.body, `${what} response`);
    } catch (e) {
      const m = e instanceof Etsi014FormatError ? e.message : String(e);
      const hint = /json/i.test(r.contentType) ? '' : ` (content-type ${r.contentType || 'absent'}: ${readableText(r.body, 80)})`;
      throw new KmeError('malformed_response', `${m}${hint}`, { status: r.status, cause: e });
    }
  }

  private keysFrom(r: RawResponse, what: string): QkdKey[] {
    const c = this.parse(KeyContainerSchema, r, what);
    const seen = new Set<string>();
    const out: QkdKey[] = [];
    for (const k of c.keys) {
      if (!UUID_RE.test(k.key_ID))
        throw new KmeError('malformed_response', `${what}: key_ID is not UUID-shaped: ${JSON.stringify(k.key_ID.slice(0, 60))}`);
      const id = k.key_ID.toLowerCase();
      if (seen.has(id)) throw new KmeError('malformed_response', `${what}: key_ID ${k.key_ID} appears twice`);
      seen.add(id);
      let key: Uint8Array;
      try {
        key = base64Decode(k.key);
      } catch (e) {
        throw new KmeError('malformed_response', `${what}: key ${k.key_ID} is not valid base64: ${(e as Error).message}`);
      }
      if (key.length === 0 || key.length * 8 > MAX_KEY_BITS_ACCEPTED)
        throw new KmeError('malformed_response', `${what}: key ${k.key_ID} has ${key.length * 8} bits`);
      out.push({ keyId: k.key_ID, key });
    }
    if (out.length === 0) throw new KmeError('malformed_response', `${what}: the KME returned no keys`);
    return out;
  }

  private checkDec(r: RawResponse, keyIds: readonly string[], expectedBits: number | undefined): QkdKey[] {
    const keys = this.keysFrom(r, 'dec_keys');
    const byId = new Map(keys.map((k) => [k.keyId.toLowerCase(), k]));
    if (keys.length !== keyIds.length)
      throw new KmeError('malformed_response', `dec_keys asked for ${keyIds.length} keys and the KME returned ${keys.length}`);
    return keyIds.map((id) => {
      const k = byId.get(id.toLowerCase());
      if (!k) throw new KmeError('malformed_response', `dec_keys: the KME did not return key_ID ${id}`);
      if (expectedBits !== undefined && k.key.length * 8 !== expectedBits) {
        throw new KmeError('malformed_response', `dec_keys: key ${id} has ${k.key.length * 8} bits, expected ${expectedBits}`);
      }
      return { keyId: id, key: k.key };
    });
  }

  private httpError(op: string, r: RawResponse): KmeError {
    const e = errorBody(r);
    const said = describe(r, e);
    const info = { status: r.status, kmeMessage: e.message, details: e.details };
    switch (r.status) {
      case 400:
        return new KmeError('bad_request', `KME refused the ${op} request (400): ${said}`, info);
      case 401:
      case 403:
        return new KmeError(
          'unauthorized',
          `KME refused our SAE (${r.status}): ${said}; check the client certificate, its CN (our SAE ID) and that the KME serves it`,
          info,
        );
      case 503:
        return RE_EXHAUSTED.test(e.message)
          ? new KmeError('exhausted', `KME has no key material (503): ${said}`, info)
          : new KmeError('unavailable', `KME unavailable (503): ${said}`, info);
      default:
        if (r.status >= 500) return new KmeError('unavailable', `KME error ${r.status}: ${said}`, info);
        return new KmeError('http_error', `unexpected HTTP ${r.status} from the KME on ${op}: ${said}`, info);
    }
  }

  private async encError(slave: string, r: RawResponse, number: number, size: number | undefined): Promise<KmeError> {
    const base = this.httpError('enc_keys', r);
    if (base.code === 'exhausted' || (r.status !== 400 && r.status !== 503)) return base;
    const e = errorBody(r);
    if (RE_EXHAUSTED.test(e.message)) {
      return new KmeError('exhausted', `KME has no key material (it answered 400 instead of the spec's 503): ${describe(r, e)}`, base);
    }
    // The KME said what was wrong with the request: its words stand, not a guess at an empty pool.
    // ("exceeds the available keys" is about the pool, and goes on to the status probe.)
    if (RE_LIMIT.test(e.message) && !/availab|stored|remain/i.test(e.message)) return base;
    if (!this.probeStatusOn400) return base;
    try {
      const st = await this.status(slave);
      try {
        this.checkLimits(st, 'enc_keys', number, size, base, `; the KME answered ${r.status}: ${describe(r, e)}`);
      } catch (limit) {
        return limit as KmeLimitError;
      }
      const bits = (size ?? st.key_size) * number;
      if (st.stored_key_count * st.key_size < bits) {
        return new KmeError(
          'exhausted',
          `KME answered ${r.status} (${describe(r, e)}) and its status shows ${st.stored_key_count} keys of ${st.key_size} bits for ${number} x ${size ?? st.key_size} bits asked: treating it as an empty pool`,
          base,
        );
      }
    } catch {
      /* the probe is a courtesy; the 400 stands */
    }
    return base;
  }

  private decError(r: RawResponse): KmeError {
    const base = this.httpError('dec_keys', r);
    if (r.status !== 400 && r.status !== 404) return base;
    const e = errorBody(r);
    if (RE_CONSUMED.test(e.message))
      return new KmeError('key_consumed', `KME refused: key already retrieved, keys are delivered once (${describe(r, e)})`, base);
    if (r.status === 404 || RE_NOT_FOUND.test(e.message))
      return new KmeError('key_not_found', `KME does not know the key_ID: ${describe(r, e)}`, base);
    return base;
  }

  private call(method: 'GET' | 'POST', path: string, body?: string): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const fail = (e: KmeError) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      const req = request({
        protocol: 'https:',
        hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
        port: this.base.port || 443,
        path,
        method,
        agent: this.agent,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      });
      req.setTimeout(this.timeoutMs, () => {
        fail(new KmeError('timeout', `KME did not answer ${method} ${path} within ${this.timeoutMs} ms`));
        req.destroy();
      });
      let answered = false;
      req.on('error', (err) => fail(this.transportError(err, !answered && !req.reusedSocket)));
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > this.maxResponseBytes) {
          fail(
            new KmeError('response_too_large', `KME response of ${declared} bytes is above the ${this.maxResponseBytes}-byte cap`, {
              status: res.statusCode,
            }),
          );
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          if (n > this.maxResponseBytes) {
            fail(
              new KmeError('response_too_large', `KME response is above the ${this.maxResponseBytes}-byte cap`, { status: res.statusCode }),
            );
            res.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('error', (err) => fail(this.transportError(err)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          const buf = Buffer.concat(chunks);
          let text: string;
          try {
            text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
          } catch {
            text = buf.toString('latin1');
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: text });
        });
      });
      req.end(body);
    });
  }

  /** `fresh`: the socket was opened for this request and no response came back. */
  private transportError(err: Error & { code?: string }, fresh = false): KmeError {
    const code = err.code ?? '';
    const msg = err.message;
    if (SERVER_TRUST_CODES.has(code)) {
      return new KmeError(
        'server_untrusted',
        `the KME's certificate is not trusted (${code}): it must chain to the pinned CA and name ${this.options.servername ?? this.base.hostname}`,
        { cause: err },
      );
    }
    if (/ALERT|CERTIFICATE_REQUIRED/i.test(code) || /alert|certificate required|peer did not return a certificate/i.test(msg)) {
      return new KmeError(
        'unauthorized',
        `the KME refused the TLS handshake (${code || msg}): our client certificate is missing or not trusted by the KME`,
        { cause: err },
      );
    }
    if (code === 'ECONNRESET' || /socket hang up/i.test(msg)) {
      if (this.options.cert === undefined) {
        return new KmeError(
          'unauthorized',
          'the KME closed the connection during the TLS handshake: no client certificate was configured, and ETSI 014 KMEs require one',
          { cause: err },
        );
      }
      if (fresh) {
        // With TLS 1.3 the server checks our certificate after the client considers the
        // handshake done; a refusal then looks like a reset before any answer.
        return new KmeError(
          'unauthorized',
          `the KME closed a new TLS connection before answering (${msg}): it most likely refused our client certificate (not signed by a CA it trusts)`,
          { cause: err },
        );
      }
      return new KmeError('network', `connection to the KME was reset (${msg})`, { cause: err });
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
      return new KmeError('network', `cannot reach the KME at ${this.base.host} (${code})`, { cause: err });
    }
    if (code.startsWith('ERR_SSL') || code === 'EPROTO') {
      return new KmeError(
        'unauthorized',
        `TLS with the KME failed (${code}: ${msg.slice(0, 120)}); check the client certificate and the CA`,
        { cause: err },
      );
    }
    return new KmeError('network', `request to the KME failed: ${code ? code + ': ' : ''}${msg.slice(0, 200)}`, { cause: err });
  }
}
