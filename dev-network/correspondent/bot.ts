// The built-in correspondent: a profile that answers every qmail it receives with a short
// reply quoting the subject and listing the attachments, so a newcomer's first qmail gets
// an answer. Runs in-process (runCorrespondent) or as `qmail correspondent`.
//
// With a KME configured (one side of a kme.json, side B by default, so a user who imports
// side A shares a QKD link with it) it answers an L1 or L2 qmail at the same level, and
// says which QKD key IDs its KME delivered to open it. When its KME cannot give keys for
// the answer, it answers at L3 and says why in the body.
import type { AppServices } from '../../electron/services/app/services.js';
import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import type { KdfParams } from '../../electron/store/vault.js';

export type Level = 'L1' | 'L2' | 'L3' | 'L4';

export interface QkdKeyRef {
  keyId: string;
  kmeId: string;
}

export interface ReplyInput {
  /** The received message's id here: the answer is threaded to it. */
  id?: string;
  from: string;
  /** The sender's name as the directory vouched for it on receive, when known. */
  fromName?: string;
  subject: string;
  attachments?: { name: string; size: number }[];
  /** The certificate of the qmail received (built from what verified). */
  certificate?: { level: string; signatureVerified: boolean; qkd?: { keys: QkdKeyRef[] }[] };
}

/** At which level the answer goes, and why it is not the one asked for. */
export interface AnswerPlan {
  level: Level;
  fallback?: { from: 'L1' | 'L2'; reason: string };
  /** Our own KME's ID (the one that delivered the keys to open the qmail), when known. */
  kmeId?: string;
}

export function humanSize(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

const isQkd = (l: string | undefined): l is 'L1' | 'L2' => l === 'L1' || l === 'L2';

/** The level a qmail asks the answer to have: its own when that is L1 or L2, else L3. */
export function wantedLevel(received: string | undefined): Level {
  return isQkd(received) ? received : 'L3';
}

/**
 * The plan for an answer, given the level wanted and whether our KME can give the keys for
 * it now (`keys`: as `qkd.levels` reports it, or the reason there is no link at all).
 */
export function planAnswer(wanted: Level, keys?: { available: boolean; reason?: string }, kmeId?: string): AnswerPlan {
  const k = kmeId ? { kmeId } : {};
  if (!isQkd(wanted)) return { level: wanted, ...k };
  if (keys?.available) return { level: wanted, ...k };
  return { level: 'L3', fallback: { from: wanted, reason: keys?.reason ?? 'no KME configured' }, ...k };
}

/** The QKD key IDs our KME delivered to open a received qmail, in the capsule's order. */
export function openedWithKeys(cert: ReplyInput['certificate']): string[] {
  if (!cert || !isQkd(cert.level)) return [];
  return (cert.qkd ?? []).flatMap((q) => q.keys.map((k) => k.keyId));
}

/** When a queued L1/L2 answer failed because keys could not be had: the reason, else undefined. */
export function qkdFailureReason(error: string | undefined): string | undefined {
  const m = /^L[12] is unavailable: ([\s\S]*?)\. Nothing was sent/.exec(error ?? '');
  return m ? m[1] : undefined;
}

/** The answer to a qmail that could not be opened because our KME does not have its QKD keys. */
export function unreadableReply(from: string, myName: string, reason: string): { subject: string; body: string } {
  return {
    subject: 'Your qmail could not be opened',
    body: [
      `Hello ${from},`,
      '',
      `${myName} here. A qmail from you reached me, but I could not open it: my KME does not have the QKD keys its capsule names, so nothing of it was read.`,
      '',
      `What happened: ${reason}`,
      '',
      'Please send it again; it will take fresh keys. This answer comes at L3 (post-quantum).',
      '',
      'This is an automatic answer from the QMail correspondent.',
    ].join('\n'),
  };
}

export function replyFor(
  m: ReplyInput,
  myName: string,
  plan: AnswerPlan = { level: 'L3' },
): { subject: string; body: string; level: Level; fallback?: AnswerPlan['fallback'] } {
  const subject = /^re:/i.test(m.subject) ? m.subject : `Re: ${m.subject || '(no subject)'}`;
  const verified = m.certificate ? m.certificate.signatureVerified : true;
  const lines = [
    `Hello ${m.fromName ?? m.from},`,
    '',
    `${myName} here. Your qmail "${m.subject || '(no subject)'}" arrived intact: every stripe checked${verified ? ', the signature verified' : ''}.`,
  ];
  const att = m.attachments ?? [];
  if (att.length) {
    lines.push('', `It carried ${att.length} attachment${att.length === 1 ? '' : 's'}:`);
    for (const a of att) lines.push(`  - ${a.name} (${humanSize(a.size)})`);
  } else lines.push('', 'It carried no attachments.');
  const level = m.certificate?.level;
  if (level) {
    lines.push('', `It came at ${level}${isQkd(level) ? ', quantum secured' : ''}.`);
    const keys = openedWithKeys(m.certificate);
    if (keys.length) lines.push(`Opened with QKD keys from ${plan.kmeId ?? 'my KME'}: ${keys.join(', ')}`);
  }
  if (plan.fallback)
    lines.push(
      '',
      `I could not answer at ${plan.fallback.from}: ${plan.fallback.reason}. This answer comes at ${plan.level} (post-quantum) instead.`,
    );
  else if (isQkd(plan.level)) lines.push('', `This answer is sealed at ${plan.level} with fresh QKD keys from ${plan.kmeId ?? 'my KME'}.`);
  lines.push('', 'This is an automatic answer from the QMail correspondent.');
  return { subject, body: lines.join('\n'), level: plan.level, ...(plan.fallback ? { fallback: plan.fallback } : {}) };
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
  /**
   * A KME to take QKD keys from: one side of a kme.json (default side B), imported on every
   * start so a moved KME is followed. `peers` maps addresses to peer SAE IDs; the default
   * peer is the SAE at the other side of the file.
   */
  kme?: { path: string; side?: 'A' | 'B'; peers?: Record<string, string> };
  /** The layout of the answers (default 2 data + 1 parity). */
  stripes?: { k: number; p: number };
}

export async function runCorrespondent(o: CorrespondentOptions): Promise<Correspondent> {
  const name = o.name ?? 'QMail Correspondent';
  const stripes = o.stripes ?? { k: 2, p: 1 };
  const app = await openProfile({
    profile: o.profile,
    network: o.network,
    create: true,
    passphrase: o.passphrase,
    networkKme: false,
    ...(o.kdf ? { kdf: o.kdf } : {}),
    mail: { pingWaitMs: 30_000 },
    ...(o.log ? { log: o.log } : {}),
  });
  if (!app.mail.identities.exists) await app.mail.createIdentity(name);
  if (o.kme) {
    try {
      app.mail.qkd.import(o.kme.path, o.kme.side ?? 'B', o.kme.peers ?? {});
      o.log?.('QKD keys from the KME', { file: o.kme.path, side: o.kme.side ?? 'B' });
    } catch (e) {
      // Without it, L1/L2 qmail cannot be opened; L3 still works.
      o.log?.('KME not configured', { error: (e as Error).message });
    }
  }
  const me = app.mail.me();
  let replies = 0;
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  // Answers queued at L1/L2, kept until they are sent: if keys run out before they go, they go at L3.
  const watched = new Map<string, { to: string; subject: string; input: ReplyInput; plan: AnswerPlan }>();

  /** Our KME's ID and whether it holds keys for an answer at `wanted` to `to`. */
  const plan = async (to: string, wanted: Level): Promise<AnswerPlan> => {
    if (wanted !== 'L1' && wanted !== 'L2') return planAnswer(wanted);
    const link = app.mail.qkd.linkFor(to);
    if ('missing' in link) return planAnswer(wanted, { available: false, reason: link.missing });
    let kmeId: string | undefined;
    try {
      kmeId = (await app.mail.qkd.source()!.linkStatus(link.peer)).source_KME_ID;
    } catch {
      /* levels() below says why */
    }
    const levels = await app.mail.qkd.levels([to], stripes);
    return planAnswer(
      wanted,
      levels.find((l) => l.level === wanted),
      kmeId,
    );
  };

  const send = (to: string, input: ReplyInput, p: AnswerPlan) => {
    const r = replyFor(input, me.name, p);
    const replyTo = input.id && app.messages.get(input.id) ? { inReplyTo: input.id } : {};
    const item = app.mail.queue(
      {
        to: [to],
        cc: [],
        subject: r.subject,
        body: r.body,
        attachments: [],
        level: r.fallback ? r.fallback.from : r.level,
        stripes,
        ...replyTo,
      },
      r.fallback,
    );
    if (!r.fallback && (r.level === 'L1' || r.level === 'L2')) watched.set(item.id, { to, subject: r.subject, input, plan: p });
    return item;
  };

  const answer = async (id: string) => {
    const m = app.mail.view(id);
    if (!m || m.from === me.address) return;
    const input: ReplyInput = {
      id,
      from: m.from,
      ...(m.fromName ? { fromName: m.fromName } : {}),
      subject: m.subject,
      attachments: m.attachments ?? [],
      ...(m.certificate ? { certificate: m.certificate } : {}),
    };
    try {
      const p = await plan(m.from, wantedLevel(m.certificate?.level ?? m.level));
      if (stopping) return;
      send(m.from, input, p);
      app.messages.setUnread(id, false);
      replies++;
      if (p.fallback) o.log?.('answering at L3', { to: m.from, wanted: p.fallback.from, reason: p.fallback.reason });
    } catch (e) {
      o.log?.('reply failed', { error: (e as Error).message });
    }
  };

  const onOutbox = (items: { id: string; state: string; error?: string }[]) => {
    // Sent items leave the outbox list: nothing more to watch for them.
    const listed = new Set(items.map((it) => it.id));
    for (const id of [...watched.keys()]) if (!listed.has(id)) watched.delete(id);
    for (const it of items) {
      const w = watched.get(it.id);
      if (!w || (it.state !== 'sent' && it.state !== 'failed')) continue;
      watched.delete(it.id);
      const reason = it.state === 'failed' ? qkdFailureReason(it.error) : undefined;
      if (!reason || stopping) continue;
      // The KME refused after the answer was queued: send it at L3, saying so.
      try {
        app.mail.cancel(it.id);
        send(w.to, w.input, planAnswer(w.plan.level, { available: false, reason }, w.plan.kmeId));
        o.log?.('answering at L3', { to: w.to, wanted: w.plan.level, reason });
      } catch (e) {
        o.log?.('reply failed', { error: (e as Error).message });
      }
    }
  };

  const off = app.subscribe((event, payload) => {
    if (event === 'outbox.changed') return onOutbox((payload as { items: { id: string; state: string; error?: string }[] }).items);
    if (event !== 'mail.received') return;
    const { id } = payload as { id: string };
    if (!o.replyDelayMs) return void answer(id);
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopping) void answer(id);
    }, o.replyDelayMs);
    timers.add(t);
  });
  // A qmail whose keys our KME does not have was quantum secured for its sender but never
  // read here: say so (at L3, which needs no keys) rather than stay silent.
  const offUnreadable = app.mail.onUnreadable((u) => {
    if (stopping || u.code !== 'key_not_found' || u.sender === me.address) return;
    try {
      const r = unreadableReply(u.sender, me.name, u.reason);
      app.mail.queue({ to: [u.sender], cc: [], subject: r.subject, body: r.body, attachments: [], level: 'L3', stripes });
      replies++;
      o.log?.('answered a qmail it could not open', { to: u.sender, reason: u.reason });
    } catch (e) {
      o.log?.('reply failed', { error: (e as Error).message });
    }
  });
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
      offUnreadable();
      await closeProfile(app);
    },
  };
}
