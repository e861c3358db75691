export * from './layout.js';
export * from './interleave.js';
export * from './gf256.js';
export * from './parity.js';
export * from './message.js';
