// A parsed legacy message as the reader shows it: HTML through the one sanitizing path
// (htmlToCbdf) into a CBDF Phase II document, cid: images from the message's own inline
// parts, remote images kept as blocked references (extension 0xC1) until the user allows
// that sender; then the main process fetches them and they travel as resources, so the
// renderer never loads anything from another server. Plain text stays as it is.
import {
  FileType,
  MAX_RICH_BODY_BYTES,
  ResourceType,
  encodeDocument,
  htmlToCbdf,
  imageSourcesOf,
  toPlainText,
  truncateUtf8,
  type Phase2Document,
  type Resource,
} from '../../../../shared/cbdf/index.js';
import { MimeError } from './errors.js';
import type { ParsedMessage } from './parse.js';

const IMAGE_TYPES: Record<string, number> = {
  'image/png': ResourceType.PNG,
  'image/jpeg': ResourceType.JPEG,
  'image/jpg': ResourceType.JPEG,
  'image/webp': ResourceType.WEBP,
};

/** The resource type the bytes really are (PNG, JPEG, WebP), whatever a header claimed. */
export function sniffImage(b: Uint8Array): number | undefined {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return ResourceType.PNG;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return ResourceType.JPEG;
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP')
    return ResourceType.WEBP;
  return undefined;
}

export interface LegacyBody {
  /** Plain text: what search, previews and a plain message show. */
  body: string;
  /** For an HTML message: its CBDF document, at most MAX_RICH_BODY_BYTES encoded. */
  document?: Uint8Array;
  /** Remote image URLs the document names and does not carry. */
  remoteImages: string[];
}

/** The reader's view of a parsed message (see the file comment). */
export function legacyBody(msg: Pick<ParsedMessage, 'html' | 'text' | 'subject' | 'date' | 'attachments'>): LegacyBody {
  if (msg.html === undefined || msg.html.trim() === '') return { body: (msg.text ?? '').replace(/\r\n?/g, '\n'), remoteImages: [] };
  const byCid = new Map(msg.attachments.filter((a) => a.cid && a.data).map((a) => [a.cid!.toLowerCase(), a]));
  // CBDF timestamps are u32 seconds: a Date header outside 1970–2106 is left out.
  const seconds = msg.date !== undefined ? Math.floor(msg.date / 1000) : -1;
  // Control characters are no text a reader shows (and CBDF text cannot hold them).
  let html = '';
  for (const ch of msg.html.replace(/\r\n?/g, '\n')) {
    const c = ch.charCodeAt(0);
    if (c >= 0x20 ? c !== 0x7f : c === 0x09 || c === 0x0a) html += ch;
  }
  const doc = htmlToCbdf(html, {
    remoteImages: 'block',
    meta: {
      fileType: FileType.QMAIL,
      subject: truncateUtf8(msg.subject, 255),
      ...(seconds >= 0 && seconds <= 0xffffffff ? { timestamp: seconds } : {}),
    },
    resolveImage: (src) => {
      const m = /^cid:(.+)$/i.exec(src.trim());
      const part = m ? byCid.get(decodeURIComponent(m[1]!).toLowerCase()) : undefined;
      if (!part?.data) return undefined;
      const type = sniffImage(part.data) ?? IMAGE_TYPES[part.contentType];
      return type === undefined ? undefined : { type, data: part.data };
    },
  });
  const encoded = encodeDocument(doc);
  const body = toPlainText(doc).trimEnd() || (msg.text ?? '');
  if (encoded.length > MAX_RICH_BODY_BYTES) return { body: msg.text ?? body, remoteImages: [] };
  return { body, document: encoded, remoteImages: remoteImageUrls(doc) };
}

export function remoteImageUrls(doc: Phase2Document): string[] {
  const have = new Set(doc.resources.map((r) => r.id));
  return [...imageSourcesOf(doc).values()].filter((s) => s.url && !have.has(s.resourceId)).map((s) => s.url);
}

export type ImageFetcher = (url: string) => Promise<Uint8Array | undefined>;

export interface RemoteImageLimits {
  perImageBytes: number;
  /** The document with its images, encoded. */
  totalBytes: number;
}

/**
 * The document with its remote images fetched and carried as resources (after the user
 * allowed the sender). Images that fail, are too big or are not PNG/JPEG/WebP by their
 * bytes stay blocked placeholders.
 */
export async function withRemoteImages(
  doc: Phase2Document,
  fetchImage: ImageFetcher,
  limits: RemoteImageLimits = { perImageBytes: 5 * 1024 * 1024, totalBytes: MAX_RICH_BODY_BYTES },
): Promise<Phase2Document> {
  const have = new Set(doc.resources.map((r) => r.id));
  const wanted = [...imageSourcesOf(doc).values()].filter((s) => s.url && /^https?:\/\//i.test(s.url) && !have.has(s.resourceId));
  const got = await Promise.all(
    wanted.map(async (s) => {
      try {
        const data = await fetchImage(s.url);
        const type = data && data.length <= limits.perImageBytes ? sniffImage(data) : undefined;
        return type === undefined ? undefined : ({ id: s.resourceId, type, data: data! } satisfies Resource);
      } catch {
        return undefined;
      }
    }),
  );
  let size = encodeDocument(doc).length;
  const resources = [...doc.resources];
  for (const r of got) {
    if (!r || size + r.data.length + 6 > limits.totalBytes) continue;
    size += r.data.length + 6;
    resources.push(r);
  }
  return { ...doc, resources };
}

/** Fetches one image over http(s) with no cookies or referrer, bounded in size and time. */
export async function fetchRemoteImage(url: string, opts: { maxBytes?: number; timeoutMs?: number } = {}): Promise<Uint8Array | undefined> {
  if (!/^https?:\/\//i.test(url)) throw new MimeError('malformed', 'only http(s) images are fetched');
  const max = opts.maxBytes ?? 5 * 1024 * 1024;
  const res = await fetch(url, {
    redirect: 'follow',
    referrerPolicy: 'no-referrer',
    credentials: 'omit',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  if (!res.ok || !res.body) return undefined;
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
