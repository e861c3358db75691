// Large attachments go to the main process as a staged upload: the File is read a slice at a
// time (1 MiB) and each slice sent on its own, so neither side ever holds the whole file and
// the page stays responsive. The main process seals the slices on disk as they come.
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { errorMessage } from '../../runtime/errors.js';

/** Bytes per chunk (the contract's bound). */
export const STAGE_CHUNK = 1 << 20;
/** Files above this size are staged; smaller ones travel inline with the message. */
export const STAGE_ABOVE = 4 << 20;

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Streams `file` to the main process; resolves to the upload's id. `cancelled()` stops it (the upload is discarded). */
export async function stageFile(
  runtime: Runtime,
  file: Blob,
  name: string,
  onProgress: (sent: number) => void,
  cancelled: () => boolean = () => false,
): Promise<string> {
  const { id } = await runtime.invoke('attachments.begin', { name, size: file.size });
  try {
    for (let at = 0; at < file.size; at += STAGE_CHUNK) {
      if (cancelled()) throw new Error('cancelled');
      const bytes = new Uint8Array(await file.slice(at, Math.min(file.size, at + STAGE_CHUNK)).arrayBuffer());
      const { received } = await runtime.invoke('attachments.chunk', { id, data: toBase64(bytes) });
      onProgress(received);
    }
    await runtime.invoke('attachments.finish', { id });
    return id;
  } catch (e) {
    await runtime.invoke('attachments.discard', { id }).catch(() => undefined);
    throw e;
  }
}

/** What an attachment row shows of a file while it stages. */
export interface StagingChip {
  key: number;
  name: string;
  size: number;
  uploaded?: number;
  staged?: string;
}

/**
 * Adds `file` to a row as the chip `key`, stages it with its progress on the chip, and settles:
 * the upload id on the chip; or the chip gone and `failed` told why. A chip removed while its
 * file streams stops the stream and discards what was staged.
 */
export async function attachStaged<C extends StagingChip>(
  runtime: Runtime,
  file: Blob,
  name: string,
  key: number,
  row: { get(): C[]; set(chips: C[]): void },
  failed: (message: string) => void,
): Promise<void> {
  const patch = (p: Partial<StagingChip>) => row.set(row.get().map((a) => (a.key === key ? { ...a, ...p } : a)));
  row.set([...row.get(), { key, name, size: file.size, uploaded: 0 } as C]);
  const gone = () => !row.get().some((a) => a.key === key);
  try {
    const id = await stageFile(runtime, file, name, (uploaded) => patch({ uploaded }), gone);
    if (gone()) await runtime.invoke('attachments.discard', { id }).catch(() => undefined);
    else patch({ staged: id, uploaded: file.size });
  } catch (e) {
    if (gone()) return;
    row.set(row.get().filter((a) => a.key !== key));
    failed(`${name} could not be attached: ${errorMessage(e)}`);
  }
}
