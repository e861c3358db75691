import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { closeProfile, openProfile } from '../../electron/services/app/profile.js';
import type { AppServices } from '../../electron/services/app/services.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { LegacyAccountInput, PresetName, TlsMode } from '../../electron/services/legacy/types.js';
import { withProfile } from '../defaults.js';

/** HOST:PORT, or [v6]:PORT. */
export function hostPort(v: string, what: string): { host: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(v) ?? /^([^:\s]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`${what} must be HOST:PORT (got ${JSON.stringify(v)})`);
  return { host: m[1]!, port };
}

function tlsMode(v: string | undefined, what: string): TlsMode {
  const t = v ?? 'implicit';
  if (t !== 'implicit' && t !== 'starttls' && t !== 'none') throw new Error(`${what} is implicit, starttls or none`);
  return t;
}

/** Opens the profile (the vault made on first use) and a LegacyService on it. */
export async function withLegacy<T>(profile: string, create: boolean, fn: (s: LegacyService, app: AppServices) => Promise<T>): Promise<T> {
  const app = await openProfile({ profile, create });
  const s = new LegacyService(app.db, () => app.vault.box());
  try {
    return await fn(s, app);
  } finally {
    await s.close();
    await closeProfile(app);
  }
}

const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text());

export function register(program: Command): void {
  const accounts = program.command('accounts').description('legacy email accounts (IMAP or POP3 with SMTP) beside QMail');

  withProfile(accounts.command('add').description('add an account; the password comes from QMAIL_ACCOUNT_PASSWORD'))
    .requiredOption('--name <name>', 'a name for the account (used by the other commands)')
    .option('--imap <host:port>', 'IMAP server')
    .option('--pop3 <host:port>', 'POP3 server (download mode)')
    .requiredOption('--smtp <host:port>', 'SMTP server')
    .requiredOption('--user <login>', 'login name')
    .option('--email <address>', 'the From address (default: --user)')
    .option('--display-name <name>', 'the From name')
    .option('--tls <mode>', 'implicit | starttls | none, for both servers', 'implicit')
    .option('--smtp-tls <mode>', 'implicit | starttls | none for SMTP (default: --tls)')
    .option('--ca <file>', 'PEM file of a CA to trust for these servers')
    .option('--preset <name>', 'gmail | outlook | yahoo | generic', 'generic')
    .option('--delete-from-server', 'POP3: delete messages from the server once downloaded')
    .option('--no-test', 'add without testing the connection first')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        profile: string;
        name: string;
        imap?: string;
        pop3?: string;
        smtp: string;
        user: string;
        email?: string;
        displayName?: string;
        tls: string;
        smtpTls?: string;
        ca?: string;
        preset: string;
        deleteFromServer?: boolean;
        test: boolean;
        json?: boolean;
      }) => {
        if (Boolean(o.imap) === Boolean(o.pop3)) throw new Error('give one of --imap HOST:PORT or --pop3 HOST:PORT');
        const password = process.env.QMAIL_ACCOUNT_PASSWORD;
        if (!password) throw new Error('set QMAIL_ACCOUNT_PASSWORD to the account password (it is sealed in the profile, never printed)');
        const ca = o.ca ? readFileSync(o.ca, 'utf8') : undefined;
        if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${o.ca} holds no PEM certificate`);
        const tls = tlsMode(o.tls, '--tls');
        const input: LegacyAccountInput = {
          name: o.name,
          preset: o.preset as PresetName,
          email: o.email ?? o.user,
          ...(o.displayName ? { displayName: o.displayName } : {}),
          user: o.user,
          incoming: {
            kind: o.imap ? 'imap' : 'pop3',
            ...hostPort((o.imap ?? o.pop3)!, o.imap ? '--imap' : '--pop3'),
            tls,
            ...(ca ? { ca } : {}),
          },
          smtp: { ...hostPort(o.smtp, '--smtp'), tls: tlsMode(o.smtpTls ?? o.tls, '--smtp-tls'), ...(ca ? { ca } : {}) },
          auth: { kind: 'password', password },
          ...(o.pop3 ? { leaveOnServer: !o.deleteFromServer } : {}),
        };
        await withLegacy(o.profile, true, async (s) => {
          if (o.test) {
            const r = await s.testConnection(input);
            if (!r.ok) throw new Error(`connection test failed at ${r.server} (${r.stage}): ${r.message}`);
          }
          const v = await s.addAccount(input);
          print(
            o.json,
            v,
            () => `added ${v.name} (${v.incoming.kind} ${v.incoming.host}:${v.incoming.port}, smtp ${v.smtp.host}:${v.smtp.port})\n`,
          );
        });
      },
    );

  withProfile(accounts.command('list').description('list the accounts (no secrets)'))
    .option('--json', 'print JSON')
    .action(async (o: { profile: string; json?: boolean }) => {
      await withLegacy(o.profile, false, async (s) => {
        const list = s.listAccounts();
        print(o.json, list, () =>
          list
            .map(
              (a) =>
                `${a.name}  ${a.email}  ${a.incoming.kind} ${a.incoming.host}:${a.incoming.port}${a.lastError ? `  last error: ${a.lastError.code}` : ''}\n`,
            )
            .join(''),
        );
      });
    });

  withProfile(
    accounts
      .command('sync')
      .description('one sync pass of an account: prints per-folder counts and seconds')
      .argument('<name>', 'account name'),
  )
    .option('--json', 'print JSON')
    .action(async (name: string, o: { profile: string; json?: boolean }) => {
      await withLegacy(o.profile, false, async (s) => {
        const t0 = performance.now();
        const r = await s.sync(name);
        const out = { account: name, seconds: (performance.now() - t0) / 1000, folders: r.folders };
        print(o.json, out, () =>
          r.folders
            .map(
              (f) =>
                `${f.path.padEnd(24)} ${String(f.total).padStart(7)} total  +${f.added} ~${f.changed} -${f.removed}  ${f.seconds.toFixed(2)} s  (${f.mode})\n`,
            )
            .join(''),
        );
      });
    });

  withProfile(
    accounts
      .command('test')
      .description('test the connection and name what failed (DNS, TCP, TLS certificate, auth)')
      .argument('<name>', 'account name'),
  )
    .option('--json', 'print JSON')
    .action(async (name: string, o: { profile: string; json?: boolean }) => {
      await withLegacy(o.profile, false, async (s) => {
        const r = await s.testConnection(name);
        print(o.json, r, () => (r.ok ? 'ok\n' : `failed at ${r.server}: ${r.stage}: ${r.message}\n`));
        if (!r.ok) process.exitCode = 2;
      });
    });

  withProfile(
    accounts.command('remove').description('remove an account and everything synced from it').argument('<name>', 'account name'),
  ).action(async (name: string, o: { profile: string }) => {
    await withLegacy(o.profile, false, async (s) => {
      await s.removeAccount(name);
      process.stdout.write(`removed ${name}\n`);
    });
  });
}
