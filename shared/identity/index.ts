export * from './identity.js';
export * from './phrase.js';
export * from './export.js';
