// Operator configuration: one JSON file, validated with zod, with sane defaults for
// everything. A bad file is a ConfigError naming the field, never a crash later on.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const MiB = 1024 * 1024;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `must be ${bytes} bytes of hex`);

export const configSchema = z
  .object({
    /** Where the node keeps its database, blobs and keys. Relative paths resolve against the config file. */
    dataDir: z.string().min(1).default('./qmail-data'),
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 lets the OS pick a free port; the chosen one is logged and returned. */
        port: z.number().int().min(0).max(65535).default(0),
      })
      .strict()
      .prefault({}),
    /** This node's RAIDA index (header byte 2 and response byte 0). */
    raidaId: z.number().int().min(0).max(255).default(0),
    storage: z
      .object({
        backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** postgres://user@host:port/db, required for the postgres backend. */
        postgresUrl: z.string().optional(),
        /** fsync blob files and use synchronous=FULL so an acknowledged write survives power loss. */
        durable: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        /** Largest request accepted on the wire (header + body + terminator). */
        maxPacketBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * MiB)
          .default(4 * MiB + 32),
        /** Largest single stored object (the "max attachment" advertised in the descriptor). */
        maxObjectBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * MiB),
        /** Bytes one mailbox may keep stored on this node. */
        mailboxQuotaBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * MiB),
        /** Pending Tells one inbox may hold. */
        maxTellsPerInbox: z.number().int().min(1).default(10_000),
        /** Pending Tells one inbox may hold from one sender; beyond it that sender's Tells are answered REQUEST_RATE. */
        maxPendingTellsPerSender: z.number().int().min(1).default(20),
        /** Tells one sender mailbox may send to this node per minute (a bucket of a minute's worth); beyond it REQUEST_RATE. */
        tellsPerSenderPerMinute: z.number().int().min(1).default(60),
        /** Tells one connecting address (IPv4, or IPv6 /64) may send per minute, whatever the sender; beyond it REQUEST_RATE. */
        tellsPerAddressPerMinute: z.number().int().min(1).default(600),
        /** Open connections in all; when full, the oldest idle (then slowest unfinished) connection gives up its slot. */
        maxConnections: z.number().int().min(1).default(512),
        /**
         * Open connections from one IPv4 address or one IPv6 /64. Everyone behind one NAT
         * shares it: raise it for a node serving an office or a campus from one address.
         */
        maxConnectionsPerAddress: z.number().int().min(1).default(32),
        /** A connection between requests that sends nothing for this long is closed. */
        idleTimeoutMs: z.number().int().min(100).default(60_000),
        /**
         * A request's header and body must arrive within this long of its first byte, and
         * an answer must be taken by the peer within this long; otherwise the connection
         * is closed. Covers the largest upload at the slowest link you want to serve.
         */
        requestTimeoutMs: z.number().int().min(100).default(30_000),
        /**
         * Body bytes buffered for a request before its sender is authenticated; also the
         * largest body of any command without bulk data (all but 60, 70, 75, 78).
         */
        preAuthBytes: z
          .number()
          .int()
          .min(16 * 1024)
          .max(16 * MiB)
          .default(64 * 1024),
        /** Bytes reserved for bulk bodies across all connections; beyond it, uploads wait for room. */
        maxBufferedBytes: z
          .number()
          .int()
          .min(MiB)
          .default(128 * MiB),
        /**
         * Longest a ping (62/72) may park before answering "nothing yet". Kept below the
         * CloudCoin client's 30 s read timeout, or that client gives up before the answer.
         */
        pingMaxWaitMs: z
          .number()
          .int()
          .min(0)
          .max(10 * 60_000)
          .default(25_000),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Stored objects and Tells older than this are removed. */
        days: z.number().positive().default(30),
        /** Delete an object once its owner's recipient downloaded its last page. */
        deleteAfterDownload: z.boolean().default(false),
        sweepIntervalMs: z
          .number()
          .int()
          .min(1000)
          .default(10 * 60_000),
      })
      .strict()
      .prefault({}),
    registration: z
      .object({
        /** Accept the AN registration extension (free hiring until Chips exist). */
        open: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    legacy: z
      .object({
        /**
         * Answer Group 6 commands 60–64 (the CloudCoin qmail-client) as aliases of 70–74
         * with that client's rules (docs/protocol.md, "Legacy-client compatibility").
         */
        commands: z.boolean().default(true),
        /**
         * Mailboxes whose AN is the coin's AN on this server, set by the operator for
         * clients that cannot register (EXT-2). Written at start when the mailbox has no
         * AN yet; an existing AN is kept (and the mismatch logged).
         */
        mailboxes: z
          .array(
            z
              .object({
                denomination: z.number().int().min(-8).max(6),
                serial: z.number().int().min(0).max(0xffffffff),
                an: hex(16).refine((h) => !/^0+$/.test(h), 'must not be all zeros'),
              })
              .strict(),
          )
          .max(100_000)
          .default([]),
      })
      .strict()
      .prefault({}),
    chips: z
      .object({
        /**
         * The mint secret (16 bytes hex) that lets the operator create coins with command 98;
         * absent: this node mints nothing. A test network's funding; never set on a real one.
         */
        mintKey: hex(16).optional(),
        /** How long serials handed out for a break or join stay reserved for that session. */
        reserveMs: z.number().int().min(1000).default(60_000),
        /** How long a healing ticket (get ticket, 2/40) may be claimed by the server it names; used once. */
        ticketMs: z.number().int().min(1000).max(300_000).default(60_000),
        /**
         * The network file (network.json) listing every coin server by RAIDA index. With it the
         * node collects inbox fees from the lockers Tells name (server/purse.ts); without it every
         * locker is worth 0 here. Relative to the config file's folder.
         */
        networkFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    drd: z
      .object({
        /** Inbox fee charged for recipients without a DRD record (QMail/1.0 §4.5), in whole CC. */
        defaultTellFee: z.number().int().min(0).default(10),
      })
      .strict()
      .prefault({}),
    operator: z
      .object({
        name: z.string().max(64).default('qmail node'),
        /** The node's own 7-byte address (hex), published in its descriptor. */
        address: hex(7).optional(),
        pricePerMbMonth: z.number().min(0).default(0),
        /** Operator's share of each inbox fee, 0..1. */
        inboxFeeCut: z.number().min(0).max(1).default(0),
        jurisdiction: z.string().max(64).default('unspecified'),
        location: z.string().max(128).default('unspecified'),
      })
      .strict()
      .prefault({}),
    market: z
      .object({
        /**
         * Hiring (EXT-10, docs/server.md "Market"): a mailbox needs a paid term here to register
         * a new address, upload, or poll. Off (the default) keeps free registration, for test networks.
         */
        requireHire: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    directory: z
      .object({
        /** Directory base URL (http://host:port) to publish the signed descriptor to. */
        url: z.string().url().optional(),
        /** Host name clients should use to reach this node, if not listen.host. */
        publicHost: z.string().optional(),
        /** Port clients should use to reach this node, if not the one it listens on (a forwarder in front of it). */
        publicPort: z.number().int().min(1).max(65535).optional(),
        /** Republish the descriptor (fresh uptime) this often. */
        publishIntervalMs: z
          .number()
          .int()
          .min(1000)
          .default(5 * 60_000),
        /**
         * The directory's ML-DSA-65 key (base64) that signs address tickets (EXT-7). When
         * absent it is fetched from `url` (GET /v1/key). With a directory, new addresses
         * register only with a proof checked against this key.
         */
        publicKey: z
          .string()
          .regex(/^[A-Za-z0-9+/]{2600,2604}={0,2}$/, 'must be a base64 ML-DSA-65 public key')
          .optional(),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ServerConfig = z.output<typeof configSchema>;
export type ServerConfigInput = z.input<typeof configSchema>;

/** Validates a parsed object; throws ConfigError with every offending field listed. */
export function parseConfig(input: unknown, baseDir = process.cwd()): ServerConfig {
  const r = configSchema.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = r.data;
  if (cfg.storage.backend === 'postgres' && !cfg.storage.postgresUrl) {
    throw new ConfigError('invalid configuration:\n  storage.postgresUrl: required when storage.backend is "postgres"');
  }
  if (cfg.limits.maxBufferedBytes < cfg.limits.maxPacketBytes) {
    throw new ConfigError('invalid configuration:\n  limits.maxBufferedBytes: must be at least limits.maxPacketBytes');
  }
  if (!isAbsolute(cfg.dataDir)) cfg.dataDir = resolve(baseDir, cfg.dataDir);
  if (cfg.chips.networkFile && !isAbsolute(cfg.chips.networkFile)) cfg.chips.networkFile = resolve(baseDir, cfg.chips.networkFile);
  return cfg;
}

export function loadConfigFile(path: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, dirname(resolve(path)));
}
