/**
 * Zeroed byte arrays for short messages, carved from shared slabs.
 *
 * V8 gives every typed array longer than 64 bytes a backing store of its own, outside the JS heap,
 * and making one costs about as much as encoding a whole message (on this project's machines
 * `new Uint8Array(200)` took 1.8 µs against 57 ns for a view into an existing buffer). The messages
 * a reconfiguration makes by the dozen (GPADL runs and their reassembly, OPENCHANNEL) come from
 * here instead: views into {@link SLAB_BYTES}-byte slabs handed out front to back and never
 * reused, so every view starts zeroed and no two views overlap. A slab lives as long as any view of
 * it does.
 *
 * What this changes for a reader: the array's `.buffer` is the slab, so it must be read through its
 * own `byteOffset`/`byteLength`. That is why only buffers that stay inside the simulator come from
 * here (GPADL and OPENCHANNEL messages on their way through the hypervisor, the host's GPADL
 * assembly). What the library returns to callers — encoder output, ring reads, decoded fields —
 * stays a standalone array: callers wrap `.buffer` in a `DataView` all the time (this project's
 * own tests do so in 48 places).
 *
 * @module
 */

/** Bytes per slab (32 KiB): big enough to amortise its own allocation over dozens of messages. */
export const SLAB_BYTES = 32768;
/** Longest array taken from a slab; longer ones get a buffer of their own (their allocation is amortised by their size). */
export const SLAB_MAX = 4096;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** Returns the offset of `n` fresh bytes (8-aligned) in the current slab, starting a new slab when they do not fit. */
function take(n: number): number {
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const at = used;
  used = (used + n + 7) & ~7;
  return at;
}

/** `n` zeroed bytes (`new Uint8Array(n)`), a view into a slab when `n` ≤ {@link SLAB_MAX}. */
export function freshBytes(n: number): Uint8Array {
  if (!(n <= SLAB_MAX)) return new Uint8Array(n);
  const at = take(n);
  return new Uint8Array(slab, at, n);
}

/** `n` zeroed 32-bit words (`new Uint32Array(n)`), 8-aligned, a view into a slab when `4n` ≤ {@link SLAB_MAX}. */
export function freshWords(n: number): Uint32Array {
  if (!(n * 4 <= SLAB_MAX)) return new Uint32Array(n);
  const at = take(n * 4);
  return new Uint32Array(slab, at, n);
}

