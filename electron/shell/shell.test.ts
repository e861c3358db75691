// The shell's wiring, checked against a stand-in electron module (the Electron binary
// cannot be installed on build machines). Each stand-in records what the shell asked of it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestNames, CONTENT_SECURITY_POLICY } from '../../shared/ipc/index.js';
import { startShell, type ElectronModule } from './shell.js';
import { REQUEST_CHANNEL_PREFIX } from '../preload-bridge.js';
import { tempDir } from '../../tests/support/tmp.js';

type Handler = (...args: unknown[]) => unknown;

function standIn(userData: string, opts: { lock?: boolean } = {}) {
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: vi.fn(() => opts.lock ?? true),
    quit: vi.fn(),
    whenReady: () => Promise.resolve(),
    getPath: vi.fn(() => userData),
  });
  const handled = new Map<string, Handler>();
  const windows: Array<{ options: unknown; wc: EventEmitter & { openHandler?: Handler; send: Handler }; loaded?: string }> = [];
  class BrowserWindow extends EventEmitter {
    webContents: EventEmitter & { openHandler?: Handler; send: Handler; setWindowOpenHandler: (h: Handler) => void };
    constructor(options: unknown) {
      super();
      const wc = Object.assign(new EventEmitter(), {
        send: vi.fn(),
        setWindowOpenHandler(h: Handler) {
          wc.openHandler = h;
        },
      }) as EventEmitter & { openHandler?: Handler; send: Handler; setWindowOpenHandler: (h: Handler) => void };
      this.webContents = wc;
      windows.push({ options, wc });
    }
    loadURL(url: string) {
      windows[windows.length - 1]!.loaded = url;
      return Promise.resolve();
    }
    show() {}
    isMinimized() {
      return false;
    }
    focus() {}
    restore() {}
  }
  let headersHook: Handler | undefined;
  let permissionHook: Handler | undefined;
  let permissionCheckHook: Handler | undefined;
  let protocolHandler: Handler | undefined;
  const electron = {
    app,
    BrowserWindow,
    ipcMain: { handle: vi.fn((ch: string, h: Handler) => handled.set(ch, h)) },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn((_s: string, h: Handler) => (protocolHandler = h)) },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (h: Handler) => (headersHook = h) },
        setPermissionRequestHandler: (h: Handler) => (permissionHook = h),
        setPermissionCheckHandler: (h: Handler) => (permissionCheckHook = h),
      },
    },
    shell: { openExternal: vi.fn(async () => {}) },
    dialog: { showMessageBox: vi.fn(async () => ({ response: 0 })) },
    safeStorage: { isEncryptionAvailable: () => false, encryptString: vi.fn(), decryptString: vi.fn() },
  };
  return {
    electron: electron as unknown as ElectronModule,
    raw: electron,
    handled,
    windows,
    hooks: () => ({ headersHook, permissionHook, permissionCheckHook, protocolHandler }),
  };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function boot() {
  const dir = tempDir();
  const renderer = join(dir.path, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>QMail</title>');
  const s = standIn(join(dir.path, 'userData'));
  startShell(s.electron, {
    rendererDir: renderer,
    preloadPath: '/app/preload.cjs',
    version: '1.2.3',
    log: () => {},
    openNetwork: async () => ({ close: async () => {} }),
  });
  await new Promise((r) => setTimeout(r, 20));
  cleanups.push(() => {
    s.raw.app.emit('will-quit');
    dir.remove();
  });
  return s;
}

describe('electron shell wiring', () => {
  it('opens one isolated, sandboxed window without Node', async () => {
    const s = await boot();
    expect(s.windows).toHaveLength(1);
    const prefs = (s.windows[0]!.options as { webPreferences: Record<string, unknown> }).webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
    expect(s.windows[0]!.loaded).toBe('app://qmail/index.html');
  });

  it('registers exactly the contract channels and nothing else', async () => {
    const s = await boot();
    expect([...s.handled.keys()].sort()).toEqual(requestNames.map((n) => REQUEST_CHANNEL_PREFIX + n).sort());
  });

  it('answers only our own frame', async () => {
    const s = await boot();
    const info = s.handled.get(REQUEST_CHANNEL_PREFIX + 'app.info')!;
    expect(await info({ senderFrame: { url: 'app://qmail/index.html' } }, {})).toMatchObject({
      ok: true,
      value: { version: '1.2.3', host: 'electron' },
    });
    expect(await info({ senderFrame: { url: 'https://evil.example/' } }, {})).toMatchObject({ ok: false });
  });

  it('blocks window.open and navigation, and opens external links only after the user confirms', async () => {
    const s = await boot();
    const wc = s.windows[0]!.wc;
    expect(wc.openHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    await new Promise((r) => setTimeout(r, 5));
    expect(s.raw.dialog.showMessageBox).toHaveBeenCalledTimes(1);
    expect(s.raw.shell.openExternal).toHaveBeenCalledWith('https://example.org/');

    s.raw.dialog.showMessageBox.mockResolvedValueOnce({ response: 1 });
    const prevent = vi.fn();
    wc.emit('will-navigate', { preventDefault: prevent }, 'https://tracker.example/');
    await new Promise((r) => setTimeout(r, 5));
    expect(prevent).toHaveBeenCalled();
    expect(s.raw.shell.openExternal).toHaveBeenCalledTimes(1);

    wc.openHandler!({ url: 'file:///etc/passwd' });
    await new Promise((r) => setTimeout(r, 5));
    expect(s.raw.dialog.showMessageBox).toHaveBeenCalledTimes(2);
  });

  it('sets the CSP on every response and grants no device permissions', async () => {
    const s = await boot();
    const { headersHook, permissionHook } = s.hooks();
    const cb = vi.fn();
    headersHook!({ responseHeaders: {} }, cb);
    expect(cb).toHaveBeenCalledWith({ responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    const granted = vi.fn();
    permissionHook!({}, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
  });

  it('finding 9 — a permission check handler refuses everything but notifications for our own page, beside the request handler', async () => {
    const s = await boot();
    const { permissionHook, permissionCheckHook } = s.hooks();
    expect(permissionCheckHook).toBeTypeOf('function');
    const refused = [
      'media',
      'geolocation',
      'clipboard-read',
      'clipboard-sanitized-write',
      'hid',
      'serial',
      'usb',
      'midi',
      'fullscreen',
      'openExternal',
      'unknown',
    ];
    for (const p of refused) {
      expect(permissionCheckHook!(null, p, 'app://qmail', {}), p).toBe(false);
      const granted = vi.fn();
      permissionHook!({}, p, granted, { requestingUrl: 'app://qmail/index.html' });
      expect(granted, p).toHaveBeenCalledWith(false);
    }
    expect(permissionCheckHook!(null, 'notifications', 'app://qmail', { requestingUrl: 'app://qmail/index.html' })).toBe(true);
    // Another page (a frame from elsewhere, a link that got loaded) gets nothing, not even notifications.
    expect(permissionCheckHook!(null, 'notifications', 'https://evil.example', { requestingUrl: 'https://evil.example/' })).toBe(false);
    const granted = vi.fn();
    permissionHook!({}, 'notifications', granted, { requestingUrl: 'https://evil.example/' });
    expect(granted).toHaveBeenCalledWith(false);
  });

  it('finding 9 — the window has the spellchecker off', async () => {
    const s = await boot();
    const prefs = (s.windows[0]!.options as { webPreferences: Record<string, unknown> }).webPreferences;
    expect(prefs.spellcheck).toBe(false);
  });

  it('serves only files inside the renderer folder on the app scheme', async () => {
    const s = await boot();
    const { protocolHandler } = s.hooks();
    const ok = (await protocolHandler!({ url: 'app://qmail/index.html' })) as Response;
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(((await protocolHandler!({ url: 'app://qmail/../../etc/passwd' })) as Response).status).toBe(404);
    expect(((await protocolHandler!({ url: 'app://other/index.html' })) as Response).status).toBe(404);
  });

  it('quits when another instance holds the lock', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const s = standIn(dir.path, { lock: false });
    startShell(s.electron, { rendererDir: dir.path, preloadPath: 'p', version: '0', log: () => {} });
    expect(s.raw.app.quit).toHaveBeenCalled();
    expect(s.raw.ipcMain.handle).not.toHaveBeenCalled();
  });

  it('opens the network in the profile folder before the services, and closes it on quit', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const s = standIn(join(dir.path, 'userData'));
    const close = vi.fn(async () => {});
    const openNetwork = vi.fn(async () => ({ directoryUrl: 'http://127.0.0.1:9/', close }));
    startShell(s.electron, { rendererDir: dir.path, preloadPath: 'p', version: '0', log: () => {}, openNetwork });
    await new Promise((r) => setTimeout(r, 20));
    expect(openNetwork).toHaveBeenCalledWith(join(dir.path, 'userData', 'profile'), expect.any(Function));
    expect(s.handled.size).toBeGreaterThan(0);
    s.raw.app.emit('will-quit');
    expect(close).toHaveBeenCalledTimes(1);
  });
});
