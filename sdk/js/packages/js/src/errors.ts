/** Error classes thrown by the SDK, and the one table of error types that end a session. */

/** The four error types after which the local session is cleared (everything else is retried). */
export const UNRECOVERABLE_ERROR_TYPES: readonly string[] = [
  'unauthorized_credentials',
  'user_unauthenticated',
  'invalid_secret_authentication',
  'session_not_found',
];

/** A JSON error answer from the server (the flat `{status_code, error_type, …}` envelope). */
export class TesseraAPIError extends Error {
  status_code: number;
  error_type: string;
  error_message: string;
  error_url: string;
  request_id?: string;
  error_details?: unknown;

  constructor(body: {
    status_code: number;
    error_type: string;
    error_message?: string;
    error_url?: string;
    request_id?: string;
    error_details?: unknown;
  }) {
    super(`[${body.status_code}] ${body.error_type}: ${body.error_message ?? ''}`);
    this.name = 'TesseraAPIError';
    this.status_code = body.status_code;
    this.error_type = body.error_type;
    this.error_message = body.error_message ?? '';
    this.error_url = body.error_url ?? '';
    this.request_id = body.request_id;
    this.error_details = body.error_details;
  }
}

/** The server could not be reached, or did not answer with JSON. */
export class TesseraAPIUnreachableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'TesseraAPIUnreachableError';
  }
}

/** Whether `e` is an API error whose type means "this session is gone". */
export const isUnrecoverable = (e: unknown): boolean =>
  e instanceof TesseraAPIError && UNRECOVERABLE_ERROR_TYPES.includes(e.error_type);

/** Thrown by network methods of a client built where there is no `window` (SSR). */
export const serverCallError = () => new Error('TesseraClient: browser-only method called on the server');
