/**
 * Properties of the NVSP codecs: every struct codec and every message round-trips for every peer
 * size; any byte string decodes to a message or a ProtocolError and nothing else; whatever decodes
 * re-encodes to bytes that decode to the same message.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as nvsp from '../../src/protocol/nvsp.js';
import {
  decodeNvsp,
  encodeNvsp,
  nvspCodec,
  nvspEncodingLength,
  NVSP_6_PD_API_COMP_MEMBERS,
  NVSP_6_PD_API_REQ_MEMBERS,
  PD_API_COMP_MEMBER,
  PD_API_REQ_MEMBER,
  type NvspDecodeOptions,
  type NvspEncodeOptions,
  type NvspMessage,
  type NvspSender,
} from '../../src/protocol/nvsp.js';
import { anyBytes, checkRoundTrip, deepEqual, fixedBytes, mutatedBytes, roundTripProperty, structArbitrary } from '../../src/testing/index.js';
import { ProtocolError, type Codec, type StructCodec } from '../../src/wire/index.js';

const RUNS = { numRuns: 150 };

function isStructCodec(x: unknown): x is StructCodec<any> {
  return !!x && typeof x === 'object' && 'layout' in x && 'declaration' in x && 'size' in x;
}
const structCodecs: StructCodec<any>[] = [
  ...Object.values(nvsp).filter(isStructCodec),
  ...Object.values(NVSP_6_PD_API_REQ_MEMBERS),
  ...Object.values(NVSP_6_PD_API_COMP_MEMBERS),
];

// ---------------------------------------------------------------------------------------------
// Message arbitraries

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bit = fc.constantFrom(0, 1);

const FIXED: [NvspMessage['type'], StructCodec<any>][] = [
  ['INIT', nvsp.nvsp_message_init],
  ['INIT_COMPLETE', nvsp.nvsp_message_init_complete],
  ['SEND_NDIS_VER', nvsp.nvsp_1_message_send_ndis_version],
  ['SEND_RECV_BUF', nvsp.nvsp_1_message_send_receive_buffer],
  ['REVOKE_RECV_BUF', nvsp.nvsp_1_message_revoke_receive_buffer],
  ['SEND_SEND_BUF', nvsp.nvsp_1_message_send_send_buffer],
  ['SEND_SEND_BUF_COMPLETE', nvsp.nvsp_1_message_send_send_buffer_complete],
  ['REVOKE_SEND_BUF', nvsp.nvsp_1_message_revoke_send_buffer],
  ['SEND_RNDIS_PKT', nvsp.nvsp_1_message_send_rndis_packet],
  ['SEND_RNDIS_PKT_COMPLETE', nvsp.nvsp_1_message_send_rndis_packet_complete],
  ['ALLOC_RXBUF', nvsp.nvsp_2_alloc_rxbuf],
  ['ALLOC_RXBUF_COMP', nvsp.nvsp_2_alloc_rxbuf_comp],
  ['FREE_RXBUF', nvsp.nvsp_2_free_rxbuf],
  ['SEND_NDIS_CONFIG', nvsp.nvsp_2_send_ndis_config],
  ['SEND_VF_ASSOCIATION', nvsp.nvsp_4_send_vf_association],
  ['SWITCH_DATA_PATH', nvsp.nvsp_4_sw_datapath],
  ['OID_QUERY_EX', nvsp.nvsp_5_oid_query_ex],
  ['OID_QUERY_EX_COMP', nvsp.nvsp_5_oid_query_ex_comp],
  ['SUBCHANNEL_REQUEST', nvsp.nvsp_5_subchannel_request],
  ['SUBCHANNEL_COMPLETE', nvsp.nvsp_5_subchannel_complete],
];

const fixedArb = (tag: NvspMessage['type'], codec: StructCodec<any>) =>
  structArbitrary(codec).map((v) => ({ type: tag, ...v }) as NvspMessage);

const recvBufCompleteArb = fc
  .tuple(u32, fc.array(structArbitrary(nvsp.nvsp_1_receive_buffer_section), { maxLength: 4 }))
  .map(([status, sections]): NvspMessage => ({ type: 'SEND_RECV_BUF_COMPLETE', status, num_sections: sections.length, sections }));

/** A send table the decoder accepts; the `hyperv` peer puts the table at 40, so its offset must say 40. */
const sendTableArb = (peer: NvspEncodeOptions['peer']) =>
  fc
    .tuple(fc.integer({ min: 12, max: 300 }), fc.array(u32, { minLength: 16, maxLength: 16 }))
    .map(([offset, table]): NvspMessage => ({ type: 'SEND_INDIRECTION_TABLE', count: 16, offset: peer === 'hyperv' ? 40 : offset, table }));

const opArb = fc.oneof(fc.integer({ min: 0, max: 11 }), u32);
const pdReqArb = opArb.chain((op) => {
  const key = (PD_API_REQ_MEMBER as Record<number, keyof typeof NVSP_6_PD_API_REQ_MEMBERS>)[op];
  if (!key) return fc.constant({ type: 'PD_API_REQUEST', op } as NvspMessage);
  return structArbitrary(NVSP_6_PD_API_REQ_MEMBERS[key] as StructCodec<any>).map((m) => ({ type: 'PD_API_REQUEST', op, [key]: m }) as NvspMessage);
});
const pdCompArb = fc.tuple(opArb, u32).chain(([op, status]) => {
  const key = (PD_API_COMP_MEMBER as Record<number, keyof typeof NVSP_6_PD_API_COMP_MEMBERS>)[op];
  if (!key) return fc.constant({ type: 'PD_API_COMPLETE', op, status } as NvspMessage);
  return structArbitrary(NVSP_6_PD_API_COMP_MEMBERS[key] as StructCodec<any>).map(
    (m) => ({ type: 'PD_API_COMPLETE', op, status, [key]: m }) as NvspMessage,
  );
});
const pdBatchArb = fc
  .tuple(bit, bit, fc.array(fc.record({ region_offset: u32, region_id: fc.integer({ min: 0, max: 0xffff }), is_partial: bit }), { maxLength: 5 }))
  .map(([guest2host, is_recv, pd_buf]): NvspMessage => ({ type: 'PD_POST_BATCH', count: pd_buf.length, guest2host, is_recv, pd_buf }));

const UNKNOWN_TYPES = [0, 3, 99, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 123, 124, 126, 127, 130, 137, 1000, 0xffffffff];
const unknownArb = fc
  .tuple(fc.constantFrom(...UNKNOWN_TYPES), fc.uint8Array({ maxLength: 48 }))
  .map(([msg_type, body]): NvspMessage => ({ type: 'UNKNOWN', msg_type, body }));

/** Every message with a defined body (UNKNOWN apart: its body takes every trailing byte). */
const knownArb = (peer: NvspEncodeOptions['peer']) =>
  fc.oneof(...FIXED.map(([t, c]) => fixedArb(t, c)), recvBufCompleteArb, sendTableArb(peer), pdReqArb, pdCompArb, pdBatchArb);

/** Who sends a message of this tag (types 133 and 135 depend on it; the rest decode either way). */
function sender(m: NvspMessage, fallback: NvspSender): NvspSender {
  if (m.type === 'SUBCHANNEL_COMPLETE' || m.type === 'PD_API_COMPLETE') return 'host';
  if (m.type === 'SUBCHANNEL_REQUEST' || m.type === 'PD_API_REQUEST') return 'guest';
  return fallback;
}

/** The size each peer pads to (spec §2.4): the encoded message is never shorter. */
function peerFloor(options: NvspEncodeOptions, m: NvspMessage): number {
  if (options.size !== undefined) return options.size;
  const v61 = (options.version ?? 0) >= 0x60001;
  switch (options.peer) {
    case 'linux':
      return m.type === 'SEND_RNDIS_PKT_COMPLETE' ? 8 : 40;
    case 'hyperv':
      return v61 ? 40 : 28;
    case 'openvmm':
      return v61 ? 40 : 32;
    default:
      return 0;
  }
}

const PEERS: NvspEncodeOptions[] = [
  { peer: 'linux' },
  { peer: 'hyperv' },
  { peer: 'hyperv', version: 0x60001 },
  { peer: 'openvmm', version: 0x50000 },
  { peer: 'openvmm', version: 0x60001 },
  { peer: 'exact' },
  { size: 64 },
];

// ---------------------------------------------------------------------------------------------

describe('struct codecs', () => {
  it('cover every NVSP struct declared (top-level and the PD union members)', () => {
    expect(structCodecs.length).toBeGreaterThanOrEqual(36);
  });

  for (const codec of structCodecs) {
    it(`${codec.name} round-trips and its generated decoder agrees with binary-parser`, () => {
      fc.assert(roundTripProperty(codec, structArbitrary(codec)), RUNS);
      fc.assert(
        fc.property(fixedBytes(codec.size), (b) => {
          expect(codec.decode(b)).toEqual(codec.decodeWithParser(b));
        }),
        { numRuns: 50 },
      );
    });
  }
});

describe('messages round-trip for every peer', () => {
  for (const options of PEERS) {
    it(`through nvspCodec with ${JSON.stringify(options)}`, () => {
      fc.assert(
        fc.property(knownArb(options.peer), fc.constantFrom<NvspSender>('guest', 'host'), fc.integer({ min: 0, max: 40 }), (m, from, offset) => {
          // The version option is the encoder's; decoding without it keeps the send-table offset
          // honoured (checkRoundTrip appends bytes after the message, which would otherwise count).
          const codec: Codec<NvspMessage> = {
            name: 'nvsp_message',
            encode: (v, buf, off) => encodeNvsp(v, options, buf, off),
            decode: (buf, off = 0) => nvspCodec({ from: sender(m, from) }).decode(buf, off),
            encodingLength: (v) => nvspEncodingLength(v, options),
          };
          const b = checkRoundTrip(codec, m, { offset });
          expect(b.length).toBeGreaterThanOrEqual(peerFloor(options, m));
        }),
        RUNS,
      );
    });
  }

  it('UNKNOWN messages carry every byte after the header, so they round-trip at their exact size', () => {
    fc.assert(
      fc.property(unknownArb, fc.constantFrom<NvspSender>('guest', 'host'), (m, from) => {
        const b = encodeNvsp(m, { peer: 'exact' });
        expect(b.length).toBe(nvspEncodingLength(m, { peer: 'exact' }));
        expect(decodeNvsp(b, { from })).toEqual(m);
        // Padded by a peer, the padding becomes part of the body.
        const padded = encodeNvsp(m, { peer: 'linux' });
        const back = decodeNvsp(padded, { from });
        expect(back.type === 'UNKNOWN' && back.body.subarray(0, (m as { body: Uint8Array }).body.length)).toEqual((m as { body: Uint8Array }).body);
      }),
      RUNS,
    );
  });

  it('a Windows-host send table (table at 40) decodes at NVSP <= 6.0 through the fix-up', () => {
    fc.assert(
      fc.property(sendTableArb('linux'), fc.constantFrom(0x50000, 0x60000), (m, version) => {
        const b = encodeNvsp(m, { peer: 'hyperv' });
        expect(b.length).toBe(104);
        const t = m as nvsp.NvspSendIndirectionTable;
        const expected = t.offset === 40 ? t : { ...t, table_offset: 40 };
        expect(decodeNvsp(b, { from: 'host', version })).toEqual(expected);
      }),
      RUNS,
    );
  });
});

describe('decoding is total', () => {
  const decodeOptions = fc.record({
    from: fc.constantFrom<NvspSender>('guest', 'host'),
    version: fc.constantFrom(undefined, 0x2, 0x30002, 0x40000, 0x50000, 0x60000, 0x60001),
  }) as fc.Arbitrary<NvspDecodeOptions>;
  const KNOWN_TYPES = [1, 2, 100, 101, 102, 103, 104, 105, 106, 107, 108, 120, 121, 122, 125, 128, 129, 131, 132, 133, 134, 135, 136];
  const typed = fc
    .tuple(
      fc.constantFrom(...KNOWN_TYPES, ...UNKNOWN_TYPES),
      fc.integer({ min: 0, max: 140 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.boolean(),
    )
    .map(([t, body, small]) => {
      const b = new Uint8Array(4 + body.length);
      const view = new DataView(b.buffer);
      view.setUint32(0, t, true);
      b.set(body, 4);
      // Small counts and offsets reach the deeper checks of 102, 134 and 136 more often.
      if (small && b.length >= 12) {
        if (t === 102) view.setUint32(8, b[8]! & 3, true);
        if (t === 134) {
          view.setUint32(4, 16, true);
          view.setUint32(8, b[8]! & 0x7f, true);
        }
        if (t === 136) view.setUint16(4, b[4]! & 15, true);
      }
      return b;
    });
  const mutated = fc.constantFrom<NvspSender>('guest', 'host').chain((from) =>
    mutatedBytes(nvspCodec({ from, peer: 'linux' }), knownArb('linux')),
  );

  /** Decodes; on success checks that re-encoding (exact size) decodes to the same message. */
  function decodeTotal(b: Uint8Array, options: NvspDecodeOptions): void {
    let m: NvspMessage;
    try {
      m = decodeNvsp(b, options);
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      return;
    }
    if (m.type === 'SEND_INDIRECTION_TABLE' && (m.table_offset ?? m.offset) < 12) {
      // Linux accepts a table overlapping the header; such bytes cannot be re-encoded from a value.
      expect(() => encodeNvsp(m, { peer: 'exact' })).toThrow(ProtocolError);
      return;
    }
    const again = decodeNvsp(encodeNvsp(m, { peer: 'exact' }), options);
    expect(deepEqual(again, m)).toBe(true);
  }

  it('arbitrary bytes give a message or a ProtocolError', () => {
    fc.assert(fc.property(anyBytes(160), decodeOptions, decodeTotal), { numRuns: 300 });
  });

  it('bytes behind every message type give a message or a ProtocolError', () => {
    fc.assert(fc.property(typed, decodeOptions, decodeTotal), { numRuns: 300 });
  });

  it('mutated valid messages give a message or a ProtocolError', () => {
    fc.assert(fc.property(mutated, decodeOptions, decodeTotal), { numRuns: 300 });
  });

  it('peekNvspType reads any 4 bytes and rejects fewer with a ProtocolError', () => {
    fc.assert(
      fc.property(anyBytes(8), (b) => {
        if (b.length >= 4) expect(nvsp.peekNvspType(b)).toBe(new DataView(b.buffer, b.byteOffset).getUint32(0, true));
        else expect(() => nvsp.peekNvspType(b)).toThrow(ProtocolError);
      }),
      { numRuns: 100 },
    );
  });

  it('linuxCheckCompletion classifies any bytes', () => {
    fc.assert(
      fc.property(anyBytes(48), fc.constantFrom<nvsp.LinuxKernel>('6.1.192', 'mainline'), (b, kernel) => {
        const v = nvsp.linuxCheckCompletion(b, kernel);
        if (v.action === 'wake-waiter' || v.action === 'tx-complete') {
          // Whatever Linux accepts, the codec decodes.
          expect(() => decodeNvsp(b, { from: 'host' })).not.toThrow();
        }
      }),
      { numRuns: 200 },
    );
  });
});
