// ETSI GS QKD 014 formats and the legacy X-QKD headers. Pure: no I/O here.
export * from './base64.js';
export * from './etsi014.js';
export * from './headers.js';
