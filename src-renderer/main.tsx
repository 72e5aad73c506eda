import './ui/zod-jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { AppStoreContext } from './app/context';
import { createAppStore } from './app/store';
import { connectBridge } from './bridge';
import './ui/theme.css';

let store: ReturnType<typeof createAppStore> | undefined;
const bridge = connectBridge((connected) => store?.setState({ connected }));
store = createAppStore(bridge);
void store.getState().init();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppStoreContext.Provider value={store}>
      <App />
    </AppStoreContext.Provider>
  </StrictMode>,
);
