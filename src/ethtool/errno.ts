/**
 * Error numbers as names, the Linux (x86/arm generic) numbers behind them, and the text glibc's
 * `strerror()` gives for each (what `perror()` prints after the colon).
 *
 * Driver operations and the kernel core return these names; ethtool prints their glibc text.
 * Numbers: include/uapi/asm-generic/errno-base.h and errno.h; `ENOTSUPP` (524) is kernel-internal
 * (include/linux/errno.h) and glibc has no text for it, so it prints `Unknown error 524`.
 * @module
 */

/** Errno names the simulator knows, with their Linux numbers. */
export const ERRNO = {
  /** Errno 1; ethtool prints `Operation not permitted`. A privileged request (`-L`, `-X`) from a caller without CAP_NET_ADMIN. */
  EPERM: 1,
  /** Errno 2; ethtool prints `No such file or directory`. A netlink message addressed to a generic netlink family the kernel does not have. */
  ENOENT: 2,
  /** Errno 3; ethtool prints `No such process`. */
  ESRCH: 3,
  /** Errno 4; ethtool prints `Interrupted system call`. */
  EINTR: 4,
  /** Errno 5; ethtool prints `Input/output error`. */
  EIO: 5,
  /** Errno 6; ethtool prints `No such device or address`. */
  ENXIO: 6,
  /** Errno 7; ethtool prints `Argument list too long`. */
  E2BIG: 7,
  /** Errno 11; ethtool prints `Resource temporarily unavailable`. */
  EAGAIN: 11,
  /** Errno 12; ethtool prints `Cannot allocate memory`. */
  ENOMEM: 12,
  /** Errno 14; ethtool prints `Bad address`. ioctl: the user buffer is too short for the command word or the struct; ethtool also returns it for a truncated netlink error message. */
  EFAULT: 14,
  /** Errno 16; ethtool prints `Device or resource busy`. */
  EBUSY: 16,
  /** Errno 17; ethtool prints `File exists`. */
  EEXIST: 17,
  /** Errno 19; ethtool prints `No such device`. No device by that name or ifindex, or the device is detached (`netif_device_present()` false, as netvsc is during a channel change). */
  ENODEV: 19,
  /** Errno 22; ethtool prints `Invalid argument`. The kernel core refused a set request (a count above its maximum, no RX or TX channel, an indirection table that would break) or the driver refused it. */
  EINVAL: 22,
  /** Errno 25; ethtool prints `Inappropriate ioctl for device`. */
  ENOTTY: 25,
  /** Errno 28; ethtool prints `No space left on device`. */
  ENOSPC: 28,
  /** Errno 33; ethtool prints `Numerical argument out of domain`. */
  EDOM: 33,
  /** Errno 34; ethtool prints `Numerical result out of range`. What `strtoul`/`strtoll` set on overflow (see {@link StrtoResult.erange}). */
  ERANGE: 34,
  /** Errno 38; ethtool prints `Function not implemented`. */
  ENOSYS: 38,
  /** Errno 61; ethtool prints `No data available`. */
  ENODATA: 61,
  /** Errno 62; ethtool prints `Timer expired`. */
  ETIME: 62,
  /** Errno 67; ethtool prints `Link has been severed`. */
  ENOLINK: 67,
  /** Errno 71; ethtool prints `Protocol error`. */
  EPROTO: 71,
  /** Errno 74; ethtool prints `Bad message`. */
  EBADMSG: 74,
  /** Errno 75; ethtool prints `Value too large for defined data type`. */
  EOVERFLOW: 75,
  /** Errno 90; ethtool prints `Message too long`. */
  EMSGSIZE: 90,
  /** Errno 95; ethtool prints `Operation not supported`. The device lacks the ethtool op (`lo` has no `get_channels`; the 2015 netvsc no `get_rxfh`). */
  EOPNOTSUPP: 95,
  /** Errno 99; ethtool prints `Cannot assign requested address`. */
  EADDRNOTAVAIL: 99,
  /** Errno 100; ethtool prints `Network is down`. */
  ENETDOWN: 100,
  /** Errno 104; ethtool prints `Connection reset by peer`. */
  ECONNRESET: 104,
  /** Errno 105; ethtool prints `No buffer space available`. */
  ENOBUFS: 105,
  /** Errno 107; ethtool prints `Transport endpoint is not connected`. */
  ENOTCONN: 107,
  /** Errno 108; ethtool prints `Cannot send after transport endpoint shutdown`. */
  ESHUTDOWN: 108,
  /** Errno 110; ethtool prints `Connection timed out`. The netvsc driver stopped waiting for the host to answer an NVSP or RNDIS request. */
  ETIMEDOUT: 110,
  /** Errno 111; ethtool prints `Connection refused`. */
  ECONNREFUSED: 111,
  /** Errno 112; ethtool prints `Host is down`. */
  EHOSTDOWN: 112,
  /** Errno 114; ethtool prints `Operation already in progress`. */
  EALREADY: 114,
  /** Errno 115; ethtool prints `Operation now in progress`. */
  EINPROGRESS: 115,
  /** Errno 122; ethtool prints `Disk quota exceeded`. */
  EDQUOT: 122,
  /** Errno 125; ethtool prints `Operation canceled`. */
  ECANCELED: 125,
  /** Errno 524, kernel-internal (include/linux/errno.h), never meant for user space: glibc has no text, so ethtool prints `Unknown error 524`. */
  ENOTSUPP: 524,
} as const;

/** An errno by name, as kernel functions and driver operations return it (negated in C). */
export type Errno = keyof typeof ERRNO;

/** glibc 2.36 `strerror()` texts (Debian 12), by number. */
const GLIBC_TEXT: Readonly<Record<number, string>> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  4: 'Interrupted system call',
  5: 'Input/output error',
  6: 'No such device or address',
  7: 'Argument list too long',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  14: 'Bad address',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  22: 'Invalid argument',
  25: 'Inappropriate ioctl for device',
  28: 'No space left on device',
  33: 'Numerical argument out of domain',
  34: 'Numerical result out of range',
  38: 'Function not implemented',
  61: 'No data available',
  62: 'Timer expired',
  67: 'Link has been severed',
  71: 'Protocol error',
  74: 'Bad message',
  75: 'Value too large for defined data type',
  90: 'Message too long',
  95: 'Operation not supported',
  99: 'Cannot assign requested address',
  100: 'Network is down',
  104: 'Connection reset by peer',
  105: 'No buffer space available',
  107: 'Transport endpoint is not connected',
  108: 'Cannot send after transport endpoint shutdown',
  110: 'Connection timed out',
  111: 'Connection refused',
  112: 'Host is down',
  114: 'Operation already in progress',
  115: 'Operation now in progress',
  122: 'Disk quota exceeded',
  125: 'Operation canceled',
};

const BY_NUMBER: ReadonlyMap<number, Errno> = new Map(
  (Object.entries(ERRNO) as [Errno, number][]).map(([name, n]) => [n, name]),
);

/** True when `value` is one of the errno names in {@link ERRNO}. */
export function isErrno(value: unknown): value is Errno {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRNO, value);
}

/** The Linux number of an errno name (positive, as `errno` holds it in user space). */
export function errnoNumber(name: Errno): number {
  return ERRNO[name];
}

/** The errno name for a positive Linux number, or undefined when the simulator has no name for it. */
export function errnoName(num: number): Errno | undefined {
  return BY_NUMBER.get(num);
}

/**
 * What glibc's `strerror()` returns for an errno (name or positive number): the text, or
 * `Unknown error N` for a number glibc has no text for (as for the kernel-internal 524).
 */
export function strerror(errno: Errno | number): string {
  const num = typeof errno === 'number' ? errno : ERRNO[errno];
  return GLIBC_TEXT[num] ?? `Unknown error ${num}`;
}
