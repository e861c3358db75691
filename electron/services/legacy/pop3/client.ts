// A small POP3 client (RFC 1939; STLS from RFC 2595): USER/PASS, STAT, UIDL, RETR, DELE,
// QUIT. Lines are bounded, multi-line answers are bounded in size, and every failure is a
// LegacyError (-ERR after PASS is `auth`).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { LegacyError, classify } from '../errors.js';
import { tlsOptions, type Credentials } from '../imap/connect.js';
import type { ServerConfig } from '../types.js';

/** RFC 1939 allows 512 octets for a status line; some servers send more, we allow 8 KiB. */
export const MAX_LINE = 8192;
/** The largest message RETR accepts (a bigger one is refused, not buffered). */
export const MAX_MESSAGE = 200 * 1024 * 1024;
const UIDL_RE = /^[\x21-\x7e]{1,70}$/;

export class Pop3Client {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended: Error | null = null;

  private constructor(
    private sock: Socket | TLSSocket,
    private readonly where: string,
  ) {
    this.attach(sock);
  }

  private attach(sock: Socket | TLSSocket): void {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.waiter?.();
    });
    sock.on('error', (e) => {
      this.ended = classify(e, this.where);
      this.waiter?.();
    });
    sock.on('close', () => {
      this.ended ??= new LegacyError('closed', `${this.where}: the server closed the connection`);
      this.waiter?.();
    });
  }

  static async connect(s: ServerConfig, creds: Credentials, o: { timeoutMs?: number } = {}): Promise<Pop3Client> {
    if (!('pass' in creds)) throw new LegacyError('invalid_input', 'POP3 here signs in with a password');
    const where = `POP3 ${s.host}:${s.port}`;
    const sock = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const opts = { host: s.host, port: s.port, timeout: o.timeoutMs ?? 30_000 };
      const so = s.tls === 'implicit' ? tlsConnect({ ...opts, ...tlsOptions(s) }, () => resolve(so)) : netConnect(opts, () => resolve(so));
      so.once('error', (e) => reject(classify(e, where)));
      so.once('timeout', () => so.destroy(new LegacyError('timeout', `${where}: no answer`)));
    });
    const c = new Pop3Client(sock, where);
    try {
      await c.status();
      if (s.tls === 'starttls') {
        await c.command('STLS');
        await c.upgrade(s);
      }
      await c.command(`USER ${creds.user}`);
      try {
        await c.command(`PASS ${creds.pass}`);
      } catch (e) {
        if (e instanceof LegacyError && e.code === 'protocol')
          throw new LegacyError('auth', `${where}: ${e.message.replace(/^.*?-ERR\s*/, '')}`);
        throw e;
      }
      return c;
    } catch (e) {
      c.sock.destroy();
      throw e;
    }
  }

  private async upgrade(s: ServerConfig): Promise<void> {
    const plain = this.sock;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const t = tlsConnect({ socket: plain, ...tlsOptions(s) }, () => resolve(t));
      t.once('error', (e) => reject(classify(e, this.where)));
    });
    this.buf = Buffer.alloc(0);
    this.attach(secure);
  }

  private async more(): Promise<void> {
    if (this.ended) throw this.ended;
    await new Promise<void>((r) => (this.waiter = r));
    this.waiter = null;
  }

  /** One CRLF line (without it); refuses lines over MAX_LINE. */
  private async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        if (i > MAX_LINE) throw new LegacyError('protocol', `${this.where}: a line over ${MAX_LINE} bytes`);
        const l = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      if (this.buf.length > MAX_LINE) throw new LegacyError('protocol', `${this.where}: a line over ${MAX_LINE} bytes`);
      await this.more();
    }
  }

  private async status(): Promise<string> {
    const l = await this.line();
    if (l.startsWith('+OK')) return l.slice(3).trim();
    if (l.startsWith('-ERR')) throw new LegacyError('protocol', `${this.where}: ${l}`);
    throw new LegacyError('protocol', `${this.where}: not a POP3 status line`);
  }

  async command(cmd: string): Promise<string> {
    if (/[\r\n]/.test(cmd)) throw new LegacyError('invalid_input', 'a POP3 argument holds a line break');
    this.sock.write(`${cmd}\r\n`);
    return this.status();
  }

  /** A multi-line answer, dot-unstuffed, at most `max` bytes. */
  private async multiline(max: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i < 0) {
        if (this.buf.length > MAX_LINE * 8 + max) throw new LegacyError('protocol', `${this.where}: answer too large`);
        await this.more();
        continue;
      }
      let l = this.buf.subarray(0, i);
      this.buf = this.buf.subarray(i + 2);
      if (l.length === 1 && l[0] === 0x2e) return Buffer.concat(parts);
      if (l[0] === 0x2e) l = l.subarray(1);
      size += l.length + 2;
      if (size > max) throw new LegacyError('protocol', `${this.where}: answer over ${max} bytes`);
      parts.push(l, Buffer.from('\r\n'));
    }
  }

  async stat(): Promise<{ count: number; size: number }> {
    const m = /^(\d+)\s+(\d+)/.exec(await this.command('STAT'));
    if (!m) throw new LegacyError('protocol', `${this.where}: STAT answer unreadable`);
    return { count: Number(m[1]), size: Number(m[2]) };
  }

  /** Message number → unique id. */
  async uidl(): Promise<Map<number, string>> {
    await this.command('UIDL');
    const body = (await this.multiline(16 * 1024 * 1024)).toString('latin1');
    const out = new Map<number, string>();
    for (const l of body.split('\r\n')) {
      if (!l) continue;
      const m = /^(\d{1,9}) (\S+)$/.exec(l);
      if (!m || !UIDL_RE.test(m[2]!)) throw new LegacyError('protocol', `${this.where}: a UIDL line is malformed`);
      out.set(Number(m[1]), m[2]!);
    }
    return out;
  }

  async list(): Promise<Map<number, number>> {
    await this.command('LIST');
    const body = (await this.multiline(16 * 1024 * 1024)).toString('latin1');
    const out = new Map<number, number>();
    for (const l of body.split('\r\n')) {
      if (!l) continue;
      const m = /^(\d{1,9}) (\d{1,12})$/.exec(l);
      if (!m) throw new LegacyError('protocol', `${this.where}: a LIST line is malformed`);
      out.set(Number(m[1]), Number(m[2]));
    }
    return out;
  }

  async retr(n: number, max = MAX_MESSAGE): Promise<Buffer> {
    await this.command(`RETR ${n}`);
    return this.multiline(max);
  }

  async dele(n: number): Promise<void> {
    await this.command(`DELE ${n}`);
  }

  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } finally {
      this.sock.end();
    }
  }
}
