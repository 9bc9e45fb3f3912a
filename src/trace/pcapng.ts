/**
 * Trace records as a pcapng capture for Wireshark/tshark: one Enhanced Packet Block per record, an
 * interface per channel (plus one for the channel-management messages), link type
 * LINKTYPE_USER0 (147), nanosecond timestamps (the virtual time), the direction in the EPB flags
 * (guest→host = outbound, host→guest = inbound, from the guest's point of view) and the record's
 * one-line summary as the packet comment. `docs/wireshark/netvsc.lua` dissects the records.
 *
 * Each packet's data is a small "NVSM" header, the framed VMBus packet (or the channel message),
 * then the RNDIS bytes the packet points at in guest memory (see {@link encodeTraceFrame}).
 *
 * Sources: pcapng (draft-ietf-opsawg-pcapng: SHB, IDB, EPB, options if_name, if_description,
 * if_tsresol, epb_flags, opt_comment); tcpdump.org link-layer types (LINKTYPE_USER0 = 147).
 *
 * @module
 */
import type { TracePayloadSource } from './decode.js';
import type { TraceRecord } from './tracer.js';

/** `LINKTYPE_USER0`. */
export const LINKTYPE_USER0 = 147;
/** First four bytes of every record ("NVSM"). */
export const TRACE_FRAME_MAGIC = 0x4d53564e;
/** Version of the record layout. */
export const TRACE_FRAME_VERSION = 1;
/** Bytes of the record header. */
export const TRACE_FRAME_HEADER = 20;

const SOURCE_CODE: Record<TracePayloadSource, number> = { 'gpa-direct': 0, 'receive-buffer': 1, 'send-buffer': 2 };

/**
 * The packet data of one record (all little-endian):
 * `u32 magic "NVSM"`, `u8 version`, `u8 direction` (0 guest→host, 1 host→guest), `u8 kind`
 * (0 ring packet, 1 channel message), `u8 payload count`, `u32 relid`, `u16 subchannel` (0xffff for
 * channel messages), `u16 0`, `u32 body length`, the body; then per payload `u8 source`
 * (0 GPA-direct pages, 1 receive buffer, 2 send buffer), `u8[3] 0`, `u32 length`, the bytes.
 */
export function encodeTraceFrame(r: TraceRecord): Uint8Array {
  const payloads = r.payloads.slice(0, 255);
  const size = TRACE_FRAME_HEADER + r.bytes.length + payloads.reduce((a, p) => a + 8 + p.bytes.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, TRACE_FRAME_MAGIC, true);
  out[4] = TRACE_FRAME_VERSION;
  out[5] = r.direction === 'guest-to-host' ? 0 : 1;
  out[6] = r.kind === 'packet' ? 0 : 1;
  out[7] = payloads.length;
  dv.setUint32(8, r.relid >>> 0, true);
  dv.setUint16(12, r.channel < 0 ? 0xffff : r.channel & 0xffff, true);
  dv.setUint32(16, r.bytes.length, true);
  out.set(r.bytes, TRACE_FRAME_HEADER);
  let at = TRACE_FRAME_HEADER + r.bytes.length;
  for (const p of payloads) {
    out[at] = SOURCE_CODE[p.source];
    dv.setUint32(at + 4, p.bytes.length, true);
    out.set(p.bytes, at + 8);
    at += 8 + p.bytes.length;
  }
  return out;
}

const utf8 = new TextEncoder();

/** Growable little-endian byte writer. */
class Writer {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.dv.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  pad4(): void {
    while (this.length % 4) this.u8(0);
  }
  setU32(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, true);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Writes one option (code, length, value padded to 4). */
function option(w: Writer, code: number, value: Uint8Array): void {
  w.u16(code);
  w.u16(value.length);
  w.bytes(value);
  w.pad4();
}

/** Opens a block; returns a closer that writes both total-length fields. */
function block(w: Writer, type: number): () => void {
  const start = w.length;
  w.u32(type);
  w.u32(0);
  return () => {
    w.pad4();
    const total = w.length - start + 4;
    w.u32(total);
    w.setU32(start + 4, total);
  };
}

/** Options of {@link toPcapng}. */
export interface PcapngOptions {
  /** `shb_userappl` (default `netvsc-sim`). */
  readonly application?: string;
  /** Name prefix of the channel interfaces (default `vmbus`). */
  readonly ifname?: string;
}

/** The interface a record goes to: one per channel (relid + subchannel), one for channel messages. */
function interfaceKey(source: number, r: TraceRecord): string {
  return r.kind === 'channel-message' ? `${source}:ctl` : `${source}:${r.relid}:${r.channel}`;
}

/** Records of one VM, for {@link toPcapngSources}. */
export interface PcapSource {
  /** Prefix of its interface names (`vmbus`, `vm2`, …). */
  readonly name: string;
  /** The VM's records in recording order; their interfaces are named `<name>-control` and `<name>-relid<R>-ch<C>`. */
  readonly records: readonly TraceRecord[];
}

/** A whole pcapng file (one section) for `records`. */
export function toPcapng(records: readonly TraceRecord[], options: PcapngOptions = {}): Uint8Array {
  return toPcapngSources([{ name: options.ifname ?? 'vmbus', records }], options);
}

/**
 * A pcapng file for several VMs: each gets its own interfaces (named after the source), and the
 * virtual times of each source follow the previous source's last one (1 ms apart), so the
 * capture reads in order.
 */
export function toPcapngSources(sources: readonly PcapSource[], options: Omit<PcapngOptions, 'ifname'> = {}): Uint8Array {
  const w = new Writer();
  // Section Header Block.
  let end = block(w, 0x0a0d0d0a);
  w.u32(0x1a2b3c4d);
  w.u16(1);
  w.u16(0);
  w.u32(0xffffffff); // section length: unspecified (-1)
  w.u32(0xffffffff);
  option(w, 4, utf8.encode(options.application ?? 'netvsc-sim')); // shb_userappl
  option(w, 0, new Uint8Array(0));
  end();
  // Interface Description Blocks, in order of first use.
  const ids = new Map<string, number>();
  const offsets: number[] = [];
  let base = sources[0]?.records[0]?.time ?? 0;
  for (const src of sources) {
    offsets.push(base);
    const first = src.records[0]?.time ?? 0;
    const last = src.records.at(-1)?.time ?? first;
    base += last - first + 1_000_000;
  }
  const all = sources.flatMap((src, n) => src.records.map((r) => ({ n, prefix: src.name, r, time: offsets[n]! + r.time - (src.records[0]?.time ?? 0) })));
  for (const { n, prefix, r } of all) {
    const key = interfaceKey(n, r);
    if (ids.has(key)) continue;
    ids.set(key, ids.size);
    end = block(w, 1);
    w.u16(LINKTYPE_USER0);
    w.u16(0);
    w.u32(0); // snaplen: no limit
    const name = r.kind === 'channel-message' ? `${prefix}-control` : `${prefix}-relid${r.relid}-ch${r.channel}`;
    const desc = r.kind === 'channel-message' ? 'VMBus channel-management messages (SynIC)' : `VMBus channel relid ${r.relid}, ${r.channel === 0 ? 'primary' : `subchannel ${r.channel}`}`;
    option(w, 2, utf8.encode(name)); // if_name
    option(w, 3, utf8.encode(desc)); // if_description
    option(w, 9, new Uint8Array([9])); // if_tsresol: 10^-9 s
    option(w, 0, new Uint8Array(0));
    end();
  }
  // Enhanced Packet Blocks.
  for (const { n, r, time } of all) {
    const data = encodeTraceFrame(r);
    end = block(w, 6);
    w.u32(ids.get(interfaceKey(n, r))!);
    const ts = BigInt(Math.max(0, Math.round(time)));
    w.u32(Number(ts >> 32n));
    w.u32(Number(ts & 0xffffffffn));
    w.u32(data.length);
    w.u32(data.length);
    w.bytes(data);
    w.pad4();
    const flags = new Uint8Array(4);
    new DataView(flags.buffer).setUint32(0, r.direction === 'guest-to-host' ? 2 : 1, true); // epb_flags: 2 outbound, 1 inbound
    option(w, 2, flags);
    option(w, 1, utf8.encode(r.summary)); // opt_comment
    option(w, 0, new Uint8Array(0));
    end();
  }
  return w.result();
}
