/**
 * fast-check arbitraries for every message of every floor, in one import: VMBus packets and
 * channel messages (`arb-vmbus`), NVSP (`arb-nvsp`), RNDIS, NDIS objects and per-packet info
 * (`arb-rndis`), RSS flows, keys, tables and parameters (`arb-rss`), and the near-valid machinery
 * they share (`arb-common`).
 *
 * Two families per floor:
 * - **valid** arbitraries (`arbVmbusPacket`, `arbChannelMessage`, `arbNvspMessage`,
 *   `arbRndisMessage`, `arbPpiList`, `arbRssParameters`, `arbFlow`, …): values the floor's codec
 *   encodes without error and decodes back (run them through `roundTripProperty`);
 * - **near-valid** arbitraries (`arbNearValidPacket`, `arbNearValidChannelMessage`,
 *   `arbNearValidNvsp`, `arbNearValidRndis`, `arbNearValidPpiList`, `arbNearValidRssParameters`, …):
 *   `{ bytes, mutation, kind, expect }` — a valid encoding with exactly one thing broken, named in
 *   `mutation`, and whether the rules require a decoder to reject it.
 *
 * @example Any RNDIS message my driver's parser accepts round-trips (with @fast-check/vitest)
 * ```ts
 * import { test } from '@fast-check/vitest';
 * import { decodeRndis, encodeRndis } from 'netvsc-sim';
 * import { arbRndisMessage } from 'netvsc-sim/testing';
 *
 * test.prop([arbRndisMessage()])('parse → serialise is the identity', (m) => {
 *   const bytes = encodeRndis(m);
 *   const again = encodeRndis(decodeRndis(bytes)); // your parser and serialiser here
 *   return again.length === bytes.length && again.every((x, i) => x === bytes[i]);
 * });
 * ```
 * @example The same with plain fast-check, plus near-valid inputs
 * ```ts
 * import * as fc from 'fast-check';
 * import { decodeRndis, rndisCodec } from 'netvsc-sim';
 * import { arbNearValidRndis, arbRndisMessage, nearValidProperty, roundTripProperty } from 'netvsc-sim/testing';
 *
 * fc.assert(roundTripProperty(rndisCodec, arbRndisMessage()), { numRuns: 200 });
 * fc.assert(nearValidProperty(arbNearValidRndis(), (bytes) => decodeRndis(bytes)), { numRuns: 200 });
 * ```
 * @module
 */
export * from './arb-common.js';
export * from './arb-vmbus.js';
export * from './arb-nvsp.js';
export * from './arb-rndis.js';
export * from './arb-rss.js';
