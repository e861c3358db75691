// Legacy mail's content side: reading MIME, HTML → CBDF, the encrypted format, the gateway.
export * from './errors.js';
export * from './parse.js';
export * from './document.js';
export * from './encrypted.js';
export * from './gateway.js';
