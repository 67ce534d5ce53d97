// Builds @tessera/js: ESM + CJS + .d.ts for the three entries, and the IIFE `<script>` bundle.
import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', core: 'src/core.ts', server: 'src/server.ts', ui: 'src/ui/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    splitting: true,
    sourcemap: true,
    external: ['jose'],
  },
  {
    entry: { tessera: 'src/iife.ts', 'tessera-ui': 'src/iife-ui.ts' },
    format: ['iife'],
    globalName: 'Tessera',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    outExtension: () => ({ js: '.iife.js' }),
  },
]);
