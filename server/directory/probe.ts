// The directory measures the servers it lists instead of believing their descriptors
// (issue 12, finding 8): every round it connects to each listed host:port, sends one RAIDA
// echo (group 0, command 0, clear) and waits for a 32-byte answer with status 250 whose
// signature is our challenge. Bounded: one small request per server per round, a few at a
// time, a short deadline, at most 32 bytes read.
import { connect } from 'node:net';
import { HEADER_LENGTH, Status, encodeRequest, newChallenge } from '../../shared/raida/index.js';
import { constantTimeEqual } from '../../shared/bytes/index.js';

export interface ProbeTarget {
  nodeId: string;
  host: string;
  port: number;
  raidaId: number;
}

/** Round-trip time in ms when the server answered the echo as a RAIDA node, else undefined. */
export function probeEcho(t: ProbeTarget, timeoutMs: number): Promise<number | undefined> {
  const challenge = newChallenge();
  const req = encodeRequest({ raidaId: t.raidaId, group: 0, command: 0, body: new Uint8Array([...challenge, 0x3e, 0x3e]) });
  return new Promise((resolve) => {
    const t0 = performance.now();
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (v: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const sock = connect({ host: t.host, port: t.port });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('connect', () => sock.write(req.packet));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]).subarray(0, HEADER_LENGTH);
      if (got.length < HEADER_LENGTH) return;
      const ok = got[2] === Status.SUCCESS && constantTimeEqual(new Uint8Array(got.subarray(16, 32)), challenge);
      finish(ok ? performance.now() - t0 : undefined);
    });
    sock.on('error', () => finish(undefined));
    sock.on('close', () => finish(undefined));
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
