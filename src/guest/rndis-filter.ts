/**
 * The RNDIS layer of the guest driver: Linux 6.1.192 drivers/net/hyperv/rndis_filter.c. RNDIS
 * requests (INIT, QUERY, SET, HALT) are built in guest memory as Linux builds them inside its
 * `struct rndis_request` and sent through {@link NetvscDevice.sendRndisControl}; replies arrive
 * through the receive buffer and are matched by request id into a zeroed response buffer, which
 * callers then read field by field — so a short completion is accepted exactly as Linux accepts it
 * (missing fields read as 0) and an over-long one is flagged BUFFER_OVERFLOW.
 *
 * Also here: device add/remove (`rndis_filter_device_add`, `rndis_filter_device_remove`), the
 * subchannel request (`rndis_set_subchannel`, `netvsc_sc_open`), RSS programming, packet filter,
 * and the receive dispatch (`rndis_filter_receive`) with its data path.
 * @module
 */
import {
  NDIS_CSUM_CAP,
  NDIS_LSOV2_CAP,
  NDIS_OBJECT_TYPE,
  NDIS_OFFLOAD_ENCAP,
  NDIS_OFFLOAD_PARAMETERS,
  NDIS_OFFLOAD_SIZE,
  NDIS_OFFLOAD_SIZE_6_0,
  NDIS_PACKET_TYPE,
  NDIS_RSS_PARAM_FLAG,
  NDIS_TXCSUM_ALL_TCP4,
  NDIS_TXCSUM_ALL_TCP6,
  VERSION_4_OFFLOAD_SIZE,
  decodeNdisOffloadInfo,
  ndis_offload_params,
  rssParameters,
} from '../protocol/ndis.js';
import { NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_5, NVSP_STAT_FAIL, NVSP_STAT_SUCCESS, VRSS_SEND_TAB_SIZE } from '../protocol/nvsp.js';
import { OID, oidName } from '../protocol/oids.js';
import { linuxGetPpi, RNDIS_PKTINFO } from '../protocol/ppi.js';
import {
  rndisOffloadCapabilitiesQuery,
  rndisOffloadParametersSetRequest,
  rndisPacketFilterSetRequest,
  rndisRssCapabilitiesQuery,
  rndisRssSetRequest,
} from '../protocol/rndis-builders.js';
import {
  RNDIS_EXT_LEN,
  RNDIS_MSG,
  RNDIS_STATUS,
  encodeRndis,
  rndisHaltRequest,
  rndisInitRequest,
  rndisMsgTypeName,
  rndisQueryRequest,
  type RndisMessage,
} from '../protocol/rndis.js';
import { ITAB_NUM, ITAB_NUM_MAX } from '../rss/indirection.js';
import { netvscHashKey } from '../rss/keys.js';
import type { GuestChannel } from '../vmbus/linux-vmbus.js';
import { dirtyOf, writeBuffer, type GuestBuffer } from '../vmbus/memory.js';
import { spawn, wait, type BlockingFlow } from '../vmbus/scheduler.js';
import { rd32, wr32 } from './bytes.js';
import {
  IEEE_8021Q_INFO,
  NBL_HASH_VALUE,
  NVSP_RSC_MAX,
  RNDIS_MESSAGE_STRUCT_SIZE,
  RNDIS_PKTINFO_ID,
  RNDIS_REQUEST_MSG_OFFSET,
  RNDIS_REQUEST_PAGES,
  TCPIP_CHKSUM_PKTINFO,
  VRSS_CHANNEL_MAX,
} from './constants.js';
import type { NetvscErrno, NetvscResult } from './errno.js';
import { KCompletion } from './kernel.js';
import { NetvscDevice, type NetvscChannel, type NetvscDeviceInfo } from './netvsc.js';
import type { NetvscNetdev } from './netvsc-drv.js';

/** `enum rndis_device_state` (hyperv_net.h). */
export const RNDIS_DEV = {
  /** No RNDIS session: before INIT, after a failed INIT or after HALT; replies are dropped with a warning. */
  UNINITIALIZED: 0,
  /** INIT sent, its completion awaited. */
  INITIALIZING: 1,
  /** INIT_CMPLT succeeded; the packet filter is 0 (device closed). */
  INITIALIZED: 2,
  /** `rndis_filter_open` set a non-zero packet filter: data flows. */
  DATAINITIALIZED: 3,
} as const;

/** Direct-map base (`PAGE_OFFSET`) for the request addresses of the requestor-less profile. */
const PAGE_OFFSET = 0xffff888000000000n;

const RESPONSE_SIZE = RNDIS_MESSAGE_STRUCT_SIZE + RNDIS_EXT_LEN;
const SLAB_RESPONSES = 32;
let slab: ArrayBuffer | null = null;
let slabUsed = SLAB_RESPONSES;

/** A zeroed response buffer of its own, carved from a fresh slab (one allocation for many requests). */
function newResponse(): Uint8Array {
  if (slab === null || slabUsed === SLAB_RESPONSES) {
    slab = new ArrayBuffer(RESPONSE_SIZE * SLAB_RESPONSES);
    slabUsed = 0;
  }
  return new Uint8Array(slab, RESPONSE_SIZE * slabUsed++, RESPONSE_SIZE);
}

/** `struct rndis_request`: the request in guest memory, its completion and the zeroed response copy. */
export class RndisRequest {
  /** `wait_event`: completed when the matching reply was copied into {@link response} (or overflowed). */
  readonly waitEvent: KCompletion;
  /** `response_msg` + `response_ext`: 52 + 4096 bytes, zero until a reply is copied in. */
  readonly response = newResponse();

  constructor(
    /** RNDIS `req_id` written into the message; replies are matched to the request by it. */
    readonly reqId: number,
    /** RNDIS message type sent (`RNDIS_MSG.INIT`, `QUERY`, `SET`, `HALT`). */
    readonly msgType: number,
    /** OID queried or set; 0 for INIT and HALT. */
    readonly oid: number,
    /** The pages holding the whole struct; the message sits at {@link RNDIS_REQUEST_MSG_OFFSET}. */
    readonly pages: GuestBuffer,
    nvdev: NetvscDevice,
  ) {
    this.waitEvent = new KCompletion(nvdev.scheduler);
  }

  /** `msg_len` of the stored response (0 when none or when it overflowed). */
  get responseLen(): number {
    return rd32(this.response, 4);
  }
}

/** `struct rndis_device`: one RNDIS session (a new one per attach). */
export class RndisDevice {
  /** `state`: one of {@link RNDIS_DEV}; INIT, open, close and HALT move it. */
  state: number = RNDIS_DEV.UNINITIALIZED;
  /** `new_req_id`: pre-incremented, so the first request is 1. */
  newReqId = 0;
  /** `req_list`: requests sent and not yet put back, searched by `req_id` when a reply arrives. */
  readonly reqList: RndisRequest[] = [];
  /** `rss_key`: zero until an enabling RSS SET succeeds. */
  readonly rssKey = new Uint8Array(40);
  /** `link_state`: true = disconnected (the value of MEDIA_CONNECT_STATUS ≠ 0). */
  linkState = false;
  /** Last packet filter sent (`filter`). */
  filter = 0;
  /** `hw_mac_adr`: the permanent MAC from the `OID_802_3_PERMANENT_ADDRESS` query at device add. */
  readonly hwMacAdr = new Uint8Array(6);
}

// ---------------------------------------------------------------------------------------------
// Requests

/** `get_rndis_request`: allocates the struct in guest memory and takes the next request id. */
function getRequest(dev: RndisDevice, nvdev: NetvscDevice, msgType: number, oid = 0): RndisRequest | null {
  const a = nvdev.guest.memory.alloc(RNDIS_REQUEST_PAGES);
  if (!a.ok) return null;
  const req = new RndisRequest(++dev.newReqId >>> 0, msgType, oid, a.buffer, nvdev);
  dev.reqList.push(req);
  return req;
}

/** `put_rndis_request`. */
function putRequest(dev: RndisDevice, nvdev: NetvscDevice, req: RndisRequest): void {
  const i = dev.reqList.indexOf(req);
  if (i >= 0) dev.reqList.splice(i, 1);
  nvdev.guest.memory.free(req.pages);
}

/** Encodes the request message straight into its place in the request struct; returns its length. */
function writeRequest(req: RndisRequest, msg: RndisMessage): { length: number } {
  const d = dirtyOf(req.pages);
  if (!d) {
    const bytes = encodeRndis(msg);
    writeBuffer(req.pages, RNDIS_REQUEST_MSG_OFFSET, bytes);
    return bytes;
  }
  encodeRndis(msg, d.raw, RNDIS_REQUEST_MSG_OFFSET);
  const length = rd32(d.raw, RNDIS_REQUEST_MSG_OFFSET + 4); // msg_len: what encodeRndis wrote
  d.mark(RNDIS_REQUEST_MSG_OFFSET, RNDIS_REQUEST_MSG_OFFSET + length);
  return { length };
}

/** `rndis_filter_send_request`: one GPA range over the message (`pb` of a single page buffer). */
function sendRequest(ndev: NetvscNetdev, nvdev: NetvscDevice, req: RndisRequest, len: number): NetvscResult {
  const at = RNDIS_REQUEST_MSG_OFFSET;
  const first = req.pages.pfn + Math.floor(at / 4096);
  const offset = at % 4096;
  const n = Math.ceil((offset + len) / 4096);
  const pfns: bigint[] = [];
  for (let j = 0; j < n; j++) pfns.push(BigInt(first + j));
  const addr = PAGE_OFFSET + BigInt(req.pages.pfn) * 4096n + 4200n;
  const r = nvdev.sendRndisControl({ byte_count: len, byte_offset: offset, pfns }, addr);
  if (r === 0) ndev.countSent(requestKind(req.msgType, req.oid));
  return r;
}

const REQUEST_KINDS = new Map<number, string>();

/**
 * The statistics name of a request: `RNDIS_MSG_QUERY OID_…`, built once per (type, OID) pair, or
 * the message type's name alone without an OID.
 */
function requestKind(msgType: number, oid: number): string {
  if (oid === 0) return rndisMsgTypeName(msgType);
  const exact = msgType >>> 0 === msgType && oid >>> 0 === oid && msgType <= 0xfffff; // key below stays a safe integer
  if (!exact) return `${rndisMsgTypeName(msgType)} ${oidName(oid)}`;
  const key = msgType * 4294967296 + oid;
  let s = REQUEST_KINDS.get(key);
  if (s === undefined) {
    s = `${rndisMsgTypeName(msgType)} ${oidName(oid)}`;
    if (REQUEST_KINDS.size < 1024) REQUEST_KINDS.set(key, s);
  }
  return s;
}

/** Waits for a request's reply (with the profile's timeout, if any). */
function* waitResponse(nvdev: NetvscDevice, req: RndisRequest): BlockingFlow<NetvscResult> {
  const t = nvdev.profile.requestTimeoutNs;
  if (t === null) {
    yield* req.waitEvent.wait();
    return 0;
  }
  return (yield* req.waitEvent.waitTimeout(t)) ? 0 : 'ETIMEDOUT';
}

/**
 * `rndis_filter_query_device`: QUERY `oid` (with Linux's pre-filled input object), wait, validate
 * the QUERY_C bounds (§3.5; the status is not checked) and return up to `size` bytes. A malformed
 * reply makes Linux return -1, i.e. EPERM.
 */
function* queryDevice(
  ndev: NetvscNetdev,
  dev: RndisDevice,
  nvdev: NetvscDevice,
  oid: number,
  size: number,
): BlockingFlow<{ ret: NetvscResult; data: Uint8Array }> {
  const fail = (ret: NetvscResult) => ({ ret, data: new Uint8Array(0) });
  const req = getRequest(dev, nvdev, RNDIS_MSG.QUERY, oid);
  if (!req) return fail('ENOMEM');
  let msg: RndisMessage;
  if (oid === OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES) {
    const v = nvdev.nvspVersion;
    msg = rndisOffloadCapabilitiesQuery(req.reqId, v >= NVSP_PROTOCOL_VERSION_5 ? 3 : v >= NVSP_PROTOCOL_VERSION_4 ? 2 : 1);
  } else if (oid === OID.GEN_RECEIVE_SCALE_CAPABILITIES) {
    msg = rndisRssCapabilitiesQuery(req.reqId);
  } else {
    msg = rndisQueryRequest(req.reqId, oid);
  }
  const bytes = writeRequest(req, msg);
  let ret = sendRequest(ndev, nvdev, req, bytes.length);
  if (ret === 0) ret = yield* waitResponse(nvdev, req);
  putRequest(dev, nvdev, req);
  if (ret !== 0) return fail(ret);
  const r = req.response;
  const msgLen = req.responseLen;
  const body = (msgLen - 8) >>> 0;
  const buflen = rd32(r, 16);
  const off = rd32(r, 20);
  if (nvdev.profile.validateHost) {
    if (body < 16 || buflen > size || off < 16 || body < off || ((body - off) >>> 0) < buflen) {
      ndev.warn('QUERY_FAILED', { detail: oidName(oid) });
      return fail('EPERM');
    }
  } else if (buflen > size) {
    // 4.2 checked only the length against the caller's buffer
    ndev.warn('QUERY_FAILED', { detail: oidName(oid) });
    return fail('EPERM');
  }
  const start = 8 + off;
  const out = new Uint8Array(buflen);
  out.set(r.subarray(Math.min(start, r.length), Math.min(start + buflen, r.length)));
  return { ret: 0, data: out };
}

/** A SET and its wait; returns the reply status (u32 at absolute 12 of the response). */
function* setRequest(
  ndev: NetvscNetdev,
  dev: RndisDevice,
  nvdev: NetvscDevice,
  build: (reqId: number) => RndisMessage,
  oid: number,
): BlockingFlow<{ ret: NetvscResult; status: number }> {
  const req = getRequest(dev, nvdev, RNDIS_MSG.SET, oid);
  if (!req) return { ret: 'ENOMEM', status: 0 };
  const bytes = writeRequest(req, build(req.reqId));
  let ret = sendRequest(ndev, nvdev, req, bytes.length);
  if (ret === 0) ret = yield* waitResponse(nvdev, req);
  putRequest(dev, nvdev, req);
  return { ret, status: rd32(req.response, 12) };
}

/** `rndis_filter_init_device`: INIT → INIT_C; takes max_pkt and pkt_align on success. */
function* initDevice(ndev: NetvscNetdev, dev: RndisDevice, nvdev: NetvscDevice): BlockingFlow<NetvscResult> {
  const req = getRequest(dev, nvdev, RNDIS_MSG.INIT);
  if (!req) return 'ENOMEM';
  const bytes = writeRequest(req, rndisInitRequest(req.reqId));
  dev.state = RNDIS_DEV.INITIALIZING;
  let ret = sendRequest(ndev, nvdev, req, bytes.length);
  if (ret !== 0) {
    dev.state = RNDIS_DEV.UNINITIALIZED;
    putRequest(dev, nvdev, req);
    return ret;
  }
  ret = yield* waitResponse(nvdev, req);
  putRequest(dev, nvdev, req);
  if (ret !== 0) {
    dev.state = RNDIS_DEV.UNINITIALIZED;
    return ret;
  }
  const r = req.response;
  if (rd32(r, 12) === RNDIS_STATUS.SUCCESS) {
    dev.state = RNDIS_DEV.INITIALIZED;
    nvdev.maxPkt = rd32(r, 32);
    nvdev.pktAlign = 2 ** (rd32(r, 40) & 31);
    return 0;
  }
  ndev.warn('INIT_FAILED', { detail: rd32(r, 12) });
  dev.state = RNDIS_DEV.UNINITIALIZED;
  return 'EINVAL';
}

/**
 * `rndis_filter_halt_device`: HALT (its id taken twice, no reply exists), state UNINITIALIZED,
 * `destroy`, then wait until every receive completion went out and every send was completed.
 */
function* haltDevice(ndev: NetvscNetdev, nvdev: NetvscDevice, dev: RndisDevice): BlockingFlow<void> {
  const req = getRequest(dev, nvdev, RNDIS_MSG.HALT);
  if (req) {
    const bytes = writeRequest(req, rndisHaltRequest(++dev.newReqId >>> 0));
    sendRequest(ndev, nvdev, req, bytes.length);
    dev.state = RNDIS_DEV.UNINITIALIZED;
  }
  nvdev.destroy = true;
  yield* nvdev.waitDrain.waitEvent(() => nvdev.idle());
  if (req) putRequest(dev, nvdev, req);
}

/** `rndis_filter_set_packet_filter`: skipped when unchanged; the SET_C status is not looked at. */
function* setPacketFilter(ndev: NetvscNetdev, dev: RndisDevice, nvdev: NetvscDevice, filter: number): BlockingFlow<NetvscResult> {
  if (dev.filter === filter) return 0;
  const req = getRequest(dev, nvdev, RNDIS_MSG.SET, OID.GEN_CURRENT_PACKET_FILTER);
  if (!req) return 'ENOMEM';
  const bytes = writeRequest(req, rndisPacketFilterSetRequest(req.reqId, filter));
  let ret = sendRequest(ndev, nvdev, req, bytes.length);
  if (ret === 0) {
    ret = yield* waitResponse(nvdev, req);
    if (ret === 0) dev.filter = filter;
  }
  putRequest(dev, nvdev, req);
  return ret;
}

/** `rndis_filter_open`: packet filter BROADCAST|ALL_MULTICAST|DIRECTED, state DATAINITIALIZED. */
export function* rndisFilterOpen(ndev: NetvscNetdev, nvdev: NetvscDevice | null): BlockingFlow<NetvscResult> {
  if (!nvdev) return 'EINVAL';
  const dev = nvdev.extension!;
  if (dev.state !== RNDIS_DEV.INITIALIZED) return 0;
  const filter = NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.DIRECTED;
  const ret = yield* setPacketFilter(ndev, dev, nvdev, filter);
  if (ret === 0) dev.state = RNDIS_DEV.DATAINITIALIZED;
  return ret;
}

/** `rndis_filter_close`: packet filter 0 (ENODEV counts as done), state INITIALIZED. */
export function* rndisFilterClose(ndev: NetvscNetdev, nvdev: NetvscDevice | null): BlockingFlow<NetvscResult> {
  if (!nvdev) return 'EINVAL';
  const dev = nvdev.extension!;
  if (dev.state !== RNDIS_DEV.DATAINITIALIZED) return 0;
  let ret = yield* setPacketFilter(ndev, dev, nvdev, 0);
  if (ret === 'ENODEV') ret = 0;
  if (ret === 0) dev.state = RNDIS_DEV.INITIALIZED;
  return ret;
}

// ---------------------------------------------------------------------------------------------
// Offloads and RSS

/** `rndis_query_hwcaps` + `rndis_netdev_set_hwcaps` (6.1) or 4.2's fixed offload SET. */
function* setHwcaps(ndev: NetvscNetdev, dev: RndisDevice, nvdev: NetvscDevice): BlockingFlow<NetvscResult> {
  const p = ndis_offload_params.make({});
  if (nvdev.profile.bringup === 'linux-4.2') {
    // 4.2 turned on what it wanted without asking (recollection of "hyperv: Enable offloads on the host")
    p.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    p.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    p.tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    p.udp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    p.lso_v2_ipv4 = NDIS_OFFLOAD_PARAMETERS.LSOV2_ENABLED;
  } else {
    const q = yield* queryDevice(ndev, dev, nvdev, OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES, NDIS_OFFLOAD_SIZE);
    if (q.ret !== 0) return q.ret;
    const caps = decodeNdisOffloadInfo(q.data);
    if (caps.header.type !== NDIS_OBJECT_TYPE.OFFLOAD || caps.header.revision < 1 || caps.header.size > q.data.length || caps.header.size < NDIS_OFFLOAD_SIZE_6_0) {
      ndev.warn('HWCAPS_INVALID', { detail: `type ${caps.header.type} rev ${caps.header.revision} size ${caps.header.size}` });
      return 'EINVAL';
    }
    p.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_DISABLED;
    if ((caps.csum.ip4_txcsum & NDIS_TXCSUM_ALL_TCP4) === NDIS_TXCSUM_ALL_TCP4) {
      p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
      if (caps.lsov2.ip4_encap & NDIS_OFFLOAD_ENCAP['8023']) p.lso_v2_ipv4 = NDIS_OFFLOAD_PARAMETERS.LSOV2_ENABLED;
      if (caps.csum.ip4_txcsum & NDIS_CSUM_CAP.UDP4) p.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    }
    if ((caps.csum.ip6_txcsum & NDIS_TXCSUM_ALL_TCP6) === NDIS_TXCSUM_ALL_TCP6) {
      p.tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
      if (caps.lsov2.ip6_encap & NDIS_OFFLOAD_ENCAP['8023'] && (caps.lsov2.ip6_opts & NDIS_LSOV2_CAP.IP6) === NDIS_LSOV2_CAP.IP6) {
        p.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMETERS.LSOV2_ENABLED;
      }
      if (caps.csum.ip6_txcsum & NDIS_CSUM_CAP.UDP6) p.udp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS.TX_RX_ENABLED;
    }
    ndev.hwLro = caps.rsc.ip4 !== 0 && caps.rsc.ip6 !== 0;
    if (ndev.hwLro) {
      const on = ndev.featureLro;
      p.rsc_ip_v4 = on ? NDIS_OFFLOAD_PARAMETERS.RSC_ENABLED : NDIS_OFFLOAD_PARAMETERS.RSC_DISABLED;
      p.rsc_ip_v6 = p.rsc_ip_v4;
    } else {
      ndev.featureLro = false;
    }
  }
  // rndis_filter_set_offload_params: 22 bytes (no UDP checksums) for NVSP ≤ 4
  const small = nvdev.nvspVersion <= NVSP_PROTOCOL_VERSION_4;
  const s = yield* setRequest(ndev, dev, nvdev, (id) => rndisOffloadParametersSetRequest(id, p, small ? VERSION_4_OFFLOAD_SIZE : 28), OID.TCP_OFFLOAD_PARAMETERS);
  if (s.ret !== 0) return s.ret;
  if (s.status !== RNDIS_STATUS.SUCCESS) {
    ndev.warn('OFFLOAD_SET_FAILED', { detail: s.status });
    return 'EINVAL';
  }
  return 0;
}

/** `rndis_set_rss_param_msg`: one RSS SET with `rx_table` and `key`; remembers the key when it enabled RSS. */
function* setRssParamMsg(ndev: NetvscNetdev, dev: RndisDevice, nvdev: NetvscDevice, key: Uint8Array, flag: number, table: ArrayLike<number>): BlockingFlow<NetvscResult> {
  const params = rssParameters({ indirection_table: table, hash_key: key.slice(), flag });
  const s = yield* setRequest(ndev, dev, nvdev, (id) => rndisRssSetRequest(id, params), OID.GEN_RECEIVE_SCALE_PARAMETERS);
  if (s.ret !== 0) return s.ret;
  if (s.status === RNDIS_STATUS.SUCCESS) {
    if (!(flag & NDIS_RSS_PARAM_FLAG.DISABLE_RSS) && !(flag & NDIS_RSS_PARAM_FLAG.HASH_KEY_UNCHANGED)) dev.rssKey.set(key);
    return 0;
  }
  ndev.warn('RSS_SET_FAILED', { detail: s.status });
  return 'EINVAL';
}

/** `rndis_filter_set_rss_param`: DISABLE first (result ignored), then enable; returns the second. */
export function* rndisFilterSetRssParam(ndev: NetvscNetdev, nvdev: NetvscDevice, key: Uint8Array): BlockingFlow<NetvscResult> {
  const dev = nvdev.extension!;
  const table = ndev.rxTable ?? new Uint16Array(0);
  if (nvdev.profile.rssDisableFirst) yield* setRssParamMsg(ndev, dev, nvdev, key, NDIS_RSS_PARAM_FLAG.DISABLE_RSS, table);
  return yield* setRssParamMsg(ndev, dev, nvdev, key, 0, table);
}

// ---------------------------------------------------------------------------------------------
// Subchannels

/**
 * `netvsc_sc_open`: the subchannel-offer callback. Ignored when there is no device or the index is
 * not below `num_chn` (read now); otherwise the channel takes its slot, is opened, and — opened or
 * not — counted in `open_chn` (6.1). 4.2 stores it only when the open succeeded and counts nothing.
 */
function* scOpen(ndev: NetvscNetdev, sub: GuestChannel): BlockingFlow<void> {
  const nvdev = ndev.nvdev;
  const idx = sub.subChannelIndex;
  if (!nvdev || idx >= nvdev.numChn || idx >= VRSS_CHANNEL_MAX) return;
  const nvchan = nvdev.chanTable[idx]!;
  const v61 = nvdev.profile.subchannels === 'linux-6.1';
  if (v61) nvchan.channel = sub;
  const r = yield* wait(nvdev.guest.open(sub, nvdev.openOptions(nvchan)));
  if (r.ok) {
    nvchan.napiEnabled = true;
    if (!v61) nvchan.channel = sub;
  } else {
    ndev.warn('SUBCHANNEL_OPEN_FAILED', { queue: idx, detail: r.error });
  }
  if (v61 && ++nvdev.openChn === nvdev.numChn) nvdev.subchanOpen.wake();
}

/**
 * `rndis_set_subchannel` (6.1): NVSP SUBCHANNEL ALLOCATE for num_chn − 1, then the checks of §4.3,
 * the wait for every granted offer, tx_table, RSS (failures ignored) and the real queue counts.
 */
export function* rndisSetSubchannel(ndev: NetvscNetdev, nvdev: NetvscDevice, info: NetvscDeviceInfo | null): BlockingFlow<NetvscResult> {
  const want = nvdev.numChn - 1;
  const ret = nvdev.sendControl({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: want }, true, nvdev.initPktAddr);
  if (ret !== 0) {
    ndev.warn('SUBCHANNEL_SEND_FAILED', { detail: ret });
    return ret;
  }
  ndev.stats.subchannelRequests++;
  ndev.stats.subchannelsAsked += want;
  yield* nvdev.channelInitWait.wait();
  const p = nvdev.channelInitPkt;
  if (rd32(p, 4) !== NVSP_STAT_SUCCESS) {
    ndev.warn('SUBCHANNEL_REQUEST_FAILED', { detail: rd32(p, 4) });
    return 'EIO';
  }
  const granted = rd32(p, 8);
  if (granted > want) {
    ndev.warn('SUBCHANNEL_INVALID_COUNT', { detail: granted });
    return 'EINVAL';
  }
  ndev.stats.subchannelsGranted += granted;
  nvdev.numChn = 1 + granted;
  yield* nvdev.subchanOpen.waitEvent(() => nvdev.openChn === nvdev.numChn);
  for (let i = 0; i < VRSS_SEND_TAB_SIZE; i++) ndev.txTable[i] = i % nvdev.numChn;
  yield* rndisFilterSetRssParam(ndev, nvdev, info ? info.rssKey : netvscHashKey());
  ndev.realNumTxQueues = nvdev.numChn;
  ndev.realNumRxQueues = nvdev.numChn;
  return 0;
}

/**
 * 4.2's subchannel setup inside device add (recollection): request, 5 s wait, refusal or timeout
 * make the device single-channel; a grant is taken as is; one RSS SET over 128 entries; offers are
 * opened whenever they arrive, without waiting for them.
 */
function* subchannels42(ndev: NetvscNetdev, nvdev: NetvscDevice): BlockingFlow<NetvscResult> {
  const want = nvdev.numChn - 1;
  let ret = nvdev.sendControl({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: want }, true, nvdev.initPktAddr);
  if (ret !== 0) return ret;
  ndev.stats.subchannelRequests++;
  ndev.stats.subchannelsAsked += want;
  if (!(yield* nvdev.channelInitWait.waitTimeout(nvdev.profile.requestTimeoutNs ?? 5_000_000_000))) {
    ndev.warn('SUBCHANNEL_TIMEOUT');
    return 'ETIMEDOUT';
  }
  const p = nvdev.channelInitPkt;
  if (rd32(p, 4) !== NVSP_STAT_SUCCESS) {
    ndev.warn('SUBCHANNEL_REQUEST_FAILED', { detail: rd32(p, 4) });
    return 'ENODEV';
  }
  const granted = rd32(p, 8);
  ndev.stats.subchannelsGranted += granted;
  nvdev.numChn = 1 + granted;
  const table = new Uint16Array(ITAB_NUM);
  for (let i = 0; i < ITAB_NUM; i++) table[i] = i % nvdev.numChn;
  ret = yield* setRssParamMsg(ndev, nvdev.extension!, nvdev, netvscHashKey(), 0, table);
  return ret;
}

// ---------------------------------------------------------------------------------------------
// Device add / remove

/**
 * `rndis_filter_device_add`: netvsc_device_add, then the RNDIS bring-up (§4.2 step 8) and the
 * channel counts. Returns the device or the first error (after removing what was built).
 */
export function* rndisFilterDeviceAdd(ndev: NetvscNetdev, info: NetvscDeviceInfo): BlockingFlow<NetvscDevice | NetvscErrno> {
  const dev = new RndisDevice();
  const added = yield* NetvscDevice.add(ndev, info);
  if (typeof added === 'string') return added;
  const nvdev = added;
  nvdev.maxChn = 1;
  nvdev.numChn = 1;
  nvdev.extension = dev;
  const bail = function* (ret: NetvscErrno): BlockingFlow<NetvscErrno> {
    yield* rndisFilterDeviceRemove(ndev, nvdev);
    return ret;
  };
  let ret = yield* initDevice(ndev, dev, nvdev);
  if (ret !== 0) return yield* bail(ret);
  const v61 = nvdev.profile.bringup === 'linux-6.1';
  if (v61) {
    const mtu = yield* queryDevice(ndev, dev, nvdev, OID.GEN_MAXIMUM_FRAME_SIZE, 4);
    if (mtu.ret === 0 && mtu.data.length === 4 && rd32(mtu.data, 0) < ndev.mtu) ndev.mtu = rd32(mtu.data, 0);
  }
  const mac = yield* queryDevice(ndev, dev, nvdev, OID['802_3_PERMANENT_ADDRESS'], 6);
  if (mac.ret !== 0) return yield* bail(mac.ret);
  dev.hwMacAdr.fill(0);
  dev.hwMacAdr.set(mac.data);
  info.mac = Uint8Array.from(dev.hwMacAdr);
  if (v61 && ndev.ifalias === null) {
    const name = yield* queryDevice(ndev, dev, nvdev, OID.GEN_FRIENDLY_NAME, 512);
    if (name.ret === 0 && name.data.length > 0) {
      const text = ucs2ToString(name.data);
      if (text !== 'Network Adapter') ndev.ifalias = text;
    }
  }
  ret = yield* setHwcaps(ndev, dev, nvdev);
  if (ret !== 0) return yield* bail(ret);
  yield* queryDevice(ndev, dev, nvdev, OID.GEN_MEDIA_CONNECT_STATUS, 4);
  if (nvdev.nvspVersion < NVSP_PROTOCOL_VERSION_5) return out();
  if (v61) {
    const speed = yield* queryDevice(ndev, dev, nvdev, OID.GEN_LINK_SPEED, 4);
    if (speed.ret === 0) ndev.speed = Math.floor(rd32(pad4(speed.data), 0) / 10000);
  }
  const caps = yield* queryDevice(ndev, dev, nvdev, OID.GEN_RECEIVE_SCALE_CAPABILITIES, 18);
  const capBytes = new Uint8Array(18);
  capBytes.set(caps.data.subarray(0, 18));
  const numRecvQue = rd32(capBytes, 12);
  const numTabent = capBytes[16]! | (capBytes[17]! << 8);
  if (caps.ret !== 0 || numRecvQue < 2) return out();

  if (nvdev.profile.channels === 'linux-4.2') {
    // 59995370dbca: max_chn is the host's raw queue count; 8ebdcc52b9b8: the default channel count
    nvdev.maxChn = numRecvQue;
    const d = ndev.driver;
    nvdev.numChn = info.numChn && info.numChn < nvdev.maxChn ? info.numChn : Math.min(d.numaNodeCpus, Math.min(8, numRecvQue));
    if (nvdev.numChn === 1) return nvdev;
    primaryScCallback(ndev, nvdev);
    const r = yield* subchannels42(ndev, nvdev);
    if (r !== 0) return out();
    ndev.realNumTxQueues = nvdev.numChn;
    ndev.realNumRxQueues = nvdev.numChn;
    return nvdev;
  }

  ndev.rxTableSz = numTabent && numTabent <= ITAB_NUM_MAX ? numTabent : ITAB_NUM;
  ndev.rxTable = new Uint16Array(ndev.rxTableSz);
  const possible = Math.min(ndev.driver.vcpus, numRecvQue);
  nvdev.maxChn = Math.min(VRSS_CHANNEL_MAX, possible);
  nvdev.numChn = Math.min(nvdev.maxChn, info.numChn);
  if (!ndev.rxfhConfigured) for (let i = 0; i < ndev.rxTableSz; i++) ndev.rxTable[i] = i % nvdev.numChn;
  nvdev.openChn = 1;
  primaryScCallback(ndev, nvdev);
  for (let i = 1; i < nvdev.numChn; i++) nvdev.allocRecvCompRing(i);
  for (let i = 1; i < nvdev.numChn; i++) nvdev.chanTable[i]!.napiAdded = true;
  return nvdev;

  function out(): NetvscDevice {
    nvdev.maxChn = 1;
    nvdev.numChn = 1;
    return nvdev;
  }
}

/** `vmbus_set_sc_create_callback(dev->channel, netvsc_sc_open)`. */
function primaryScCallback(ndev: NetvscNetdev, nvdev: NetvscDevice): void {
  nvdev.primary.scCreationCallback = (sub) => spawn(scOpen(ndev, sub));
}

/** `rndis_filter_device_remove`: HALT and drain, netvsc_device_remove, rx_table freed. */
export function* rndisFilterDeviceRemove(ndev: NetvscNetdev, nvdev: NetvscDevice): BlockingFlow<void> {
  yield* haltDevice(ndev, nvdev, nvdev.extension!);
  yield* nvdev.remove();
  ndev.rxTableSz = 0;
  ndev.rxTable = null;
}

// ---------------------------------------------------------------------------------------------
// Receive: rndis_filter_receive

/**
 * `rndis_filter_receive`: one RNDIS message in a transfer range. Returns the NVSP status of the
 * range (FAIL makes the packet's receive completion FAIL).
 */
export function rndisFilterReceive(ndev: NetvscNetdev, nvdev: NetvscDevice, nvchan: NetvscChannel, data: Uint8Array): number {
  const buflen = data.length;
  if (buflen < 8) {
    ndev.warn('RNDIS_MSG_TOO_SHORT', { queue: nvchan.index, detail: buflen });
    return NVSP_STAT_FAIL;
  }
  const type = rd32(data, 0);
  const msgLen = rd32(data, 4);
  if (msgLen < 8 || buflen < msgLen) {
    ndev.warn('RNDIS_BAD_MSG_LEN', { queue: nvchan.index, detail: msgLen });
    return NVSP_STAT_FAIL;
  }
  ndev.countReceived(rndisMsgTypeName(type));
  switch (type) {
    case RNDIS_MSG.PACKET:
      return receiveData(ndev, nvchan, data);
    case RNDIS_MSG.INIT_C:
    case RNDIS_MSG.QUERY_C:
    case RNDIS_MSG.SET_C:
      receiveResponse(ndev, nvdev, nvchan, data, msgLen);
      return NVSP_STAT_SUCCESS;
    case RNDIS_MSG.INDICATE:
      ndev.linkstatusCallback(data, msgLen, buflen);
      return NVSP_STAT_SUCCESS;
    default:
      ndev.warn('RNDIS_UNHANDLED_TYPE', { queue: nvchan.index, detail: rndisMsgTypeName(type) });
      return NVSP_STAT_FAIL;
  }
}

/** `rndis_filter_receive_response`: match by request id, copy (or flag overflow), complete. */
function receiveResponse(ndev: NetvscNetdev, nvdev: NetvscDevice, nvchan: NetvscChannel, data: Uint8Array, msgLen: number): void {
  const dev = nvdev.extension;
  if (!dev) {
    ndev.warn('OOPS', { queue: nvchan.index, detail: 'RNDIS reply before the RNDIS device exists' });
    nvchan.hung = true;
    return;
  }
  if (dev.state === RNDIS_DEV.UNINITIALIZED) {
    ndev.warn('RNDIS_RESPONSE_UNINITIALIZED', { queue: nvchan.index });
    return;
  }
  if (msgLen - 8 < 4) {
    ndev.warn('RNDIS_RESPONSE_TOO_SHORT', { queue: nvchan.index, detail: msgLen });
    return;
  }
  const reqId = rd32(data, 8);
  const req = dev.reqList.find((r) => r.reqId === reqId);
  if (!req) {
    ndev.warn('RNDIS_RESPONSE_UNMATCHED', { queue: nvchan.index, detail: reqId });
    return;
  }
  if (msgLen <= RNDIS_MESSAGE_STRUCT_SIZE + RNDIS_EXT_LEN) {
    req.response.set(data.subarray(0, msgLen));
    if (req.msgType === RNDIS_MSG.QUERY && req.oid === OID.GEN_MEDIA_CONNECT_STATUS) setLinkState(dev, req);
  } else {
    ndev.warn('RNDIS_RESPONSE_OVERFLOW', { queue: nvchan.index, detail: msgLen });
    wr32(req.response, 12, RNDIS_STATUS.BUFFER_OVERFLOW);
  }
  req.waitEvent.complete();
}

/** `rndis_set_link_state`: a valid MEDIA_CONNECT_STATUS reply sets link_state = (value ≠ 0). */
function setLinkState(dev: RndisDevice, req: RndisRequest): void {
  const r = req.response;
  const body = (req.responseLen - 8) >>> 0;
  if (body < 16) return;
  const status = rd32(r, 12);
  const buflen = rd32(r, 16);
  const off = rd32(r, 20);
  if (status === RNDIS_STATUS.SUCCESS && buflen >= 4 && off >= 16 && body >= off && body - off >= buflen) {
    dev.linkState = rd32(r, 8 + off) !== 0;
  }
}

/** `rndis_filter_receive_data`: bounds, PPIs, RSC fragments, then up the stack. */
function receiveData(ndev: NetvscNetdev, nvchan: NetvscChannel, data: Uint8Array): number {
  const buflen = data.length;
  const q = nvchan.index;
  if (buflen < 8 + 36) {
    ndev.warn('RNDIS_PKT_TOO_SHORT', { queue: q, detail: buflen });
    return NVSP_STAT_FAIL;
  }
  const dataOffsetField = rd32(data, 8);
  const dataLen = rd32(data, 12);
  if (dataOffsetField >= buflen - 8) {
    ndev.warn('RNDIS_PKT_BAD_DATA_OFFSET', { queue: q, detail: dataOffsetField });
    return NVSP_STAT_FAIL;
  }
  const dataOffset = 8 + dataOffsetField;
  if (buflen - dataOffset < dataLen) {
    ndev.warn('RNDIS_PKT_DATA_OVERFLOW', { queue: q, detail: dataLen });
    return NVSP_STAT_FAIL;
  }
  // rndis_get_ppi validates the block on each of its four lookups, logging each time (so a bad
  // block is four log lines per packet); the walk can loop forever
  // per_pkt_info_offset / per_pkt_info_len: body offsets 20 and 24 (absolute 28, 32)
  const ppiOff = rd32(data, 8 + 20);
  const ppiLen = rd32(data, 8 + 24);
  const rpktLen = buflen - 8;
  const badBlock = ppiOff !== 0 && (ppiOff < 36 || ppiOff > rpktLen || ppiLen < 12 || ppiLen > rpktLen - ppiOff);
  const lookups: [number, boolean][] = [
    [IEEE_8021Q_INFO, false],
    [TCPIP_CHKSUM_PKTINFO, false],
    [NBL_HASH_VALUE, false],
    [RNDIS_PKTINFO_ID, true],
  ];
  let pktinfo: Uint8Array | null = null;
  for (const [type, internal] of lookups) {
    if (badBlock) {
      ndev.warn('RNDIS_PPI_INVALID', { queue: q, detail: `${ppiOff}/${ppiLen}` });
      continue;
    }
    const r = linuxGetPpi(data, type, internal, 4);
    if (r.result === 'hang') {
      ndev.warn('RNDIS_PPI_INFINITE_LOOP', { queue: q, detail: r.at });
      nvchan.hung = true;
      return NVSP_STAT_FAIL;
    }
    if (r.result === 'overread') ndev.warn('RNDIS_PPI_INVALID', { queue: q, detail: `overread at ${r.at}` });
    if (r.result === 'found' && type === RNDIS_PKTINFO_ID && internal) pktinfo = r.value;
  }
  let rscMore = false;
  const flag = pktinfo ? pktinfo[1]! : 0;
  if (pktinfo && flag & RNDIS_PKTINFO.SUBALLOC) {
    if (flag & RNDIS_PKTINFO['1ST_FRAG']) nvchan.rscCnt = 0;
    else if (nvchan.rscCnt === 0) {
      ndev.warn('RNDIS_RSC_DROP', { queue: q, detail: 'fragment without a first' });
      return NVSP_STAT_FAIL;
    }
    rscMore = !(flag & RNDIS_PKTINFO.LAST_FRAG);
    if (rscMore && nvchan.rscIsLast) {
      ndev.warn('RNDIS_RSC_DROP', { queue: q, detail: 'more fragments after the last range' });
      return NVSP_STAT_FAIL;
    }
  } else {
    nvchan.rscCnt = 0;
  }
  if (nvchan.rscCnt >= NVSP_RSC_MAX) {
    ndev.warn('RNDIS_RSC_DROP', { queue: q, detail: 'too many fragments' });
    return NVSP_STAT_FAIL;
  }
  const frag = data.slice(dataOffset, dataOffset + dataLen);
  if (nvchan.rscCnt === 0) {
    nvchan.rscFrags = [];
    nvchan.rscPktlen = dataLen;
  } else {
    nvchan.rscPktlen += dataLen;
  }
  nvchan.rscFrags.push(frag);
  nvchan.rscCnt++;
  if (rscMore) return NVSP_STAT_SUCCESS;
  const ret = ndev.recvCallback(nvchan);
  nvchan.rscCnt = 0;
  return ret;
}

function pad4(b: Uint8Array): Uint8Array {
  if (b.length >= 4) return b;
  const o = new Uint8Array(4);
  o.set(b);
  return o;
}

/** `ucs2_as_utf8` of a host FRIENDLY_NAME (UTF-16LE, stops at a NUL), as text. */
function ucs2ToString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = b[i]! | (b[i + 1]! << 8);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}
