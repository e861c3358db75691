import { describe, expect, it } from 'vitest';
import { ClientFrame, ServerFrame } from './wire.js';

describe('WebSocket frames', () => {
  it('parses both kinds of reply and events', () => {
    expect(ServerFrame.parse({ t: 'res', id: 1, ok: true, value: { a: 1 } })).toMatchObject({ ok: true });
    expect(ServerFrame.parse({ t: 'res', id: 2, ok: false, error: { code: 'locked', message: 'm' } })).toMatchObject({ ok: false });
    expect(ServerFrame.parse({ t: 'evt', ch: 'mail.changed', payload: {} })).toMatchObject({ t: 'evt' });
  });
  it('refuses malformed frames', () => {
    expect(ServerFrame.safeParse({ t: 'res', id: 1, ok: false }).success).toBe(false);
    expect(ClientFrame.safeParse({ t: 'req', id: -1, ch: 'x', input: {} }).success).toBe(false);
    expect(ClientFrame.safeParse({ t: 'req', id: 1, ch: 'x'.repeat(65), input: {} }).success).toBe(false);
  });
});
