// One background pass at a time: run now or after a delay; kicked while a pass is in flight,
// it runs again right after that one. Halted on lock. The outbox and the upload cleanup each
// drive their work with one.

/** Runs `fn` after `ms`; returns a cancel. */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** Runs `fn` after `ms` on an unref'd timer (an idle app can quit); returns a cancel. */
export const defaultSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

export class PassLoop {
  private on = false;
  private timer: (() => void) | null = null;
  private busy: Promise<void> | null = null;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly schedule: Schedule = defaultSchedule,
  ) {}

  /** Whether passes may run (between start and halt). */
  get running(): boolean {
    return this.on;
  }

  /** Starts the loop with a first pass; false when it was running already. */
  start(): boolean {
    if (this.on) return false;
    this.on = true;
    this.kick();
    return true;
  }

  /** No pass starts from now; stop() also waits for the one in flight. */
  halt(): void {
    this.on = false;
    this.timer?.();
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.halt();
    await this.busy?.catch(() => {});
  }

  /** A pass after `delayMs` (now by default), or right after the pass in progress. */
  kick(delayMs = 0): void {
    if (!this.on) return;
    this.timer?.();
    this.timer = this.schedule(() => {
      this.timer = null;
      if (this.busy) {
        void this.busy.then(() => this.kick());
        return;
      }
      this.busy = this.pass().finally(() => {
        this.busy = null;
      });
    }, delayMs);
  }

  /** Resolves once no pass is in flight. */
  async settle(): Promise<void> {
    while (this.busy) await this.busy.catch(() => {});
  }
}
