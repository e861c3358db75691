// Library entry for hosting QMail from code: a node and the directory (a whole local network is dev-network/launcher.ts).
export { startServer, type RunningServer, type StartOptions } from './node.js';
export { parseConfig, loadConfigFile, ConfigError, configSchema, type ServerConfig, type ServerConfigInput } from './config.js';
export {
  startDirectory,
  type RunningDirectory,
  type DirectoryOptions,
  type IdentityRecord,
  allocateMessage,
  identityMessage,
} from './directory/server.js';
export { verifyDescriptor, signDescriptor, canonicalJson, type Descriptor, type SignedDescriptor } from './directory/descriptor.js';
export { openStorage, type Storage } from './storage/index.js';
