// A message's certificate, built once for sent and received mail alike: the level and
// its algorithms, the QKD keys used, the signature check, the sender's fingerprint, the
// layout and the servers that hold the stripes.
import type { MessageCertificate } from '../../../shared/ipc/index.js';
import { isQuantum, LEVEL_ALGORITHM, type LevelName } from '../../../shared/qmail/levels.js';
import type { Layout } from './context.js';

export interface CertificateFacts {
  direction: MessageCertificate['direction'];
  level: LevelName;
  /** QKD keys used: per recipient when sent, ours when received. */
  qkd?: { recipient?: string; keys: { kmeId: string }[] }[];
  signatureVerified: boolean;
  senderFingerprint: string;
  stripes: Layout;
  servers: MessageCertificate['servers'];
  fallback?: MessageCertificate['fallback'];
}

export function certificate(f: CertificateFacts): MessageCertificate {
  return {
    direction: f.direction,
    level: f.level,
    quantumSecured: isQuantum(f.level),
    algorithms: { capsule: LEVEL_ALGORITHM[f.level], stripes: 'AES-256-CTR + HMAC-SHA-256 per stripe', signature: 'ML-DSA-65' },
    ...(f.qkd ? { qkd: f.qkd.map((q) => ({ ...q, kmeIds: [...new Set(q.keys.map((k) => k.kmeId))] })) as MessageCertificate['qkd'] } : {}),
    signatureVerified: f.signatureVerified,
    senderFingerprint: f.senderFingerprint,
    stripes: f.stripes,
    servers: f.servers,
    ...(f.fallback ? { fallback: f.fallback } : {}),
  };
}
