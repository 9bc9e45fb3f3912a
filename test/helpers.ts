/** Helpers shared by the codec tests. */
import { ProtocolError } from '../src/wire/errors.js';

/** Runs `fn` and returns the `ProtocolError` it throws; anything else thrown, or nothing, fails the test. */
export function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('expected a ProtocolError, got none');
}

/** Bytes as space-separated lowercase hex pairs. */
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
