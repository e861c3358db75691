// One text form for a QMail address: the contract's schema, the codec and the composer's
// finder accept and refuse the same strings.
import { describe, expect, it } from 'vitest';
import { ADDRESS_PATTERN, ADDRESS_TEXT, cloudCoinMailbox, formatMailbox } from './address.js';
import { parseMailbox } from '../cbdf/address.js';
import { Address, StripeLayout } from '../ipc/contract.js';
import { checkLayout, MAX_STRIPES } from '../stripe/layout.js';

const good = ['0006.1.42', '0006.-2.0', 'ffFF.127.4294967295'];
const bad = ['', '6.1.42', '0006.1', '0006.1.42 ', ' 0006.1.42', 'x0006.1.42', '0006.1234.1', '0006.1.12345678901', '0006.1.42\n'];

describe('the QMail address', () => {
  it('is one pattern for the contract and the codec', () => {
    for (const a of good) {
      expect(ADDRESS_PATTERN.test(a), a).toBe(true);
      expect(Address.safeParse(a).success, a).toBe(true);
      expect(formatMailbox(parseMailbox(a)).toLowerCase(), a).toBe(a.toLowerCase());
    }
    for (const a of bad) {
      expect(ADDRESS_PATTERN.test(a), JSON.stringify(a)).toBe(false);
      expect(Address.safeParse(a).success, JSON.stringify(a)).toBe(false);
    }
  });

  it('is found inside a recipient by the unanchored form', () => {
    expect(ADDRESS_TEXT.exec('Ada Lovelace <0006.1.42>')?.[0]).toBe('0006.1.42');
    expect(formatMailbox(cloudCoinMailbox(0, 2718281828))).toBe('0006.0.2718281828');
  });
});

describe('the stripe layout', () => {
  it('has the bounds of the stripe format in the contract', () => {
    for (let k = 0; k <= MAX_STRIPES + 1; k++) {
      for (const p of [-1, 0, 1, MAX_STRIPES - k, MAX_STRIPES - k + 1]) {
        let ok = true;
        try {
          checkLayout({ k, p });
        } catch {
          ok = false;
        }
        expect(StripeLayout.safeParse({ k, p }).success, `${k}+${p}`).toBe(ok);
      }
    }
  });
});
