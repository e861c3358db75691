// The coin servers of a network file (network.json): slot i of every coin's ANs belongs to
// the node whose RAIDA index is i.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Endpoint } from '../net/transport.js';

const fileSchema = z.object({
  nodes: z
    .array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), raidaId: z.number().int().min(0).max(24) }))
    .min(1)
    .max(25),
});

export class NetworkFileError extends Error {
  override readonly name = 'NetworkFileError';
}

export function coinEndpoints(file: string): Endpoint[] {
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new NetworkFileError(`${file} does not list the network's nodes: ${(e as Error).message}`);
  }
  const nodes = [...parsed.nodes].sort((a, b) => a.raidaId - b.raidaId);
  if (nodes.some((n, i) => n.raidaId !== i))
    throw new NetworkFileError(`${file}: the nodes' RAIDA indexes must be 0..${nodes.length - 1}, each once`);
  return nodes.map((n) => ({ host: n.host, port: n.port, raidaId: n.raidaId }));
}
