// The part of Electron's API the shell and the preload use, for type checking on machines
// where the electron package is absent: it is an optional dependency, and npm drops it
// when its binary cannot be downloaded. tsconfig.json maps `electron` to the installed
// package first and to this file only when there is none, so with Electron installed its
// own declarations are the ones checked.

export interface BrowserWindowConstructorOptions {
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  title?: string;
  show?: boolean;
  backgroundColor?: string;
  icon?: string;
  webPreferences?: {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    nodeIntegrationInSubFrames?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    webviewTag?: boolean;
    navigateOnDragDrop?: boolean;
    spellcheck?: boolean;
    safeDialogs?: boolean;
  };
}

interface PreventableEvent {
  preventDefault(): void;
}

export interface WebFrameMain {
  url: string;
}

export interface IpcMainInvokeEvent {
  senderFrame: WebFrameMain | null;
}

export interface WebContents {
  send(channel: string, ...args: unknown[]): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void;
  on(event: 'will-navigate', listener: (event: PreventableEvent, url: string) => void): this;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): this;
}

export declare class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions);
  readonly webContents: WebContents;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  show(): void;
  loadURL(url: string): Promise<void>;
  on(event: 'closed', listener: () => void): this;
  once(event: 'ready-to-show', listener: () => void): this;
}

export declare const app: {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  whenReady(): Promise<void>;
  getPath(name: 'home' | 'appData' | 'userData' | 'temp' | 'logs'): string;
  on(event: 'second-instance' | 'window-all-closed' | 'will-quit', listener: () => void): unknown;
};

export declare const protocol: {
  registerSchemesAsPrivileged(
    schemes: { scheme: string; privileges?: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean } }[],
  ): void;
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
};

export declare const ipcMain: {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
};

export declare const session: {
  defaultSession: {
    webRequest: {
      onHeadersReceived(
        listener: (
          details: { responseHeaders?: Record<string, string[]> },
          callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void,
        ) => void,
      ): void;
    };
    setPermissionRequestHandler(
      handler:
        | ((
            webContents: WebContents,
            permission: string,
            callback: (granted: boolean) => void,
            details: { requestingUrl?: string },
          ) => void)
        | null,
    ): void;
    setPermissionCheckHandler(
      handler:
        | ((webContents: WebContents | null, permission: string, requestingOrigin: string, details: { requestingUrl?: string }) => boolean)
        | null,
    ): void;
  };
};

export declare const shell: {
  openExternal(url: string): Promise<void>;
};

export declare const dialog: {
  showMessageBox(options: {
    type?: string;
    buttons?: string[];
    defaultId?: number;
    cancelId?: number;
    message: string;
    detail?: string;
  }): Promise<{ response: number }>;
};

export declare const safeStorage: {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
};

export declare const contextBridge: {
  exposeInMainWorld(apiKey: string, api: unknown): void;
};

export declare const ipcRenderer: {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
};
