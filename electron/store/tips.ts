// Tips and inbox fees at rest (migration 9). All SQL of the tip path lives here.
//   mail_lockers  one row per locker a send fills for one recipient: written (state `filling`)
//                 before any coin goes in, so a crash between the put and the Tell leaves the
//                 code to take the coins back with; `filled` once the put reached a majority;
//                 `told` once the recipient's beacon took the Tell (the locker paid); `refunded`
//                 once its coins came back; `collected` when it was found empty after a crash
//                 (an earlier Tell was taken). The code, the recipient and the amount are sealed.
//   mail_tips     received tips still to collect from the locker their notice names (sealed code).
//   fee_settings  our inbox settings the beacon does not hold (contacts are free), sealed.
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';

export type LockerState = 'filling' | 'filled' | 'told' | 'refunded' | 'collected';

export interface LockerFacts {
  /** The recipient the locker pays. */
  recipient: string;
  /** The locker's 16-byte code, hex. */
  code: string;
  /** 1e-8 CC, decimal. */
  units: string;
}

export interface LockerRow extends LockerFacts {
  id: string;
  outboxId: string;
  state: LockerState;
  createdAt: number;
}

export interface PendingTip {
  messageId: string;
  /** The locker code the notice named, hex. */
  code: string;
  /** Who sent it (the history note). */
  sender: string;
  tries: number;
}

export interface FeeSettings {
  contactsFree: boolean;
}

const lockerAad = (id: string) => `qmail.tip-locker.v1:${id}`;
const tipAad = (id: string) => `qmail.tip-received.v1:${id}`;
const SETTINGS_AAD = 'qmail.fee-settings.v1';

interface LockerDbRow {
  id: string;
  outbox_id: string;
  state: LockerState;
  created_at: number;
  sealed: Buffer;
}

export class TipTables {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  private lockerRow(r: LockerDbRow): LockerRow {
    const f = JSON.parse(this.box().open(r.sealed, lockerAad(r.id)).toString('utf8')) as LockerFacts;
    return { ...f, id: r.id, outboxId: r.outbox_id, state: r.state, createdAt: r.created_at };
  }

  /** Records a locker about to be filled (before any coin moves). */
  addLocker(id: string, outboxId: string, facts: LockerFacts, at: number): void {
    this.db
      .prepare("INSERT INTO mail_lockers (id, outbox_id, state, created_at, sealed) VALUES (?, ?, 'filling', ?, ?)")
      .run(id, outboxId, at, this.box().seal(Buffer.from(JSON.stringify(facts)), lockerAad(id)));
  }

  setLockerState(id: string, state: LockerState): void {
    this.db.prepare('UPDATE mail_lockers SET state = ? WHERE id = ?').run(state, id);
  }

  /** The lockers of one outbox item, oldest first. */
  lockersOf(outboxId: string): LockerRow[] {
    const rows = this.db
      .prepare('SELECT id, outbox_id, state, created_at, sealed FROM mail_lockers WHERE outbox_id = ? ORDER BY created_at, id')
      .all(outboxId) as LockerDbRow[];
    return rows.map((r) => this.lockerRow(r));
  }

  /** Lockers whose Tell was never answered (`filling`, `filled`): what a restart must settle. */
  unsettledLockers(): LockerRow[] {
    const rows = this.db
      .prepare(
        "SELECT id, outbox_id, state, created_at, sealed FROM mail_lockers WHERE state IN ('filling', 'filled') ORDER BY created_at, id",
      )
      .all() as LockerDbRow[];
    return rows.map((r) => this.lockerRow(r));
  }

  /** The item was sent, given up or taken back: its settled lockers need no record any more. */
  forgetLockers(outboxId: string): void {
    this.db.prepare("DELETE FROM mail_lockers WHERE outbox_id = ? AND state NOT IN ('filling', 'filled')").run(outboxId);
  }

  // ---- received tips

  addPendingTip(t: Omit<PendingTip, 'tries'>, at: number): void {
    this.db
      .prepare('INSERT INTO mail_tips (message_id, tries, next_at, sealed) VALUES (?, 0, ?, ?) ON CONFLICT(message_id) DO NOTHING')
      .run(t.messageId, at, this.box().seal(Buffer.from(JSON.stringify({ code: t.code, sender: t.sender })), tipAad(t.messageId)));
  }

  duePendingTips(now: number, limit = 32): PendingTip[] {
    const rows = this.db
      .prepare('SELECT message_id, tries, sealed FROM mail_tips WHERE next_at <= ? ORDER BY next_at LIMIT ?')
      .all(now, limit) as { message_id: string; tries: number; sealed: Buffer }[];
    return rows.map((r) => ({
      messageId: r.message_id,
      tries: r.tries,
      ...(JSON.parse(this.box().open(r.sealed, tipAad(r.message_id)).toString('utf8')) as { code: string; sender: string }),
    }));
  }

  postponeTip(messageId: string, nextAt: number): void {
    this.db.prepare('UPDATE mail_tips SET tries = tries + 1, next_at = ? WHERE message_id = ?').run(nextAt, messageId);
  }

  dropTip(messageId: string): void {
    this.db.prepare('DELETE FROM mail_tips WHERE message_id = ?').run(messageId);
  }

  nextTipAt(): number | undefined {
    return (this.db.prepare('SELECT MIN(next_at) AS t FROM mail_tips').get() as { t: number | null }).t ?? undefined;
  }

  // ---- settings

  settings(): FeeSettings {
    const row = this.db.prepare('SELECT sealed FROM fee_settings WHERE id = 1').get() as { sealed: Buffer } | undefined;
    if (!row) return { contactsFree: false };
    return JSON.parse(this.box().open(row.sealed, SETTINGS_AAD).toString('utf8')) as FeeSettings;
  }

  saveSettings(s: FeeSettings): void {
    this.db
      .prepare('INSERT INTO fee_settings (id, sealed) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed')
      .run(this.box().seal(Buffer.from(JSON.stringify(s)), SETTINGS_AAD));
  }
}
