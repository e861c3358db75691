// The qmail-kme simulator as a library (the embedded local network starts a pair in-process).
export { startKmePair, type KmePair, type KmePairOptions, type KmeEndpoint, type KmePairFile } from './pair.js';
export { setupPairCertificates, makeCa, issueCert, pairCertPaths, DEFAULT_IDS, type PairIdentities, type PairCertPaths } from './certs.js';
export { QkdLink, type LinkOptions } from './link.js';
export { KmeNode, startKmeServer, DEFAULT_LIMITS, NONCONFORMING_QUIRKS, type KmeQuirks, type KmeLimits, type KmeMessages } from './kme.js';
