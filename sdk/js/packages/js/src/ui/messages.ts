/** The prebuilt UI's one message table: every string it shows, in English and French. */

const en = {
  'login.title': 'Sign up or log in',
  'login.or': 'or',
  'login.oauth': 'Continue with {provider}',
  'login.passkey': 'Continue with a passkey',
  'login.crypto': 'Continue with an Ethereum wallet',
  'login.cryptoSolana': 'Continue with a Solana wallet',
  'login.email': 'Email',
  'login.emailPlaceholder': 'you@example.com',
  'login.continueEmail': 'Continue with email',
  'login.emailCode': 'Email me a code instead',
  'login.phone': 'Phone number',
  'login.phonePlaceholder': '+1 555 555 0100',
  'login.continueSms': 'Continue with a text message',
  'login.continueWhatsapp': 'Continue with WhatsApp',
  'sent.title': 'Check your email',
  'sent.body': 'We sent a login link to {email}. It expires in {minutes} minutes.',
  'sent.resend': 'Resend the link',
  'sent.resent': 'We sent another link to {email}.',
  'back': 'Use another method',
  'code.title': 'Enter your code',
  'code.body': 'We sent a 6-digit code to {to}.',
  'code.label': 'Code',
  'code.submit': 'Verify',
  'code.resend': 'Send a new code',
  'code.resent': 'We sent a new code to {to}.',
  'password.title': 'Enter your password',
  'password.label': 'Password',
  'password.login': 'Log in',
  'password.create': 'Create an account',
  'password.forgot': 'Forgot your password?',
  'password.resetSent': 'If {email} has an account, we sent it a link to reset the password.',
  'password.show': 'Show password',
  'reset.title': 'Set a new password',
  'reset.label': 'New password',
  'reset.submit': 'Save and log in',
  'reset.done': 'Your password is saved and you are logged in.',
  'strength.weak': 'This password is too easy to guess.',
  'strength.ok': 'This password is strong enough.',
  'passkey.title': 'Log in faster with a passkey',
  'passkey.body': 'Use your fingerprint, face or screen lock instead of a code next time.',
  'passkey.create': 'Create a passkey',
  'passkey.skip': 'Skip for now',
  'passkey.done': 'Your passkey is ready.',
  'passkey.needsSession': 'Log in first to create a passkey.',
  'done.title': 'You are logged in',
  'busy': 'Working…',
  'error.badCode': 'That code is not right, or it has expired.',
  'error.badPassword': 'That email and password do not match.',
  'error.weakPassword': 'Choose a stronger password.',
  'error.resetPassword': 'This password has to be changed: reset it, or log in another way.',
  'error.exists': 'An account with this email already has a password: log in instead.',
  'error.invalidEmail': 'Enter a valid email address.',
  'error.invalidPhone': 'Enter the phone number with its country code, such as +1 555 555 0100.',
  'error.tooMany': 'Too many attempts. Wait a moment and try again.',
  'error.linkExpired': 'This link has expired or was already used. Ask for a new one.',
  'error.passkey': 'The passkey could not be used.',
  'error.wallet': 'The wallet did not sign in. Try again.',
  'error.unreachable': 'The server cannot be reached. Check your connection and try again.',
  'error.generic': 'Something went wrong. Try again.',
  'hosted.invalid': 'This login page was opened with a link that is not valid. Go back to the app and try again.',
  'hosted.expired': 'This page has expired. Start again.',
  'hosted.again': 'Start again',
  'hosted.password': 'Use a password',
};

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

const fr: Messages = {
  'login.title': 'Inscription ou connexion',
  'login.or': 'ou',
  'login.oauth': 'Continuer avec {provider}',
  'login.passkey': 'Continuer avec une clé d’accès',
  'login.crypto': 'Continuer avec un portefeuille Ethereum',
  'login.cryptoSolana': 'Continuer avec un portefeuille Solana',
  'login.email': 'E-mail',
  'login.emailPlaceholder': 'vous@exemple.fr',
  'login.continueEmail': 'Continuer avec l’e-mail',
  'login.emailCode': 'Recevoir plutôt un code par e-mail',
  'login.phone': 'Numéro de téléphone',
  'login.phonePlaceholder': '+33 6 12 34 56 78',
  'login.continueSms': 'Continuer par SMS',
  'login.continueWhatsapp': 'Continuer avec WhatsApp',
  'sent.title': 'Consultez vos e-mails',
  'sent.body': 'Nous avons envoyé un lien de connexion à {email}. Il expire dans {minutes} minutes.',
  'sent.resend': 'Renvoyer le lien',
  'sent.resent': 'Nous avons envoyé un nouveau lien à {email}.',
  'back': 'Utiliser une autre méthode',
  'code.title': 'Saisissez votre code',
  'code.body': 'Nous avons envoyé un code à 6 chiffres à {to}.',
  'code.label': 'Code',
  'code.submit': 'Vérifier',
  'code.resend': 'Envoyer un nouveau code',
  'code.resent': 'Nous avons envoyé un nouveau code à {to}.',
  'password.title': 'Saisissez votre mot de passe',
  'password.label': 'Mot de passe',
  'password.login': 'Se connecter',
  'password.create': 'Créer un compte',
  'password.forgot': 'Mot de passe oublié ?',
  'password.resetSent': 'Si {email} a un compte, nous lui avons envoyé un lien pour changer le mot de passe.',
  'password.show': 'Afficher le mot de passe',
  'reset.title': 'Choisissez un nouveau mot de passe',
  'reset.label': 'Nouveau mot de passe',
  'reset.submit': 'Enregistrer et se connecter',
  'reset.done': 'Votre mot de passe est enregistré et vous êtes connecté.',
  'strength.weak': 'Ce mot de passe est trop facile à deviner.',
  'strength.ok': 'Ce mot de passe est assez solide.',
  'passkey.title': 'Connectez-vous plus vite avec une clé d’accès',
  'passkey.body': 'La prochaine fois, utilisez votre empreinte, votre visage ou le verrouillage de l’écran au lieu d’un code.',
  'passkey.create': 'Créer une clé d’accès',
  'passkey.skip': 'Plus tard',
  'passkey.done': 'Votre clé d’accès est prête.',
  'passkey.needsSession': 'Connectez-vous d’abord pour créer une clé d’accès.',
  'done.title': 'Vous êtes connecté',
  'busy': 'Un instant…',
  'error.badCode': 'Ce code est incorrect ou a expiré.',
  'error.badPassword': 'Cet e-mail et ce mot de passe ne correspondent pas.',
  'error.weakPassword': 'Choisissez un mot de passe plus solide.',
  'error.resetPassword': 'Ce mot de passe doit être changé : réinitialisez-le ou connectez-vous autrement.',
  'error.exists': 'Un compte avec cet e-mail a déjà un mot de passe : connectez-vous.',
  'error.invalidEmail': 'Saisissez une adresse e-mail valide.',
  'error.invalidPhone': 'Saisissez le numéro avec son indicatif, par exemple +33 6 12 34 56 78.',
  'error.tooMany': 'Trop de tentatives. Patientez un instant puis réessayez.',
  'error.linkExpired': 'Ce lien a expiré ou a déjà servi. Demandez-en un nouveau.',
  'error.passkey': 'La clé d’accès n’a pas pu être utilisée.',
  'error.wallet': 'Le portefeuille n’a pas signé. Réessayez.',
  'error.unreachable': 'Le serveur est injoignable. Vérifiez votre connexion et réessayez.',
  'error.generic': 'Une erreur est survenue. Réessayez.',
  'hosted.invalid': 'Cette page de connexion a été ouverte avec un lien non valide. Revenez à l’application et réessayez.',
  'hosted.expired': 'Cette page a expiré. Recommencez.',
  'hosted.again': 'Recommencer',
  'hosted.password': 'Utiliser un mot de passe',
};

/** The built-in languages. */
export const MESSAGES = { en, fr } as const;
export type Locale = keyof typeof MESSAGES;

/**
 * The table for `locale` (its language part: `fr-CA` is `fr`; English when unknown), with
 * `overrides` on top.
 */
export function messages(locale?: string, overrides?: Partial<Messages>): Messages {
  const lang = (locale ?? '').toLowerCase().split('-')[0] as Locale;
  return { ...(MESSAGES[lang] ?? en), ...overrides };
}

/** `text` with each `{name}` replaced by `vars[name]`. */
export const fill = (text: string, vars: Record<string, string | number> = {}): string =>
  text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));

/** The message for an error the server (or the browser) gave. */
export function errorKey(err: unknown): MessageKey {
  const type = (err as { error_type?: string })?.error_type;
  switch (type) {
    case 'otp_code_not_found':
    case 'unable_to_auth_otp_code':
    case 'invalid_code':
      return 'error.badCode';
    case 'unauthorized_credentials':
    case 'email_not_found':
    case 'no_user_password':
      return 'error.badPassword';
    case 'weak_password':
      return 'error.weakPassword';
    case 'reset_password':
      return 'error.resetPassword';
    case 'password_already_exists':
    case 'duplicate_email':
      return 'error.exists';
    case 'invalid_email':
      return 'error.invalidEmail';
    case 'invalid_phone_number':
      return 'error.invalidPhone';
    case 'too_many_requests':
    case 'user_lock_limit_reached':
      return 'error.tooMany';
    case 'invalid_signature':
    case 'unable_to_authenticate_crypto_wallet':
      return 'error.wallet';
    case 'unable_to_auth_magic_link':
    case 'magic_link_not_found':
    case 'unable_to_auth_password_reset_token':
    case 'oauth_token_not_found':
      return 'error.linkExpired';
    case undefined:
      if ((err as Error)?.name === 'TesseraAPIUnreachableError') return 'error.unreachable';
      if ((err as Error)?.name === 'NotAllowedError' || (err as Error)?.name === 'InvalidStateError') return 'error.passkey';
      return 'error.generic';
    default:
      return 'error.generic';
  }
}
