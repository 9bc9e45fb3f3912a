/**
 * What a run of ethtool wrote, in order, and how the two streams interleave when they share one
 * destination: on a terminal stdout is line-buffered (so everything appears in write order, and the
 * tty turns each `\n` into `\r\n`), into a pipe or file stdout is block-buffered (4096 bytes, flushed
 * when full and at exit) while stderr is unbuffered — which is why ioctl `-l` on a missing device
 * shows the error line before the `Channel parameters for ...:` heading in `2>&1 | cat`.
 * @module
 */

/** One write to a file descriptor, in program order. */
export interface OutputWrite {
  /** File descriptor written: 1 stdout, 2 stderr. */
  readonly fd: 1 | 2;
  /** The text written. */
  readonly data: string;
}

/** glibc's stdio buffer for a pipe or regular file: `st_blksize`, 4096 on Linux pipes. */
export const PIPE_BUFFER_SIZE = 4096;

/** Collects writes as the program makes them. */
export class OutputLog {
  /** All writes in program order. */
  readonly writes: OutputWrite[] = [];

  /** Records a write to stdout (fd 1); empty strings are dropped. */
  out(data: string): void {
    if (data !== '') this.writes.push({ fd: 1, data });
  }

  /** Records a write to stderr (fd 2); empty strings are dropped. */
  err(data: string): void {
    if (data !== '') this.writes.push({ fd: 2, data });
  }

  /** Everything written to stdout, concatenated. */
  get stdout(): string {
    return this.writes.filter((w) => w.fd === 1).map((w) => w.data).join('');
  }

  /** Everything written to stderr, concatenated. */
  get stderr(): string {
    return this.writes.filter((w) => w.fd === 2).map((w) => w.data).join('');
  }
}

/**
 * The bytes that reach one destination both streams write to: `tty` (a terminal: write order,
 * `\n` shown as `\r\n` by the line discipline's onlcr) or `pipe` (`cmd >file 2>&1`: stdout held
 * back in 4096-byte blocks until full or exit). Lengths are counted in UTF-16 units, which equal
 * bytes for the ASCII ethtool prints.
 */
export function mergeOutput(writes: readonly OutputWrite[], mode: 'tty' | 'pipe'): string {
  if (mode === 'tty') return writes.map((w) => w.data).join('').replace(/\n/g, '\r\n');
  let merged = '';
  let pending = '';
  for (const w of writes) {
    if (w.fd === 2) {
      merged += w.data;
      continue;
    }
    pending += w.data;
    while (pending.length > PIPE_BUFFER_SIZE) {
      merged += pending.slice(0, PIPE_BUFFER_SIZE);
      pending = pending.slice(PIPE_BUFFER_SIZE);
    }
  }
  return merged + pending;
}
