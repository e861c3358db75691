// The vault holds the profile's data key. The data key is random; it is stored only
// sealed by a key derived from the passphrase (Argon2id) and, where the OS offers one,
// wrapped by the keychain as well. Nothing readable is stored beside it.
import { randomBytes } from 'node:crypto';
import { argon2id } from 'hash-wasm';
import { z } from 'zod';
import type { Db } from './database.js';
import { SealError, SecretBox } from './secret-box.js';

export interface KdfParams {
  algorithm: 'argon2id';
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP's first recommended Argon2id setting is 19 MiB, t=2; we spend more, once per unlock. */
export const DEFAULT_KDF: KdfParams = { algorithm: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 };

const KdfSchema = z.object({
  algorithm: z.literal('argon2id'),
  memoryKiB: z
    .number()
    .int()
    .min(8)
    .max(4 * 1024 * 1024),
  iterations: z.number().int().min(1).max(64),
  parallelism: z.number().int().min(1).max(16),
});

/** What Electron's safeStorage offers; absent in host mode and where no keychain exists. */
export interface Keychain {
  encrypt(plain: Uint8Array): Uint8Array;
  decrypt(wrapped: Uint8Array): Uint8Array;
}

export type VaultErrorCode = 'vault_absent' | 'vault_exists' | 'wrong_passphrase' | 'locked' | 'vault_corrupt';

export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const AAD = 'qmail.vault.data-key.v1';

async function deriveKey(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<Uint8Array> {
  return argon2id({
    password: passphrase.normalize('NFKC'),
    salt,
    iterations: p.iterations,
    parallelism: p.parallelism,
    memorySize: p.memoryKiB,
    hashLength: 32,
    outputType: 'binary',
  });
}

interface VaultRow {
  kdf: string;
  salt: Buffer;
  wrapped_key: Buffer;
  keychain_key: Buffer | null;
}

export class Vault {
  #box: SecretBox | null = null;

  constructor(
    private readonly db: Db,
    private readonly keychain: Keychain | null = null,
    private readonly kdf: KdfParams = DEFAULT_KDF,
  ) {}

  private row(): VaultRow | undefined {
    return this.db.prepare('SELECT kdf, salt, wrapped_key, keychain_key FROM vault WHERE id = 1').get() as VaultRow | undefined;
  }

  get exists(): boolean {
    return this.row() !== undefined;
  }
  get unlocked(): boolean {
    return this.#box !== null;
  }
  get hasKeychain(): boolean {
    return this.keychain !== null && (this.row()?.keychain_key ?? null) !== null;
  }

  async create(passphrase: string): Promise<void> {
    if (this.exists) throw new VaultError('vault_exists', 'This profile already has a vault; unlock it instead.');
    const dataKey = randomBytes(32);
    const salt = randomBytes(16);
    const kek = new SecretBox(await deriveKey(passphrase, salt, this.kdf));
    const wrapped = kek.seal(dataKey, AAD);
    kek.destroy();
    const keychainKey = this.keychain ? Buffer.from(this.keychain.encrypt(dataKey)) : null;
    this.db
      .prepare('INSERT INTO vault (id, kdf, salt, wrapped_key, keychain_key, created_at) VALUES (1, ?, ?, ?, ?, ?)')
      .run(JSON.stringify(this.kdf), salt, wrapped, keychainKey, Date.now());
    this.#box = new SecretBox(dataKey);
    dataKey.fill(0);
  }

  async unlock(passphrase: string): Promise<void> {
    const dataKey = await this.openDataKey(passphrase);
    this.#box?.destroy();
    this.#box = new SecretBox(dataKey);
    dataKey.fill(0);
  }

  /** Checks the passphrase without changing the vault's state (before showing secrets again); throws wrong_passphrase. */
  async checkPassphrase(passphrase: string): Promise<void> {
    (await this.openDataKey(passphrase)).fill(0);
  }

  private async openDataKey(passphrase: string): Promise<Buffer> {
    const row = this.row();
    if (!row) throw new VaultError('vault_absent', 'There is no vault yet; create one first.');
    let params: KdfParams;
    try {
      params = KdfSchema.parse(JSON.parse(row.kdf));
    } catch {
      throw new VaultError('vault_corrupt', 'The vault record is damaged (its key-derivation settings do not parse).');
    }
    const kek = new SecretBox(await deriveKey(passphrase, row.salt, params));
    try {
      return kek.open(row.wrapped_key, AAD);
    } catch (e) {
      if (e instanceof SealError) throw new VaultError('wrong_passphrase', 'That passphrase does not unlock this profile.');
      throw e;
    } finally {
      kek.destroy();
    }
  }

  /** Opens with the OS keychain copy, when there is one. Returns false if it cannot. */
  unlockWithKeychain(): boolean {
    const row = this.row();
    if (!row?.keychain_key || !this.keychain) return false;
    try {
      const dataKey = Buffer.from(this.keychain.decrypt(row.keychain_key));
      this.#box = new SecretBox(dataKey);
      dataKey.fill(0);
      return true;
    } catch {
      return false;
    }
  }

  lock(): void {
    this.#box?.destroy();
    this.#box = null;
  }

  /** The box that seals stored mail and secrets; throws when locked. */
  box(): SecretBox {
    if (!this.#box) throw new VaultError('locked', 'The profile is locked; unlock it with your passphrase.');
    return this.#box;
  }
}
