// The Electron shell, written against an injected electron module so the wiring is
// tested without the Electron binary. It owns the window, the IPC wiring and the OS
// integrations, nothing else: every service lives in plain Node modules.
import type * as ElectronNS from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CONTENT_SECURITY_POLICY, createDispatcher, requestNames } from '../../shared/ipc/index.js';
import { createAppServices, type AppServices } from '../services/app/services.js';
import { embeddedChips, embeddedKmeFile, openAppNetwork, type AppNetwork } from '../../dev-network/embedded.js';
import { resolveInside } from '../host/static.js';
import { EVENT_CHANNEL, REQUEST_CHANNEL_PREFIX } from '../preload-bridge.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, isAppUrl, isExternalLinkAllowed, mainWindowOptions, permissionAllowed } from './window.js';

export type ElectronModule = Pick<
  typeof ElectronNS,
  'app' | 'BrowserWindow' | 'ipcMain' | 'protocol' | 'session' | 'shell' | 'dialog' | 'safeStorage'
>;

export interface ShellOptions {
  rendererDir: string;
  preloadPath: string;
  version: string;
  /** The profile folder (default: <userData>/profile); main.ts passes the one host mode and the CLI use. */
  profileDir?: string;
  log?: (line: string) => void;
  /** How the app finds its QMail network; by default the embedded one (DESIGN.md §5). */
  openNetwork?: (
    profileDir: string,
    status: (line: string) => void,
  ) => Promise<Pick<AppNetwork, 'directoryUrl' | 'close'> & Partial<Pick<AppNetwork, 'correspondent'>>>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export function startShell(electron: ElectronModule, opts: ShellOptions): void {
  const { app, BrowserWindow, ipcMain, protocol, session, shell, dialog, safeStorage } = electron;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));

  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

  let win: ElectronNS.BrowserWindow | null = null;
  let services: AppServices | null = null;

  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  const confirmExternal = async (url: string) => {
    if (!isExternalLinkAllowed(url)) return;
    const { response } = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Open in browser', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'Open this link in your browser?',
      detail: url,
    });
    if (response === 0) await shell.openExternal(url);
  };

  let network: (Pick<AppNetwork, 'directoryUrl' | 'close'> & Partial<Pick<AppNetwork, 'correspondent' | 'file' | 'local'>>) | null = null;
  const openNetwork = opts.openNetwork ?? ((profileDir, status) => openAppNetwork({ profileDir, status }));

  app.whenReady().then(async () => {
    const profileDir = opts.profileDir ?? join(app.getPath('userData'), 'profile');
    try {
      network = await openNetwork(profileDir, log);
    } catch (e) {
      log(`Cannot start the network: ${(e as Error).message}`);
    }
    const keychain = safeStorage.isEncryptionAvailable()
      ? {
          encrypt: (p: Uint8Array) => safeStorage.encryptString(Buffer.from(p).toString('base64')),
          decrypt: (w: Uint8Array) => Buffer.from(safeStorage.decryptString(Buffer.from(w)), 'base64'),
        }
      : null;
    services = createAppServices({
      profileDir,
      host: 'electron',
      version: opts.version,
      keychain,
      ...(network?.directoryUrl ? { directoryUrl: network.directoryUrl } : {}),
      localKmeFile: embeddedKmeFile(network),
      ...(network?.correspondent ? { correspondent: network.correspondent } : {}),
      chips: embeddedChips(network),
      // A mail account's sign-in page, after the user chose "Sign in with …": the system browser (RFC 8252).
      openBrowser: (url) => (/^https?:\/\//i.test(url) ? shell.openExternal(url) : undefined),
    });
    const dispatch = createDispatcher(services.handlers, (e) =>
      log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    );

    for (const name of requestNames) {
      ipcMain.handle(REQUEST_CHANNEL_PREFIX + name, (event, input: unknown) => {
        // Only our own page may call the services.
        if (!event.senderFrame || !isAppUrl(event.senderFrame.url))
          return { ok: false, error: { code: 'unknown_channel', message: 'not allowed from this frame' } };
        return dispatch(name, input);
      });
    }
    services.subscribe((ch, payload) => win?.webContents.send(EVENT_CHANNEL, ch, payload));

    protocol.handle(APP_SCHEME, async (request) => {
      const url = new URL(request.url);
      const file = url.host === APP_HOST ? resolveInside(opts.rendererDir, url.pathname === '/' ? '/index.html' : url.pathname) : null;
      if (!file) return new Response('not found', { status: 404 });
      try {
        const body = await readFile(file);
        return new Response(body, {
          headers: {
            'content-type': MIME[extname(file)] ?? 'application/octet-stream',
            'content-security-policy': CONTENT_SECURITY_POLICY,
          },
        });
      } catch {
        return new Response('not found', { status: 404 });
      }
    });

    const ses = session.defaultSession;
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    // No camera, microphone, geolocation…; desktop notifications for our page only. The
    // check handler answers the synchronous queries (navigator.permissions, a page's
    // Notification.permission) the same way the request handler answers prompts.
    ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
      callback(permissionAllowed(permission, details?.requestingUrl)),
    );
    ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));

    win = new BrowserWindow(mainWindowOptions(opts.preloadPath));
    win.webContents.setWindowOpenHandler(({ url }) => {
      void confirmExternal(url);
      return { action: 'deny' };
    });
    win.webContents.on('will-navigate', (event, url) => {
      if (isAppUrl(url)) return;
      event.preventDefault();
      void confirmExternal(url);
    });
    win.webContents.on('will-attach-webview', (event) => event.preventDefault());
    win.once('ready-to-show', () => win?.show());
    void win.loadURL(`${APP_ORIGIN}/index.html`);
    win.on('closed', () => {
      win = null;
    });
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    services?.close();
    void network?.close();
  });
}
