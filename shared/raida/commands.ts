/** Command groups and codes this project speaks (RAIDA `COMMAND_GROUP` enum). */
export const Group = {
  STATUS: 0,
  AUTH: 1,
  HEALING: 2,
  QMAIL: 6,
  LOCKER: 8,
  CHANGE: 9,
  RKE: 15,
  DRD: 16,
} as const;

export const QMailCommand = {
  UPLOAD: 70,
  TELL: 71,
  PING: 72,
  PEEK: 73,
  DOWNLOAD: 74,
  UPLOAD_LARGE_PAGE: 75,
  /** Extension EXT-2 (docs/protocol.md): set a fresh random AN for a mailbox on this server. */
  REGISTER: 85,
} as const;

/** Codes the Python client (qmail-client) still sends for the same commands. */
export const LegacyQMailCommand = { UPLOAD: 60, TELL: 61, PING: 62, PEEK: 63, DOWNLOAD: 64 } as const;

export const DrdCommand = {
  POST_USER: 140,
  GET_USER: 141,
  SEARCH_USERS: 142,
  DELETE_USER: 143,
  LIST_SET: 144,
  LIST_REMOVE: 145,
  LIST_GET: 146,
} as const;

export const RkeCommand = { PRELOAD_MASTER_KEY: 1, GET_KEY_SHARE: 2 } as const;

export const LockerCommand = { PUT: 82, PEEK: 83, REMOVE: 84 } as const;

/** Coin commands (Chips): Group 1 authentication, Group 2 healing, Group 9 change; MINT is our test-network extension. */
export const AuthCommand = { DETECT: 10, POWN: 20 } as const;
/** Group 2 healing: tickets (40) and their server-to-server validation (50), find (60), fix (80). */
export const HealingCommand = { GET_TICKET: 40, VALIDATE_TICKET: 50, FIND: 60, FIX: 80 } as const;
export const ChangeCommand = { GET_AVAILABLE_SNS: 91, BREAK: 92, JOIN: 93, MINT: 98 } as const;
