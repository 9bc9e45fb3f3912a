/**
 * Derived expectations (fixtures/ethtool/derived-cases.json, each with the rule it follows) and the
 * Hyper-V poster's session on netvsc-shaped devices in every style
 * (fixtures/ethtool/netvsc-sessions.json).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Errno, type EthtoolStyle, type KernelCore, runEthtool, staticSystem } from '../../src/ethtool/index.js';
import { type FakeDevice, netvsc, netvsc2015, noChannels, tap, veth } from './fakes.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/ethtool/${name}`, import.meta.url)), 'utf8'));

type DeviceSpec =
  | { kind: 'none'; name: string; ifindex: number }
  | { kind: 'veth'; name: string; ifindex: number; max: [number, number]; cur: [number, number]; xsk?: number[] }
  | { kind: 'tap'; name: string; ifindex: number; combined: number }
  | {
      kind: 'netvsc' | 'netvsc2015';
      name: string;
      ifindex: number;
      maxChn: number;
      numChn: number;
      cpus?: number;
      present?: boolean;
      failNext?: Errno;
      altNames?: string[];
      rxfh?: { size: number; mod: number };
    };

/** Builds the fake devices a fixture describes. */
export function buildDevice(s: DeviceSpec): FakeDevice {
  switch (s.kind) {
    case 'none':
      return noChannels(s.name, s.ifindex);
    case 'tap':
      return tap(s.name, s.ifindex, s.combined);
    case 'veth': {
      const d = veth(s.name, s.ifindex, { rx: s.max[0], tx: s.max[1] }, { rx: s.cur[0], tx: s.cur[1] });
      if (s.xsk) {
        const q = s.xsk;
        return Object.assign(d, { xskPoolQueues: () => q });
      }
      return d;
    }
    case 'netvsc':
    case 'netvsc2015': {
      const make = s.kind === 'netvsc' ? netvsc : netvsc2015;
      const d = make(s.name, s.ifindex, { maxChn: s.maxChn, numChn: s.numChn, ...(s.cpus ? { cpus: s.cpus } : {}), ...(s.failNext ? { failNext: s.failNext } : {}) });
      if (s.present === false) d.present = false;
      const extra: Partial<FakeDevice> = {};
      if (s.altNames) Object.assign(extra, { altNames: s.altNames });
      if (s.rxfh) {
        const { size, mod } = s.rxfh;
        Object.assign(extra, {
          rxfhConfigured: true,
          getRxfhIndirSize: () => size,
          getRxfh: () => Array.from({ length: size }, (_, i) => i % mod),
        });
      }
      return Object.assign(d, extra);
    }
  }
}

interface DerivedCase {
  name: string;
  style: EthtoolStyle;
  devices: DeviceSpec[];
  argv: string[];
  stdout: string;
  stderr: string;
  status: number;
  source: string;
  simulated?: boolean;
  capNetAdmin?: boolean;
  core?: KernelCore;
  after?: Record<string, { rx: number; tx: number }>;
  driverCalls?: Record<string, number>;
}

describe('derived expectations (fixtures/ethtool/derived-cases.json)', () => {
  const { cases } = fixture('derived-cases.json') as { cases: DerivedCase[] };
  it('every case names its source', () => {
    expect(cases.length).toBeGreaterThan(90);
    for (const c of cases) expect(c.source.length, c.name).toBeGreaterThan(5);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const devices = c.devices.map(buildDevice);
    const system = staticSystem(devices, c.capNetAdmin === false ? { capNetAdmin: false } : {});
    const r = runEthtool(c.argv, system, { style: c.style, ...(c.core ? { core: c.core } : {}) });
    expect({ stdout: r.stdout, stderr: r.stderr, status: r.status, simulated: r.simulated }).toEqual({
      stdout: c.stdout,
      stderr: c.stderr,
      status: c.status,
      simulated: c.simulated ?? true,
    });
    const byName = (n: string) => devices.find((d) => d.name === n)!;
    for (const [n, want] of Object.entries(c.after ?? {})) {
      const ch = byName(n).getChannels!();
      expect({ rx: ch.rx_count, tx: ch.tx_count }, n).toEqual(want);
    }
    for (const [n, calls] of Object.entries(c.driverCalls ?? {})) expect(byName(n).setCalls.length, n).toBe(calls);
  });
});

interface Session {
  name: string;
  style: EthtoolStyle;
  device: DeviceSpec;
  steps: { command: string; stdout: string; stderr: string; status: number; driverCalls: number; combinedAfter: number; derivation: string }[];
}

describe("the Hyper-V poster's session on netvsc (fixtures/ethtool/netvsc-sessions.json)", () => {
  const { sessions } = fixture('netvsc-sessions.json') as { sessions: Session[] };
  it('covers the netlink, ioctl and legacy styles', () => {
    expect(new Set(sessions.map((s) => s.style))).toEqual(new Set(['netlink', 'ioctl', 'legacy', 'netlink-6.15']));
  });
  it.each(sessions.map((s) => [s.name, s] as const))('%s', (_n, s) => {
    const dev = buildDevice(s.device);
    const system = staticSystem([noChannels('lo', 1), dev]);
    for (const step of s.steps) {
      const calls = dev.setCalls.length;
      const r = runEthtool(step.command, system, { style: s.style });
      expect({ command: step.command, stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual({
        command: step.command,
        stdout: step.stdout,
        stderr: step.stderr,
        status: step.status,
      });
      expect(dev.setCalls.length - calls, `${step.command}: driver calls`).toBe(step.driverCalls);
      expect(dev.getChannels!().combined_count, `${step.command}: combined after`).toBe(step.combinedAfter);
    }
  });
});
