// The profile's QKD side: KME settings (sealed by the vault), the ETSI 014 key source
// built from them (with the encrypted key cache and the no-reuse ledger in the profile
// database), the "test connection" check and which levels a message can have now.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatMailbox, parseMailbox } from '../../../shared/cbdf/address.js';
import { QkdSettings, type LevelAvailability, type QkdSettingsState } from '../../../shared/ipc/index.js';
import { STRIPE_KEY_BYTES } from '../../../shared/stripe/message.js';
import type { QkdKeySource } from '../../../shared/capsule/index.js';
import { QKD_CACHE_TABLE, type Db } from '../../store/database.js';
import { clearRow, readQkdOrigin, readSealedRow, writeQkdOrigin, writeSealedRow } from '../../store/settings.js';
import type { SecretBox } from '../../store/secret-box.js';
import { QkdKeyCache, sealBoxFrom } from '../qkd/cache.js';
import { KmeClient } from '../qkd/client.js';
import { KmeError } from '../qkd/errors.js';
import { KmeKeySource } from '../qkd/key-source.js';

const SETTINGS_AAD = 'qmail.qkd-settings.v1';
const CACHE_AAD = 'qmail.qkd-cache.v1';

export class QkdConfigError extends Error {
  override readonly name = 'QkdConfigError';
}

/**
 * Where the profile's KME settings come from: the embedded network's KME pair (followed on
 * every unlock), the user's own choice, or none because the user cleared them.
 */
export type QkdOrigin = 'embedded' | 'user' | 'declined';

/** Key bytes a capsule of `n` stripes takes: L1 pads the sealed secrets and keys a one-time MAC; L2 takes one 256-bit key. */
export function qkdKeyBytes(level: 1 | 2, stripes: number): number {
  return level === 1 ? 8 + stripes + stripes * STRIPE_KEY_BYTES + 32 : 32;
}

/** What the mail engine needs to seal or open L1/L2 capsules for one correspondent. */
export interface QkdLink {
  source: QkdKeySource;
  /** The SAE at the other end for this correspondent (their app behind their KME). */
  peer: string;
}

export interface QkdServiceOptions {
  db: Db;
  box: () => SecretBox;
  /** Keys fetched ahead into the sealed cache on a miss (default 16). */
  prefetchKeys?: number;
  timeoutMs?: number;
}

export class QkdService {
  private built: { source: KmeKeySource; client: KmeClient; settings: QkdSettings } | null = null;

  constructor(private readonly o: QkdServiceOptions) {}

  /** Where the settings came from; undefined for a profile that never recorded it. */
  origin(): QkdOrigin | undefined {
    return readQkdOrigin<QkdOrigin>(this.o.db);
  }

  private setOrigin(origin: QkdOrigin): void {
    writeQkdOrigin(this.o.db, origin);
  }

  /**
   * The embedded network's KME pair as this profile's KME (side A of its kme.json), unless
   * the user chose other settings or cleared them. Applied again on every unlock so a KME
   * that moved (another port) is followed. Returns whether the embedded KME is in use.
   */
  adoptEmbedded(kmeFile: string): boolean {
    const origin = this.origin();
    if (origin === 'user' || origin === 'declined') return false;
    // Settings saved before origins were recorded are the user's.
    if (origin === undefined && this.settings()) {
      this.setOrigin('user');
      return false;
    }
    try {
      const next = QkdSettings.parse(this.fromPairFile(kmeFile, 'A', {}));
      if (JSON.stringify(this.settings()) !== JSON.stringify(next)) this.set(next, 'embedded');
      else if (origin !== 'embedded') this.setOrigin('embedded');
      return true;
    } catch (e) {
      // No usable kme.json (yet): L1/L2 stay unavailable and say why.
      if (e instanceof QkdConfigError) return false;
      throw e;
    }
  }

  settings(): QkdSettings | undefined {
    const sealed = readSealedRow(this.o.db, 'qkd_settings');
    if (!sealed) return undefined;
    return QkdSettings.parse(JSON.parse(this.o.box().open(sealed, SETTINGS_AAD).toString('utf8')));
  }

  state(): QkdSettingsState {
    const s = this.settings();
    return s ? { configured: true, settings: s } : { configured: false };
  }

  /** Saves settings after checking the three files can be read (the KME itself is asked by test()). */
  set(input: QkdSettings, origin: QkdOrigin = 'user'): QkdSettingsState {
    const s = QkdSettings.parse(input);
    for (const [f, what] of [
      [s.certFile, 'client certificate'],
      [s.keyFile, 'client key'],
      [s.caFile, 'CA certificate'],
    ] as const) {
      try {
        if (!readFileSync(f, 'utf8').includes('-----BEGIN')) throw new Error('not a PEM file');
      } catch (e) {
        throw new QkdConfigError(`Cannot use the ${what} ${f}: ${(e as Error).message}`);
      }
    }
    const peers: Record<string, string> = {};
    for (const [a, sae] of Object.entries(s.peers)) peers[formatMailbox(parseMailbox(a))] = sae;
    const clean: QkdSettings = { ...s, peers };
    this.o.db.transaction(() => {
      writeSealedRow(this.o.db, 'qkd_settings', this.o.box().seal(Buffer.from(JSON.stringify(clean)), SETTINGS_AAD), Date.now());
      this.setOrigin(origin);
    })();
    this.forget();
    return this.state();
  }

  /** Reads one side of a kme.json (as `qmail-kme pair` or startKmePair writes it). */
  import(path: string, side: 'A' | 'B', peers: Record<string, string> = {}, origin: QkdOrigin = 'user'): QkdSettingsState {
    return this.set(this.fromPairFile(path, side, peers), origin);
  }

  /** The settings one side of a kme.json describes. */
  private fromPairFile(path: string, side: 'A' | 'B', peers: Record<string, string>): QkdSettings {
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new QkdConfigError(`Cannot read the KME file ${path}: ${(e as Error).message}`);
    }
    const e = j[side === 'A' ? 'kmeA' : 'kmeB'] as Record<string, unknown> | undefined;
    if (j.version !== 1 || !e || typeof e !== 'object')
      throw new QkdConfigError(`${path} is not a kme.json (version 1 with kmeA and kmeB)`);
    const file = (v: unknown, what: string) => {
      if (typeof v !== 'string' || !v) throw new QkdConfigError(`${path}: kme${side}.${what} is missing`);
      return isAbsolute(v) ? v : resolve(dirname(path), v);
    };
    const parsed = QkdSettings.safeParse({
      url: e.url,
      saeId: e.saeId,
      ...(typeof e.peerSaeId === 'string' ? { defaultPeerSaeId: e.peerSaeId } : {}),
      peers,
      certFile: file(e.saeCert, 'saeCert'),
      keyFile: file(e.saeKey, 'saeKey'),
      caFile: file(e.ca, 'ca'),
    });
    if (!parsed.success)
      throw new QkdConfigError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }

  /** Removes the settings; the embedded KME is then not applied again (the user said no). */
  clear(): QkdSettingsState {
    this.o.db.transaction(() => {
      clearRow(this.o.db, 'qkd_settings');
      this.setOrigin('declined');
    })();
    this.forget();
    return this.state();
  }

  /** The peer SAE for a correspondent: their own entry, else the default peer. */
  peerFor(address: string, s = this.settings()): string | undefined {
    if (!s) return undefined;
    let a = address;
    try {
      a = formatMailbox(parseMailbox(address));
    } catch {
      /* an SAE ID given directly */
    }
    return s.peers[a] ?? s.defaultPeerSaeId;
  }

  /** The key source (built on first use after unlock); undefined when no KME is configured. */
  source(): KmeKeySource | undefined {
    if (this.built) return this.built.source;
    const settings = this.settings();
    if (!settings) return undefined;
    const client = KmeClient.fromFiles({
      url: settings.url,
      certFile: settings.certFile,
      keyFile: settings.keyFile,
      caFile: settings.caFile,
      ...(settings.servername ? { servername: settings.servername } : {}),
      ...(this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {}),
    });
    const box = this.o.box;
    // The ledger of used keys lives in the profile database for good (settings changes keep it).
    const cache = QkdKeyCache.open({
      box: sealBoxFrom(box, CACHE_AAD),
      store: { db: this.o.db, table: QKD_CACHE_TABLE },
    });
    const source = new KmeKeySource({ client, cache, peerSaeId: settings.defaultPeerSaeId ?? '', prefetchKeys: this.o.prefetchKeys ?? 16 });
    this.built = { source, client, settings };
    return source;
  }

  /** The link to one correspondent, or why there is none. */
  linkFor(address: string): QkdLink | { missing: string } {
    const s = this.settings();
    if (!s) return { missing: 'no KME configured' };
    const peer = this.peerFor(address, s);
    if (!peer) return { missing: `no peer SAE ID for ${address} (set one for this correspondent or a default peer)` };
    return { source: this.source()!, peer };
  }

  /** On lock, on settings change: drop the client (its TLS sessions) and the decrypted cache. */
  forget(): void {
    this.built?.client.close();
    this.built = null;
  }

  /** The "test connection" button. */
  async test(peer?: string): Promise<{
    ok: boolean;
    message: string;
    code?: string;
    status?: { sourceKmeId: string; targetKmeId: string; keySize: number; storedKeyCount: number; maxKeyPerRequest: number };
  }> {
    const s = this.settings();
    if (!s) return { ok: false, code: 'not_configured', message: 'No KME is configured for this profile.' };
    const sae = peer ? (this.peerFor(peer, s) ?? peer) : s.defaultPeerSaeId;
    if (!sae)
      return {
        ok: false,
        code: 'invalid_argument',
        message: 'Name a peer SAE (or a correspondent with one) to test the link toward; no default peer is set.',
      };
    try {
      const src = this.source()!;
      const st = await src.linkStatus(sae, true);
      const status = {
        sourceKmeId: st.source_KME_ID,
        targetKmeId: st.target_KME_ID,
        keySize: st.key_size,
        storedKeyCount: st.stored_key_count,
        maxKeyPerRequest: st.max_key_per_request,
      };
      return {
        ok: true,
        status,
        message: `Connected to KME ${st.source_KME_ID} as ${s.saeId}; linked to KME ${st.target_KME_ID} for ${sae}: ${st.stored_key_count} keys of ${st.key_size} bits ready, up to ${st.max_key_per_request} per request.`,
      };
    } catch (e) {
      if (e instanceof KmeError) return { ok: false, code: e.code, message: e.message };
      return { ok: false, code: 'local_error', message: (e as Error).message };
    }
  }

  /**
   * Which levels can protect a message to `to` laid out in `stripes` now. L3 and L4 need no
   * KME. L1/L2 need a configured KME, a peer SAE for every recipient and, for each, enough key
   * at the link (cached keys plus the KME's stored_key_count × key_size).
   */
  async levels(to: string[], stripes: { k: number; p: number }): Promise<LevelAvailability[]> {
    const n = stripes.k + stripes.p;
    const out: LevelAvailability[] = [];
    const s = this.settings();
    const byPeer = new Map<string, string[]>();
    let missing: string | undefined;
    if (!s) missing = 'no KME configured';
    else {
      for (const a of to) {
        const peer = this.peerFor(a, s);
        if (!peer) {
          missing = `no peer SAE ID for ${a} (set one for this correspondent or a default peer)`;
          break;
        }
        byPeer.set(peer, [...(byPeer.get(peer) ?? []), a]);
      }
    }
    // One status per peer, shared by both levels.
    const avail = new Map<string, number | KmeError | Error>();
    if (!missing) {
      const src = this.source()!;
      await Promise.all(
        [...byPeer.keys()].map(async (peer) => {
          try {
            const a = await src.availableBits(peer);
            avail.set(peer, a.cachedBits + a.kmeBits);
          } catch (e) {
            avail.set(peer, e as Error);
          }
        }),
      );
    }
    for (const level of [1, 2] as const) {
      const name = level === 1 ? 'L1' : 'L2';
      const needBytes = qkdKeyBytes(level, n);
      if (missing) {
        out.push({ level: name, available: false, quantum: true, reason: missing, neededBits: needBytes * 8 });
        continue;
      }
      let reason: string | undefined;
      let least = Infinity;
      for (const [peer, addrs] of byPeer) {
        const a = avail.get(peer)!;
        if (typeof a !== 'number') {
          reason =
            a instanceof KmeError && a.code === 'exhausted'
              ? `key pool exhausted (${a.message})`
              : `KME unreachable or refusing: ${a.message}`;
          break;
        }
        // Each recipient on this link takes its own keys.
        const have = Math.floor(a / addrs.length);
        least = Math.min(least, have);
        if (have < needBytes * 8) {
          reason =
            a === 0
              ? `key pool exhausted: the KME holds no key for ${peer}`
              : level === 1
                ? `message too long for one-time pad: ${needBytes} bytes of key needed > ${Math.floor(have / 8)} available`
                : `key pool exhausted: ${needBytes * 8} bits needed > ${have} available`;
          break;
        }
      }
      out.push({
        level: name,
        available: !reason,
        quantum: true,
        neededBits: needBytes * 8,
        ...(Number.isFinite(least) ? { availableBits: least } : {}),
        ...(reason ? { reason } : {}),
      });
    }
    out.push({ level: 'L3', available: true, quantum: false }, { level: 'L4', available: true, quantum: false });
    return out;
  }
}
