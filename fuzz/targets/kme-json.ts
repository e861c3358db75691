// ETSI GS QKD 014 JSON as the app's KME client reads it from a KME (status, key
// containers for enc_keys/dec_keys, error bodies and the HTML pages proxies send instead),
// and as the KME reads request bodies (key requests, key_ID lists). The client's private
// readers are driven directly: no connection is made.
import { KmeClient } from '../../electron/services/qkd/client.js';
import { KmeError } from '../../electron/services/qkd/errors.js';
import { Etsi014FormatError, KeyIdsSchema, KeyRequestSchema, StatusSchema, checkKeyId, parseEtsiJson } from '../../shared/qkd/etsi014.js';
import { type FuzzTarget, select, tokens } from '../engine/target.js';

interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}
/** The client's response readers, reached past `private` for fuzzing. */
interface ClientReaders {
  parse(schema: typeof StatusSchema, r: RawResponse, what: string): unknown;
  keysFrom(r: RawResponse, what: string): unknown;
  checkDec(r: RawResponse, keyIds: readonly string[], expectedBits: number | undefined): unknown;
  httpError(op: string, r: RawResponse): KmeError;
}

let client: KmeClient | undefined;
function readers(): ClientReaders {
  client ??= new KmeClient({ url: 'https://kme.invalid', ca: '', checkStatusLimits: false });
  return client as unknown as ClientReaders;
}

const text = new TextDecoder();
const KEY_IDS = ['6f2c1d4e-8a3b-4c5d-9e0f-112233445566', 'a1b2c3d4-e5f6-4789-8abc-def012345678'];

export const target: FuzzTarget = {
  name: 'kme-json',
  about: 'ETSI QKD 014 JSON: KME status, key containers (enc/dec), error bodies (client); key requests and key_ID lists (KME)',
  sources: ['/shared/qkd/', '/electron/services/qkd/', '/node_modules/zod/'],
  fuzz(data) {
    const { choice, rest } = select(data, 6);
    const body = text.decode(rest);
    const r: RawResponse = { status: 200, contentType: choice & 1 ? 'application/json' : 'text/html', body };
    const c = readers();
    switch (choice) {
      case 0:
        c.parse(StatusSchema, r, 'status');
        break;
      case 1:
        c.keysFrom(r, 'enc_keys');
        break;
      case 2:
        c.checkDec(r, KEY_IDS, 256);
        break;
      case 3: {
        const e = c.httpError('enc_keys', { ...r, status: 400 + ((rest[0] ?? 0) % 104) });
        if (!(e instanceof KmeError)) throw new Error('httpError returned something other than a KmeError');
        break;
      }
      case 4:
        parseEtsiJson(KeyRequestSchema, body, 'request body', 1 << 16);
        break;
      default: {
        const ids = parseEtsiJson(KeyIdsSchema, body, 'request body', 1 << 16);
        for (const k of ids.key_IDs) checkKeyId(k.key_ID);
      }
    }
  },
  expected: (e) => e instanceof KmeError || e instanceof Etsi014FormatError,
  dictionary: tokens(
    '{',
    '}',
    '[',
    ']',
    '"',
    ':',
    ',',
    '"keys"',
    '"key_ID"',
    '"key"',
    '"key_IDs"',
    '"message"',
    '"details"',
    '"number"',
    '"size"',
    '"source_KME_ID"',
    '"target_KME_ID"',
    '"master_SAE_ID"',
    '"slave_SAE_ID"',
    '"key_size"',
    '"stored_key_count"',
    '"max_key_count"',
    '"max_key_per_request"',
    '"max_key_size"',
    '"min_key_size"',
    '"max_SAE_ID_count"',
    '"additional_slave_SAE_IDs"',
    '"extension_mandatory"',
    `"${KEY_IDS[0]}"`,
    '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="',
    'null',
    'true',
    '1e400',
    '-0',
    '256',
    '<html>',
    '&#65;',
    '\\u0000',
  ),
  maxLength: 4096,
};
