/**
 * The VMBus ring buffer: a 4 KiB `hv_ring_buffer` control page followed by a circular data area,
 * written and read exactly as Linux does it, over any `Uint8Array` (a `SharedArrayBuffer` included,
 * so the two sides may live in different workers).
 *
 * Signalling is a decision, never a side effect: {@link RingProducer.write} says whether the reader
 * must be interrupted, {@link RingConsumer.close} whether a writer waiting on `pending_send_sz` must
 * be woken. The caller acts on it.
 *
 * Sources: include/linux/hyperv.h (struct hv_ring_buffer, hv_get_bytes_to_read/write),
 * drivers/hv/ring_buffer.c (hv_ringbuffer_init, hv_ringbuffer_write, hv_pkt_iter_first,
 * __hv_pkt_iter_next, hv_pkt_iter_close, hv_signal_on_write); shared/spec/vmbus.md §1–3.
 *
 * @example
 * ```ts
 * import { createRingMemory, initRing, RingProducer, RingConsumer } from 'netvsc-sim';
 * const mem = createRingMemory(4096);        // control page + 4 KiB data area
 * initRing(mem);
 * const tx = new RingProducer(mem), rx = new RingConsumer(mem);
 * const r = tx.write(packetBytes);            // { ok: true, signal: true } on an empty ring
 * const pkt = rx.read();                      // the whole packet, descriptor included
 * ```
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { reserved, struct, u32 } from '../wire/struct.js';
import type { DirtyBytes } from './memory.js';

/** Size of the control page (`sizeof(struct hv_ring_buffer)` = PAGE_SIZE on x86). */
export const RING_CONTROL_SIZE = 4096;
/** The 8-byte trailer ("previous indices") appended to every packet. drivers/hv/ring_buffer.c */
export const VMBUS_PKT_TRAILER = 8;
/** Bit 0 of `feature_bits`: this side honours `pending_send_sz`. include/linux/hyperv.h */
export const FEATURE_SUPPORTS_PENDING_SEND_SIZE = 1;
/** Size of `struct vmpacket_descriptor`. */
export const PACKET_DESCRIPTOR_SIZE = 16;
/** Linux's default `max_pkt_size` for a channel (VMBUS_DEFAULT_MAX_PKT_SIZE). */
export const VMBUS_DEFAULT_MAX_PKT_SIZE = 4096;

/**
 * The control page, `struct hv_ring_buffer` (include/linux/hyperv.h). `feature_bits` is a union of a
 * u32 and a 1-bit bitfield (`feat_pending_send_sz`, bit 0). The data area (`buffer[]`, a flexible
 * array member) starts at 4096.
 */
export const hv_ring_buffer = struct('hv_ring_buffer', [
  u32('write_index'),
  u32('read_index'),
  u32('interrupt_mask'),
  u32('pending_send_sz'),
  reserved('reserved1', 48),
  u32('feature_bits'),
  reserved('reserved2', RING_CONTROL_SIZE - 68),
]);

// u32 word indices in the control page.
const W_WRITE = 0;
const W_READ = 1;
const W_MASK = 2;
const W_PENDING = 3;
const W_FEATURES = 16;
/** End of the last control word any reader or writer stores (`feature_bits`). */
const CTL_WORDS_END = (W_FEATURES + 1) * 4;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Allocates ring memory: a zeroed control page plus `dataSize` bytes of data area. */
export function createRingMemory(dataSize: number, shared = false): Uint8Array {
  checkDataSize(dataSize);
  const total = RING_CONTROL_SIZE + dataSize;
  return new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
}

function checkDataSize(d: number): void {
  if (!Number.isInteger(d) || d < 32 || d % 8 !== 0 || d > 0x7ffffff8) {
    throw new ProtocolError('RING_GEOMETRY', 'must be a multiple of 8 between 32 and 2^31 (Linux uses whole 4 KiB pages)', {
      struct: 'hv_ring_buffer',
      field: 'data area size',
      value: d,
    });
  }
}

/** Shared access to one ring's control page and data area. */
/**
 * @internal Where a ring lives in guest memory whose writes are recorded ({@link DirtyBytes}): the
 * record and the offset of the ring's first byte in its store.
 */
export interface RingTrack {
  readonly dirty: DirtyBytes;
  readonly offset: number;
}

class RingMemory {
  /** Size of the data area (`ring_datasize`). */
  readonly dataSize: number;
  /** The whole ring memory (not recorded as handed out: writes go through {@link store} and {@link markData}). */
  private readonly ring: Uint8Array;
  /** The data area, likewise. */
  protected readonly area: Uint8Array;
  /** The control page as 32-bit words. */
  protected readonly ctl: Int32Array;
  /** The guest-memory record writes are reported to, if any. */
  protected readonly track: DirtyBytes | undefined;
  /** Offset of the ring's first byte in the record's store. */
  protected readonly trackBase: number;
  /** {@link DirtyBytes.generation} when the control words were last recorded as written (−1: never). */
  private ctlGeneration = -1;

  constructor(mem: Uint8Array, track?: RingTrack) {
    if (!(mem instanceof Uint8Array)) {
      throw new ProtocolError('RING_GEOMETRY', 'ring memory must be a Uint8Array', { struct: 'hv_ring_buffer', value: mem });
    }
    if (!LITTLE_ENDIAN) throw new ProtocolError('RING_GEOMETRY', 'netvsc-sim rings need a little-endian platform', {});
    if (mem.byteOffset % 8 !== 0) {
      throw new ProtocolError('RING_GEOMETRY', 'ring memory must start 8-byte aligned', {
        struct: 'hv_ring_buffer',
        field: 'byteOffset',
        value: mem.byteOffset,
      });
    }
    checkDataSize(mem.length - RING_CONTROL_SIZE);
    this.ring = mem;
    this.dataSize = mem.length - RING_CONTROL_SIZE;
    this.area = mem.subarray(RING_CONTROL_SIZE);
    this.track = track?.dirty;
    this.trackBase = track?.offset ?? 0;
    this.ctl = new Int32Array(mem.buffer, mem.byteOffset, RING_CONTROL_SIZE / 4);
    this.shared = typeof SharedArrayBuffer !== 'undefined' && mem.buffer instanceof SharedArrayBuffer;
  }

  /** Shared memory (another worker may be the peer): control words go through Atomics. */
  protected readonly shared: boolean;

  /** The whole ring memory: control page followed by the data area. */
  get mem(): Uint8Array {
    this.track?.exposeAll(); // a view's .buffer reaches the whole store
    return this.ring;
  }

  /** The data area (after the control page). */
  get data(): Uint8Array {
    this.track?.exposeAll();
    return this.area;
  }

  /** hv_ringbuffer_init: both indices 0, `feature_bits` 1. */
  protected resetIndices(): void {
    this.store(W_WRITE, 0);
    this.store(W_READ, 0);
    this.store(W_FEATURES, FEATURE_SUPPORTS_PENDING_SEND_SIZE);
  }

  /** Records a write of `n` data-area bytes from offset `at` (wrapping). */
  protected markData(at: number, n: number): void {
    const t = this.track;
    if (!t) return;
    const base = this.trackBase + RING_CONTROL_SIZE;
    const end = at + n;
    if (end <= this.dataSize) t.mark(base + at, base + end);
    else {
      t.mark(base + at, base + this.dataSize);
      t.mark(base, base + end - this.dataSize);
    }
  }

  /** Reads control word `word` (atomically on shared memory) as an unsigned 32-bit value. */
  protected load(word: number): number {
    return (this.shared ? Atomics.load(this.ctl, word) : this.ctl[word]!) >>> 0;
  }
  /** Writes control word `word` (atomically on shared memory). */
  protected store(word: number, value: number): void {
    if (this.shared) Atomics.store(this.ctl, word, value | 0);
    else this.ctl[word] = value | 0;
    const t = this.track;
    if (t && word > W_FEATURES) t.mark(this.trackBase + word * 4, this.trackBase + word * 4 + 4);
    else if (t && this.ctlGeneration !== t.generation) {
      // the control words all lie in the first 68 bytes: recorded once per zeroing of the store
      t.mark(this.trackBase, this.trackBase + CTL_WORDS_END);
      this.ctlGeneration = t.generation;
    }
  }

  /** `write_index` as stored in the control page (byte offset into the data area). */
  get writeIndex(): number {
    return this.load(W_WRITE);
  }
  /** `read_index` as stored in the control page. */
  get readIndex(): number {
    return this.load(W_READ);
  }
  /** `interrupt_mask`: non-zero while the reader drains and wants no interrupts. */
  get interruptMask(): number {
    return this.load(W_MASK);
  }
  /** `pending_send_sz`: non-zero while the writer waits for this much free space. */
  get pendingSendSize(): number {
    return this.load(W_PENDING);
  }
  /** `feature_bits` (bit 0: pending_send_sz supported). */
  get featureBits(): number {
    return this.load(W_FEATURES);
  }

  /** Reads a control index and checks it lies in the data area, 8-byte aligned (as openvmm does). */
  protected index(word: number, field: string): number {
    const v = this.load(word);
    if (v >= this.dataSize || v % 8 !== 0) {
      throw new ProtocolError('RING_INDEX', `is outside the ${this.dataSize}-byte data area or not 8-byte aligned`, {
        struct: 'hv_ring_buffer',
        field,
        value: v,
        offset: word * 4,
      });
    }
    return v;
  }

  /** hv_get_bytes_to_write: free bytes as Linux counts them (an empty ring reports the whole data area). */
  protected free(w: number, r: number): number {
    return w >= r ? this.dataSize - (w - r) : r - w;
  }

  /** Copies `src` into the data area at `at`, wrapping at the end; returns the offset after it. */
  protected copyIn(src: Uint8Array, at: number): number {
    const d = this.dataSize;
    const n = src.length;
    if (n <= 32 && at + n <= d) {
      // Small pieces (descriptors, padding): a byte loop beats the fixed cost of TypedArray#set.
      const data = this.area;
      for (let i = 0; i < n; i++) data[at + i] = src[i]!;
      const end = at + n;
      return end >= d ? end - d : end;
    }
    const first = Math.min(src.length, d - at);
    this.area.set(first === src.length ? src : src.subarray(0, first), at);
    if (first < src.length) this.area.set(src.subarray(first), 0);
    const end = at + src.length;
    return end >= d ? end - d : end;
  }

  /** Copies `len` bytes starting at data offset `at` (wrapping) into `dst` at `dstOffset`. */
  protected copyOut(at: number, len: number, dst: Uint8Array, dstOffset = 0): void {
    const d = this.dataSize;
    at %= d;
    const first = Math.min(len, d - at);
    dst.set(this.area.subarray(at, at + first), dstOffset);
    let done = first;
    while (done < len) {
      const n = Math.min(len - done, d);
      dst.set(this.area.subarray(0, n), dstOffset + done);
      done += n;
    }
  }

  /** Reads a little-endian u16 at data-area offset `at`, wrapping around the ring end. */
  protected u16At(at: number): number {
    const d = this.dataSize;
    const data = this.area;
    if (at + 1 < d) return data[at]! | (data[at + 1]! << 8);
    return data[at % d]! | (data[(at + 1) % d]! << 8);
  }
}

/**
 * hv_ringbuffer_init: both indices 0 and `feature_bits` = 1. Linux 6.1 leaves the rest of the header
 * as it finds it (the pages come zeroed); pass `clear: true` to zero the control page first as later
 * kernels do.
 */
export function initRing(mem: Uint8Array, options: { clear?: boolean; /** @internal */ track?: RingTrack } = {}): void {
  const ring = new RingProducer(mem, { validate: false, track: options.track });
  if (options.clear) mem.fill(0, 0, RING_CONTROL_SIZE);
  ring.reset();
}

/** Result of {@link RingProducer.write}. */
export type RingWriteResult =
  | {
      /** `true`: the packet and its trailer are in the ring and `write_index` is published. */
      readonly ok: true;
      /** Interrupt the reader (the ring was empty before this packet and `interrupt_mask` is 0). */
      readonly signal: boolean;
      /** Data-area offset where the packet's descriptor starts (the old `write_index`). */
      readonly offset: number;
      /** Bytes consumed in the ring: packet + 8-byte trailer. */
      readonly consumed: number;
    }
  | {
      /** `false`: nothing was written and the ring is unchanged. */
      readonly ok: false;
      /** Linux returns -EAGAIN: the packet and its trailer do not fit (equality counts as full). */
      readonly error: 'EAGAIN';
      /** Bytes the write needs: the packet plus its 8-byte trailer (it fits only if fewer than `available`). */
      readonly needed: number;
      /** Bytes free in the data area when the write was tried (`hv_get_bytes_to_write`). */
      readonly available: number;
    };

/** The writing side of one ring (guest→host ring for the guest, host→guest ring for the host). */
export class RingProducer extends RingMemory {
  constructor(mem: Uint8Array, options: { validate?: boolean; /** @internal Guest memory that records the writes. */ track?: RingTrack } = {}) {
    super(mem, options.track);
    if (options.validate !== false) {
      this.index(W_WRITE, 'write_index');
      this.index(W_READ, 'read_index');
    }
  }

  /** Sets both indices to 0 and `feature_bits` to 1 (hv_ringbuffer_init). */
  reset(): void {
    this.resetIndices();
  }

  /** hv_get_bytes_to_write, after checking both indices. */
  bytesToWrite(): number {
    return this.free(this.index(W_WRITE, 'write_index'), this.index(W_READ, 'read_index'));
  }

  /** Stores `pending_send_sz` ("wake me when more than this many bytes are free"; 0 clears it). */
  setPendingSendSize(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0xffffffff) {
      throw new ProtocolError('FIELD_RANGE', 'does not fit u32', { struct: 'hv_ring_buffer', field: 'pending_send_sz', value: bytes });
    }
    this.store(W_PENDING, bytes);
  }

  /** Sets `feature_bits` (bit 0 = this writer sets pending_send_sz when blocked). */
  setFeatureBits(bits: number): void {
    this.store(W_FEATURES, bits);
  }

  /**
   * Writes one packet (descriptor and payload, already padded to 8 bytes; one piece or several that
   * concatenate to it) and its trailer, as hv_ringbuffer_write does, then decides whether to signal.
   * A full ring is a value (`{ ok: false, error: 'EAGAIN' }`), not an exception; nothing is written.
   * @throws {@link ProtocolError} `RING_INDEX` when the control page holds a bad index (nothing is
   *   written), `RING_PACKET` when the packet is shorter than a descriptor or not a multiple of 8.
   */
  write(packet: Uint8Array | readonly Uint8Array[]): RingWriteResult {
    const single = packet instanceof Uint8Array;
    let len = 0;
    if (single) len = packet.length;
    else for (let i = 0; i < packet.length; i++) len += packet[i]!.length;
    if (len < PACKET_DESCRIPTOR_SIZE || len % 8 !== 0) {
      throw new ProtocolError('RING_PACKET', 'a ring packet must be at least 16 bytes and a multiple of 8', {
        struct: 'vmpacket_descriptor',
        field: 'len8',
        value: len,
      });
    }
    const total = len + VMBUS_PKT_TRAILER;
    const w = this.index(W_WRITE, 'write_index');
    const r = this.index(W_READ, 'read_index');
    const available = this.free(w, r);
    if (available <= total) return { ok: false, error: 'EAGAIN', needed: total, available };

    let at = w;
    if (single) at = this.copyIn(packet, at);
    else for (let i = 0; i < packet.length; i++) at = this.copyIn(packet[i]!, at);
    // Trailer: u64 (old write_index << 32): four zero bytes, then the start offset (LE).
    const data = this.area;
    data[at] = 0;
    data[at + 1] = 0;
    data[at + 2] = 0;
    data[at + 3] = 0;
    data[at + 4] = w;
    data[at + 5] = w >>> 8;
    data[at + 6] = w >>> 16;
    data[at + 7] = w >>> 24;
    this.markData(w, total);
    at += VMBUS_PKT_TRAILER;
    if (at >= this.dataSize) at -= this.dataSize;
    this.store(W_WRITE, at);
    // hv_signal_on_write: after publishing, signal iff the reader is not masking interrupts and
    // had drained everything before this packet (old write index == current read index).
    const signal = this.load(W_MASK) === 0 && this.load(W_READ) === w;
    return { ok: true, signal, offset: w, consumed: total };
  }
}

/** One packet seen by a {@link RingConsumer}. */
export interface RingPacketView {
  /**
   * The packet's bytes, descriptor included, `len8 * 8` long (trailer excluded). A view into the
   * ring when the packet does not wrap, else a copy; valid until the next `next()`/`read()`.
   */
  readonly bytes: Uint8Array;
  /** Data-area offset of the descriptor. */
  readonly offset: number;
  /** Descriptor fields as read. */
  readonly type: number;
  /** Descriptor `offset8`: data offset in 8-byte units. */
  readonly offset8: number;
  /** Descriptor `len8`: total packet length in 8-byte units. */
  readonly len8: number;
  /** Descriptor `flags` (e.g. completion requested). */
  readonly flags: number;
}

/** A strict-mode packet view whose `bytes` are only materialised when asked for. */
class LazyPacketView implements RingPacketView {
  private cached: Uint8Array | undefined;
  constructor(
    private readonly ring: RingConsumer,
    readonly offset: number,
    readonly type: number,
    readonly offset8: number,
    readonly len8: number,
    readonly flags: number,
  ) {}
  get bytes(): Uint8Array {
    return (this.cached ??= this.ring.view(this.offset, this.len8 * 8));
  }

  /** {@link bytes} for a reader that neither writes through them nor keeps them. */
  peek(): Uint8Array {
    return this.cached ?? this.ring.view(this.offset, this.len8 * 8, true);
  }
}

/**
 * @internal A packet's bytes for a reader that only reads them, and drops them before the ring
 * moves on (the NetVSP host's dispatch: every field it keeps is decoded into numbers or copied).
 * The ring is then not recorded as handed out, so reusing its guest memory re-zeroes only what
 * was written into it.
 */
export function packetBytesForReading(v: RingPacketView): Uint8Array {
  return v instanceof LazyPacketView ? v.peek() : v.bytes;
}

/** Packet types a strict reader accepts (the four openvmm accepts; Linux uses no others). */
/** Bit n set for each accepted type n: 6, 7, 9, 11. */
const KNOWN_TYPES = (1 << 6) | (1 << 7) | (1 << 9) | (1 << 11);

/** How a {@link RingConsumer} treats malformed packets. */
export type RingReadMode =
  /** Reject (openvmm's host reader): bad indices or descriptors throw `ProtocolError`; nothing is consumed. */
  | 'strict'
  /** Linux's hv_pkt_iter_first: nothing is rejected; len8/offset8 are clamped and the packet copied. */
  | 'linux';

/** Options of a {@link RingConsumer}. */
export interface RingConsumerOptions {
  /** Default `strict`. */
  readonly mode?: RingReadMode;
  /** Linux mode: the channel's `max_pkt_size` (netvsc uses 4624; default 4096). */
  readonly maxPacketSize?: number;
  /** @internal Guest memory that records the writes (control words) and the views handed out. */
  readonly track?: RingTrack;
  /** @internal Run hv_ringbuffer_init on the ring first (as {@link initRing} does). */
  readonly init?: boolean;
}

/**
 * The reading side of one ring. Reads go through a private cursor (`priv_read_index`); the shared
 * `read_index` is published only by {@link RingConsumer.close}, which returns the signal decision.
 */
export class RingConsumer extends RingMemory {
  /** How malformed packets are treated (see {@link RingConsumerOptions.mode}). */
  readonly mode: RingReadMode;
  /** Largest packet accepted in Linux mode (see {@link RingConsumerOptions.maxPacketSize}). */
  readonly maxPacketSize: number;
  private priv: number;
  private current: RingPacketView | null = null;
  private scratch: Uint8Array = new Uint8Array(0);

  constructor(mem: Uint8Array, options: RingConsumerOptions = {}) {
    super(mem, options.track);
    if (options.init) this.resetIndices();
    this.mode = options.mode ?? 'strict';
    this.maxPacketSize = options.maxPacketSize ?? VMBUS_DEFAULT_MAX_PKT_SIZE;
    this.priv = this.mode === 'strict' ? this.index(W_READ, 'read_index') : this.load(W_READ);
  }

  /** The private read cursor (`priv_read_index`). */
  get cursor(): number {
    return this.priv;
  }

  /** Bytes between the private cursor and `write_index` (hv_pkt_iter_avail). */
  bytesToRead(): number {
    const w = this.mode === 'strict' ? this.index(W_WRITE, 'write_index') : this.load(W_WRITE);
    const r = this.priv;
    return w >= r ? w - r : this.dataSize - r + w;
  }

  /** hv_begin_read: set `interrupt_mask` while draining. */
  beginRead(): void {
    this.store(W_MASK, 1);
  }

  /** hv_end_read: clear `interrupt_mask`; returns the bytes still to read (non-zero: drain again). */
  endRead(): number {
    this.store(W_MASK, 0);
    return this.bytesToRead();
  }

  /**
   * @internal The packet bytes at `at`: a view when contiguous, else a copy in the scratch buffer.
   * `peek`: the caller only reads the bytes and keeps no reference past the next read, so the view
   * is not recorded as handed out (see {@link packetBytesForReading}).
   */
  view(at: number, len: number, peek = false): Uint8Array {
    if (at + len <= this.dataSize && this.mode === 'strict') {
      // a view into the ring goes to the caller: record the store as handed out (.buffer reaches all of it)
      if (!peek) this.track?.exposeAll();
      return this.area.subarray(at, at + len);
    }
    if (this.scratch.length < len) this.scratch = new Uint8Array(Math.max(len, this.scratch.length * 2, 64));
    const out = this.scratch.subarray(0, len);
    this.copyOut(at, len, out);
    return out;
  }

  private fail(at: number, field: string, value: number, reason: string): never {
    throw new ProtocolError('RING_PACKET', reason, {
      struct: 'vmpacket_descriptor',
      field,
      value,
      offset: RING_CONTROL_SIZE + (at % this.dataSize),
    });
  }

  /**
   * The packet at the cursor (hv_pkt_iter_first), or `null` when the ring holds none. Nothing is
   * consumed. In strict mode a malformed packet throws `ProtocolError` and stays where it is.
   */
  first(): RingPacketView | null {
    const avail = this.bytesToRead();
    const at = this.priv;
    if (this.mode === 'linux') return (this.current = this.firstLinux(at, avail));
    if (avail === 0) return (this.current = null);
    if (avail < PACKET_DESCRIPTOR_SIZE + VMBUS_PKT_TRAILER) {
      this.fail(at, 'len8', avail, `${avail} bytes available cannot hold a descriptor and trailer`);
    }
    const type = this.u16At(at);
    const offset8 = this.u16At(at + 2);
    const len8 = this.u16At(at + 4);
    const flags = this.u16At(at + 6);
    if (offset8 < 2) this.fail(at + 2, 'offset8', offset8, 'is below 2 (the payload would overlap the descriptor)');
    if (len8 < offset8) this.fail(at + 4, 'len8', len8, `is below offset8 (${offset8})`);
    if (len8 * 8 + VMBUS_PKT_TRAILER > avail) {
      this.fail(at + 4, 'len8', len8, `says ${len8 * 8} bytes + trailer but only ${avail} are available`);
    }
    if (type > 15 || ((KNOWN_TYPES >>> type) & 1) === 0) this.fail(at, 'type', type, 'is not a packet type VMBus devices use (6, 7, 9, 11)');
    if ((flags & ~1) !== 0) this.fail(at + 6, 'flags', flags, 'has bits other than COMPLETION_REQUESTED (bit 0)');
    return (this.current = new LazyPacketView(this, at, type, offset8, len8, flags));
  }

  /** hv_pkt_iter_first as Linux 6.1 does it: clamp instead of reject, always copy. */
  private firstLinux(at: number, availRaw: number): RingPacketView | null {
    const avail = Math.min(this.maxPacketSize, availRaw);
    if (avail < PACKET_DESCRIPTOR_SIZE) return null;
    const d = this.dataSize;
    at %= d;
    let pktLen = this.u16At(at + 4) * 8;
    let pktOff = this.u16At(at + 2) * 8;
    if (pktLen < PACKET_DESCRIPTOR_SIZE || pktLen > avail) pktLen = avail & ~7;
    if (pktOff < PACKET_DESCRIPTOR_SIZE || pktOff > pktLen) pktOff = PACKET_DESCRIPTOR_SIZE;
    if (this.scratch.length < pktLen) this.scratch = new Uint8Array(Math.max(pktLen, this.scratch.length * 2, 64));
    const bytes = this.scratch.subarray(0, pktLen);
    this.copyOut(at, pktLen, bytes);
    // The copy is made consistent with what was copied.
    bytes[2] = (pktOff / 8) & 0xff;
    bytes[3] = (pktOff / 8) >>> 8;
    bytes[4] = (pktLen / 8) & 0xff;
    bytes[5] = (pktLen / 8) >>> 8;
    const type = bytes[0]! | (bytes[1]! << 8);
    const flags = bytes[6]! | (bytes[7]! << 8);
    return { bytes, offset: at, type, offset8: pktOff / 8, len8: pktLen / 8, flags };
  }

  /**
   * Moves the cursor past the current packet and its trailer (__hv_pkt_iter_next) and returns the
   * next packet, or `null`. Call {@link RingConsumer.close} when done to publish `read_index`.
   */
  next(): RingPacketView | null {
    this.advance();
    return this.first();
  }

  /** Moves the cursor past the current packet (or the first one) without looking at the next. */
  private advance(): void {
    const cur = this.current ?? this.first();
    if (!cur) return;
    let p = cur.offset + cur.len8 * 8 + VMBUS_PKT_TRAILER;
    if (p >= this.dataSize) p -= this.dataSize;
    if (p >= this.dataSize) p %= this.dataSize; // linux mode with a hostile write_index
    this.priv = p;
    this.current = null;
  }

  /**
   * Publishes the cursor as `read_index` (hv_pkt_iter_close) and decides whether to wake a writer
   * blocked on `pending_send_sz`: only on the transition from "not enough room" to "more than
   * enough", and only when this ring's `feature_bits` bit 0 is set. `interrupt_mask` is not consulted.
   */
  close(): {
    /** Signal the writer: it waits on `pending_send_sz` and now has more than that much room. */
    readonly signal: boolean;
  } {
    const start = this.load(W_READ);
    this.store(W_READ, this.priv);
    this.current = null;
    if ((this.load(W_FEATURES) & FEATURE_SUPPORTS_PENDING_SEND_SIZE) === 0) return { signal: false };
    const pending = this.load(W_PENDING);
    if (pending === 0) return { signal: false };
    const w = this.load(W_WRITE);
    const curr = this.free(w % this.dataSize, this.priv);
    const bytesRead = this.priv >= start ? this.priv - start : this.dataSize - start + this.priv;
    if (curr - bytesRead > pending) return { signal: false };
    if (curr <= pending) return { signal: false };
    return { signal: true };
  }

  /**
   * Reads one packet, consumes it and publishes `read_index` (vmbus_recvpacket_raw): returns a copy of
   * the packet (descriptor included) and the close decision, or `null` when the ring is empty.
   */
  read(): {
    /** A copy of the whole packet: its `vmpacket_descriptor` and payload (`len8 * 8` bytes, trailer excluded). */
    readonly packet: Uint8Array;
    /** Signal the writer, as {@link RingConsumer.close} decides after `read_index` moves. */
    readonly signal: boolean;
  } | null {
    const cur = this.first();
    if (!cur) return null;
    // copied straight from the ring (no view handed out) unless the packet wraps or was copied already
    const packet = (cur instanceof LazyPacketView && cur.offset + cur.len8 * 8 <= this.dataSize ? this.area.subarray(cur.offset, cur.offset + cur.len8 * 8) : cur.bytes).slice();
    this.advance();
    const { signal } = this.close();
    return { packet, signal };
  }
}
