// Chooses the screen: connecting, first run, unlock, or the mail window.
import { useEffect, useState, type ReactNode } from 'react';
import { Onboarding } from '../features/identity/Onboarding.js';
import { onboarded } from '../features/identity/store.js';
import { FirstRunScreen, UnlockScreen } from '../features/vault/VaultScreens.js';
import type { ConnectionInfo, WebRuntime } from '../runtime/web.js';
import { Logo } from '../ui/icons.js';
import { useIdentity, useStores, useVault } from './context.js';
import { MailShell } from './MailShell.js';

function ConnectionBanner({ runtime }: { runtime: WebRuntime }) {
  const { vault } = useStores();
  const [info, setInfo] = useState<ConnectionInfo>(runtime.connection);
  useEffect(() => {
    let wasOpen = runtime.connection.state === 'open';
    return runtime.onConnection((next) => {
      setInfo(next);
      // After a reconnect the service may have restarted (and locked): ask again.
      if (next.state === 'open' && !wasOpen) void vault.getState().check();
      wasOpen = next.state === 'open';
    });
  }, [runtime, vault]);
  if (info.state === 'open' || (info.state === 'connecting' && info.failures === 0)) return null;
  const text =
    info.state === 'closed'
      ? 'Disconnected from the QMail background service.'
      : info.state === 'reconnecting'
        ? `The connection to the QMail background service was lost. Trying again in ${Math.ceil((info.retryInMs ?? 0) / 1000)} s…`
        : 'Reconnecting to the QMail background service…';
  return (
    <div className="banner" role="status">
      {text}
    </div>
  );
}

function Splash({ text, children }: { text: string; children?: ReactNode }) {
  return (
    <main className="gate" aria-busy={children ? undefined : true}>
      <div className="gate-card splash">
        <Logo size={44} />
        <p>{text}</p>
        {children}
      </div>
    </main>
  );
}

export function App({ webRuntime }: { webRuntime?: WebRuntime }) {
  const { vault } = useStores();
  const status = useVault((s) => s.status);
  const error = useVault((s) => s.error);
  const ready = useIdentity(onboarded);

  useEffect(() => {
    void vault.getState().check();
  }, [vault]);

  let screen;
  switch (status) {
    case 'loading':
      screen = <Splash text="Opening QMail…" />;
      break;
    case 'unreachable':
      screen = (
        <Splash text={`QMail could not reach its background service. ${error?.message ?? ''}`}>
          <button type="button" className="primary" onClick={() => void vault.getState().check()}>
            Try again
          </button>
        </Splash>
      );
      break;
    case 'absent':
      screen = <FirstRunScreen />;
      break;
    case 'locked':
      screen = <UnlockScreen />;
      break;
    case 'unlocked':
      screen = ready ? <MailShell /> : <Onboarding />;
      break;
  }
  return (
    <>
      {webRuntime && <ConnectionBanner runtime={webRuntime} />}
      {screen}
    </>
  );
}

export function NoTokenScreen() {
  return (
    <main className="gate">
      <div className="gate-card">
        <Logo size={44} />
        <h1>Open QMail from its link</h1>
        <p className="gate-intro">
          This page talks to a QMail background service on this computer, and that service only answers pages opened from the exact link it
          printed when it started (the one ending in <code>#token=…</code>). Open that link again, or restart the service to get a new one.
        </p>
      </div>
    </main>
  );
}
