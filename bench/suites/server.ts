// qmail-server throughput against a local node (a real child process):
//  - upload (cmd 70) MB/s vs. the raw durable file write it must do (write+fsync+rename),
//  - download (cmd 74, 256 KiB pages) MB/s vs. raw TCP echo of the same chunks on loopback,
//  - a small command (peek, 73: AN check + DB read) requests/s vs. raw TCP ping-pong,
//  - server RSS under load vs. the same server idle.
// Each figure is the median of several runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, writeSync, fsyncSync, closeSync, renameSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, type BenchResult, type Suite } from '../types.js';
import { Group, QMailCommand, Status } from '../../shared/raida/index.js';
import { encodeDownload, encodePeek, encodeRegister, encodeUpload } from '../../shared/qmail/index.js';
import { RaidaConnection, newIdentity, preambleFor } from '../../server/testing/client.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const MB = 1024 * 1024;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startNode(dataDir: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'qmail-server.js'), '--data', dataDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((res, rej) => {
    createInterface({ input: proc.stdout! }).once('line', res);
    proc.once('exit', (c) => rej(new Error(`qmail-server exited ${c}`)));
  });
  const ready = JSON.parse(line) as { port: number };
  return {
    port: ready.port,
    pid: proc.pid!,
    stop: () =>
      new Promise((r) => {
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      }),
  };
}

/** Raw reference: write+fsync+rename+fsync(dir) of `n` blobs of `size` bytes. */
function rawDurableWrites(dir: string, n: number, size: number): number {
  const data = randomBytes(size);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const tmp = join(dir, `raw-${i}.tmp`);
    const fd = openSync(tmp, 'w');
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(dir, `raw-${i}.blob`));
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  }
  return (n * size) / MB / ((performance.now() - t0) / 1000);
}

async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const s = createServer((c) => c.pipe(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { port: (s.address() as { port: number }).port, close: () => new Promise((r) => s.close(() => r())) };
}

/** Sends `n` messages of `size` bytes one at a time, waiting for each echo. Returns messages/s and MB/s. */
async function echoRoundTrips(port: number, n: number, size: number): Promise<{ perSec: number; mbps: number }> {
  const sock: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => sock.once('connect', r));
  const msg = randomBytes(size);
  let got = 0;
  let want = size;
  let wake: (() => void) | null = null;
  sock.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= want && wake) wake();
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    want = (i + 1) * size;
    await new Promise<void>((r) => {
      wake = r;
      sock.write(msg);
      if (got >= want) r();
    });
  }
  const s = (performance.now() - t0) / 1000;
  sock.destroy();
  return { perSec: n / s, mbps: (n * size) / MB / s };
}

const suite: Suite = {
  name: 'server',
  async run(ctx) {
    const runs = ctx.quick ? 2 : 5;
    const objects = ctx.quick ? 6 : 24;
    const objSize = MB;
    const smallN = ctx.quick ? 300 : 2000;
    const dir = mkdtempSync(join(tmpdir(), 'qmail-bench-'));
    const node = await startNode(join(dir, 'node'));
    const echo = await echoServer();
    const conn = await RaidaConnection.open(node.port);
    try {
      const idleRss = rssMb(node.pid);
      const me = newIdentity(77);
      const reg = await conn.call(
        Group.QMAIL,
        QMailCommand.REGISTER,
        encodeRegister({ preamble: preambleFor(me, new Uint8Array(16)), newAn: me.an, flags: 0 }),
      );
      if (reg.status !== Status.SUCCESS) throw new Error(`register failed: ${reg.status}`);
      const data = new Uint8Array(randomBytes(objSize));
      const guids: Uint8Array[] = [];
      const up: number[] = [];
      const upRef: number[] = [];
      const down: number[] = [];
      const downRef: number[] = [];
      const small: number[] = [];
      const smallRef: number[] = [];
      let peakRss = idleRss;
      for (let r = 0; r < runs; r++) {
        let t0 = performance.now();
        for (let i = 0; i < objects; i++) {
          const g = new Uint8Array(randomBytes(16));
          const res = await conn.call(
            Group.QMAIL,
            QMailCommand.UPLOAD,
            encodeUpload({
              preamble: preambleFor(me),
              fileGroupGuid: g,
              lockerCode: new Uint8Array(8),
              fileType: 10,
              storageDuration: 0,
              data,
            }),
            { key: me },
          );
          if (res.status !== Status.SUCCESS) throw new Error(`upload failed: ${res.status}`);
          guids.push(g);
        }
        up.push((objects * objSize) / MB / ((performance.now() - t0) / 1000));
        peakRss = Math.max(peakRss, rssMb(node.pid));
        upRef.push(rawDurableWrites(join(dir, 'node'), objects * (objSize / (256 * 1024)), 256 * 1024));

        const pages = objects * 4;
        t0 = performance.now();
        for (let i = 0; i < pages; i++) {
          const res = await conn.call(
            Group.QMAIL,
            QMailCommand.DOWNLOAD,
            encodeDownload({
              preamble: preambleFor(me),
              fileGroupGuid: guids[guids.length - 1 - (i >> 2)]!,
              fileType: 10,
              version: 1,
              bytesPerPage: 0,
              page: i & 3,
            }),
            { key: me },
          );
          if (res.status !== Status.SUCCESS) throw new Error(`download failed: ${res.status}`);
        }
        down.push((pages * 256 * 1024) / MB / ((performance.now() - t0) / 1000));
        peakRss = Math.max(peakRss, rssMb(node.pid));
        downRef.push((await echoRoundTrips(echo.port, pages, 256 * 1024)).mbps);

        t0 = performance.now();
        for (let i = 0; i < smallN; i++) {
          const res = await conn.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(me), since: 0 }), { key: me });
          if (res.status !== Status.SUCCESS) throw new Error(`peek failed: ${res.status}`);
        }
        small.push(smallN / ((performance.now() - t0) / 1000));
        smallRef.push((await echoRoundTrips(echo.port, smallN, 120)).perSec);
        ctx.log(
          `run ${r + 1}/${runs}: upload ${up.at(-1)!.toFixed(1)} MB/s, download ${down.at(-1)!.toFixed(1)} MB/s, peek ${small.at(-1)!.toFixed(0)}/s`,
        );
      }
      const row = (name: string, v: number[], unit: string, refName: string, ref: number[], notes?: string): BenchResult => {
        const value = median(v);
        const reference_value = median(ref);
        return { name, value, unit, reference_name: refName, reference_value, ratio: value / reference_value, ...(notes ? { notes } : {}) };
      };
      return [
        row(
          'server upload 1 MiB objects (cmd 70, AES-CTR, durable)',
          up,
          'MB/s',
          'raw 256 KiB write+fsync+rename',
          upRef,
          `${objects} objects x ${runs} runs`,
        ),
        row(
          'server download 256 KiB pages (cmd 74)',
          down,
          'MB/s',
          'raw TCP echo 256 KiB, loopback',
          downRef,
          `${objects * 4} pages x ${runs} runs`,
        ),
        row(
          'server peek requests (cmd 73, one connection)',
          small,
          'req/s',
          'raw TCP ping-pong 120 B, loopback',
          smallRef,
          `${smallN} x ${runs} runs`,
        ),
        {
          name: 'server RSS under load',
          value: peakRss,
          unit: 'MB',
          reference_name: 'same server idle',
          reference_value: idleRss,
          ratio: peakRss / idleRss,
        },
      ];
    } finally {
      conn.close();
      await echo.close();
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
