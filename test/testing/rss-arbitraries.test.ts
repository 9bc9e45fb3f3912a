/**
 * The RSS arbitraries: RSS parameters and RSS SET messages round-trip through their codecs; every
 * flow hashes without error, from text and from bytes alike, over the right input; tables hold
 * only valid queue numbers; near-valid flows are refused and near-valid RSS objects are judged by
 * the region rules.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  decodeRssParameters,
  decodeRssSetRequest,
  ndisRssParameters,
  rndisRssSetMessage,
} from '../../src/protocol/index.js';
import {
  indirectionIndex,
  isPowerOfTwo,
  netvscDefaultToeplitzKey,
  rssHashFlow,
  selectHashInput,
  ToeplitzKey,
  toeplitzHash,
} from '../../src/rss/index.js';
import { ProtocolError } from '../../src/wire/index.js';
import {
  arbFlow,
  arbFlowWithBytes,
  arbHashInfo,
  arbIndirectionTable,
  arbIpv6Address,
  arbNearValidFlow,
  arbNearValidRssParameters,
  arbNearValidRssSetRequest,
  arbRssKey,
  arbRssParameters,
  arbRssSetRequest,
  arbSendTable,
  decodeTotal,
  nearValidProperty,
  roundTripProperty,
  rssParametersSpecVerdict,
} from '../../src/testing/index.js';

const RUNS = { numRuns: 150 };

describe('valid RSS arbitraries', () => {
  it('arbRssParameters round-trips through ndisRssParameters (Linux layout and free layouts)', () => {
    fc.assert(roundTripProperty(ndisRssParameters, arbRssParameters()), RUNS);
  });

  it('arbRssSetRequest round-trips through rndisRssSetMessage', () => {
    fc.assert(roundTripProperty(rndisRssSetMessage, arbRssSetRequest({ queues: 8 })), RUNS);
  });

  it('`queues` bounds every table entry; the Linux layout is {0x89, 2, 40}, table at 40, key after it', () => {
    fc.assert(
      fc.property(arbRssParameters({ queues: 5, layout: 'linux' }), (p) => {
        expect(p.indirection_table.every((e) => e >= 0 && e < 5)).toBe(true);
        expect(p.hdr).toEqual({ type: 0x89, rev: 2, size: 40 });
        expect(p.indirect_taboffset).toBe(40);
        expect(p.hashkey_offset).toBe(40 + 4 * p.indirection_table.length);
      }),
      { numRuns: 100 },
    );
  });

  it('every flow hashes without error under any hash information, over src ‖ dst (‖ ports)', () => {
    fc.assert(
      fc.property(arbFlowWithBytes(), arbHashInfo, arbRssKey(), ({ flow, src, dst }, hashInfo, key) => {
        const sel = selectHashInput(flow, hashInfo);
        const h = rssHashFlow(new ToeplitzKey(key), flow, hashInfo);
        if (sel === null) {
          expect(h).toBeNull();
          return;
        }
        expect([...sel.input.subarray(0, 2 * src.length)]).toEqual([...src, ...dst]);
        expect(sel.input.length === 2 * src.length || sel.input.length === 2 * src.length + 4).toBe(true);
        expect(h).toEqual({ hash: toeplitzHash(key, sel.input), hashType: sel.hashType });
      }),
      RUNS,
    );
  });

  it('a flow hashes the same whether its addresses are text or bytes (all IPv6 text forms)', () => {
    const key = netvscDefaultToeplitzKey();
    fc.assert(
      fc.property(arbFlowWithBytes({ form: 'text' }), ({ flow, src, dst }) => {
        expect(rssHashFlow(key, flow)).toEqual(rssHashFlow(key, { ...flow, src, dst }));
      }),
      RUNS,
    );
    const forms = fc.sample(arbIpv6Address, 400).map((a) => a.text);
    expect(forms.some((t) => t.includes('::'))).toBe(true);
    expect(forms.some((t) => t.includes('.'))).toBe(true);
    expect(forms.some((t) => /[A-F]/.test(t))).toBe(true);
  });

  it('arbFlow options: family, proto and fragment are honoured', () => {
    for (const f of fc.sample(arbFlow({ family: 6, proto: 'udp', fragment: false }), 50)) {
      expect(f.proto === 'udp' || f.proto === 17).toBe(true);
      expect(f.fragment).toBe(false);
      expect(typeof f.src === 'string' ? f.src.includes(':') : f.src.length === 16).toBe(true);
    }
    for (const f of fc.sample(arbFlow({ proto: 'other' }), 50)) expect(f.proto === 6 || f.proto === 17 || typeof f.proto === 'string').toBe(false);
  });

  it('indirection and send tables: sizes and entries as asked', () => {
    fc.assert(
      fc.property(arbIndirectionTable({ queues: 3, powerOfTwo: true, maxSize: 256 }), fc.integer({ min: 0, max: 0xffffffff }), (t, hash) => {
        expect(isPowerOfTwo(t.length)).toBe(true);
        expect(t.every((e) => e < 3)).toBe(true);
        expect(t[indirectionIndex(hash, t.length)]).toBeLessThan(3);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(arbSendTable({ queues: 4 }), (t) => {
        expect(t.length === 16 && t.every((e) => e < 4)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('near-valid RSS inputs', () => {
  it('arbNearValidFlow: rssHashFlow refuses each with a ProtocolError (Linux hash information)', () => {
    const key = netvscDefaultToeplitzKey();
    fc.assert(
      fc.property(arbNearValidFlow(), (x) => {
        const out = decodeTotal(() => rssHashFlow(key, x.flow), new Uint8Array(0));
        expect(out.ok, x.mutation).toBe(false);
      }),
      RUNS,
    );
  });

  it('arbNearValidRssParameters: decodeRssParameters gives a value or a ProtocolError, agreeing with the rules both ways', () => {
    fc.assert(nearValidProperty(arbNearValidRssParameters(), (b) => decodeRssParameters(b)), RUNS);
    fc.assert(
      fc.property(arbNearValidRssParameters(), (x) => {
        const accepted = decodeTotal((b) => decodeRssParameters(b), x.bytes).ok;
        expect(accepted, x.mutation).toBe(rssParametersSpecVerdict(x.bytes).verdict === 'accept');
      }),
      RUNS,
    );
  });

  it('arbNearValidRssSetRequest: the whole SET is refused exactly when its RSS object is', () => {
    fc.assert(nearValidProperty(arbNearValidRssSetRequest(), (b) => decodeRssSetRequest(b)), RUNS);
    const xs = fc.sample(arbNearValidRssSetRequest(), 300);
    expect(xs.some((x) => x.expect === 'reject') && xs.some((x) => x.expect === 'any')).toBe(true);
    for (const x of xs.filter((y) => y.expect === 'any')) expect(() => decodeRssSetRequest(x.bytes), x.mutation).not.toThrow();
    for (const x of xs.filter((y) => y.expect === 'reject')) expect(() => decodeRssSetRequest(x.bytes)).toThrow(ProtocolError);
  });
});
