/**
 * NVSP declarations against the compiled Debian 6.1.192 kernel (fixtures/kernel/layouts.json, from
 * hv_netvsc.ko BTF). Complements the project-wide conformance suite with what it cannot see: the
 * anonymous union members of the PD structs, the bitfield-backed capability word, union sizes and
 * the enum tables.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as nvsp from '../../src/protocol/nvsp.js';
import type { StructCodec } from '../../src/wire/index.js';

interface KernelField {
  name: string;
  offset: number;
  size: number | null;
  type: string;
  via?: string;
  bit_size?: number;
  fields?: KernelField[];
}
interface Layouts {
  structs: Record<string, { kind: string; size: number; fields: KernelField[] }>;
  enums: Record<string, Record<string, number>>;
  missing: string[];
}
const layouts: Layouts = JSON.parse(readFileSync(new URL('../../fixtures/kernel/layouts.json', import.meta.url), 'utf8'));

function isStructCodec(x: unknown): x is StructCodec<unknown> {
  return !!x && typeof x === 'object' && 'layout' in x && 'declaration' in x && 'size' in x;
}
const codecs: StructCodec<unknown>[] = Object.values(nvsp as Record<string, unknown>).filter(isStructCodec);

/** Our fields as {name, offset, size}, offsets shifted by `base`. */
const ours = (c: StructCodec<unknown>, base = 0) => c.layout.fields.map((f) => ({ name: f.name, offset: f.offset + base, size: f.size }));
/** BTF fields as {name, offset, size}, bitfields and flexible arrays left out. */
const theirs = (fields: KernelField[]) =>
  fields.filter((f) => f.size !== null && f.size !== 0).map((f) => ({ name: f.name, offset: f.offset, size: f.size }));

describe('NVSP structs against the kernel BTF', () => {
  for (const codec of codecs) {
    it(`${codec.name}: size and field offsets`, () => {
      const k = layouts.structs[codec.name];
      if (!k) {
        const known = nvsp.NVSP_NOT_IN_BTF[codec.name];
        expect(known, `${codec.name} is neither in BTF nor in NVSP_NOT_IN_BTF`).toBeDefined();
        expect(codec.size).toBe(known!.size);
        return;
      }
      expect(codec.size).toBe(k.size);
      expect(ours(codec)).toEqual(theirs(k.fields));
    });
  }

  it('NVSP_NOT_IN_BTF lists only names BTF really lacks', () => {
    for (const name of Object.keys(nvsp.NVSP_NOT_IN_BTF)) expect(layouts.structs[name]).toBeUndefined();
    expect(layouts.missing).toContain('struct nvsp_6_pd_buf');
    expect(layouts.missing).toContain('struct nvsp_6_pd_batch_msg');
  });

  it('nvsp_2_send_ndis_config.capability: a u64 at 8 whose bitfields are the NVSP_2_VSC_CAPABILITY masks', () => {
    const cap = layouts.structs['nvsp_2_vsc_capability']!;
    expect(cap.size).toBe(8);
    for (const f of cap.fields.filter((x) => x.bit_size === 1)) {
      const mask = (nvsp.NVSP_2_VSC_CAPABILITY as Record<string, bigint>)[f.name];
      expect(mask, f.name).toBe(1n << BigInt((f as { bit_offset?: number }).bit_offset!));
    }
    expect(Object.keys(nvsp.NVSP_2_VSC_CAPABILITY)).toEqual(cap.fields.filter((x) => x.bit_size === 1).map((x) => x.name));
  });

  for (const [kernel, members, unionStart, size] of [
    ['nvsp_6_pd_api_req', nvsp.NVSP_6_PD_API_REQ_MEMBERS, 4, nvsp.NVSP_6_PD_API_REQ_SIZE],
    ['nvsp_6_pd_api_comp', nvsp.NVSP_6_PD_API_COMP_MEMBERS, 8, nvsp.NVSP_6_PD_API_COMP_SIZE],
  ] as const) {
    it(`${kernel}: size and every anonymous union member`, () => {
      const k = layouts.structs[kernel]!;
      expect(size).toBe(k.size);
      const anon = k.fields.filter((f) => f.via === 'anon');
      expect(Object.keys(members)).toEqual(anon.map((f) => f.name));
      for (const f of anon) {
        const c = (members as Record<string, StructCodec<unknown>>)[f.name]!;
        expect(f.offset, f.name).toBe(unionStart);
        expect(c.size, f.name).toBe(f.size);
        expect(ours(c, unionStart), f.name).toEqual(theirs(f.fields!));
      }
    });
  }

  it('union sizes behind the message sizes: nvsp_message 40, v1 union 24 (legacy 28), all 36', () => {
    expect(nvsp.NVSP_MESSAGE_SIZE).toBe(layouts.structs['nvsp_message']!.size);
    expect(nvsp.NVSP_ALL_MESSAGES_SIZE).toBe(layouts.structs['nvsp_all_messages']!.size);
    expect(nvsp.NVSP_LEGACY_MESSAGE_SIZE).toBe(nvsp.NVSP_HEADER_SIZE + layouts.structs['nvsp_1_message_uber']!.size);
    expect(nvsp.NVSP_SEND_TABLE_FIXED_OFFSET).toBe(nvsp.NVSP_HEADER_SIZE + layouts.structs['nvsp_6_message_uber']!.size);
  });
});

describe('NVSP enums against the kernel BTF', () => {
  it('message types', () => expect({ ...nvsp.NvspMsgType }).toEqual(layouts.enums['enum@NVSP_MSG_TYPE_NONE']));
  it('status values', () => expect({ ...nvsp.NvspStat }).toEqual(layouts.enums['enum@NVSP_STAT_NONE']));
  it('subchannel operations', () => expect({ ...nvsp.NvspSubchannelOperation }).toEqual(layouts.enums['nvsp_subchannel_operation']));
  it('data paths', () => expect({ ...nvsp.NvspVmDatapath }).toEqual(layouts.enums['nvsp_vm_datapath']));
  it('PD API ops are not in BTF (unused by the module); their values follow hyperv_net.h', () => {
    expect(layouts.missing).toContain('enum nvsp_6_pd_api_op');
    expect(Object.values(nvsp.NvspPdApiOp)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
  it('the tag → msg_type table agrees with the enum', () => {
    const names: Record<string, string> = {
      INIT: 'NVSP_MSG_TYPE_INIT',
      INIT_COMPLETE: 'NVSP_MSG_TYPE_INIT_COMPLETE',
      SEND_NDIS_VER: 'NVSP_MSG1_TYPE_SEND_NDIS_VER',
      SEND_RECV_BUF: 'NVSP_MSG1_TYPE_SEND_RECV_BUF',
      SEND_RECV_BUF_COMPLETE: 'NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE',
      REVOKE_RECV_BUF: 'NVSP_MSG1_TYPE_REVOKE_RECV_BUF',
      SEND_SEND_BUF: 'NVSP_MSG1_TYPE_SEND_SEND_BUF',
      SEND_SEND_BUF_COMPLETE: 'NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE',
      REVOKE_SEND_BUF: 'NVSP_MSG1_TYPE_REVOKE_SEND_BUF',
      SEND_RNDIS_PKT: 'NVSP_MSG1_TYPE_SEND_RNDIS_PKT',
      SEND_RNDIS_PKT_COMPLETE: 'NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE',
      ALLOC_RXBUF: 'NVSP_MSG2_TYPE_ALLOC_RXBUF',
      ALLOC_RXBUF_COMP: 'NVSP_MSG2_TYPE_ALLOC_RXBUF_COMP',
      FREE_RXBUF: 'NVSP_MSG2_TYPE_FREE_RXBUF',
      SEND_NDIS_CONFIG: 'NVSP_MSG2_TYPE_SEND_NDIS_CONFIG',
      SEND_VF_ASSOCIATION: 'NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION',
      SWITCH_DATA_PATH: 'NVSP_MSG4_TYPE_SWITCH_DATA_PATH',
      OID_QUERY_EX: 'NVSP_MSG5_TYPE_OID_QUERY_EX',
      OID_QUERY_EX_COMP: 'NVSP_MSG5_TYPE_OID_QUERY_EX_COMP',
      SUBCHANNEL_REQUEST: 'NVSP_MSG5_TYPE_SUBCHANNEL',
      SUBCHANNEL_COMPLETE: 'NVSP_MSG5_TYPE_SUBCHANNEL',
      SEND_INDIRECTION_TABLE: 'NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE',
      PD_API_REQUEST: 'NVSP_MSG6_TYPE_PD_API',
      PD_API_COMPLETE: 'NVSP_MSG6_TYPE_PD_API',
      PD_POST_BATCH: 'NVSP_MSG6_TYPE_PD_POST_BATCH',
    };
    const e = layouts.enums['enum@NVSP_MSG_TYPE_NONE']!;
    expect(Object.keys(nvsp.NVSP_MESSAGE_TYPE).sort()).toEqual(Object.keys(names).sort());
    for (const [tag, n] of Object.entries(nvsp.NVSP_MESSAGE_TYPE)) expect(n, tag).toBe(e[names[tag]!]);
  });
});
