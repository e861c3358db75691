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
  root.render(
    <StrictMode>
      <StoresProvider stores={stores}>
        <App webRuntime={choice.kind === 'web' ? choice.runtime : undefined} />
      </StoresProvider>
    </StrictMode>,
  );
}
