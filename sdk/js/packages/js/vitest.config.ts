// @tessera/js tests: jsdom by default (files opt into `node` with a docblock).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'js',
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    restoreMocks: true,
  },
});
