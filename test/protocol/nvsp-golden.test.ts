/**
 * The independent NVSP golden vectors (fixtures/golden/nvsp-rndis.json, built by
 * fixtures/golden/gen/nvsp_rndis.py from the spec and the kernel sources, not from this code) run
 * through the NVSP codecs: hex → message equals the vector's value, message → hex equals its bytes
 * at the vector's length.
 *
 * Vector values follow the kernel's union path (`{hdr:{msg_type}, msg:{v5_msg:{subchn_req:{…}}}}`);
 * the table below maps each path to our message tag and to who sends it.
 */
import { describe, expect, it } from 'vitest';
import { decodeNvsp, encodeNvsp, NVSP_MESSAGE_TYPE, recv_comp_msg, type NvspMessage, type NvspSender } from '../../src/protocol/nvsp.js';
import { goldenVectors, hex, type GoldenVector } from './golden-vectors.js';

const vectors = goldenVectors('nvsp_message', 'recv_comp_msg');

const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

/** Kernel union path → our tag and the sender. */
const PATHS: Record<string, [NvspMessage['type'], NvspSender]> = {
  'init_msg.init': ['INIT', 'guest'],
  'init_msg.init_complete': ['INIT_COMPLETE', 'host'],
  'v1_msg.send_ndis_ver': ['SEND_NDIS_VER', 'guest'],
  'v1_msg.send_recv_buf': ['SEND_RECV_BUF', 'guest'],
  'v1_msg.send_recv_buf_complete': ['SEND_RECV_BUF_COMPLETE', 'host'],
  'v1_msg.revoke_recv_buf': ['REVOKE_RECV_BUF', 'guest'],
  'v1_msg.send_send_buf': ['SEND_SEND_BUF', 'guest'],
  'v1_msg.send_send_buf_complete': ['SEND_SEND_BUF_COMPLETE', 'host'],
  'v1_msg.revoke_send_buf': ['REVOKE_SEND_BUF', 'guest'],
  'v1_msg.send_rndis_pkt': ['SEND_RNDIS_PKT', 'guest'],
  'v1_msg.send_rndis_pkt_complete': ['SEND_RNDIS_PKT_COMPLETE', 'host'],
  'v2_msg.send_ndis_config': ['SEND_NDIS_CONFIG', 'guest'],
  'v2_msg.alloc_rxbuf': ['ALLOC_RXBUF', 'guest'],
  'v2_msg.alloc_rxbuf_comp': ['ALLOC_RXBUF_COMP', 'host'],
  'v2_msg.free_rxbuf': ['FREE_RXBUF', 'guest'],
  'v4_msg.vf_assoc': ['SEND_VF_ASSOCIATION', 'host'],
  'v4_msg.active_dp': ['SWITCH_DATA_PATH', 'guest'],
  'v5_msg.subchn_req': ['SUBCHANNEL_REQUEST', 'guest'],
  'v5_msg.subchn_comp': ['SUBCHANNEL_COMPLETE', 'host'],
  'v5_msg.send_table': ['SEND_INDIRECTION_TABLE', 'host'],
};

/** u64 values are JSON strings in the vectors; our codecs use bigint. */
function bigints(x: any): any {
  if (typeof x === 'string' && /^\d+$/.test(x)) return BigInt(x);
  if (Array.isArray(x)) return x.map(bigints);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, bigints(v)]));
  return x;
}

/** The vector as one of our messages, with its sender. */
function asMessage(v: GoldenVector): { msg: NvspMessage; from: NvspSender } {
  if (v.struct === 'recv_comp_msg') {
    return { msg: { type: 'SEND_RNDIS_PKT_COMPLETE', status: v.value.status }, from: 'guest' };
  }
  const [version, union] = Object.entries(v.value.msg)[0] as [string, Record<string, any>];
  const [member, body] = Object.entries(union)[0]!;
  const path = `${version}.${member}`;
  const target = PATHS[path];
  if (!target) throw new Error(`${v.name}: union path ${path} has no NVSP message mapping`);
  const [type, from] = target;
  const fields = bigints(body);
  // nvsp_2_vsc_capability is {data} in the kernel; our NDIS_CONFIG carries the u64 itself.
  if (type === 'SEND_NDIS_CONFIG') fields.capability = fields.capability.data;
  if (type === 'SEND_INDIRECTION_TABLE') fields.table = v.value.table;
  expect(v.value.hdr.msg_type, `${v.name}: msg_type`).toBe(NVSP_MESSAGE_TYPE[type as keyof typeof NVSP_MESSAGE_TYPE]);
  return { msg: { type, ...fields } as NvspMessage, from };
}

describe('golden NVSP vectors (fixtures/golden/nvsp-rndis.json)', () => {
  it('the fixture holds NVSP vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(30);
  });

  for (const v of vectors) {
    it(`${v.name}: ${v.rule}`, () => {
      const bytes = unhex(v.hex);
      const { msg, from } = asMessage(v);
      expect(decodeNvsp(bytes, { from })).toEqual(msg);
      expect(hex(encodeNvsp(msg, { size: bytes.length }))).toBe(v.hex);
      if (v.struct === 'recv_comp_msg') {
        expect(recv_comp_msg.decode(bytes)).toEqual(v.value);
        expect(hex(recv_comp_msg.encode(v.value as never))).toBe(v.hex);
        expect(hex(encodeNvsp(msg, { peer: 'linux' }))).toBe(v.hex);
      }
      // Linux's own peer size is 40, except its 8-byte receive completion (108).
      if (bytes.length === 40 && msg.type !== 'SEND_RNDIS_PKT_COMPLETE') expect(hex(encodeNvsp(msg, { peer: 'linux' }))).toBe(v.hex);
      if (bytes.length === 28) expect(hex(encodeNvsp(msg, { peer: 'hyperv' }))).toBe(v.hex);
    });
  }
});
