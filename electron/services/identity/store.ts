// The profile's QMail identity at rest: the 32-byte seed (every key pair derives from it),
// the address, the hired servers and the AN we set on each. All of it is one value sealed
// by the vault's data key; only the presence of a row is readable without the passphrase.
import type { Db } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { hasRow, readSealedRow, writeSealedRow } from '../../store/settings.js';
import { identityFromSeed, type Identity } from '../../../shared/identity/index.js';
import { encodeMailbox, parseMailbox, type Mailbox } from '../../../shared/cbdf/address.js';

export interface HiredServer {
  nodeId: string;
  host: string;
  port: number;
  raidaId: number;
  /** Our AN on this server, hex. */
  an: string;
}

export interface StoredIdentity {
  seed: string;
  address: string;
  name: string;
  directory: string;
  beacon: string;
  /** Storage servers in the order we use them, and the beacon (also listed here, with its AN). */
  servers: HiredServer[];
  createdAt: number;
  /** Set when a new identity is made; cleared once the user retyped words of its recovery phrase. */
  phrasePending?: boolean;
}

export interface LoadedIdentity extends StoredIdentity {
  identity: Identity;
  mailbox: Mailbox;
}

const AAD = 'qmail.identity.v1';

export class IdentityStore {
  private cache: LoadedIdentity | null = null;

  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  get exists(): boolean {
    return hasRow(this.db, 'mail_identity');
  }

  /** Forget the decrypted copy (the vault was locked). */
  forget(): void {
    this.cache = null;
  }

  load(): LoadedIdentity | undefined {
    if (this.cache) return this.cache;
    const sealed = readSealedRow(this.db, 'mail_identity');
    if (!sealed) return undefined;
    const s = JSON.parse(this.box().open(sealed, AAD).toString('utf8')) as StoredIdentity;
    const mailbox = parseMailbox(s.address);
    this.cache = { ...s, mailbox, identity: identityFromSeed(new Uint8Array(Buffer.from(s.seed, 'hex')), encodeMailbox(mailbox)) };
    return this.cache;
  }

  save(s: StoredIdentity): LoadedIdentity {
    writeSealedRow(this.db, 'mail_identity', this.box().seal(Buffer.from(JSON.stringify(s), 'utf8'), AAD), Date.now());
    this.cache = null;
    return this.load()!;
  }
}
