// What the app hands its services from the embedded network: the KME pair's kme.json, only
// when this process launched that network.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir } from '../tests/support/tmp.js';
import { embeddedChips, embeddedKmeFile } from './embedded.js';
import { embeddedMintKey } from './mint.js';

describe('the embedded network', () => {
  it('names the kme.json its launcher recorded, and nothing for a network from a file or none', () => {
    const local = { network: { services: { kme: { config: '/p/network/kme/kme.json' } } } };
    expect(embeddedKmeFile({ local } as unknown as Parameters<typeof embeddedKmeFile>[0])).toBe('/p/network/kme/kme.json');
    expect(embeddedKmeFile({ directoryUrl: 'http://127.0.0.1:1' })).toBeUndefined();
    expect(embeddedKmeFile(null)).toBeUndefined();
  });

  it('gives the wallet the network file, and the mint key only for the network this process runs', () => {
    const tmp = tempDir('qmail-embedded-chips-');
    try {
      const file = join(tmp.path, 'network.json');
      const key = embeddedMintKey(tmp.path);
      const local = {} as unknown as NonNullable<Parameters<typeof embeddedChips>[0]>['local'];
      expect(embeddedChips({ file, local })).toEqual({ networkFile: file, mintKey: key });
      // A network from a file is not ours to mint on, even with a mint.key beside it.
      expect(embeddedChips({ file })).toEqual({ networkFile: file });
      expect(embeddedChips({})).toEqual({});
      expect(embeddedChips(null)).toEqual({});
    } finally {
      tmp.remove();
    }
  });
});
