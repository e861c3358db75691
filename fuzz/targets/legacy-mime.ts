// Legacy mail as the reader gets it, on its synchronous half (the engine runs sync
// targets; mailparser's async stream half is driven by a property test in
// electron/services/legacy/mime/parse.test.ts). Selector 0: an HTML body with inline
// cid images → legacyBody (htmlToCbdf, remote images blocked) → the CBDF it gives decodes,
// survives encode → decode, and every remote reference it lists has no resource. Selector
// 1: the encrypted-mail payload (QLE1) → decodePayload, two equal stripe objects.
import { isDeepStrictEqual } from 'node:util';
import { decodeDocument, encodeDocument } from '../../shared/cbdf/index.js';
import { identityFromSeed, publicIdentity } from '../../shared/identity/index.js';
import {
  MimeError,
  decodePayload,
  legacyBody,
  remoteImageUrls,
  sealLegacy,
  type ParsedAttachment,
} from '../../electron/services/legacy/mime/index.js';
import { type FuzzTarget, byFirstByte, invariant, tokens } from '../engine/target.js';

const PNG = Uint8Array.from(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
);
const INLINE: ParsedAttachment[] = [
  { index: 0, filename: 'a.png', contentType: 'image/png', inline: true, cid: 'a@x', size: PNG.length, data: PNG },
];

function html(rest: Uint8Array): void {
  const view = legacyBody({ html: new TextDecoder().decode(rest), subject: 'fuzz', date: 0, attachments: INLINE });
  if (!view.document) return;
  const doc = decodeDocument(view.document);
  invariant(doc.kind === 'phase2', 'legacyBody gave a document that is not Phase II');
  invariant(isDeepStrictEqual(decodeDocument(encodeDocument(doc)), doc), 'a legacy document does not survive encode → decode');
  invariant(isDeepStrictEqual(remoteImageUrls(doc), view.remoteImages), 'remote images listed differ from the document’s');
}

function payload(rest: Uint8Array): void {
  const p = decodePayload(rest);
  invariant(p.slots[0].length === p.slots[1].length && p.capsules.length >= 1, 'payload split unevenly');
}

export const target: FuzzTarget = {
  name: 'legacy-mime',
  about: 'legacy mail: HTML bodies with cid images → CBDF (remote images blocked); the encrypted-mail payload (QLE1)',
  sources: ['/electron/services/legacy/mime/', '/shared/cbdf/html.ts', '/shared/cbdf/images.ts'],
  fuzz: byFirstByte([html, payload]),
  expected: (e) => e instanceof MimeError,
  dictionary: tokens(
    '<img src="cid:a@x">',
    '<img src="https://t.example/p.png" width="9" height="9">',
    '<table><tr><td>',
    '</td></tr></table>',
    '<a href="https://x">',
    '<b>',
    '</b>',
    '<ul><li>',
    '<blockquote>',
    '<pre>',
    '<script>',
    'QLE1',
    'QMPI',
    [0, 6],
  ),
  maxLength: 8192,
};

/** Seed inputs (npm run fuzz:seed): HTML mail bodies, and a real L3 payload with cuts of it. */
export async function legacyMimeSeeds(): Promise<[string, Uint8Array][]> {
  const enc = new TextEncoder();
  const bodies = [
    '<p>Hello <b>there</b>, <a href="https://example.com">link</a></p><img src="cid:a@x" alt="inline"><img src="https://t.example/banner.png" alt="remote" width="300" height="80">',
    '<html><head><style>p{}</style><script>x()</script></head><body><table><tr><td>layout</td><td><table><tr><th>A</th></tr><tr><td>1</td></tr></table></td></tr></table></body></html>',
    '<ul><li>one</li><li>two<ol><li>inner</li></ol></li></ul><blockquote>quoted <i>text</i></blockquote><pre>  kept\n  spaces</pre><img src="https://t.example/1x1.gif" width="1" height="1">',
  ];
  const out: [string, Uint8Array][] = bodies.map((b, i) => [`html-${i}`, Uint8Array.from([0, ...enc.encode(b)])]);
  const alice = identityFromSeed(new Uint8Array(32).fill(1), Uint8Array.of(0, 6, 1, 1, 0, 0, 0));
  const bob = identityFromSeed(new Uint8Array(32).fill(2), Uint8Array.of(0, 6, 1, 2, 0, 0, 0));
  const { payload: p } = await sealLegacy(
    { subject: 's', body: 'b', timestamp: 1, attachments: [] },
    { level: 3, sender: alice, recipients: [{ identity: publicIdentity(bob) }] },
  );
  out.push(['payload-l3', Uint8Array.from([1, ...p])]);
  out.push(['payload-head', Uint8Array.from([1, ...p.subarray(0, 2100)])]);
  return out;
}
