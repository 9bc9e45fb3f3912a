/**
 * RSS indirection tables and queue selection, guest side (Linux netvsc) and host side.
 *
 * Guest (Linux hv_netvsc, Debian 6.1.192):
 * - The receive indirection table `rx_table` has `rx_table_sz` entries: the host's
 *   `num_indirect_tabent` when it offers one, else `ITAB_NUM` = 128, at most `ITAB_NUM_MAX` = 256
 *   (hyperv_net.h; rndis_filter.c `rndis_filter_query_device_rsscap`). Unless the user configured
 *   it (`ethtool -X`), entry i = `ethtool_rxfh_indir_default(i, num_chn)` = i mod num_chn
 *   (include/linux/ethtool.h; rndis_filter.c `rndis_filter_device_add`). On the wire each entry is
 *   a u32 (spec §3.10).
 * - Transmit uses the 16-entry send table `tx_table` that the host sends (NVSP type 134), indexed
 *   by `hash & (VRSS_SEND_TAB_SIZE − 1)` (netvsc_drv.c `netvsc_get_tx_queue`); Linux fills it with
 *   i mod num_chn itself once subchannels are open (rndis_filter.c `rndis_set_subchannel`).
 *
 * Host:
 * - openvmm (the reference host, spec/peers.md) validates an RSS SET as: key size 40, table size
 *   in bytes non-zero and a multiple of 4, every entry below its queue count; it then keeps
 *   min(guest entries, its own table size) entries and repeats them to fill its own table
 *   (vm/devices/net/netvsp/src/lib.rs `oid_set_rss_parameters`; spec §3.10).
 * - openvmm does not itself map hashes to entries: it hands the table to its backend (hardware or
 *   software endpoint). Microsoft's RSS model does: "a number of least significant bits of the hash
 *   value are used to index an indirection table" ("Introduction to Receive Side Scaling"), and the
 *   number of entries "must be a power of 2" (`NDIS_RECEIVE_SCALE_PARAMETERS.IndirectionTableSize`).
 *
 * Choice made here ({@link indirectionIndex}): for a power-of-two size, the low bits,
 * `hash & (size − 1)`. For other sizes, which openvmm accepts (any multiple of 4 bytes) but no
 * Microsoft document defines a lookup for, `hash mod size`: it agrees with the low-bits rule on every
 * power of two, reaches every entry, and never indexes past the table. Callers that want Windows'
 * stricter rule validate with `requirePowerOfTwo`.
 *
 * @module
 */
import { VRSS_SEND_TAB_SIZE } from '../protocol/nvsp.js';
import { ProtocolError } from '../wire/errors.js';
import { NETVSC_HASH_KEYLEN } from './keys.js';

/** Default / fallback receive indirection table size (hyperv_net.h `ITAB_NUM`). */
export const ITAB_NUM = 128;
/** Largest receive indirection table Linux netvsc allocates (hyperv_net.h `ITAB_NUM_MAX`). */
export const ITAB_NUM_MAX = 256;
/** Bytes per indirection table entry on the wire (u32; spec §3.10). */
export const INDIRECTION_ENTRY_BYTES = 4;

/** True when `n` is a positive integer power of two. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 0x80000000;
}

/** `ethtool_rxfh_indir_default(index, nRxRings)` (include/linux/ethtool.h): `index mod nRxRings`. */
export function ethtoolRxfhIndirDefault(index: number, nRxRings: number): number {
  if (!Number.isInteger(nRxRings) || nRxRings < 1) {
    throw new ProtocolError('BAD_VALUE', 'must be at least 1', { struct: 'rx_table', field: 'num_chn', value: nRxRings });
  }
  return index % nRxRings;
}

/**
 * The table Linux netvsc programs when the user has not configured one: `size` entries
 * (default {@link ITAB_NUM}), entry i = i mod `numChannels`.
 */
export function defaultIndirectionTable(numChannels: number, size: number = ITAB_NUM): Uint32Array {
  if (!Number.isInteger(size) || size < 1) {
    throw new ProtocolError('BAD_VALUE', 'must be at least 1', { struct: 'rx_table', field: 'rx_table_sz', value: size });
  }
  const table = new Uint32Array(size);
  for (let i = 0; i < size; i++) table[i] = ethtoolRxfhIndirDefault(i, numChannels);
  return table;
}

/**
 * The entry a hash selects in a table of `size` entries: `hash & (size − 1)` for powers of two,
 * `hash mod size` otherwise (see the module text for why).
 * @throws {@link ProtocolError} `BAD_VALUE` when `size` is not a positive integer.
 */
export function indirectionIndex(hash: number, size: number): number {
  if (size > 0 && size <= 0x40000000 && (size | 0) === size && (size & (size - 1)) === 0) {
    return (hash & (size - 1)) >>> 0;
  }
  if (!Number.isInteger(size) || size < 1) {
    throw new ProtocolError('BAD_VALUE', 'is empty: no entry to select', { struct: 'indirection_table', field: 'size', value: size });
  }
  return (hash >>> 0) % size;
}

/** The queue (channel) that receives a packet with `hash`: `table[indirectionIndex(hash, table.length)]`. */
export function selectQueue(hash: number, table: ArrayLike<number>): number {
  return table[indirectionIndex(hash, table.length)]!;
}

/** Linux's own fill of the send table once subchannels are open: entry i = i mod `numChannels`. */
export function defaultSendTable(numChannels: number): Uint32Array {
  return defaultIndirectionTable(numChannels, VRSS_SEND_TAB_SIZE);
}

/**
 * Linux netvsc's transmit channel for a flow hash: `sendTable[hash & 15]`
 * (netvsc_drv.c `netvsc_get_tx_queue`).
 * @throws {@link ProtocolError} `BAD_LENGTH` unless the table has {@link VRSS_SEND_TAB_SIZE} entries.
 */
export function selectSendQueue(hash: number, sendTable: ArrayLike<number>): number {
  if (sendTable.length !== VRSS_SEND_TAB_SIZE) {
    throw new ProtocolError('BAD_LENGTH', `must have ${VRSS_SEND_TAB_SIZE} entries`, {
      struct: 'net_device_context',
      field: 'tx_table',
      value: sendTable.length,
    });
  }
  return sendTable[hash & (VRSS_SEND_TAB_SIZE - 1)]!;
}

/**
 * The host's view of a guest table, as openvmm builds it: keep the first
 * min(`entries.length`, `hostSize`) entries and repeat them in order until `hostSize` entries are
 * filled.
 * @throws {@link ProtocolError} `BAD_VALUE` for an empty guest table or a host size below 1.
 */
export function expandIndirectionTable(entries: ArrayLike<number>, hostSize: number): Uint32Array {
  if (!Number.isInteger(hostSize) || hostSize < 1) {
    throw new ProtocolError('BAD_VALUE', 'must be at least 1', { struct: 'indirection_table', field: 'host_size', value: hostSize });
  }
  if (entries.length === 0) {
    throw new ProtocolError('BAD_VALUE', 'is empty', { struct: 'indirection_table', field: 'entries', value: 0 });
  }
  const used = Math.min(entries.length, hostSize);
  const out = new Uint32Array(hostSize);
  for (let i = 0; i < hostSize; i++) out[i] = entries[i % used]!;
  return out;
}

// --- Validation (errors returned as values, for the host model) --------------------------------

const PARAM = 'ndis_recv_scale_param';

/**
 * Checks the table size field of an RSS parameters object (`indirect_tabsize`, in bytes): non-zero
 * and a multiple of 4 (openvmm); with `requirePowerOfTwo`, also a power-of-two number of entries
 * (Microsoft's rule). Returns the error, or `undefined` when valid.
 */
export function checkIndirectionTableBytes(
  sizeBytes: number,
  options: { requirePowerOfTwo?: boolean } = {},
): ProtocolError | undefined {
  if (!Number.isInteger(sizeBytes) || sizeBytes <= 0) {
    return new ProtocolError('BAD_LENGTH', 'is zero: an RSS table needs at least one entry', {
      struct: PARAM,
      field: 'indirect_tabsize',
      offset: 12,
      value: sizeBytes,
    });
  }
  if (sizeBytes % INDIRECTION_ENTRY_BYTES !== 0) {
    return new ProtocolError('BAD_LENGTH', 'is not a multiple of 4 (one u32 per entry)', {
      struct: PARAM,
      field: 'indirect_tabsize',
      offset: 12,
      value: sizeBytes,
    });
  }
  if (options.requirePowerOfTwo && !isPowerOfTwo(sizeBytes / INDIRECTION_ENTRY_BYTES)) {
    return new ProtocolError('BAD_LENGTH', 'is not a power-of-two number of entries', {
      struct: PARAM,
      field: 'indirect_tabsize',
      offset: 12,
      value: sizeBytes,
    });
  }
  return undefined;
}

/**
 * Checks the key size field (`hashkey_size`): must be {@link NETVSC_HASH_KEYLEN} (40) for Toeplitz
 * (openvmm; Microsoft's `HashSecretKeySize`). Returns the error, or `undefined`.
 */
export function checkHashKeySize(size: number): ProtocolError | undefined {
  if (size === NETVSC_HASH_KEYLEN) return undefined;
  return new ProtocolError('BAD_LENGTH', `is not ${NETVSC_HASH_KEYLEN} (Toeplitz key size)`, {
    struct: PARAM,
    field: 'hashkey_size',
    offset: 20,
    value: size,
  });
}

/**
 * Checks that every entry names an existing queue (`entry < queueCount`). Returns the first
 * offending entry as a `BAD_VALUE` error (offset = byte offset of the entry in the wire table),
 * or `undefined`.
 */
export function checkIndirectionEntries(entries: ArrayLike<number>, queueCount: number): ProtocolError | undefined {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (!(Number.isInteger(e) && e >= 0 && e < queueCount)) {
      return new ProtocolError('BAD_VALUE', `is not a queue index below ${queueCount}`, {
        struct: 'indirection_table',
        field: `entry[${i}]`,
        offset: i * INDIRECTION_ENTRY_BYTES,
        value: e,
      });
    }
  }
  return undefined;
}

/** The RSS parameters a host validates before accepting a table (see {@link checkRssTable}). */
export interface RssTableCheck {
  /** `hashkey_size` from the parameters object. */
  readonly hashKeySize: number;
  /** `indirect_tabsize` (bytes) from the parameters object. */
  readonly tableBytes: number;
  /**
   * The entries the host reads. openvmm reads (and checks) only the first
   * min(`tableBytes` / 4, its own table size) entries; pass exactly those.
   */
  readonly entries: ArrayLike<number>;
  /** The host's queue count (`max_queues`). */
  readonly queueCount: number;
  /** Also demand a power-of-two entry count (Windows rule; openvmm does not). */
  readonly requirePowerOfTwo?: boolean;
}

/**
 * openvmm's order of checks for an enabling RSS SET: key size, then table size, then entries.
 * Returns the first error, or `undefined` when the host would accept the table.
 */
export function checkRssTable(p: RssTableCheck): ProtocolError | undefined {
  return (
    checkHashKeySize(p.hashKeySize) ??
    checkIndirectionTableBytes(p.tableBytes, { requirePowerOfTwo: p.requirePowerOfTwo ?? false }) ??
    checkIndirectionEntries(p.entries, p.queueCount)
  );
}
