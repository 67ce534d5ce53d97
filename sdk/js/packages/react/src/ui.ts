/** The prebuilt components: `<TesseraLogin>`, `<TesseraPasswordReset>`, `<TesseraPasskeyRegistration>` over `@tessera/js/ui`. */
import type { TesseraClient } from '@tessera/js';
import {
  mountLogin,
  mountPasskeyRegistration,
  mountPasswordReset,
  type LoginOptions,
  type Mounted,
  type PasskeyRegistrationOptions,
  type PasswordResetOptions,
  type UICallbacks,
} from '@tessera/js/ui';
import { createElement, useEffect, useRef } from 'react';
import { useTessera } from './index';

type Props<O> = Omit<O, 'client' | 'element' | 'elementId'>;

/**
 * A component that mounts `mount` in its `<div>`, again when its configuration, styles or
 * language change (compared by value), and calls the latest callbacks.
 */
function component<O extends LoginOptions | PasswordResetOptions | PasskeyRegistrationOptions>(
  name: string,
  mount: (o: O) => Mounted,
) {
  const C = (props: Props<O>) => {
    const client = useTessera<TesseraClient>();
    const element = useRef<HTMLDivElement>(null);
    const latest = useRef(props);
    latest.current = props;
    const { callbacks: _ignored, ...rest } = props;
    const key = JSON.stringify(rest);
    useEffect(() => {
      const m = mount({
        ...latest.current,
        client,
        element: element.current!,
        callbacks: {
          onEvent: (e) => latest.current.callbacks?.onEvent?.(e),
          onError: (e) => latest.current.callbacks?.onError?.(e),
        } satisfies UICallbacks,
      } as unknown as O);
      return () => m.unmount();
    }, [client, key]);
    return createElement('div', { ref: element });
  };
  C.displayName = name;
  return C;
}

/** Stytch's `<StytchLogin config styles callbacks />`: the login form of `config.products`. */
export const TesseraLogin = component<LoginOptions>('TesseraLogin', mountLogin);
/** Stytch's `<StytchPasswordReset passwordResetToken config />`. */
export const TesseraPasswordReset = component<PasswordResetOptions>('TesseraPasswordReset', mountPasswordReset);
/** Stytch's `<StytchPasskeyRegistration />`: offers the logged-in user a passkey. */
export const TesseraPasskeyRegistration = component<PasskeyRegistrationOptions>('TesseraPasskeyRegistration', mountPasskeyRegistration);
