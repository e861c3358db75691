// Desktop notifications for new mail and for service notices, shown only while the window
// is not focused (when it is, the list and banners already say it). Permission is asked once.
import type { Runtime } from '../../../shared/ipc/runtime.js';
import { displayName } from '../ui/format.js';

export interface NotificationLike {
  onclick: ((this: unknown, ev: Event) => unknown) | null;
  close(): void;
}
export interface NotificationApi {
  readonly permission: 'default' | 'denied' | 'granted';
  requestPermission(): Promise<'default' | 'denied' | 'granted'>;
  new (title: string, options?: { body?: string; tag?: string; silent?: boolean }): NotificationLike;
}

export interface NotifierOptions {
  api: NotificationApi | undefined;
  isFocused(): boolean;
  /** Brings the window forward and opens the message, when a mail notification is clicked. */
  onOpen?(id: string): void;
}

export function createNotifier(runtime: Runtime, o: NotifierOptions): { requestPermission(): Promise<void>; dispose(): void } {
  let asked = false;
  async function requestPermission(): Promise<void> {
    if (!o.api || asked || o.api.permission !== 'default') return;
    asked = true;
    try {
      await o.api.requestPermission();
    } catch {
      /* the browser refused to ask: no notifications */
    }
  }
  function show(title: string, body: string, tag: string, open?: () => void): void {
    if (!o.api || o.isFocused() || o.api.permission !== 'granted') return;
    try {
      const n = new o.api(title, { body, tag });
      n.onclick = () => {
        open?.();
        n.close();
      };
    } catch {
      /* notifications unsupported in this context */
    }
  }
  const offMail = runtime.on('mail.received', ({ id, from, subject }) =>
    show(`New qmail from ${displayName(from)}`, subject || '(no subject)', `mail-${id}`, () => o.onOpen?.(id)),
  );
  const offNotify = runtime.on('notify', ({ title, body, level }) => show(title, body, `notify-${level}-${title}`));
  return {
    requestPermission,
    dispose() {
      offMail();
      offNotify();
    },
  };
}
