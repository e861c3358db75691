// The one runtime interface the renderer programs against. The Electron preload and the
// host-mode WebSocket client both implement it.
import type { EventName, EventPayload, RequestInput, RequestName, RequestOutput } from './contract.js';

export interface Runtime {
  readonly host: 'electron' | 'web';
  invoke<K extends RequestName>(channel: K, input: RequestInput<K>): Promise<RequestOutput<K>>;
  on<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): () => void;
}
