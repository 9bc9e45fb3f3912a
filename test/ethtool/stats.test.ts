/**
 * `ethtool -S` on the simulated netvsc NIC: netvsc's statistics names in the driver's order and the
 * exact ethtool 6.1 text (fixtures/ethtool/stats-6.1.json, rendered independently from the C
 * sources), with values counted from what crossed the simulated rings.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../../src/session/vm.js';
import { replayCase, sessionCases } from './session-cases.js';

/** `name: value` pairs of a `NIC statistics:` listing. */
function parse(stdout: string): Map<string, bigint> {
  const lines = stdout.split('\n');
  expect(lines[0]).toBe('NIC statistics:');
  const m = new Map<string, bigint>();
  for (const l of lines.slice(1, -1)) {
    const g = /^ {5}([a-z0-9_]+): (\d+)$/.exec(l);
    expect(g, l).not.toBeNull();
    m.set(g![1]!, BigInt(g![2]!));
  }
  return m;
}

describe('ethtool 6.1 -S, byte for byte (fixtures/ethtool/stats-6.1.json)', () => {
  for (const style of ['netlink', 'ioctl'] as const) {
    for (const c of sessionCases('stats-6.1.json')) {
      it(`${style}: ${c.name}`, () => replayCase(createVm({ vcpus: c.vcpus, host: { queues: 64 }, ethtool: style }), c));
    }
  }
});

describe('-S counts what crossed the rings', () => {
  it('per-queue rx packets and bytes equal the host deliveries; totals match; cpu sums add up', () => {
    const vm = createVm({ vcpus: 4 });
    const t = vm.traffic({ flows: 400, proto: 'tcp', seed: 7, payloadLength: 100 });
    expect(t.delivered).toBe(400);
    const s = parse(vm.ethtool('-S eth0').stdout);
    let total = 0n;
    for (let q = 0; q < 4; q++) {
      expect(s.get(`rx_queue_${q}_packets`)).toBe(BigInt(t.perChannel[q] ?? 0));
      expect(s.get(`rx_queue_${q}_bytes`)).toBe(BigInt((t.perChannel[q] ?? 0) * (14 + 20 + 20 + 100)));
      expect(s.get(`rx_queue_${q}_packets`)).toBe(BigInt(vm.host.counters.queues[q]?.rx ?? 0));
      total += s.get(`rx_queue_${q}_packets`)!;
    }
    expect(total).toBe(400n);
    let cpuTotal = 0n;
    for (let c = 0; c < 4; c++) cpuTotal += s.get(`cpu${c}_rx_packets`)!;
    expect(cpuTotal).toBe(400n);
    expect(vm.ethtoolStats()).toEqual(s);
  });

  it('transmit: frames sent by the guest show on their tx queue', () => {
    const vm = createVm({ vcpus: 2 });
    const frame = new Uint8Array(60);
    let sent = 0;
    for (let i = 0; i < 10; i++) if (vm.netvsc!.send(frame, { queue: 1 }).ok) sent++;
    vm.runIdle();
    const s = parse(vm.ethtool('-S eth0').stdout);
    expect(s.get('tx_queue_1_packets')).toBe(BigInt(sent));
    expect(s.get('tx_queue_1_bytes')).toBe(BigInt(sent * 60));
    expect(sent).toBeGreaterThan(0);
  });

  it('per-CPU sums follow each channel\'s CPU (init_vp_index: queue q on CPU q)', () => {
    const vm = createVm({ vcpus: 4 });
    const t = vm.traffic({ flows: 400, proto: 'tcp', seed: 7 });
    const s = parse(vm.ethtool('-S eth0').stdout);
    for (let q = 0; q < 4; q++) expect(s.get(`cpu${q}_rx_packets`)).toBe(BigInt(t.perChannel[q] ?? 0));
  });

  it('a transmit queue that fills its ring: stop_queue and wake_queue move, tx_busy only for the sends the ring refused', () => {
    const vm = createVm({ vcpus: 1 });
    const nd = vm.netvsc!;
    const frame = new Uint8Array(1400);
    frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x15, 0x5d, 1, 2, 3, 8, 0]);
    let offered = 0;
    // no scheduler run in between: the host reads nothing, the ring fills and netvsc_send_pkt stops the queue
    while (!nd.txqStopped[0] && offered < 100_000) {
      nd.send(frame, { hash: 1 });
      offered++;
    }
    expect(nd.txqStopped[0]).toBe(true);
    // the stack holds frames back from a stopped queue: offering them again is no NETDEV_TX_BUSY
    for (let i = 0; i < 100; i++) expect(nd.send(frame, { hash: 1 })).toMatchObject({ ok: false, busy: true });
    vm.runIdle();
    expect(nd.txqStopped[0]).toBe(false);
    const s = parse(vm.ethtool('-S eth0').stdout);
    expect(s.get('stop_queue')).toBe(1n);
    expect(s.get('wake_queue')).toBe(1n);
    // the queue stopped on a successful send below 10% free, before any -EAGAIN
    expect(s.get('tx_busy')).toBe(0n);
    expect(s.get('tx_no_space')).toBe(0n);
  });

  it('extra arguments: bad arguments on the ioctl path; the netlink groups request is not simulated', () => {
    const io = createVm({ vcpus: 2, ethtool: 'ioctl' });
    expect(io.ethtool('-S eth0 --all-groups')).toMatchObject({ status: 1, stderr: 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n' });
    const nl = createVm({ vcpus: 2 });
    const r = nl.ethtool('-S eth0 --all-groups');
    expect(r.simulated).toBe(false);
    expect(r.stderr).toMatch(/not simulated/);
  });
});
