import { describe, expect, it } from 'vitest';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tests/support/tmp.js';
import { embeddedMintKey, mintKeyFile, readMintKey } from './mint.js';

describe('the embedded network mint key', () => {
  it('is made once, owner-only, and read back unchanged', () => {
    const dir = tempDir('qmail-mint-');
    try {
      const net = join(dir.path, 'network');
      expect(readMintKey(net)).toBeUndefined();
      const key = embeddedMintKey(net);
      expect(key).toMatch(/^[0-9a-f]{32}$/);
      expect(statSync(mintKeyFile(net)).mode & 0o777).toBe(0o600);
      expect(embeddedMintKey(net)).toBe(key);
      expect(readMintKey(net)).toBe(key);
      writeFileSync(mintKeyFile(net), 'not a key');
      expect(readMintKey(net)).toBeUndefined();
      expect(embeddedMintKey(net)).not.toBe(key);
    } finally {
      dir.remove();
    }
  });
});
