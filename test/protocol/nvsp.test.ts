/**
 * NVSP codecs against byte images built by hand from shared/spec/nvsp-rndis-netvsc.md (§2 and
 * Appendix A) — never from the encoder — and the Linux rules of §2.7 that concern message shape,
 * one named test each.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeNvsp,
  encodeNvsp,
  isNvspUnknownType,
  isNvspVersion,
  linuxCheckCompletion,
  linuxCompletionMinLength,
  linuxNdisConfigCapability,
  linuxNdisConfigMtu,
  linuxNdisVersion,
  NETVSC_INVALID_INDEX,
  NETVSC_RECEIVE_BUFFER_ID,
  NVSP_MESSAGE_TYPE,
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_PROTOCOL_VERSION_61,
  NVSP_PROTOCOL_VERSIONS,
  NVSP_STAT_FAIL,
  NVSP_STAT_SUCCESS,
  nvspCodec,
  nvspEncodingLength,
  nvspMsgTypeName,
  nvspMsgTypeOf,
  nvspStatusName,
  nvspVersionName,
  peekNvspType,
  recv_comp_msg,
  type NvspMessage,
} from '../../src/protocol/nvsp.js';
import { ProtocolError } from '../../src/wire/index.js';
import { errorOf } from '../helpers.js';

/** Bytes from spaced hex, zero-filled up to `size`. */
function bytes(text: string, size = 0): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(Math.max(size, clean.length / 2));
  for (let i = 0; i < clean.length / 2; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** A u32 little-endian as spaced hex. */
const le32 = (x: number) => hex(new Uint8Array(new Uint32Array([x]).buffer));


/** The 16-entry table i % 4 as hex. */
const TABLE_MOD4 = Array.from({ length: 16 }, (_, i) => le32(i % 4)).join('');

describe('constants (spec §2.1–§2.3)', () => {
  it('versions: v1 is 2, there is no v3, 6.1 is 0x60001', () => {
    expect(NVSP_PROTOCOL_VERSIONS).toEqual([0x2, 0x30002, 0x40000, 0x50000, 0x60000, 0x60001]);
    expect([NVSP_PROTOCOL_VERSION_1, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_4]).toEqual([2, 0x30002, 0x40000]);
    expect([NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_61]).toEqual([0x50000, 0x60000, 0x60001]);
    expect(nvspVersionName(0x60001)).toBe('NVSP_PROTOCOL_VERSION_61');
    expect(nvspVersionName(0xffffffff)).toBe('NVSP_INVALID_PROTOCOL_VERSION');
    expect(nvspVersionName(0x30000)).toBeUndefined();
    expect(isNvspVersion(0x30002)).toBe(true);
    expect(isNvspVersion(0x30000)).toBe(false);
  });

  it('message type names follow the kernel enum, tags map to their numbers', () => {
    expect(nvspMsgTypeName(133)).toBe('NVSP_MSG5_TYPE_SUBCHANNEL');
    expect(nvspMsgTypeName(127)).toBe('NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE_COMP');
    expect(nvspMsgTypeName(100)).toBe('NVSP_MSG1_TYPE_SEND_NDIS_VER');
    expect(nvspMsgTypeName(3)).toBeUndefined();
    expect(NVSP_MESSAGE_TYPE.SUBCHANNEL_REQUEST).toBe(133);
    expect(NVSP_MESSAGE_TYPE.SUBCHANNEL_COMPLETE).toBe(133);
    expect(NVSP_MESSAGE_TYPE.SEND_INDIRECTION_TABLE).toBe(134);
    expect(nvspMsgTypeOf({ type: 'UNKNOWN', msg_type: 116, body: new Uint8Array() })).toBe(116);
  });

  it('status names: 1 SUCCESS, 2 FAIL … 8 MAX', () => {
    expect(nvspStatusName(NVSP_STAT_SUCCESS)).toBe('NVSP_STAT_SUCCESS');
    expect(nvspStatusName(NVSP_STAT_FAIL)).toBe('NVSP_STAT_FAIL');
    expect(nvspStatusName(7)).toBe('NVSP_STAT_PROTOCOL_UNSUPPORTED');
    expect(nvspStatusName(9)).toBeUndefined();
    expect(nvspStatusName(-1)).toBeUndefined();
  });

  it('types without a body layout are the unused v2 chimney/VMQ ones, 130, and undefined numbers', () => {
    for (const t of [0, 3, 99, 109, 115, 119, 123, 124, 126, 127, 130, 137, 0xffffffff]) expect(isNvspUnknownType(t)).toBe(true);
    for (const t of [1, 2, 100, 102, 108, 120, 121, 122, 125, 128, 129, 131, 132, 133, 134, 135, 136]) {
      expect(isNvspUnknownType(t)).toBe(false);
    }
  });
});

describe('Appendix A byte images', () => {
  it('INIT trying 6.1, as Linux sends it (40 bytes)', () => {
    const image = bytes('01000000 01000600 01000600', 40);
    const msg: NvspMessage = { type: 'INIT', min_protocol_ver: 0x60001, max_protocol_ver: 0x60001 };
    expect(hex(encodeNvsp(msg))).toBe(hex(image));
    expect(decodeNvsp(image, { from: 'guest' })).toEqual(msg);
  });

  it('NDIS_CONFIG after 6.1 accepted: mtu 1514, capability 0xAC', () => {
    const image = bytes('7d000000 ea050000 00000000 ac000000 00000000', 40);
    const msg: NvspMessage = { type: 'SEND_NDIS_CONFIG', mtu: linuxNdisConfigMtu(1500), capability: linuxNdisConfigCapability(0x60001) };
    expect(hex(encodeNvsp(msg, { peer: 'linux' }))).toBe(hex(image));
    expect(decodeNvsp(image, { from: 'guest' })).toEqual({ type: 'SEND_NDIS_CONFIG', mtu: 1514, capability: 0xacn });
  });

  it('SEND_NDIS_VER 6.30', () => {
    const image = bytes('64000000 06000000 1e000000', 40);
    expect(hex(encodeNvsp({ type: 'SEND_NDIS_VER', ...linuxNdisVersion(0x50000) }))).toBe(hex(image));
    expect(decodeNvsp(image, { from: 'guest' })).toEqual({ type: 'SEND_NDIS_VER', ndis_major_ver: 6, ndis_minor_ver: 30 });
  });

  it('SEND_RECV_BUF with gpadl 0x12345678 and id 0xCAFE', () => {
    const image = bytes('65000000 78563412 feca0000', 40);
    const msg: NvspMessage = { type: 'SEND_RECV_BUF', gpadl_handle: 0x12345678, id: NETVSC_RECEIVE_BUFFER_ID };
    expect(hex(encodeNvsp(msg))).toBe(hex(image));
    expect(decodeNvsp(image, { from: 'guest' })).toEqual(msg);
  });

  it('SUBCHANNEL ALLOCATE for 8 channels, and a minimal 12-byte host completion granting 7', () => {
    const request = bytes('85000000 01000000 07000000', 40);
    expect(hex(encodeNvsp({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 7 }))).toBe(hex(request));
    expect(decodeNvsp(request, { from: 'guest' })).toEqual({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 7 });
    const completion = bytes('85000000 01000000 07000000');
    expect(completion.length).toBe(12);
    expect(decodeNvsp(completion, { from: 'host' })).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 7 });
    expect(hex(encodeNvsp({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 7 }, { peer: 'exact' }))).toBe(hex(completion));
  });

  it('the guest receive completion is 8 bytes {108, status}', () => {
    const image = bytes('6c000000 01000000');
    expect(hex(encodeNvsp({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 }, { peer: 'linux' }))).toBe(hex(image));
    expect(hex(recv_comp_msg.encode({ hdr: { msg_type: 108 }, status: 1 }))).toBe(hex(image));
    expect(decodeNvsp(image, { from: 'guest' })).toEqual({ type: 'SEND_RNDIS_PKT_COMPLETE', status: 1 });
  });

  it('SEND_RNDIS_PKT wrapper of an RNDIS control message', () => {
    const image = bytes('6b000000 01000000 ffffffff 00000000', 40);
    const msg: NvspMessage = { type: 'SEND_RNDIS_PKT', channel_type: 1, send_buf_section_index: NETVSC_INVALID_INDEX, send_buf_section_size: 0 };
    expect(hex(encodeNvsp(msg))).toBe(hex(image));
    expect(decodeNvsp(image, { from: 'guest' })).toEqual(msg);
  });
});

describe('§2.5 body layouts, byte by byte', () => {
  it('INIT_COMPLETE as each host sends it: openvmm 32 bytes before 6.1, Windows 28, 40 at 6.1', () => {
    const body = '02000000 ffffffff 22000000 01000000';
    const msg: NvspMessage = { type: 'INIT_COMPLETE', negotiated_protocol_ver: 0xffffffff, max_mdl_chain_len: 34, status: 1 };
    expect(hex(encodeNvsp(msg, { peer: 'openvmm' }))).toBe(hex(bytes(body, 32)));
    expect(hex(encodeNvsp(msg, { peer: 'hyperv', version: 0x60000 }))).toBe(hex(bytes(body, 28)));
    expect(hex(encodeNvsp(msg, { peer: 'hyperv', version: 0x60001 }))).toBe(hex(bytes(body, 40)));
    expect(hex(encodeNvsp(msg, { peer: 'openvmm', version: 0x60001 }))).toBe(hex(bytes(body, 40)));
    expect(hex(encodeNvsp(msg, { size: 36 }))).toBe(hex(bytes(body, 36)));
    for (const size of [16, 28, 32, 40]) expect(decodeNvsp(bytes(body, size), { from: 'host' })).toEqual(msg);
  });

  it('SEND_RECV_BUF_COMPLETE: status, count, then 16-byte sections', () => {
    // 9709 sections of 1728 bytes: 0x25ed × 0x6c0, end 16,777,152 = 0xffffc0.
    const one = '66000000 01000000 01000000 00000000 c0060000 ed250000 c0ffff00';
    const msg: NvspMessage = {
      type: 'SEND_RECV_BUF_COMPLETE',
      status: 1,
      num_sections: 1,
      sections: [{ offset: 0, sub_alloc_size: 1728, num_sub_allocs: 9709, end_offset: 16777152 }],
    };
    expect(decodeNvsp(bytes(one), { from: 'host' })).toEqual(msg);
    expect(decodeNvsp(bytes(one, 40), { from: 'host' })).toEqual(msg);
    expect(hex(encodeNvsp(msg, { peer: 'hyperv' }))).toBe(hex(bytes(one)));
    expect(hex(encodeNvsp(msg))).toBe(hex(bytes(one, 40)));
    const two = `66000000 01000000 02000000 00000000 00010000 10000000 00100000 00100000 00020000 08000000 00200000`;
    expect(decodeNvsp(bytes(two), { from: 'host' })).toEqual({
      type: 'SEND_RECV_BUF_COMPLETE',
      status: 1,
      num_sections: 2,
      sections: [
        { offset: 0, sub_alloc_size: 256, num_sub_allocs: 16, end_offset: 4096 },
        { offset: 4096, sub_alloc_size: 512, num_sub_allocs: 8, end_offset: 8192 },
      ],
    });
    expect(nvspEncodingLength(decodeNvsp(bytes(two), { from: 'host' }), { peer: 'linux' })).toBe(44);
  });

  it('SEND_RECV_BUF_COMPLETE with a count the bytes cannot hold is BAD_LENGTH', () => {
    const e = errorOf(() => decodeNvsp(bytes('66000000 01000000 02000000', 40), { from: 'host' }));
    expect(e.code).toBe('BAD_LENGTH');
    expect(e.field).toBe('num_sections');
    expect(errorOf(() => decodeNvsp(bytes('66000000 01000000 ffffffff', 40), { from: 'host' })).code).toBe('BAD_LENGTH');
    expect(decodeNvsp(bytes('66000000 02000000 00000000', 28), { from: 'host' })).toEqual({
      type: 'SEND_RECV_BUF_COMPLETE',
      status: 2,
      num_sections: 0,
      sections: [],
    });
  });

  it('REVOKE_RECV_BUF / SEND_SEND_BUF / SEND_SEND_BUF_COMPLETE / REVOKE_SEND_BUF', () => {
    expect(decodeNvsp(bytes('67000000 feca', 40), { from: 'guest' })).toEqual({ type: 'REVOKE_RECV_BUF', id: 0xcafe });
    expect(decodeNvsp(bytes('68000000 21430000 cefa', 40), { from: 'guest' })).toEqual({ type: 'SEND_SEND_BUF', gpadl_handle: 0x4321, id: 0xface });
    expect(decodeNvsp(bytes('69000000 01000000 00180000'), { from: 'host' })).toEqual({
      type: 'SEND_SEND_BUF_COMPLETE',
      status: 1,
      section_size: 6144,
    });
    expect(decodeNvsp(bytes('6a000000 0000', 40), { from: 'guest' })).toEqual({ type: 'REVOKE_SEND_BUF', id: 0 });
    expect(hex(encodeNvsp({ type: 'REVOKE_RECV_BUF', id: 0xcafe }, { peer: 'exact' }))).toBe('67000000feca');
  });

  it('v2 receive-buffer messages: ALLOC_RXBUF, ALLOC_RXBUF_COMP (u64 at 16), FREE_RXBUF (u64 at 4)', () => {
    expect(decodeNvsp(bytes('78000000 05000000 00100000'), { from: 'guest' })).toEqual({ type: 'ALLOC_RXBUF', alloc_id: 5, len: 4096 });
    expect(decodeNvsp(bytes('79000000 01000000 05000000 09000000 08070605 04030201'), { from: 'host' })).toEqual({
      type: 'ALLOC_RXBUF_COMP',
      status: 1,
      alloc_id: 5,
      gpadl_handle: 9,
      recv_buf_id: 0x0102030405060708n,
    });
    expect(hex(encodeNvsp({ type: 'FREE_RXBUF', recv_buf_id: 0x0102030405060708n }, { peer: 'exact' }))).toBe(
      hex(bytes('7a000000 08070605 04030201')),
    );
  });

  it('VF association (128) and data-path switch (129)', () => {
    expect(decodeNvsp(bytes('80000000 01000000 2a000000'), { from: 'host' })).toEqual({ type: 'SEND_VF_ASSOCIATION', allocated: 1, serial: 42 });
    expect(hex(encodeNvsp({ type: 'SWITCH_DATA_PATH', active_datapath: 1 }))).toBe(hex(bytes('81000000 01000000', 40)));
  });

  it('OID_QUERY_EX (Windows layout: NDIS object header at 4, OID at 8) and its completion', () => {
    expect(decodeNvsp(bytes('83000000 80010800 03020100'), { from: 'guest' })).toEqual({
      type: 'OID_QUERY_EX',
      header_type: 0x80,
      header_revision: 1,
      header_size: 8,
      oid: 0x00010203,
    });
    expect(hex(encodeNvsp({ type: 'OID_QUERY_EX_COMP', status: 0xc00000bb, bytes: 0 }, { peer: 'openvmm' }))).toBe(
      hex(bytes('84000000 bb0000c0 00000000', 32)),
    );
  });

  it('type 133 decodes by sender: request from the guest, completion from the host', () => {
    const b = bytes('85000000 01000000 03000000', 28);
    expect(decodeNvsp(b, { from: 'guest' })).toEqual({ type: 'SUBCHANNEL_REQUEST', op: 1, num_subchannels: 3 });
    expect(decodeNvsp(b, { from: 'host' })).toEqual({ type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 3 });
  });

  it('PD_API request CONFIG: mmio_pa u64 @8, len @16, num_subchn u16 @20', () => {
    const b = bytes('87000000 01000000 00f0ffff 0f000000 00100000 0800');
    expect(decodeNvsp(b, { from: 'guest' })).toEqual({
      type: 'PD_API_REQUEST',
      op: 1,
      config: { mmio_pa: 0xffffff000n, mmio_len: 4096, num_subchn: 8 },
    });
  });

  it('PD_API request CREATE_QUEUE: provider @8, queue ids @12/@14, flags @16/@17, len @18, affinity @22', () => {
    const b = bytes('87000000 05000000 07000000 0200 0001 01 00 00060000 ff000000 00000000 0100 000000000000', 40);
    const msg = {
      type: 'PD_API_REQUEST',
      op: 5,
      cr_q: { prov_id: 7, q_id: 2, q_size: 256, is_recv_q: 1, is_rss_q: 0, recv_data_len: 1536, affy: { mask: 0xffn, grp: 1 } },
    } as const;
    expect(decodeNvsp(b, { from: 'guest' })).toEqual(msg);
    expect(hex(encodeNvsp(msg))).toBe(hex(b));
  });

  it('PD_API completion CONFIG: num_pd_q u16 @12, num_rss_q @14, is_supported @15, is_enabled @16', () => {
    const b = bytes('87000000 01000000 00000000 0400 02 01 01', 40);
    expect(decodeNvsp(b, { from: 'host' })).toEqual({
      type: 'PD_API_COMPLETE',
      op: 1,
      status: 0,
      config: { num_pd_q: 4, num_rss_q: 2, is_supported: 1, is_enabled: 1 },
    });
    // An op without completion data carries op and status only.
    expect(decodeNvsp(bytes('87000000 06000000 01000000'), { from: 'host' })).toEqual({ type: 'PD_API_COMPLETE', op: 6, status: 1 });
  });

  it('PD_POST_BATCH: count u16 @4, bits @6 (guest2host, is_recv), 8-byte descriptors from 8', () => {
    const b = bytes('88000000 0200 0300 00100000 0100 0100 00200000 0200 0000');
    const msg: NvspMessage = {
      type: 'PD_POST_BATCH',
      count: 2,
      guest2host: 1,
      is_recv: 1,
      pd_buf: [
        { region_offset: 0x1000, region_id: 1, is_partial: 1 },
        { region_offset: 0x2000, region_id: 2, is_partial: 0 },
      ],
    };
    expect(decodeNvsp(b, { from: 'guest' })).toEqual(msg);
    expect(hex(encodeNvsp(msg, { peer: 'exact' }))).toBe(hex(b));
    expect(errorOf(() => decodeNvsp(bytes('88000000 0300 0000', 24), { from: 'guest' })).code).toBe('BAD_LENGTH');
  });

  it('a type without a layout decodes to UNKNOWN with its number and every byte after the header', () => {
    const b = bytes('74000000 01020304', 12);
    const m = decodeNvsp(b, { from: 'guest' });
    expect(m).toEqual({ type: 'UNKNOWN', msg_type: 116, body: bytes('01020304', 8) });
    expect(hex(encodeNvsp(m, { peer: 'exact' }))).toBe(hex(b));
    expect(errorOf(() => encodeNvsp({ type: 'UNKNOWN', msg_type: 133, body: new Uint8Array(8) })).code).toBe('BAD_VALUE');
  });

  it('sizes: Linux pads everything to 40, hosts to 28/32/40, longer messages are written whole', () => {
    const sub: NvspMessage = { type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: 3 };
    expect(nvspEncodingLength(sub)).toBe(40);
    expect(nvspEncodingLength(sub, { peer: 'hyperv' })).toBe(28);
    expect(nvspEncodingLength(sub, { peer: 'openvmm', version: 0x50000 })).toBe(32);
    expect(nvspEncodingLength(sub, { peer: 'exact' })).toBe(12);
    const table: NvspMessage = { type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: new Array(16).fill(0) };
    expect(nvspEncodingLength(table, { peer: 'openvmm' })).toBe(76);
    expect(nvspEncodingLength(table, { peer: 'hyperv' })).toBe(104);
  });
});

describe('§2.8 send indirection table (netvsc_send_table)', () => {
  const compact = bytes(`86000000 10000000 0c000000 ${TABLE_MOD4}`);
  const mod4 = Array.from({ length: 16 }, (_, i) => i % 4);

  it('openvmm compact form: 76 bytes, offset 12, honoured at every version', () => {
    expect(compact.length).toBe(76);
    const msg = { type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: mod4 };
    expect(decodeNvsp(compact, { from: 'host', version: 0x50000 })).toEqual(msg);
    expect(decodeNvsp(compact, { from: 'host', version: 0x60001 })).toEqual(msg);
    // Linux sees it padded to 80 (hv_pkt_datalen): still below 104, so still honoured.
    expect(decodeNvsp(bytes(`86000000 10000000 0c000000 ${TABLE_MOD4}`, 80), { from: 'host', version: 0x60000 })).toEqual(msg);
    expect(hex(encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: mod4 }, { peer: 'openvmm' }))).toBe(hex(compact));
  });

  it('rule: at NVSP <= 6.0 a message of >= 104 bytes has its table read at 40, whatever the offset says', () => {
    const windows = bytes(`86000000 10000000 00000000 ${'00'.repeat(28)} ${TABLE_MOD4}`);
    expect(windows.length).toBe(104);
    expect(decodeNvsp(windows, { from: 'host', version: 0x60000 })).toEqual({
      type: 'SEND_INDIRECTION_TABLE',
      count: 16,
      offset: 0,
      table: mod4,
      table_offset: 40,
    });
    expect(hex(encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 0, table: mod4 }, { peer: 'hyperv' }))).toBe(hex(windows));
  });

  it('rule: at 6.1 the offset is honoured even when it points into the header', () => {
    const windows = bytes(`86000000 10000000 00000000 ${'00'.repeat(28)} ${TABLE_MOD4}`);
    const m = decodeNvsp(windows, { from: 'host', version: 0x60001 });
    expect(m).toMatchObject({ type: 'SEND_INDIRECTION_TABLE', offset: 0 });
    expect((m as { table: number[] }).table.slice(0, 3)).toEqual([134, 16, 0]);
  });

  it('rule: the fix-up needs >= 104 bytes (103 is not enough)', () => {
    const b = bytes(`86000000 10000000 0c000000 ${TABLE_MOD4}`, 103);
    expect(decodeNvsp(b, { from: 'host', version: 0x40000 })).toEqual({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 12, table: mod4 });
  });

  it('rule: a send-table message shorter than 12 bytes is dropped', () => {
    expect(errorOf(() => decodeNvsp(bytes('86000000 10000000'), { from: 'host' })).code).toBe('SHORT_BUFFER');
  });

  it('rule: count must be exactly 16 (VRSS_SEND_TAB_SIZE)', () => {
    const e = errorOf(() => decodeNvsp(bytes(`86000000 08000000 0c000000 ${TABLE_MOD4}`), { from: 'host' }));
    expect(e.code).toBe('BAD_VALUE');
    expect(e.field).toBe('count');
    expect(e.value).toBe(8);
  });

  it('rule: the table must fit: length >= 64 and offset <= length - 64', () => {
    expect(errorOf(() => decodeNvsp(bytes('86000000 10000000 0c000000', 60), { from: 'host' })).code).toBe('BAD_LENGTH');
    const e = errorOf(() => decodeNvsp(bytes('86000000 10000000 0d000000', 76), { from: 'host' }));
    expect(e.code).toBe('BAD_OFFSET');
    expect(e.field).toBe('offset');
    expect(errorOf(() => decodeNvsp(bytes('86000000 10000000 ffffffff', 76), { from: 'host' })).code).toBe('BAD_OFFSET');
    // Boundary: offset = length − 64 is accepted, and an unaligned offset is read as is.
    const m = decodeNvsp(bytes(`86000000 10000000 0d000000 00 ${TABLE_MOD4}`), { from: 'host' });
    expect((m as { table: number[] }).table).toEqual(mod4);
  });

  it('the encoder refuses a table that would overlap the 12-byte head, and a count that is not the table length', () => {
    expect(errorOf(() => encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: 8, table: mod4 })).code).toBe('FIELD_RANGE');
    expect(errorOf(() => encodeNvsp({ type: 'SEND_INDIRECTION_TABLE', count: 15, offset: 12, table: mod4 })).code).toBe('BAD_LENGTH');
  });
});

describe('§2.7 Linux checks on host completions (netvsc_send_completion)', () => {
  const init16 = bytes('02000000 ffffffff 22000000 01000000');

  it('rule: a completion without payload is matched by trans_id (only SWITCH_DATA_PATH wakes)', () => {
    expect(linuxCheckCompletion(new Uint8Array(0))).toEqual({ action: 'lookup-request' });
  });

  it('rule: a completion shorter than the 4-byte header is dropped', () => {
    expect(linuxCheckCompletion(bytes('0200'))).toEqual({ action: 'drop', reason: 'short-header' });
  });

  it('rule: 6.1.192 drops an INIT_COMPLETE shorter than 28 bytes (case fall-through), mainline needs 16', () => {
    expect(linuxCompletionMinLength(2)).toBe(28);
    expect(linuxCheckCompletion(init16)).toEqual({ action: 'drop', reason: 'short-body', msg_type: 2, min_length: 28 });
    expect(linuxCheckCompletion(bytes('02000000 ffffffff 22000000 01000000', 24))).toMatchObject({ action: 'drop' });
    expect(linuxCheckCompletion(bytes('02000000 ffffffff 22000000 01000000', 28))).toEqual({ action: 'wake-waiter', msg_type: 2 });
    expect(linuxCheckCompletion(init16, 'mainline')).toEqual({ action: 'wake-waiter', msg_type: 2 });
    // The codec itself decodes the 16-byte form: the 28-byte floor is Linux's, not the message's.
    expect(decodeNvsp(init16, { from: 'host' })).toMatchObject({ type: 'INIT_COMPLETE', status: 1 });
  });

  it('rule: SEND_RECV_BUF_COMPLETE needs 28 bytes (header + status + count + one section)', () => {
    const b = bytes('66000000 01000000 01000000', 27);
    expect(linuxCheckCompletion(b)).toMatchObject({ action: 'drop', reason: 'short-body', min_length: 28 });
    expect(linuxCheckCompletion(bytes('66000000 01000000 01000000', 28))).toEqual({ action: 'wake-waiter', msg_type: 102 });
    expect(errorOf(() => decodeNvsp(b, { from: 'host' })).code).toBe('SHORT_BUFFER');
  });

  it('rule: SEND_SEND_BUF_COMPLETE and SUBCHANNEL completions need 12 bytes', () => {
    for (const t of ['69000000', '85000000']) {
      expect(linuxCheckCompletion(bytes(`${t} 01000000`, 11))).toMatchObject({ action: 'drop', reason: 'short-body', min_length: 12 });
      expect(linuxCheckCompletion(bytes(`${t} 01000000`, 12))).toMatchObject({ action: 'wake-waiter' });
      expect(errorOf(() => decodeNvsp(bytes(`${t} 01000000`, 11), { from: 'host' })).code).toBe('SHORT_BUFFER');
    }
  });

  it('rule: SEND_RNDIS_PKT_COMPLETE needs 8 bytes; a failed status still completes the send', () => {
    expect(linuxCheckCompletion(bytes('6c000000 0200'))).toMatchObject({ action: 'drop', reason: 'short-body', min_length: 8 });
    expect(linuxCheckCompletion(bytes('6c000000 02000000'))).toEqual({ action: 'tx-complete', status: 2 });
  });

  it('rule: any other completion type is logged as unknown and dropped', () => {
    expect(linuxCheckCompletion(bytes('81000000 00000000', 40))).toEqual({ action: 'drop', reason: 'unknown-type', msg_type: 129 });
    expect(linuxCompletionMinLength(129)).toBeUndefined();
  });
});

describe('§2.7 Linux checks on host-initiated messages', () => {
  it('rule: VF_ASSOCIATION shorter than 12 bytes is dropped', () => {
    expect(errorOf(() => decodeNvsp(bytes('80000000 01000000'), { from: 'host' })).code).toBe('SHORT_BUFFER');
  });

  it('rule: the receive path reads only msg_type (type 107, length >= 4)', () => {
    const tiny = bytes('6b000000');
    expect(peekNvspType(tiny)).toBe(107);
    expect(errorOf(() => peekNvspType(bytes('6b00'))).code).toBe('SHORT_BUFFER');
    // The full decoder wants the whole body: a guest model must peek on the receive path.
    expect(errorOf(() => decodeNvsp(tiny, { from: 'host' })).code).toBe('SHORT_BUFFER');
  });

  it('rule: any payload shorter than the 4-byte header is rejected', () => {
    const e = errorOf(() => decodeNvsp(bytes('850000'), { from: 'host' }));
    expect(e.code).toBe('SHORT_BUFFER');
    expect(e.struct).toBe('nvsp_message_header');
  });
});

describe('§2.5 what Linux puts in NDIS_CONFIG and SEND_NDIS_VER', () => {
  it('capability: 0x08 at v2/v4, 0x2C at v5/v6, 0xAC at 6.1; isolated guests drop sriov', () => {
    expect(linuxNdisConfigCapability(0x30002)).toBe(0x08n);
    expect(linuxNdisConfigCapability(0x40000)).toBe(0x08n);
    expect(linuxNdisConfigCapability(0x50000)).toBe(0x2cn);
    expect(linuxNdisConfigCapability(0x60000)).toBe(0x2cn);
    expect(linuxNdisConfigCapability(0x60001)).toBe(0xacn);
    expect(linuxNdisConfigCapability(0x50000, { isolated: true })).toBe(0x28n);
    expect(linuxNdisConfigCapability(0x60001, { isolated: true })).toBe(0xa8n);
  });

  it('NDIS version: 6.1 up to NVSP 4, 6.30 from 5', () => {
    expect(linuxNdisVersion(0x40000)).toEqual({ ndis_major_ver: 6, ndis_minor_ver: 1 });
    expect(linuxNdisVersion(0x50000)).toEqual({ ndis_major_ver: 6, ndis_minor_ver: 30 });
  });
});

describe('API edges', () => {
  it('decode refuses a missing or wrong sender with a ProtocolError', () => {
    expect(errorOf(() => decodeNvsp(bytes('01000000', 12), { from: 'vm' as never })).code).toBe('BAD_VALUE');
    expect(errorOf(() => decodeNvsp(bytes('01000000', 12), undefined as never)).code).toBe('BAD_VALUE');
    expect(errorOf(() => decodeNvsp('01' as never, { from: 'guest' })).code).toBe('BAD_VALUE');
  });

  it('encode refuses unknown tags, missing PD members, out-of-range fields and small buffers', () => {
    expect(errorOf(() => encodeNvsp({ type: 'NOPE' } as never)).code).toBe('BAD_VALUE');
    expect(errorOf(() => encodeNvsp({ type: 'constructor' } as never)).code).toBe('BAD_VALUE');
    expect(errorOf(() => encodeNvsp(null as never)).code).toBe('BAD_VALUE');
    expect(errorOf(() => encodeNvsp({ type: 'PD_API_REQUEST', op: 5 })).code).toBe('BAD_VALUE');
    expect(errorOf(() => encodeNvsp({ type: 'PD_API_REQUEST', op: -1 })).code).toBe('FIELD_RANGE');
    expect(errorOf(() => encodeNvsp({ type: 'INIT', min_protocol_ver: 2 ** 32, max_protocol_ver: 0 })).code).toBe('FIELD_RANGE');
    expect(errorOf(() => encodeNvsp({ type: 'INIT', min_protocol_ver: 2, max_protocol_ver: 2 }, {}, new Uint8Array(39))).code).toBe(
      'SHORT_BUFFER',
    );
    expect(errorOf(() => encodeNvsp({ type: 'INIT', min_protocol_ver: 2, max_protocol_ver: 2 }, { peer: 'x' as never })).code).toBe('BAD_VALUE');
    expect(errorOf(() => encodeNvsp({ type: 'INIT', min_protocol_ver: 2, max_protocol_ver: 2 }, { size: -1 })).code).toBe('FIELD_RANGE');
    expect(
      errorOf(() => encodeNvsp({ type: 'UNKNOWN', msg_type: 200, body: new Uint8Array(600_000) })).code,
    ).toBe('FIELD_RANGE');
  });

  it('encoding into a dirty buffer zero-fills the padding and touches nothing else', () => {
    const buf = new Uint8Array(50).fill(0xee);
    encodeNvsp({ type: 'SWITCH_DATA_PATH', active_datapath: 1 }, { peer: 'linux' }, buf, 5);
    expect(hex(buf.subarray(5, 45))).toBe(hex(bytes('81000000 01000000', 40)));
    expect(buf[4]).toBe(0xee);
    expect(buf[45]).toBe(0xee);
  });

  it('nvspCodec decodes from an offset to the end of the buffer', () => {
    const c = nvspCodec({ from: 'host', peer: 'exact' });
    const buf = new Uint8Array(15);
    c.encode({ type: 'SEND_SEND_BUF_COMPLETE', status: 1, section_size: 6144 }, buf, 3);
    expect(c.decode(buf, 3)).toEqual({ type: 'SEND_SEND_BUF_COMPLETE', status: 1, section_size: 6144 });
    expect(errorOf(() => c.decode(buf, 16)).code).toBe('BAD_OFFSET');
  });
});
