// electron-builder.yml as electron-builder itself reads and validates it: every file it
// names exists (the icon set, the mac and Windows icons), the Linux desktop entry's fields
// are those of resources/qmail-desktop.desktop, and electronVersion is the Electron that
// package.json installs.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };

async function config() {
  const c = await getConfig(root, join(root, 'electron-builder.yml'), null);
  await validateConfiguration(c, new DebugLogger(false));
  return c;
}

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1'), file).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function desktopEntry(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  expect(lines[0]).toBe('[Desktop Entry]');
  return Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Every string in the config that names something under resources/. */
function resourcePaths(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string' && /^resources(\/|$)/.test(v)) out.push(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) resourcePaths(x, out);
  return out;
}

describe('electron-builder.yml', () => {
  it('is valid for electron-builder and names only files that exist', async () => {
    const c = await config();
    expect(c.directories?.buildResources).toBe('resources');
    const named = resourcePaths(c);
    expect(named).toEqual(expect.arrayContaining(['resources', 'resources/icons', 'resources/icon.png']));
    for (const p of named) expect(existsSync(join(root, p)), p).toBe(true);
  });

  it('points each platform at an icon of the size it needs', async () => {
    const c = await config();
    // Linux: a folder of NxN.png, each really N×N, up to 512.
    const dir = join(root, c.linux!.icon!);
    expect(statSync(dir).isDirectory()).toBe(true);
    const sizes = readdirSync(dir).map((f) => {
      const m = /^(\d+)x(\d+)\.png$/.exec(f);
      expect(m, f).not.toBeNull();
      expect(pngSize(join(dir, f)), f).toEqual({ width: Number(m![1]), height: Number(m![1]) });
      return Number(m![1]);
    });
    expect(sizes.sort((a, b) => a - b)).toEqual([16, 24, 32, 48, 64, 128, 256, 512]);
    // macOS wants 1024 to make its .icns; Windows at least 256.
    for (const icon of [c.mac!.icon!, c.win!.icon!]) expect(pngSize(join(root, icon))).toEqual({ width: 1024, height: 1024 });
    expect(readFileSync(join(root, 'resources', 'icon.svg'), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 1024 1024"/);
  });

  it('gives the Linux desktop entry the fields of resources/qmail-desktop.desktop, a mailto handler', async () => {
    const c = await config();
    const file = desktopEntry(join(root, 'resources', 'qmail-desktop.desktop'));
    const entry = (c.linux!.desktop as { entry: Record<string, string> }).entry;
    for (const [k, v] of Object.entries(entry)) expect(file[k], k).toBe(v);
    expect(file.MimeType!.split(';')).toContain('x-scheme-handler/mailto');
    expect(file.Icon).toBe(c.linux!.executableName);
    expect(file.Exec).toBe(`${c.linux!.executableName} %U`);
    expect(file.Type).toBe('Application');
  });

  it('builds for the Electron that package.json installs', async () => {
    const c = await config();
    const range = pkg.optionalDependencies?.electron;
    expect(range, 'electron is an optional dependency').toBeDefined();
    expect(pkg.devDependencies?.electron).toBeUndefined();
    expect(c.electronVersion).toBe(range!.replace(/^[\^~=]/, ''));
    expect(c.electronVersion).toBe(lock.packages['node_modules/electron']?.version);
  });

  it('finding 9 — flips the Electron fuses: no run-as-node, no NODE_OPTIONS or --inspect, cookies encrypted, app only from a checked asar', async () => {
    const c = await config();
    expect(c.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // The names are electron-builder's own: its schema refuses a misspelt fuse.
    const misspelt = { ...c, electronFuses: { ...c.electronFuses, runAsnode: false } };
    await expect(validateConfiguration(misspelt as typeof c, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });
});
