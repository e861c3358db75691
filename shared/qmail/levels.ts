// The four security levels of a qmail's capsule (DESIGN.md §3): their names, numbers,
// labels, descriptions and algorithms, in one place for the engine, the contract, the
// composer, the reader and the command line.

export const LEVELS = ['L1', 'L2', 'L3', 'L4'] as const;
export type LevelName = (typeof LEVELS)[number];

export const LEVEL_NUMBER: Record<LevelName, 1 | 2 | 3 | 4> = { L1: 1, L2: 2, L3: 3, L4: 4 };
export const LEVEL_NAME: Record<number, LevelName> = { 1: 'L1', 2: 'L2', 3: 'L3', 4: 'L4' };

export const isLevelName = (s: string): s is LevelName => (LEVELS as readonly string[]).includes(s);
/** L1 and L2 draw their keys from quantum key distribution: "Quantum Secured". */
export const isQuantum = (level: string): boolean => level === 'L1' || level === 'L2';

/** What a person reads: a short label (badges, pickers) and a sentence (tooltips, the reader). */
export const LEVEL_LABELS: Record<LevelName, { short: string; long: string }> = {
  L1: { short: 'Quantum OTP', long: 'Level 1: one-time pad from quantum keys' },
  L2: { short: 'Quantum-keyed AES', long: 'Level 2: AES-256 keyed from quantum key distribution' },
  L3: { short: 'Post-quantum', long: 'Level 3: post-quantum hybrid encryption (ML-KEM + X25519)' },
  L4: { short: 'Classical', long: 'Level 4: classical encryption (X25519 + AES-256-GCM)' },
};

/** The capsule's algorithms, as the security certificate names them. */
export const LEVEL_ALGORITHM: Record<LevelName, string> = {
  L1: 'QKD one-time pad + one-time Poly1305 (ETSI GS QKD 014 keys)',
  L2: 'QKD key → HKDF-SHA-256 → AES-256-GCM (ETSI GS QKD 014 keys)',
  L3: 'ML-KEM-768+X25519 (X-Wing) → HKDF-SHA-256 → AES-256-GCM',
  L4: 'X25519 → HKDF-SHA-256 → AES-256-GCM',
};
