export * from './qkd.js';
export * from './capsule.js';
