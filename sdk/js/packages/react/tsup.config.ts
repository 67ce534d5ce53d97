// Builds @tessera/react: ESM + CJS + .d.ts; React and @tessera/js stay external.
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.tsx' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2022',
  sourcemap: true,
  tsconfig: 'tsconfig.build.json',
  external: ['react', 'react/jsx-runtime', '@tessera/js', '@tessera/js/core', '@tessera/js/ui'],
});
