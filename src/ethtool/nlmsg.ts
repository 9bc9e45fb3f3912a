/**
 * Netlink and generic-netlink framing as the ethtool netlink family uses it: `nlmsghdr`,
 * `genlmsghdr`, attributes (`nlattr`, 4-byte aligned, nests), `NLMSG_ERROR` acks with extended-ack
 * TLVs and `NLMSG_DONE`. Constants from include/uapi/linux/netlink.h, genetlink.h and
 * ethtool_netlink.h (Linux 6.1). Used by both sides of the simulated socket: ethtool builds
 * requests and reads replies, the simulated kernel core reads requests and builds replies, so
 * extended-ack offsets are real byte offsets into the request.
 * @module
 */
import { struct, u8, u16, u32, i32 } from '../wire/index.js';
import { utf8 } from './cnum.js';
import type { ChannelKind } from './device.js';

/** Layout of `struct nlmsghdr` (16 bytes; include/uapi/linux/netlink.h). */
export const nlmsghdr = struct('nlmsghdr', [u32('nlmsg_len'), u16('nlmsg_type'), u16('nlmsg_flags'), u32('nlmsg_seq'), u32('nlmsg_pid')]);
/** Layout of `struct genlmsghdr` (4 bytes; include/uapi/linux/genetlink.h). */
export const genlmsghdr = struct('genlmsghdr', [u8('cmd'), u8('version'), u16('reserved')]);
/** Layout of `struct nlattr` attribute header (4 bytes; include/uapi/linux/netlink.h). */
export const nlattr = struct('nlattr', [u16('nla_len'), u16('nla_type')]);
/** Leading `error` field of `struct nlmsgerr` (the echoed request header follows; netlink.h). */
export const nlmsgerr = struct('nlmsgerr', [i32('error')]);

/** Aligned size of `struct nlmsghdr`, 16 (netlink.h NLMSG_HDRLEN). */
export const NLMSG_HDRLEN = 16;
/** Aligned size of `struct genlmsghdr`, 4 (genetlink.h GENL_HDRLEN). */
export const GENL_HDRLEN = 4;
/** Aligned size of `struct nlattr`, 4 (netlink.h NLA_HDRLEN). */
export const NLA_HDRLEN = 4;
/** Netlink message type 2: error / ack (netlink.h NLMSG_ERROR). */
export const NLMSG_ERROR = 2;
/** Netlink message type 3: end of a multipart dump (netlink.h NLMSG_DONE). */
export const NLMSG_DONE = 3;
/** First message type free for families, 0x10; lower types are reserved (netlink.h). */
export const NLMSG_MIN_TYPE = 0x10;

/** `nlmsg_flags` bit: message is a request (netlink.h NLM_F_REQUEST). */
export const NLM_F_REQUEST = 0x01;
/** `nlmsg_flags` bit: part of a multipart message (netlink.h NLM_F_MULTI). */
export const NLM_F_MULTI = 0x02;
/** `nlmsg_flags` bit: request an ack (netlink.h NLM_F_ACK). */
export const NLM_F_ACK = 0x04;
/** `nlmsg_flags` GET modifier: dump all objects, NLM_F_ROOT | NLM_F_MATCH (netlink.h). */
export const NLM_F_DUMP = 0x300;
/** Ack flag: the echoed request payload was cut off (netlink.h NLM_F_CAPPED). */
export const NLM_F_CAPPED = 0x100;
/** Ack flag: extended-ack TLVs follow the error (netlink.h NLM_F_ACK_TLVS). */
export const NLM_F_ACK_TLVS = 0x200;

/** Extended-ack attribute 1: error message string (netlink.h NLMSGERR_ATTR_MSG). */
export const NLMSGERR_ATTR_MSG = 1;
/** Extended-ack attribute 2: byte offset of the offending attribute (netlink.h NLMSGERR_ATTR_OFFS). */
export const NLMSGERR_ATTR_OFFS = 2;

/** `nla_type` bit marking a nested attribute (netlink.h NLA_F_NESTED). */
export const NLA_F_NESTED = 0x8000;
/** `nla_type` bit marking network byte order payload (netlink.h NLA_F_NET_BYTEORDER). */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** Mask of the attribute type bits in `nla_type`, without the two flag bits (netlink.h). */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** `ETHTOOL_GENL_VERSION`. */
export const ETHTOOL_GENL_VERSION = 1;
/**
 * The ethtool family's id. Generic-netlink ids are handed out at boot; any value ≥ 0x10 works the
 * same way, this one is what the simulator's kernel answers with.
 */
export const ETHTOOL_GENL_FAMILY_ID = 20;

/** ethtool netlink message ids (user → kernel, and kernel → user). */
export const ETHTOOL_MSG_CHANNELS_GET = 17;
/** User → kernel message 18: set channel counts (ethtool_netlink.h). */
export const ETHTOOL_MSG_CHANNELS_SET = 18;
/** Kernel → user message 18: reply to CHANNELS_GET (ethtool_netlink.h). */
export const ETHTOOL_MSG_CHANNELS_GET_REPLY = 18;
/** Kernel → user message 19: channels-changed notification (ethtool_netlink.h). */
export const ETHTOOL_MSG_CHANNELS_NTF = 19;

/** `ETHTOOL_A_HEADER_*`. */
export const ETHTOOL_A_HEADER_DEV_INDEX = 1;
/** Request header attribute 2: device name string (ethtool_netlink.h). */
export const ETHTOOL_A_HEADER_DEV_NAME = 2;
/** Request header attribute 3: ETHTOOL_FLAG_* bits (ethtool_netlink.h). */
export const ETHTOOL_A_HEADER_FLAGS = 3;

/** `ETHTOOL_A_CHANNELS_*`. */
export const ETHTOOL_A_CHANNELS_HEADER = 1;
/** Channels attribute 2: maximum RX channels (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_RX_MAX = 2;
/** Channels attribute 3: maximum TX channels (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_TX_MAX = 3;
/** Channels attribute 4: maximum other channels (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_OTHER_MAX = 4;
/** Channels attribute 5: maximum combined channels (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_COMBINED_MAX = 5;
/** Channels attribute 6: RX channel count (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_RX_COUNT = 6;
/** Channels attribute 7: TX channel count (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_TX_COUNT = 7;
/** Channels attribute 8: other channel count (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_OTHER_COUNT = 8;
/** Channels attribute 9: combined channel count (ethtool_netlink.h). */
export const ETHTOOL_A_CHANNELS_COMBINED_COUNT = 9;
/** Highest channels attribute number, 9 (ethtool_netlink.h ETHTOOL_A_CHANNELS_MAX). */
export const ETHTOOL_A_CHANNELS_MAX = 9;
/**
 * The `ETHTOOL_A_CHANNELS_*_COUNT` attribute of each channel kind: what a CHANNELS_SET request
 * carries for `-L rx|tx|other|combined N` (ethtool writes them, the kernel reads them).
 */
export const ETHTOOL_A_CHANNELS_COUNT_OF: Readonly<Record<ChannelKind, number>> = {
  rx: ETHTOOL_A_CHANNELS_RX_COUNT,
  tx: ETHTOOL_A_CHANNELS_TX_COUNT,
  other: ETHTOOL_A_CHANNELS_OTHER_COUNT,
  combined: ETHTOOL_A_CHANNELS_COMBINED_COUNT,
};

const align4 = (n: number): number => (n + 3) & ~3;

/** Builds one netlink message; attribute helpers mirror libmnl's (strings with their NUL, nests flagged NLA_F_NESTED). */
export class NlMsgBuilder {
  private buf = new Uint8Array(256);
  private len = 0;

  constructor(type: number, flags: number, seq: number, pid: number) {
    this.reserve(NLMSG_HDRLEN);
    nlmsghdr.encode({ nlmsg_len: 0, nlmsg_type: type, nlmsg_flags: flags, nlmsg_seq: seq >>> 0, nlmsg_pid: pid >>> 0 }, this.buf, 0);
    this.len = NLMSG_HDRLEN;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Current length (the offset the next attribute will start at). */
  get length(): number {
    return this.len;
  }

  /** Appends raw bytes padded to 4. */
  putRaw(bytes: Uint8Array): this {
    const padded = align4(bytes.length);
    this.reserve(padded);
    this.buf.fill(0, this.len, this.len + padded);
    this.buf.set(bytes, this.len);
    this.len += padded;
    return this;
  }

  /** `genlmsghdr` after the netlink header. */
  genl(cmd: number, version: number): this {
    this.reserve(GENL_HDRLEN);
    genlmsghdr.encode({ cmd, version, reserved: 0 }, this.buf, this.len);
    this.len += GENL_HDRLEN;
    return this;
  }

  /** An attribute with the given payload. */
  put(type: number, payload: Uint8Array): this {
    const total = NLA_HDRLEN + payload.length;
    this.reserve(align4(total));
    nlattr.encode({ nla_len: total, nla_type: type }, this.buf, this.len);
    this.buf.fill(0, this.len + NLA_HDRLEN, this.len + align4(total));
    this.buf.set(payload, this.len + NLA_HDRLEN);
    this.len += align4(total);
    return this;
  }

  /** A little-endian u32 attribute (`mnl_attr_put_u32`). */
  putU32(type: number, value: number): this {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, value >>> 0, true);
    return this.put(type, p);
  }

  /** A little-endian signed 32-bit attribute. */
  putI32(type: number, value: number): this {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setInt32(0, value | 0, true);
    return this.put(type, p);
  }

  /** A NUL-terminated string attribute (`mnl_attr_put_strz`). */
  putStrz(type: number, value: string): this {
    const bytes = utf8(value);
    const p = new Uint8Array(bytes.length + 1);
    p.set(bytes);
    return this.put(type, p);
  }

  /** Opens a nest; returns its offset for {@link NlMsgBuilder.nestEnd}. */
  nestStart(type: number): number {
    const at = this.len;
    this.reserve(NLA_HDRLEN);
    nlattr.encode({ nla_len: 0, nla_type: type | NLA_F_NESTED }, this.buf, this.len);
    this.len += NLA_HDRLEN;
    return at;
  }

  /** Closes the nest opened at `at` by writing its final length. */
  nestEnd(at: number): this {
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint16(at, this.len - at, true);
    return this;
  }

  /** Fixes `nlmsg_len` and returns the message bytes. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    new DataView(out.buffer).setUint32(0, this.len, true);
    return out;
  }
}

/** One parsed attribute: its type (flags masked off), payload and where it sits in the message. */
export interface NlAttr {
  /** Attribute type with the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits masked off. */
  readonly type: number;
  /** Whether NLA_F_NESTED was set. */
  readonly nested: boolean;
  /** Offset of the attribute header from the start of the message buffer given to the parser. */
  readonly offset: number;
  /** The attribute payload (header and padding excluded). */
  readonly payload: Uint8Array;
}

/**
 * Parses the attributes in `buf[start, end)`. Returns undefined for malformed framing (an
 * attribute shorter than its header or running past `end`), as the kernel's `nla_parse` rejects it.
 */
export function parseAttrs(buf: Uint8Array, start: number, end: number): NlAttr[] | undefined {
  const out: NlAttr[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = start;
  while (end - at >= NLA_HDRLEN) {
    const len = view.getUint16(at, true);
    const rawType = view.getUint16(at + 2, true);
    if (len < NLA_HDRLEN || at + len > end) return undefined;
    out.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, offset: at, payload: buf.subarray(at + NLA_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

/** `tb[]` as `nla_parse` fills it: for each type, the last attribute of that type. */
export function attrTable(attrs: readonly NlAttr[]): Map<number, NlAttr> {
  const tb = new Map<number, NlAttr>();
  for (const a of attrs) tb.set(a.type, a);
  return tb;
}

/** The u32 in an attribute's payload, or undefined when the payload is not 4 bytes. */
export function attrU32(a: NlAttr | undefined): number | undefined {
  if (!a || a.payload.length !== 4) return undefined;
  return new DataView(a.payload.buffer, a.payload.byteOffset, 4).getUint32(0, true);
}

/** The string in a string attribute (up to its first NUL), as `mnl_attr_get_str` reads it. */
export function attrString(a: NlAttr): string {
  const nul = a.payload.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? a.payload : a.payload.subarray(0, nul));
}

/** One message of a datagram. */
export interface NlMessage {
  /** `nlmsg_type`. */
  readonly type: number;
  /** `nlmsg_flags`. */
  readonly flags: number;
  /** `nlmsg_seq`. */
  readonly seq: number;
  /** `nlmsg_pid` (port id). */
  readonly pid: number;
  /** The whole message, header included. */
  readonly bytes: Uint8Array;
}

/** Splits a datagram into its messages (`mnl_nlmsg_ok`/`mnl_nlmsg_next`); stops at a truncated one. */
export function splitMessages(datagram: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  let at = 0;
  while (datagram.length - at >= NLMSG_HDRLEN) {
    const h = nlmsghdr.decode(datagram, at);
    if (h.nlmsg_len < NLMSG_HDRLEN || at + h.nlmsg_len > datagram.length) break;
    out.push({ type: h.nlmsg_type, flags: h.nlmsg_flags, seq: h.nlmsg_seq, pid: h.nlmsg_pid, bytes: datagram.subarray(at, at + h.nlmsg_len) });
    at += align4(h.nlmsg_len);
  }
  return out;
}

/** Extended-ack content: the kernel's message and the offset of the attribute it blames. */
export interface ExtAck {
  /** Extended-ack message text (NLMSGERR_ATTR_MSG). */
  readonly msg?: string;
  /** Byte offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS; sent only with an error). */
  readonly offset?: number;
}

/**
 * An `NLMSG_ERROR` message answering `request` (net/netlink/af_netlink.c `netlink_ack`, Linux 6.1,
 * socket without NETLINK_CAP_ACK, NETLINK_EXT_ACK on): an error echoes the whole request, a
 * success only its header (`NLM_F_CAPPED`); extended-ack TLVs follow with `NLM_F_ACK_TLVS`.
 */
export function buildAck(request: Uint8Array, errno: number, extack: ExtAck = {}, portId = 0): Uint8Array {
  const req = nlmsghdr.decode(request, 0);
  const echoWhole = errno !== 0;
  let flags = echoWhole ? 0 : NLM_F_CAPPED;
  const hasTlv = extack.msg !== undefined || (errno !== 0 && extack.offset !== undefined);
  if (hasTlv) flags |= NLM_F_ACK_TLVS;
  const b = new NlMsgBuilder(NLMSG_ERROR, flags, req.nlmsg_seq, portId);
  const err = new Uint8Array(4);
  new DataView(err.buffer).setInt32(0, -errno, true);
  b.putRaw(err);
  b.putRaw(echoWhole ? request.subarray(0, req.nlmsg_len) : request.subarray(0, NLMSG_HDRLEN));
  if (extack.msg !== undefined) b.putStrz(NLMSGERR_ATTR_MSG, extack.msg);
  if (errno !== 0 && extack.offset !== undefined) b.putU32(NLMSGERR_ATTR_OFFS, extack.offset);
  return b.finish();
}

/** `NLMSG_DONE` ending a dump, carrying the dump's final status (0 or a negative errno). */
export function buildDone(seq: number, errno: number, portId = 0): Uint8Array {
  const b = new NlMsgBuilder(NLMSG_DONE, NLM_F_MULTI, seq, portId);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setInt32(0, -errno, true);
  return b.putRaw(v).finish();
}

/** A decoded `NLMSG_ERROR`: the (positive) errno and the extended-ack attributes ethtool reads. */
export interface DecodedAck {
  /** Positive errno, 0 for success. */
  readonly errno: number;
  /** Extended-ack message text, if present. */
  readonly msg?: string;
  /** Extended-ack offset into the request, if present. */
  readonly offset?: number;
}

/**
 * Reads an `NLMSG_ERROR` as ethtool's `nlsock_process_ack` does (netlink/nlsock.c): TLVs start
 * after `struct nlmsgerr` plus, unless `NLM_F_CAPPED`, the echoed request's payload.
 */
export function decodeAck(message: Uint8Array): DecodedAck | undefined {
  if (message.length < NLMSG_HDRLEN + 4 + NLMSG_HDRLEN) return undefined;
  const h = nlmsghdr.decode(message, 0);
  const error = nlmsgerr.decode(message, NLMSG_HDRLEN).error;
  const errno = error === 0 ? 0 : -error;
  if (!(h.nlmsg_flags & NLM_F_ACK_TLVS)) return { errno };
  const inner = nlmsghdr.decode(message, NLMSG_HDRLEN + 4);
  let tlv = NLMSG_HDRLEN + 4 + NLMSG_HDRLEN;
  if (!(h.nlmsg_flags & NLM_F_CAPPED)) tlv += align4(Math.max(0, inner.nlmsg_len - NLMSG_HDRLEN));
  const attrs = parseAttrs(message, tlv, message.length);
  if (!attrs) return { errno };
  const tb = attrTable(attrs);
  const m = tb.get(NLMSGERR_ATTR_MSG);
  const o = attrU32(tb.get(NLMSGERR_ATTR_OFFS));
  return { errno, ...(m ? { msg: attrString(m) } : {}), ...(o !== undefined ? { offset: o } : {}) };
}
