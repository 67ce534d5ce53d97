// The prebuilt UI in jsdom against the fake server: screens, focus, announcements, errors, events, languages and styles.
import { fireEvent, screen, waitFor, within } from '@testing-library/dom';
import bs58 from 'bs58';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, createFakeServer, ok, type FakeServer } from '../../test/fake-server';
import { newClient } from '../../test/helpers';
import { MESSAGES, mountLogin, mountPasswordReset, type UIEvent } from './index';

let server: FakeServer;
let host: HTMLElement;

beforeEach(() => {
  server = createFakeServer().addSession('tok-1');
  document.body.innerHTML = '<main id="app"></main>';
  host = document.getElementById('app')!;
});

const typeInto = (label: RegExp | string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } });

describe('TesseraLogin', () => {
  it('lists the products in order, logs in with an email code, and reports each step', async () => {
    server.on('POST /otps/email/login_or_create', () => ok({ request_id: 'r', status_code: 200, method_id: 'email-test-1' }));
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-1', { method_id: 'email-test-1' })));
    const events: UIEvent[] = [];
    mountLogin({
      client: newClient(server),
      element: host,
      config: {
        products: ['oauth', 'otp'],
        oauthOptions: { providers: [{ type: 'google' }, 'github'] },
        otpOptions: { methods: ['email'], expirationMinutes: 5 },
        sessionOptions: { sessionDurationMinutes: 60 },
      },
      callbacks: { onEvent: (e) => events.push(e) },
    });
    const region = screen.getByRole('region', { name: 'Sign up or log in' });
    const buttons = within(region).getAllByRole('button').map((b) => b.textContent);
    expect(buttons).toEqual(['Continue with Google', 'Continue with GitHub', 'Continue with email']);
    expect(within(region).getByRole('separator').textContent).toBe('or');

    typeInto('Email', 'ada@example.com');
    fireEvent.submit(screen.getByLabelText('Email').closest('form')!);
    const code = await screen.findByLabelText('Code');
    expect(document.activeElement).toBe(code); // focus follows the new screen
    expect(screen.getByText('We sent a 6-digit code to ada@example.com.')).toBeTruthy();
    expect(server.calls('POST /otps/email/login_or_create')[0].body).toMatchObject({ email: 'ada@example.com', expiration_minutes: 5 });
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('We sent a 6-digit code to ada@example.com.'));

    typeInto('Code', '123456');
    fireEvent.submit(code.closest('form')!);
    await screen.findByRole('heading', { name: 'You are logged in' });
    expect(server.calls('POST /otps/authenticate')[0].body).toMatchObject({
      token: '123456',
      method_id: 'email-test-1',
      session_duration_minutes: 60,
    });
    expect(events.map((e) => e.type)).toEqual(['OTP_LOGIN_OR_CREATE', 'OTP_AUTHENTICATE', 'AUTHENTICATE_FLOW_COMPLETE']);
  });

  it('shows a wrong code as an alert, tells onError, and lets the user try again', async () => {
    server.on('POST /otps/sms/login_or_create', () => ok({ request_id: 'r', status_code: 200, method_id: 'phone-test-1' }));
    server.on('POST /otps/authenticate', () => apiError(401, 'otp_code_not_found'));
    const onError = vi.fn();
    mountLogin({ client: newClient(server), element: host, config: { products: ['otp'], otpOptions: { methods: ['sms'] } }, callbacks: { onError } });
    typeInto('Phone number', '12');
    fireEvent.submit(screen.getByLabelText('Phone number').closest('form')!);
    expect((await screen.findByRole('alert')).textContent).toMatch(/country code/);
    expect(server.calls('POST /otps/sms/login_or_create')).toHaveLength(0); // refused before sending

    typeInto('Phone number', '+1 (415) 555-0100');
    fireEvent.submit(screen.getByLabelText('Phone number').closest('form')!);
    const code = await screen.findByLabelText('Code');
    expect(server.calls('POST /otps/sms/login_or_create')[0].body).toMatchObject({ phone_number: '+14155550100' });
    typeInto('Code', '000000');
    fireEvent.submit(code.closest('form')!);
    await waitFor(() => expect(screen.getByRole('alert').hidden).toBe(false));
    expect(screen.getByRole('alert').textContent).toBe('That code is not right, or it has expired.');
    expect(onError).toHaveBeenLastCalledWith({ message: 'That code is not right, or it has expired.', error_type: 'otp_code_not_found' });
    expect((screen.getByRole('button', { name: 'Verify' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('sends a magic link, offers a code instead, and goes back', async () => {
    server.on('POST /magic_links/email/login_or_create', () => ok({ request_id: 'r', status_code: 200 }));
    const events: UIEvent[] = [];
    mountLogin({
      client: newClient(server),
      element: host,
      config: {
        products: ['emailMagicLinks', 'otp'],
        emailMagicLinksOptions: { loginRedirectURL: 'https://app.example.com/auth', loginExpirationMinutes: 15 },
        otpOptions: { methods: ['email'] },
      },
      callbacks: { onEvent: (e) => events.push(e) },
    });
    expect(screen.getByRole('button', { name: 'Email me a code instead' })).toBeTruthy();
    typeInto('Email', 'ada@example.com');
    fireEvent.click(screen.getByRole('button', { name: 'Continue with email' }));
    await screen.findByRole('heading', { name: 'Check your email' });
    expect(screen.getByText(/expires in 15 minutes/)).toBeTruthy();
    expect(server.calls('POST /magic_links/email/login_or_create')[0].body).toMatchObject({
      email: 'ada@example.com',
      login_magic_link_url: 'https://app.example.com/auth',
      login_expiration_minutes: 15,
    });
    expect(events[0]).toMatchObject({ type: 'MAGIC_LINK_LOGIN_OR_CREATE', data: { email: 'ada@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Use another method' }));
    await screen.findByRole('heading', { name: 'Sign up or log in' });
  });

  it('logs in with a password, and speaks French with a theme and colours', async () => {
    server.on('POST /passwords/authenticate', () => ok(server.authAnswer('tok-1')));
    const events: UIEvent[] = [];
    mountLogin({
      client: newClient(server),
      element: host,
      locale: 'fr-CA',
      styles: { theme: 'dark', colors: { primary: '#123456' }, buttons: { primary: { backgroundColor: '#0a0a0a' } } },
      config: { products: ['passwords'] },
      callbacks: { onEvent: (e) => events.push(e) },
    });
    const root = host.querySelector<HTMLElement>('.tsr')!;
    expect(root.dataset.theme).toBe('dark');
    expect(root.style.getPropertyValue('--tsr-text')).toBe('#123456');
    expect(root.style.getPropertyValue('--tsr-primary-bg')).toBe('#0a0a0a');
    expect(document.getElementById('tessera-ui-styles')).toBeTruthy();
    screen.getByRole('heading', { name: MESSAGES.fr['login.title'] });
    typeInto('E-mail', 'ada@example.com');
    fireEvent.submit(screen.getByLabelText('E-mail').closest('form')!);
    const pw = await screen.findByLabelText('Mot de passe');
    expect(pw.getAttribute('autocomplete')).toBe('current-password');
    typeInto('Mot de passe', 'correct horse battery staple');
    fireEvent.submit(pw.closest('form')!);
    await screen.findByRole('heading', { name: 'Vous êtes connecté' });
    expect(events.map((e) => e.type)).toEqual(['PASSWORD_AUTHENTICATE', 'AUTHENTICATE_FLOW_COMPLETE']);
  });

  it('signs in with the page\'s Ethereum wallet, and hides the product without one', async () => {
    const address = '0x' + 'ab'.repeat(20);
    server.on('POST /crypto_wallets/authenticate/start/primary', () =>
      ok({ request_id: 'r', status_code: 200, challenge: 'Signing in with Project: 1' }),
    );
    server.on('POST /crypto_wallets/authenticate', () => ok(server.authAnswer('tok-1')));
    const client = newClient(server);
    mountLogin({ client, element: host, config: { products: ['crypto', 'emailMagicLinks'] } });
    expect(screen.queryByRole('button', { name: 'Continue with an Ethereum wallet' })).toBeNull();
    const calls: string[] = [];
    (globalThis as Record<string, unknown>).ethereum = {
      request: async ({ method, params }: { method: string; params?: unknown[] }) => {
        calls.push(method);
        return method === 'eth_requestAccounts' ? [address] : `signed:${(params as string[])[0]}`;
      },
    };
    try {
      const events: UIEvent[] = [];
      mountLogin({ client, element: host, config: { products: ['crypto'] }, callbacks: { onEvent: (e) => events.push(e) } });
      fireEvent.click(screen.getByRole('button', { name: 'Continue with an Ethereum wallet' }));
      await screen.findByRole('heading', { name: 'You are logged in' });
      expect(calls).toEqual(['eth_requestAccounts', 'personal_sign']);
      expect(server.calls('POST /crypto_wallets/authenticate')[0].body).toMatchObject({
        crypto_wallet_address: address,
        crypto_wallet_type: 'ethereum',
        signature: 'signed:Signing in with Project: 1',
      });
      expect(events.map((e) => e.type)).toEqual([
        'CRYPTO_WALLET_AUTHENTICATE_START',
        'CRYPTO_WALLET_AUTHENTICATE',
        'AUTHENTICATE_FLOW_COMPLETE',
      ]);
    } finally {
      delete (globalThis as Record<string, unknown>).ethereum;
    }
  });

  it('signs in with the page\'s Solana wallet: its public key, and its signature in base58', async () => {
    const address = 'So11111111111111111111111111111111111111112';
    server.on('POST /crypto_wallets/authenticate/start/primary', () =>
      ok({ request_id: 'r', status_code: 200, challenge: 'Signing in with Project: 2' }),
    );
    server.on('POST /crypto_wallets/authenticate', () => ok(server.authAnswer('tok-1')));
    let signed = '';
    (globalThis as Record<string, unknown>).solana = {
      connect: async () => ({ publicKey: { toString: () => address } }),
      signMessage: async (m: Uint8Array) => {
        signed = new TextDecoder().decode(m);
        return { signature: new Uint8Array([0, 1, 2, 255]) };
      },
    };
    try {
      mountLogin({ client: newClient(server), element: host, config: { products: ['crypto'] } });
      fireEvent.click(screen.getByRole('button', { name: 'Continue with a Solana wallet' }));
      await screen.findByRole('heading', { name: 'You are logged in' });
      expect(signed).toBe('Signing in with Project: 2');
      expect(server.calls('POST /crypto_wallets/authenticate')[0].body).toMatchObject({
        crypto_wallet_address: address,
        crypto_wallet_type: 'solana',
        signature: bs58.encode(new Uint8Array([0, 1, 2, 255])),
      });
    } finally {
      delete (globalThis as Record<string, unknown>).solana;
    }
  });

  it('offers the email and the phone forms when codes go both ways', () => {
    mountLogin({ client: newClient(server), element: host, config: { products: ['otp', 'passwords'], otpOptions: { methods: ['email', 'sms'] } } });
    expect(screen.getByLabelText('Email')).toBeTruthy();
    expect(screen.getByLabelText('Phone number')).toBeTruthy();
    expect(screen.getAllByRole('separator')).toHaveLength(1);
  });

  it('has a string for every key in every language, and unmounts cleanly', () => {
    for (const table of Object.values(MESSAGES)) expect(Object.keys(table).sort()).toEqual(Object.keys(MESSAGES.en).sort());
    const m = mountLogin({ client: newClient(server), element: host, config: { products: ['emailMagicLinks'] } });
    expect(host.children).toHaveLength(1);
    m.unmount();
    expect(host.children).toHaveLength(0);
  });
});

describe('TesseraPasswordReset', () => {
  it('checks strength as the user types and resets with the link token', async () => {
    server.on('POST /passwords/strength_check', () => ok({ request_id: 'r', status_code: 200, valid_password: false, score: 1 }));
    server.on('POST /passwords/email/reset', () => ok(server.authAnswer('tok-1')));
    const events: UIEvent[] = [];
    mountPasswordReset({ client: newClient(server), element: host, passwordResetToken: 'reset-tok', callbacks: { onEvent: (e) => events.push(e) } });
    typeInto('New password', 'abc');
    await screen.findByText('This password is too easy to guess.', undefined, { timeout: 2000 });
    expect(screen.getByLabelText('New password').getAttribute('aria-describedby')).toMatch(/-strength$/);
    fireEvent.submit(screen.getByLabelText('New password').closest('form')!);
    await screen.findByRole('heading', { name: 'You are logged in' });
    expect(server.calls('POST /passwords/email/reset')[0].body).toMatchObject({ token: 'reset-tok', password: 'abc' });
    expect(events.map((e) => e.type)).toEqual(['PASSWORD_RESET_BY_EMAIL', 'AUTHENTICATE_FLOW_COMPLETE']);
  });
});
