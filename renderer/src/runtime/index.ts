// Picks the transport: inside Electron the preload has put a Runtime on window.qmail;
// in a plain browser (host mode) we speak the contract over a WebSocket.
import type { Runtime } from '../../../shared/ipc/runtime.js';
import { createElectronRuntime } from './electron.js';
import { takeToken } from './token.js';
import { createWebRuntime, type WebRuntime } from './web.js';

declare global {
  interface Window {
    qmail?: Runtime;
  }
}

export type RuntimeChoice = { kind: 'electron'; runtime: Runtime } | { kind: 'web'; runtime: WebRuntime } | { kind: 'no-token' };

export function selectRuntime(win: Window = window): RuntimeChoice {
  if (win.qmail && win.qmail.host === 'electron') return { kind: 'electron', runtime: createElectronRuntime(win.qmail) };
  let storage: Storage | null;
  try {
    storage = win.sessionStorage;
  } catch {
    storage = null; // storage can be blocked by browser settings
  }
  const token = takeToken({ location: win.location, history: win.history, storage });
  if (!token) return { kind: 'no-token' };
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { kind: 'web', runtime: createWebRuntime({ url: `${scheme}//${win.location.host}/ws`, token }) };
}

export type { WebRuntime, ConnectionInfo, ConnectionState } from './web.js';
export { toContractError, errorMessage } from './errors.js';
