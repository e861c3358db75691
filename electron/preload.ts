// Runs in the sandboxed preload. Exposes the contract as window.qmail and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge, encodeErrorForBridge } from './preload-bridge.js';

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
  // Only an Error's message survives contextBridge, so the stable code travels inside it
  // as "[code] message"; the renderer's runtime reads it back.
  invoke: (channel: string, input: unknown) =>
    bridge.invoke(channel as never, input as never).catch((e: unknown) => {
      throw new Error(encodeErrorForBridge(e));
    }),
  on: (event: string, listener: (payload: unknown) => void) => bridge.on(event as never, listener),
});
