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
 * The writes as they leave the process, given how glibc buffers ethtool's streams: stderr is
 * unbuffered; stdout is line-buffered on a terminal (`tty`: each complete line goes out at once)
 * and block-buffered into a pipe or file (`pipe`: held back until 4096 bytes are pending, then
 * flushed in whole blocks). What is still pending goes out at exit. Lengths are counted in UTF-16
 * units, which equal bytes for the ASCII ethtool prints.
 */
export function flushOrder(writes: readonly OutputWrite[], mode: 'tty' | 'pipe'): OutputWrite[] {
  const out: OutputWrite[] = [];
  let pending = '';
  for (const w of writes) {
    if (w.fd === 2) {
      out.push(w);
      continue;
    }
    pending += w.data;
    if (mode === 'tty') {
      const nl = pending.lastIndexOf('\n');
      if (nl >= 0) {
        out.push({ fd: 1, data: pending.slice(0, nl + 1) });
        pending = pending.slice(nl + 1);
      }
      continue;
    }
    while (pending.length > PIPE_BUFFER_SIZE) {
      out.push({ fd: 1, data: pending.slice(0, PIPE_BUFFER_SIZE) });
      pending = pending.slice(PIPE_BUFFER_SIZE);
    }
  }
  if (pending !== '') out.push({ fd: 1, data: pending });
  return out;
}

/**
 * The bytes that reach one destination both streams write to: `tty` (a terminal: {@link flushOrder},
 * `\n` shown as `\r\n` by the line discipline's onlcr) or `pipe` (`cmd >file 2>&1`: stdout held
 * back in 4096-byte blocks until full or exit).
 */
export function mergeOutput(writes: readonly OutputWrite[], mode: 'tty' | 'pipe'): string {
  const merged = flushOrder(writes, mode)
    .map((w) => w.data)
    .join('');
  return mode === 'tty' ? merged.replace(/\n/g, '\r\n') : merged;
}
