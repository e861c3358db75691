// The initial sync's bulk connection: a second, short-lived IMAP connection of the account
// that only logs in, EXAMINEs a folder and asks for UID ranges of headers, several FETCH
// commands in flight, each answer read by the lean parser in fetch-parser.ts instead of
// imapflow's general one (docs/legacy.md, "the fast path"). imapflow keeps every other
// command; the sync falls back to it when this connection cannot be set up.
//
// Same transport and login as imapflow: implicit TLS, STARTTLS (required, with nothing
// accepted after the server's OK before the handshake) or none; the account's CA besides the
// system's; password by AUTHENTICATE PLAIN (or LOGIN), OAuth2 by OAUTHBEARER or XOAUTH2.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { encodePath } from 'imapflow/lib/tools.js';
import { LegacyError, classify } from '../errors.js';
import type { ServerConfig } from '../types.js';
import { tlsOptions, type Credentials } from './connect.js';
import { ImapParseError, ResponseFramer, classifyResponse, readFetch, type FetchedHeaders } from './fetch-parser.js';

/** The items of the initial FETCH: what the list, the reader and search need of a message. */
export const HEADER_ITEMS = '(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)';
/** Untagged lines (other than FETCH) one command may collect; past it the server is misbehaving. */
const MAX_UNTAGGED = 1_000;

interface Pending {
  tag: string;
  /** Sent after each continuation request ('+'), in order; `breaker` once they run out. */
  pieces: string[];
  breaker: string;
  untagged: string[];
  fetched: FetchedHeaders[];
  /** A UID FETCH's range, [from, to]; its answers are bounded by the UIDs in it. */
  range?: [number, number];
  maxFetched: number;
  starttls?: boolean;
  resolve: (r: { text: string; untagged: string[]; fetched: FetchedHeaders[] }) => void;
  reject: (e: unknown) => void;
}

export interface BulkOptions {
  connectTimeoutMs?: number;
  /** Idle socket time before the connection counts as dead. */
  socketTimeoutMs?: number;
}

/** An IMAP string argument: quoted when it is printable ASCII, else a literal (sent after the server's '+'). */
function astring(v: string): { inline: string } | { literal: string } {
  return /^[\x20-\x7e]*$/.test(v) ? { inline: `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"` } : { literal: v };
}

/** A command line with its string arguments: the pieces sent before and after each literal. */
function command(head: string, args: string[]): string[] {
  const pieces: string[] = [];
  let line = head;
  for (const a of args) {
    const s = astring(a);
    if ('inline' in s) line += ` ${s.inline}`;
    else {
      pieces.push(`${line} {${Buffer.byteLength(s.literal)}}`);
      line = s.literal;
    }
  }
  pieces.push(line);
  return pieces;
}

const escapeSaslName = (v: string) => v.replace(/=/g, '=3D').replace(/,/g, '=2C');

export class BulkImap {
  private readonly framer = new ResponseFramer();
  private readonly queue: Pending[] = [];
  private caps = new Set<string>();
  private n = 0;
  private failed: unknown = null;
  private greeting: ((text: string) => void) | null = null;
  /** LOGOUT sent: the server's BYE is expected, not a failure. */
  private loggingOut = false;
  /** Set once STARTTLS is answered OK: any further cleartext byte is refused. */
  private upgrading = false;
  private readonly onData = (d: Buffer) => this.data(d);
  private readonly onError = (e: Error) => this.fail(e);
  private readonly onClose = () => this.fail(Object.assign(new Error('the bulk IMAP connection closed'), { code: 'NoConnection' }));
  private readonly onTimeout = () => {
    this.fail(Object.assign(new Error('the bulk IMAP connection timed out'), { code: 'ETIMEDOUT' }));
    this.sock.destroy();
  };

  private constructor(
    private sock: Socket | TLSSocket,
    private readonly server: ServerConfig,
  ) {}

  /** A logged-in bulk connection; failures come as LegacyError naming the stage. */
  static async open(server: ServerConfig, creds: Credentials, o: BulkOptions = {}): Promise<BulkImap> {
    const timeout = o.connectTimeoutMs ?? 20_000;
    const where = `IMAP ${server.host}:${server.port}`;
    const sock =
      server.tls === 'implicit'
        ? tlsConnect({ host: server.host, port: server.port, ...tlsOptions(server) })
        : netConnect({ host: server.host, port: server.port });
    const c = new BulkImap(sock, server);
    const timer = setTimeout(() => c.fail(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })), timeout);
    try {
      c.attach(sock);
      const greeting = await c.readGreeting();
      if (!/^OK\b/i.test(greeting)) throw new LegacyError('protocol', `${where}: the server did not greet with OK`);
      if (server.tls === 'starttls') {
        await c.starttls();
        c.caps.clear();
      }
      if (!c.caps.size) await c.run(['CAPABILITY']);
      await c.login(creds);
      sock.setTimeout(o.socketTimeoutMs ?? 5 * 60_000);
      return c;
    } catch (e) {
      c.close();
      throw classify(e, where);
    } finally {
      clearTimeout(timer);
    }
  }

  private attach(sock: Socket | TLSSocket): void {
    this.sock = sock;
    sock.on('data', this.onData);
    sock.on('error', this.onError);
    sock.on('close', this.onClose);
    sock.on('timeout', this.onTimeout);
  }

  private detach(sock: Socket | TLSSocket): void {
    sock.off('data', this.onData);
    sock.off('error', this.onError);
    sock.off('close', this.onClose);
    sock.off('timeout', this.onTimeout);
  }

  private readGreeting(): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.greeting = resolve;
      this.queue.push({
        tag: '',
        pieces: [],
        breaker: '',
        untagged: [],
        fetched: [],
        maxFetched: 0,
        resolve: () => {},
        reject,
      });
    });
  }

  private async starttls(): Promise<void> {
    if (!this.caps.has('STARTTLS')) await this.run(['CAPABILITY']);
    if (!this.caps.has('STARTTLS')) throw new LegacyError('tls', 'the server offers no STARTTLS');
    const ok = this.run(['STARTTLS']);
    this.queue.at(-1)!.starttls = true;
    await ok;
    // Anything the server sent after its OK would be read as if it came over TLS: refuse it.
    if (this.framer.pending) throw new LegacyError('tls', 'the server sent data after STARTTLS');
    const plain = this.sock;
    this.detach(plain);
    plain.on('error', () => {});
    const tls = tlsConnect({ socket: plain, ...tlsOptions(this.server) });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
    this.upgrading = false;
    this.attach(tls);
  }

  private async login(creds: Credentials): Promise<void> {
    const sasl = this.caps.has('SASL-IR');
    const authenticate = async (mech: string, payload: string, breaker: string) => {
      const b64 = Buffer.from(payload).toString('base64');
      await this.run(sasl ? [`AUTHENTICATE ${mech} ${b64}`] : [`AUTHENTICATE ${mech}`, b64], breaker);
    };
    try {
      if ('accessToken' in creds) {
        if (this.caps.has('AUTH=OAUTHBEARER'))
          await authenticate(
            'OAUTHBEARER',
            [
              `n,a=${escapeSaslName(creds.user)},`,
              `host=${this.server.host}`,
              `port=${this.server.port}`,
              `auth=Bearer ${creds.accessToken}`,
              '',
              '',
            ].join('\x01'),
            'AQ==',
          );
        else if (this.caps.has('AUTH=XOAUTH2'))
          await authenticate('XOAUTH2', [`user=${creds.user}`, `auth=Bearer ${creds.accessToken}`, '', ''].join('\x01'), '');
        else throw new LegacyError('auth', 'the server offers no OAuth2 mechanism');
      } else if (this.caps.has('AUTH=PLAIN')) {
        await authenticate('PLAIN', `\x00${creds.user}\x00${creds.pass}`, '*');
      } else if (!this.caps.has('LOGINDISABLED')) {
        await this.run(command('LOGIN', [creds.user, creds.pass]));
      } else throw new LegacyError('auth', 'the server offers no login this client speaks');
    } catch (e) {
      if ((e as { responseText?: string }).responseText === undefined) throw e;
      throw new LegacyError('auth', `login refused: ${(e as Error).message}`);
    }
  }

  /** Sends a command (its pieces after each '+'); resolves on OK with what came meanwhile. */
  private run(
    pieces: string[],
    breaker = '',
    range?: [number, number],
  ): Promise<{ text: string; untagged: string[]; fetched: FetchedHeaders[] }> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      const tag = `B${++this.n}`;
      const [first, ...rest] = pieces;
      // Room for an unsolicited flag update or two on UIDs of the range besides their answers.
      const maxFetched = range ? 2 * (range[1] - range[0] + 1) + 16 : 0;
      this.queue.push({ tag, pieces: rest, breaker, untagged: [], fetched: [], ...(range ? { range } : {}), maxFetched, resolve, reject });
      this.sock.write(`${tag} ${first}\r\n`);
    });
  }

  private data(d: Buffer): void {
    if (this.failed) return;
    try {
      this.framer.push(d, (r) => this.response(r));
    } catch (e) {
      this.fail(e);
      this.sock.destroy();
    }
  }

  private response(r: Buffer): void {
    if (this.upgrading) throw new LegacyError('tls', 'the server sent data after STARTTLS');
    const head = this.queue[0];
    const res = classifyResponse(r);
    if (res.kind === 'fetch') {
      // Dovecot runs pipelined FETCHes side by side: an answer belongs to the command whose
      // range holds its UID. One in no range (an unsolicited flag update) is not kept.
      const f = readFetch(res.seq, res.body);
      const to = this.queue.find((p) => p.range && f.uid >= p.range[0] && f.uid <= p.range[1]);
      if (!to) return;
      if (to.fetched.length >= to.maxFetched) throw new ImapParseError('oversized', 'far more FETCH answers than UIDs asked for');
      to.fetched.push(f);
    } else if (res.kind === 'untagged') {
      const caps = /^(?:OK \[CAPABILITY ([^\]]*)\]|CAPABILITY (.*))/i.exec(res.text);
      if (caps) this.caps = new Set((caps[1] ?? caps[2])!.toUpperCase().split(' ').filter(Boolean));
      if (/^BYE\b/i.test(res.text) && !this.loggingOut)
        throw Object.assign(new Error(`the server said ${res.text}`), { code: 'NoConnection' });
      if (this.greeting) {
        const g = this.greeting;
        this.greeting = null;
        this.queue.shift();
        g(res.text);
        return;
      }
      // Kept for the commands that read them (EXAMINE, CAPABILITY); a FETCH keeps none.
      if (head && !head.range) {
        if (head.untagged.length >= MAX_UNTAGGED) throw new ImapParseError('oversized', 'too many untagged answers');
        head.untagged.push(res.text);
      }
    } else if (res.kind === 'continue') {
      if (!head) throw new ImapParseError('malformed', 'an unasked continuation');
      this.sock.write(`${head.pieces.length ? head.pieces.shift()! : head.breaker}\r\n`);
    } else {
      const at = this.queue.findIndex((p) => p.tag === res.tag);
      if (at < 0) throw new ImapParseError('malformed', `an answer to an unknown tag`);
      const [done] = this.queue.splice(at, 1) as [Pending];
      if (res.status === 'OK' && done.starttls) this.upgrading = true;
      if (res.status === 'OK') done.resolve({ text: res.text, untagged: done.untagged, fetched: done.fetched });
      else done.reject(Object.assign(new Error(`${res.status} ${res.text}`), { responseText: res.text }));
    }
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = e;
    for (const p of this.queue.splice(0)) p.reject(e);
    this.greeting = null;
  }

  /** EXAMINE (read-only) a folder by the path imapflow gave it; its UIDVALIDITY and message count. */
  async examine(path: string): Promise<{ uidValidity: number; exists: number }> {
    const wire = encodePath({ enabled: new Set(), capabilities: new Map([...this.caps].map((c) => [c, true])) } as never, path);
    const r = await this.run(command('EXAMINE', [wire]));
    let uidValidity = 0;
    let exists = 0;
    for (const t of r.untagged) {
      const v = /^OK \[UIDVALIDITY (\d{1,10})\]/i.exec(t);
      if (v) uidValidity = Number(v[1]);
      const x = /^(\d{1,10}) EXISTS\b/i.exec(t);
      if (x) exists = Number(x[1]);
    }
    if (!uidValidity) throw new ImapParseError('malformed', 'EXAMINE without UIDVALIDITY');
    return { uidValidity, exists };
  }

  /** UID FETCH of the header items for [from, to]; the answers in the order they came. */
  fetchHeaders(from: number, to: number): Promise<FetchedHeaders[]> {
    const p = this.run([`UID FETCH ${from}:${to} ${HEADER_ITEMS}`], '', [from, to]).then((r) => r.fetched);
    p.catch(() => {}); // awaited by the caller; this only keeps an early failure from being unhandled
    return p;
  }

  get usable(): boolean {
    return !this.failed && !this.sock.destroyed;
  }

  /** Ends the session: LOGOUT answered (at most `waitMs`), then the socket ends. */
  async logout(waitMs = 2_000): Promise<void> {
    if (this.usable) {
      this.loggingOut = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.run(['LOGOUT']).catch(() => {}),
        new Promise<void>((r) => {
          timer = setTimeout(r, waitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.close();
  }

  /** Ends at once: LOGOUT sent without waiting for its answer, the socket ended. */
  close(): void {
    if (this.usable) {
      this.sock.write(`B${++this.n} LOGOUT\r\n`);
      this.sock.end();
    }
    this.fail(Object.assign(new Error('the bulk IMAP connection was closed'), { code: 'NoConnection' }));
    setTimeout(() => this.sock.destroy(), 1_000).unref();
  }
}
