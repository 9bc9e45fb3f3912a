/**
 * The RNDIS-floor arbitraries: every RNDIS message, PPI list and NDIS object round-trips through
 * its codec; near-valid RNDIS messages, PPI blocks and config parameters decode to a value or a
 * ProtocolError only, are rejected wherever the offset/length rules say so, and accepted where
 * the rules accept them.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  decodeConfigParameter,
  decodePpiList,
  decodeRndis,
  encodeRndis,
  ndis_offload,
  ndis_offload_params,
  ndis_recv_scale_cap,
  rndisCodec,
  rndisConfigParameter,
  RNDIS_MSG,
  type RndisMessage,
} from '../../src/protocol/index.js';
import { ProtocolError } from '../../src/wire/index.js';
import {
  arbConfigParameter,
  arbNdisOffload,
  arbNdisOffloadParams,
  arbNearValidConfigParameter,
  arbNearValidPpiList,
  arbNearValidRndis,
  arbPpiList,
  arbRndisMessage,
  arbRssCapabilities,
  configParameterSpecVerdict,
  decodeTotal,
  nearValidProperty,
  ppiInPacketCodec,
  ppiSpecVerdict,
  rndisSpecVerdict,
  roundTripProperty,
  type NearValid,
} from '../../src/testing/index.js';

const RUNS = { numRuns: 200 };
const ALL_TYPES = [...Object.keys(RNDIS_MSG), 'UNKNOWN'].sort();

describe('valid RNDIS-floor arbitraries round-trip', () => {
  it('arbRndisMessage: every message through rndisCodec', () => {
    fc.assert(roundTripProperty(rndisCodec, arbRndisMessage()), RUNS);
  });

  it('arbRndisMessage reaches every type, for the free shapes, and honours `types` and `shape`', () => {
    const seen = new Set(fc.sample(arbRndisMessage({ shape: 'any' }), { numRuns: 1500, seed: 1 }).map((m) => m.type));
    expect([...seen].sort()).toEqual(ALL_TYPES);
    const linux = fc.sample(arbRndisMessage({ shape: 'linux' }), { numRuns: 300, seed: 2 });
    expect(new Set(linux.map((m) => m.type))).toEqual(new Set(['PACKET', 'INIT', 'INIT_C', 'QUERY', 'QUERY_C', 'SET', 'INDICATE']));
    // Linux's own layouts: QUERY/SET info at body offset 20, PACKET PPI at 36.
    for (const m of linux) {
      if (m.type === 'QUERY' || m.type === 'SET') expect(m.info_buf_offset).toBe(20);
      if (m.type === 'PACKET') expect(m.per_pkt_info_offset).toBe(36);
    }
    expect(fc.sample(arbRndisMessage({ types: ['HALT'] }), 30).every((m: RndisMessage) => m.type === 'HALT')).toBe(true);
  });

  it('arbPpiList: every list through an RNDIS PACKET (ppiInPacketCodec)', () => {
    fc.assert(roundTripProperty(ppiInPacketCodec, arbPpiList()), RUNS);
  });

  it('NDIS objects: RSS capabilities, offload capabilities and parameters, config parameters', () => {
    fc.assert(roundTripProperty(ndis_recv_scale_cap, arbRssCapabilities), { numRuns: 100 });
    fc.assert(roundTripProperty(ndis_offload, arbNdisOffload), { numRuns: 100 });
    fc.assert(roundTripProperty(ndis_offload_params, arbNdisOffloadParams), { numRuns: 100 });
    fc.assert(roundTripProperty(rndisConfigParameter, arbConfigParameter), RUNS);
  });
});

/** Checks `decode` against the spec verdict both ways on every input. */
function agreesWithSpec(arb: fc.Arbitrary<NearValid>, decode: (b: Uint8Array) => unknown, verdict: (b: Uint8Array) => { verdict: string; rule?: string }) {
  fc.assert(
    fc.property(arb, (x) => {
      const out = decodeTotal(decode, x.bytes);
      const v = verdict(x.bytes);
      if (v.verdict === 'reject') expect(out.ok, `${x.mutation}: ${v.rule}`).toBe(false);
      else expect(out.ok ? 'accepted' : String((out as { error: unknown }).error), x.mutation).toBe('accepted');
    }),
    RUNS,
  );
}

describe('near-valid RNDIS-floor bytes', () => {
  it('arbNearValidRndis: a message or a ProtocolError, and every input the rules reject is rejected', () => {
    fc.assert(nearValidProperty(arbNearValidRndis(), (b) => decodeRndis(b)), RUNS);
  });

  it('decodeRndis agrees with the spec verdict both ways (no gap, no over-strictness)', () => {
    agreesWithSpec(arbNearValidRndis(), (b) => decodeRndis(b), (b) => rndisSpecVerdict(b));
  });

  it('lying msg_len, buffer offsets past the end or into the fixed fields, and truncations are all rejected', () => {
    const xs = fc.sample(arbNearValidRndis(), { numRuns: 2000, seed: 3 }); // seeded: a coverage check must not depend on luck
    for (const kind of ['length-lie', 'offset-past-end', 'offset-into-header', 'truncate'] as const) {
      const rejected = xs.filter((x) => x.kind === kind && x.expect === 'reject');
      expect(rejected.length, kind).toBeGreaterThan(0);
      for (const x of rejected) expect(() => decodeRndis(x.bytes), x.mutation).toThrow(ProtocolError);
    }
    // Truncating below msg_len always leaves msg_len lying: every truncation is marked for rejection.
    expect(xs.filter((x) => x.kind === 'truncate').every((x) => x.expect === 'reject')).toBe(true);
    // Bytes after msg_len are not part of the message: every extension is accepted.
    for (const x of xs.filter((y) => y.kind === 'extend')) expect(x.expect).toBe('any');
  });

  it('with bound "buffer" the decoder still only ever throws ProtocolError', () => {
    fc.assert(nearValidProperty(arbNearValidRndis(), (b) => decodeRndis(b, 0, { bound: 'buffer' }), { requireRejection: false }), RUNS);
    fc.assert(
      fc.property(arbNearValidRndis(), (x) => {
        if (rndisSpecVerdict(x.bytes, { bound: 'buffer' }).verdict === 'reject') expect(() => decodeRndis(x.bytes, 0, { bound: 'buffer' })).toThrow(ProtocolError);
      }),
      RUNS,
    );
  });

  it('arbNearValidPpiList: decodePpiList agrees with the PPI rules both ways', () => {
    fc.assert(nearValidProperty(arbNearValidPpiList(), (b) => decodePpiList(b)), RUNS);
    agreesWithSpec(arbNearValidPpiList(), (b) => decodePpiList(b), ppiSpecVerdict);
  });

  it('arbNearValidConfigParameter: decodeConfigParameter agrees with the rules both ways', () => {
    fc.assert(nearValidProperty(arbNearValidConfigParameter(), (b) => decodeConfigParameter(b)), RUNS);
    agreesWithSpec(arbNearValidConfigParameter(), (b) => decodeConfigParameter(b), configParameterSpecVerdict);
  });

  it('the spec verdict on hand-built QUERY_C messages (§3.5 table)', () => {
    const queryC = (off: number, len: number, msgLen = 28) => {
      const b = new Uint8Array(msgLen);
      const v = new DataView(b.buffer);
      v.setUint32(0, RNDIS_MSG.QUERY_C, true);
      v.setUint32(4, msgLen, true);
      v.setUint32(16, len, true);
      v.setUint32(20, off, true);
      return b;
    };
    expect(rndisSpecVerdict(queryC(16, 4)).verdict).toBe('accept');
    expect(rndisSpecVerdict(queryC(17, 4)).verdict).toBe('reject');
    expect(rndisSpecVerdict(queryC(12, 4)).verdict).toBe('reject');
    expect(rndisSpecVerdict(queryC(16, 0xffffffff)).verdict).toBe('reject');
    const lying = queryC(16, 4);
    new DataView(lying.buffer).setUint32(4, 29, true);
    expect(rndisSpecVerdict(lying).verdict).toBe('reject'); // msg_len 29 past the 28 bytes
    expect(rndisSpecVerdict(encodeRndis({ type: 'UNKNOWN', ndis_msg_type: 0xff000001, body: new Uint8Array(3) })).verdict).toBe('accept');
  });
});
