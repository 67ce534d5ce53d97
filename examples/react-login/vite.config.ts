import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // @tessera/react is symlinked from sdk/js: make it use this app's React, not sdk/js's copy.
  resolve: { dedupe: ['react', 'react-dom'] },
  // The project's authorized origin is http://localhost:5173 (see ./run): never move to another port.
  server: { port: 5173, strictPort: true },
});
