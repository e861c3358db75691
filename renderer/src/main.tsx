import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, NoTokenScreen } from './app/App.js';
import { StoresProvider } from './app/context.js';
import { createAppStores } from './app/stores.js';
import { selectRuntime } from './runtime/index.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const choice = selectRuntime(window);

if (choice.kind === 'no-token') {
  root.render(
    <StrictMode>
      <NoTokenScreen />
    </StrictMode>,
  );
} else {
  const stores = createAppStores(choice.runtime);
  // The session ends with the window: closing or reloading it locks the vault, so mail
  // is never left open in a background service with no window showing it.
  window.addEventListener('pagehide', () => {
    if (stores.vault.getState().status === 'unlocked') void choice.runtime.invoke('vault.lock', {}).catch(() => {});
  });
  root.render(
    <StrictMode>
      <StoresProvider stores={stores}>
        <App webRuntime={choice.kind === 'web' ? choice.runtime : undefined} />
      </StoresProvider>
    </StrictMode>,
  );
}
