// Real mail servers for tests and benches: Debian's Dovecot (IMAP, POP3, LMTP, SASL auth)
// and Postfix (SMTP, delivering through Dovecot's LMTP), each run from a config written into
// a temp folder, on loopback ports, and stopped (folder removed) by `stop()`.
// Root runs them as CI does (mail owned by `nobody`); Postfix needs root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { tempDir } from './tmp.js';

export interface MailUser {
  /** Full address; also the login. */
  user: string;
  password: string;
}

export interface TlsFiles {
  /** PEM of the CA that signed the servers' certificate (what `--ca` is given). */
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface DovecotOptions {
  users: MailUser[];
  /** Advertise no CONDSTORE/QRESYNC (the UID-diff path). */
  noCondstore?: boolean;
  /** Advertise CONDSTORE but no QRESYNC (the CHANGEDSINCE path). */
  noQresync?: boolean;
  /** Advertise no IDLE (the NOOP-polling path). */
  noIdle?: boolean;
  /** Record every IMAP session's input and output (Dovecot's rawlog), read by `rawlog()`. */
  rawlog?: boolean;
  /** Validate XOAUTH2/OAUTHBEARER bearer tokens at this RFC 7662 introspection URL. */
  oauth2IntrospectionUrl?: string;
}

export interface Dovecot {
  dir: string;
  ports: { imap: number; imaps: number; pop3: number; pop3s: number; lmtp: number; auth: number };
  tls: TlsFiles;
  /** Maildir of a user. */
  maildir(user: string): string;
  /** Writes messages straight into a user's Maildir (fast bulk fill); `folder` like 'Archive'. */
  fillMaildir(user: string, messages: (Buffer | string)[], folder?: string, seen?: boolean): void;
  /** Every message file in a user's Maildir (new and cur, all folders), as latin1 text; none before the first delivery. */
  mailOf(user: string): string[];
  /** What a user's IMAP sessions so far sent (`in`) or got (`out`), one entry per session (needs `rawlog`). */
  rawlog(user: string, way?: 'in' | 'out'): { session: string; text: string }[];
  /** Delivers one message through LMTP (as Postfix would). */
  deliver(to: string, message: Buffer | string): Promise<void>;
  doveadm(args: string[]): string;
  stop(): Promise<void>;
}

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s: Server = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number, what: string, log?: () => string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c: Socket = createConnection({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not listen on ${port}${log ? `: ${log()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const isRoot = () => process.getuid?.() === 0;

/** A CA and a server certificate for 127.0.0.1/localhost (openssl). */
export function makeTls(dir: string): TlsFiles {
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Test Mail CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.crt'),
  ]);
  return { caPem: readFileSync(f('ca.crt'), 'utf8'), caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

function mailOwner(): { uid: number; gid: number; user: string; group: string } {
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
    const group = execFileSync('id', ['-gn', 'nobody']).toString().trim();
    return { uid, gid, user: 'nobody', group };
  }
  const u = userInfo();
  return { uid: u.uid, gid: u.gid, user: u.username, group: execFileSync('id', ['-gn']).toString().trim() };
}

function chownTree(path: string, uid: number, gid: number): void {
  if (!isRoot()) return;
  chownSync(path, uid, gid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

async function stopChild(child: ChildProcess, ms = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  await done;
  clearTimeout(t);
}

let fileSeq = 0;

export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  const tmp = tempDir('qmail-dovecot-');
  const dir = tmp.path;
  const owner = mailOwner();
  const [imap, imaps, pop3, pop3s, lmtp, auth] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const tls = makeTls(dir);
  mkdirSync(join(dir, 'mail'));
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'state'));
  if (isRoot()) {
    chownSync(join(dir, 'mail'), owner.uid, owner.gid);
    // Dovecot's unprivileged processes read the key through the master; the folder must be traversable.
    execFileSync('chmod', ['0755', dir]);
  }
  writeFileSync(join(dir, 'users'), opts.users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(''));
  const loginUser = isRoot() ? 'dovenull' : owner.user;
  const internalUser = isRoot() ? 'dovecot' : owner.user;
  const oauth = opts.oauth2IntrospectionUrl
    ? `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${join(dir, 'oauth2.conf')}\n}\n`
    : '';
  if (opts.oauth2IntrospectionUrl) {
    writeFileSync(
      join(dir, 'oauth2.conf'),
      `introspection_mode = post\nintrospection_url = ${opts.oauth2IntrospectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`,
    );
  }
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <${tls.certFile}
ssl_key = <${tls.keyFile}
disable_plaintext_auth = no
auth_mechanisms = plain login${opts.oauth2IntrospectionUrl ? ' xoauth2 oauthbearer' : ''}
mail_location = maildir:${dir}/mail/%u
default_login_user = ${loginUser}
default_internal_user = ${internalUser}
first_valid_uid = ${owner.uid}
last_valid_uid = ${owner.uid}
mail_max_userip_connections = 200
lmtp_save_to_detail_mailbox = no
pop3_uidl_format = %08Xu%08Xv
${opts.noCondstore || opts.noQresync || opts.noIdle ? `imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE${opts.noCondstore ? '' : opts.noQresync ? ' CONDSTORE' : ' CONDSTORE QRESYNC'}${opts.noIdle ? '' : ' IDLE'}` : ''}
${
  opts.rawlog
    ? `protocol imap {
  rawlog_dir = ${dir}/rawlog/%u
}`
    : ''
}
${oauth}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
${['Sent', 'Drafts', 'Trash', 'Archive', 'Junk'].map((m) => `  mailbox ${m} {\n    special_use = \\${m}\n    auto = subscribe\n  }\n`).join('')}}
${(['imap', 'pop3'] as const)
  .map(
    (p) =>
      `service ${p}-login {\n  inet_listener ${p} {\n    port = ${p === 'imap' ? imap : pop3}\n  }\n  inet_listener ${p}s {\n    port = ${p === 'imap' ? imaps : pop3s}\n    ssl = yes\n  }\n}\n`,
  )
  .join('')}service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtp}
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = ${auth}
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
  const confFile = join(dir, 'dovecot.conf');
  writeFileSync(confFile, conf);
  if (opts.rawlog) {
    // Dovecot writes a session's rawlog only into a folder that exists, as the mail user.
    for (const u of opts.users) mkdirSync(join(dir, 'rawlog', u.user), { recursive: true });
    chownTree(join(dir, 'rawlog'), owner.uid, owner.gid);
  }
  const child = spawn(DOVECOT, ['-c', confFile, '-F'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = () => {
    let l = '';
    try {
      l = readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000);
    } catch {
      /* no log yet */
    }
    return `${stderr}\n${l}`;
  };
  try {
    await Promise.all([imap, imaps, pop3, lmtp, auth].map((p) => waitForPort(p, 10_000, 'dovecot', log)));
  } catch (e) {
    await stopChild(child);
    tmp.remove();
    throw e;
  }
  const maildir = (user: string) => join(dir, 'mail', user);
  return {
    dir,
    ports: { imap, imaps, pop3, pop3s, lmtp, auth },
    tls,
    maildir,
    fillMaildir(user, messages, folder, seen = false) {
      const root = maildir(user);
      const box = folder ? join(root, `.${folder.replace(/\//g, '.')}`) : root;
      for (const d of ['', 'cur', 'new', 'tmp']) mkdirSync(join(box, d), { recursive: true });
      const now = Math.floor(Date.now() / 1000);
      for (const m of messages) {
        const name = `${now}.M${++fileSeq}P${process.pid}.test`;
        if (seen) writeFileSync(join(box, 'cur', `${name}:2,S`), m);
        else writeFileSync(join(box, 'new', name), m);
      }
      chownTree(root, owner.uid, owner.gid);
    },
    mailOf(user) {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\/(new|cur)\//.test(p)) out.push(readFileSync(p, 'latin1'));
        }
      };
      if (existsSync(maildir(user))) walk(maildir(user));
      return out;
    },
    rawlog(user, way = 'in') {
      const d = join(dir, 'rawlog', user);
      if (!existsSync(d)) return [];
      return readdirSync(d)
        .filter((n) => n.endsWith(`.${way}`))
        .sort()
        .map((n) => ({ session: n.slice(0, -way.length - 1), text: readFileSync(join(d, n), 'latin1') }));
    },
    deliver: (to, message) => lmtpDeliver(lmtp, to, message),
    doveadm: (args) => execFileSync(DOVEADM, ['-c', confFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString(),
    async stop() {
      await stopChild(child);
      tmp.remove();
    },
  };
}

/** A minimal LMTP client (RFC 2033) for delivering test messages. */
async function lmtpDeliver(port: number, to: string, message: Buffer | string): Promise<void> {
  const sock = createConnection({ host: '127.0.0.1', port });
  let buf = '';
  const waiters: ((l: string) => void)[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (;;) {
      const i = buf.indexOf('\r\n');
      if (i < 0) break;
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (/^\d{3} /.test(line)) waiters.shift()?.(line);
    }
  });
  const reply = () => new Promise<string>((r) => waiters.push(r));
  const expect2 = async (p: Promise<string>, what: string) => {
    const l = await p;
    if (!/^[23]/.test(l)) throw new Error(`LMTP ${what}: ${l}`);
  };
  try {
    await expect2(reply(), 'greeting');
    sock.write('LHLO test\r\n');
    await expect2(reply(), 'LHLO');
    sock.write('MAIL FROM:<test@localhost>\r\n');
    await expect2(reply(), 'MAIL');
    sock.write(`RCPT TO:<${to}>\r\n`);
    await expect2(reply(), 'RCPT');
    sock.write('DATA\r\n');
    await expect2(reply(), 'DATA');
    const body = Buffer.isBuffer(message) ? message.toString('latin1') : message;
    const stuffed = body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    sock.write(Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
    await expect2(reply(), 'delivery');
    sock.write('QUIT\r\n');
  } finally {
    sock.end();
  }
}

export interface Postfix {
  dir: string;
  port: number;
  /** Lines of Postfix's log (delivery status, for timing "accepted"). */
  log(): string;
  stop(): Promise<void>;
}

const MASTER_CF = `
{LISTEN} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

/**
 * Postfix from its own config folder and queue: SMTP on a loopback port with STARTTLS and
 * SASL through the given Dovecot, every domain in `domains` delivered to that Dovecot by LMTP.
 */
export async function startPostfix(dovecot: Dovecot, domains: string[]): Promise<Postfix> {
  if (!isRoot()) throw new Error('Postfix runs its master as root: run these tests as root (as CI does)');
  const tmp = tempDir('qmail-postfix-');
  const dir = tmp.path;
  execFileSync('chmod', ['0755', dir]);
  const port = await freePort();
  const conf = join(dir, 'conf');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  mkdirSync(conf);
  mkdirSync(queue);
  mkdirSync(data);
  const pf = Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
  const pfg = Number(execFileSync('id', ['-g', 'postfix']).toString().trim());
  chownSync(data, pf, pfg);
  writeFileSync(
    join(conf, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.localhost
mydomain = localhost
myorigin = localhost
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
virtual_mailbox_domains = ${domains.join(' ')}
virtual_transport = lmtp:inet:127.0.0.1:${dovecot.ports.lmtp}
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:${dovecot.ports.auth}
smtpd_tls_cert_file = ${dovecot.tls.certFile}
smtpd_tls_key_file = ${dovecot.tls.keyFile}
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
message_size_limit = 80000000
mailbox_size_limit = 0
maillog_file = ${dir}/postfix.log
maillog_file_prefixes = ${dir}
smtputf8_enable = no
biff = no
smtpd_banner = $myhostname ESMTP
smtp_dns_support_level = disabled
disable_dns_lookups = yes
in_flow_delay = 0
queue_run_delay = 1s
`,
  );
  writeFileSync(join(conf, 'master.cf'), MASTER_CF.replace('{LISTEN}', `127.0.0.1:${port}`));
  const env = { ...process.env, MAIL_CONFIG: conf };
  const run = (args: string[]) => execFileSync('/usr/sbin/postfix', ['-c', conf, ...args], { env, stdio: 'pipe' });
  let master: ChildProcess | undefined;
  try {
    run(['set-permissions']);
  } catch {
    // set-permissions touches the packaged files too; the queue folders below are what matter
  }
  try {
    run(['check']);
    master = spawn('/usr/sbin/postfix', ['-c', conf, 'start-fg'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    master.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    master.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const logText = () => {
      try {
        return out + readFileSync(join(dir, 'postfix.log'), 'utf8').slice(-2000);
      } catch {
        return out;
      }
    };
    await waitForPort(port, 15_000, 'postfix', logText);
  } catch (e) {
    if (master) await stopChild(master);
    try {
      run(['stop']);
    } catch {
      /* not running */
    }
    tmp.remove();
    throw e;
  }
  const m = master;
  return {
    dir,
    port,
    log: () => {
      try {
        return readFileSync(join(dir, 'postfix.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      try {
        run(['stop']);
      } catch {
        /* already stopped */
      }
      await stopChild(m);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Another mail client (imapflow over plain IMAP), logged in as `u`; the caller logs out. */
export async function plainImapClient(d: Dovecot, u: MailUser, extra: Partial<ImapFlowOptions> = {}): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: d.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user: u.user, pass: u.password },
    logger: false,
    ...extra,
  });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** A test message with a unique Message-ID. */
export function testMessage(
  o: { from?: string; to?: string; subject?: string; body?: string; date?: Date; messageId?: string } = {},
): string {
  const id = o.messageId ?? `<${randomBytes(8).toString('hex')}@test>`;
  return [
    `From: ${o.from ?? 'Sender <sender@a.localhost>'}`,
    `To: ${o.to ?? 'someone@a.localhost'}`,
    `Subject: ${o.subject ?? 'test'}`,
    `Date: ${(o.date ?? new Date()).toUTCString()}`,
    `Message-ID: ${id}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? 'hello',
    '',
  ].join('\r\n');
}

/**
 * A loopback TCP proxy that can cut every connection through it (the server "dropped" them)
 * or refuse new ones, to test reconnect and resume on any byte protocol.
 */
export interface CutProxy {
  port: number;
  /** Bytes the server sent to clients so far. */
  downBytes(): number;
  /** Destroys every open connection (both sides). */
  cutAll(): void;
  /** Cuts every connection once `bytes` more bytes went to the client. */
  cutAfter(bytes: number): void;
  stop(): Promise<void>;
}

export async function startCutProxy(target: number): Promise<CutProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let down = 0;
  let cutAt = Infinity;
  const cutAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => {
      down += d.length;
      client.write(d);
      if (down >= cutAt) {
        cutAt = Infinity;
        setImmediate(cutAll);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    port,
    downBytes: () => down,
    cutAll,
    cutAfter(bytes) {
      cutAt = down + bytes;
    },
    async stop() {
      cutAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
