import { TesseraAPIError, TesseraAPIUnreachableError } from '@tessera/js';

/** A line to show for a failed SDK call. */
export function describeError(e: unknown): string {
  if (e instanceof TesseraAPIError) return `${e.error_message} (${e.error_type})`;
  if (e instanceof TesseraAPIUnreachableError) return 'Cannot reach the Tessera server: is ./run still running?';
  return e instanceof Error ? e.message : String(e);
}
