// WebAuthn against the fake server, with navigator.credentials (and PublicKeyCredential, when a
// case wants the browser's own JSON conversions) stubbed: the start/finish paths and bodies,
// primary or secondary by local state, the base64url conversions both ways, conditional
// mediation, the rename and the session applied.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, createFakeServer, makeSession, makeUser, ok, type FakeServer } from '../test/fake-server';
import { cacheState, newClient, settle } from '../test/helpers';
import { fromB64u, toB64u } from './factors/webauthn';
import type { WebAuthnRegistration } from './types';

let server: FakeServer;
const REG_ID = 'webauthn-registration-test-1';
const b64u = (bytes: number[]) => Buffer.from(bytes).toString('base64url');
const buf = (bytes: number[]) => new Uint8Array(bytes).buffer;
const bytesOf = (b: BufferSource) => [...new Uint8Array(b instanceof ArrayBuffer ? b : b.buffer)];

// Bytes whose base64 has '+' and '/' (0xfb 0xff → "-_8"), so a standard-base64 slip shows.
const CHALLENGE = [0xfb, 0xff, 0xbf, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const USER_HANDLE = [0x75, 0x73, 0x65, 0x72, 0xfe];
const CRED_ID = [0xff, 0xee, 0xdd, 0x3e, 0x3f];
const CREATION = {
  rp: { id: 'localhost', name: 'Test' },
  user: { id: b64u(USER_HANDLE), name: 'ada@example.com', displayName: 'Ada Lovelace' },
  challenge: b64u(CHALLENGE),
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  timeout: 300000,
  excludeCredentials: [{ type: 'public-key', id: b64u(CRED_ID), transports: ['usb'] }],
  authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
  attestation: 'none',
  extensions: { credProps: true },
};
const REQUEST = {
  challenge: b64u(CHALLENGE),
  timeout: 300000,
  rpId: 'localhost',
  allowCredentials: [{ type: 'public-key', id: b64u(CRED_ID) }],
  userVerification: 'preferred',
};

/** An attestation as Chromium hands it over (without `toJSON`, as in browsers before level 3). */
const newCredential = () => ({
  id: b64u(CRED_ID),
  rawId: buf(CRED_ID),
  type: 'public-key',
  authenticatorAttachment: 'platform',
  response: {
    clientDataJSON: buf([0x7b, 0x7d]),
    attestationObject: buf([0xa3, 0x63, 0xfb, 0xff]),
    getTransports: () => ['internal', 'hybrid'],
  },
  getClientExtensionResults: () => ({ credProps: { rk: true } }),
});
const assertion = (userHandle: number[] | null) => ({
  id: b64u(CRED_ID),
  rawId: buf(CRED_ID),
  type: 'public-key',
  authenticatorAttachment: null,
  response: {
    clientDataJSON: buf([0x7b, 0x7d]),
    authenticatorData: buf([0x49, 0x96, 0xfb]),
    signature: buf([0x30, 0x45, 0xff]),
    userHandle: userHandle && buf(userHandle),
  },
  getClientExtensionResults: () => ({}),
});

let credentials: { create: ReturnType<typeof vi.fn>; get: ReturnType<typeof vi.fn> };

const loggedIn = () => {
  cacheState({ session: makeSession(), user: makeUser() });
  document.cookie = 'stytch_session=tok-1; path=/';
};

const registration = (name: string): WebAuthnRegistration => ({
  webauthn_registration_id: REG_ID,
  domain: 'localhost',
  user_agent: 'UA',
  verified: true,
  authenticator_type: 'platform',
  name,
});

beforeEach(() => {
  vi.useFakeTimers();
  server = createFakeServer().addSession('tok-1', makeSession(), makeUser('user-test-1', { webauthn_registrations: [registration('Passkey 1')] }));
  credentials = { create: vi.fn(async () => newCredential()), get: vi.fn(async () => assertion(USER_HANDLE)) };
  Object.defineProperty(navigator, 'credentials', { value: credentials, configurable: true });
  server.on('POST /webauthn/register/start', () =>
    ok({ request_id: 'r', status_code: 200, user_id: 'user-test-1', public_key_credential_creation_options: JSON.stringify(CREATION) }),
  );
  server.on('POST /webauthn/register', () => ok(server.authAnswer('tok-1', { webauthn_registration_id: REG_ID, method_id: REG_ID })));
  for (const which of ['primary', 'secondary']) {
    server.on(`POST /webauthn/authenticate/start/${which}`, () =>
      ok({ request_id: 'r', status_code: 200, user_id: '', public_key_credential_request_options: JSON.stringify(REQUEST) }),
    );
  }
  server.on('POST /webauthn/authenticate', () => ok(server.authAnswer('tok-1', { webauthn_registration_id: REG_ID })));
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (navigator as { credentials?: unknown }).credentials;
});

describe('base64url', () => {
  it('round-trips every byte value, unpadded, with - and _', () => {
    const all = Array.from({ length: 256 }, (_, i) => i);
    for (const n of [0, 1, 2, 3, 256]) {
      const s = toB64u(buf(all.slice(0, n)));
      expect(s).toBe(b64u(all.slice(0, n)));
      expect(s).not.toMatch(/[+/=]/);
      expect(bytesOf(fromB64u(s))).toEqual(all.slice(0, n));
    }
    expect(bytesOf(fromB64u('-_8='))).toEqual([0xfb, 0xff]); // padded input is read too
    expect(toB64u(new Uint8Array([9, 0xfb, 0xff, 9]).subarray(1, 3))).toBe('-_8'); // a view: only its bytes
  });
});

describe('webauthn.register', () => {
  it('starts with the page host and user agent, creates with binary options, sends the credential as webauthn-json', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    const r = await c.webauthn.register({ is_passkey: true, session_duration_minutes: 30, override_name: 'ada' });
    expect(server.calls('POST /webauthn/register/start')[0].body).toEqual({
      domain: 'localhost',
      return_passkey_credential_options: true,
      override_name: 'ada',
      user_agent: navigator.userAgent,
    });
    expect(server.calls('POST /webauthn/register/start')[0].secret).toBe('tok-1');

    expect(credentials.create).toHaveBeenCalledTimes(1);
    const { publicKey } = credentials.create.mock.calls[0][0];
    expect(bytesOf(publicKey.challenge)).toEqual(CHALLENGE);
    expect(bytesOf(publicKey.user.id)).toEqual(USER_HANDLE);
    expect(publicKey.user.name).toBe('ada@example.com');
    expect(publicKey.excludeCredentials).toHaveLength(1);
    expect(bytesOf(publicKey.excludeCredentials[0].id)).toEqual(CRED_ID);
    expect(publicKey.excludeCredentials[0].transports).toEqual(['usb']);
    expect(publicKey.authenticatorSelection).toEqual(CREATION.authenticatorSelection);
    expect(publicKey.pubKeyCredParams).toEqual(CREATION.pubKeyCredParams);
    expect(publicKey.extensions).toEqual({ credProps: true });

    const sent = server.calls('POST /webauthn/register')[0].body!;
    expect(sent.session_duration_minutes).toBe(30);
    expect(JSON.parse(sent.public_key_credential as string)).toEqual({
      id: b64u(CRED_ID),
      rawId: b64u(CRED_ID),
      type: 'public-key',
      response: { clientDataJSON: 'e30', attestationObject: b64u([0xa3, 0x63, 0xfb, 0xff]), transports: ['internal', 'hybrid'] },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'platform',
    });
    expect(r.webauthn_registration_id).toBe(REG_ID);
    expect(r).not.toHaveProperty('__user');
    expect(c.user.getSync()?.webauthn_registrations).toHaveLength(1); // the answer's user was stored
    expect(c.session.getTokens()?.session_jwt).toBe(r.session_jwt);
  });

  it('sends a given domain and authenticator type; no duration is sent when none is given', async () => {
    loggedIn();
    const c = newClient(server);
    await c.webauthn.register({ domain: 'example.com', authenticator_type: 'cross-platform' });
    expect(server.calls('POST /webauthn/register/start')[0].body).toMatchObject({ domain: 'example.com', authenticator_type: 'cross-platform' });
    expect(server.calls('POST /webauthn/register')[0].body).not.toHaveProperty('session_duration_minutes');
  });

  it("uses the browser's parseCreationOptionsFromJSON and toJSON when it has them", async () => {
    const parsed = { parsed: true };
    const parseCreationOptionsFromJSON = vi.fn(() => parsed);
    vi.stubGlobal('PublicKeyCredential', { parseCreationOptionsFromJSON });
    const native = { id: 'abc', rawId: 'abc', response: { clientDataJSON: 'x', attestationObject: 'y', publicKeyAlgorithm: -7 } };
    credentials.create.mockResolvedValueOnce({ ...newCredential(), toJSON: () => native });
    loggedIn();
    const c = newClient(server);
    await c.webauthn.register({ session_duration_minutes: 5 });
    expect(parseCreationOptionsFromJSON).toHaveBeenCalledWith(CREATION);
    expect(credentials.create.mock.calls[0][0].publicKey).toBe(parsed);
    expect(JSON.parse(server.calls('POST /webauthn/register')[0].body!.public_key_credential as string)).toEqual(native);
  });

  it('a refused prompt rejects and sends nothing more; the session stays', async () => {
    loggedIn();
    credentials.create.mockRejectedValueOnce(new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError'));
    const c = newClient(server);
    await settle();
    await expect(c.webauthn.register({ session_duration_minutes: 5 })).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(server.calls('POST /webauthn/register')).toHaveLength(0);
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
  });

  it("the server's refusal of the start reaches the caller before any prompt", async () => {
    server.on('POST /webauthn/register/start', () => apiError(400, 'invalid_webauthn_domain'));
    loggedIn();
    const c = newClient(server);
    await expect(c.webauthn.register({ domain: 'evil.test' })).rejects.toMatchObject({ error_type: 'invalid_webauthn_domain' });
    expect(credentials.create).not.toHaveBeenCalled();
  });
});

describe('webauthn.authenticate', () => {
  it('logged out: start/primary, get with binary options, the assertion as webauthn-json, the session applied', async () => {
    const c = newClient(server);
    await settle();
    expect(c.session.getSync()).toBeNull();
    const signal = new AbortController().signal;
    const r = await c.webauthn.authenticate({ session_duration_minutes: 60, is_passkey: true, signal });
    expect(server.calls('POST /webauthn/authenticate/start/primary')[0].body).toEqual({ domain: 'localhost', return_passkey_credential_options: true });
    expect(server.calls('POST /webauthn/authenticate/start/secondary')).toHaveLength(0);
    const arg = credentials.get.mock.calls[0][0];
    expect(arg.signal).toBe(signal);
    expect(arg).not.toHaveProperty('mediation');
    expect(bytesOf(arg.publicKey.challenge)).toEqual(CHALLENGE);
    expect(bytesOf(arg.publicKey.allowCredentials[0].id)).toEqual(CRED_ID);
    expect(arg.publicKey.rpId).toBe('localhost');
    expect(arg.publicKey.userVerification).toBe('preferred');
    const sent = server.calls('POST /webauthn/authenticate')[0].body!;
    expect(sent.session_duration_minutes).toBe(60);
    expect(JSON.parse(sent.public_key_credential as string)).toEqual({
      id: b64u(CRED_ID),
      rawId: b64u(CRED_ID),
      type: 'public-key',
      response: {
        clientDataJSON: 'e30',
        authenticatorData: b64u([0x49, 0x96, 0xfb]),
        signature: b64u([0x30, 0x45, 0xff]),
        userHandle: b64u(USER_HANDLE),
      },
      clientExtensionResults: {},
      authenticatorAttachment: null,
    });
    expect(r!.webauthn_registration_id).toBe(REG_ID);
    expect(r).not.toHaveProperty('__user');
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
    expect(c.session.getTokens()?.session_token).toBe('tok-1');
  });

  it('logged in: start/secondary with a given domain; a missing user handle is sent as null', async () => {
    loggedIn();
    credentials.get.mockResolvedValueOnce(assertion(null));
    const c = newClient(server);
    await settle();
    await c.webauthn.authenticate({ domain: 'example.com', session_duration_minutes: 10 });
    expect(server.calls('POST /webauthn/authenticate/start/secondary')[0].body).toEqual({ domain: 'example.com' });
    expect(server.calls('POST /webauthn/authenticate/start/primary')).toHaveLength(0);
    const cred = JSON.parse(server.calls('POST /webauthn/authenticate')[0].body!.public_key_credential as string);
    expect(cred.response.userHandle).toBeNull();
  });

  it("uses the browser's parseRequestOptionsFromJSON and toJSON when it has them", async () => {
    const parsed = { parsed: true };
    const parseRequestOptionsFromJSON = vi.fn(() => parsed);
    vi.stubGlobal('PublicKeyCredential', { parseRequestOptionsFromJSON });
    credentials.get.mockResolvedValueOnce({ ...assertion(null), toJSON: () => ({ native: 1 }) });
    const c = newClient(server);
    await c.webauthn.authenticate({ session_duration_minutes: 10 });
    expect(parseRequestOptionsFromJSON).toHaveBeenCalledWith(REQUEST);
    expect(credentials.get.mock.calls[0][0].publicKey).toBe(parsed);
    expect(server.calls('POST /webauthn/authenticate')[0].body!.public_key_credential).toBe('{"native":1}');
  });

  it('conditional mediation: null without browser support or without a webauthn input, else a conditional get', async () => {
    const c = newClient(server);
    await settle();
    const o = { session_duration_minutes: 60, conditional_mediation: true };
    expect(await c.webauthn.browserSupportsAutofill()).toBe(false);
    expect(await c.webauthn.authenticate(o)).toBeNull(); // no PublicKeyCredential at all

    const available = vi.fn(async () => false);
    vi.stubGlobal('PublicKeyCredential', { isConditionalMediationAvailable: available });
    expect(await c.webauthn.authenticate(o)).toBeNull();
    available.mockResolvedValue(true);
    expect(await c.webauthn.browserSupportsAutofill()).toBe(true);
    expect(await c.webauthn.authenticate(o)).toBeNull(); // no <input autocomplete="… webauthn">
    expect(server.calls('POST /webauthn/authenticate/start/primary')).toHaveLength(0);
    expect(credentials.get).not.toHaveBeenCalled();

    const r = await c.webauthn.authenticate({ ...o, disable_input_check: true });
    expect(r?.webauthn_registration_id).toBe(REG_ID);
    expect(credentials.get.mock.calls[0][0].mediation).toBe('conditional');

    document.body.innerHTML = '<input autocomplete="username webauthn">';
    try {
      expect(await c.webauthn.authenticate(o)).not.toBeNull();
      expect(credentials.get).toHaveBeenCalledTimes(2);
      expect(credentials.get.mock.calls[1][0].mediation).toBe('conditional');
    } finally {
      document.body.innerHTML = '';
    }
  });

  it('a failed finish leaves the logged-out state alone', async () => {
    server.on('POST /webauthn/authenticate', () => apiError(401, 'unable_to_auth_webauthn_registration'));
    const c = newClient(server);
    await settle();
    await expect(c.webauthn.authenticate({ session_duration_minutes: 5 })).rejects.toMatchObject({
      error_type: 'unable_to_auth_webauthn_registration',
    });
    expect(c.session.getSync()).toBeNull();
    expect(c.session.getTokens()).toBeNull();
  });
});

describe('webauthn.update', () => {
  it('PUTs the name to the encoded id and renames the cached registration', async () => {
    loggedIn();
    server.on(`PUT /webauthn/update/${REG_ID}`, () => ok({ request_id: 'r', status_code: 200, webauthn_registration: registration('Laptop') }));
    const c = newClient(server);
    await settle();
    const seen: (string | undefined)[] = [];
    c.user.onChange((u) => seen.push(u?.webauthn_registrations[0]?.name));
    const r = await c.webauthn.update({ webauthn_registration_id: REG_ID, name: 'Laptop' });
    expect(server.calls(`PUT /webauthn/update/${REG_ID}`)[0].body).toEqual({ name: 'Laptop' });
    expect(r.webauthn_registration.name).toBe('Laptop');
    expect(c.user.getSync()?.webauthn_registrations).toEqual([registration('Laptop')]);
    expect(seen).toEqual(['Laptop']);
  });

  it('escapes the id in the path', async () => {
    loggedIn();
    server.on('PUT /webauthn/update/a%2Fb', () => ok({ request_id: 'r', status_code: 200, webauthn_registration: registration('x') }));
    const c = newClient(server);
    await c.webauthn.update({ webauthn_registration_id: 'a/b', name: 'x' });
    expect(server.calls('PUT /webauthn/update/a%2Fb')).toHaveLength(1);
  });
});
