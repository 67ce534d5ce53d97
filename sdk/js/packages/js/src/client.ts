/** `TesseraClient`: the core client plus passwords and TOTP. */
import { TesseraCoreClient } from './core-client';
import { createPasswordsClient } from './factors/passwords';
import { createTOTPsClient } from './factors/totps';

export class TesseraClient extends TesseraCoreClient {
  readonly passwords = createPasswordsClient(this._engine);
  readonly totps = createTOTPsClient(this._engine);
}
