// npm run fuzz:seed — writes the seed corpora (fuzz/corpus/<target>/seed-*): every full
// message of the conformance vectors (../shared/conformance, as CI lays it out) under each
// of the target's decoders, and well-formed messages made with our own encoders. The
// seeds are committed; run this again when vectors or codecs change.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromHex } from '../shared/bytes/index.js';
import { Encryption, encodeRequest, encodeResponse, makeChallenge } from '../shared/raida/index.js';
import {
  encodeDownload,
  encodeDownloadResponse,
  encodePeek,
  encodePing,
  encodeRegister,
  encodeTell,
  encodeTellList,
  encodeUpload,
  encodeUploadPage,
  encodeAddressTicket,
  encodeRegisterProof,
  makePreamble,
  signAddressTicket,
  signRegisterProof,
} from '../shared/qmail/index.js';
import {
  encodeFee,
  encodeGetUser,
  encodeListGetResult,
  encodeListRemove,
  encodeListSet,
  encodeOwnerOnly,
  encodePostUser,
  encodeSearchResult,
  encodeSearchUsers,
  encodeUserRecord,
} from '../shared/drd/index.js';
import { encodeGetKeyShare, encodeKeyShareResponse, encodePreloadMasterKey, encodePreloadRequestBody } from '../shared/rke/index.js';
import { encodeDocument, htmlToCbdf } from '../shared/cbdf/index.js';
import { FUZZ_DIR, corpusDir } from './engine/corpus.js';
import { FUZZ_CHALLENGE, FUZZ_KEY, FUZZ_NONCE } from './targets/raida-envelope.js';
import { FUZZ_PROOF } from './targets/register-proof.js';
import { coinFileSeeds } from './targets/coin-files.js';
import { chipsCommandSeeds } from './targets/chips-commands.js';
import { legacyMimeSeeds } from './targets/legacy-mime.js';
import { legacyImapFetchSeeds } from './targets/legacy-imap-fetch.js';

const CONFORMANCE = resolve(FUZZ_DIR, '../../shared/conformance/qmail-open-standard');
const enc = new TextEncoder();
const bytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const withChoice = (c: number, b: Uint8Array): Uint8Array => Uint8Array.from([c, ...b]);

/** Full messages of a conformance family: every `bytes_hex` in its vector files. */
function vectorMessages(family: string): { name: string; data: Uint8Array }[] {
  const dir = join(CONFORMANCE, family, 'vectors');
  if (!existsSync(dir)) throw new Error(`conformance vectors not found at ${dir}`);
  const out: { name: string; data: Uint8Array }[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    const found: [string, string][] = [];
    const collect = (v: unknown, path: string): void => {
      if (Array.isArray(v)) v.forEach((x, i) => collect(x, `${path}-${i}`));
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if ((k === 'bytes_hex' || k === 'text_body_hex' || k === 'be_int64_hex') && typeof x === 'string') found.push([path, x]);
          else collect(x, path ? `${path}-${k}` : k);
        }
      }
    };
    collect(json, '');
    for (const [path, hex] of found) {
      out.push({
        name: `${family}-${file.replace(/\.json$/, '')}${path ? '-' + path : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
        data: fromHex(hex.replace(/[\s:]/g, '')),
      });
    }
  }
  return out;
}

function write(target: string, name: string, data: Uint8Array): void {
  mkdirSync(corpusDir(target), { recursive: true });
  writeFileSync(join(corpusDir(target), `seed-${name}`), data);
}

/** Every vector message under each selector of a multi-decoder target. */
function vectorsUnder(target: string, family: string, choices: number): void {
  for (const m of vectorMessages(family)) for (let c = 0; c < choices; c++) write(target, `${m.name}-as${c}`, withChoice(c, m.data));
}

const challenge = makeChallenge(bytes(12));
const preamble = makePreamble({ challenge, denomination: 1, serial: 4242, an: bytes(16, 0xa0) });
const guid = bytes(16, 0x40);
const mailbox = { coinGroup: 6, denomination: 1, serial: 1001 };
const server = (i: number) => ({
  stripeIndex: i,
  stripeType: i === 4 ? 1 : 0,
  raidaId: i,
  ipv4: Uint8Array.from([127, 0, 0, 1]),
  port: 28000 + i,
});
const manifest = [
  { fileType: 0, size: 120, crc32: 0x12345678 },
  { fileType: 1, size: 4096, crc32: 0x9abcdef0 },
];
const tell = {
  preamble,
  fileGroupGuid: guid,
  timestamp: 1_760_000_000,
  tellType: 0,
  beaconPaymentLocker: bytes(8, 0x30),
  totalFileSize: 4216,
  recipients: [
    { addressType: 0, address: mailbox, lockerKey: bytes(16, 0x60) },
    { addressType: 1, address: { ...mailbox, serial: 1002 }, lockerKey: bytes(16, 0x70) },
  ],
  servers: [0, 1, 2, 3, 4].map(server),
  manifest,
};

// RAIDA envelope: clear and keyed requests around Group 6 bodies, and their responses.
{
  const ping = encodePing({ preamble });
  const clear = encodeRequest({ raidaId: 3, group: 6, command: 72, body: ping });
  const keyed = encodeRequest({
    raidaId: 3,
    group: 6,
    command: 72,
    body: ping,
    encryption: Encryption.AN,
    key: FUZZ_KEY,
    keyDenomination: 1,
    keySerial: 4242,
    nonce: FUZZ_NONCE,
  });
  const upload = encodeRequest({
    raidaId: 0,
    group: 6,
    command: 60,
    body: encodeUpload({ preamble, fileGroupGuid: guid, lockerCode: bytes(8), fileType: 0, storageDuration: 2, data: bytes(100) }),
    encryption: Encryption.AN,
    key: FUZZ_KEY,
    keySerial: 7,
    nonce: FUZZ_NONCE,
  });
  write('raida-envelope', 'header-clear', withChoice(0, clear.packet.subarray(0, 32)));
  write('raida-envelope', 'header-keyed', withChoice(0, keyed.packet.subarray(0, 32)));
  write('raida-envelope', 'request-clear-ping', withChoice(1, clear.packet));
  write('raida-envelope', 'request-keyed-ping', withChoice(1, keyed.packet));
  write('raida-envelope', 'request-keyed-upload', withChoice(1, upload.packet));
  const answer = (keyedAnswer: boolean, payload?: Uint8Array): Uint8Array =>
    encodeResponse({
      raidaId: 3,
      status: 250,
      group: 6,
      echo: 0x0708,
      challenge: FUZZ_CHALLENGE,
      ...(payload ? { payload } : {}),
      ...(keyedAnswer ? { encryption: Encryption.AN, key: FUZZ_KEY, nonce: FUZZ_NONCE } : {}),
    });
  write('raida-envelope', 'response-clear-empty', withChoice(2, answer(false)));
  write('raida-envelope', 'response-clear-body', withChoice(2, answer(false, bytes(40))));
  write('raida-envelope', 'response-keyed-empty', withChoice(3, answer(true)));
  write('raida-envelope', 'response-keyed-body', withChoice(3, answer(true, bytes(40))));
  write(
    'raida-envelope',
    'response-error',
    withChoice(2, encodeResponse({ raidaId: 3, status: 200, group: 6, echo: 0, challenge: FUZZ_CHALLENGE })),
  );
}

// Group 6 bodies, in the order of the target's selector.
{
  const notice = {
    clusterId: 0,
    sender: mailbox,
    timestamp: 1_760_000_000,
    tellType: 0,
    fileGroupGuid: guid,
    totalSize: 4216,
    servers: [0, 1, 2, 3, 4].map(server),
    lockerKey: bytes(16, 0x60),
    manifest,
  };
  const bodies: [string, number, Uint8Array][] = [
    ['ping', 0, encodePing({ preamble })],
    ['ping-since', 0, encodePing({ preamble, since: 1_760_000_000 })],
    ['ping-flags', 0, encodePing({ preamble, since: 0, flags: 1 })],
    ['peek', 1, encodePeek({ preamble, since: 1_760_000_000 })],
    ['download', 2, encodeDownload({ preamble, fileGroupGuid: guid, fileType: 10, version: 0, bytesPerPage: 0, page: 0 })],
    ['download-response', 3, encodeDownloadResponse({ fileType: 10, version: 0, bytesPerPage: 1, page: 2, data: bytes(64) })],
    ['upload', 4, encodeUpload({ preamble, fileGroupGuid: guid, lockerCode: bytes(8), fileType: 0, storageDuration: 2, data: bytes(100) })],
    [
      'upload-page',
      5,
      encodeUploadPage({ preamble, fileGroupGuid: guid, fileType: 10, storageDuration: 2, page: 1, totalPages: 3, data: bytes(200) }),
    ],
    ['register', 6, encodeRegister({ preamble, newAn: bytes(16, 0xb0), flags: 0 })],
    ['tell-list', 7, encodeTellList({ remaining: 3, tells: [notice] })],
    ['tell-list-empty', 7, encodeTellList({ remaining: 0, tells: [] })],
    ['tell-list-bare', 8, encodeTellList({ remaining: 0, tells: [{ ...notice, manifest: [] }] }, { manifest: false })],
    ['preamble', 9, encodePing({ preamble })],
    ['legacy-ping', 10, Uint8Array.from([...encodePing({ preamble }), 0x3e, 0x3e])],
  ];
  for (const [name, c, b] of bodies) write('qmail-bodies', name, withChoice(c, b));
  vectorsUnder('qmail-bodies', 'qmail', 11);
}

// Tell, standard (even selector) and legacy (odd).
{
  write('tell', 'tell', withChoice(0, encodeTell(tell)));
  write('tell', 'tell-legacy', withChoice(1, encodeTell(tell)));
  write(
    'tell',
    'tell-one-recipient-no-manifest',
    withChoice(0, encodeTell({ ...tell, recipients: tell.recipients.slice(0, 1), servers: [], manifest: [], totalFileSize: 0 })),
  );
  vectorsUnder('tell', 'qmail', 2);
}

// DRD bodies and answers, in the order of the target's selector.
{
  const owner = { challenge, owner: { denomination: 1, serial: 4242 }, an: bytes(16, 0xa0) };
  const profile = { fee: 10_00000000n, symbol1: 1, symbol2: 2, classRejection: 0, firstName: 'Alice', lastName: 'Liddell' };
  const record = { ...profile, user: { denomination: 1, serial: 4242 }, createdAt: 1_700_000_000, updatedAt: 1_760_000_000 };
  const bodies: [string, number, Uint8Array][] = [
    ['post-user', 0, encodePostUser({ ...owner, ...profile })],
    ['get-user', 1, encodeGetUser({ challenge, user: { denomination: 1, serial: 4242 } })],
    ['search', 2, encodeSearchUsers({ challenge, limit: 10, firstName: 'Al', lastName: 'Li' })],
    ['owner-only', 3, encodeOwnerOnly(owner)],
    [
      'list-set',
      4,
      encodeListSet({
        ...owner,
        entries: [
          { listed: { denomination: 1, serial: 5 }, type: 0 },
          { listed: { denomination: 2, serial: 6 }, type: 1 },
        ],
      }),
    ],
    ['list-remove', 5, encodeListRemove({ ...owner, entries: [{ denomination: 1, serial: 5 }] })],
    ['user-record', 6, encodeUserRecord(record)],
    ['search-result', 7, encodeSearchResult([record, { ...record, firstName: '', lastName: '' }])],
    ['list-get-result', 8, encodeListGetResult([{ listed: { denomination: 1, serial: 5 }, type: 0 }])],
    ['fee', 9, encodeFee(10_00000000n)],
  ];
  for (const [name, c, b] of bodies) write('drd', name, withChoice(c, b));
  vectorsUnder('drd', 'drd', 10);
}

// RKE bodies, in the order of the target's selector.
{
  const preload = {
    contentServerId: enc.encode('content-server-1'),
    records: [
      { kid: 1, secret: bytes(32) },
      { kid: 2, secret: bytes(32, 0x80) },
    ],
  };
  write('rke', 'preload', withChoice(0, encodePreloadMasterKey(preload)));
  write('rke', 'preload-request', withChoice(1, encodePreloadRequestBody(challenge, preload)));
  write(
    'rke',
    'get-key-share',
    withChoice(
      2,
      encodeGetKeyShare({
        challenge,
        contentServerId: bytes(16, 0x20),
        kid: 1,
        client: { denomination: 1, serial: 4242 },
        timestamp: 1_760_000_000,
      }),
    ),
  );
  write('rke', 'key-share', withChoice(3, encodeKeyShareResponse(0x5a)));
  vectorsUnder('rke', 'rke', 4);
}

// CBDF: the vectors as they are, and documents made from HTML by our converter.
{
  for (const m of vectorMessages('cbdf')) write('cbdf', m.name, m.data);
  const html = [
    '<p>Hello <b>world</b></p>',
    '<h1>Title</h1><ul><li>one</li><li><i>two</i></li></ul><p style="color:#c00">red <a href="https://example.com">link</a></p>',
    '<table><tr><td>a</td><td>b</td></tr></table><pre>  code\n  block</pre><blockquote>quoted</blockquote><img src="cid:1" alt="x">',
  ];
  html.forEach((h, i) => write('cbdf', `html-${i}`, encodeDocument(htmlToCbdf(h))));
  write('cbdf', 'phase1', encodeDocument({ kind: 'phase1', body: 'Plain body\nsecond line' }));
  write('cbdf', 'mailbox', Uint8Array.from([0xad, 0x00, 0x06, 0x01, 0xe9, 0x03, 0x00, 0x00]));
}

// KME JSON, in the order of the target's selector.
{
  const id = '6f2c1d4e-8a3b-4c5d-9e0f-112233445566';
  const id2 = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
  const key = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
  const docs: [string, number, string][] = [
    [
      'status',
      0,
      JSON.stringify({
        source_KME_ID: 'KME_A',
        target_KME_ID: 'KME_B',
        master_SAE_ID: 'SAE_A',
        slave_SAE_ID: 'SAE_B',
        key_size: 256,
        stored_key_count: 25000,
        max_key_count: 100000,
        max_key_per_request: 128,
        max_key_size: 1024,
        min_key_size: 64,
        max_SAE_ID_count: 0,
      }),
    ],
    [
      'enc-keys',
      1,
      JSON.stringify({
        keys: [
          { key_ID: id, key },
          { key_ID: id2, key },
        ],
      }),
    ],
    [
      'dec-keys',
      2,
      JSON.stringify({
        keys: [
          { key_ID: id, key },
          { key_ID: id2, key },
        ],
      }),
    ],
    ['error-json', 3, JSON.stringify({ message: 'keys exhausted', details: [{ stored_key_count: 0 }] })],
    ['error-html', 3, '<html><head><title>502</title></head><body><h1>Bad Gateway</h1>&amp; more</body></html>'],
    ['key-request', 4, JSON.stringify({ number: 2, size: 256, additional_slave_SAE_IDs: ['SAE_C'], extension_mandatory: [{ a: 1 }] })],
    ['key-ids', 5, JSON.stringify({ key_IDs: [{ key_ID: id }, { key_ID: id2 }] })],
  ];
  for (const [name, c, text] of docs) write('kme-json', name, withChoice(c, enc.encode(text)));
}

// EXT-7 register proof (selector 0) and address ticket (1), signed for the target's fixed world.
{
  const w = FUZZ_PROOF;
  const ticket = signAddressTicket(w.mailbox, w.identity.publicKey, w.now - 86_400_000, w.directory.secretKey);
  const sign = (now: number) =>
    signRegisterProof({
      ticket,
      identity: { signPublicKey: w.identity.publicKey, signSecretKey: w.identity.secretKey },
      mailbox: w.mailbox,
      nodeId: w.nodeId,
      newAn: w.newAn,
      challenge: w.challenge,
      now,
    });
  write('register-proof', 'proof', withChoice(0, encodeRegisterProof(sign(w.now))));
  write('register-proof', 'proof-stale', withChoice(0, encodeRegisterProof(sign(w.now - 3_600_000))));
  write('register-proof', 'ticket', withChoice(1, encodeAddressTicket(ticket)));
}

// The node's framer: options byte (1 legacy, 2 version-0 alias, 4 admit after a gate),
// chunk-size count and sizes, then the stream.
{
  const stream = (opts: number, sizes: number[], ...packets: Uint8Array[]): Uint8Array =>
    Uint8Array.from([opts, sizes.length, ...sizes, ...packets.flatMap((p) => [...p])]);
  const ping = encodeRequest({ raidaId: 3, group: 6, command: 72, body: encodePing({ preamble }) }).packet;
  const upload = (command: number, n: number): Uint8Array =>
    encodeRequest({
      raidaId: 0,
      group: 6,
      command,
      body: encodeUpload({ preamble, fileGroupGuid: guid, lockerCode: bytes(8), fileType: 0, storageDuration: 2, data: bytes(n) }),
    }).packet;
  const big = encodeRequest({ raidaId: 3, group: 6, command: 72, body: Uint8Array.from([...challenge, ...bytes(282), 0x3e, 0x3e]) }).packet;
  write('frames', 'ping', stream(0, [], ping));
  write('frames', 'ping-bytewise', stream(0, [0], ping));
  write('frames', 'two-pings-chunked', stream(0, [6, 30, 2], ping, ping));
  write('frames', 'upload-gated', stream(0, [40], upload(70, 300), ping));
  write('frames', 'upload-admitted', stream(4, [17, 63], upload(70, 300), ping));
  write('frames', 'legacy-upload-admitted', stream(7, [100], upload(60, 300), ping));
  write('frames', 'upload-small', stream(4, [9], upload(70, 20)));
  write('frames', 'over-bound', stream(0, [31], big, ping));
  write('frames', 'header-partial', stream(0, [], ping.subarray(0, 20)));
}

// Coin files, in the order of the target's selector.
for (const [name, data] of coinFileSeeds()) write('coin-files', name, data);
for (const [name, data] of chipsCommandSeeds()) write('chips-commands', name, data);

// Legacy mail: HTML bodies (selector 0) and an encrypted payload (selector 1).
for (const [name, data] of await legacyMimeSeeds()) write('legacy-mime', name, data);

// Answers to the legacy initial sync's bulk FETCH (the first byte picks where the stream is cut).
for (const [name, data] of legacyImapFetchSeeds()) write('legacy-imap-fetch', name, data);

console.log(`seed corpora written under ${join(FUZZ_DIR, 'corpus')}`);
