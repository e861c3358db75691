// The bulk connection's response reader: framing across any split of the byte stream,
// typed errors and bounds for hostile input, and the same stored envelope, flags and
// attachment bit as the imapflow path for the same FETCH response (imapflow's own parser
// and formatter on one side, ours on the other).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MailboxObject } from 'imapflow';
import { parser } from 'imapflow/lib/handler/imap-handler.js';
import { formatMessageResponse } from 'imapflow/lib/tools.js';
import { ImapParseError, MAX_DEPTH, ResponseFramer, classifyResponse, readFetch, tokenize } from './fetch-parser.js';
import { fromImapflow, toNew } from './sync.js';

const frames = (chunks: Buffer[], f = new ResponseFramer()): string[] => {
  const out: string[] = [];
  for (const c of chunks) f.push(c, (r) => out.push(r.toString('latin1')));
  return out;
};

const STREAM = Buffer.from(
  '* OK [CAPABILITY IMAP4rev1 SASL-IR] ready\r\n' +
    '* 1 FETCH (UID 7 FLAGS (\\Seen) ENVELOPE (NIL {11}\r\nhello\r\nworld NIL NIL NIL NIL NIL NIL NIL NIL))\r\n' +
    '* 2 FETCH (UID 8 ENVELOPE (NIL {0}\r\n NIL NIL NIL NIL NIL NIL NIL NIL))\n' +
    'B1 OK done\r\n',
  'latin1',
);
const WHOLE = [
  '* OK [CAPABILITY IMAP4rev1 SASL-IR] ready',
  '* 1 FETCH (UID 7 FLAGS (\\Seen) ENVELOPE (NIL {11}\r\nhello\r\nworld NIL NIL NIL NIL NIL NIL NIL NIL))',
  '* 2 FETCH (UID 8 ENVELOPE (NIL {0}\r\n NIL NIL NIL NIL NIL NIL NIL NIL))',
  'B1 OK done',
];

function typed(fn: () => unknown, code?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImapParseError);
    if (code) expect((e as ImapParseError).code).toBe(code);
    return;
  }
  throw new Error('no error');
}

describe('ResponseFramer', () => {
  it('gives the same responses however the stream is cut (literals holding CRLF, empty literals, bare LF)', () => {
    expect(frames([STREAM])).toEqual(WHOLE);
    for (let i = 1; i < STREAM.length; i++) expect(frames([STREAM.subarray(0, i), STREAM.subarray(i)])).toEqual(WHOLE);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 12 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), STREAM.length];
        expect(frames(at.slice(1).map((e, i) => STREAM.subarray(at[i]!, e)))).toEqual(WHOLE);
      }),
    );
  });

  it('refuses a literal or a response over its bound before buffering it', () => {
    typed(() => frames([Buffer.from('* 1 FETCH (X {5000}\r\n')], new ResponseFramer(1 << 20, 4096)), 'oversized');
    typed(() => frames([Buffer.from('* 1 FETCH (X {99999999999}\r\n')]), 'oversized');
    const f = new ResponseFramer(1024, 512);
    typed(() => frames([Buffer.alloc(600, 0x41), Buffer.alloc(600, 0x41)], f), 'oversized');
    typed(() => frames([Buffer.from('* 1 FETCH (X {500}\r\n'), Buffer.alloc(500, 0x41), Buffer.from(` {500}\r\n`)], f), 'oversized');
  });
});

describe('tokenize', () => {
  const tok = (s: string) => tokenize(Buffer.from(s), 0, Buffer.byteLength(s));
  it('reads atoms, NIL, quoted strings with escapes, literals, nested lists and section atoms', () => {
    expect(tok('A nil "q \\"x\\" \\\\" (1 (2)) {3}\r\nabc BODY[HEADER.FIELDS (A B)]<0>')).toEqual([
      { value: 'A' },
      null,
      { value: 'q "x" \\' },
      [{ value: '1' }, [{ value: '2' }]],
      { value: 'abc' },
      { value: 'BODY[HEADER.FIELDS (A B)]<0>' },
    ]);
    expect(tok('"caf\u00e9"')).toEqual([{ value: 'caf\u00e9' }]);
  });
  it('refuses unbalanced lists, bad strings and literals, control bytes, and nesting past its bound', () => {
    for (const bad of ['(a', 'a)', '"open', '{x}\r\n', '{5}\r\nab', '{2}ab', 'a\x01b', '"a\nb"']) typed(() => tok(bad), 'malformed');
    typed(() => tok('('.repeat(MAX_DEPTH + 1) + ')'.repeat(MAX_DEPTH + 1)), 'too_deep');
    expect(() => tok('('.repeat(MAX_DEPTH) + ')'.repeat(MAX_DEPTH))).not.toThrow();
  });
});

describe('classifyResponse', () => {
  it('tells FETCH, untagged, continuation and tagged answers apart', () => {
    expect(classifyResponse(Buffer.from('* 12 FETCH (UID 1)'))).toMatchObject({ kind: 'fetch', seq: 12 });
    expect(classifyResponse(Buffer.from('* 3 EXISTS'))).toEqual({ kind: 'untagged', text: '3 EXISTS' });
    expect(classifyResponse(Buffer.from('+ go'))).toEqual({ kind: 'continue', text: 'go' });
    expect(classifyResponse(Buffer.from('B4 no [AUTHENTICATIONFAILED] nope'))).toEqual({
      kind: 'tagged',
      tag: 'B4',
      status: 'NO',
      text: '[AUTHENTICATIONFAILED] nope',
    });
    typed(() => classifyResponse(Buffer.from('B4 MAYBE')), 'malformed');
    typed(() => classifyResponse(Buffer.from('')), 'malformed');
  });
});

// ---- Differential: random FETCH answers through imapflow and through readFetch.
const q = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const word = fc.constantFrom('alice', 'Bob', 'caf\u00e9', 'x y', 'a"b', 'back\\slash', '', ' ', '"quoted"', 'Ünï');
const encoded = fc.constantFrom(
  '=?utf-8?B?Y2Fmw6k=?=',
  '=?UTF-8?Q?caf=C3=A9?= =?UTF-8?Q?_au_lait?=',
  '=?iso-8859-1?q?na=EFve?=',
  '=?utf-8?b?broken',
  'plain =?x?q?y?= tail',
);
const text = fc.oneof(
  word,
  encoded,
  fc.string({ maxLength: 12 }).map((s) =>
    s
      .replace(/[\r\n]/g, '')
      .split('\0')
      .join(''),
  ),
);
const nstring = fc.oneof({ weight: 1, arbitrary: fc.constant('NIL') }, { weight: 4, arbitrary: text.map(q) });
const address = fc
  .tuple(
    nstring,
    nstring,
    fc.oneof(
      fc.constant('NIL'),
      fc.constantFrom('"u"', '"group"', '""').map((s) => s),
    ),
    fc.constantFrom('NIL', '"h.example"', '""'),
  )
  .map((a) => `(${a.join(' ')})`);
const addresses = fc.oneof(
  fc.constant('NIL'),
  fc.array(address, { minLength: 1, maxLength: 4 }).map((l) => `(${l.join('')})`),
);
const date = fc.constantFrom('NIL', '"Mon, 01 Jan 2024 16:40:00 GMT"', '"not a date"', '""', '"2024-02-30"');
const envelope = fc
  .tuple(date, nstring, addresses, addresses, addresses, addresses, addresses, addresses, nstring, nstring)
  .map((e) => `(${e.join(' ')})`);
const params = fc.oneof(
  fc.constant('NIL'),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('charset', 'NAME', 'name*', 'name*0*', 'name*1', 'filename', 'FILENAME*', 'filename*0', 'format'),
        fc.oneof(text.map(q), fc.constantFrom('"utf-8\'\'caf%C3%A9.txt"', '"=?utf-8?Q?a.pdf?="', '""')),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((l) => `(${l.map(([k, v]) => `"${k}" ${v}`).join(' ')})`),
);
const disposition = fc.oneof(
  fc.constant('NIL'),
  fc.tuple(fc.constantFrom('"attachment"', '"INLINE"', '"inline"', '"other"'), params).map(([d, p]) => `(${d} ${p})`),
);
const leaf = fc
  .tuple(
    fc.constantFrom('"text" "plain"', '"TEXT" "html"', '"application" "pdf"', '"image" "png"'),
    params,
    fc.boolean(),
    fc.option(fc.tuple(disposition, fc.boolean()), { nil: undefined }),
  )
  .map(([type, p, lines, ext]) => {
    const base = `${type} ${p} NIL NIL "7bit" 120${type.startsWith('"text"') || type.startsWith('"TEXT"') ? (lines ? ' 4' : '') : ''}`;
    return `(${base}${ext ? ` NIL ${ext[0]}${ext[1] ? ' NIL NIL' : ''}` : ''})`;
  });
const { structure } = fc.letrec<{ structure: string; multipart: string; rfc822: string }>((tie) => ({
  structure: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('multipart'), tie('rfc822')),
  multipart: fc
    .tuple(fc.array(tie('structure'), { minLength: 1, maxLength: 3 }), fc.option(disposition, { nil: undefined }))
    .map(([kids, d]) => `(${kids.join('')} "mixed"${d ? ` ("boundary" "x") ${d}` : ''})`),
  rfc822: fc
    .tuple(envelope, tie('structure'), disposition)
    .map(([env, inner, d]) => `("message" "rfc822" NIL NIL NIL "7bit" 300 ${env} ${inner} 9 NIL ${d})`),
}));
const flags = fc.subarray(['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Deleted', '$Label', '\\seen']).map((f) => `(${f.join(' ')})`);
const fetchLine = fc
  .tuple(fc.integer({ min: 1, max: 4_000_000_000 }), flags, fc.nat(), envelope, fc.oneof(fc.constant('NIL'), structure), fc.boolean())
  .map(
    ([uid, f, size, env, bs, withModseq]) =>
      `* 1 FETCH (UID ${uid} FLAGS ${f} RFC822.SIZE ${size}${withModseq ? ' MODSEQ (12)' : ''} INTERNALDATE "01-Jan-2024 10:00:00 +0000" ENVELOPE ${env} BODYSTRUCTURE ${bs})`,
  );

const MAILBOX = { path: 'INBOX', uidValidity: 1n, uidNext: 1 } as unknown as MailboxObject;

async function viaImapflow(line: string) {
  const m = await formatMessageResponse(await parser(Buffer.from(line)), { ...MAILBOX });
  return toNew(fromImapflow(m));
}

function viaBulk(line: string) {
  const r = classifyResponse(Buffer.from(line));
  if (r.kind !== 'fetch') throw new Error('not a FETCH');
  return toNew(readFetch(r.seq, r.body));
}

describe('readFetch against imapflow', () => {
  it('stores the same uid, date, flags, size, envelope and attachment bit for the same answer', async () => {
    await fc.assert(
      fc.asyncProperty(fetchLine, async (line) => {
        expect(viaBulk(line)).toEqual(await viaImapflow(line));
      }),
      { numRuns: 400 },
    );
  });

  it('reads a Dovecot answer with literals the way imapflow reads its quoted form', async () => {
    const lit = (s: string) => `{${Buffer.byteLength(s)}}\r\n${s}`;
    const subject = 'a "quoted" subject\r\nover two lines';
    const withLiteral = `* 4 FETCH (UID 9 FLAGS (\\Seen) RFC822.SIZE 10 ENVELOPE (NIL ${lit(subject)} ((${lit('Ann')} NIL "ann" "h")) NIL NIL NIL NIL NIL NIL "<id@h>") BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 1 1))`;
    const quoted = `* 4 FETCH (UID 9 FLAGS (\\Seen) RFC822.SIZE 10 ENVELOPE (NIL ${q(subject.replace('\r\n', ' '))} ((${q('Ann')} NIL "ann" "h")) NIL NIL NIL NIL NIL NIL "<id@h>") BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 1 1))`;
    const ours = viaBulk(withLiteral);
    expect(ours).toMatchObject({ uid: 9, flags: 1, size: 10 });
    expect(ours.envelope).toEqual({ ...(await viaImapflow(quoted)).envelope, subject });
  });

  it('refuses a bad UID or size, and a FETCH that is not a list, with typed errors; a FETCH without UID has uid 0', () => {
    for (const bad of [
      '* 1 FETCH (UID x)',
      '* 1 FETCH (UID 99999999999)',
      '* 1 FETCH (RFC822.SIZE -1)',
      '* 1 FETCH UID 1',
      '* 1 FETCH (UID)',
    ])
      typed(() => viaBulk(bad));
    expect(readFetch(1, Buffer.from('(FLAGS (\\Seen))')).uid).toBe(0);
  });

  it('gives a value or a typed error for any mutation of a valid answer', () => {
    fc.assert(
      fc.property(fetchLine, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (line, edits) => {
        const b = Buffer.from(line);
        for (const [at, v] of edits) b[at % b.length] = v;
        try {
          const r = classifyResponse(b);
          if (r.kind === 'fetch') readFetch(r.seq, r.body);
        } catch (e) {
          expect(e).toBeInstanceOf(ImapParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
