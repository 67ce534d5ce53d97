// @tessera/react tests: jsdom, with @tessera/js resolved to its sources (no build needed).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const js = (p: string) => fileURLToPath(new URL(`../js/src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tessera\/js\/core$/, replacement: js('core.ts') },
      { find: /^@tessera\/js\/ui$/, replacement: js('ui/index.ts') },
      { find: /^@tessera\/js$/, replacement: js('index.ts') },
    ],
  },
  test: {
    name: 'react',
    environment: 'jsdom',
    include: ['src/**/*.test.tsx', 'src/**/*.test.ts'],
    restoreMocks: true,
  },
});
