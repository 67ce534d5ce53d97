/** @tessera/react: provider, hooks and HOCs over a Tessera client (a drop-in for @stytch/react's headless API). */
import { deepEqual, type Session, type TesseraClient, type TesseraCoreClient, type User } from '@tessera/js';
import { createContext, createElement, useContext, useEffect, useState, type ComponentType, type ReactNode } from 'react';

export interface SessionSnapshot {
  session: Session | null;
  /** False only before the first client render of `assumeHydrated={false}`. */
  isInitialized: boolean;
  /** True while the session comes from localStorage and the server has not confirmed it yet. */
  fromCache: boolean;
}

export interface UserSnapshot {
  user: User | null;
  isInitialized: boolean;
  fromCache: boolean;
}

type Snapshots = [SessionSnapshot, UserSnapshot];

const ClientContext = createContext<TesseraCoreClient | null>(null);
const SessionContext = createContext<SessionSnapshot | null>(null);
const UserContext = createContext<UserSnapshot | null>(null);

/** `next`, keeping every deep-equal slice of `prev` (and `prev` itself when nothing changed). */
const stable = <T extends object>(prev: T, next: T): T => {
  let changed = false;
  const out = { ...next };
  for (const k in next) {
    if (deepEqual(prev[k], next[k])) out[k] = prev[k];
    else changed = true;
  }
  return changed ? out : prev;
};

const read = (c: TesseraCoreClient): Snapshots => [
  { ...c.session.getInfo(), isInitialized: true },
  { ...c.user.getInfo(), isInitialized: true },
];

export interface TesseraProviderProps {
  /** The client (`new TesseraClient(…)`). */
  tessera?: TesseraCoreClient;
  /** Alias of `tessera`, so `<StytchProvider stytch={client}>` keeps working. */
  stytch?: TesseraCoreClient;
  /** Read the cached session on the first render (default true); must be false when rendering on the server. */
  assumeHydrated?: boolean;
  children?: ReactNode;
}

export function TesseraProvider({ tessera, stytch, assumeHydrated = true, children }: TesseraProviderProps) {
  const client = (tessera ?? stytch) as TesseraCoreClient;
  if (useContext(ClientContext)) throw new Error('You cannot render a <TesseraProvider> inside another <TesseraProvider>.');
  if (assumeHydrated && typeof window === 'undefined') {
    throw new Error('<TesseraProvider assumeHydrated> cannot render on the server: pass assumeHydrated={false} for SSR.');
  }
  const [snap, setSnap] = useState<Snapshots>(() =>
    assumeHydrated
      ? read(client)
      : [
          { session: null, isInitialized: false, fromCache: false },
          { user: null, isInitialized: false, fromCache: false },
        ],
  );
  useEffect(() => {
    const update = () =>
      setSnap((prev) => {
        const next = read(client);
        const s = stable(prev[0], next[0]);
        const u = stable(prev[1], next[1]);
        return s === prev[0] && u === prev[1] ? prev : [s, u];
      });
    update(); // after mount: initialise (assumeHydrated false) or catch up with changes since render
    return client.onStateChange(update);
  }, [client]);
  return createElement(
    ClientContext.Provider,
    { value: client },
    createElement(SessionContext.Provider, { value: snap[0] }, createElement(UserContext.Provider, { value: snap[1] }, children)),
  );
}

const useClient = (name: string) => {
  const c = useContext(ClientContext);
  if (!c) throw new Error(`${name} can only be used inside <TesseraProvider>.`);
  return c;
};

/** The client given to the provider (typed as the full `TesseraClient` unless you say otherwise). */
export const useTessera = <T extends TesseraCoreClient = TesseraClient>(): T => useClient('useTessera') as T;

/** `{session, isInitialized, fromCache}`; re-renders only when one of them changes. */
export const useTesseraSession = (): SessionSnapshot => (useClient('useTesseraSession'), useContext(SessionContext)!);

/** `{user, isInitialized, fromCache}`; re-renders only when one of them changes. */
export const useTesseraUser = (): UserSnapshot => (useClient('useTesseraUser'), useContext(UserContext)!);

const hoc =
  <I extends object>(name: string, inject: () => I) =>
  <P extends object>(Component: ComponentType<P>): ComponentType<Omit<P, keyof I>> => {
    const Wrapped = (props: Omit<P, keyof I>) => createElement(Component, { ...props, ...inject() } as unknown as P);
    Wrapped.displayName = `${name}(${Component.displayName || Component.name || 'Component'})`;
    return Wrapped;
  };

export interface WithTesseraProps {
  tessera: TesseraClient;
  stytch: TesseraClient;
}

export interface WithTesseraSessionProps {
  tesseraSession: Session | null;
  tesseraSessionIsInitialized: boolean;
  tesseraSessionIsFromCache: boolean;
  stytchSession: Session | null;
  stytchSessionIsInitialized: boolean;
  stytchSessionIsFromCache: boolean;
}

export interface WithTesseraUserProps {
  tesseraUser: User | null;
  tesseraUserIsInitialized: boolean;
  tesseraUserIsFromCache: boolean;
  stytchUser: User | null;
  stytchUserIsInitialized: boolean;
  stytchUserIsFromCache: boolean;
}

/** Injects `tessera` (and `stytch`): the client. */
export const withTessera = hoc<WithTesseraProps>('withTessera', () => {
  const c = useTessera();
  return { tessera: c, stytch: c };
});

/** Injects the session snapshot as `tesseraSession*` and `stytchSession*` props. */
export const withTesseraSession = hoc<WithTesseraSessionProps>('withTesseraSession', () => {
  const { session, isInitialized, fromCache } = useTesseraSession();
  return {
    tesseraSession: session,
    tesseraSessionIsInitialized: isInitialized,
    tesseraSessionIsFromCache: fromCache,
    stytchSession: session,
    stytchSessionIsInitialized: isInitialized,
    stytchSessionIsFromCache: fromCache,
  };
});

/** Injects the user snapshot as `tesseraUser*` and `stytchUser*` props. */
export const withTesseraUser = hoc<WithTesseraUserProps>('withTesseraUser', () => {
  const { user, isInitialized, fromCache } = useTesseraUser();
  return {
    tesseraUser: user,
    tesseraUserIsInitialized: isInitialized,
    tesseraUserIsFromCache: fromCache,
    stytchUser: user,
    stytchUserIsInitialized: isInitialized,
    stytchUserIsFromCache: fromCache,
  };
});

// The @stytch/react names, so apps port by changing the import.
export {
  TesseraProvider as StytchProvider,
  useTessera as useStytch,
  useTesseraSession as useStytchSession,
  useTesseraUser as useStytchUser,
  withTessera as withStytch,
  withTesseraSession as withStytchSession,
  withTesseraUser as withStytchUser,
};

export { TesseraLogin, TesseraPasswordReset, TesseraPasskeyRegistration } from './ui';
export {
  TesseraLogin as StytchLogin,
  TesseraPasswordReset as StytchPasswordReset,
  TesseraPasskeyRegistration as StytchPasskeyRegistration,
} from './ui';
export type { LoginConfig, UIStyles, UICallbacks, UIEvent } from '@tessera/js/ui';
