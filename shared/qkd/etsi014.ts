// ETSI GS QKD 014 v1.1.1 data formats (clause 6): Status, Key request, Key container,
// Key IDs and Error, as zod schemas, plus the checks both our client and our simulator
// apply (sizes in bits and multiples of 8, key_ID shaped like a UUID, SAE IDs safe in a URL).
// Unknown members are kept (the spec lets KMEs add *_extension members and vendors add more).
import { z } from 'zod';

/** Stable error codes for anything that fails an ETSI 014 shape check. */
export type Etsi014ErrorCode = 'invalid_json' | 'invalid_shape' | 'too_large' | 'invalid_key_id' | 'invalid_size' | 'invalid_sae_id';

export class Etsi014FormatError extends Error {
  override readonly name = 'Etsi014FormatError';
  constructor(
    readonly code: Etsi014ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** SAE and KME IDs travel in URL paths and certificate CNs: keep them to a safe alphabet. */
export const SAE_ID_RE = /^[A-Za-z0-9._~-]{1,128}$/;

export function isUuidShaped(s: string): boolean {
  return UUID_RE.test(s);
}

export function checkKeyId(s: unknown): string {
  if (typeof s !== 'string' || !UUID_RE.test(s)) {
    throw new Etsi014FormatError('invalid_key_id', `key_ID is not UUID-shaped: ${JSON.stringify(String(s).slice(0, 60))}`);
  }
  return s;
}

export function checkSaeId(s: unknown, what = 'SAE ID'): string {
  if (typeof s !== 'string' || !SAE_ID_RE.test(s)) {
    throw new Etsi014FormatError(
      'invalid_sae_id',
      `${what} must be 1-128 characters of A-Z a-z 0-9 . _ ~ -: ${JSON.stringify(String(s).slice(0, 60))}`,
    );
  }
  return s;
}

/** Key sizes are in bits and must be a positive multiple of 8. */
export function checkKeySizeBits(size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
    throw new Etsi014FormatError('invalid_size', `key size must be a positive integer number of bits, got ${String(size)}`);
  }
  if (size % 8 !== 0) throw new Etsi014FormatError('invalid_size', `key size ${size} bits is not a multiple of 8`);
  return size;
}

const count = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 53 - 1);
const ext = z.record(z.string(), z.unknown());

export const StatusSchema = z.looseObject({
  source_KME_ID: z.string().min(1).max(256),
  target_KME_ID: z.string().min(1).max(256),
  master_SAE_ID: z.string().min(1).max(256),
  slave_SAE_ID: z.string().min(1).max(256),
  key_size: count,
  stored_key_count: count,
  max_key_count: count,
  max_key_per_request: count,
  max_key_size: count,
  min_key_size: count,
  max_SAE_ID_count: count,
  status_extension: ext.optional(),
});
export type Status = z.infer<typeof StatusSchema>;

/**
 * Our extension of the status: `status_extension.key_store_id` names the KME's memory of the
 * keys it handed out. A KME that announces it and later announces another one has forgotten
 * every key it handed out before (the qmail-kme simulator without a key store, at each
 * start), so keys fetched ahead from it before are useless. KMEs that do not announce it are
 * trusted to keep their keys.
 */
export const KEY_STORE_ID = 'key_store_id';

export function keyStoreIdOf(st: Status): string | undefined {
  const v = st.status_extension?.[KEY_STORE_ID];
  return typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : undefined;
}

export const KeyRequestSchema = z.looseObject({
  number: z.number().int().positive().optional(),
  size: z.number().int().positive().optional(),
  additional_slave_SAE_IDs: z.array(z.string().max(256)).max(1024).optional(),
  extension_mandatory: z.array(ext).max(64).optional(),
  extension_optional: z.array(ext).max(64).optional(),
});
export type KeyRequest = z.infer<typeof KeyRequestSchema>;

export const KeySchema = z.looseObject({
  key_ID: z.string().max(128),
  key_ID_extension: ext.optional(),
  key: z.string().max(1 << 20),
  key_extension: ext.optional(),
});

export const KeyContainerSchema = z.looseObject({
  keys: z.array(KeySchema).max(100_000),
  key_container_extension: ext.optional(),
});
export type KeyContainer = z.infer<typeof KeyContainerSchema>;

export const KeyIdsSchema = z.looseObject({
  key_IDs: z
    .array(z.looseObject({ key_ID: z.string().max(128), key_ID_extension: ext.optional() }))
    .min(1)
    .max(100_000),
  key_IDs_extension: ext.optional(),
});
export type KeyIds = z.infer<typeof KeyIdsSchema>;

export const ErrorSchema = z.looseObject({
  message: z.string().max(10_000),
  details: z.array(z.unknown()).max(1000).optional(),
});
export type EtsiErrorBody = z.infer<typeof ErrorSchema>;

/** Parse UTF-8 JSON text (already size-capped by the caller) against a schema. */
export function parseEtsiJson<T>(schema: z.ZodType<T>, text: string, what: string, maxChars = 16 << 20): T {
  if (text.length > maxChars) throw new Etsi014FormatError('too_large', `${what} is larger than ${maxChars} characters`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Etsi014FormatError('invalid_json', `${what} is not JSON`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new Etsi014FormatError('invalid_shape', `${what} does not match ETSI GS QKD 014: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}
