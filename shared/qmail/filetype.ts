import { Status } from '../raida/status.js';
import { QMailError } from './errors.js';

/** QMail/1.0 §4.4: the file_type byte picks a storage suffix and a CBDF role. */
export const FileType = {
  META: 0,
  BODY: 1,
  STYLE: 2,
  TEXT: 3,
  RESOURCE: 4,
  LOGIC: 5,
  FIRST_ATTACHMENT: 10,
} as const;

export type FileRole = 'meta' | 'body' | 'style' | 'text' | 'resource' | 'logic' | 'reserved' | 'attachment';

const FIXED: Record<number, { suffix: string; role: FileRole }> = {
  0: { suffix: '.meta', role: 'meta' },
  1: { suffix: '.qmail', role: 'body' },
  2: { suffix: '.style', role: 'style' },
  3: { suffix: '.text', role: 'text' },
  4: { suffix: '.resource', role: 'resource' },
  5: { suffix: '.logic', role: 'logic' },
};

function checkByte(ft: number): void {
  if (!Number.isInteger(ft) || ft < 0 || ft > 255)
    throw new QMailError('bad_file_type', Status.INVALID_PARAMETER, `file_type out of range: ${ft}`);
}

export function fileTypeRole(ft: number): FileRole {
  checkByte(ft);
  return FIXED[ft]?.role ?? (ft < 10 ? 'reserved' : 'attachment');
}

/** Storage suffix: `.meta`, `.qmail`, …, `.blob` for 6–9, `.N.bin` for attachment N = ft − 10. */
export function fileTypeSuffix(ft: number): string {
  checkByte(ft);
  const f = FIXED[ft];
  if (f) return f.suffix;
  return ft < 10 ? '.blob' : `.${ft - 10}.bin`;
}

export function isReservedFileType(ft: number): boolean {
  return ft >= 6 && ft <= 9;
}

/** file_type of the n-th attachment (0-based); at most 246 attachments fit in a byte. */
export function attachmentFileType(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 245)
    throw new QMailError('bad_file_type', Status.INVALID_PARAMETER, `attachment index out of range: ${n}`);
  return FileType.FIRST_ATTACHMENT + n;
}

export function attachmentIndex(ft: number): number | undefined {
  checkByte(ft);
  return ft >= 10 ? ft - 10 : undefined;
}

/**
 * Tell manifest order (§4.4): private meta first, body second, then the rest in
 * ascending file_type, each at most once, never a reserved type.
 */
export function checkManifestOrder(fileTypes: readonly number[]): void {
  if (fileTypes.length === 0) return;
  const fail = (m: string) => {
    throw new QMailError('bad_manifest_order', Status.INVALID_PARAMETER, m);
  };
  if (fileTypes[0] !== FileType.META) fail('manifest must list the private meta (file_type 0) first');
  if (fileTypes.length < 2 || fileTypes[1] !== FileType.BODY) fail('manifest must list the body (file_type 1) second');
  for (let i = 0; i < fileTypes.length; i++) {
    const ft = fileTypes[i]!;
    checkByte(ft);
    if (isReservedFileType(ft)) fail(`file_type ${ft} is reserved`);
    if (i >= 2 && ft <= fileTypes[i - 1]!) fail('manifest entries after the body must be in ascending file_type order without repeats');
  }
}
