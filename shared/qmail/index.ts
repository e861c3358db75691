// QMail/1.0 (RAIDA Group 6): preamble, file types, Tell, ping/peek, download paging,
// uploads, the register extension, status codes and the DRD gate.
export * from './errors.js';
export * from './preamble.js';
export * from './filetype.js';
export * from './tell.js';
export * from './mailbox.js';
export * from './gate.js';
export * from './status.js';
export * from './legacy.js';
export * from './register-proof.js';
export * from './levels.js';
export * from './address.js';
