// Runs in the sandboxed preload. Exposes the contract as window.qmail and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './preload-bridge.js';

const bridge = createBridge({
  invoke: (channel, input) => ipcRenderer.invoke(channel, input),
  subscribe: (channel, listener) => {
    const handler = (_event: unknown, ch: unknown, payload: unknown) => listener(ch, payload);
    ipcRenderer.on(channel, handler);
    return () => ipcRenderer.removeListener(channel, handler);
  },
});

// contextBridge copies plain functions; the frozen object itself never crosses.
contextBridge.exposeInMainWorld('qmail', {
  host: bridge.host,
  invoke: (channel: string, input: unknown) => bridge.invoke(channel as never, input as never),
  on: (event: string, listener: (payload: unknown) => void) => bridge.on(event as never, listener),
});
