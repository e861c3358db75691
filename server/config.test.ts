import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ConfigError, loadConfigFile, parseConfig } from './config.js';

describe('server config', () => {
  it('fills sane defaults and resolves dataDir against the config file', () => {
    const c = parseConfig({}, '/srv/q');
    expect(c.dataDir).toBe('/srv/q/qmail-data');
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(c.storage.backend).toBe('sqlite');
    expect(c.limits.maxObjectBytes).toBe(64 * 1024 * 1024);
    expect(c.drd.defaultTellFee).toBe(10);
    expect(c.limits).toMatchObject({
      maxConnections: 512,
      maxConnectionsPerAddress: 32,
      requestTimeoutMs: 30_000,
      preAuthBytes: 64 * 1024,
      maxBufferedBytes: 128 * 1024 * 1024,
    });
  });

  it('rejects bad values, unknown keys and a postgres backend without URL, naming the field', () => {
    expect(() => parseConfig({ listen: { port: 70000 } })).toThrow(/listen\.port/);
    expect(() => parseConfig({ limits: { maxObjectBytes: 'big' } })).toThrow(ConfigError);
    expect(() => parseConfig({ colour: 'blue' })).toThrow(/colour|Unrecognized/);
    expect(() => parseConfig({ storage: { backend: 'postgres' } })).toThrow(/postgresUrl/);
    expect(() => parseConfig({ operator: { inboxFeeCut: 2 } })).toThrow(/inboxFeeCut/);
    expect(() => parseConfig({ limits: { maxBufferedBytes: 2 * 1024 * 1024 } })).toThrow(/maxBufferedBytes/);
    expect(() => parseConfig({ limits: { preAuthBytes: 1024 } })).toThrow(/preAuthBytes/);
  });

  it('loads files and reports unreadable or non-JSON ones as ConfigError', () => {
    const d = mkdtempSync(join(tmpdir(), 'qmail-cfg-'));
    try {
      writeFileSync(join(d, 'ok.json'), JSON.stringify({ dataDir: 'data', raidaId: 3 }));
      writeFileSync(join(d, 'bad.json'), '{ nope');
      expect(loadConfigFile(join(d, 'ok.json'))).toMatchObject({ dataDir: join(d, 'data'), raidaId: 3 });
      expect(() => loadConfigFile(join(d, 'bad.json'))).toThrow(/not valid JSON/);
      expect(() => loadConfigFile(join(d, 'missing.json'))).toThrow(ConfigError);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('the qmail-server command prints help, the effective config, and config errors with exit 1', () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'qmail-server.js');
    const help = execFileSync(process.execPath, [bin, '--help']).toString();
    expect(help).toMatch(/--config <file>/);
    expect(help).toMatch(/qmail-server directory/);
    const eff = JSON.parse(execFileSync(process.execPath, [bin, '--data', '/tmp/x', '--port', '7100', '--print-config']).toString()) as {
      listen: { port: number };
    };
    expect(eff.listen.port).toBe(7100);
    const bad = spawnSync(process.execPath, [bin, '--port', '99999', '--print-config']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.toString()).toMatch(/listen\.port/);
  }, 30_000);
});
