// Framing for the WebSocket transport (host mode). Electron IPC needs no framing: the
// channel is the IPC channel and the payload the input.
import { z } from 'zod';

export const ClientFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('req'), id: z.number().int().nonnegative(), ch: z.string().max(64), input: z.unknown() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

// A plain union: two shapes share t = 'res' (success and failure), which a
// discriminated union refuses.
export const ServerFrame = z.union([
  z.object({ t: z.literal('res'), id: z.number().int().nonnegative(), ok: z.literal(true), value: z.unknown() }),
  z.object({
    t: z.literal('res'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
  z.object({ t: z.literal('evt'), ch: z.string(), payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Largest frame either side accepts: a draft body plus envelope. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** The subprotocol prefix that carries the per-run token (browsers cannot set headers). */
export const TOKEN_PROTOCOL_PREFIX = 'qmail.token.';
