// Saving an attachment of any size: the main process hands it over 1 MiB at a time
// (mail.attachmentPart), the parts become one Blob, saved through a Blob URL. No single
// answer carries more than a part, and the page never decodes one huge base64 string.
import type { Runtime } from '../../../../shared/ipc/runtime.js';

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Fetches every part of attachment `index` of message `id`; `onProgress` gets the bytes so far. */
export async function attachmentBlob(
  runtime: Runtime,
  id: string,
  index: number,
  onProgress: (done: number, size: number) => void = () => {},
): Promise<{ name: string; blob: Blob }> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let done = 0;
  for (let part = 0; ; part++) {
    const r = await runtime.invoke('mail.attachmentPart', { id, index, part });
    const bytes = decode(r.data);
    parts.push(bytes);
    done += bytes.length;
    onProgress(done, r.size);
    if (r.last) {
      if (done !== r.size) throw new Error(`${r.name}: ${done} of ${r.size} bytes arrived`);
      return { name: r.name, blob: new Blob(parts, { type: 'application/octet-stream' }) };
    }
  }
}

/** Saves a Blob as a file through a Blob URL (no data leaves the page). */
export function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
