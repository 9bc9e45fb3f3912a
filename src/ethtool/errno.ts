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
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  EDOM: 33,
  ERANGE: 34,
  ENOSYS: 38,
  ENODATA: 61,
  ETIME: 62,
  ENOLINK: 67,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EALREADY: 114,
  EINPROGRESS: 115,
  EDQUOT: 122,
  ECANCELED: 125,
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
