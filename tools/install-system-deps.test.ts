// tools/install-system-deps.sh against stand-ins for dpkg-query, id, apt-get and sudo on a
// PATH of their own: what it runs as root, as a user with sudo, and as a user without.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../tests/support/tmp.js';

const tmp = tempDir('qmail-deps-');
// The script's own list, so adding a package does not need the test rewritten.
const ALL = /^packages=\(([^)]*)\)/m.exec(readFileSync('tools/install-system-deps.sh', 'utf8'))![1]!.trim().split(/\s+/);
const others = (...p: string[]) => ALL.filter((x) => !p.includes(x)).join(' ');
afterAll(() => tmp.remove());

let n = 0;
function run(o: { uid: number; sudo: boolean; present: string[] }) {
  const bin = join(tmp.path, `bin-${n++}`);
  const calls = join(bin, 'calls.log');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(calls, '');
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const record = `echo "$(basename "$0") $*" >> '${calls}'`;
  stub('id', `echo ${o.uid}`);
  stub('dpkg-query', `for p in ${o.present.join(' ')}; do [ "$p" = "$3" ] && { echo "install ok installed"; exit 0; }; done; exit 1`);
  stub('apt-get', record);
  if (o.sudo) stub('sudo', `${record}\nexec "$@"`);
  for (const tool of ['grep', 'env', 'basename'])
    symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool));
  const r = spawnSync('/bin/bash', ['tools/install-system-deps.sh'], { encoding: 'utf8', env: { PATH: bin } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
}

describe('tools/install-system-deps.sh', () => {
  it('lists what the e2e, the second storage backend and the legacy-mail tests need', () => {
    expect(ALL).toEqual(
      expect.arrayContaining(['chromium', 'postgresql', 'openssl', 'dovecot-imapd', 'dovecot-pop3d', 'postfix', 'isync']),
    );
  });

  it('as root installs what is missing without sudo', () => {
    const r = run({ uid: 0, sudo: false, present: ['openssl'] });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual(['apt-get update -qq', `apt-get install -y -qq --no-install-recommends ${others('openssl')}`]);
  });

  it('as another user asks sudo itself', () => {
    const r = run({ uid: 1000, sudo: true, present: ['chromium'] });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual([
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'apt-get update -qq',
      `sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${others('chromium')}`,
      `apt-get install -y -qq --no-install-recommends ${others('chromium')}`,
    ]);
  });

  it('as another user without sudo says what to do and installs nothing', () => {
    const r = run({ uid: 1000, sudo: false, present: [] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`missing: ${ALL.join(' ')}; `);
    expect(r.stderr).toMatch(/sudo is not available: run this script as root/);
    expect(r.calls).toEqual([]);
  });

  it('needs nothing when everything is present', () => {
    const r = run({ uid: 1000, sudo: false, present: ALL });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('all present');
    expect(r.calls).toEqual([]);
  });
});
