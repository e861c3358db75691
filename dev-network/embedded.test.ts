// What the app hands its services from the embedded network: the KME pair's kme.json, only
// when this process launched that network.
import { describe, expect, it } from 'vitest';
import { embeddedKmeFile } from './embedded.js';

describe('the embedded network', () => {
  it('names the kme.json its launcher recorded, and nothing for a network from a file or none', () => {
    const local = { network: { services: { kme: { config: '/p/network/kme/kme.json' } } } };
    expect(embeddedKmeFile({ local } as unknown as Parameters<typeof embeddedKmeFile>[0])).toBe('/p/network/kme/kme.json');
    expect(embeddedKmeFile({ directoryUrl: 'http://127.0.0.1:1' })).toBeUndefined();
    expect(embeddedKmeFile(null)).toBeUndefined();
  });
});
