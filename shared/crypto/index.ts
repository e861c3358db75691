export * from './errors.js';
export * from './primitives.js';
export * from './vectors.js';
export * from './signature.js';
