import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createAppServices, type AppServices } from '../services/app/services.js';
import { startHost, type Host } from './host.js';
import { resolveInside } from './static.js';
import { tempDir, TEST_KDF } from '../../tests/support/tmp.js';
import { TOKEN_PROTOCOL_PREFIX } from '../../shared/ipc/index.js';

let dir: { path: string; remove: () => void };
let services: AppServices;
let host: Host;

beforeEach(async () => {
  dir = tempDir();
  const renderer = join(dir.path, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>QMail</title>');
  writeFileSync(join(dir.path, 'secret.txt'), 'outside the root');
  services = createAppServices({ profileDir: join(dir.path, 'profile'), host: 'web', version: '9.9.9', kdf: TEST_KDF });
  host = await startHost({ services, rendererDir: renderer });
});
afterEach(async () => {
  await host.close();
  services.close();
  dir.remove();
});

function connect(protocols: string[], origin?: string, hostHeader?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, protocols, {
      ...(origin ? { origin } : {}),
      ...(hostHeader ? { headers: { host: hostHeader } } : {}),
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** GET / with a Host header of our choosing (fetch does not let a caller set one). */
function getWithHost(hostHeader: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: host.port,
        path: '/',
        method: 'GET',
        setHost: false,
        headers: hostHeader === undefined ? {} : { host: hostHeader },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

function call(ws: WebSocket, id: number, ch: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString());
      if (frame.t === 'res' && frame.id === id) {
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ t: 'req', id, ch, input }));
  });
}

describe('host mode', () => {
  it('serves the renderer with a strict CSP on loopback', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await res.text()).toContain('<title>QMail</title>');
  });

  it('never serves a file outside the renderer folder', async () => {
    expect(resolveInside('/srv/r', '/../secret.txt')).toBe('/srv/r/secret.txt');
    expect(resolveInside('/srv/r', '/%2e%2e/%2e%2e/etc/passwd')).toBe('/srv/r/etc/passwd');
    expect(resolveInside('/srv/r', '/a%00b')).toBeNull();
    const res = await fetch(`http://127.0.0.1:${host.port}/..%2Fsecret.txt`);
    expect(res.status).toBe(404);
  });

  it('refuses a socket without the token, with a wrong token, or from another origin', async () => {
    await expect(connect([])).rejects.toThrow(/401/);
    await expect(connect([`${TOKEN_PROTOCOL_PREFIX}${'A'.repeat(43)}`])).rejects.toThrow(/401/);
    await expect(connect([`${TOKEN_PROTOCOL_PREFIX}${host.token}`], 'http://evil.example')).rejects.toThrow(/401/);
  });

  it('finding 9 — refuses HTTP requests and WebSocket upgrades whose Host is not our loopback address and port (DNS rebinding)', async () => {
    const p = host.port;
    for (const ok of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) expect(await getWithHost(ok)).toBe(200);
    for (const bad of [
      'attacker.example',
      `attacker.example:${p}`,
      `127.0.0.1:${p + 1}`,
      '127.0.0.1',
      `localhost.attacker.example:${p}`,
      `127.0.0.2:${p}`,
    ]) {
      expect(await getWithHost(bad)).toBe(421);
    }
    // No Host at all: node's HTTP parser already answers 400.
    expect(await getWithHost(undefined)).toBe(400);
    const proto = [`${TOKEN_PROTOCOL_PREFIX}${host.token}`];
    // Even with the token and a matching origin, a rebound name does not get the socket.
    await expect(connect(proto, `http://127.0.0.1:${p}`, `attacker.example:${p}`)).rejects.toThrow(/421/);
    const ws = await connect(proto, `http://localhost:${p}`, `localhost:${p}`);
    expect((await call(ws, 1, 'app.info', {})).value).toMatchObject({ host: 'web' });
    ws.close();
  });

  it('drives the contract end to end: create, save a draft, list it', async () => {
    const ws = await connect([`${TOKEN_PROTOCOL_PREFIX}${host.token}`], `http://127.0.0.1:${host.port}`);
    const events: unknown[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.t === 'evt') events.push(f);
    });
    expect((await call(ws, 1, 'vault.state', {})).value).toEqual({ state: 'absent', keychain: false });
    expect((await call(ws, 2, 'mail.folders', {})).error?.code).toBe('vault_absent');
    expect((await call(ws, 3, 'vault.create', { passphrase: 'short' })).error?.code).toBe('invalid_input');
    expect((await call(ws, 4, 'vault.create', { passphrase: 'a long enough passphrase' })).value).toEqual({
      state: 'unlocked',
      keychain: false,
    });
    const saved = await call(ws, 5, 'drafts.save', { to: ['bob'], subject: 'Hello', body: 'First draft' });
    const id = (saved.value as { id: string }).id;
    const list = await call(ws, 6, 'mail.list', { folder: 'drafts' });
    expect(list.value).toMatchObject({ total: 1, items: [{ id, subject: 'Hello', preview: 'First draft' }] });
    expect((await call(ws, 7, 'nope.nothing', {})).error?.code).toBe('unknown_channel');
    expect((await call(ws, 8, 'mail.get', { id: '../../etc/passwd' })).error?.code).toBe('invalid_input');
    expect(events).toContainEqual({ t: 'evt', ch: 'mail.changed', payload: { folders: ['drafts'] } });
    ws.close();
  });

  it('closes the socket on a malformed frame and keeps serving others', async () => {
    const proto = [`${TOKEN_PROTOCOL_PREFIX}${host.token}`];
    const bad = await connect(proto);
    const closed = new Promise<number>((r) => bad.once('close', (code) => r(code)));
    bad.send('{not json');
    expect(await closed).toBe(1007);
    const good = await connect(proto);
    expect((await call(good, 1, 'app.info', {})).value).toMatchObject({ version: '9.9.9', host: 'web' });
    good.close();
  });
});
