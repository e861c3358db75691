import type { BrowserWindowConstructorOptions } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'qmail';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The one window's options: isolation on, Node off, sandboxed, no remote anything. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 480,
    title: 'QMail Desktop',
    show: false,
    backgroundColor: '#1e1f22',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // The spellchecker can send words typed in a message to a dictionary service.
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/**
 * The one permission the app's page may hold: desktop notifications (new mail, service
 * notices). Everything else — camera, microphone, geolocation, clipboard, HID, serial,
 * USB… — is refused, and so is any permission for a page that is not ours.
 */
export function permissionAllowed(permission: string, requestingUrl: string | undefined): boolean {
  // A check names the origin alone (app://qmail), a request the page's URL.
  return permission === 'notifications' && requestingUrl !== undefined && (requestingUrl === APP_ORIGIN || isAppUrl(requestingUrl));
}

/** Links a person may open outside the app, after confirming. */
export function isExternalLinkAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:';
  } catch {
    return false;
  }
}

export function isAppUrl(url: string): boolean {
  try {
    return new URL(url).origin === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);
  } catch {
    return false;
  }
}
