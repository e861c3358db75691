// The RAIDA wire: 32-byte headers, AES-128-CTR bodies keyed by the per-server AN,
// the challenge and response signature, the 3E 3E terminator, status codes, coin refs.
export * from './status.js';
export * from './errors.js';
export * from './challenge.js';
export * from './cipher.js';
export * from './header.js';
export * from './packet.js';
export * from './aead.js';
export * from './coin.js';
export * from './commands.js';
export * from './kit.js';
