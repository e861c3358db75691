import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/ipc/errors.js';
import { toContractError } from './errors.js';

describe('toContractError', () => {
  it('keeps a ContractError as it is', () => {
    const e = new ContractError('locked', 'locked');
    expect(toContractError(e)).toBe(e);
  });
  it('restores the code from a cloned error object', () => {
    expect(toContractError({ code: 'wrong_passphrase', message: 'no' })).toMatchObject({ code: 'wrong_passphrase', message: 'no' });
  });
  it('reads a code from a bracketed message that crossed a bridge', () => {
    const e = new Error("Error invoking remote method 'qmail:req:vault.unlock': [wrong_passphrase] That passphrase is wrong");
    expect(toContractError(e)).toMatchObject({ code: 'wrong_passphrase', message: 'That passphrase is wrong' });
  });
  it('treats anything else as internal, with its message', () => {
    expect(toContractError(new Error('boom'))).toMatchObject({ code: 'internal', message: 'boom' });
    expect(toContractError({ code: 'made_up', message: 'x' })).toMatchObject({ code: 'internal' });
  });
});
