// CBDF/1.0 — the QMail Compact Binary Document Format.
export * from './errors.js';
export * from './address.js';
export * from './color.js';
export * from './meta.js';
export * from './styles.js';
export * from './text.js';
export * from './resources.js';
export * from './compression.js';
export * from './document.js';
export * from './le.js';
export * from './images.js';
export * from './html.js';
export * from './plain.js';
export * from './json.js';
export * from './rich.js';
