/** `mountLogin`: the prebuilt login form (Stytch's `StytchLogin`): OAuth, passkeys, Ethereum and Solana wallets, email magic links, passcodes and passwords. */
import type { TesseraClient } from '../client';
import bs58 from 'bs58';
import type { AuthenticateResponse } from '../types';
import { h, View, type Mounted, type ViewOptions } from './view';

/** A product of the login form, in the order it lists them (Stytch's `Products` values). */
export type LoginProduct = 'emailMagicLinks' | 'otp' | 'passwords' | 'oauth' | 'passkeys' | 'crypto';

/** The browser's Ethereum wallet (EIP-1193), when it has one. */
interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** The browser's Solana wallet (Phantom's `window.solana` interface), when it has one. */
interface SolanaWallet {
  connect(): Promise<{ publicKey: { toString(): string } }>;
  signMessage(message: Uint8Array, display?: string): Promise<{ signature: Uint8Array }>;
}

/** Stytch's `StytchLoginConfig` (the products Tessera's form shows). */
export interface LoginConfig {
  /** Also accepted as `{ id: 'otp' }` objects, as Stytch's newer UI takes. */
  products: (LoginProduct | { id: LoginProduct })[];
  emailMagicLinksOptions?: {
    loginRedirectURL?: string;
    loginExpirationMinutes?: number;
    signupRedirectURL?: string;
    signupExpirationMinutes?: number;
    loginTemplateId?: string;
    signupTemplateId?: string;
    locale?: string;
  };
  oauthOptions?: OAuthOptions;
  /** Alias of `oauthOptions`. */
  oAuthOptions?: OAuthOptions;
  otpOptions?: { methods: ('email' | 'sms' | 'whatsapp')[]; expirationMinutes?: number; locale?: string };
  passwordOptions?: {
    loginRedirectURL?: string;
    resetPasswordRedirectURL?: string;
    resetPasswordExpirationMinutes?: number;
    locale?: string;
  };
  /** The session length of a login (default 30 minutes). */
  sessionOptions?: { sessionDurationMinutes: number };
  passkeyOptions?: { domain?: string };
}

interface OAuthOptions {
  providers: ({ type: string; customScopes?: string[]; providerParams?: Record<string, string> } | string)[];
  loginRedirectURL?: string;
  signupRedirectURL?: string;
}

export interface LoginOptions extends ViewOptions {
  /** The client (`new TesseraClient(…)`). */
  client: TesseraClient;
  config: LoginConfig;
  /** Where to mount: an element, or a CSS selector (Stytch's `elementId`). */
  element?: HTMLElement;
  elementId?: string;
}

const PROVIDER_NAMES: Record<string, string> = {
  google: 'Google', apple: 'Apple', microsoft: 'Microsoft', github: 'GitHub', gitlab: 'GitLab', facebook: 'Facebook',
  discord: 'Discord', salesforce: 'Salesforce', slack: 'Slack', amazon: 'Amazon', bitbucket: 'Bitbucket',
  linkedin: 'LinkedIn', coinbase: 'Coinbase', twitch: 'Twitch', twitter: 'X', tiktok: 'TikTok', snapchat: 'Snapchat',
  figma: 'Figma', yahoo: 'Yahoo',
};

/** The element of `opts` (`element`, or `elementId` looked up). */
export function target(opts: { element?: HTMLElement; elementId?: string }): HTMLElement {
  const el = opts.element ?? (opts.elementId ? document.querySelector<HTMLElement>(opts.elementId) : null);
  if (!el) throw new Error(`Tessera UI: no element ${opts.elementId ?? ''} to mount in`);
  return el;
}

/** Mounts the login form; `unmount()` removes it. */
export function mountLogin(opts: LoginOptions): Mounted {
  const { client, config } = opts;
  const v = new View(target(opts), opts);
  const products = config.products.map((p) => (typeof p === 'string' ? p : p.id));
  const has = (p: LoginProduct) => products.includes(p);
  const otpMethods = has('otp') ? (config.otpOptions?.methods ?? ['email']) : [];
  const duration = { session_duration_minutes: config.sessionOptions?.sessionDurationMinutes ?? 30 };
  const eml = config.emailMagicLinksOptions ?? {};
  const oauth = config.oauthOptions ?? config.oAuthOptions;
  const emailFirst = products.find((p) => p === 'emailMagicLinks' || p === 'passwords' || (p === 'otp' && otpMethods.includes('email')));

  const loggedIn = (type: string, data: AuthenticateResponse) => {
    v.event(type, data);
    v.show('done.title');
    v.announce(v.t('done.title'));
    v.event('AUTHENTICATE_FLOW_COMPLETE', data);
  };

  const sendLink = async (email: string) => {
    const r = await client.magicLinks.email.loginOrCreate(email, {
      login_magic_link_url: eml.loginRedirectURL,
      signup_magic_link_url: eml.signupRedirectURL,
      // The screen after says how long the link works: the same for a new user.
      login_expiration_minutes: eml.loginExpirationMinutes ?? 60,
      signup_expiration_minutes: eml.signupExpirationMinutes ?? eml.loginExpirationMinutes ?? 60,
      login_template_id: eml.loginTemplateId,
      signup_template_id: eml.signupTemplateId,
      locale: eml.locale,
    });
    v.event('MAGIC_LINK_LOGIN_OR_CREATE', { ...r, email });
  };

  const linkSent = (email: string) => {
    const minutes = eml.loginExpirationMinutes ?? 60;
    v.show(
      'sent.title',
      v.p(v.t('sent.body', { email, minutes })),
      v.button(v.t('sent.resend'), async () => {
        await sendLink(email);
        v.announce(v.t('sent.resent', { email }));
      }, 'secondary'),
      v.button(v.t('back'), main, 'link'),
    );
    v.announce(v.t('sent.body', { email, minutes }));
  };

  const sendCode = async (method: 'email' | 'sms' | 'whatsapp', to: string) => {
    const o = { expiration_minutes: config.otpOptions?.expirationMinutes, locale: config.otpOptions?.locale };
    const r = await client.otps[method].loginOrCreate(to, o);
    v.event('OTP_LOGIN_OR_CREATE', { ...r, method });
    return r.method_id;
  };

  const codeScreen = (method: 'email' | 'sms' | 'whatsapp', to: string, methodId: string) => {
    const [field, input] = v.field('code', 'code.label', {
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]*',
      maxlength: 6,
      'data-autofocus': true,
    });
    v.show(
      'code.title',
      v.p(v.t('code.body', { to })),
      v.form(async () => {
        const r = await client.otps.authenticate(input.value.trim(), methodId, duration);
        loggedIn('OTP_AUTHENTICATE', r);
      }, field, v.button(v.t('code.submit'))),
      v.button(v.t('code.resend'), async () => {
        methodId = await sendCode(method, to);
        input.value = '';
        v.announce(v.t('code.resent', { to }));
      }, 'secondary'),
      v.button(v.t('back'), main, 'link'),
    );
    v.announce(v.t('code.body', { to }));
  };

  const passwordScreen = (email: string) => {
    const [field, input] = v.field('password', 'password.label', {
      type: 'password',
      autocomplete: 'current-password',
      'data-autofocus': true,
    });
    const po = config.passwordOptions ?? {};
    v.show(
      'password.title',
      v.p(email),
      v.form(async () => {
        const r = await client.passwords.authenticate({ email, password: input.value, ...duration });
        loggedIn('PASSWORD_AUTHENTICATE', r);
      }, field, v.button(v.t('password.login'))),
      v.button(v.t('password.create'), async () => {
        const r = await client.passwords.create({ email, password: input.value, ...duration });
        loggedIn('PASSWORD_CREATE', r);
      }, 'secondary'),
      has('emailMagicLinks') &&
        v.button(v.t('login.continueEmail'), async () => {
          await sendLink(email);
          linkSent(email);
        }, 'secondary'),
      otpMethods.includes('email') &&
        v.button(v.t('login.emailCode'), async () => codeScreen('email', email, await sendCode('email', email)), 'secondary'),
      v.button(v.t('password.forgot'), async () => {
        const r = await client.passwords.resetByEmailStart({
          email,
          login_redirect_url: po.loginRedirectURL,
          reset_password_redirect_url: po.resetPasswordRedirectURL,
          reset_password_expiration_minutes: po.resetPasswordExpirationMinutes,
          locale: po.locale,
        });
        v.event('PASSWORD_RESET_BY_EMAIL_START', { ...r, email });
        v.show('sent.title', v.p(v.t('password.resetSent', { email })), v.button(v.t('back'), main, 'link'));
        v.announce(v.t('password.resetSent', { email }));
      }, 'link'),
      v.button(v.t('back'), main, 'link'),
    );
  };

  const emailForm = () => {
    const [field, input] = v.field('email', 'login.email', {
      type: 'email',
      autocomplete: has('passkeys') ? 'username webauthn' : 'email',
      placeholder: v.t('login.emailPlaceholder'),
      'data-autofocus': true,
    });
    const email = () => input.value.trim();
    const codeInstead = has('emailMagicLinks') && otpMethods.includes('email') && !has('passwords');
    return v.form(
      async () => {
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email())) throw { error_type: 'invalid_email' };
        if (has('passwords')) return passwordScreen(email());
        if (has('emailMagicLinks')) {
          await sendLink(email());
          return linkSent(email());
        }
        codeScreen('email', email(), await sendCode('email', email()));
      },
      field,
      v.button(v.t('login.continueEmail')),
      codeInstead &&
        v.button(v.t('login.emailCode'), async () => {
          if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email())) throw { error_type: 'invalid_email' };
          codeScreen('email', email(), await sendCode('email', email()));
        }, 'secondary'),
    );
  };

  const phoneForm = () => {
    const [field, input] = v.field('phone', 'login.phone', {
      type: 'tel',
      autocomplete: 'tel',
      placeholder: v.t('login.phonePlaceholder'),
    });
    const phone = () => input.value.replace(/[\s().-]/g, '');
    const via = (method: 'sms' | 'whatsapp') => async () => {
      if (!/^\+[1-9]\d{6,14}$/.test(phone())) throw { error_type: 'invalid_phone_number' };
      codeScreen(method, phone(), await sendCode(method, phone()));
    };
    const sms = otpMethods.includes('sms');
    return v.form(
      sms ? via('sms') : via('whatsapp'),
      field,
      v.button(v.t(sms ? 'login.continueSms' : 'login.continueWhatsapp')),
      sms && otpMethods.includes('whatsapp') && v.button(v.t('login.continueWhatsapp'), via('whatsapp'), 'secondary'),
    );
  };

  const oauthButtons = () =>
    (oauth?.providers ?? []).map((p) => {
      const o = typeof p === 'string' ? { type: p } : p;
      const name = PROVIDER_NAMES[o.type] ?? o.type;
      return v.button(v.t('login.oauth', { provider: name }), async () => {
        const start = (client.oauth as unknown as Record<string, { start(x: object): Promise<void> }>)[o.type];
        if (!start) throw { error_type: 'invalid_oauth_provider' };
        await start.start({
          login_redirect_url: oauth?.loginRedirectURL,
          signup_redirect_url: oauth?.signupRedirectURL,
          custom_scopes: o.customScopes,
          provider_params: o.providerParams,
        });
      }, 'secondary');
    });

  const passkeyButton = () =>
    v.button(v.t('login.passkey'), async () => {
      const r = await client.webauthn.authenticate({ domain: config.passkeyOptions?.domain, is_passkey: true, ...duration });
      if (r) loggedIn('PASSKEY_AUTHENTICATE', r);
    }, 'secondary');

  const g = globalThis as { ethereum?: Eip1193; solana?: SolanaWallet };
  /** Signs in with a wallet: its address, the server's challenge, its signature of it. */
  const walletLogin = async (type: 'ethereum' | 'solana', address: string, sign: (challenge: string) => Promise<string>) => {
    const wallet = { crypto_wallet_address: address, crypto_wallet_type: type };
    const start = await client.cryptoWallets.authenticateStart(wallet);
    v.event('CRYPTO_WALLET_AUTHENTICATE_START', start);
    const signature = await sign(start.challenge);
    const r = await client.cryptoWallets.authenticate({ ...wallet, signature, ...duration });
    loggedIn('CRYPTO_WALLET_AUTHENTICATE', r);
  };
  const walletButtons = () => [
    g.ethereum &&
      v.button(v.t('login.crypto'), async () => {
        const eth = g.ethereum!;
        const [address] = (await eth.request({ method: 'eth_requestAccounts' })) as string[];
        await walletLogin('ethereum', address, async (challenge) =>
          (await eth.request({ method: 'personal_sign', params: [challenge, address] })) as string,
        );
      }, 'secondary'),
    g.solana &&
      v.button(v.t('login.cryptoSolana'), async () => {
        const sol = g.solana!;
        const address = (await sol.connect()).publicKey.toString();
        await walletLogin('solana', address, async (challenge) =>
          bs58.encode((await sol.signMessage(new TextEncoder().encode(challenge), 'utf8')).signature),
        );
      }, 'secondary'),
  ].filter((b): b is HTMLElement => !!b);

  function main() {
    const parts: HTMLElement[][] = [];
    for (const p of products) {
      if (p === 'oauth') parts.push(oauthButtons());
      else if (p === 'passkeys') parts.push([passkeyButton()]);
      else if (p === 'crypto') parts.push(walletButtons());
      else {
        if (p === emailFirst) parts.push([emailForm()]);
        if (p === 'otp' && (otpMethods.includes('sms') || otpMethods.includes('whatsapp'))) parts.push([phoneForm()]);
      }
    }
    const content: HTMLElement[] = [];
    parts.filter((x) => x.length).forEach((group, i) => {
      if (i > 0) content.push(h(v.doc, 'div', { class: 'tsr-divider', role: 'separator' }, v.t('login.or')));
      content.push(...group);
    });
    v.show('login.title', ...content);
  }

  main();
  // A link back from an email or a provider logs in at once.
  const parsed = typeof location === 'undefined' ? null : client.parseAuthenticateUrl();
  if (parsed?.handled && (parsed.tokenType === 'magic_links' || parsed.tokenType === 'oauth')) {
    void v.busy(async () => {
      const r = await client.authenticateByUrl(duration);
      if (r?.handled) loggedIn(r.tokenType === 'oauth' ? 'OAUTH_AUTHENTICATE' : 'MAGIC_LINK_AUTHENTICATE', r.data);
    });
  }
  return {
    unmount: () => v.unmount(),
  };
}
