// The coin commands' client is shared with the beacon's purse: server/chips/client.ts.
export * from '../../../server/chips/client.js';
