/**
 * The examples at the top of each src/testing/arb-*.ts file, run as written (only the import
 * paths differ: 'netvsc-sim' → src/index.ts, 'netvsc-sim/testing' → src/testing/index.ts).
 */
import { describe, it } from 'vitest';
import * as fc from 'fast-check';
import { test } from '@fast-check/vitest';
import {
  decodeNvsp,
  decodePacket,
  decodeRndis,
  encodeNvsp,
  encodeRndis,
  isProtocolError,
  ndisRssParameters,
  netvscDefaultToeplitzKey,
  NVSP_PROTOCOL_VERSION_61,
  nvspCodec,
  rndisCodec,
  rssHashFlow,
  vmbusPacket,
} from '../../src/index.js';
import {
  arbFlowWithBytes,
  arbNearValidNvsp,
  arbNearValidPacket,
  arbNearValidRndis,
  arbNvspMessage,
  arbRndisMessage,
  arbRssParameters,
  arbVmbusPacket,
  nearValidProperty,
  normalizeNvsp,
  normalizeVmbusPacket,
  roundTripProperty,
} from '../../src/testing/index.js';

describe('arb-common / messages examples (plain fast-check)', () => {
  it('near-valid RNDIS with a custom rejection predicate', () => {
    fc.assert(nearValidProperty(arbNearValidRndis(), (bytes) => decodeRndis(bytes), { isRejection: (e) => isProtocolError(e) }));
  });
  it('RNDIS round trip and near-valid, 200 runs each', () => {
    fc.assert(roundTripProperty(rndisCodec, arbRndisMessage()), { numRuns: 200 });
    fc.assert(nearValidProperty(arbNearValidRndis(), (bytes) => decodeRndis(bytes)), { numRuns: 200 });
  });
  it('arb-vmbus example', () => {
    fc.assert(roundTripProperty(vmbusPacket, arbVmbusPacket(), { normalize: normalizeVmbusPacket }));
    fc.assert(nearValidProperty(arbNearValidPacket(), (bytes) => decodePacket(bytes)));
  });
  it('arb-nvsp example', () => {
    const options = { from: 'host', version: NVSP_PROTOCOL_VERSION_61, peer: 'hyperv' } as const;
    fc.assert(roundTripProperty(nvspCodec(options), arbNvspMessage(options), { normalize: normalizeNvsp }));
    fc.assert(nearValidProperty(arbNearValidNvsp(options), (bytes, input) => decodeNvsp(bytes, input.options)));
  });
  it('arb-rss example', () => {
    fc.assert(roundTripProperty(ndisRssParameters, arbRssParameters({ queues: 8 })));
  });
});

describe('@fast-check/vitest examples', () => {
  const options = { from: 'host', version: NVSP_PROTOCOL_VERSION_61, peer: 'hyperv' } as const;
  test.prop([arbNvspMessage(options)])('my parser reads every host message', (m) => {
    const bytes = encodeNvsp(m, options);
    return decodeNvsp(bytes, options).type === m.type;
  });
  test.prop([arbRndisMessage()])('my parser round-trips every RNDIS message', (m) => {
    const bytes = encodeRndis(m);
    const again = encodeRndis(decodeRndis(bytes));
    return again.length === bytes.length && again.every((x, i) => x === bytes[i]);
  });
  test.prop([arbFlowWithBytes()])('flows hash alike', ({ flow, src, dst }) => {
    const key = netvscDefaultToeplitzKey();
    const byText = rssHashFlow(key, flow);
    return JSON.stringify(byText) === JSON.stringify(rssHashFlow(key, { ...flow, src, dst }));
  });
});
