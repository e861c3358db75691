// The wallet's logic is shared with the beacon's purse (server/purse.ts), so it lives beside
// the node, which imports nothing of the app: server/chips/wallet.ts.
export * from '../../../server/chips/wallet.js';
