// Minimal HTTP/JSON client for the directory (used by nodes to publish, and by tests).
import type { SignedDescriptor } from './descriptor.js';

export class DirectoryClientError extends Error {
  override readonly name = 'DirectoryClientError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function directoryRequest<T>(base: string, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new DirectoryClientError(res.status, `directory answered non-JSON (${res.status})`);
  }
  if (!res.ok) throw new DirectoryClientError(res.status, (json as { error?: string } | null)?.error ?? `directory answered ${res.status}`);
  return json as T;
}

export async function publishDescriptor(base: string, d: SignedDescriptor): Promise<void> {
  await directoryRequest(base, 'POST', '/v1/servers', { descriptor: d.descriptor, signature: d.signature });
}
