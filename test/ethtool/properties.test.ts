/**
 * Properties: no argv makes the simulator throw (every run ends in an exit status), and a set
 * request reaches the driver exactly when the kernel core's checks pass and something changed —
 * checked against an oracle written directly from the kernel rules, on every path.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CHANNEL_KINDS,
  ETHTOOL_STYLES,
  type ChannelKind,
  type EthtoolChannels,
  type EthtoolDevice,
  type EthtoolStyle,
  runEthtool,
  staticSystem,
} from '../../src/ethtool/index.js';
import { captureSystem, netvsc, noChannels, veth } from './fakes.js';

const WORDS = [
  '-l', '-L', '--show-channels', '--set-channels', '--json', '-j', '--disable-netlink', '--debug', '--phy', '-I',
  '--include-statistics', '-h', '--help', '--version', '--monitor', '-k', '-s', 'eth0', 'lo', 'tap0', 'peer0', 'nosuchdev',
  '*', '', 'rx', 'tx', 'other', 'combined', '0', '1', '2', '4', '5', '-1', '0x10', '010', '08', '4294967296', '2147483648',
  'a'.repeat(16), 'b'.repeat(128), 'eth0:1',
];

describe('no argv throws', () => {
  it('any word list, any style, with and without CAP_NET_ADMIN', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { maxLength: 8 }),
        fc.constantFrom(...ETHTOOL_STYLES),
        fc.boolean(),
        (argv, style, cap) => {
          const { system } = captureSystem({ rx: 1, tx: 1 });
          const r = runEthtool(argv, system, { style, capNetAdmin: cap });
          expect(Number.isInteger(r.status) && r.status >= 0 && r.status <= 255).toBe(true);
          expect(r.writes.filter((w) => w.fd === 1).map((w) => w.data).join('')).toBe(r.stdout);
          expect(r.writes.filter((w) => w.fd === 2).map((w) => w.data).join('')).toBe(r.stderr);
          if (r.status !== 0) expect(r.stderr.length).toBeGreaterThan(0);
          if (!r.simulated) expect(r.stderr.startsWith('netvsc-sim: ')).toBe(true);
          if (r.status === 0) expect(r.simulated).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
  it('any command string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom(...ETHTOOL_STYLES), (line, style) => {
        const { system } = captureSystem({ rx: 1, tx: 1 });
        const r = runEthtool(`ethtool ${line}`, system, { style });
        expect(Number.isInteger(r.status)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

/** A device with all four channel kinds and an optional configured indirection table. */
function anyDevice(state: EthtoolChannels, rxfh: { size: number; table: number[] } | undefined): EthtoolDevice & { calls: EthtoolChannels[]; state: EthtoolChannels } {
  const dev = {
    name: 'dev0',
    ifindex: 2,
    present: true,
    state: { ...state },
    calls: [] as EthtoolChannels[],
    getChannels: () => ({ ...dev.state }),
    setChannels(ch: EthtoolChannels): 0 {
      dev.calls.push({ ...ch });
      dev.state = { ...ch };
      return 0;
    },
  };
  if (!rxfh) return dev;
  return Object.assign(dev, { rxfhConfigured: true, getRxfhIndirSize: () => rxfh.size, getRxfh: () => rxfh.table });
}

const countArb = fc.integer({ min: 0, max: 6 });
const stateArb = fc
  .record({ max_rx: countArb, max_tx: countArb, max_other: countArb, max_combined: countArb })
  .chain((m) =>
    fc.record({
      max_rx: fc.constant(m.max_rx),
      max_tx: fc.constant(m.max_tx),
      max_other: fc.constant(m.max_other),
      max_combined: fc.constant(m.max_combined),
      rx_count: fc.integer({ min: 0, max: m.max_rx }),
      tx_count: fc.integer({ min: 0, max: m.max_tx }),
      other_count: fc.integer({ min: 0, max: m.max_other }),
      combined_count: fc.integer({ min: 0, max: m.max_combined }),
    }),
  );
const rxfhArb = fc.option(
  fc.oneof(
    fc.constant({ size: 0, table: [] as number[] }),
    fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 8 }).map((table) => ({ size: table.length, table })),
  ),
  { nil: undefined },
);
const requestArb = fc.uniqueArray(fc.constantFrom(...CHANNEL_KINDS), { maxLength: 4 }).chain((kinds) =>
  fc.tuple(...kinds.map((k) => fc.tuple(fc.constant(k), fc.integer({ min: 0, max: 8 })))),
);

describe('the driver runs iff the core checks pass and something changed', () => {
  it.each(['netlink', 'ioctl', 'legacy', 'netlink-6.15', 'ioctl-6.15'] as const)('%s', (style: EthtoolStyle) => {
    fc.assert(
      fc.property(stateArb, rxfhArb, requestArb, (state, rxfh, request) => {
        const dev = anyDevice(state, rxfh);
        const r = runEthtool(['-L', 'dev0', ...request.flatMap(([k, v]) => [k, String(v)])], staticSystem([dev]), { style });

        // Oracle, from net/ethtool/ioctl.c + channels.c (6.1) and the 2015 core (no checks).
        const next: EthtoolChannels = { ...state };
        for (const [k, v] of request as [ChannelKind, number][]) next[`${k}_count`] = v;
        const changed = (request as [ChannelKind, number][]).some(([k, v]) => state[`${k}_count`] !== v);
        const within = next.rx_count <= state.max_rx && next.tx_count <= state.max_tx && next.other_count <= state.max_other && next.combined_count <= state.max_combined;
        const hasRxTx = next.combined_count > 0 || (next.rx_count > 0 && next.tx_count > 0);
        const tableOk = !rxfh || (rxfh.size > 0 && next.combined_count + next.rx_count > Math.max(0, ...rxfh.table));
        const pass = style === 'legacy' ? true : within && hasRxTx && tableOk;

        expect(dev.calls.length).toBe(changed && pass ? 1 : 0);
        if (dev.calls.length === 1) expect(dev.calls[0]).toEqual(next);
        const expectedStatus = changed ? (pass ? 0 : 1) : style === 'legacy' ? 1 : 0;
        expect(r.status).toBe(expectedStatus);
      }),
      { numRuns: 300 },
    );
  });

  it('netlink blames the right attribute at the right offset for any name length and position', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,15}$/), fc.integer({ min: 0, max: 3 }), (name, k) => {
        const dev = veth(name, 2, { rx: 4, tx: 4 }, { rx: 1, tx: 1 });
        // k in-range "rx 1"/"tx 1"-style words first, then the offending "other 9" as attribute number k.
        const fillers = (['rx', 'tx', 'combined'] as const).slice(0, k).flatMap((kind) => [kind, kind === 'combined' ? '0' : '1']);
        const r = runEthtool(['-L', name, ...fillers, 'other', '9'], staticSystem([dev]));
        const offset = 28 + 4 * Math.ceil((name.length + 1) / 4) + 8 * k;
        expect(r.stderr).toBe(`netlink error: requested channel count exceeds maximum (offset ${offset})\nnetlink error: Invalid argument\n`);
      }),
      { numRuns: 150 },
    );
  });

  it('a netvsc device: ioctl and netlink reach the driver for exactly the same requests', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2 }), (max, combined, rx) => {
        const runs = (['netlink', 'ioctl'] as const).map((style) => {
          const nv = netvsc('eth0', 2, { maxChn: max, numChn: Math.min(2, max) });
          const argv = ['-L', 'eth0', 'combined', String(combined), ...(rx ? ['rx', String(rx)] : [])];
          const r = runEthtool(argv, staticSystem([noChannels('lo', 1), nv]), { style });
          return { calls: nv.setCalls.length, failed: r.status !== 0, after: nv.state.numChn };
        });
        expect(runs[0]).toEqual(runs[1]);
      }),
      { numRuns: 200 },
    );
  });
});
