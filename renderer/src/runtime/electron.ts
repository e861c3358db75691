// The Electron transport: the preload exposes `window.qmail` (a Runtime over IPC).
// This wrapper only normalises errors, because a rejection that crosses contextBridge
// arrives as a plain Error and loses its class.
import type { Runtime } from '../../../shared/ipc/runtime.js';
import { toContractError } from './errors.js';

export function createElectronRuntime(bridge: Runtime): Runtime {
  return {
    host: 'electron',
    async invoke(channel, input) {
      try {
        return await bridge.invoke(channel, input);
      } catch (e) {
        throw toContractError(e);
      }
    },
    on(event, listener) {
      return bridge.on(event, listener);
    },
  };
}
