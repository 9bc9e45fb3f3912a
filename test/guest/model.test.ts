/**
 * Model-based test: arbitrary sequences of set_channels (with host faults), get_channels, traffic
 * in both directions and link up/down against the scripted host, checked after every step against a
 * small model of Linux 6.1.192's rules (spec §5.2, §5.5) and these invariants:
 * - combined ≤ max, and get_channels is what the model says (zeros while detached);
 * - the VMBus channels open are the combined count (minus a subchannel the host rescinded);
 * - no packet lost: every receive range the host handed over was completed, every frame sent was
 *   completed, and frames arrive on the queue the send table names;
 * - a failed attach restores the old count; nothing is left locked, waiting or leaked (guest pages).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { RNDIS_STATUS, encodeRndis, rndisInitComplete } from '../../src/protocol/rndis.js';
import type { NetvscWarningCode } from '../../src/guest/types.js';
import { combined, nicVm, run, type NicVm } from './harness.js';

type Fault = { kind: 'none' } | { kind: 'refuse' } | { kind: 'more' } | { kind: 'fewer'; k: number } | { kind: 'failOnce' } | { kind: 'failAlways' } | { kind: 'rescind' };

interface Model {
  readonly m: number; // min(64, vcpus, queues)
  max: number;
  num: number;
  realTx: number;
  detached: boolean;
  up: boolean;
  /** A queue whose subchannel was rescinded before it opened (this attach). */
  dead: number | null;
}

const RING_PAGES = 64; // ring_size 64: 64 pages each way
const ALLOWED: ReadonlySet<NetvscWarningCode> = new Set([
  'SUBCHANNEL_REQUEST_FAILED',
  'SUBCHANNEL_INVALID_COUNT',
  'SUBCHANNEL_OPEN_FAILED',
  'INIT_FAILED',
  'RESTORE_FAILED',
  'SEND_FAILED',
]);

function txQueue(model: Model, hash: number): number {
  const table = (i: number) => (model.num > 1 || model.realTx > 1 ? i % model.num : 0);
  let q = table(hash & 15);
  while (q >= model.realTx) q -= model.realTx;
  return q;
}

function installFault(vm: NicVm, f: Fault): void {
  const o = vm.host.options;
  o.subchannels = undefined;
  o.interceptNvsp = undefined;
  o.interceptRndis = undefined;
  switch (f.kind) {
    case 'refuse':
      o.subchannels = () => ({ status: 2, granted: 0 });
      break;
    case 'more':
      o.subchannels = (n) => ({ status: 1, granted: n + 1, offer: [] });
      break;
    case 'fewer':
      o.subchannels = (n) => ({ status: 1, granted: Math.min(f.k, n) });
      break;
    case 'rescind':
      o.interceptNvsp = (h, m) => {
        if (m.msg.type !== 'SUBCHANNEL_REQUEST') return false;
        const n = m.msg.num_subchannels;
        h.complete(0, m.packet.trans_id, { type: 'SUBCHANNEL_COMPLETE', status: 1, num_subchannels: n });
        for (let i = 1; i <= n; i++) h.offerSubchannel(i);
        h.rescindSubchannel(n);
        return true;
      };
      break;
    case 'failOnce':
    case 'failAlways': {
      let fired = false;
      o.interceptRndis = (h, m) => {
        if (m.msg.type !== 'INIT' || (fired && f.kind === 'failOnce')) return false;
        fired = true;
        h.rndisReply(encodeRndis(rndisInitComplete(m.msg.req_id, { status: RNDIS_STATUS.FAILURE })));
        return true;
      };
      break;
    }
    default:
      break;
  }
}

function checkInvariants(model: Model, vm: NicVm): void {
  const dev = vm.dev;
  const ch = dev.getChannels();
  if (model.detached) {
    expect(ch).toEqual(combined(0));
    expect(dev.present).toBe(false);
  } else {
    expect(ch).toMatchObject({ max_combined: model.max, combined_count: model.num, rx_count: 0, tx_count: 0, other_count: 0, max_rx: 0 });
    expect(ch.combined_count).toBeLessThanOrEqual(ch.max_combined);
    expect(dev.present).toBe(true);
    expect(dev.openChannels).toBe(model.num - (model.dead === null ? 0 : 1));
    for (const c of dev.nvdev!.chanTable) expect(c.queueSends).toBe(0);
    expect(dev.realNumTxQueues).toBe(model.realTx);
  }
  expect(dev.running).toBe(model.up);
  expect(vm.driver.rtnl.held).toBe(false);
  expect(vm.host.outstandingReceives).toBe(0);
  const open = model.detached ? 0 : model.num - (model.dead === null ? 0 : 1);
  const bufPages = model.detached ? 0 : 216 + 255; // 512 × 1728 rounded up; 170 × 6144
  expect(vm.bus.memory.allocatedPages).toBe(3 + open * 2 * RING_PAGES + bufPages);
  for (const w of dev.warnings) expect(ALLOWED.has(w.code), w.code).toBe(true);
}

class SetChannels implements fc.Command<Model, NicVm> {
  constructor(
    readonly n: number,
    readonly fault: Fault,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, vm: NicVm): void {
    installFault(vm, this.fault);
    const c = run(vm.bus, vm.dev.setChannels(combined(this.n)));
    expect(c.settled).toBe(true);
    const ret = c.value;
    installFault(vm, { kind: 'none' });
    if (model.detached) {
      expect(ret).toBe('ENODEV');
    } else if (this.n > model.max) {
      expect(ret).toBe('EINVAL');
    } else if (this.fault.kind === 'failAlways') {
      expect(ret).toBe('EINVAL');
      model.detached = true;
      model.dead = null;
    } else if (this.fault.kind === 'failOnce') {
      expect(ret).toBe('EINVAL');
      // restored with the old count, RSS discovery re-run
      model.max = model.m;
      model.dead = null;
      if (model.num > 1) model.realTx = model.num;
    } else {
      expect(ret).toBe(0);
      model.max = model.m;
      model.dead = null;
      const n = this.n;
      if (n > 1) {
        switch (this.fault.kind) {
          case 'refuse':
          case 'more':
            model.max = 1;
            model.num = 1;
            break;
          case 'fewer':
            model.num = 1 + Math.min(this.fault.k, n - 1);
            model.realTx = model.num;
            break;
          case 'rescind':
            model.num = n;
            model.realTx = n;
            model.dead = n - 1;
            break;
          default:
            model.num = n;
            model.realTx = n;
        }
      } else {
        model.num = 1;
      }
    }
    checkInvariants(model, vm);
  }
  toString(): string {
    return `set_channels(${this.n}, ${JSON.stringify(this.fault)})`;
  }
}

class GetChannels implements fc.Command<Model, NicVm> {
  check(): boolean {
    return true;
  }
  run(model: Model, vm: NicVm): void {
    checkInvariants(model, vm);
  }
  toString(): string {
    return 'get_channels';
  }
}

class Traffic implements fc.Command<Model, NicVm> {
  constructor(
    readonly rx: readonly [number, number][],
    readonly tx: readonly number[],
  ) {}
  check(model: Model): boolean {
    return !model.detached && model.up;
  }
  run(model: Model, vm: NicVm): void {
    const dev = vm.dev;
    const rxBefore = dev.stats.rxPackets.slice();
    const expectRx = new Array<number>(64).fill(0);
    for (const [qq, len] of this.rx) {
      const q = qq % model.num;
      if (q === model.dead) continue;
      expect(vm.host.deliver(q, new Uint8Array(len).fill(q))).not.toBe(null);
      expectRx[q]!++;
    }
    const txBefore = dev.stats.txPackets.slice();
    const expectTx = new Array<number>(64).fill(0);
    const hostBefore = new Map([...vm.host.txFrames].map(([k, v]) => [k, v.length]));
    const hostExpect = new Map<number, number>();
    for (const hash of this.tx) {
      const q = txQueue(model, hash);
      const r = dev.send(new Uint8Array(64).fill(hash & 0xff), { hash });
      expect(r.queue).toBe(q);
      if (q === model.dead) {
        expect(r).toMatchObject({ ok: false, busy: false, error: 'ENODEV' });
        continue;
      }
      expect(r.ok).toBe(true);
      expectTx[q]!++;
      const onChannel = q < model.num ? q : 0;
      hostExpect.set(onChannel, (hostExpect.get(onChannel) ?? 0) + 1);
    }
    vm.bus.run();
    for (let q = 0; q < 64; q++) {
      expect(dev.stats.rxPackets[q]! - rxBefore[q]!).toBe(expectRx[q]);
      expect(dev.stats.txPackets[q]! - txBefore[q]!).toBe(expectTx[q]);
    }
    for (const [q, n] of hostExpect) expect((vm.host.txFrames.get(q)?.length ?? 0) - (hostBefore.get(q) ?? 0)).toBe(n);
    checkInvariants(model, vm);
  }
  toString(): string {
    return `traffic(rx ${JSON.stringify(this.rx)}, tx ${JSON.stringify(this.tx)})`;
  }
}

class ToggleLink implements fc.Command<Model, NicVm> {
  check(model: Model): boolean {
    return !model.detached;
  }
  run(model: Model, vm: NicVm): void {
    const flow = model.up ? vm.dev.close() : vm.dev.open();
    const c = run(vm.bus, flow);
    expect(c.value).toBe(0);
    model.up = !model.up;
    checkInvariants(model, vm);
  }
  toString(): string {
    return 'ip link toggle';
  }
}

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Fault>({ kind: 'none' }) },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'refuse' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'more' }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 6 }).map<Fault>((k) => ({ kind: 'fewer', k })) },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'failOnce' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'rescind' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'failAlways' }) },
);

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 10 }), faultArb).map(([n, f]) => new SetChannels(n, f)),
  fc.constant(new GetChannels()),
  fc
    .tuple(fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 60, max: 1500 })), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }))
    .map(([rx, tx]) => new Traffic(rx, tx)),
  fc.constant(new ToggleLink()),
];

describe('model-based: set_channels under host faults', () => {
  it('arbitrary_reconfigurations_with_host_faults_keep_the_invariants', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.commands(commands, { maxCommands: 10 }),
        (vcpus, queues, seed, cmds) => {
          const setup = () => {
            const vm = nicVm({ bus: { seed }, driver: { vcpus, ringSize: RING_PAGES, recvSections: 512 }, host: { queues } });
            const m = Math.min(64, vcpus, queues);
            const num = Math.min(m, 8);
            const model: Model = { m, max: m, num, realTx: num, detached: false, up: true, dead: null };
            checkInvariants(model, vm);
            return { model, real: vm };
          };
          fc.modelRun(setup, cmds);
        },
      ),
      { numRuns: 120 },
    );
  });
});
