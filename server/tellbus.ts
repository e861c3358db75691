// Wakes parked pings (command 72) when a Tell for their inbox lands.
export class TellBus {
  private readonly waiters = new Map<string, Set<() => void>>();

  static key(denomination: number, serial: number): string {
    return `${denomination}:${serial}`;
  }

  notify(denomination: number, serial: number): void {
    const set = this.waiters.get(TellBus.key(denomination, serial));
    if (!set) return;
    this.waiters.delete(TellBus.key(denomination, serial));
    for (const w of set) w();
  }

  /**
   * Resolves true when notified, false on timeout, on `abort` (the node closing) or when
   * `gone` fires (the caller's connection went away; already gone = false at once).
   */
  wait(denomination: number, serial: number, ms: number, abort: Promise<void>, gone?: AbortSignal): Promise<boolean> {
    if (gone?.aborted) return Promise.resolve(false);
    const k = TellBus.key(denomination, serial);
    return new Promise((resolve) => {
      let set = this.waiters.get(k);
      if (!set) this.waiters.set(k, (set = new Set()));
      const done = (v: boolean) => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', left);
        set!.delete(wake);
        if (set!.size === 0 && this.waiters.get(k) === set) this.waiters.delete(k);
        resolve(v);
      };
      const wake = () => done(true);
      const left = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      set.add(wake);
      gone?.addEventListener('abort', left, { once: true });
      void abort.then(() => done(false));
    });
  }

  get parked(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
