/**
 * `ethtool -x` (`--show-rxfh-indir`, `--show-rxfh`) and `ethtool -X` (`--set-rxfh-indir`, `--rxfh`)
 * as ethtool 6.1 runs them, with the kernel side they reach.
 *
 * ethtool 6.1 has no netlink request for RSS (its `args[]` rows for -x/-X carry no `nlfunc`), so
 * both styles run the ioctl code: ETHTOOL_GRXRINGS, then ETHTOOL_GRSSH (first with zero sizes to
 * learn the table and key sizes, then in full), falling back to ETHTOOL_GRXFHINDIR /
 * ETHTOOL_SRXFHINDIR when GRSSH is not supported. Written from a reading of ethtool v6.1
 * (ethtool.c `do_grxfh`, `do_srxfh`, `fill_indir_table`, `print_indir_table`,
 * `convert_string_to_hashkey`, `parse_hkey`, `get_int_range`) and Linux 6.1.192
 * (net/ethtool/ioctl.c `dev_ethtool`, `ethtool_get_rxfh`, `ethtool_set_rxfh`,
 * `ethtool_get_rxfh_indir`, `ethtool_set_rxfh_indir`, `ethtool_copy_validate_indir`;
 * net/ethtool/common.c `rss_hash_func_strings`). The kernel side is modelled on the request's
 * fields rather than its bytes.
 * @module
 */
import { strtoll, strtoul } from './cnum.js';
import type { EthtoolDevice, EthtoolSystem } from './device.js';
import { type Errno, isErrno, strerror } from './errno.js';
import type { KernelCore } from './kernel-core.js';
import type { OutputLog } from './output.js';

/** `ETH_RSS_HASH_TOP` (Toeplitz), `_XOR`, `_CRC32` bits; 0 is ETH_RSS_HASH_NO_CHANGE. */
export const ETH_RSS_HASH_TOP = 1;
export const ETH_RSS_HASH_NO_CHANGE = 0;
/** `rss_hash_func_strings` (net/ethtool/common.c, Linux 6.1): bit i ↔ name i. */
export const RSS_HASH_FUNC_NAMES: readonly string[] = ['toeplitz', 'xor', 'crc32'];
/** `ETH_RXFH_INDIR_NO_CHANGE` and `ETH_RXFH_CONTEXT_ALLOC` (include/uapi/linux/ethtool.h). */
export const ETH_RXFH_INDIR_NO_CHANGE = 0xffffffff;
/** `ETH_RXFH_CONTEXT_ALLOC`: request a new RSS context (uapi ethtool.h). */
export const ETH_RXFH_CONTEXT_ALLOC = 0xffffffff;

/** Options of the simulated kernel calls. */
export interface RxfhKernelOptions {
  /** Which kernel core (default Linux 6.1): only the order of the present/privilege checks differs. */
  readonly core?: KernelCore;
  /** The caller holds CAP_NET_ADMIN (default: the system's `capNetAdmin`, else true). */
  readonly capNetAdmin?: boolean;
}

/**
 * `dev_ioctl` / `dev_ethtool` up to the command: alias suffix cut, lookup, the privilege check for
 * commands outside the unprivileged list, `netif_device_present`.
 */
export function ethtoolIoctlDevice(system: EthtoolSystem, ifrName: string, privileged: boolean, options: RxfhKernelOptions = {}): EthtoolDevice | Errno {
  const core = options.core ?? 'linux-6.1';
  const cap = options.capNetAdmin ?? system.capNetAdmin ?? true;
  const colon = ifrName.indexOf(':');
  // dev_ethtool (6.1) / dev_ioctl (4.2) hold RTNL from here on, the lookup included
  system.rtnlLock?.();
  const dev = system.lookup(colon >= 0 ? ifrName.slice(0, colon) : ifrName);
  if (!dev) return 'ENODEV';
  if (core === 'linux-4.2' && !dev.present) return 'ENODEV';
  if (privileged && !cap) return 'EPERM';
  if (!dev.present) return 'ENODEV';
  return dev;
}

/** ETHTOOL_GRXRINGS (`ethtool_get_rxnfc`): the ring count the driver reports. */
export function kernelGetRxRings(system: EthtoolSystem, name: string, options: RxfhKernelOptions = {}): number | Errno {
  const dev = ethtoolIoctlDevice(system, name, false, options);
  if (isErrno(dev)) return dev;
  if (!dev.getRxRings) return 'EOPNOTSUPP';
  return dev.getRxRings();
}

/** What ETHTOOL_GRSSH hands back. */
export interface RssGet {
  /** `ethtool_rxfh.indir_size`: the device's indirection table size (`get_rxfh_indir_size`; 128 for netvsc), reported on a size query too; 0 = no table. */
  readonly indirSize: number;
  /** `ethtool_rxfh.key_size`: the device's hash key length in bytes (`get_rxfh_key_size`; 40 for netvsc); 0 = no key. */
  readonly keySize: number;
  /** `ethtool_rxfh.hfunc`: the active hash function as an `ETH_RSS_HASH_*` bit (1 = Toeplitz), low 8 bits of what the driver reported. */
  readonly hfunc: number;
  /** The indirection table, `indirSize` queue indices; empty when the request asked for sizes only (`userIndirSize` 0). */
  readonly indir: readonly number[];
  /** The hash key, `keySize` bytes; empty when the request asked for sizes only (`userKeySize` 0). */
  readonly key: Uint8Array;
}

/**
 * ETHTOOL_GRSSH (`ethtool_get_rxfh`). `userIndirSize`/`userKeySize` 0 ask only for the sizes (the
 * driver's `get_rxfh` still runs and reports the hash function); non-zero sizes must match the device's.
 */
export function kernelGetRss(system: EthtoolSystem, name: string, req: { rssContext: number; userIndirSize: number; userKeySize: number }, options: RxfhKernelOptions = {}): RssGet | Errno {
  const dev = ethtoolIoctlDevice(system, name, false, options);
  if (isErrno(dev)) return dev;
  if (!dev.getRxfhConfig) return 'EOPNOTSUPP';
  const indirSize = (dev.getRxfhIndirSize?.() ?? 0) >>> 0;
  const keySize = (dev.getRxfhKeySize?.() ?? 0) >>> 0;
  // no driver implements get_rxfh_context among the simulated ones
  if (req.rssContext !== 0) return 'EOPNOTSUPP';
  if ((req.userIndirSize && req.userIndirSize !== indirSize) || (req.userKeySize && req.userKeySize !== keySize)) return 'EINVAL';
  const cfg = dev.getRxfhConfig();
  if (isErrno(cfg)) return cfg;
  const indir = req.userIndirSize ? Array.from({ length: indirSize }, (_, i) => (cfg.indir[i] ?? 0) >>> 0) : [];
  const key = new Uint8Array(req.userKeySize ? keySize : 0);
  if (req.userKeySize) key.set(cfg.key.subarray(0, keySize));
  return { indirSize, keySize, hfunc: cfg.hfunc & 0xff, indir, key };
}

/** ETHTOOL_GRXFHINDIR (`ethtool_get_rxfh_indir`): size query (`userSize` 0) or the table (`userSize` at least the table size). */
export function kernelGetRxfhIndir(
  system: EthtoolSystem,
  name: string,
  userSize: number,
  options: RxfhKernelOptions = {},
):
  | {
      /** `ethtool_rxfh_indir.size`: the device's indirection table size (never 0: a device without a table gives EOPNOTSUPP). */
      size: number;
      /** The table, `size` queue indices; empty on a size query (`userSize` 0). */
      indir: readonly number[];
    }
  | Errno {
  const dev = ethtoolIoctlDevice(system, name, false, options);
  if (isErrno(dev)) return dev;
  if (!dev.getRxfhIndirSize || !dev.getRxfhConfig) return 'EOPNOTSUPP';
  const size = dev.getRxfhIndirSize() >>> 0;
  if (size === 0) return 'EOPNOTSUPP';
  // a user buffer smaller than the table is an error; a larger one gets the table (size written back)
  if (userSize >>> 0 < size) return userSize === 0 ? { size, indir: [] } : 'EINVAL';
  const cfg = dev.getRxfhConfig();
  if (isErrno(cfg)) return cfg;
  return { size, indir: Array.from({ length: size }, (_, i) => (cfg.indir[i] ?? 0) >>> 0) };
}

/** An ETHTOOL_SRSSH request. `indirSize` 0 resets the table to the default, ETH_RXFH_INDIR_NO_CHANGE keeps it. */
export interface RssSet {
  /** `ethtool_rxfh.rss_context`: 0, the default context; anything else (including {@link ETH_RXFH_CONTEXT_ALLOC}) gives EOPNOTSUPP, as no simulated driver has extra contexts. */
  readonly rssContext: number;
  /** `ethtool_rxfh.indir_size`: the device's table size to set `indir`, 0 to reset to the default spread, {@link ETH_RXFH_INDIR_NO_CHANGE} to keep the table; any other value gives EINVAL. */
  readonly indirSize: number;
  /** The new table when `indirSize` is the device's size: queue indices, each below the RX ring count (else EINVAL); missing entries count as 0. */
  readonly indir: readonly number[];
  /** `ethtool_rxfh.key_size`: 0 keeps the key, otherwise it must equal the device's key size (else EINVAL). */
  readonly keySize: number;
  /** The new hash key (its first `keySize` bytes are used), or null to keep the key. */
  readonly key: Uint8Array | null;
  /** `ethtool_rxfh.hfunc`: the `ETH_RSS_HASH_*` bit to select, or 0 (`ETH_RSS_HASH_NO_CHANGE`) to keep it. Changing none of table, key and function gives EINVAL. */
  readonly hfunc: number;
}

/** `ethtool_rxfh_indir_default`: entry i of the default table over n rings. */
export function rxfhIndirDefault(i: number, rings: number): number {
  return rings === 0 ? 0 : i % rings;
}

/**
 * ETHTOOL_SRSSH (`ethtool_set_rxfh`): the core's checks, the driver's `set_rxfh`, then
 * IFF_RXFH_CONFIGURED set (a table was given) or cleared (reset to default).
 */
export function kernelSetRss(system: EthtoolSystem, name: string, req: RssSet, options: RxfhKernelOptions = {}): 0 | Errno {
  const dev = ethtoolIoctlDevice(system, name, true, options);
  if (isErrno(dev)) return dev;
  if (!dev.getRxRings || !dev.setRxfh) return 'EOPNOTSUPP';
  const devIndirSize = (dev.getRxfhIndirSize?.() ?? 0) >>> 0;
  const devKeySize = (dev.getRxfhKeySize?.() ?? 0) >>> 0;
  if (req.rssContext !== 0) return 'EOPNOTSUPP';
  const size = req.indirSize >>> 0;
  if (
    (size !== 0 && size !== ETH_RXFH_INDIR_NO_CHANGE && size !== devIndirSize) ||
    (req.keySize !== 0 && req.keySize !== devKeySize) ||
    (size === ETH_RXFH_INDIR_NO_CHANGE && req.keySize === 0 && req.hfunc === ETH_RSS_HASH_NO_CHANGE)
  ) {
    return 'EINVAL';
  }
  const rings = dev.getRxRings();
  if (isErrno(rings)) return rings;
  let indir: number[] | null = null;
  if (size !== 0 && size !== ETH_RXFH_INDIR_NO_CHANGE) {
    indir = Array.from({ length: size }, (_, i) => (req.indir[i] ?? 0) >>> 0);
    if (indir.some((q) => q >= rings)) return 'EINVAL';
  } else if (size === 0) {
    indir = Array.from({ length: devIndirSize }, (_, i) => rxfhIndirDefault(i, rings));
  }
  const key = req.keySize !== 0 && req.key ? req.key.slice(0, req.keySize) : null;
  const ret = dev.setRxfh(indir, key, req.hfunc & 0xff);
  if (ret !== 0) return ret;
  if (size === 0) dev.setRxfhConfigured?.(false);
  else if (size !== ETH_RXFH_INDIR_NO_CHANGE) dev.setRxfhConfigured?.(true);
  return 0;
}

/** ETHTOOL_SRXFHINDIR (`ethtool_set_rxfh_indir`): the older table-only set. `size` 0 ⇒ default. */
export function kernelSetRxfhIndir(system: EthtoolSystem, name: string, size: number, indirIn: readonly number[], options: RxfhKernelOptions = {}): 0 | Errno {
  const dev = ethtoolIoctlDevice(system, name, true, options);
  if (isErrno(dev)) return dev;
  if (!dev.getRxfhIndirSize || !dev.setRxfh || !dev.getRxRings) return 'EOPNOTSUPP';
  const devSize = dev.getRxfhIndirSize() >>> 0;
  if (devSize === 0) return 'EOPNOTSUPP';
  if (size !== 0 && size !== devSize) return 'EINVAL';
  const rings = dev.getRxRings();
  if (isErrno(rings)) return rings;
  let indir: number[];
  if (size === 0) indir = Array.from({ length: devSize }, (_, i) => rxfhIndirDefault(i, rings));
  else {
    indir = Array.from({ length: devSize }, (_, i) => (indirIn[i] ?? 0) >>> 0);
    if (indir.some((q) => q >= rings)) return 'EINVAL';
  }
  const ret = dev.setRxfh(indir, null, ETH_RSS_HASH_NO_CHANGE);
  if (ret !== 0) return ret;
  dev.setRxfhConfigured?.(size !== 0);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// user space (ethtool 6.1)

/** What the user-space functions need from ethtool's main(). */
export interface RxfhCtx {
  readonly sys: EthtoolSystem;
  readonly out: OutputLog;
  readonly kernel: RxfhKernelOptions;
  /** `exit_bad_args()`: never returns. */
  badArgs(): never;
  /** Reports a command the simulator cannot reproduce (a crash of the real program...): never returns. */
  notSimulated(what: string): never;
  /**
   * ethtool 4.2 (v4.2 ethtool.c): `-x` takes no options (extra words are ignored) and prints no hash
   * function; `-X` knows only `equal`, `weight` and `hkey`, needs two words and checks only
   * equal/weight exclusivity.
   */
  readonly legacy?: boolean;
}

function perror(ctx: RxfhCtx, prefix: string, e: Errno): void {
  ctx.out.err(`${prefix}: ${strerror(e)}\n`);
}

/** `get_int_range(str, 0, min, max)`: strtoll base 0, whole string, in range, else exit_bad_args. */
function getIntRange(ctx: RxfhCtx, s: string | undefined, min: number, max: number): number {
  if (s === undefined) ctx.badArgs();
  const r = strtoll(s, 0);
  if (r.erange || r.end !== s.length || r.value < BigInt(min) || r.value > BigInt(max)) ctx.badArgs();
  return Number(r.value);
}

/** `get_u32(str, 0)`: strtoull base 0, whole string, ≤ 0xffffffff, else exit_bad_args. */
function getU32(ctx: RxfhCtx, s: string | undefined): number {
  if (s === undefined) ctx.badArgs();
  const r = strtoul(s, 0);
  if (r.erange || r.end !== s.length || r.value > 0xffffffffn) ctx.badArgs();
  return Number(r.value);
}

/** `print_indir_table`. */
function printIndirTable(ctx: RxfhCtx, devname: string, rings: number, indir: readonly number[]): void {
  let s = `RX flow hash indirection table for ${devname} with ${rings} RX ring(s):\n`;
  if (indir.length === 0) s += 'Operation not supported\n';
  for (let i = 0; i < indir.length; i++) {
    if (i % 8 === 0) s += `${String(i).padStart(5)}: `;
    s += ` ${String(indir[i]! >>> 0).padStart(5)}`;
    if (i % 8 === 7 || i === indir.length - 1) s += '\n';
  }
  ctx.out.out(s);
}

/** `do_grxfhindir`: the GRXFHINDIR fallback of -x. */
function doGrxfhindir(ctx: RxfhCtx, devname: string, rings: number): number {
  const head = kernelGetRxfhIndir(ctx.sys, devname, 0, ctx.kernel);
  if (isErrno(head)) {
    perror(ctx, 'Cannot get RX flow hash indirection table size', head);
    return 1;
  }
  const full = kernelGetRxfhIndir(ctx.sys, devname, head.size, ctx.kernel);
  if (isErrno(full)) {
    perror(ctx, 'Cannot get RX flow hash indirection table', full);
    return 1;
  }
  printIndirTable(ctx, devname, rings, full.indir);
  return 0;
}

/** ethtool 6.1 `do_grxfh` (-x). */
export function doGrxfh(ctx: RxfhCtx, devname: string, args: readonly string[]): number {
  let rssContext = 0;
  let i = 0;
  while (!ctx.legacy && i < args.length) {
    if (args[i] === 'context') {
      i++;
      rssContext = getIntRange(ctx, args[i], 1, ETH_RXFH_CONTEXT_ALLOC - 1);
      i++;
    } else {
      ctx.badArgs();
    }
  }
  const rings = kernelGetRxRings(ctx.sys, devname, ctx.kernel);
  if (isErrno(rings)) {
    perror(ctx, 'Cannot get RX ring count', rings);
    return 1;
  }
  const head = kernelGetRss(ctx.sys, devname, { rssContext, userIndirSize: 0, userKeySize: 0 }, ctx.kernel);
  if (head === 'EOPNOTSUPP' && rssContext === 0) return doGrxfhindir(ctx, devname, rings);
  if (isErrno(head)) {
    perror(ctx, 'Cannot get RX flow hash indir size and/or key size', head);
    return 1;
  }
  const rss = kernelGetRss(ctx.sys, devname, { rssContext, userIndirSize: head.indirSize, userKeySize: head.keySize }, ctx.kernel);
  if (isErrno(rss)) {
    perror(ctx, 'Cannot get RX flow hash configuration', rss);
    return 1;
  }
  printIndirTable(ctx, devname, rings, rss.indir);
  let s = 'RSS hash key:\n';
  if (rss.keySize === 0) s += 'Operation not supported\n';
  for (let k = 0; k < rss.keySize; k++) s += rss.key[k]!.toString(16).padStart(2, '0') + (k === rss.keySize - 1 ? '\n' : ':');
  if (ctx.legacy) {
    ctx.out.out(s);
    return 0;
  }
  s += 'RSS hash function:\n';
  if (!rss.hfunc) {
    ctx.out.out(`${s}    Operation not supported\n`);
    return 0;
  }
  // get_stringset(ETH_SS_RSS_HASH_FUNCS): the core answers it for every device.
  RSS_HASH_FUNC_NAMES.forEach((name, bit) => {
    s += `    ${name}: ${rss.hfunc & (1 << bit) ? 'on' : 'off'}\n`;
  });
  ctx.out.out(s);
  return 0;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * `sscanf(s, "%2x%n", …)` as glibc runs it: leading white space skipped (it counts in `%n`), then at
 * most two characters: an optional sign, a `0x` prefix (which by itself reads as 0), hex digits.
 * Returns the value and the characters consumed, or undefined when nothing matched.
 */
export function scanHex2(s: string):
  | {
      /** The number read, sign applied: -15..255, since a sign takes one of the two characters (a bare `0x` reads as 0). */
      value: number;
      /** Characters consumed, leading white space included (what `%n` stores). */
      len: number;
    }
  | undefined {
  let p = 0;
  while (p < s.length && ' \t\n\v\f\r'.includes(s[p]!)) p++;
  let width = 2;
  let neg = false;
  if (s[p] === '+' || s[p] === '-') {
    neg = s[p] === '-';
    p++;
    width--;
  }
  let digits = '';
  if (width > 0 && s[p] === '0') {
    digits = '0';
    p++;
    width--;
    if (width > 0 && (s[p] === 'x' || s[p] === 'X')) {
      p++;
      width--;
    }
  }
  while (width > 0 && isHex(s[p])) {
    digits += s[p];
    p++;
    width--;
  }
  if (digits === '') return undefined;
  const v = parseInt(digits, 16);
  return { value: neg ? -v : v, len: p };
}

/** `convert_string_to_hashkey` (via `parse_hkey`): the key bytes, or undefined after printing why. */
function parseHkey(ctx: RxfhCtx, keySize: number, text: string): Uint8Array | undefined {
  if (keySize === 0) {
    ctx.out.err('Cannot set RX flow hash configuration:\n Hash key setting not supported\n');
    return undefined;
  }
  const key = new Uint8Array(keySize);
  let i = 0;
  let s = text;
  do {
    if (i > keySize - 1) {
      ctx.out.err(`Key is too long for device (${i + 1} > ${keySize})\n`);
      return undefined;
    }
    const r = scanHex2(s);
    if (!r || r.len !== 2) {
      ctx.out.err('Invalid RSS hash key format\n');
      return undefined;
    }
    key[i++] = r.value & 0xff;
    s = s.slice(2);
    if (s[0] === ':') s = s.slice(1);
    else if (s.length !== 0) {
      ctx.out.err('Invalid RSS hash key format\n');
      return undefined;
    }
  } while (s.length > 0);
  if (i !== keySize) {
    ctx.out.err(`Key is too short for device (${i} < ${keySize})\n`);
    return undefined;
  }
  return key;
}

interface IndirRequest {
  readonly dflt: boolean;
  readonly start: number;
  readonly equal: number;
  /** From the first weight to the end of argv (`rxfhindir_weight` points into argv). */
  readonly weights: readonly string[] | null;
  /** `num_weights`: how many of those words start with a digit. */
  readonly weightCount: number;
}

/**
 * `fill_indir_table`: the table for `equal N` / `weight …`, size 0 for `default`, NO_CHANGE when
 * none was given. Undefined after printing a weight error. Weights are parsed here, as ethtool does
 * (after the device queries), so a bad weight is a bad argument at this point.
 */
function fillIndirTable(ctx: RxfhCtx, size: number, r: IndirRequest): { size: number; indir: number[] } | undefined {
  const indir = new Array<number>(size).fill(0);
  if (r.equal) {
    for (let i = 0; i < size; i++) indir[i] = (r.start + (i % r.equal)) >>> 0;
    return { size, indir };
  }
  if (r.weights) {
    const w = r.weights;
    let sum = 0;
    for (let j = 0; j < r.weightCount; j++) sum = (sum + getU32(ctx, w[j])) >>> 0;
    if (sum === 0) {
      ctx.out.err('At least one weight must be non-zero\n');
      return undefined;
    }
    if (sum > size) {
      ctx.out.err('Total weight exceeds the size of the indirection table\n');
      return undefined;
    }
    let j = -1;
    let partial = 0;
    for (let i = 0; i < size; i++) {
      // u32 arithmetic, as in C
      while (i >= Math.floor((Math.imul(size, partial) >>> 0) / sum)) {
        j += 1;
        // past the last weight ethtool reads the next argv word (a non-number or NULL)
        partial = (partial + getU32(ctx, w[j])) >>> 0;
      }
      indir[i] = (r.start + j) >>> 0;
    }
    return { size, indir };
  }
  if (r.dflt) return { size: 0, indir: [] };
  return { size: ETH_RXFH_INDIR_NO_CHANGE, indir: [] };
}

/** `do_srxfhindir`: the SRXFHINDIR fallback of -X. */
function doSrxfhindir(ctx: RxfhCtx, devname: string, r: IndirRequest): number {
  const head = kernelGetRxfhIndir(ctx.sys, devname, 0, ctx.kernel);
  if (isErrno(head)) {
    perror(ctx, 'Cannot get RX flow hash indirection table size', head);
    return 1;
  }
  const t = fillIndirTable(ctx, head.size, r);
  if (!t) return 1;
  // NO_CHANGE goes to the kernel as a size that does not match: EINVAL
  const ret = t.size === ETH_RXFH_INDIR_NO_CHANGE ? 'EINVAL' : kernelSetRxfhIndir(ctx.sys, devname, t.size, t.indir, ctx.kernel);
  if (ret !== 0) {
    perror(ctx, 'Cannot set RX flow hash indirection table', ret);
    return 1;
  }
  return 0;
}

/** ethtool 6.1 `do_srxfh` (-X). */
export function doSrxfh(ctx: RxfhCtx, devname: string, args: readonly string[]): number {
  if (args.length < (ctx.legacy ? 2 : 1)) ctx.badArgs();
  const known = ctx.legacy ? ['equal', 'weight', 'hkey'] : ['equal', 'start', 'weight', 'hkey', 'default', 'hfunc', 'context', 'delete'];
  let equal = 0;
  let dflt = false;
  let start = 0;
  let weights: string[] | null = null;
  let hkeyText: string | undefined;
  let hfuncName: string | undefined;
  let rssContext = 0;
  let del = false;
  let weightCount = 0;
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (!known.includes(a)) ctx.badArgs();
    if (a === 'equal') {
      equal = getIntRange(ctx, args[++i], 1, 0x7fffffff);
      i++;
    } else if (a === 'start') {
      start = getIntRange(ctx, args[++i], 0, 0x7fffffff);
      i++;
    } else if (a === 'weight') {
      i++;
      const from = i;
      while (i < args.length && /^[0-9]/.test(args[i]!)) i++;
      if (i === from) ctx.badArgs();
      // the C code keeps a pointer into argv: reading past the weights reads the following words
      weights = args.slice(from);
      weightCount = i - from;
    } else if (a === 'hkey') {
      hkeyText = args[++i];
      if (hkeyText === undefined) ctx.badArgs();
      i++;
    } else if (a === 'default') {
      i++;
      dflt = true;
    } else if (a === 'hfunc') {
      hfuncName = args[++i];
      if (hfuncName === undefined) ctx.badArgs();
      i++;
    } else if (a === 'context') {
      const v = args[++i];
      if (v === undefined) ctx.notSimulated('-X … context without a value (ethtool 6.1 passes NULL to strcmp and crashes)');
      rssContext = v === 'new' ? ETH_RXFH_CONTEXT_ALLOC : getIntRange(ctx, v, 1, ETH_RXFH_CONTEXT_ALLOC - 1);
      i++;
    } else if (a === 'delete') {
      i++;
      del = true;
    } else {
      ctx.badArgs();
    }
  }
  const refuse = (msg: string): number => {
    ctx.out.err(`${msg}\n`);
    return 1;
  };
  if (equal && weights) return refuse('Equal and weight options are mutually exclusive');
  if (equal && dflt) return refuse('Equal and default options are mutually exclusive');
  if (weights && dflt) return refuse('Weight and default options are mutually exclusive');
  if (start && dflt) return refuse('Start and default options are mutually exclusive');
  if (start && !(equal || weights)) return refuse('Start must be used with equal or weight options');
  if (dflt && rssContext) return refuse('Default and context options are mutually exclusive');
  if (del && !rssContext) return refuse('Delete option requires context option');
  if (del && weights) return refuse('Delete and weight options are mutually exclusive');
  if (del && equal) return refuse('Delete and equal options are mutually exclusive');
  if (del && dflt) return refuse('Delete and default options are mutually exclusive');
  if (del && hkeyText !== undefined) return refuse('Delete and hkey options are mutually exclusive');

  const rings = kernelGetRxRings(ctx.sys, devname, ctx.kernel);
  if (isErrno(rings)) {
    perror(ctx, 'Cannot get RX ring count', rings);
    return 1;
  }
  const req: IndirRequest = { dflt, start, equal, weights, weightCount };
  const head = kernelGetRss(ctx.sys, devname, { rssContext: 0, userIndirSize: 0, userKeySize: 0 }, ctx.kernel);
  if (head === 'EOPNOTSUPP' && hkeyText === undefined && hfuncName === undefined && !rssContext) return doSrxfhindir(ctx, devname, req);
  if (isErrno(head)) {
    perror(ctx, 'Cannot get RX flow hash indir size and key size', head);
    return 1;
  }
  let key: Uint8Array | undefined;
  if (hkeyText !== undefined) {
    key = parseHkey(ctx, head.keySize, hkeyText);
    if (!key) return head.keySize === 0 ? 1 : 2;
  }
  let reqHfunc = 0;
  if (head.hfunc && hfuncName !== undefined) {
    // strncmp over ETH_GSTRING_LEN: the whole (≤ 31 character) name must match
    const bit = RSS_HASH_FUNC_NAMES.findIndex((n) => n === hfuncName);
    if (bit < 0) {
      ctx.out.err(`Unknown hash function: ${hfuncName}\n`);
      return 1;
    }
    reqHfunc = 1 << bit;
  }
  let indirSize: number;
  let indir: number[] = [];
  if (del) indirSize = 0;
  else {
    const t = fillIndirTable(ctx, head.indirSize, req);
    if (!t) return 1;
    indirSize = t.size;
    indir = t.indir;
  }
  const ret = kernelSetRss(
    ctx.sys,
    devname,
    { rssContext, indirSize, indir, keySize: key ? head.keySize : 0, key: key ?? null, hfunc: reqHfunc },
    ctx.kernel,
  );
  if (ret !== 0) {
    perror(ctx, 'Cannot set RX flow hash configuration', ret);
    return 1;
  }
  return 0;
}
