// Browser sign-in for legacy accounts (OAuth2, RFC 8252) as the window drives it: the window
// asks to start, gets the provider's URL and then polls; the main process runs the flow
// (oauth2.ts: loopback listener on 127.0.0.1, PKCE S256, state) inside LegacyService's
// addAccount, so the tokens go from the provider into the vault and never to the window.
// One sign-in at a time; Cancel (or a new start) ends the one waiting.
// Also here: the custom CA check, so a pasted or picked PEM is refused with a reason before
// it is saved.
import { randomBytes, X509Certificate } from 'node:crypto';
import { ContractError, type LegacySignIn, type LegacySignInInput } from '../../../shared/ipc/index.js';
import { LegacyError } from '../legacy/errors.js';
import type { OAuthProviderConfig } from '../legacy/oauth2.js';
import type { LegacyService } from '../legacy/service.js';
import { PRESETS, type LegacyAccountInput, type LegacyAccountView } from '../legacy/types.js';

export type OAuthPreset = 'gmail' | 'outlook';

/** The app's registration at a provider: a public desktop client (a "secret" only where the provider issues one to desktop apps). */
export interface OAuthClient {
  clientId: string;
  clientSecret?: string;
}

/**
 * Client ids from the environment: QMAIL_OAUTH_GMAIL_CLIENT_ID (and _CLIENT_SECRET, which
 * Google gives desktop clients and which is not a secret there), QMAIL_OAUTH_OUTLOOK_CLIENT_ID.
 * docs/legacy.md says where they come from.
 */
export function oauthClientsFromEnv(env: Record<string, string | undefined>): Partial<Record<OAuthPreset, OAuthClient>> {
  const out: Partial<Record<OAuthPreset, OAuthClient>> = {};
  for (const p of ['gmail', 'outlook'] as const) {
    const id = env[`QMAIL_OAUTH_${p.toUpperCase()}_CLIENT_ID`]?.trim();
    const secret = env[`QMAIL_OAUTH_${p.toUpperCase()}_CLIENT_SECRET`]?.trim();
    if (id) out[p] = { clientId: id, ...(secret ? { clientSecret: secret } : {}) };
  }
  return out;
}

const PROVIDER_NAME: Record<OAuthPreset, string> = { gmail: 'Google', outlook: 'Microsoft' };

interface Flow {
  view: LegacySignIn;
  /** Ends the browser wait (the listener closes). */
  cancel: (e: Error) => void;
}

export interface SignInDeps {
  legacy: LegacyService;
  clients: Partial<Record<OAuthPreset, OAuthClient>>;
  /** The system browser (the desktop app); absent in host mode, where the window shows the link. */
  openBrowser?: (url: string) => Promise<void> | void;
  /** An account was added by a sign-in (watch its inbox). */
  added?: (v: LegacyAccountView) => void;
  /** How long the provider's URL may take to be known. */
  startTimeoutMs?: number;
}

/** The LegacyService option that hands the provider's URL to the sign-in waiting for it. */
export interface BrowserRoute {
  openBrowser(url: string): Promise<void>;
}

export class SignIns implements BrowserRoute {
  private readonly flows = new Map<string, Flow>();
  private waiting: { id: string; url: (u: string) => void; ended: Promise<void>; end: (e: Error) => void } | null = null;
  private d: SignInDeps | null = null;

  /** Wired after LegacyService exists (it takes `openBrowser` from here). */
  attach(d: SignInDeps): void {
    this.d = d;
  }

  presets(): OAuthPreset[] {
    return (['gmail', 'outlook'] as const).filter((p) => this.d?.clients[p]);
  }

  /** LegacyService calls this with the provider's URL; the promise ends when the sign-in is cancelled (which stops its listener). */
  openBrowser(url: string): Promise<void> {
    const w = this.waiting;
    if (!w) return Promise.reject(new LegacyError('invalid_input', 'no sign-in was started from the window'));
    w.url(url);
    void Promise.resolve(this.d?.openBrowser?.(url)).catch(() => undefined);
    return w.ended;
  }

  provider(a: LegacySignInInput): OAuthProviderConfig {
    if (a.preset === 'generic') {
      if (!a.oauth)
        throw new ContractError('invalid_input', 'Signing in with a provider needs its authorization and token URLs and a client id.');
      return { ...a.oauth };
    }
    if (a.preset === 'yahoo') throw new ContractError('invalid_input', 'Yahoo accounts sign in with an app password.');
    const preset = PRESETS[a.preset];
    const client = this.d?.clients[a.preset];
    if (!client || !preset.oauth)
      throw new ContractError(
        'unavailable',
        `Sign-in with ${PROVIDER_NAME[a.preset]} is not set up in this build (no client id): use an app password.`,
      );
    return { ...preset.oauth, ...client };
  }

  async start(a: LegacySignInInput, input: Omit<LegacyAccountInput, 'auth'>): Promise<LegacySignIn> {
    const d = this.d;
    if (!d) throw new ContractError('unavailable', 'Sign-in is not available.');
    const provider = this.provider(a);
    if (d.legacy.listAccounts().some((x) => x.name === input.name))
      throw new ContractError('invalid_input', `An account named ${JSON.stringify(input.name)} exists.`);
    if (this.waiting) this.cancel(this.waiting.id);
    const id = randomBytes(16).toString('hex');
    let gotUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (gotUrl = r));
    let end!: (e: Error) => void;
    const ended = new Promise<void>((_, reject) => (end = reject));
    ended.catch(() => undefined);
    this.waiting = { id, url: gotUrl, ended, end };
    const flow: Flow = { view: { id, state: 'waiting', url: '' }, cancel: end };
    this.flows.set(id, flow);
    const adding = d.legacy.addAccount({ ...input, auth: { kind: 'oauth2', provider } });
    const first = await Promise.race([
      url.then((u) => ({ url: u })),
      adding.then(
        () => ({ error: new LegacyError('protocol', 'the sign-in ended before it began') }),
        (e: unknown) => ({ error: e }),
      ),
      new Promise<{ error: unknown }>((r) =>
        setTimeout(
          () => r({ error: new LegacyError('timeout', 'the sign-in page did not get ready') }),
          d.startTimeoutMs ?? 10_000,
        ).unref(),
      ),
    ]);
    if ('error' in first) {
      end(new LegacyError('closed', 'sign-in stopped'));
      this.finish(id, null, first.error);
      throw first.error instanceof LegacyError ? new ContractError('invalid_input', first.error.message) : first.error;
    }
    flow.view = { ...flow.view, url: first.url };
    adding.then(
      (v) => {
        this.finish(id, v, null);
        d.added?.(v);
      },
      (e: unknown) => this.finish(id, null, e),
    );
    return flow.view;
  }

  private finish(id: string, v: LegacyAccountView | null, e: unknown): void {
    if (this.waiting?.id === id) this.waiting = null;
    const f = this.flows.get(id);
    if (!f || f.view.state !== 'waiting') return;
    if (v) f.view = { ...f.view, state: 'done', account: v };
    else {
      const code = e instanceof LegacyError ? e.code : 'internal';
      const message = e instanceof Error ? e.message : String(e);
      f.view = { ...f.view, state: 'failed', error: { code, message: friendly(code, message) } };
    }
  }

  status(id: string): LegacySignIn {
    const f = this.flows.get(id);
    if (!f) throw new ContractError('not_found', 'No such sign-in.');
    return f.view;
  }

  cancel(id: string): LegacySignIn {
    const f = this.flows.get(id);
    if (!f) throw new ContractError('not_found', 'No such sign-in.');
    if (f.view.state === 'waiting') {
      f.view = { ...f.view, state: 'cancelled' };
      if (this.waiting?.id === id) this.waiting = null;
      f.cancel(new LegacyError('closed', 'sign-in cancelled'));
    }
    return f.view;
  }

  /** Ends a waiting sign-in (the profile locks or the app closes). */
  close(): void {
    if (this.waiting) this.cancel(this.waiting.id);
  }
}

function friendly(code: string, message: string): string {
  if (code === 'timeout') return 'The browser sign-in did not come back in time. Start it again.';
  if (code === 'auth') return `The provider did not sign you in (${message}).`;
  return message.charAt(0).toUpperCase() + message.slice(1);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a pasted or picked PEM, or ContractError('invalid_input') saying why it is not one. */
export function checkCaPem(pem: string, now: number = Date.now()): { subject: string; validTo: string; ca: boolean }[] {
  const text = pem.trim();
  if (!text)
    throw new ContractError('invalid_input', 'CA certificate: paste a PEM certificate (-----BEGIN CERTIFICATE-----) or pick its file.');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new ContractError('invalid_input', 'CA certificate: this is a private key; give the certificate only (never the key).');
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0)
    throw new ContractError(
      'invalid_input',
      'CA certificate: no PEM certificate in it (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).',
    );
  if (blocks.length > 16) throw new ContractError('invalid_input', 'CA certificate: more than 16 certificates in one field.');
  return blocks.map((b, i) => {
    let x: X509Certificate;
    try {
      x = new X509Certificate(b);
    } catch {
      throw new ContractError(
        'invalid_input',
        `CA certificate${blocks.length > 1 ? ` ${i + 1}` : ''}: not a readable certificate (damaged PEM).`,
      );
    }
    const subject = x.subject.replace(/\n/g, ', ');
    if (Date.parse(x.validTo) < now) throw new ContractError('invalid_input', `CA certificate ${subject}: expired on ${x.validTo}.`);
    if (Date.parse(x.validFrom) > now)
      throw new ContractError('invalid_input', `CA certificate ${subject}: not valid before ${x.validFrom}.`);
    return { subject, validTo: new Date(Date.parse(x.validTo)).toISOString(), ca: x.ca };
  });
}
