import { expect } from 'vitest';
import { describeVectorFiles, type Json } from '../../tests/support/codec-suite.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteReader, ByteWriter, fromHex, toHex } from '../bytes/index.js';
import { QMailCommand, Status, statusName } from '../raida/index.js';
import { DEFAULT_TELL_FEE, ListType } from '../drd/index.js';
import {
  FileType,
  ZERO_DELIVERED_PRECEDENCE,
  checkManifestOrder,
  decodeTell,
  encodeTell,
  fileTypeRole,
  fileTypeSuffix,
  gateDecision,
  readPreamble,
  tellStatus,
  writePreamble,
  type GateFacts,
} from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../shared/conformance/qmail-open-standard');
const dir = resolve(root, 'qmail/vectors');
const load = (name: string): Json => JSON.parse(readFileSync(resolve(dir, name), 'utf8')) as Json;

const handlers: Record<string, (v: Json) => void> = {
  '01-preamble.json': (v) => {
    const bytes = fromHex(v.bytes_hex);
    expect(bytes.length).toBe(v.length_bytes);
    const p = readPreamble(new ByteReader(bytes));
    expect(p).toMatchObject({ coinGroup: 6, denomination: 0, serial: 42, reserved: 0 });
    expect(toHex(p.challenge)).toBe('000102030405060708090a0b9270c965');
    expect(toHex(p.sessionId)).toBe('0000000000000000');
    expect(toHex(p.an)).toBe('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    // Annotated offsets agree with the bytes.
    let at = 0;
    for (const a of v.annotated as Json[]) {
      const part = fromHex(a.hex);
      expect(toHex(bytes.subarray(at, at + part.length))).toBe(toHex(part));
      at += part.length;
    }
    expect(at).toBe(48);
    const w = new ByteWriter();
    writePreamble(w, {
      challenge: fromHex('000102030405060708090a0b9270c965'),
      sessionId: new Uint8Array(8),
      coinGroup: 6,
      denomination: 0,
      serial: 42,
      reserved: 0,
      an: fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'),
    });
    expect(toHex(w.finish())).toBe(v.bytes_hex);
    const other = JSON.parse(readFileSync(resolve(dir, '..', v.cross_check.against), 'utf8')) as Json;
    expect(other.bytes_hex).toBe(v.bytes_hex);
  },
  '02-file-type-mapping.json': (v) => {
    for (const m of v.mapping as Json[]) {
      const types: number[] = typeof m.file_type === 'number' ? [m.file_type] : m.file_type === '6-9' ? [6, 7, 8, 9] : [11, 12, 42, 255];
      for (const ft of types) {
        const suffix = m.suffix === '.(N-10).bin' ? `.${ft - 10}.bin` : m.suffix;
        expect(fileTypeSuffix(ft)).toBe(suffix);
        const role = fileTypeRole(ft);
        const expected = /^Private CBDF Meta/.test(m.role)
          ? 'meta'
          : /^Body/.test(m.role)
            ? 'body'
            : /Styles/.test(m.role)
              ? 'style'
              : /Text section/.test(m.role)
                ? 'text'
                : /Resources/.test(m.role)
                  ? 'resource'
                  : /Logic/.test(m.role)
                    ? 'logic'
                    : m.role === 'Reserved'
                      ? 'reserved'
                      : 'attachment';
        expect(role).toBe(expected);
      }
      if (m.example_object) expect(existsSync(resolve(dir, '..', m.example_object))).toBe(true);
    }
    const order = (v.manifest_order as Json[]).sort((a, b) => a.position - b.position).map((e) => e.file_type as number);
    expect(order).toEqual([FileType.META, FileType.BODY, FileType.FIRST_ATTACHMENT]);
    expect(() => checkManifestOrder(order)).not.toThrow();
    expect(() => checkManifestOrder([1, 0, 10])).toThrow();
    // The order survives a Tell round trip byte for byte.
    const tell = {
      preamble: readPreamble(new ByteReader(fromHex(load('01-preamble.json').bytes_hex))),
      fileGroupGuid: new Uint8Array(16).fill(7),
      timestamp: 1_700_000_000,
      tellType: 0,
      beaconPaymentLocker: new Uint8Array(8),
      recipients: [{ addressType: 0, address: { coinGroup: 6, denomination: 0, serial: 43 }, lockerKey: new Uint8Array(16) }],
      servers: [],
      manifest: order.map((fileType, i) => ({ fileType, size: 100 + i, crc32: i })),
    };
    const bytes = encodeTell(tell);
    expect(decodeTell(bytes).manifest.map((m) => m.fileType)).toEqual(order);
    expect(toHex(encodeTell(decodeTell(bytes)))).toBe(toHex(bytes));
  },
  '03-tell-drd-gate.json': (v) => {
    expect(v.evaluation_order).toEqual(['blacklist', 'whitelist', 'class_rejection', 'inbox_fee']);
    const base: GateFacts = {
      hostedHere: true,
      senderDenomination: 0,
      defaultFee: DEFAULT_TELL_FEE,
      record: { fee: 10n * 100_000_000n, classRejection: 0 },
    };
    const facts: Record<string, GateFacts> = {
      'whitelisted sender': { ...base, listEntry: ListType.WHITE, record: { fee: 10n ** 12n, classRejection: 6 } },
      'blacklisted sender': { ...base, listEntry: ListType.BLACK, locker: 10n ** 12n },
      'class-rejected (sender denom below recipient CR)': {
        ...base,
        senderDenomination: -1,
        record: { fee: 0n, classRejection: 1 },
        locker: 10n ** 12n,
      },
      'fee owed, no locker supplied': { ...base },
      'fee owed, locker below fee': { ...base, locker: 999_999_999n },
      'fee owed, funded locker': { ...base, locker: 1_000_000_000n },
      'recipient has NO DRD record': { ...base, record: undefined, locker: 1_000_000_000n },
      'fee lookup dependency failed': { ...base, record: 'unavailable' },
    };
    for (const s of v.scenarios as Json[]) {
      const f = facts[s.case as string];
      expect(f, `no facts for scenario ${s.case}`).toBeDefined();
      const d = gateDecision(f!);
      const code = Number(/^\d+/.exec(s.status)![0]);
      expect(d.status, s.case).toBe(code);
      expect(d.deliver, s.case).toBe(code === 250);
      if (s.case === 'recipient has NO DRD record') {
        expect(gateDecision({ ...f!, locker: undefined }).status).toBe(169); // "else 169"
        expect(d.deliver && d.fee).toBe(DEFAULT_TELL_FEE);
      }
      if (s.case === 'blacklisted sender') expect(tellStatus([d])).toBe(236);
      if (s.case === 'fee lookup dependency failed') expect(d.deliver === false && d.retryable).toBe(true);
    }
    const precedence = (v.zero_delivered_precedence as string[]).map((x) => Number(/^\d+/.exec(x)![0]));
    expect(ZERO_DELIVERED_PRECEDENCE.filter((c) => c !== Status.PAYMENT_PROCESSING)).toEqual(precedence);
    // Every pair: with zero deliveries the more specific failure wins; one delivery makes it 250.
    const byStatus = new Map(
      precedence.map((c) => [c, { deliver: false as const, status: c, retryable: false, reason: 'blacklisted' as const }]),
    );
    for (let i = 0; i < precedence.length; i++) {
      for (let j = i; j < precedence.length; j++) {
        expect(tellStatus([byStatus.get(precedence[j]!)!, byStatus.get(precedence[i]!)!])).toBe(precedence[i]);
      }
    }
    expect(tellStatus([byStatus.get(236)!, gateDecision(facts['fee owed, funded locker']!)])).toBe(250);
  },
  '04-status-flow.json': (v) => {
    const codes = (v.flow as Json[]).flatMap((s) => [...(s.command as string).matchAll(/\((\d+)\)/g)].map((m) => Number(m[1])));
    expect(codes).toEqual([
      QMailCommand.UPLOAD,
      QMailCommand.UPLOAD_LARGE_PAGE,
      QMailCommand.TELL,
      QMailCommand.PING,
      QMailCommand.PEEK,
      QMailCommand.DOWNLOAD,
    ]);
    for (const s of v.flow as Json[]) expect(s.expect).toMatch(/^250/);
    for (const [code, text] of Object.entries(v.common_errors as Record<string, string>)) {
      expect(text.startsWith(`ERROR_${statusName(Number(code))}`)).toBe(true);
    }
  },
};

describeVectorFiles('QMail/1.0 conformance vectors', dir, handlers);
