// The embedded network's mint key: its nodes create test Chips (command 98) under it, so a
// new wallet on the local network can be funded with labelled test money. Kept beside the
// network (0600), made once, reused on the next start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export function mintKeyFile(networkDir: string): string {
  return join(networkDir, 'mint.key');
}

/** The network's mint key (32 hex digits), made on first use. */
export function embeddedMintKey(networkDir: string): string {
  const file = mintKeyFile(networkDir);
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(hex)) return hex;
  }
  mkdirSync(networkDir, { recursive: true, mode: 0o700 });
  const hex = randomBytes(16).toString('hex');
  writeFileSync(file, hex + '\n', { mode: 0o600 });
  return hex;
}

/** The mint key of an existing embedded network, if it has one. */
export function readMintKey(networkDir: string): string | undefined {
  try {
    const hex = readFileSync(mintKeyFile(networkDir), 'utf8').trim();
    return /^[0-9a-f]{32}$/.test(hex) ? hex : undefined;
  } catch {
    return undefined;
  }
}
