/**
 * The simulated NetVSP under a hostile guest: a cycle of ten malformed or forbidden guest messages
 * (subchannel request at the queue limit, OID_QUERY_EX, an RNDIS QUERY whose buffer offset points
 * outside the message, a data packet whose data lies outside it, a data-packet header split across
 * two pages, an INDICATE from the guest, a SET of OID_SWITCH_NIC_REQUEST, RSS SETs with a zero-size
 * table and an entry past the queue count, a config parameter with a non-digit value) goes through
 * the host's dispatch: decode, validate, refuse, write the failure completion or RNDIS answer into
 * the host→guest ring. The host→guest ring is drained (and the control sections given back, as a
 * guest would) whenever it is half full. The baseline decodes the same bytes alone (VMBus packet,
 * NVSP message, RNDIS message), so the ratio is what the host adds on top of parsing.
 * `extras` reports the absolute rate of hostile messages per second (goal ≥ 200,000).
 */
import type { BenchSuite } from './harness.js';
import { createBus } from '../src/vmbus/bus.js';
import { HV_NIC_GUID } from '../src/vmbus/guids.js';
import type { GuestChannel } from '../src/vmbus/linux-vmbus.js';
import { GuestMemory, type GuestBuffer } from '../src/vmbus/memory.js';
import { decodePacket, vmbusPacket, type VmbusPacket } from '../src/vmbus/packet.js';
import { RingConsumer } from '../src/vmbus/ring.js';
import { decodeNvsp, encodeNvsp, linuxNdisConfigCapability, type NvspMessage } from '../src/protocol/nvsp.js';
import { decodeRndis, encodeRndis, rndisInitRequest, rndisQueryRequest, rndisSetRequest } from '../src/protocol/rndis.js';
import { encodeRndisDataPacket, rndisConfigParameterSetRequest } from '../src/protocol/rndis-builders.js';
import { encodeRssParameters, rssParameters, utf16leEncode } from '../src/protocol/ndis.js';
import { OID } from '../src/protocol/oids.js';
import { createNetvspHost, type NetvspHost } from '../src/host/netvsp.js';
import { netvspBuildFrame } from '../src/host/frame.js';

const RING = 128 * 4096;

interface Rig {
  readonly host: NetvspHost;
  readonly ch: GuestChannel;
  readonly messages: { packet: Uint8Array; rndis: Uint8Array | null }[];
  /** Reads everything the host wrote; gives receive sections back. Returns packets read. */
  drain(): number;
}

/** The guest's receive completion ({108, SUCCESS}) for a transfer-page packet, framed (one buffer, id patched). */
const completionPacket = vmbusPacket.encode({ kind: 'completion', flags: 0, trans_id: 0n, payload: new Uint8Array([108, 0, 0, 0, 1, 0, 0, 0]) });
const completionIds = new DataView(completionPacket.buffer);
function completion(section: bigint): Uint8Array {
  completionIds.setBigUint64(8, section, true);
  return completionPacket;
}

/** A bus, a host with a ready session (NVSP 6.1, buffers, RNDIS initialized), and the hostile messages. */
function rig(): Rig {
  const bus = createBus({ seed: 1 });
  const host = createNetvspHost(bus.host, { maxEvents: 0, maxQueues: 8 });
  let ch: GuestChannel | null = null;
  const onPackets = (c: GuestChannel) => {
    const rx = c.rings!.inbound;
    for (let p = rx.first(); p; p = rx.next()) {
      const pkt = decodePacket(p.bytes.slice());
      if (pkt.kind === 'xfer-pages') {
        const payload = new Uint8Array([108, 0, 0, 0, 1, 0, 0, 0]);
        c.sendPacket({ kind: 'completion', flags: 0, trans_id: 0n, payload }, pkt.trans_id);
      }
    }
    c.closeRead();
  };
  bus.guest.registerDriver({
    name: 'bench-netvsc',
    ifType: HV_NIC_GUID,
    probe(c, g) {
      ch = c;
      return g.open(c, { sendRingSize: RING, recvRingSize: RING, maxPktSize: 4624, callback: onPackets });
    },
  });
  bus.guest.connect();
  bus.run();
  const c = ch as GuestChannel | null;
  if (!c) throw new Error('bench host: primary not opened');
  let tid = 1n;
  const nvsp = (m: NvspMessage, completion = true) => {
    c.sendPacket({ kind: 'inband', flags: completion ? 1 : 0, trans_id: 0n, payload: encodeNvsp(m) }, tid++);
    bus.run();
  };
  const buffer = (pages: number): { buffer: GuestBuffer; handle: number } => {
    const a = bus.memory.alloc(pages);
    if (!a.ok) throw new Error('alloc');
    const r = bus.guest.establishGpadl(c, a.buffer);
    bus.run();
    const v = r.value;
    if (!v.ok) throw new Error('gpadl');
    return { buffer: a.buffer, handle: v.value };
  };
  nvsp({ type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 });
  nvsp({ type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: linuxNdisConfigCapability(0x60001) }, false);
  nvsp({ type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 }, false);
  const recv = buffer(512);
  nvsp({ type: 'SEND_RECV_BUF', gpadl_handle: recv.handle, id: 0xcafe });
  const send = buffer(64);
  nvsp({ type: 'SEND_SEND_BUF', gpadl_handle: send.handle, id: 0 });

  const pages = bus.memory.alloc(16);
  if (!pages.ok) throw new Error('alloc');
  const pfns = GuestMemory.pfns(pages.buffer);
  let pageAt = 0;
  /** An RNDIS message placed in guest pages and sent the Linux control way (GPA-direct). */
  const gpa = (rndis: Uint8Array, split?: number): Uint8Array => {
    const page = pageAt++;
    const at = split !== undefined ? page * 4096 + 4096 - split : page * 4096;
    pages.buffer.bytes.set(rndis, at);
    if (split !== undefined) pageAt++;
    const ranges =
      split !== undefined
        ? [
            { byte_count: split, byte_offset: 4096 - split, pfns: [pfns[page]!] },
            { byte_count: rndis.length - split, byte_offset: 0, pfns: [pfns[page + 1]!] },
          ]
        : [{ byte_count: rndis.length, byte_offset: 0, pfns: pfns.slice(page, page + Math.ceil(rndis.length / 4096)) }];
    const payload = encodeNvsp({ type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: 0xffffffff, send_buf_section_size: 0 });
    return vmbusPacket.encode({ kind: 'gpa-direct', flags: 1, trans_id: 1000n, ranges, payload } as VmbusPacket);
  };
  const inband = (m: NvspMessage) => vmbusPacket.encode({ kind: 'inband', flags: 1, trans_id: 1000n, payload: encodeNvsp(m) });

  // RNDIS INIT so the control path is operational
  host.processPacket(0, gpa(encodeRndis(rndisInitRequest(1))));
  bus.run();

  const frame = netvspBuildFrame({ flow: { src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1, dport: 2 }, payloadLength: 64 });
  const badQuery = encodeRndis(rndisQueryRequest(7, OID.GEN_LINK_SPEED, new Uint8Array(4)));
  new DataView(badQuery.buffer).setUint32(20, 5000, true);
  const badData = encodeRndisDataPacket(frame);
  new DataView(badData.buffer).setUint32(8, 7777, true);
  send.buffer.bytes.set(badData, 3 * 6144);
  const zeroTable = encodeRndis(rndisSetRequest(9, OID.GEN_RECEIVE_SCALE_PARAMETERS, encodeRssParameters(rssParameters({ indirection_table: [] }))));
  const pastQueues = encodeRndis(rndisSetRequest(10, OID.GEN_RECEIVE_SCALE_PARAMETERS, encodeRssParameters(rssParameters({ indirection_table: [0, 1, 2, 64] }))));
  const switchNic = encodeRndis(rndisSetRequest(11, OID.SWITCH_NIC_REQUEST, new Uint8Array(32).fill(0x41)));
  const digits = encodeRndis(
    rndisConfigParameterSetRequest(12, { parameter_name_offset: 20, name: '*LsoV2IPv4', parameter_type: 2, parameter_value_offset: 40, value: utf16leEncode('x') }),
  );
  const indicate = encodeRndis({ type: 'INDICATE', status: 0x4001000b, status_buf_offset: 12, status_buf: new Uint8Array(0) });
  const splitData = encodeRndisDataPacket(frame);
  const messages: Rig['messages'] = [
    { packet: inband({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 8 }), rndis: null },
    { packet: inband({ type: 'OID_QUERY_EX', header_type: 0x96, header_revision: 1, header_size: 8, oid: OID.GEN_LINK_SPEED }), rndis: null },
    { packet: gpa(badQuery), rndis: badQuery },
    { packet: inband({ type: 'SEND_RNDIS_PKT', channel_type: 0, send_buf_section_index: 3, send_buf_section_size: badData.length }), rndis: badData },
    { packet: gpa(splitData, 20), rndis: splitData },
    { packet: gpa(indicate), rndis: indicate },
    { packet: gpa(switchNic), rndis: switchNic },
    { packet: gpa(zeroTable), rndis: zeroTable },
    { packet: gpa(pastQueues), rndis: pastQueues },
    { packet: gpa(digits), rndis: digits },
  ];
  const reader = new RingConsumer(c.rings!.inbound.mem, { mode: 'strict' });
  const drain = () => {
    let n = 0;
    for (let p = reader.first(); p; p = reader.next()) {
      n++;
      if (p.type === 7) {
        const b = p.bytes;
        host.processPacket(0, completion(new DataView(b.buffer, b.byteOffset + 8, 8).getBigUint64(0, true)));
      }
    }
    reader.close();
    return n;
  };
  drain();
  return { host, ch: c, messages, drain };
}

const r = rig();
const outbound = () => r.ch.rings!.inbound;
let cursor = 0;
let decodeCursor = 0;

function hostileOne(): void {
  const m = r.messages[cursor]!;
  cursor = cursor === r.messages.length - 1 ? 0 : cursor + 1;
  r.host.processPacket(0, m.packet);
  if (outbound().bytesToRead() > RING / 4) r.drain();
}

function decodeOne(): unknown {
  const m = r.messages[decodeCursor]!;
  decodeCursor = decodeCursor === r.messages.length - 1 ? 0 : decodeCursor + 1;
  const pkt = decodePacket(m.packet);
  const nvsp = decodeNvsp(pkt.payload, { from: 'guest' });
  if (!m.rndis) return nvsp;
  try {
    return decodeRndis(m.rndis);
  } catch (e) {
    return e;
  }
}

// The dispatch is a large, branchy path: give the JIT time to settle before the harness samples
// (its own warm-up stops at 1000 calls).
for (let i = 0; i < 50_000; i++) {
  hostileOne();
  decodeOne();
}

function check(): void {
  // every hostile message must have been refused, not have stopped the channel
  const fatal = Object.keys(r.host.counters.fatal);
  if (fatal.length) throw new Error(`bench host: the channel failed (${fatal.join(', ')})`);
}

export const suite: BenchSuite = {
  name: 'host (NetVSP under hostile guest messages)',
  cases: [
    {
      name: 'hostile guest message through the host dispatch (refusal + completion/answer into the ring)',
      baselineName: 'decoding the same bytes alone',
      baseline: decodeOne,
      subject: hostileOne,
      goal: { maxRatio: 3 },
    },
  ],
  extras: () => {
    check();
    // five trials of 100,000 messages; the median is reported (the machine is shared)
    const rates: number[] = [];
    for (let t = 0; t < 5; t++) {
      const n = 100_000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) hostileOne();
      rates.push((n / (performance.now() - t0)) * 1000);
    }
    check();
    const rate = Math.round(rates.sort((a, b) => a - b)[2]!);
    const c = r.host.counters;
    return {
      'hostile messages per second (absolute, median of 5 × 100,000)': `${rate.toLocaleString('en-US')} (goal ≥ 200,000: ${rate >= 200_000 ? 'met' : 'MISSED'})`,
      'refusals by reason (whole run)': Object.entries(c.rejects)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    };
  },
};
