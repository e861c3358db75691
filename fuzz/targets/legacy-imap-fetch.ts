// IMAP server answers as the initial sync's bulk connection reads them
// (electron/services/legacy/imap/fetch-parser.ts): the bytes go through the response framer
// (small bounds, fed in two pieces cut where the first byte says), each response is
// classified, and each FETCH read (tokens, envelope, body structure, attachment bit). The
// same bytes fed whole must give the same responses.
import { isDeepStrictEqual } from 'node:util';
import { ImapParseError, ResponseFramer, classifyResponse, readFetch } from '../../electron/services/legacy/imap/fetch-parser.js';
import { type FuzzTarget, invariant, tokens } from '../engine/target.js';

function run(pieces: Uint8Array[]): unknown[] {
  const framer = new ResponseFramer(16 * 1024, 4 * 1024);
  const out: unknown[] = [];
  for (const p of pieces)
    framer.push(Buffer.from(p), (r) => {
      const c = classifyResponse(r);
      out.push(c.kind === 'fetch' ? readFetch(c.seq, c.body) : c);
    });
  return out;
}

export const target: FuzzTarget = {
  name: 'legacy-imap-fetch',
  about: 'IMAP answers to the bulk initial FETCH: framing with literals, tokens, ENVELOPE, BODYSTRUCTURE (legacy imap/fetch-parser.ts)',
  sources: ['/electron/services/legacy/imap/fetch-parser.ts'],
  fuzz(data) {
    if (!data.length) return;
    const rest = data.subarray(1);
    const cut = rest.length ? data[0]! % (rest.length + 1) : 0;
    const whole = run([rest]);
    const split = run([rest.subarray(0, cut), rest.subarray(cut)]);
    invariant(isDeepStrictEqual(whole, split), 'a split stream gave other responses than the whole one');
  },
  expected: (e) => e instanceof ImapParseError,
  dictionary: tokens(
    '* 1 FETCH (',
    'UID 7 ',
    'FLAGS (\\Seen \\Flagged) ',
    'RFC822.SIZE 1200 ',
    'INTERNALDATE "01-Jan-2024 10:00:00 +0000" ',
    'ENVELOPE (',
    'BODYSTRUCTURE (',
    '("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL ("attachment" ("filename" "a.pdf")) NIL NIL)',
    '"mixed"',
    '"message" "rfc822"',
    '("name*0*" "utf-8\'\'a%20b")',
    '=?utf-8?B?Y2Fmw6k=?=',
    'NIL ',
    '{5}\r\n',
    ')\r\n',
    'B1 OK done\r\n',
    '+ \r\n',
  ),
  maxLength: 8192,
};

const SEEDS: [string, string][] = [
  [
    'dovecot-fetch',
    '* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 1124 INTERNALDATE "03-Dec-2026 17:16:53 +0000" ENVELOPE ("Mon, 01 Jan 2024 16:40:00 GMT" "bench 1" (("Sender" NIL "sender" "a.localhost")) (("Sender" NIL "sender" "a.localhost")) (("Sender" NIL "sender" "a.localhost")) ((NIL NIL "someone" "a.localhost")) NIL NIL NIL "<0123@test>") BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 924 1 NIL NIL NIL NIL))\r\nB3 OK Fetch completed.\r\n',
  ],
  [
    'literals-and-groups',
    '* 2 FETCH (UID 9 ENVELOPE (NIL {11}\r\nhello\r\nworld (({3}\r\nAnn NIL "ann" "h")) NIL NIL (("team" NIL "team" NIL)(NIL NIL "a" "h")(NIL NIL NIL NIL)) NIL NIL NIL NIL) FLAGS ())\r\n',
  ],
  [
    'multipart-attachment',
    '* 3 FETCH (UID 10 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 3 1 NIL NIL NIL NIL)("application" "pdf" ("name*0*" "utf-8\'\'r%C3%A9sum%C3%A9" "name*1" ".pdf") NIL NIL "base64" 8 NIL ("attachment" ("filename*" "utf-8\'\'x.pdf")) NIL NIL) "mixed" ("boundary" "X") NIL NIL NIL))\r\n',
  ],
  [
    'forwarded',
    '* 4 FETCH (UID 11 BODYSTRUCTURE ("message" "rfc822" NIL NIL NIL "7bit" 300 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("name" "in.txt") NIL NIL "7bit" 2 1 NIL NIL NIL NIL) 9 NIL ("attachment" NIL) NIL NIL))\r\n',
  ],
  [
    'status-lines',
    '* OK [UIDVALIDITY 1796318140] UIDs valid\r\n* 12 EXISTS\r\n+ \r\nB2 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r\n',
  ],
];

/** Seed inputs (npm run fuzz:seed): Dovecot-like answers, each behind a cut byte. */
export function legacyImapFetchSeeds(): [string, Uint8Array][] {
  return SEEDS.map(([name, text], i) => [name, Uint8Array.from([i * 37, ...Buffer.from(text, 'utf8')])]);
}
