/** `client.user`: the cached user, `GET /users/me`, name/metadata updates and factor deletions. */
import { strip, type Engine } from './engine';
import { watch } from './state';
import type { ResponseCommon, User, UserFactorDeleteResponse, UserInfo, UserUpdateOptions, UserUpdateResponse } from './types';

export const createUserClient = (e: Engine) => {
  const del = (kind: string) => (id: string) =>
    e.withUser<UserFactorDeleteResponse>('DELETE', `/users/${kind}/${encodeURIComponent(id)}`);
  return {
    /** `GET /users/me`: fetch and store the user. */
    async get(): Promise<User> {
      const gen = e.layer.gen;
      const user = strip(await e.request<User & ResponseCommon>('GET', '/users/me')) as User;
      e.setUser(gen, user);
      return user;
    },
    /** The cached user, or `null`. */
    getSync: (): User | null => e.layer.state?.user ?? null,
    getInfo: (): UserInfo => ({ user: e.layer.state?.user ?? null, fromCache: e.layer.fromCache }),
    /** Run `cb` whenever the user object changes; returns the unsubscribe. */
    onChange: (cb: (user: User | null) => void): (() => void) => watch(e.layer, (s) => s?.user, cb),
    /** `PUT /users/me`: name and untrusted metadata. */
    update: (options: UserUpdateOptions) => e.withUser<UserUpdateResponse>('PUT', '/users/me', options),
    deleteEmail: del('emails'),
    deletePhoneNumber: del('phone_numbers'),
    deleteTOTP: del('totps'),
    deleteOAuthRegistration: del('oauth'),
    deleteWebauthnRegistration: del('webauthn_registrations'),
    deleteCryptoWallet: del('crypto_wallets'),
    deleteBiometricRegistration: del('biometric_registrations'),
  };
};

export type UserClient = ReturnType<typeof createUserClient>;
