// Chips: CloudCoin-format coins — coin files and the per-server results of checking them.
export * from './errors.js';
export * from './pown.js';
export * from './coinfile.js';
export * from './commands.js';
export * from './votes.js';
