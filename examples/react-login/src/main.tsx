import { TesseraClient } from '@tessera/js';
import { TesseraProvider } from '@tessera/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

const publicToken = import.meta.env.VITE_TESSERA_PUBLIC_TOKEN;
const baseUrl = import.meta.env.VITE_TESSERA_URL;
const root = createRoot(document.getElementById('root')!);

if (!publicToken || !baseUrl) {
  root.render(
    <p style={{ padding: 24 }}>
      VITE_TESSERA_PUBLIC_TOKEN and VITE_TESSERA_URL are not set: start the example with <code>./run</code>.
    </p>,
  );
} else {
  // One client for the whole app, created outside React (like StytchHeadlessClient).
  const tessera = new TesseraClient(publicToken, { baseUrl });
  root.render(
    <StrictMode>
      <TesseraProvider tessera={tessera}>
        <App />
      </TesseraProvider>
    </StrictMode>,
  );
}
