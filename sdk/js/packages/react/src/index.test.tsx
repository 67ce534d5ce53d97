// The provider timeline (assumeHydrated true/false), stable snapshots, errors, HOCs and the Stytch aliases, with a real client on the fake server.
import { act, cleanup, render, screen } from '@testing-library/react';
import { TesseraClient, type Session } from '@tessera/js';
import { Component, createElement, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeServer, makeSession, makeUser, ok, type FakeServer } from '../../js/test/fake-server';
import { cacheState, newClient } from '../../js/test/helpers';
import {
  StytchProvider,
  TesseraProvider,
  useStytch,
  useStytchSession,
  useTessera,
  useTesseraSession,
  useTesseraUser,
  withStytchUser,
  withTessera,
  withTesseraSession,
  type SessionSnapshot,
} from './index';

let server: FakeServer;
const flush = () => act(() => vi.advanceTimersByTimeAsync(0));

afterEach(cleanup);

beforeEach(() => {
  vi.useFakeTimers();
  server = createFakeServer().addSession('tok-1');
});

const loggedIn = () => {
  cacheState({ session: makeSession('session-test-1', { custom_claims: { cached: true } }), user: makeUser() });
  document.cookie = 'stytch_session=tok-1; path=/';
};

/** Records every render's session snapshot. */
const recorder = () => {
  const renders: SessionSnapshot[] = [];
  const Probe = () => {
    renders.push(useTesseraSession());
    return null;
  };
  return { renders, Probe };
};

const brief = (s: SessionSnapshot) => ({ id: s.session?.session_id ?? null, cached: !!s.session?.custom_claims?.cached, isInitialized: s.isInitialized, fromCache: s.fromCache });

describe('TesseraProvider', () => {
  it('assumeHydrated (default): cached session on the first render, then the server answer', async () => {
    loggedIn();
    const client = newClient(server);
    const { renders, Probe } = recorder();
    render(createElement(TesseraProvider, { tessera: client }, createElement(Probe)));
    expect(brief(renders[0])).toEqual({ id: 'session-test-1', cached: true, isInitialized: true, fromCache: true });
    await flush();
    expect(brief(renders.at(-1)!)).toEqual({ id: 'session-test-1', cached: false, isInitialized: true, fromCache: false });
    expect(renders).toHaveLength(2);
  });

  it('assumeHydrated={false}: an empty first render, the cache after mount, then the server answer', async () => {
    loggedIn();
    server.once('POST /sessions/authenticate', () => new Promise(() => {})); // never answers
    const client = newClient(server);
    const { renders, Probe } = recorder();
    render(createElement(TesseraProvider, { tessera: client, assumeHydrated: false }, createElement(Probe)));
    expect(brief(renders[0])).toEqual({ id: null, cached: false, isInitialized: false, fromCache: false });
    expect(brief(renders.at(-1)!)).toEqual({ id: 'session-test-1', cached: true, isInitialized: true, fromCache: true });
    expect(renders).toHaveLength(2);
  });

  it('a logged-out visitor: fromCache true until the server says unauthorized', async () => {
    const client = newClient(server);
    const { renders, Probe } = recorder();
    render(createElement(TesseraProvider, { tessera: client }, createElement(Probe)));
    expect(brief(renders[0])).toEqual({ id: null, cached: false, isInitialized: true, fromCache: true });
    await flush();
    expect(brief(renders.at(-1)!)).toEqual({ id: null, cached: false, isInitialized: true, fromCache: false });
  });

  it('keeps unchanged slices stable: a user change does not re-render session consumers', async () => {
    loggedIn();
    server.on('PUT /users/me', () => ok({ request_id: 'r', status_code: 200, __user: makeUser('user-test-1', { name: { first_name: 'Grace' } }) }));
    const client = newClient(server);
    await flush();
    const sessionRenders: (Session | null)[] = [];
    const names: string[] = [];
    const SessionProbe = () => (sessionRenders.push(useTesseraSession().session), null);
    const UserProbe = () => (names.push(useTesseraUser().user?.name.first_name ?? ''), null);
    render(createElement(TesseraProvider, { tessera: client }, createElement(SessionProbe), createElement(UserProbe)));
    await act(() => client.user.update({ name: { first_name: 'Grace' } }));
    expect(names).toEqual(['Ada', 'Grace']);
    expect(sessionRenders).toHaveLength(1);
    // A notification whose session is deep-equal keeps the very same object.
    await act(() => client.user.update({ name: { first_name: 'Grace' } }));
    await act(() => client.session.authenticate({ session_duration_minutes: 10 }));
    expect(sessionRenders).toHaveLength(2);
    expect(sessionRenders[1]).not.toBe(sessionRenders[0]);
  });

  it('follows a logout', async () => {
    loggedIn();
    const client = newClient(server);
    const { renders, Probe } = recorder();
    render(createElement(TesseraProvider, { tessera: client }, createElement(Probe)));
    await flush();
    await act(() => client.session.revoke());
    expect(brief(renders.at(-1)!)).toEqual({ id: null, cached: false, isInitialized: true, fromCache: false });
  });

  it('refuses to nest, and hooks refuse to run outside a provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const client = newClient(server);
    expect(() =>
      render(createElement(TesseraProvider, { tessera: client }, createElement(TesseraProvider, { tessera: client }))),
    ).toThrow('You cannot render a <TesseraProvider> inside another <TesseraProvider>.');
    const Bare = ({ hook }: { hook: () => unknown }) => (hook(), null);
    expect(() => render(createElement(Bare, { hook: useTessera }))).toThrow('useTessera can only be used inside <TesseraProvider>.');
    expect(() => render(createElement(Bare, { hook: useTesseraSession }))).toThrow(/useTesseraSession can only be used inside/);
    expect(() => render(createElement(Bare, { hook: useTesseraUser }))).toThrow(/useTesseraUser can only be used inside/);
    expect(() => render(createElement(withTesseraSession(() => null)))).toThrow(/can only be used inside/);
  });
});

describe('HOCs and Stytch aliases', () => {
  it('inject the Tessera and Stytch prop names', async () => {
    loggedIn();
    const client = newClient(server);
    const seen: Record<string, unknown>[] = [];
    const S = withTesseraSession((p: Record<string, unknown>) => (seen.push({ ...p }), null));
    const U = withStytchUser((p: Record<string, unknown>) => (seen.push({ ...p }), null));
    const C = withTessera((p: { tessera: unknown; stytch: unknown }) => (seen.push({ same: p.tessera === client && p.stytch === client }), null));
    render(createElement(StytchProvider, { stytch: client }, createElement(S, { own: 1 }), createElement(U), createElement(C)));
    expect(seen[0]).toMatchObject({
      own: 1,
      tesseraSession: { session_id: 'session-test-1' },
      tesseraSessionIsInitialized: true,
      tesseraSessionIsFromCache: true,
      stytchSession: { session_id: 'session-test-1' },
      stytchSessionIsInitialized: true,
      stytchSessionIsFromCache: true,
    });
    expect(seen[1]).toMatchObject({ stytchUser: { user_id: 'user-test-1' }, tesseraUserIsInitialized: true, stytchUserIsFromCache: true });
    expect(seen[2]).toEqual({ same: true });
    expect(S.displayName).toMatch(/^withTesseraSession\(/);
  });

  it('the seeds run unchanged with renamed imports (MFA guard, tokens to backend)', async () => {
    loggedIn();
    const client = newClient(server);
    const replace = vi.fn();
    const withMfaRequired = (Inner: () => ReactNode) => () => {
      const { session } = useStytchSession();
      if (!session || session.authentication_factors.length < 2) {
        replace('/home');
        return null;
      }
      return createElement(Inner);
    };
    const Secret = withMfaRequired(() => 'secret');
    const Tokens = () => {
      const stytch = useStytch();
      const { session } = useStytchSession();
      return session ? stytch.session.getTokens()?.session_jwt ?? 'none' : 'out';
    };
    render(createElement(StytchProvider, { stytch: client }, createElement(Secret), ' ', createElement(Tokens)));
    await flush();
    expect(replace).toHaveBeenCalledWith('/home');
    expect(screen.queryByText(/secret/)).toBeNull();
    expect(document.body.textContent).toContain('jwt-1');
    expect(client).toBeInstanceOf(TesseraClient);
  });

  it('a class component works through withTesseraSession', async () => {
    const client = newClient(server);
    class Inner extends Component<{ stytchSessionIsFromCache: boolean }> {
      override render() {
        return `fromCache=${this.props.stytchSessionIsFromCache}`;
      }
    }
    const W = withTesseraSession(Inner);
    render(createElement(TesseraProvider, { tessera: client }, createElement(W)));
    expect(document.body.textContent).toBe('fromCache=true');
    await flush(); // the startup check answers 401 for pt:pt
    expect(document.body.textContent).toBe('fromCache=false');
  });
});
