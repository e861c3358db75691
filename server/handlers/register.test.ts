import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { createLogger } from '../log.js';
import { registrationAuthority } from './register.js';

describe('registration authority', () => {
  it('needs a proof only with a directory, and bounds the proof checks a flood can cost', () => {
    const log = createLogger('silent');
    expect(registrationAuthority(parseConfig({ dataDir: '/tmp/x' }), '00'.repeat(16), log).required).toBe(false);
    const pinned = Buffer.alloc(1952, 1).toString('base64');
    const auth = registrationAuthority(parseConfig({ dataDir: '/tmp/x', directory: { publicKey: pinned } }), '00'.repeat(16), log);
    expect(auth.required).toBe(true);
    let granted = 0;
    for (let i = 0; i < 100; i++) if (auth.takeCheck(1000)) granted++;
    expect(granted).toBe(40); // the burst
    expect(auth.takeCheck(1000)).toBe(false);
    let later = 0;
    for (let i = 0; i < 100; i++) if (auth.takeCheck(2000)) later++;
    expect(later).toBe(20); // one second refills 20
  });
});
