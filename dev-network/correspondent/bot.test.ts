import { describe, expect, it } from 'vitest';
import { openedWithKeys, planAnswer, qkdFailureReason, replyFor, wantedLevel, type ReplyInput } from './bot.js';

const K1 = '0b6f1c2e-8a4d-4f3e-9c1a-2d5e6f7a8b9c';
const K2 = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

const l2: ReplyInput = {
  from: '0006.0.1001',
  subject: 'Keys from the quantum link',
  certificate: { level: 'L2', signatureVerified: true, qkd: [{ keys: [{ keyId: K1, kmeId: 'KME_A' }] }] },
};
const l1: ReplyInput = {
  from: '0006.0.1001',
  subject: 'One-time pad',
  certificate: {
    level: 'L1',
    signatureVerified: true,
    qkd: [
      {
        keys: [
          { keyId: K1, kmeId: 'KME_A' },
          { keyId: K2, kmeId: 'KME_A' },
        ],
      },
    ],
  },
};

describe('the level of the answer', () => {
  it('answers L1 and L2 at the same level, everything else at L3', () => {
    expect(wantedLevel('L1')).toBe('L1');
    expect(wantedLevel('L2')).toBe('L2');
    expect(wantedLevel('L3')).toBe('L3');
    expect(wantedLevel('L4')).toBe('L3');
    expect(wantedLevel(undefined)).toBe('L3');
  });

  it('keeps L1/L2 when the KME holds keys, falls back to L3 with the reason when not', () => {
    expect(planAnswer('L2', { available: true }, 'KME_B')).toEqual({ level: 'L2', kmeId: 'KME_B' });
    expect(planAnswer('L1', { available: false, reason: 'key pool exhausted: 1112 bits needed > 0 available' })).toEqual({
      level: 'L3',
      fallback: { from: 'L1', reason: 'key pool exhausted: 1112 bits needed > 0 available' },
    });
    expect(planAnswer('L2', undefined)).toEqual({ level: 'L3', fallback: { from: 'L2', reason: 'no KME configured' } });
    expect(planAnswer('L3', { available: false, reason: 'ignored' })).toEqual({ level: 'L3' });
  });

  it('recognises a queued answer that failed for want of QKD keys, and nothing else', () => {
    expect(
      qkdFailureReason(
        'L2 is unavailable: key pool exhausted (no keys). Nothing was sent; send at L3 (post-quantum) instead, or allow fallback.',
      ),
    ).toBe('key pool exhausted (no keys)');
    expect(
      qkdFailureReason(
        'L1 is unavailable: KME unreachable or refusing: connect ECONNREFUSED 127.0.0.1:1. Nothing was sent; send at L3 instead',
      ),
    ).toBe('KME unreachable or refusing: connect ECONNREFUSED 127.0.0.1:1');
    expect(qkdFailureReason('Only 2 of 3 stripes were stored')).toBeUndefined();
    expect(qkdFailureReason(undefined)).toBeUndefined();
  });
});

describe('the key IDs it names', () => {
  it('lists the key IDs of the verified certificate, in order, only at L1/L2', () => {
    expect(openedWithKeys(l1.certificate)).toEqual([K1, K2]);
    expect(openedWithKeys(l2.certificate)).toEqual([K1]);
    expect(openedWithKeys({ level: 'L3', signatureVerified: true, qkd: [{ keys: [{ keyId: K1, kmeId: 'KME_A' }] }] })).toEqual([]);
    expect(openedWithKeys(undefined)).toEqual([]);
  });
});

describe('replyFor', () => {
  it('an L1 answer names the keys its KME delivered and the level it goes at', () => {
    const r = replyFor(l1, 'QMail Correspondent', planAnswer('L1', { available: true }, 'KME_B'));
    expect(r.subject).toBe('Re: One-time pad');
    expect(r.level).toBe('L1');
    expect(r.fallback).toBeUndefined();
    const lines = r.body.split('\n');
    expect(lines).toContain(`Opened with QKD keys from KME_B: ${K1}, ${K2}`);
    expect(lines).toContain('It came at L1, quantum secured.');
    expect(lines).toContain('This answer is sealed at L1 with fresh QKD keys from KME_B.');
    expect(r.body).toContain('the signature verified');
  });

  it('an answer that falls back says so, with the reason', () => {
    const r = replyFor(
      l2,
      'Bot',
      planAnswer('L2', { available: false, reason: 'key pool exhausted: the KME holds no key for SAE_ALICE' }, 'KME_B'),
    );
    expect(r.level).toBe('L3');
    expect(r.fallback).toEqual({ from: 'L2', reason: 'key pool exhausted: the KME holds no key for SAE_ALICE' });
    expect(r.body).toContain(`Opened with QKD keys from KME_B: ${K1}`);
    expect(r.body).toContain(
      'I could not answer at L2: key pool exhausted: the KME holds no key for SAE_ALICE. This answer comes at L3 (post-quantum) instead.',
    );
    expect(r.body).not.toContain('sealed at L2');
  });

  it('an L3 qmail gets a plain L3 answer without key IDs', () => {
    const r = replyFor(
      {
        from: '0006.0.1001',
        subject: '',
        attachments: [{ name: 'notes.txt', size: 2048 }],
        certificate: { level: 'L3', signatureVerified: true },
      },
      'Bot',
    );
    expect(r.subject).toBe('Re: (no subject)');
    expect(r.level).toBe('L3');
    expect(r.body).toContain('notes.txt (2.0 KB)');
    expect(r.body).toContain('It came at L3.');
    expect(r.body).not.toContain('QKD');
  });

  it('greets the sender by the name the directory vouched for, by address otherwise', () => {
    const base = { from: '0006.0.3204415244', subject: 'Hi', certificate: { level: 'L3', signatureVerified: true } };
    expect(replyFor({ ...base, fromName: 'Margaret Hamilton' }, 'Bot').body.split('\n')[0]).toBe('Hello Margaret Hamilton,');
    expect(replyFor(base, 'Bot').body.split('\n')[0]).toBe('Hello 0006.0.3204415244,');
  });

  it('does not claim a signature it did not see verified', () => {
    const r = replyFor(
      { ...l2, certificate: { ...l2.certificate!, signatureVerified: false } },
      'Bot',
      planAnswer('L2', { available: true }),
    );
    expect(r.body).not.toContain('signature verified');
    expect(r.body).toContain(`Opened with QKD keys from my KME: ${K1}`);
  });
});
