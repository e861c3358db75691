// On the empty Inbox: the embedded network's built-in correspondent, introduced with a
// button that opens the composer addressed to it. Nothing shows on other networks.
import { useEffect, useState } from 'react';
import { useStores } from '../../app/context.js';

export function SayHello() {
  const { runtime, composer } = useStores();
  const [who, setWho] = useState<{ address: string; name: string } | null>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // It comes up a few seconds after the network: ask again until it answers (or this unmounts).
    const ask = (tries: number) =>
      runtime
        .invoke('app.correspondent', {})
        .then((c) => {
          if (!live) return;
          if (c.address) setWho({ address: c.address, name: c.name ?? 'the built-in correspondent' });
          else if (tries > 0) timer = setTimeout(() => void ask(tries - 1), 5_000);
        })
        .catch(() => undefined);
    void ask(12);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [runtime]);

  if (!who) return null;
  return (
    <div className="say-hello">
      <p>
        <strong>{who.name}</strong> <span className="mono">{who.address}</span> lives on this computer’s test network and answers every
        qmail within a minute, at the level you choose: a safe first message.
      </p>
      <button type="button" className="primary" onClick={() => composer.getState().openNew(`${who.name} <${who.address}>`)}>
        Say hello to {who.name}
      </button>
    </div>
  );
}
