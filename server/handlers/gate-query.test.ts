import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Group, Status } from '../../shared/raida/index.js';
import { QMailError } from '../../shared/qmail/index.js';
import {
  GATE_QUERY_COMMAND,
  GateOutcome,
  decodeGateAnswer,
  decodeGateQuery,
  encodeGateAnswer,
  encodeGateQuery,
} from '../../shared/qmail/gate-query.js';
import { tempDir } from '../../tests/support/tmp.js';
import { startServer, type RunningServer } from '../node.js';
import { RaidaConnection, newIdentity, preambleFor, type Identity } from '../testing/client.js';

let dir: ReturnType<typeof tempDir>;
let node: RunningServer;
let c: RaidaConnection;
const CC = 100_000_000n;
const sender = newIdentity(6000);
const lowSender = newIdentity(6001, -2);
const free = newIdentity(6100);
const fee = newIdentity(6101);
const white = newIdentity(6102);
const black = newIdentity(6103);
const classy = newIdentity(6104);
const norecord = newIdentity(6105);

const record = (who: Identity, units: bigint, classReject = 0) => ({
  mailbox: who,
  firstName: 'A',
  lastName: 'B',
  fee: units,
  symbol1: 0,
  symbol2: 0,
  classReject,
  createdAt: 1,
  updatedAt: 1,
});

async function ask(from: Identity, to: Identity, opts: { aead?: boolean; an?: Uint8Array } = { aead: true }) {
  const body = encodeGateQuery({ preamble: preambleFor(from, opts.an ?? from.an), recipient: { coinGroup: 6, ...to } });
  const res = await c.call(Group.QMAIL, GATE_QUERY_COMMAND, body, opts.aead ? { key: from, aead: true } : {});
  return { status: res.status, answer: res.status === Status.SUCCESS ? decodeGateAnswer(res.payload) : undefined };
}

beforeAll(async () => {
  dir = tempDir('qmail-gate-query-');
  node = await startServer({ dataDir: dir.path, storage: { durable: false }, log: { level: 'silent' }, drd: { defaultTellFee: 7 } });
  for (const who of [sender, lowSender, free, fee, white, black, classy, norecord]) await node.storage.setAn(who, who.an);
  await node.storage.putUser(record(free, 0n));
  await node.storage.putUser(record(fee, 3n * CC));
  await node.storage.putUser(record(white, 3n * CC));
  await node.storage.putUser(record(black, 0n));
  await node.storage.putUser(record(classy, 0n, -1));
  await node.storage.listSet(white, 'white', sender);
  await node.storage.listSet(black, 'black', sender);
  c = await RaidaConnection.open(node.port);
});
afterAll(async () => {
  c?.close();
  await node?.close();
  dir?.remove();
});

describe('gate query (EXT-11)', () => {
  it('answers every gate outcome for the caller, in the gate’s own order', async () => {
    expect((await ask(sender, free)).answer).toEqual({ outcome: GateOutcome.FREE, fee: 0n });
    expect((await ask(sender, fee)).answer).toEqual({ outcome: GateOutcome.FEE, fee: 3n * CC });
    expect((await ask(sender, white)).answer).toEqual({ outcome: GateOutcome.WHITE, fee: 0n });
    expect((await ask(sender, black)).answer).toEqual({ outcome: GateOutcome.BLACK, fee: 0n });
    expect((await ask(sender, norecord)).answer).toEqual({ outcome: GateOutcome.DEFAULT, fee: 7n * CC });
    expect((await ask(lowSender, classy)).answer).toEqual({ outcome: GateOutcome.CLASS, fee: 0n });
    expect((await ask(sender, classy)).answer).toEqual({ outcome: GateOutcome.FREE, fee: 0n });
    expect((await ask(sender, newIdentity(6999))).answer).toEqual({ outcome: GateOutcome.NOT_HERE, fee: 0n });
  });

  it('tells each caller about itself only: another sender sees the recipient’s fee, not the white list entry', async () => {
    expect((await ask(lowSender, white)).answer).toEqual({ outcome: GateOutcome.FEE, fee: 3n * CC });
    expect((await ask(lowSender, black)).answer).toEqual({ outcome: GateOutcome.FREE, fee: 0n });
  });

  it('answers only an authenticated, sealed caller', async () => {
    expect((await ask(sender, white, { aead: false })).status).toBe(Status.INVALID_ENCRYPTION);
    const stranger = newIdentity(6200);
    expect((await ask(stranger, white, { aead: false })).status).toBe(Status.COIN_NOT_FOUND);
    // Asking as someone else with a guessed AN: refused, whatever the list holds.
    const forged = { ...sender, an: newIdentity(1).an };
    expect((await ask(forged, white, { aead: false })).status).toBe(Status.INVALID_AN);
  });

  it('codecs round-trip and refuse malformed bodies and answers with a typed error', () => {
    const q = { preamble: preambleFor(sender), recipient: { coinGroup: 6, denomination: 0, serial: 42 } };
    expect(decodeGateQuery(encodeGateQuery(q))).toEqual(q);
    const body = encodeGateQuery(q);
    expect(() => decodeGateQuery(body.subarray(0, body.length - 3))).toThrow(QMailError);
    expect(() => decodeGateQuery(new Uint8Array([1, 2, 0x3e, 0x3e]))).toThrow(QMailError);
    expect(decodeGateAnswer(encodeGateAnswer({ outcome: GateOutcome.DEFAULT, fee: 5n }))).toEqual({
      outcome: GateOutcome.DEFAULT,
      fee: 5n,
    });
    expect(() => decodeGateAnswer(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(QMailError);
    expect(() => decodeGateAnswer(new Uint8Array([GateOutcome.WHITE, 0, 0, 0, 0, 0, 0, 0, 1]))).toThrow(QMailError);
    expect(() => decodeGateAnswer(new Uint8Array([0, 0]))).toThrow(QMailError);
  });
});
