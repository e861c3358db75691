// Where L1/L2 key material comes from. The ETSI GS QKD 014 client fills this interface;
// tests and the embedded default use the in-memory link below.
import { CryptoError } from '../crypto/errors.js';
import { systemRng, type Rng } from '../crypto/primitives.js';

export interface QkdKeyRef {
  keyId: string;
  kmeId: string;
}

export interface QkdKey extends QkdKeyRef {
  key: Uint8Array;
}

export interface QkdKeySource {
  /** Fresh keys totalling at least `bits` bits, shared with `peer` (the recipient's SAE), never served twice. */
  getEncKeys(bits: number, peer?: string): Promise<QkdKey[]>;
  /** The keys the sender named, by id (the receiving side of the link). */
  getDecKeys(refs: readonly QkdKeyRef[], peer?: string): Promise<QkdKey[]>;
}

/** Two ends of a simulated QKD link sharing one key store. Keys are handed out once each side. */
export class MemoryQkdLink {
  private readonly pending = new Map<string, Uint8Array>();
  private counter = 0;
  constructor(
    readonly kmeId = 'kme-local',
    readonly keyBits = 256,
    private readonly rng: Rng = systemRng,
  ) {}

  readonly sender: QkdKeySource = {
    getEncKeys: async (bits) => {
      if (!Number.isInteger(bits) || bits < 1 || bits > 1 << 20) throw new CryptoError('qkd-keys-unavailable', `cannot serve ${bits} bits`);
      const out: QkdKey[] = [];
      for (let have = 0; have < bits; have += this.keyBits) {
        const keyId = `00000000-0000-4000-8000-${(++this.counter).toString(16).padStart(12, '0')}`;
        const key = this.rng(this.keyBits / 8);
        this.pending.set(keyId, key);
        out.push({ keyId, kmeId: this.kmeId, key: key.slice() });
      }
      return out;
    },
    getDecKeys: async () => {
      throw new CryptoError('qkd-keys-unavailable', 'the sending end does not serve dec_keys');
    },
  };

  readonly receiver: QkdKeySource = {
    getEncKeys: async () => {
      throw new CryptoError('qkd-keys-unavailable', 'the receiving end does not serve enc_keys');
    },
    getDecKeys: async (refs) => {
      const out: QkdKey[] = [];
      for (const r of refs) {
        const key = this.pending.get(r.keyId);
        if (!key || r.kmeId !== this.kmeId) throw new CryptoError('qkd-keys-unavailable', `key ${r.keyId} is unknown or already used`);
        out.push({ keyId: r.keyId, kmeId: r.kmeId, key });
      }
      for (const r of refs) this.pending.delete(r.keyId);
      return out;
    },
  };
}
