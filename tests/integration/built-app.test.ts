// The app as `npm start` runs it without Electron (and `npm run web` always): the Node
// bundles Vite builds (entries in dist/node/, shared code in dist/node/chunks/), started
// from a package laid out as a release is — package.json, bin/ and dist/ only, no
// TypeScript sources — so every path the bundles derive at run time (the qmail-server and
// qmail scripts the embedded network spawns, the renderer folder, the version) is the
// built one. The e2e suite runs the host from source and cannot see these.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { tempDir } from '../support/tmp.js';

// Inside the project, so the bundles find node_modules as dist/ does.
const pkg = join('artifacts', `built-app-${process.pid}`);
const profile = tempDir('qmail-built-');

beforeAll(() => {
  rmSync(pkg, { recursive: true, force: true });
  mkdirSync(pkg, { recursive: true });
  cpSync('package.json', join(pkg, 'package.json'));
  cpSync('bin', join(pkg, 'bin'), { recursive: true });
  const build = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'vite.node.config.ts', '--outDir', join(pkg, 'dist'), '--logLevel', 'error'],
    { encoding: 'utf8' },
  );
  expect(build.status, build.stderr).toBe(0);
  // The renderer build is its own config; a page is enough for the host to serve.
  mkdirSync(join(pkg, 'dist', 'renderer'), { recursive: true });
  writeFileSync(join(pkg, 'dist', 'renderer', 'index.html'), '<!doctype html><title>QMail Desktop</title>\n');
}, 120_000);

afterAll(() => {
  rmSync(pkg, { recursive: true, force: true });
  profile.remove();
});

/** Resolves with the first line of `stream` that matches, rejects when the process exits first. */
function lineMatching(proc: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, seen: string[]): Promise<RegExpMatchArray> {
  return new Promise((res, rej) => {
    const lines = createInterface({ input: proc[stream]! });
    lines.on('line', (l) => {
      seen.push(l);
      const m = l.match(re);
      if (m) res(m);
    });
    proc.once('exit', (code) => rej(new Error(`exited with ${code} before ${re}:\n${seen.join('\n')}`)));
  });
}

describe('the built app', () => {
  it('prints its version from a chunk', () => {
    const r = spawnSync(process.execPath, [join(pkg, 'dist', 'node', 'cli.js'), '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('npm start without Electron says so and runs host mode: the embedded network, its correspondent, the URL', async () => {
    // Electron installed without its binary, as where the download is blocked: requiring it throws.
    mkdirSync(join(pkg, 'node_modules', 'electron'), { recursive: true });
    writeFileSync(join(pkg, 'node_modules', 'electron', 'index.js'), "throw new Error('Electron failed to install correctly');\n");
    const host = spawn(process.execPath, [join(pkg, 'bin', 'start.js'), '--profile', profile.path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    try {
      const started = Date.now();
      const [, url] = await lineMatching(host, 'stdout', /^QMail Desktop is running at (http:\/\/127\.0\.0\.1:\d+\/\S*)$/, out).catch(
        (e: Error) => {
          throw new Error(`${e.message}\n${err.join('\n')}`);
        },
      );
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(out[0]).toBe(
        'Electron is not installed on this machine (it is optional), so QMail Desktop runs in host mode: open the address below in your browser.',
      );
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('QMail Desktop');
      // The correspondent is `bin/qmail.js correspondent`, spawned from the built bundle too.
      const [, address] = await lineMatching(host, 'stderr', /network: the correspondent (?:answers at (\S+)|did not start.*)$/, err);
      expect(address, err.join('\n')).toMatch(/^0006\.0\.\d+$/);
    } finally {
      if (host.exitCode === null && host.signalCode === null) {
        const exited = new Promise((r) => host.once('exit', r));
        host.kill('SIGTERM');
        await exited;
      }
    }
  }, 120_000);
});
