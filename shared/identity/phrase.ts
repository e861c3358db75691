// Recovery phrase: the 32-byte identity seed written as 24 words of the BIP-39 English
// list (256 bits + an 8-bit SHA-256 checksum). The words encode the seed itself; the
// BIP-39 PBKDF2 "mnemonic to seed" step is not used, so the phrase is exactly the seed.
import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { CryptoError } from '../crypto/errors.js';
import { identityFromSeed, SEED_BYTES, type Identity } from './identity.js';

export function seedToPhrase(seed: Uint8Array): string {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw new CryptoError('bad-input', 'seed must be 32 bytes');
  return entropyToMnemonic(seed, wordlist);
}

export function normalizePhrase(phrase: string): string {
  return phrase.normalize('NFKD').toLowerCase().trim().split(/\s+/).join(' ');
}

export function phraseToSeed(phrase: string): Uint8Array {
  if (typeof phrase !== 'string' || phrase.length > 1000) throw new CryptoError('bad-phrase', 'not a recovery phrase');
  const words = normalizePhrase(phrase).split(' ');
  if (words.length !== 24) throw new CryptoError('bad-phrase', `a recovery phrase has 24 words, got ${words.length}`);
  const unknown = words.findIndex((w) => !wordlist.includes(w));
  if (unknown >= 0) throw new CryptoError('bad-phrase', `word ${unknown + 1} is not in the word list`);
  try {
    return mnemonicToEntropy(words.join(' '), wordlist);
  } catch {
    throw new CryptoError('bad-phrase', 'checksum does not match: a word is wrong or out of order');
  }
}

export function identityToPhrase(id: Identity): string {
  return seedToPhrase(id.seed);
}

export function identityFromPhrase(phrase: string, address?: Uint8Array): Identity {
  return identityFromSeed(phraseToSeed(phrase), address);
}
