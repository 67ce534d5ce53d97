/** `client.otps`: one-time passcodes by SMS, WhatsApp and email. */
import type { Engine } from '../engine';
import type { FactorAuthenticateResponse, OTPEmailSendOptions, OTPSendOptions, SendResponse, SessionDurationOptions } from '../types';

export const createOTPsClient = (e: Engine) => {
  const channel = <O extends OTPSendOptions>(name: string, field: string) => ({
    /** Send a code, creating the user if needed; returns the `method_id` to authenticate with. */
    loginOrCreate: (to: string, options?: O) =>
      e.request<SendResponse>('POST', `/otps/${name}/login_or_create`, { ...options, [field]: to }),
    /** Send a code to an existing user (attached to the current session when one is held). */
    send: (to: string, options?: O) =>
      e.request<SendResponse>('POST', `/otps/${name}/send/${e.layer.state?.session ? 'secondary' : 'primary'}`, {
        ...options,
        [field]: to,
      }),
  });
  return {
    sms: channel<OTPSendOptions>('sms', 'phone_number'),
    whatsapp: channel<OTPSendOptions>('whatsapp', 'phone_number'),
    email: channel<OTPEmailSendOptions>('email', 'email'),
    /** Check a code (sent as `token`) against the `method_id` of its send. */
    authenticate: (code: string, method_id: string, options: SessionDurationOptions) =>
      e.auth<FactorAuthenticateResponse>('/otps/authenticate', { ...options, token: code, method_id }),
  };
};

export type OTPsClient = ReturnType<typeof createOTPsClient>;
