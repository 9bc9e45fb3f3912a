/**
 * Decoding one observed crossing into layers: the VMBus packet descriptor, the NVSP message it
 * carries, the RNDIS messages that NVSP message points at (in the receive buffer, the send buffer
 * or the guest pages of a GPA-direct packet), the OID and its NDIS object, and the Ethernet frame
 * of an RNDIS data packet. Channel-management messages (`CHANNELMSG_*`) decode to one layer.
 *
 * Everything here reads bytes through the codecs of the lower floors; nothing is written.
 *
 * Sources: include/linux/hyperv.h (vmpacket_descriptor), drivers/net/hyperv/hyperv_net.h (NVSP),
 * include/linux/rndis.h and hyperv_net.h (RNDIS, ndis_recv_scale_param), shared/spec/nvsp.md,
 * shared/spec/rndis.md.
 *
 * @module
 */
import { decodeChannelMessage } from '../vmbus/messages.js';
import { decodePacket, type VmbusPacket } from '../vmbus/packet.js';
import { decodeNvsp, nvspMsgTypeOf, type NvspMessage } from '../protocol/nvsp.js';
import { decodeRndis, rndisStatusName, type RndisMessage } from '../protocol/rndis.js';
import { oidName, OID } from '../protocol/oids.js';
import { NDIS_OBJECT_TYPE, ndis_recv_scale_param, ndis_recv_scale_cap } from '../protocol/ndis.js';

/** Which way a record crossed. */
export type TraceDirection = 'guest-to-host' | 'host-to-guest';

/** A JSON-safe value: bigints become decimal strings, byte arrays hex strings. */
export type TraceValue = string | number | boolean | null | TraceValue[] | { [k: string]: TraceValue };

/** One decoded layer of a record. */
export interface TraceLayer {
  /** `VMBUS`, `CHANNELMSG`, `NVSP`, `RNDIS`, `OID` or `ETHERNET`. */
  readonly layer: string;
  /** The one-line text of this layer (`SUBCHANNEL ALLOCATE num=1`). */
  readonly summary: string;
  /** The decoded fields, kernel-named, JSON-safe. */
  readonly fields: { readonly [k: string]: TraceValue };
}

/** Where the RNDIS bytes of a packet were found. */
export type TracePayloadSource = 'gpa-direct' | 'receive-buffer' | 'send-buffer';

/** Bytes a packet points at outside the ring (an RNDIS message), as they were when it was written. */
export interface TracePayload {
  /** Where they were read: the packet's GPA ranges (guest send), a receive-buffer range (host receive), or a send-buffer section. */
  readonly source: TracePayloadSource;
  /** The RNDIS message bytes, copied when the packet was written (later reuse of the buffer does not change them). */
  readonly bytes: Uint8Array;
}

/** Lowercase hex of `b`. */
export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Turns a decoded value into a JSON-safe one (bigint → string, bytes → hex). */
export function plain(v: unknown): TraceValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const o: { [k: string]: TraceValue } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = plain(x);
    return o;
  }
  return String(v);
}

const hex32 = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** `NVSP_STAT_*` (hyperv_net.h). */
const NVSP_STAT: Record<number, string> = { 0: 'NONE', 1: 'SUCCESS', 2: 'FAIL', 3: 'PROTOCOL_TOO_NEW', 4: 'PROTOCOL_TOO_OLD', 5: 'INVALID_RNDIS_PKT', 6: 'BUSY', 7: 'PROTOCOL_UNSUPPORTED' };
const nvspStatus = (s: number) => NVSP_STAT[s] ?? hex32(s);

/** The VMBus descriptor layer of a framed packet. */
export function vmbusLayer(p: VmbusPacket, size: number): TraceLayer {
  const fields: Record<string, TraceValue> = { kind: p.kind, flags: p.flags, trans_id: p.trans_id.toString(), len: size };
  let extra = '';
  if (p.kind === 'xfer-pages') {
    fields.xfer_pageset_id = p.xfer_pageset_id;
    fields.sender_owns_set = p.sender_owns_set;
    fields.ranges = p.ranges.map((r) => ({ byte_count: r.byte_count, byte_offset: r.byte_offset }));
    extra = ` ranges=${p.ranges.length}`;
  } else if (p.kind === 'gpa-direct') {
    fields.ranges = p.ranges.map((r) => ({ byte_count: r.byte_count, byte_offset: r.byte_offset, pfns: r.pfns.map((x) => x.toString()) }));
    extra = ` ranges=${p.ranges.length}`;
  }
  const kind = { inband: 'INBAND', completion: 'COMP', 'xfer-pages': 'XFER_PAGES', 'gpa-direct': 'GPA_DIRECT' }[p.kind];
  return { layer: 'VMBUS', summary: `${kind} tid=${p.trans_id}${p.flags & 1 ? ' rc' : ''}${extra}`, fields };
}

/** The one-line text of an NVSP message. */
export function nvspSummary(m: NvspMessage): string {
  switch (m.type) {
    case 'INIT':
      return `INIT ver=${hex32(m.min_protocol_ver)}..${hex32(m.max_protocol_ver)}`;
    case 'INIT_COMPLETE':
      return `INIT_COMPLETE status=${nvspStatus(m.status)} ver=${hex32(m.negotiated_protocol_ver)}`;
    case 'SEND_RECV_BUF':
    case 'SEND_SEND_BUF':
      return `${m.type} gpadl=${hex32(m.gpadl_handle)} id=${m.id}`;
    case 'SEND_RECV_BUF_COMPLETE':
      return `SEND_RECV_BUF_COMPLETE status=${nvspStatus(m.status)} sections=${m.num_sections}`;
    case 'SEND_SEND_BUF_COMPLETE':
      return `SEND_SEND_BUF_COMPLETE status=${nvspStatus(m.status)} section_size=${m.section_size}`;
    case 'SEND_RNDIS_PKT':
      return `SEND_RNDIS_PKT ${m.channel_type === 0 ? 'data' : 'control'} section=${m.send_buf_section_index === 0xffffffff ? 'none' : m.send_buf_section_index} size=${m.send_buf_section_size}`;
    case 'SEND_RNDIS_PKT_COMPLETE':
      return `SEND_RNDIS_PKT_COMPLETE status=${nvspStatus(m.status)}`;
    case 'SUBCHANNEL_REQUEST':
      return `SUBCHANNEL ${m.op === 1 ? 'ALLOCATE' : `op=${m.op}`} num=${m.num_subchannels}`;
    case 'SUBCHANNEL_COMPLETE':
      return `SUBCHANNEL COMPLETE status=${nvspStatus(m.status)} num=${m.num_subchannels}`;
    case 'SEND_INDIRECTION_TABLE':
      return `SEND_INDIRECTION_TABLE count=${m.count}`;
    case 'UNKNOWN':
      return `type=${m.msg_type}`;
    default: {
      const scalars = Object.entries(m)
        .filter(([k, v]) => k !== 'type' && (typeof v === 'number' || typeof v === 'bigint'))
        .slice(0, 4)
        .map(([k, v]) => `${k}=${typeof v === 'bigint' ? `0x${v.toString(16)}` : v}`);
      return [m.type, ...scalars].join(' ');
    }
  }
}

/** The NVSP layer of an in-band or completion payload, or the reason it does not decode. */
export function nvspLayer(
  payload: Uint8Array,
  from: 'guest' | 'host',
):
  | {
      /** The `NVSP` layer: summary and kernel-named fields (`msg_type`, `name`, the message's own fields). */
      layer: TraceLayer;
      /** The decoded NVSP message itself. */
      msg: NvspMessage;
    }
  | {
      /** Why the payload does not decode as an NVSP message (the decoder's error message). */
      error: string;
    } {
  try {
    const msg = decodeNvsp(payload, { from });
    const { type: _t, ...rest } = msg as NvspMessage & Record<string, unknown>;
    return { msg, layer: { layer: 'NVSP', summary: nvspSummary(msg), fields: { msg_type: nvspMsgTypeOf(msg), name: msg.type, ...(plain(rest) as Record<string, TraceValue>) } } };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Decodes the NDIS object of an RSS OID, or undefined for other OIDs. */
function oidObject(oid: number, info: Uint8Array): TraceLayer | undefined {
  try {
    if (oid === OID.GEN_RECEIVE_SCALE_PARAMETERS && info.length >= ndis_recv_scale_param.size) {
      const p = ndis_recv_scale_param.decode(info, 0);
      const fields: Record<string, TraceValue> = plain(p) as Record<string, TraceValue>;
      const tab: number[] = [];
      for (let i = 0; i < p.indirect_tabsize / 4 && p.indirect_taboffset + i * 4 + 4 <= info.length; i++) {
        const o = p.indirect_taboffset + i * 4;
        tab.push((info[o]! | (info[o + 1]! << 8) | (info[o + 2]! << 16) | (info[o + 3]! << 24)) >>> 0);
      }
      fields.indirection_table = tab;
      if (p.hashkey_offset + p.hashkey_size <= info.length) fields.hash_key = hex(info.subarray(p.hashkey_offset, p.hashkey_offset + p.hashkey_size));
      const queues = tab.length ? Math.max(...tab) + 1 : 0;
      return {
        layer: 'OID',
        summary: `RSS flag=${hex32(p.flag)} hashinfo=${hex32(p.hashinfo)} table=${tab.length} queues=${queues} key=${p.hashkey_size}`,
        fields,
      };
    }
    if (oid === OID.GEN_RECEIVE_SCALE_CAPABILITIES && info.length >= ndis_recv_scale_cap.size) {
      const c = ndis_recv_scale_cap.decode(info, 0);
      return { layer: 'OID', summary: `RSS_CAPS queues=${c.num_recv_que} table=${c.num_indirect_tabent}`, fields: plain(c) as Record<string, TraceValue> };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The Ethernet layer of a frame. */
function ethernetLayer(frame: Uint8Array): TraceLayer {
  const mac = (o: number) => Array.from(frame.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  if (frame.length < 14) return { layer: 'ETHERNET', summary: `short frame len=${frame.length}`, fields: { len: frame.length } };
  const ethertype = (frame[12]! << 8) | frame[13]!;
  const fields = { dst: mac(0), src: mac(6), ethertype: `0x${ethertype.toString(16).padStart(4, '0')}`, len: frame.length };
  return { layer: 'ETHERNET', summary: `${fields.src} > ${fields.dst} type=${fields.ethertype} len=${frame.length}`, fields };
}

/** The RNDIS layers (message, OID object, Ethernet frame) of the bytes at the start of `buf`. */
export function rndisLayers(buf: Uint8Array): TraceLayer[] {
  let m: RndisMessage;
  try {
    m = decodeRndis(buf, 0, { bound: 'buffer' });
  } catch (e) {
    return [{ layer: 'RNDIS', summary: `undecodable (${e instanceof Error ? e.message : String(e)})`, fields: { bytes: hex(buf.subarray(0, 64)) } }];
  }
  const { type, ...rest } = m as RndisMessage & Record<string, unknown>;
  const fields = { name: type, ...(plain(rest) as Record<string, TraceValue>) };
  const out: TraceLayer[] = [];
  const r = m as RndisMessage & { req_id?: number; status?: number; oid?: number; info_buf?: Uint8Array };
  let summary: string = type;
  if (r.oid !== undefined) summary += ` ${oidName(r.oid)}`;
  if (r.req_id !== undefined) summary += ` req=${r.req_id}`;
  if (r.status !== undefined) summary += ` status=${rndisStatusName(r.status)}`;
  if (m.type === 'PACKET') summary += ` len=${m.data.length}${m.per_pkt_info.length ? ` ppi=${m.per_pkt_info.length}` : ''}`;
  if ((m.type === 'SET' || m.type === 'QUERY' || m.type === 'QUERY_C') && r.info_buf) summary += ` info=${r.info_buf.length}`;
  out.push({ layer: 'RNDIS', summary, fields });
  if (m.type === 'SET' && r.oid !== undefined && r.info_buf) {
    const o = oidObject(r.oid, r.info_buf);
    if (o) out.push(o);
  }
  // A QUERY_C names no OID: the RSS capabilities object is known by its NDIS object type.
  if (m.type === 'QUERY_C' && m.info_buf.length >= ndis_recv_scale_cap.size && m.info_buf[0] === NDIS_OBJECT_TYPE.RSS_CAPABILITIES) {
    const o = oidObject(OID.GEN_RECEIVE_SCALE_CAPABILITIES, m.info_buf);
    if (o) out.push(o);
  }
  if (m.type === 'PACKET') out.push(ethernetLayer(m.data));
  return out;
}

/** The layer of a channel-management message (`hv_message` payload without the SynIC header). */
export function channelMessageLayer(payload: Uint8Array): TraceLayer {
  try {
    const m = decodeChannelMessage(payload);
    const f = plain(m.msg) as Record<string, TraceValue>;
    const msg = m.msg as unknown as Record<string, unknown>;
    const bits: string[] = [];
    for (const k of ['child_relid', 'openid', 'gpadl', 'status', 'version_requested', 'version_supported', 'target_vp']) {
      if (typeof msg[k] === 'number') bits.push(`${k}=${msg[k] as number}`);
    }
    const offer = msg.offer as { sub_channel_index?: number } | undefined;
    if (offer && typeof offer.sub_channel_index === 'number') bits.push(`subchannel=${offer.sub_channel_index}`);
    return { layer: 'CHANNELMSG', summary: [m.type.replace(/^CHANNELMSG_/, ''), ...bits].join(' '), fields: { name: m.type, ...f } };
  } catch (e) {
    return { layer: 'CHANNELMSG', summary: `undecodable (${e instanceof Error ? e.message : String(e)})`, fields: { bytes: hex(payload) } };
  }
}

/** Decodes a framed VMBus packet (descriptor included) into its VMBus and NVSP layers. */
export function packetLayers(
  bytes: Uint8Array,
  direction: TraceDirection,
): {
  /** `VMBUS` first (`undecodable (…)` when the framing is bad), then `NVSP` when the payload has at least 4 bytes (`undecodable (…)` when they do not decode). */
  layers: TraceLayer[];
  /** The decoded VMBus packet; absent when the framing does not decode. */
  packet?: VmbusPacket;
  /** The decoded NVSP message; absent when there is none or it does not decode. */
  nvsp?: NvspMessage;
} {
  let p: VmbusPacket;
  try {
    p = decodePacket(bytes);
  } catch (e) {
    return { layers: [{ layer: 'VMBUS', summary: `undecodable (${e instanceof Error ? e.message : String(e)})`, fields: { bytes: hex(bytes) } }] };
  }
  const layers = [vmbusLayer(p, bytes.length)];
  if (p.payload.length < 4) return { layers, packet: p };
  const n = nvspLayer(p.payload, direction === 'guest-to-host' ? 'guest' : 'host');
  if ('error' in n) {
    layers.push({ layer: 'NVSP', summary: `undecodable (${n.error})`, fields: { bytes: hex(p.payload) } });
    return { layers, packet: p };
  }
  layers.push(n.layer);
  return { layers, packet: p, nvsp: n.msg };
}
