/**
 * Well-known Toeplitz secret keys.
 *
 * - Linux `hv_netvsc` programs a fixed 40-byte key, `netvsc_hash_key`
 *   (drivers/net/hyperv/rndis_filter.c, Debian 6.1.192), on every RSS SET unless the user gave
 *   one with `ethtool -X … hkey` (shared/spec/nvsp-rndis-netvsc.md §3.10).
 * - Microsoft's "Verifying the RSS Hash Calculation" page publishes the key to use with its
 *   verification table (fixtures/rss/microsoft-verification.json).
 *
 * The two are the same 40 bytes: Linux netvsc uses Microsoft's verification key as its default.
 * The test suite compares the byte strings transcribed independently from both sources.
 *
 * Keys are handed out as fresh copies so no caller can change them for everybody.
 *
 * @module
 */
import { ToeplitzKey } from './toeplitz.js';

/** `NETVSC_HASH_KEYLEN` (hyperv_net.h) = `NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_2`: 40 bytes. */
export const NETVSC_HASH_KEYLEN = 40;

/** Linux netvsc's default key, `netvsc_hash_key` (rndis_filter.c), as hex. */
export const NETVSC_HASH_KEY_HEX =
  '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa';

/**
 * The key from Microsoft's "Verifying the RSS Hash Calculation"
 * (https://learn.microsoft.com/en-us/windows-hardware/drivers/network/verifying-the-rss-hash-calculation),
 * as hex. Byte-for-byte equal to {@link NETVSC_HASH_KEY_HEX}.
 */
export const MICROSOFT_VERIFICATION_KEY_HEX =
  '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa';

/** Parses an even-length hex string (no separators) into bytes. Internal helper for the constants. */
function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** A fresh copy of Linux netvsc's default 40-byte RSS key. */
export function netvscHashKey(): Uint8Array {
  return hexBytes(NETVSC_HASH_KEY_HEX);
}

/** A fresh copy of Microsoft's 40-byte RSS verification key. */
export function microsoftVerificationKey(): Uint8Array {
  return hexBytes(MICROSOFT_VERIFICATION_KEY_HEX);
}

let defaultKey: ToeplitzKey | undefined;

/**
 * Linux netvsc's default key as a precomputed {@link ToeplitzKey}, built on first use and shared
 * (a `ToeplitzKey` is immutable).
 */
export function netvscDefaultToeplitzKey(): ToeplitzKey {
  defaultKey ??= new ToeplitzKey(netvscHashKey());
  return defaultKey;
}
