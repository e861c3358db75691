// Byte helpers shared by every codec. Pure: Uint8Array in, Uint8Array out.
export * from './hex.js';
export * from './reader.js';
export * from './writer.js';
export * from './crc32.js';
export * from './compare.js';
