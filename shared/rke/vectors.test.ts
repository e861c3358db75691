import { expect } from 'vitest';
import { describeVectorFiles, type Json } from '../../tests/support/codec-suite.js';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteReader, ByteWriter, fromHex, toHex, utf8 } from '../bytes/index.js';
import { readPreamble, writePreamble } from '../qmail/index.js';
import {
  decodeGetKeyShare,
  decodeKeyShareResponse,
  decodePreloadMasterKey,
  encodeGetKeyShare,
  encodeKeyShareResponse,
  encodePreloadMasterKey,
} from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(here, '../../../shared/conformance/qmail-open-standard/rke/vectors');
const hex = (s: string) => toHex(fromHex(s));
const annotatedAgree = (a: Json[], bytesHex: string) => expect(a.map((x) => hex(x.hex)).join('')).toBe(hex(bytesHex));
const challenge = fromHex('000102030405060708090a0b9270c965');

const handlers: Record<string, (v: Json) => void> = {
  '01-preamble.json': (v) => {
    annotatedAgree(v.annotated, v.bytes_hex);
    const p = {
      challenge,
      sessionId: new Uint8Array(8),
      coinGroup: 6,
      denomination: 0,
      serial: 42,
      reserved: 0,
      an: fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'),
    };
    const w = new ByteWriter();
    writePreamble(w, p);
    expect(toHex(w.finish())).toBe(v.bytes_hex);
    expect(readPreamble(new ByteReader(fromHex(v.bytes_hex)))).toEqual(p);
    expect(v.length_bytes).toBe(48);
  },
  '02-preload-master-key.json': (v) => {
    annotatedAgree(v.annotated, v.bytes_hex);
    const p = { contentServerId: utf8.encode('CS01'), records: [{ kid: 1, secret: Uint8Array.from({ length: 32 }, (_, i) => i) }] };
    expect(toHex(encodePreloadMasterKey(p))).toBe(v.bytes_hex);
    expect(decodePreloadMasterKey(fromHex(v.bytes_hex))).toEqual(p);
    expect(fromHex(v.bytes_hex).length).toBe(v.length_bytes);
  },
  '03-get-key-share.json': (v) => {
    annotatedAgree(v.request.annotated, v.request.bytes_hex);
    const g = {
      challenge,
      contentServerId: utf8.encode('CONTENT-SERVER01'),
      kid: 1,
      client: { denomination: 0, serial: 42 },
      timestamp: 1_785_312_000,
    };
    expect(toHex(encodeGetKeyShare(g))).toBe(v.request.bytes_hex);
    expect(decodeGetKeyShare(fromHex(v.request.bytes_hex))).toEqual(g);
    expect(fromHex(v.request.bytes_hex).length).toBe(v.request.length_bytes);
    annotatedAgree(v.response.annotated, v.response.bytes_hex);
    expect(toHex(encodeKeyShareResponse(0x2a))).toBe(v.response.bytes_hex);
    expect(decodeKeyShareResponse(fromHex(v.response.bytes_hex))).toBe(0x2a);
  },
};

describeVectorFiles('RKE/1.0 conformance vectors', dir, handlers);
