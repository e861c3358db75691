// POP3 download mode: every message whose UIDL we have not stored is downloaded (headers
// read for the list, the whole message cached sealed), then deleted on the server unless
// "leave on server" is on. A UIDL already stored is never downloaded again.
import { performance } from 'node:perf_hooks';
import type { Envelope, LegacyStore } from '../../../store/legacy.js';
import type { Credentials } from '../imap/connect.js';
import type { FolderReport } from '../imap/sync.js';
import type { ServerConfig } from '../types.js';
import { Pop3Client } from './client.js';

const POP_FOLDER = 'INBOX';

/** The few header fields a list needs, read without a MIME parser (unfolded, first 64 KiB). */
export function headerEnvelope(raw: Buffer): { envelope: Envelope; date: number } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw
    .subarray(0, end < 0 ? Math.min(raw.length, 65536) : Math.min(end, 65536))
    .toString('latin1')
    .replace(/\r\n[ \t]+/g, ' ');
  const field = (n: string) => new RegExp(`^${n}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim();
  const addrs = (v: string | undefined) => (v ? [...v.matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)].map((m) => m[0]) : []);
  const fromRaw = field('From') ?? '';
  const fromName = /^"?([^"<]*?)"?\s*</.exec(fromRaw)?.[1]?.trim();
  const date = Date.parse(field('Date') ?? '');
  return {
    envelope: {
      from: addrs(fromRaw)[0] ?? '',
      ...(fromName ? { fromName } : {}),
      to: addrs(field('To')),
      cc: addrs(field('Cc')),
      subject: field('Subject') ?? '',
      ...(field('Message-ID') ? { messageId: field('Message-ID')! } : {}),
      ...(field('In-Reply-To') ? { inReplyTo: field('In-Reply-To')! } : {}),
      hasAttachments: /^Content-Disposition:\s*attachment/im.test(raw.subarray(0, 4 * 1024 * 1024).toString('latin1')),
    },
    date: Number.isFinite(date) ? date : 0,
  };
}

export async function pop3Sync(
  server: ServerConfig,
  creds: Credentials,
  store: LegacyStore,
  accountId: string,
  o: { leaveOnServer: boolean; now?: () => number },
): Promise<Omit<FolderReport, 'mode'> & { mode: 'pop3' }> {
  const started = performance.now();
  let folder = store.folders(accountId).find((f) => f.path === POP_FOLDER);
  folder ??= store.addFolder(accountId, POP_FOLDER, 'inbox');
  const c = await Pop3Client.connect(server, creds);
  let added = 0;
  let removed = 0;
  try {
    const ids = await c.uidl();
    const have = store.uidls(folder.id);
    let nextUid = store.maxUid(folder.id) + 1;
    for (const [n, uidl] of [...ids].sort((a, b) => b[0] - a[0])) {
      if (have.has(uidl)) {
        if (!o.leaveOnServer) {
          await c.dele(n);
          removed++;
        }
        continue;
      }
      const raw = await c.retr(n);
      const { envelope, date } = headerEnvelope(raw);
      const uid = nextUid++;
      store.addMessages(folder.id, [{ uid, uidl, date, flags: 0, size: raw.length, envelope }]);
      const row = store.messageByUid(folder.id, uid)!;
      const w = store.bodyWriter(row.id);
      const CH = 1024 * 1024;
      for (let off = 0; off < raw.length || off === 0; off += CH) {
        w.write(raw.subarray(off, off + CH), off + CH >= raw.length);
        if (raw.length === 0) break;
      }
      added++;
      if (!o.leaveOnServer) {
        await c.dele(n);
        removed++;
      }
    }
    store.saveState(folder.id, { syncedAt: (o.now ?? Date.now)() });
  } finally {
    await c.quit().catch(() => {});
  }
  return {
    path: POP_FOLDER,
    role: 'inbox',
    total: store.count(folder.id),
    added,
    changed: 0,
    removed,
    seconds: (performance.now() - started) / 1000,
    mode: 'pop3',
  };
}
