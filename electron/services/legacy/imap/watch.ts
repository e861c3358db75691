// IDLE on its own connection: a mailbox stays selected and every EXISTS/EXPUNGE/FLAGS push
// calls `onChange`. IDLE is restarted every few minutes (servers drop an IDLE held too long;
// imapflow's maxIdleTime), servers without IDLE are polled with NOOP, and when the connection
// closes a fresh client is made after a backoff with jitter (imapflow does not reconnect).
import type { ImapFlow } from 'imapflow';
import { backoffMs } from './backoff.js';
import { connectImap, type Credentials } from './connect.js';
import type { ServerConfig } from '../types.js';

export interface Watch {
  stop(): Promise<void>;
  /** How many connections were made (1 + reconnects). */
  connections(): number;
}

export const DEFAULT_MAX_IDLE_MS = 4 * 60_000;

export async function watchMailbox(
  login: () => Promise<{ server: ServerConfig; creds: Credentials }>,
  path: string,
  onChange: () => void,
  o: { maxIdleMs?: number; retry?: { attempts: number; baseMs: number; maxMs?: number } } = {},
): Promise<Watch> {
  let stopped = false;
  let client: ImapFlow | null = null;
  let made = 0;
  let timer: NodeJS.Timeout | null = null;
  const retry = o.retry ?? { attempts: Infinity, baseMs: 1000, maxMs: 60_000 };

  const open = async (): Promise<void> => {
    const { server, creds } = await login();
    const c = await connectImap(server, creds, { maxIdleTime: o.maxIdleMs ?? DEFAULT_MAX_IDLE_MS, disableAutoIdle: true });
    made++;
    client = c;
    c.on('exists', onChange);
    c.on('expunge', onChange);
    c.on('flags', onChange);
    c.on('close', () => {
      if (client === c) client = null;
      if (!stopped) schedule(0);
    });
    await c.mailboxOpen(path);
    // idle() resolves when another command breaks it or the connection ends; the loop holds it.
    void (async () => {
      while (!stopped && c.usable) {
        try {
          await c.idle();
        } catch {
          break;
        }
      }
    })();
  };

  const schedule = (attempt: number) => {
    if (stopped || attempt >= retry.attempts) return;
    timer = setTimeout(
      () => {
        timer = null;
        open()
          .then(() => onChange()) // what arrived while we were away
          .catch(() => schedule(attempt + 1));
      },
      backoffMs(attempt, retry.baseMs, retry.maxMs),
    );
  };

  await open();
  return {
    connections: () => made,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client as ImapFlow | null;
      client = null;
      if (c) {
        if (c.usable) await c.logout().catch(() => c.close());
        else c.close();
      }
    },
  };
}
