// @vitest-environment node
// Server rendering: assumeHydrated must be false there, and then the first render is the empty, uninitialised snapshot.
import { TesseraClient } from '@tessera/js';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { StytchProvider, TesseraProvider, useTesseraSession } from './index';

const Probe = () => {
  const s = useTesseraSession();
  return `session=${s.session ? 'yes' : 'no'} init=${s.isInitialized} cache=${s.fromCache}`;
};

describe('SSR', () => {
  const client = new TesseraClient('public-token-test-ssr', { baseUrl: 'http://localhost:8080' });

  it('throws with assumeHydrated true (the default)', () => {
    expect(() => renderToString(createElement(TesseraProvider, { tessera: client }, createElement(Probe)))).toThrow(/assumeHydrated/);
  });

  it('renders the uninitialised snapshot with assumeHydrated={false}', () => {
    const html = renderToString(createElement(StytchProvider, { stytch: client, assumeHydrated: false }, createElement(Probe)));
    expect(html).toBe('session=no init=false cache=false');
  });
});
