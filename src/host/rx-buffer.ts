/**
 * The guest's receive buffer as the host carves it: fixed-size sub-allocations ("sections"), the
 * first {@link NETVSP_RX_RESERVED_CONTROL_SECTIONS} kept for RNDIS control answers and status
 * indications on the primary channel, the rest split between the active queues. A section is busy
 * from the moment the host writes a message into it until the guest's receive completion names it;
 * only then can it be used again.
 *
 * Rules from openvmm (vm/devices/net/netvsp/src/lib.rs `RX_RESERVED_CONTROL_BUFFERS`,
 * `RxBufferRanges::validate_params`, `restart_queues`; buffers.rs `sub_allocation_size_for_mtu`):
 * sub-allocation size = 256 (header room) + MTU + 36 (footer); 16 reserved control sections; each
 * queue gets ⌊(count − 16) / queues⌋ data sections, queue 0 right after the reserved ones, the last
 * queue also taking the remainder; a configuration with no data section per queue is invalid.
 *
 * @module
 */

/** Sections kept for control messages (openvmm `RX_RESERVED_CONTROL_BUFFERS`). */
export const NETVSP_RX_RESERVED_CONTROL_SECTIONS = 16;
/** Room before the frame in a receive section (openvmm buffers.rs `RX_HEADER_LEN`). */
export const NETVSP_RX_HEADER_LEN = 256;
/** Extra room after the frame (openvmm buffers.rs `BROKEN_CO_NETVSC_FOOTER_LEN`). */
export const NETVSP_RX_FOOTER_LEN = 36;
/** Default NDIS_CONFIG MTU and the accepted range (openvmm `DEFAULT_MTU`, `MIN_MTU`, `MAX_MTU`). */
export const NETVSP_DEFAULT_NDIS_MTU = 1514;
/** Largest NDIS_CONFIG MTU the host accepts, 9216 (openvmm `MAX_MTU`). */
export const NETVSP_MAX_NDIS_MTU = 9216;

/** Sub-allocation size for an NDIS_CONFIG MTU (1806 for 1514). */
export function netvspSubAllocationSize(mtu: number): number {
  return NETVSP_RX_HEADER_LEN + mtu + NETVSP_RX_FOOTER_LEN;
}

/**
 * Data sections per queue for `count` sections and `queues` queues, or an error name
 * (openvmm `RxBufferRanges::validate_params`).
 */
export function netvspRxSectionsPerQueue(count: number, queues: number): number | 'ZERO_QUEUE_COUNT' | 'INSUFFICIENT_BUFFERS' | 'ZERO_BUFFERS_PER_QUEUE' {
  if (queues === 0) return 'ZERO_QUEUE_COUNT';
  if (count < NETVSP_RX_RESERVED_CONTROL_SECTIONS) return 'INSUFFICIENT_BUFFERS';
  const per = Math.floor((count - NETVSP_RX_RESERVED_CONTROL_SECTIONS) / queues);
  return per === 0 ? 'ZERO_BUFFERS_PER_QUEUE' : per;
}

/** Section bookkeeping of one receive buffer. */
export class NetvspRxSections {
  /** Sections in the buffer (the `num_sub_allocs` the host reported), control sections included. */
  readonly count: number;
  /** Bytes per section (the `sub_alloc_size` the host reported). */
  readonly size: number;
  /** Owner of each busy section: channel index + 1; 0 = free. */
  private readonly owner: Uint8Array;
  private readonly controlFree: number[] = [];
  /**
   * Free data sections of each queue, a stack per queue (top at `queueTop[q]`) holding only
   * sections of its range. A queue's stack is built when the queue is first used, from the owners
   * as they were at {@link partition} (every change to an owner in its range builds it first): a
   * reconfiguration partitions the whole buffer twice, usually before any frame arrives.
   */
  private queueFree: (Int32Array | null)[] = [];
  private queueTop: number[] = [];
  private ranges: { start: number; end: number }[] = [];
  private busyCount = 0;

  /** `count` ≥ 17 sections of `size` bytes; starts with one queue. */
  constructor(count: number, size: number) {
    this.count = count;
    this.size = size;
    this.owner = new Uint8Array(count);
    // openvmm builds (0..16).collect() and pops: the first control answer goes in section 15
    for (let i = 0; i < NETVSP_RX_RESERVED_CONTROL_SECTIONS; i++) this.controlFree.push(i);
    this.partition(1);
  }

  /** An independent copy (same sections, same owners, same free lists in the same order). */
  clone(): NetvspRxSections {
    const c = new NetvspRxSections(this.count, this.size);
    c.owner.set(this.owner);
    c.controlFree.length = 0;
    c.controlFree.push(...this.controlFree);
    c.queueFree = this.queueFree.map((q) => (q ? q.slice() : null));
    c.queueTop = this.queueTop.slice();
    c.ranges = this.ranges.map((r) => ({ ...r }));
    c.busyCount = this.busyCount;
    return c;
  }

  /** Sections in use (written, not yet completed by the guest). */
  get busy(): number {
    return this.busyCount;
  }

  /** The data range of each queue, in order. */
  get queueRanges(): readonly {
    /** First section of the queue's range. */
    readonly start: number;
    /** One past the last section of the range. */
    readonly end: number;
  }[] {
    return this.ranges;
  }

  /** Free sections of queue `q` (control sections for `'control'`). */
  free(q: number | 'control'): number {
    if (q === 'control') return this.controlFree.length;
    return this.stack(q) ? this.queueTop[q]! : 0;
  }

  /**
   * Splits the data sections between `queues` queues (validated by the caller with
   * {@link netvspRxSectionsPerQueue}). Busy sections stay busy and go back to whichever queue owns
   * their range when the guest completes them.
   */
  partition(queues: number): void {
    const per = netvspRxSectionsPerQueue(this.count, queues);
    if (typeof per !== 'number') throw new RangeError(`NetvspRxSections.partition: ${per}`);
    this.ranges = [];
    this.queueFree = [];
    this.queueTop = [];
    let start = NETVSP_RX_RESERVED_CONTROL_SECTIONS;
    for (let q = 0; q < queues; q++) {
      const end = q === queues - 1 ? this.count : start + per;
      this.ranges.push({ start, end });
      this.queueFree.push(null);
      this.queueTop.push(0);
      start = end;
    }
  }

  /** Queue `q`'s free stack, built on first use: its free sections, highest first (so the lowest is taken first). */
  private stack(q: number): Int32Array | undefined {
    const made = this.queueFree[q];
    if (made) return made;
    const r = this.ranges[q];
    if (!r) return undefined;
    const owner = this.owner;
    const free = new Int32Array(r.end - r.start);
    let n = 0;
    for (let i = r.end - 1; i >= r.start; i--) if (owner[i] === 0) free[n++] = i;
    this.queueFree[q] = free;
    this.queueTop[q] = n;
    return free;
  }

  /** Takes a control section for the primary channel; -1 when none is free. */
  takeControl(): number {
    const id = this.controlFree.pop();
    if (id === undefined) return -1;
    this.owner[id] = 1;
    this.busyCount++;
    return id;
  }

  /** Takes a data section of queue `q` for channel `channel`; -1 when none is free. */
  takeData(q: number, channel: number): number {
    const s = this.stack(q);
    const top = this.queueTop[q];
    if (!s || !top) return -1;
    this.queueTop[q] = top - 1;
    const id = s[top - 1]!;
    this.owner[id] = channel + 1;
    this.busyCount++;
    return id;
  }

  /** Frees a section the host could not send after all (no completion will come). */
  untake(id: number): void {
    this.release(id, this.owner[id]! - 1);
  }

  /**
   * The guest completed section `id` on channel `channel`: frees it. False (nothing changes) when
   * the section is not busy or was sent on another channel — an invalid completion.
   */
  release(id: number, channel: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= this.count || this.owner[id] !== channel + 1) return false;
    this.busyCount--;
    if (id < NETVSP_RX_RESERVED_CONTROL_SECTIONS) {
      this.owner[id] = 0;
      this.controlFree.push(id);
      return true;
    }
    for (let q = 0; q < this.ranges.length; q++) {
      const r = this.ranges[q]!;
      if (id >= r.start && id < r.end) {
        const s = this.stack(q)!; // built before the owner changes, so it does not hold `id` yet
        this.owner[id] = 0;
        s[this.queueTop[q]!++] = id;
        return true;
      }
    }
    this.owner[id] = 0;
    return true;
  }

  /** Frees every busy section sent on `channel` (its channel closed: no completion will come). */
  releaseChannel(channel: number): void {
    for (let id = 0; id < this.count; id++) if (this.owner[id] === channel + 1) this.release(id, channel);
  }

  /** True when section `id` is busy on `channel`. */
  isBusy(id: number, channel: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.count && this.owner[id] === channel + 1;
  }
}
