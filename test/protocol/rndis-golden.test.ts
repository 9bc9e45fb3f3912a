/**
 * The independent golden vectors of fixtures/golden/nvsp-rndis.json (built by another helper from
 * the spec and the 6.1.192 sources, fixtures/golden/gen/nvsp_rndis.py), run through the RNDIS and
 * NDIS codecs: every RNDIS/NDIS vector's value is translated into this library's value shape,
 * encoded and compared byte for byte with its hex, and its hex decoded and compared with that
 * value. A disagreement is reported (to the lead), not bent away on either side.
 */
import { describe, expect, it } from 'vitest';
import { decodeRndis, encodeRndis, type RndisMessage } from '../../src/protocol/rndis.js';
import {
  encodeConfigParameter,
  encodeRssParameters,
  ndis_recv_scale_cap,
  ndis_recv_scale_param,
  utf16leDecode,
} from '../../src/protocol/ndis.js';
import { decodePpiList, encodePpiList, type PpiElement } from '../../src/protocol/ppi.js';
import { goldenVectors, hex } from './golden-vectors.js';

const mine = goldenVectors('rndis_message', 'ndis_recv_scale_cap', 'ndis_recv_scale_param');

function bytes(h: string): Uint8Array {
  const clean = h.replace(/^hex:/, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
const u32le = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

/** The vector's `info_buf` object → the info bytes it stands for. */
function infoBytes(info: Record<string, any> | undefined): Uint8Array {
  if (info === undefined) return new Uint8Array(0);
  if ('ndis_recv_scale_cap' in info) return ndis_recv_scale_cap.encode(info.ndis_recv_scale_cap);
  if ('ndis_recv_scale_param' in info) {
    const p = info.ndis_recv_scale_param;
    return encodeRssParameters({
      hdr: p.hdr,
      flag: p.flag,
      base_cpu_number: p.base_cpu_number,
      hashinfo: p.hashinfo,
      indirect_taboffset: p.indirect_taboffset,
      indirection_table: info.itab,
      hashkey_offset: p.hashkey_offset,
      hash_key: bytes(info.hash_key),
      processor_masks_offset: p.processor_masks_offset,
      num_processor_masks: p.num_processor_masks,
      processor_masks_entry_size: p.processor_masks_entry_size,
    });
  }
  if ('filter' in info) return u32le(info.filter);
  if ('rndis_config_parameter_info' in info) {
    const c = info.rndis_config_parameter_info;
    return encodeConfigParameter({
      parameter_name_offset: c.parameter_name_offset,
      name: utf16leDecode(bytes(info.name)),
      parameter_type: c.parameter_type,
      parameter_value_offset: c.parameter_value_offset,
      value: bytes(info.value),
    });
  }
  throw new Error(`unknown info_buf form: ${Object.keys(info).join(',')}`);
}

/** The vector's value → an RndisMessage value of this library. */
function toMessage(v: Record<string, any>): RndisMessage {
  const member = v.msg ? Object.keys(v.msg)[0]! : undefined;
  const b = member ? v.msg[member] : {};
  switch (member) {
    case undefined:
      if (v.ndis_msg_type === 6) return { type: 'RESET' };
      break;
    case 'init_req':
      return { type: 'INIT', req_id: b.req_id, major_ver: b.major_ver, minor_ver: b.minor_ver, max_xfer_size: b.max_xfer_size };
    case 'init_complete':
      return { type: 'INIT_C', ...b };
    case 'halt_req':
      return { type: 'HALT', req_id: b.req_id };
    case 'query_req':
      return { type: 'QUERY', req_id: b.req_id, oid: b.oid, info_buf_offset: b.info_buf_offset, info_buf: infoBytes(b.info_buf), dev_vc_handle: b.dev_vc_handle };
    case 'query_complete':
      return { type: 'QUERY_C', req_id: b.req_id, status: b.status, info_buf_offset: b.info_buf_offset, info_buf: infoBytes(b.info_buf) };
    case 'set_req':
      return { type: 'SET', req_id: b.req_id, oid: b.oid, info_buf_offset: b.info_buf_offset, info_buf: infoBytes(b.info_buf), dev_vc_handle: b.dev_vc_handle };
    case 'set_complete':
      return { type: 'SET_C', req_id: b.req_id, status: b.status };
    case 'reset_complete':
      return { type: 'RESET_C', status: b.status, addressing_reset: b.addressing_reset };
    case 'keep_alive_req':
      return { type: 'KEEPALIVE', req_id: b.req_id };
    case 'keep_alive_complete':
      return { type: 'KEEPALIVE_C', req_id: b.req_id, status: b.status };
    case 'indicate_status':
      return {
        type: 'INDICATE',
        status: b.status,
        status_buf_offset: b.status_buf_offset,
        status_buf: v.status_buf === undefined ? new Uint8Array(0) : u32le(v.status_buf),
      };
    case 'pkt': {
      const ppis: PpiElement[] = (v.ppi ?? []).map((e: any) => ({ type: e.type, internal: e.internal === 1, ppi_offset: e.ppi_offset, data: u32le(e.value) }));
      return {
        type: 'PACKET',
        data_offset: b.data_offset,
        data: bytes(v.data),
        oob_data_offset: b.oob_data_offset,
        oob_data: new Uint8Array(b.oob_data_len),
        num_oob_data_elements: b.num_oob_data_elements,
        per_pkt_info_offset: b.per_pkt_info_offset,
        per_pkt_info: encodePpiList(ppis),
        vc_handle: b.vc_handle,
      };
    }
  }
  throw new Error(`unmapped vector member ${member}`);
}

describe('fixtures/golden/nvsp-rndis.json: RNDIS and NDIS vectors', () => {
  it('the file is present and holds RNDIS/NDIS vectors', () => {
    expect(mine.length).toBeGreaterThanOrEqual(20);
  });

  for (const v of mine) {
    it(`${v.name}: ${v.rule.slice(0, 90)}`, () => {
      const golden = bytes(v.hex);
      if (v.struct === 'ndis_recv_scale_cap' || v.struct === 'ndis_recv_scale_param') {
        const codec = v.struct === 'ndis_recv_scale_cap' ? ndis_recv_scale_cap : ndis_recv_scale_param;
        expect(hex(codec.encode(v.value as never))).toBe(v.hex);
        expect(codec.decode(golden)).toEqual(v.value);
        return;
      }
      const msg = toMessage(v.value);
      const ours = encodeRndis(msg);
      expect(hex(ours)).toBe(v.hex);
      expect(ours.length).toBe(v.value.msg_len);
      expect(decodeRndis(golden)).toEqual(msg);
      // The vector's own length and offset words agree with what the codec derives.
      const body = v.value.msg?.[Object.keys(v.value.msg ?? {})[0] ?? ''];
      if (body && 'info_buflen' in body) expect((msg as { info_buf: Uint8Array }).info_buf.length).toBe(body.info_buflen);
      if (msg.type === 'PACKET') {
        expect(msg.data.length).toBe(body.data_len);
        expect(msg.per_pkt_info.length).toBe(body.per_pkt_info_len);
        expect(decodePpiList(msg.per_pkt_info).map((e) => e.type)).toEqual((v.value.ppi ?? []).map((e: { type: number }) => e.type));
      }
    });
  }
});
