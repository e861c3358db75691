export { nodeBackend } from './node-backend.js';
export {
  encryptMessageStream,
  decryptMessageStream,
  type Progress,
  type StreamOptions,
  type EncryptStreamOptions,
  type DecryptStreamResult,
} from './stream.js';
