/**
 * Inbound traffic through the host's RSS steering: Microsoft's Toeplitz verification vectors end to
 * end, the property that every flow lands on `table[hash mod size]` of the table the guest
 * programmed, and a model-based run mixing `ethtool -L`, `ethtool -X` and traffic.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipAddressBytes, toeplitzHash } from '../../src/rss/index.js';
import { parseCli } from '../../src/bin/cli-args.js';
import { createVm, type Vm } from '../../src/session/vm.js';
import { formatTrafficReport, parseTrafficArgs, trafficFlows } from '../../src/session/traffic.js';

interface Vector {
  destination: string;
  destinationPort: number;
  source: string;
  sourcePort: number;
  hashAddresses: string;
  hashWithPorts: string;
}
const ms = JSON.parse(readFileSync(new URL('../../fixtures/rss/microsoft-verification.json', import.meta.url), 'utf8')) as {
  key: string;
  ipv4: Vector[];
  ipv6: Vector[];
};
const MS_KEY = Uint8Array.from(Buffer.from(ms.key, 'hex'));

/** The Toeplitz input of a flow as NDIS defines it: src, dst addresses, then src, dst ports (big endian). */
function hashOf(key: Uint8Array, src: string, dst: string, ports?: [number, number]): number {
  const a = ipAddressBytes(src);
  const b = ipAddressBytes(dst);
  const input = new Uint8Array(a.length + b.length + (ports ? 4 : 0));
  input.set(a, 0);
  input.set(b, a.length);
  if (ports) new DataView(input.buffer).setUint32(a.length + b.length, ((ports[0] << 16) | ports[1]) >>> 0);
  return toeplitzHash(key, input);
}

function rxPerQueue(vm: Vm): number[] {
  const s = vm.ethtoolStats();
  if (typeof s === 'string') throw new Error(s);
  const out: number[] = [];
  for (let q = 0; s.has(`rx_queue_${q}_packets`); q++) out.push(Number(s.get(`rx_queue_${q}_packets`)));
  return out;
}

describe('Toeplitz verification vectors through the host steering', () => {
  it('TCP over IPv4 and IPv6 hashes the 4-tuple, UDP (no UDP hash type from Linux) the addresses; queue = table[hash & 127]', () => {
    const vm = createVm({ vcpus: 4 });
    const table = vm.host.state().rss!.table;
    for (const v of [...ms.ipv4, ...ms.ipv6]) {
      const tcp = vm.host.injectFlow({ src: v.source, dst: v.destination, sport: v.sourcePort, dport: v.destinationPort, proto: 'tcp' });
      vm.runIdle();
      expect(tcp.delivered && tcp.hash).toBe(Number(v.hashWithPorts));
      expect(tcp.delivered && tcp.queue).toBe(table[Number(v.hashWithPorts) % table.length]);
      const udp = vm.host.injectFlow({ src: v.source, dst: v.destination, sport: v.sourcePort, dport: v.destinationPort, proto: 'udp' });
      vm.runIdle();
      expect(udp.delivered && udp.hash).toBe(Number(v.hashAddresses));
      // the same hashes from the Toeplitz function over the NDIS input, independently of the host
      expect(hashOf(MS_KEY, v.source, v.destination, [v.sourcePort, v.destinationPort])).toBe(Number(v.hashWithPorts));
    }
  });
});

describe('every flow lands on table[hash mod size]', () => {
  it('property: for any user table (equal/weight) and any TCP/UDP flows, the guest counts each frame on table[hash % 128]', () => {
    const vm = createVm({ vcpus: 4 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 4 }).map((n) => `equal ${n}`),
          fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 4 }).filter((w) => w.some((x) => x > 0)).map((w) => `weight ${w.join(' ')}`),
          fc.constant('default'),
        ),
        fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), fc.constantFrom('tcp' as const, 'udp' as const)), { minLength: 1, maxLength: 12 }),
        (xcmd, flows) => {
          expect(vm.ethtool(`-X eth0 ${xcmd}`).status).toBe(0);
          const g = vm.rxfh();
          if (typeof g === 'string') throw new Error(g);
          for (const [src, sport, dport, proto] of flows) {
            const before = rxPerQueue(vm);
            const r = vm.host.injectFlow({ src, dst: '192.168.0.4', sport, dport, proto });
            vm.runIdle();
            const hash = hashOf(g.key, src, '192.168.0.4', proto === 'tcp' ? [sport, dport] : undefined);
            const queue = g.indir[hash % g.indir.length]!;
            expect(r).toMatchObject({ delivered: true, hash, queue, channel: queue });
            const after = rxPerQueue(vm);
            expect(after.map((n, q) => n - (before[q] ?? 0))).toEqual(after.map((_, q) => (q === queue ? 1 : 0)));
          }
        },
      ),
      { numRuns: 25, seed: 10 },
    );
  });
});

type Step = { op: 'L'; n: number } | { op: 'X-equal'; n: number } | { op: 'X-default' } | { op: 'traffic'; flows: number; seed: number; proto: 'tcp' | 'udp' };

describe('model-based: -L, -X and traffic in any order', () => {
  it('the table, the refusals and the per-queue counters follow a model of Linux 6.1', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.integer({ min: 1, max: 4 }).map((n) => ({ op: 'L' as const, n })),
      fc.integer({ min: 1, max: 4 }).map((n) => ({ op: 'X-equal' as const, n })),
      fc.constant({ op: 'X-default' as const }),
      fc.record({ flows: fc.integer({ min: 1, max: 40 }), seed: fc.nat(1000), proto: fc.constantFrom('tcp' as const, 'udp' as const) }).map((t) => ({ op: 'traffic' as const, ...t })),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 7 }), (steps) => {
        const vm = createVm({ vcpus: 4 });
        const model = { chn: 4, configured: false, table: Array.from({ length: 128 }, (_, i) => i % 4), rx: [0, 0, 0, 0] };
        for (const s of steps) {
          if (s.op === 'L') {
            const r = vm.ethtool(`-L eth0 combined ${s.n}`);
            const refused = s.n !== model.chn && model.configured && Math.max(...model.table) >= s.n;
            expect({ s, status: r.status }).toEqual({ s, status: refused ? 1 : 0 });
            if (!refused && s.n !== model.chn) {
              model.chn = s.n;
              // a new netvsc device: counters from 0; a user table comes back zeroed (rx_table re-allocated)
              model.rx = new Array<number>(s.n).fill(0);
              model.table = Array.from({ length: 128 }, (_, i) => (model.configured ? 0 : i % s.n));
            }
          } else if (s.op === 'X-equal') {
            const r = vm.ethtool(`-X eth0 equal ${s.n}`);
            const refused = s.n > model.chn;
            expect({ s, status: r.status }).toEqual({ s, status: refused ? 1 : 0 });
            if (!refused) {
              model.table = Array.from({ length: 128 }, (_, i) => i % s.n);
              model.configured = true;
            }
          } else if (s.op === 'X-default') {
            expect(vm.ethtool('-X eth0 default').status).toBe(0);
            model.table = Array.from({ length: 128 }, (_, i) => i % model.chn);
            model.configured = false;
          } else {
            const t = vm.traffic({ flows: s.flows, seed: s.seed, proto: s.proto });
            expect(t.delivered).toBe(s.flows);
            for (const f of trafficFlows(s.flows, s.proto, s.seed)) {
              const h = hashOf(MS_KEY, String(f.src), String(f.dst), s.proto === 'tcp' ? [f.sport!, f.dport!] : undefined);
              model.rx[model.table[h & 127]!]!++;
            }
          }
          const g = vm.rxfh();
          if (typeof g === 'string') throw new Error(g);
          expect(g.indir).toEqual(model.table);
          expect(g.configured).toBe(model.configured);
          expect(rxPerQueue(vm)).toEqual(model.rx);
        }
      }),
      { numRuns: 12, seed: 42 },
    );
  });
});

describe('traffic helpers', () => {
  it('flows are reproducible from the seed and differ between seeds', () => {
    expect(trafficFlows(5, 'tcp', 3)).toEqual(trafficFlows(5, 'tcp', 3));
    expect(trafficFlows(5, 'tcp', 3)).not.toEqual(trafficFlows(5, 'tcp', 4));
    expect(trafficFlows(3, 'udp', 1).every((f) => f.proto === 'udp' && f.dport === 53)).toBe(true);
  });

  it('1,000 flows over 4 queues spread roughly evenly, and over 2 after -L combined 2', () => {
    const vm = createVm({ vcpus: 4 });
    const a = vm.traffic({ flows: 1000 });
    expect(a.perChannel).toHaveLength(4);
    for (const n of a.perChannel) expect(n).toBeGreaterThan(150);
    expect(formatTrafficReport(a)).toMatch(/^traffic: 1000 tcp flows \(seed 1\): 1000 delivered; per channel 0:\d+ 1:\d+ 2:\d+ 3:\d+$/);
    expect(vm.ethtool('-L eth0 combined 2').status).toBe(0);
    const b = vm.traffic({ flows: 1000 });
    expect(b.perChannel).toHaveLength(2);
    expect(rxPerQueue(vm)).toEqual(b.perChannel);
  });

  it('parseTrafficArgs: options, = forms, clear errors', () => {
    expect(parseTrafficArgs(['--flows', '10', '--proto=udp', '--seed', '3', '--payload', '0', '--json'])).toEqual({
      ok: true,
      args: { flows: 10, proto: 'udp', seed: 3, payloadLength: 0, json: true },
    });
    expect(parseTrafficArgs(['--proto', 'icmp'])).toEqual({ ok: false, message: "traffic: option --proto: 'icmp' is not tcp or udp" });
    expect(parseTrafficArgs(['--flows'])).toEqual({ ok: false, message: 'traffic: option --flows needs a value' });
    expect(parseTrafficArgs(['--flows', '-1'])).toEqual({ ok: false, message: "traffic: option --flows: '-1' is not a whole number" });
    expect(parseTrafficArgs(['--json'], false)).toEqual({ ok: false, message: "traffic: unknown option '--json'" });
    expect(() => createVm().traffic({ flows: 1.5 })).toThrow(RangeError);
  });
});

describe('netvsc-sim traffic: command-line parsing', () => {
  it('accepts the traffic options and refuses bad ones with a clear message', () => {
    const ok = parseCli(['--vcpus', '8', 'traffic', '--flows', '1000', '--proto', 'udp', '--json']);
    expect(ok).toMatchObject({ kind: 'run', command: 'traffic', args: ['--flows', '1000', '--proto', 'udp', '--json'] });
    expect(parseCli(['traffic', '--flows', 'many'])).toEqual({ kind: 'error', message: "traffic: option --flows: 'many' is not a whole number" });
    expect(parseCli(['traffic', '--flows', '2000000'])).toEqual({ kind: 'error', message: 'traffic: option --flows: 2000000 is out of range (0..1000000)' });
  });
});
