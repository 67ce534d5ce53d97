/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The project's public token (`./run` creates the project and sets it). */
  readonly VITE_TESSERA_PUBLIC_TOKEN?: string;
  /** Where `tessera serve` listens, e.g. http://127.0.0.1:4000. */
  readonly VITE_TESSERA_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
