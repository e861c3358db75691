// The qmail-kme binary: `pair` writes kme.json, serves ETSI 014 over mutual TLS, and
// stops cleanly on SIGTERM.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import type { KmePairFile } from './pair.js';

const dir = mkdtempSync(join(tmpdir(), 'qmail-kme-bin-'));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, cert: string, key: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { cert: readFileSync(cert), key: readFileSync(key), ca: readFileSync(ca) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('qmail-kme pair', () => {
  it('runs two linked KMEs until SIGTERM', async () => {
    child = spawn(process.execPath, ['bin/qmail-kme.js', 'pair', '--dir', dir, '--initial', '2048', '--rate', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('qmail-kme did not start in 20 s')), 20_000);
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (!out.includes('\n')) return;
        clearTimeout(timer);
        resolve(out);
      });
      child!.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited ${code}`));
      });
    });
    expect(JSON.parse(ready)).toMatchObject({ ready: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'kme.json'), 'utf8')) as KmePairFile;
    expect(cfg.kmeA).toMatchObject({ kmeId: 'KME_A', saeId: 'SAE_ALICE', peerSaeId: 'SAE_BOB' });
    const a = cfg.kmeA;
    const st = await get(`${a.url}/api/v1/keys/${a.peerSaeId}/status`, a.saeCert, a.saeKey, a.ca);
    expect(st.status).toBe(200);
    expect(JSON.parse(st.body)).toMatchObject({ stored_key_count: 8, target_KME_ID: 'KME_B' });
    const b = cfg.kmeB;
    const enc = await get(`${b.url}/api/v1/keys/${b.peerSaeId}/enc_keys?number=8`, b.saeCert, b.saeKey, b.ca);
    expect(JSON.parse(enc.body).keys).toHaveLength(8);
    const empty = await get(`${b.url}/api/v1/keys/${b.peerSaeId}/enc_keys`, b.saeCert, b.saeKey, b.ca);
    expect(empty.status).toBe(503);
    expect(JSON.parse(empty.body)).toMatchObject({ message: 'keys are being exhausted' });
    const code = await new Promise<number | null>((resolve) => {
      child!.on('exit', (c) => resolve(c));
      child!.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
