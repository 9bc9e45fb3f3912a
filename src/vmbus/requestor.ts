/**
 * Transaction ids as Linux's channel "requestor" hands them out (drivers/hv/channel.c
 * `vmbus_alloc_requestor`, `vmbus_next_request_id`, `__vmbus_request_addr_match`; constants from
 * include/linux/hyperv.h; shared/spec/vmbus.md §2.7).
 *
 * A requestor of size N is an array of N slots threaded into a LIFO free list: at open slot i points
 * to i + 1 and the last slot to U64_MAX, with the list head at 0, so a fresh channel hands out ids
 * 1, 2, 3, … (id = slot + 1; 0 is reserved for unsolicited host packets). A completed id goes back to
 * the head of the list and is the next one handed out. Completions with id 0, an id past the array,
 * or an id whose slot is not in use are refused with {@link VMBUS_RQST_ERROR}.
 *
 * @module
 */

/** No requestor on this channel: the caller's own request id travels unchanged. */
export const VMBUS_NO_RQSTOR = 0xffffffffffffffffn;
/** An id the requestor refuses (full on allocation; unknown, reused or late on completion). */
export const VMBUS_RQST_ERROR = 0xfffffffffffffffen;
/** Match any stored address on completion. */
export const VMBUS_RQST_ADDR_ANY = 0xffffffffffffffffn;
/** netvsc's marker for "no completion expected" (VMBUS_RQST_ID_NO_RESPONSE = U64_MAX − 2). */
export const VMBUS_RQST_ID_NO_RESPONSE = 0xfffffffffffffffdn;

const U64_MAX = 0xffffffffffffffffn;

/** The requestor of one channel. */
export class Requestor {
  /** Number of slots (`rqstor_size`); 0 means the channel has no requestor. */
  readonly size: number;
  /** Per slot: the next free slot while free, the caller's address while in use. */
  private readonly reqArr: bigint[];
  private inUse: Uint8Array;
  /** Head of the free list (`next_request_id`): a slot index, or ≥ size when full. */
  private next: bigint;
  private used = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) throw new RangeError(`Requestor: size ${size} is not a u32`);
    this.size = size;
    // Slots never handed out are left unset and read as their initial link (i + 1, U64_MAX for the
    // last): a 40 000-slot netvsc requestor then costs nothing until used.
    this.reqArr = [];
    // Grown as slots are handed out (lowest first): slots past its end read as not in use.
    this.inUse = new Uint8Array(0);
    this.next = 0n;
  }

  /** The free-list link of a free slot (its initial value when never written). */
  private link(slot: number): bigint {
    const v = this.reqArr[slot];
    if (v !== undefined) return v;
    return slot + 1 < this.size ? BigInt(slot + 1) : U64_MAX;
  }

  /** Ids currently outstanding. */
  get outstanding(): number {
    return this.used;
  }

  /**
   * vmbus_next_request_id: stores `addr` and returns the id to put in the descriptor (slot + 1),
   * {@link VMBUS_RQST_ERROR} when every slot is in use, or {@link VMBUS_NO_RQSTOR} when the
   * channel has no requestor.
   */
  nextId(addr: bigint): bigint {
    if (this.size === 0) return VMBUS_NO_RQSTOR;
    const current = this.next;
    if (current >= BigInt(this.size)) return VMBUS_RQST_ERROR;
    const slot = Number(current);
    this.next = this.link(slot);
    this.reqArr[slot] = addr;
    if (slot >= this.inUse.length) {
      const grown = new Uint8Array(Math.min(this.size, Math.max(64, slot + 1, this.inUse.length * 2)));
      grown.set(this.inUse);
      this.inUse = grown;
    }
    this.inUse[slot] = 1;
    this.used++;
    return current + 1n;
  }

  /**
   * __vmbus_request_addr_match: the address stored for `transId`, freeing the slot when the stored
   * address equals `addr` (or `addr` is {@link VMBUS_RQST_ADDR_ANY}). Returns {@link VMBUS_RQST_ERROR}
   * for id 0, an id past the array or a slot not in use; {@link VMBUS_NO_RQSTOR} without a requestor.
   */
  match(transId: bigint, addr: bigint = VMBUS_RQST_ADDR_ANY): bigint {
    if (this.size === 0) return VMBUS_NO_RQSTOR;
    if (transId === 0n) return VMBUS_RQST_ERROR;
    const id = transId - 1n;
    if (id < 0n || id >= BigInt(this.size)) return VMBUS_RQST_ERROR;
    const slot = Number(id);
    if (!this.inUse[slot]) return VMBUS_RQST_ERROR;
    const stored = this.reqArr[slot]!;
    if (addr === VMBUS_RQST_ADDR_ANY || stored === addr) {
      this.reqArr[slot] = this.next;
      this.next = id;
      this.inUse[slot] = 0;
      this.used--;
    }
    return stored;
  }

  /** vmbus_request_addr: {@link match} with any address. */
  take(transId: bigint): bigint {
    return this.match(transId, VMBUS_RQST_ADDR_ANY);
  }

  /** True when `transId` names a slot in use. */
  isOutstanding(transId: bigint): boolean {
    if (transId <= 0n || transId > BigInt(this.size)) return false;
    return this.inUse[Number(transId - 1n)] === 1;
  }
}
