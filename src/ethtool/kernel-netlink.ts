/**
 * The kernel side of the ethtool generic-netlink family for CHANNELS_GET (request, dump) and
 * CHANNELS_SET, over message bytes: a request goes in, the datagrams the socket would deliver come
 * out (replies, then an `NLMSG_ERROR` ack or `NLMSG_DONE`).
 *
 * Linux 6.1: net/netlink/genetlink.c (GENL_UNS_ADMIN_PERM before anything else), net/ethtool/
 * netlink.c (`ethnl_parse_header_dev_get`, `ethnl_ops_begin`, `ethnl_default_doit`,
 * `ethnl_default_dumpit`), net/ethtool/channels.c (`channels_prepare_data`, `channels_fill_reply`,
 * `ethnl_set_channels`).
 * @module
 */
import type { ChannelKind, EthtoolChannels, EthtoolDevice, EthtoolSystem } from './device.js';
import { zeroChannels } from './device.js';
import type { Errno } from './errno.js';
import { errnoNumber } from './errno.js';
import { EXTACK, checkSetChannels } from './kernel-core.js';
import {
  ETHTOOL_A_CHANNELS_COMBINED_COUNT,
  ETHTOOL_A_CHANNELS_COMBINED_MAX,
  ETHTOOL_A_CHANNELS_COUNT_OF,
  ETHTOOL_A_CHANNELS_HEADER,
  ETHTOOL_A_CHANNELS_OTHER_COUNT,
  ETHTOOL_A_CHANNELS_OTHER_MAX,
  ETHTOOL_A_CHANNELS_RX_COUNT,
  ETHTOOL_A_CHANNELS_RX_MAX,
  ETHTOOL_A_CHANNELS_TX_COUNT,
  ETHTOOL_A_CHANNELS_TX_MAX,
  ETHTOOL_A_HEADER_DEV_INDEX,
  ETHTOOL_A_HEADER_DEV_NAME,
  ETHTOOL_GENL_FAMILY_ID,
  ETHTOOL_GENL_VERSION,
  ETHTOOL_MSG_CHANNELS_GET,
  ETHTOOL_MSG_CHANNELS_GET_REPLY,
  ETHTOOL_MSG_CHANNELS_SET,
  GENL_HDRLEN,
  NLMSG_HDRLEN,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NlMsgBuilder,
  type ExtAck,
  type NlAttr,
  attrString,
  attrTable,
  attrU32,
  buildAck,
  buildDone,
  nlmsghdr,
  parseAttrs,
  genlmsghdr,
} from './nlmsg.js';

/** Options of the simulated netlink socket. */
export interface NetlinkKernelOptions {
  /** The caller holds CAP_NET_ADMIN (default: the system's `capNetAdmin`, else true). */
  readonly capNetAdmin?: boolean;
  /** The sender's port id, echoed in replies (default 0). */
  readonly portId?: number;
}

/** NETDEV_HASHENTRIES (include/linux/netdevice.h: 1 << NETDEV_HASHBITS, 8 bits). */
const NETDEV_HASHENTRIES = 256;

/**
 * The order `ethnl_default_dumpit` visits devices: hash bucket by bucket (`ifindex & 255`), and
 * within a bucket newest first (`list_netdevice` adds at the head); newer is taken to mean a higher
 * ifindex. For fewer than 256 devices with ifindex < 256 this is ascending ifindex.
 */
export function dumpOrder(devices: Iterable<EthtoolDevice>): EthtoolDevice[] {
  return [...devices].sort((a, b) => (a.ifindex % NETDEV_HASHENTRIES) - (b.ifindex % NETDEV_HASHENTRIES) || b.ifindex - a.ifindex);
}

type Failure = { readonly errno: Errno; readonly extack?: ExtAck };

/** `ethnl_parse_header_dev_get`: the device a request header names, or the failure with its extended ack. */
function headerDevice(system: EthtoolSystem, header: NlAttr | undefined, requireDev: boolean): EthtoolDevice | undefined | Failure {
  if (!header) return { errno: 'EINVAL', extack: { msg: EXTACK.headerMissing } };
  const attrs = parseAttrs(header.payload, 0, header.payload.length);
  if (!attrs) return { errno: 'EINVAL' };
  // Offsets inside the nest are relative to its payload; make them message-relative.
  const base = header.offset + 4;
  const tb = attrTable(attrs);
  const nameAttr = tb.get(ETHTOOL_A_HEADER_DEV_NAME);
  const indexAttr = tb.get(ETHTOOL_A_HEADER_DEV_INDEX);
  if (indexAttr) {
    const ifindex = attrU32(indexAttr);
    if (ifindex === undefined) return { errno: 'EINVAL' };
    const dev = [...system.devices()].find((d) => d.ifindex === ifindex);
    if (!dev) return { errno: 'ENODEV', extack: { msg: EXTACK.noDeviceIndex, offset: base + indexAttr.offset } };
    if (nameAttr && attrString(nameAttr) !== dev.name) return { errno: 'ENODEV', extack: { msg: EXTACK.nameIndexMismatch, offset: header.offset } };
    return dev;
  }
  if (nameAttr) {
    const dev = system.lookup(attrString(nameAttr));
    if (!dev) return { errno: 'ENODEV', extack: { msg: EXTACK.noDeviceName, offset: base + nameAttr.offset } };
    return dev;
  }
  if (requireDev) return { errno: 'EINVAL', extack: { msg: EXTACK.noDevice, offset: header.offset } };
  return undefined;
}

const isFailure = (x: unknown): x is Failure => typeof x === 'object' && x !== null && 'errno' in x;

/** `channels_prepare_data`: the device's channels, or the errno (no op ⇒ EOPNOTSUPP, not present ⇒ ENODEV). */
function prepare(dev: EthtoolDevice): EthtoolChannels | Errno {
  if (!dev.getChannels) return 'EOPNOTSUPP';
  if (!dev.present) return 'ENODEV';
  return { ...zeroChannels(), ...dev.getChannels() };
}

/** A CHANNELS_GET_REPLY: header nest (index, name), then MAX/COUNT pairs whose MAX is non-zero (`channels_fill_reply`). */
function buildReply(dev: EthtoolDevice, ch: EthtoolChannels, seq: number, flags: number, portId: number): Uint8Array {
  const b = new NlMsgBuilder(ETHTOOL_GENL_FAMILY_ID, flags, seq, portId).genl(ETHTOOL_MSG_CHANNELS_GET_REPLY, ETHTOOL_GENL_VERSION);
  const nest = b.nestStart(ETHTOOL_A_CHANNELS_HEADER);
  b.putU32(ETHTOOL_A_HEADER_DEV_INDEX, dev.ifindex);
  b.putStrz(ETHTOOL_A_HEADER_DEV_NAME, dev.name);
  b.nestEnd(nest);
  const pairs: [number, number, number, number][] = [
    [ch.max_rx, ETHTOOL_A_CHANNELS_RX_MAX, ETHTOOL_A_CHANNELS_RX_COUNT, ch.rx_count],
    [ch.max_tx, ETHTOOL_A_CHANNELS_TX_MAX, ETHTOOL_A_CHANNELS_TX_COUNT, ch.tx_count],
    [ch.max_other, ETHTOOL_A_CHANNELS_OTHER_MAX, ETHTOOL_A_CHANNELS_OTHER_COUNT, ch.other_count],
    [ch.max_combined, ETHTOOL_A_CHANNELS_COMBINED_MAX, ETHTOOL_A_CHANNELS_COMBINED_COUNT, ch.combined_count],
  ];
  for (const [max, maxAttr, countAttr, count] of pairs) {
    if (max >>> 0 === 0) continue;
    b.putU32(maxAttr, max).putU32(countAttr, count);
  }
  return b.finish();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + ((p.length + 3) & ~3), 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += (p.length + 3) & ~3;
  }
  return out;
}

/**
 * Handles one request message sent to the ethtool family and returns the datagrams the socket
 * delivers, in order. Understands CHANNELS_GET (with and without NLM_F_DUMP) and CHANNELS_SET;
 * anything else is answered EOPNOTSUPP, malformed framing EINVAL.
 */
export function ethnlRequest(system: EthtoolSystem, request: Uint8Array, options: NetlinkKernelOptions = {}): Uint8Array[] {
  const portId = options.portId ?? 0;
  const cap = options.capNetAdmin ?? system.capNetAdmin ?? true;
  if (request.length < NLMSG_HDRLEN + GENL_HDRLEN) return [];
  const hdr = nlmsghdr.decode(request, 0);
  if (hdr.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN || hdr.nlmsg_len > request.length) return [];
  const msg = request.subarray(0, hdr.nlmsg_len);
  const ack = (errno: Errno | 0, extack?: ExtAck): Uint8Array => buildAck(msg, errno === 0 ? 0 : errnoNumber(errno), extack, portId);
  if (hdr.nlmsg_type !== ETHTOOL_GENL_FAMILY_ID) return [ack('ENOENT')];
  const { cmd } = genlmsghdr.decode(msg, NLMSG_HDRLEN);
  const attrs = parseAttrs(msg, NLMSG_HDRLEN + GENL_HDRLEN, msg.length);
  if (!attrs) return [ack('EINVAL')];
  const tb = attrTable(attrs);

  if (cmd === ETHTOOL_MSG_CHANNELS_GET && (hdr.nlmsg_flags & NLM_F_DUMP) === NLM_F_DUMP) {
    // ethnl_default_start parses the header too (a named device must exist), then ignores the device.
    const header = tb.get(ETHTOOL_A_CHANNELS_HEADER);
    if (header) {
      const d = headerDevice(system, header, false);
      if (isFailure(d)) return [ack(d.errno, d.extack)];
    }
    system.rtnlLock?.(); // ethnl_default_dumpit walks the devices under RTNL
    const replies: Uint8Array[] = [];
    for (const dev of dumpOrder(system.devices())) {
      const ch = prepare(dev);
      if (ch === 'EOPNOTSUPP') continue;
      if (typeof ch === 'string') {
        // The dump stops at the failing device: what was collected goes out, then NLMSG_DONE with the error.
        return replies.length > 0 ? [concat(replies), buildDone(hdr.nlmsg_seq, errnoNumber(ch), portId)] : [buildDone(hdr.nlmsg_seq, errnoNumber(ch), portId)];
      }
      replies.push(buildReply(dev, ch, hdr.nlmsg_seq, NLM_F_MULTI, portId));
    }
    return [concat([...replies, buildDone(hdr.nlmsg_seq, 0, portId)])];
  }

  if (cmd === ETHTOOL_MSG_CHANNELS_GET) {
    // GENL_REQ_ATTR_CHECK: a missing header only marks the missing attribute (no message text).
    if (!tb.has(ETHTOOL_A_CHANNELS_HEADER)) return [ack('EINVAL')];
    const d = headerDevice(system, tb.get(ETHTOOL_A_CHANNELS_HEADER), true);
    if (isFailure(d)) return [ack(d.errno, d.extack)];
    const dev = d!;
    system.rtnlLock?.(); // ethnl_default_doit: prepare_data runs under RTNL
    const ch = prepare(dev);
    if (typeof ch === 'string') return [ack(ch)];
    return [buildReply(dev, ch, hdr.nlmsg_seq, 0, portId), ack(0)];
  }

  if (cmd === ETHTOOL_MSG_CHANNELS_SET && (hdr.nlmsg_flags & NLM_F_DUMP) === 0) {
    // GENL_UNS_ADMIN_PERM: checked by genetlink before the handler runs.
    if (!cap) return [ack('EPERM')];
    const d = headerDevice(system, tb.get(ETHTOOL_A_CHANNELS_HEADER), true);
    if (isFailure(d)) return [ack(d.errno, d.extack)];
    const dev = d!;
    if (!dev.getChannels || !dev.setChannels) return [ack('EOPNOTSUPP')];
    system.rtnlLock?.(); // ethnl_set_channels takes RTNL before ethnl_ops_begin
    if (!dev.present) return [ack('ENODEV')];
    const cur = { ...zeroChannels(), ...dev.getChannels() };
    const next = { ...cur };
    let mod = false;
    let modCombined = false;
    const given: Partial<Record<ChannelKind, NlAttr>> = {};
    for (const kind of ['rx', 'tx', 'other', 'combined'] as const) {
      const a = tb.get(ETHTOOL_A_CHANNELS_COUNT_OF[kind]);
      if (!a) continue;
      const v = attrU32(a);
      if (v === undefined) return [ack('EINVAL')];
      given[kind] = a;
      const field = `${kind}_count` as const;
      // ethnl_update_u32: "modified" only when the value differs
      if ((next[field] >>> 0) !== v) {
        next[field] = v;
        if (kind === 'combined') modCombined = true;
        else mod = true;
      }
    }
    if (!mod && !modCombined) return [ack(0)];
    const refusal = checkSetChannels(dev, next, cur, 'netlink');
    if (refusal) {
      switch (refusal.reason) {
        case 'exceeds-max': {
          const a = given[refusal.kind];
          return [ack('EINVAL', { msg: EXTACK.exceedsMax, ...(a ? { offset: a.offset } : {}) })];
        }
        case 'no-rx-tx': {
          const a = modCombined ? given.combined : given[refusal.kind];
          return [ack('EINVAL', { msg: EXTACK.noRxTx, ...(a ? { offset: a.offset } : {}) })];
        }
        case 'indir-table':
          return [ack('EINVAL', { msg: EXTACK.indirTable })];
        case 'xsk':
          return [ack('EINVAL', { msg: EXTACK.xsk })];
        case 'rxfh-error':
          return [ack(refusal.errno)];
      }
    }
    const rc = dev.setChannels(next);
    return [ack(rc)];
  }

  // Unknown commands, and a dump of CHANNELS_SET (it has no dumpit), are refused by genetlink.
  return [ack('EOPNOTSUPP')];
}
