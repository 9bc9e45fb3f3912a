/**
 * The VMBus floor's arbitraries: every packet kind and every channel message type round-trips
 * through its codec; near-valid packets and channel messages decode to a value or a ProtocolError
 * only, and are rejected whenever the rules say so.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  CHANNELMSG,
  decodeChannelMessage,
  decodePacket,
  encodeChannelMessage,
  gpaRangePageCount,
  HV_MESSAGE_PAYLOAD_BYTE_COUNT,
  vmbusPacket,
  type ChannelMessage,
} from '../../src/vmbus/index.js';
import { ProtocolError } from '../../src/wire/index.js';
import {
  arbChannelMessage,
  arbGpaRange,
  arbNearValidChannelMessage,
  arbNearValidPacket,
  arbVmbusPacket,
  CHANNEL_MESSAGE_TYPES,
  channelMessageSpecVerdict,
  decodeTotal,
  packetSpecVerdict,
  channelMessageSlotCodec,
  deepEqual,
  nearValidProperty,
  normalizeVmbusPacket,
  roundTripProperty,
} from '../../src/testing/index.js';

const RUNS = { numRuns: 200 };

describe('valid VMBus arbitraries round-trip', () => {
  it('arbVmbusPacket: every packet through vmbusPacket (payload padded to 8 on decode)', () => {
    fc.assert(roundTripProperty(vmbusPacket, arbVmbusPacket(), { normalize: normalizeVmbusPacket }), RUNS);
  });

  it('arbVmbusPacket reaches all four kinds, and each kind alone', () => {
    const kinds = new Set(fc.sample(arbVmbusPacket(), { numRuns: 300, seed: 9 }).map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['completion', 'gpa-direct', 'inband', 'xfer-pages']);
    for (const k of ['inband', 'completion', 'xfer-pages', 'gpa-direct'] as const) {
      expect(fc.sample(arbVmbusPacket({ kinds: [k] }), 20).every((p) => p.kind === k)).toBe(true);
    }
  });

  it('arbGpaRange: exactly one PFN per page the range touches, offset below 4096, count ≥ 1', () => {
    fc.assert(
      fc.property(arbGpaRange({ maxPages: 9 }), (r) => {
        expect(r.byte_count).toBeGreaterThanOrEqual(1);
        expect(r.byte_offset).toBeLessThan(4096);
        expect(r.pfns.length).toBe(gpaRangePageCount(r.byte_offset, r.byte_count));
        expect(r.pfns.length).toBeLessThanOrEqual(9);
      }),
      { numRuns: 100 },
    );
  });

  it('arbChannelMessage: every message through its SynIC slot (channelMessageSlotCodec)', () => {
    fc.assert(roundTripProperty(channelMessageSlotCodec, arbChannelMessage()), RUNS);
  });

  it('arbChannelMessage: the posted payload decodes to the same message, at most 240 bytes, msgtype = type', () => {
    fc.assert(
      fc.property(arbChannelMessage(), (m) => {
        const b = encodeChannelMessage(m);
        expect(b.length).toBeLessThanOrEqual(HV_MESSAGE_PAYLOAD_BYTE_COUNT);
        expect(new DataView(b.buffer, b.byteOffset).getUint32(0, true)).toBe(CHANNELMSG[m.type]);
        expect(deepEqual(decodeChannelMessage(b), m)).toBe(true);
      }),
      RUNS,
    );
  });

  it('arbChannelMessage reaches every type 1..24 and honours `types`', () => {
    const seen = new Set(fc.sample(arbChannelMessage(), { numRuns: 1500, seed: 10 }).map((m) => m.type));
    expect([...seen].sort()).toEqual([...CHANNEL_MESSAGE_TYPES].sort());
    expect(CHANNEL_MESSAGE_TYPES).toHaveLength(24);
    const only = fc.sample(arbChannelMessage({ types: ['CHANNELMSG_GPADL_HEADER'] }), 30) as Extract<ChannelMessage, { type: 'CHANNELMSG_GPADL_HEADER' }>[];
    expect(only.every((m) => m.type === 'CHANNELMSG_GPADL_HEADER')).toBe(true);
    // GPADL headers with ranges, including a last range carrying fewer PFNs than it spans.
    expect(only.some((m) => m.msg.range.length > 1)).toBe(true);
    expect(only.some((m) => m.msg.range.some((r) => r.pfns.length < gpaRangePageCount(r.byte_offset, r.byte_count)))).toBe(true);
  });
});

describe('near-valid VMBus bytes', () => {
  it('arbNearValidPacket: decodePacket returns a packet or throws a ProtocolError, and rejects what the rules reject', () => {
    fc.assert(nearValidProperty(arbNearValidPacket(), (b) => decodePacket(b)), RUNS);
  });

  it('arbNearValidChannelMessage: decodeChannelMessage likewise', () => {
    fc.assert(nearValidProperty(arbNearValidChannelMessage(), (b) => decodeChannelMessage(b)), RUNS);
  });

  it('decodePacket and decodeChannelMessage agree with the spec verdicts both ways (no gap, no over-strictness)', () => {
    fc.assert(
      fc.property(arbNearValidPacket(), (x) => {
        const v = packetSpecVerdict(x.bytes);
        expect(decodeTotal((b) => decodePacket(b), x.bytes).ok, `${x.mutation}: ${v.rule ?? 'accepted by the rules'}`).toBe(v.verdict === 'accept');
      }),
      RUNS,
    );
    fc.assert(
      fc.property(arbNearValidChannelMessage(), (x) => {
        const v = channelMessageSpecVerdict(x.bytes);
        expect(decodeTotal((b) => decodeChannelMessage(b), x.bytes).ok, `${x.mutation}: ${v.rule ?? 'accepted by the rules'}`).toBe(v.verdict === 'accept');
      }),
      RUNS,
    );
  });

  it('near-valid packets cover every kind of mutation, both verdicts, and name what was broken', () => {
    const xs = fc.sample(arbNearValidPacket(), { numRuns: 1000, seed: 11 });
    expect(new Set(xs.map((x) => x.kind))).toEqual(
      new Set(['off-by-one', 'length-lie', 'offset-past-end', 'offset-into-header', 'count-too-large', 'truncate', 'extend', 'bad-value']),
    );
    expect(xs.some((x) => x.expect === 'reject') && xs.some((x) => x.expect === 'any')).toBe(true);
    expect(xs.every((x) => x.mutation.startsWith(`${x.kind}:`))).toBe(true);
    // Every truncation below len8·8 must be refused: each one is marked so.
    expect(xs.filter((x) => x.kind === 'truncate').every((x) => x.expect === 'reject')).toBe(true);
  });

  it('a channel message past 240 bytes is marked for rejection and is rejected (BAD_LENGTH)', () => {
    const xs = fc.sample(arbNearValidChannelMessage(), 1500).filter((x) => x.bytes.length > HV_MESSAGE_PAYLOAD_BYTE_COUNT);
    expect(xs.length).toBeGreaterThan(0);
    for (const x of xs) {
      expect(x.expect).toBe('reject');
      expect(() => decodeChannelMessage(x.bytes)).toThrow(ProtocolError);
    }
  });
});
