// @vitest-environment node
// Tree-shaking guarantees: the core entry carries no passwords/TOTP/OAuth/impersonation/WebAuthn/crypto-wallet code, and no browser entry pulls in jose.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const bundle = async (entry: string) => {
  const r = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    metafile: true,
  });
  return { text: r.outputFiles[0].text, inputs: Object.keys(r.metafile.inputs) };
};

describe('entry points', () => {
  it('@tessera/js/core leaves out passwords, TOTP, OAuth, impersonation, WebAuthn and crypto wallets', async () => {
    const { text, inputs } = await bundle('./core.ts');
    expect(inputs.some((i) => /factors\/(passwords|totps|oauth|impersonation|webauthn|crypto_wallets)/.test(i))).toBe(false);
    expect(text).not.toContain('/passwords');
    expect(text).not.toContain('/totps');
    expect(text).not.toContain('/oauth');
    expect(text).not.toContain('/impersonation');
    expect(text).not.toContain('/webauthn');
    expect(text).not.toContain('/crypto_wallets/');
    expect(text).toContain('/magic_links/authenticate');
  });

  it('the browser entries never import jose', async () => {
    for (const entry of ['./core.ts', './index.ts']) {
      const { inputs } = await bundle(entry);
      expect(inputs.some((i) => i.includes('jose'))).toBe(false);
    }
    const { inputs } = await bundle('./index.ts');
    expect(inputs.some((i) => i.includes('factors/passwords'))).toBe(true);
    expect(inputs.some((i) => i.includes('factors/webauthn'))).toBe(true);
    expect(inputs.some((i) => i.includes('factors/crypto_wallets'))).toBe(true);
  });
});
