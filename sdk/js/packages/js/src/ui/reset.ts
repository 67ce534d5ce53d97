/** `mountPasswordReset` and `mountPasskeyRegistration`: Stytch's `StytchPasswordReset` and `StytchPasskeyRegistration`. */
import type { TesseraClient } from '../client';
import { target } from './login';
import { View, type Mounted, type ViewOptions } from './view';

export interface PasswordResetOptions extends ViewOptions {
  client: TesseraClient;
  /** The `token` of the reset link (default: read from the page's URL). */
  passwordResetToken?: string;
  config?: { sessionOptions?: { sessionDurationMinutes: number } };
  element?: HTMLElement;
  elementId?: string;
}

/** Mounts the form that sets a new password from a reset link's token, and logs in. */
export function mountPasswordReset(opts: PasswordResetOptions): Mounted {
  const { client } = opts;
  const v = new View(target(opts), opts);
  const token = opts.passwordResetToken ?? client.parseAuthenticateUrl()?.token ?? '';
  const duration = { session_duration_minutes: opts.config?.sessionOptions?.sessionDurationMinutes ?? 30 };
  const [field, input] = v.field('new-password', 'reset.label', {
    type: 'password',
    autocomplete: 'new-password',
    'aria-describedby': `${v.id}-strength`,
    'data-autofocus': true,
  });
  const strength = v.p('', 'tsr-muted');
  strength.id = `${v.id}-strength`;
  let checked = 0;
  input.addEventListener('input', () => {
    const mine = ++checked;
    const password = input.value;
    if (!password) return void (strength.textContent = '');
    setTimeout(async () => {
      if (mine !== checked) return;
      try {
        const r = await client.passwords.strengthCheck({ password });
        if (mine === checked) strength.textContent = v.t(r.valid_password ? 'strength.ok' : 'strength.weak');
      } catch {
        // The check is advice: the reset itself refuses a weak password.
      }
    }, 300);
  });
  v.show(
    'reset.title',
    v.form(async () => {
      const r = await client.passwords.resetByEmail({ token, password: input.value, ...duration });
      v.event('PASSWORD_RESET_BY_EMAIL', r);
      v.show('done.title', v.p(v.t('reset.done'), 'tsr-success'));
      v.announce(v.t('reset.done'));
      v.event('AUTHENTICATE_FLOW_COMPLETE', r);
    }, field, strength, v.button(v.t('reset.submit'))),
  );
  return { unmount: () => v.unmount() };
}

export interface PasskeyRegistrationOptions extends ViewOptions {
  client: TesseraClient;
  config?: { domain?: string };
  element?: HTMLElement;
  elementId?: string;
}

/** Mounts the offer to add a passkey to the logged-in user. */
export function mountPasskeyRegistration(opts: PasskeyRegistrationOptions): Mounted {
  const { client } = opts;
  const v = new View(target(opts), opts);
  const done = (text: string) => {
    v.show('passkey.title', v.p(text, 'tsr-success'));
    v.announce(text);
    v.event('PASSKEY_DONE', {});
  };
  if (!client.session.getSync()) {
    v.show('passkey.title', v.p(v.t('passkey.needsSession'), 'tsr-error'));
  } else {
    v.show(
      'passkey.title',
      v.p(v.t('passkey.body')),
      v.button(v.t('passkey.create'), async () => {
        const r = await client.webauthn.register({ domain: opts.config?.domain, is_passkey: true });
        v.event('PASSKEY_REGISTER', r);
        done(v.t('passkey.done'));
      }),
      v.button(v.t('passkey.skip'), () => {
        v.event('PASSKEY_SKIP', {});
        v.unmount();
      }, 'link'),
    );
  }
  return { unmount: () => v.unmount() };
}
