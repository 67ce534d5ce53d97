/** `client.webauthn`: passkeys and security keys (register, log in or step up, rename) through the browser's WebAuthn API. */
import type { Engine } from '../engine';
import { serverCallError } from '../errors';
import type {
  WebAuthnAuthenticateResponse,
  WebAuthnAuthenticateStartOptions,
  WebAuthnRegisterResponse,
  WebAuthnRegisterStartOptions,
  WebAuthnUpdateOptions,
  WebAuthnUpdateResponse,
} from '../types';

// The server's options and the credential travel as JSON with base64url (unpadded) binary
// fields, the form of `@github/webauthn-json` (Stytch's SDK) and of WebAuthn level 3's
// `parse…OptionsFromJSON` / `toJSON()`: the browser's own conversions are used when it has them.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** base64url (padding optional) to bytes. */
export const fromB64u = (s: string): ArrayBuffer =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;

/** Bytes to unpadded base64url. */
export const toB64u = (b: ArrayBuffer | ArrayBufferView): string =>
  btoa(
    (ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b)).reduce(
      (s, x) => s + String.fromCharCode(x),
      '',
    ),
  )
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const descriptors = (list?: Json[]) => list?.map((c) => ({ ...c, id: fromB64u(c.id) }));

/** `PublicKeyCredentialCreationOptions` from their JSON form. */
export const creationOptions = (o: Json): PublicKeyCredentialCreationOptions =>
  globalThis.PublicKeyCredential?.parseCreationOptionsFromJSON?.(o as PublicKeyCredentialCreationOptionsJSON) ?? {
    ...(o as PublicKeyCredentialCreationOptions),
    challenge: fromB64u(o.challenge),
    user: { ...o.user, id: fromB64u(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials),
  };

/** `PublicKeyCredentialRequestOptions` from their JSON form. */
export const requestOptions = (o: Json): PublicKeyCredentialRequestOptions =>
  globalThis.PublicKeyCredential?.parseRequestOptionsFromJSON?.(o as PublicKeyCredentialRequestOptionsJSON) ?? {
    ...(o as PublicKeyCredentialRequestOptions),
    challenge: fromB64u(o.challenge),
    allowCredentials: descriptors(o.allowCredentials),
  };

/** A new credential or an assertion in its JSON form. */
export const credentialJSON = (c: PublicKeyCredential): Json => {
  if (typeof c.toJSON === 'function') return c.toJSON();
  const r = c.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  return {
    id: c.id,
    rawId: toB64u(c.rawId),
    type: c.type,
    response:
      r.attestationObject
        ? {
            clientDataJSON: toB64u(r.clientDataJSON),
            attestationObject: toB64u(r.attestationObject),
            transports: r.getTransports?.() ?? [],
          }
        : {
            clientDataJSON: toB64u(r.clientDataJSON),
            authenticatorData: toB64u(r.authenticatorData),
            signature: toB64u(r.signature),
            userHandle: r.userHandle && toB64u(r.userHandle),
          },
    clientExtensionResults: c.getClientExtensionResults?.() ?? {},
    authenticatorAttachment: c.authenticatorAttachment ?? null,
  };
};

export const createWebAuthnClient = (e: Engine) => {
  const client = {
    /**
     * Register a passkey or security key for the logged-in user: `POST /webauthn/register/start`,
     * `navigator.credentials.create`, `POST /webauthn/register`. The factor joins the session.
     * Call it from a user gesture (a click).
     */
    async register({ is_passkey, session_duration_minutes, ...o }: WebAuthnRegisterStartOptions = {}): Promise<WebAuthnRegisterResponse> {
      if (!e.browser) throw serverCallError();
      // `o`: authenticator_type, override_id, override_name, override_display_name, use_base64_url_encoding.
      const start = await e.request<{ public_key_credential_creation_options: string }>('POST', '/webauthn/register/start', {
        ...o,
        domain: o.domain ?? location.hostname,
        return_passkey_credential_options: is_passkey,
        user_agent: navigator.userAgent,
      });
      const credential = (await navigator.credentials.create({
        publicKey: creationOptions(JSON.parse(start.public_key_credential_creation_options)),
      })) as PublicKeyCredential;
      return e.auth<WebAuthnRegisterResponse>('/webauthn/register', {
        public_key_credential: JSON.stringify(credentialJSON(credential)),
        session_duration_minutes,
      });
    },
    /**
     * Log in with a passkey (logged out: any discoverable credential of the domain), or step up
     * the session with one of its user's (logged in): `POST /webauthn/authenticate/start/{primary,
     * secondary}`, `navigator.credentials.get`, `POST /webauthn/authenticate`. With
     * `conditional_mediation`, `null` when the browser or page cannot offer autofill.
     */
    async authenticate(o: WebAuthnAuthenticateStartOptions): Promise<WebAuthnAuthenticateResponse | null> {
      if (!e.browser) throw serverCallError();
      if (
        o.conditional_mediation &&
        (!(await client.browserSupportsAutofill()) ||
          (!o.disable_input_check && !document.querySelector("input[autocomplete*='webauthn']")))
      )
        return null;
      const start = await e.request<{ public_key_credential_request_options: string }>(
        'POST',
        `/webauthn/authenticate/start/${e.layer.state?.session ? 'secondary' : 'primary'}`,
        { domain: o.domain ?? location.hostname, return_passkey_credential_options: o.is_passkey },
      );
      const credential = (await navigator.credentials.get({
        publicKey: requestOptions(JSON.parse(start.public_key_credential_request_options)),
        signal: o.signal,
        ...(o.conditional_mediation && { mediation: 'conditional' as CredentialMediationRequirement }),
      })) as PublicKeyCredential;
      return e.auth<WebAuthnAuthenticateResponse>('/webauthn/authenticate', {
        public_key_credential: JSON.stringify(credentialJSON(credential)),
        session_duration_minutes: o.session_duration_minutes,
      });
    },
    /** Rename one of the logged-in user's registrations (the cached user gets the new name too). */
    async update(o: WebAuthnUpdateOptions): Promise<WebAuthnUpdateResponse> {
      const gen = e.layer.gen;
      const id = o.webauthn_registration_id;
      const r = await e.request<WebAuthnUpdateResponse>('PUT', '/webauthn/update/' + encodeURIComponent(id), { name: o.name });
      const user = e.layer.state?.user;
      if (user)
        e.setUser(gen, {
          ...user,
          webauthn_registrations: user.webauthn_registrations.map((w) => (w.webauthn_registration_id === id ? r.webauthn_registration : w)),
        });
      return r;
    },
    /** Whether the browser offers passkeys in autofill (`conditional_mediation`). */
    async browserSupportsAutofill(): Promise<boolean> {
      return !!(await globalThis.PublicKeyCredential?.isConditionalMediationAvailable?.());
    },
  };
  return client;
};

export type WebAuthnClient = ReturnType<typeof createWebAuthnClient>;
