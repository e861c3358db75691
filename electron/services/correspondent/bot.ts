// The built-in correspondent: a profile that answers every qmail it receives with a short
// reply quoting the subject and listing the attachments, so a newcomer's first qmail gets
// an answer. Runs in-process (runCorrespondent) or as `qmail correspondent`.
import type { AppServices } from '../app/services.js';
import { closeProfile, openProfile } from '../mail/profile.js';
import type { KdfParams } from '../../store/vault.js';

export interface ReplyInput {
  from: string;
  subject: string;
  attachments?: { name: string; size: number }[];
}

export function humanSize(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function replyFor(m: ReplyInput, myName: string): { subject: string; body: string } {
  const subject = /^re:/i.test(m.subject) ? m.subject : `Re: ${m.subject || '(no subject)'}`;
  const lines = [`Hello ${m.from},`, '', `${myName} here. Your qmail "${m.subject || '(no subject)'}" arrived intact: every stripe checked, the signature verified.`];
  const att = m.attachments ?? [];
  if (att.length) {
    lines.push('', `It carried ${att.length} attachment${att.length === 1 ? '' : 's'}:`);
    for (const a of att) lines.push(`  - ${a.name} (${humanSize(a.size)})`);
  } else lines.push('', 'It carried no attachments.');
  lines.push('', 'This is an automatic answer from the QMail correspondent.');
  return { subject, body: lines.join('\n') };
}

export interface Correspondent {
  address: string;
  app: AppServices;
  /** How many replies were queued so far. */
  readonly replies: number;
  stop(): Promise<void>;
}

export interface CorrespondentOptions {
  profile: string;
  network: string;
  name?: string;
  passphrase: string;
  kdf?: KdfParams;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Wait this long before answering (default 0). */
  replyDelayMs?: number;
}

export async function runCorrespondent(o: CorrespondentOptions): Promise<Correspondent> {
  const name = o.name ?? 'QMail Correspondent';
  const app = await openProfile({ profile: o.profile, network: o.network, create: true, passphrase: o.passphrase, ...(o.kdf ? { kdf: o.kdf } : {}), mail: { pingWaitMs: 30_000 }, ...(o.log ? { log: o.log } : {}) });
  if (!app.mail.identities.exists) await app.mail.createIdentity(name);
  const me = app.mail.me();
  let replies = 0;
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  const off = app.subscribe((event, payload) => {
    if (event !== 'mail.received') return;
    const { id } = payload as { id: string };
    if (!o.replyDelayMs) return answer(id);
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopping) answer(id);
    }, o.replyDelayMs);
    timers.add(t);
  });
  const answer = (id: string) => {
    const m = app.mail.view(id);
    if (!m || m.from === me.address) return;
    const r = replyFor({ from: m.from, subject: m.subject, attachments: m.attachments ?? [] }, me.name);
    try {
      app.mail.queue({ to: [m.from], cc: [], subject: r.subject, body: r.body, attachments: [], level: 'L3', stripes: { k: 2, p: 1 } });
      app.messages.setUnread(id, false);
      replies++;
    } catch (e) {
      o.log?.('reply failed', { error: (e as Error).message });
    }
  };
  app.mail.start();
  return {
    address: me.address,
    app,
    get replies() {
      return replies;
    },
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      off();
      await closeProfile(app);
    },
  };
}
