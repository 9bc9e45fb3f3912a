/**
 * `ethtool -x` / `-X` on the simulated netvsc NIC: the text ethtool 6.1 prints (fixtures rendered
 * independently from its printf formats, fixtures/ethtool/rxfh-6.1.json), the kernel core's and the
 * driver's checks, the RSS SET pair on the wire, the host applying it, IFF_RXFH_CONFIGURED, and the
 * rules tying the table to `-L`.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../../src/session/vm.js';
import { kernelGetRxfhIndir, runEthtool, scanHex2 } from '../../src/ethtool/index.js';
import { replayCase, sessionCases, type SessionCase } from './session-cases.js';

const RSS_SET = 'RNDIS_MSG_SET OID_GEN_RECEIVE_SCALE_PARAMETERS';
const MS_KEY = '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ethtool 6.1 -x/-X output, byte for byte (fixtures/ethtool/rxfh-6.1.json)', () => {
  for (const style of ['netlink', 'ioctl'] as const) {
    for (const c of sessionCases('rxfh-6.1.json')) {
      it(`${style}: ${c.name}`, () => replayCase(createVm({ vcpus: c.vcpus, host: { queues: 64 }, ethtool: style }), c));
    }
  }
});

const legacy = sessionCases<SessionCase & { profile: 'linux-6.1' | 'linux-4.2' }>('rxfh-4.2.json');

describe('ethtool 4.2 -x/-X/-S (fixtures/ethtool/rxfh-4.2.json)', () => {
  for (const c of legacy) {
    it(c.name, () => replayCase(createVm({ vcpus: c.vcpus, host: { queues: 64 }, profile: c.profile, ethtool: 'legacy' }), c));
  }
});

describe('-X through the driver, the wire and the host', () => {
  it('equal 2: one disable and one enable RSS SET; the host takes the table; IFF_RXFH_CONFIGURED set', () => {
    const vm = createVm({ vcpus: 4 });
    expect(vm.netvsc!.rxfhConfigured).toBe(false);
    const before = vm.wire();
    expect(vm.ethtool('-X eth0 equal 2').status).toBe(0);
    const w = vm.wire(before);
    expect(w.sent[RSS_SET]).toBe(2);
    expect(w.detaches).toBe(0);
    const events = vm.host.events.filter((e) => e.kind === 'rss').slice(-2).map((e) => e.name);
    expect(events).toEqual(['disabled', 'enabled']);
    const rss = vm.host.state().rss!;
    expect(rss.table.slice(0, 128)).toEqual(Array.from({ length: 128 }, (_, i) => i % 2));
    expect(hex(rss.key)).toBe(MS_KEY);
    expect(vm.netvsc!.rxfhConfigured).toBe(true);
    const g = vm.rxfh();
    expect(typeof g === 'object' && g.configured).toBe(true);
  });

  it('hkey only: the key goes to the host, the table and IFF_RXFH_CONFIGURED stay', () => {
    const vm = createVm({ vcpus: 4 });
    const key = Array.from({ length: 40 }, (_, i) => ((i * 13) & 0xff).toString(16).padStart(2, '0'));
    const before = vm.wire();
    expect(vm.ethtool(`-X eth0 hkey ${key.join(':')}`).status).toBe(0);
    expect(vm.wire(before).sent[RSS_SET]).toBe(2);
    expect(hex(vm.host.state().rss!.key)).toBe(key.join(''));
    expect(vm.host.state().rss!.table.slice(0, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(vm.netvsc!.rxfhConfigured).toBe(false);
  });

  it('hfunc toeplitz alone changes nothing and sends nothing', () => {
    const vm = createVm({ vcpus: 4 });
    const before = vm.wire();
    expect(vm.ethtool('-X eth0 hfunc toeplitz')).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(vm.wire(before).sent[RSS_SET]).toBeUndefined();
  });

  it('default: the table goes back to i mod channels and IFF_RXFH_CONFIGURED is cleared', () => {
    const vm = createVm({ vcpus: 4 });
    vm.ethtool('-X eth0 weight 0 1');
    expect(vm.host.state().rss!.table.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(vm.netvsc!.rxfhConfigured).toBe(true);
    expect(vm.ethtool('-X eth0 default').status).toBe(0);
    expect(vm.netvsc!.rxfhConfigured).toBe(false);
    expect(vm.host.state().rss!.table.slice(0, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('refused requests change nothing: no SET on the wire, flag unchanged', () => {
    const vm = createVm({ vcpus: 4 });
    for (const cmd of ['-X eth0 equal 5', '-X eth0 hfunc xor', '-X eth0 hkey 01:02', '-X eth0 weight 0 0']) {
      const before = vm.wire();
      expect(vm.ethtool(cmd).status).not.toBe(0);
      expect({ cmd, sets: vm.wire(before).sent[RSS_SET] }).toEqual({ cmd, sets: undefined });
    }
    expect(vm.netvsc!.rxfhConfigured).toBe(false);
  });

  it('-X needs CAP_NET_ADMIN, -x does not', () => {
    const vm = createVm({ vcpus: 4 });
    const sys = { ...vm.ethtoolSystem, capNetAdmin: false };
    expect(runEthtool('-x eth0', sys).status).toBe(0);
    const r = runEthtool('-X eth0 equal 2', sys);
    expect(r.stderr).toBe('Cannot set RX flow hash configuration: Operation not permitted\n');
    expect(r.status).toBe(1);
  });

  it('a wildcard or a 16-character name never reaches the device (no netlink RSS in 6.1)', () => {
    const vm = createVm({ vcpus: 4 });
    expect(vm.ethtool(['-x', '*']).stderr).toBe('ethtool netlink support for subcommand missing, wildcard dump not supported\n');
    expect(vm.ethtool(['-x', 'a234567890123456']).stderr).toBe('ethtool netlink support for subcommand missing, device name longer than 15 not supported\n');
  });

  it('a host without vRSS (1 queue): no table ("Operation not supported"), the zero key, and -X refused by the 6.1.192 backport', () => {
    const vm = createVm({ vcpus: 4, host: { queues: 1 } });
    const r = vm.ethtool('-x eth0');
    expect(r.stdout).toBe(
      'RX flow hash indirection table for eth0 with 1 RX ring(s):\nOperation not supported\nRSS hash key:\n' +
        `${new Array(40).fill('00').join(':')}\n` +
        'RSS hash function:\n    toeplitz: on\n    xor: off\n    crc32: off\n',
    );
    for (const cmd of ['-X eth0 equal 1', `-X eth0 hkey ${new Array(40).fill('ab').join(':')}`]) {
      expect(vm.ethtool(cmd)).toMatchObject({ stderr: 'Cannot set RX flow hash configuration: Operation not supported\n', status: 1 });
    }
  });

  it('ethtool 6.15 runs -x over netlink (other output): not simulated, said clearly', () => {
    const vm = createVm({ vcpus: 4, ethtool: 'netlink-6.15' });
    const r = vm.ethtool('-x eth0');
    expect(r.simulated).toBe(false);
    expect(r.stderr).toMatch(/^netvsc-sim: ethtool -x\/--show-rxfh-indir\/--show-rxfh: not simulated/);
  });

  it('the 2015 driver on ethtool 6.1 (ioctl fallback): no get_rxnfc', () => {
    const io = createVm({ vcpus: 4, profile: 'linux-4.2' });
    expect(io.ethtool('-x eth0')).toMatchObject({ stderr: 'Cannot get RX ring count: Operation not supported\n', status: 1 });
  });
});

describe('the indirection table and -L', () => {
  it('-L combined N is refused while a user table names a queue >= N; allowed after -X default', () => {
    const vm = createVm({ vcpus: 4 });
    expect(vm.ethtool('-X eth0 equal 3').status).toBe(0);
    const r = vm.ethtool('-L eth0 combined 2');
    expect(r.stderr).toBe('netlink error: requested channel counts are too low for existing indirection table settings\nnetlink error: Invalid argument\n');
    expect(r.status).toBe(1);
    expect(vm.ethtool('-L eth0 combined 3').status).toBe(0);
    expect(vm.ethtool('-X eth0 default').status).toBe(0);
    expect(vm.ethtool('-L eth0 combined 2').status).toBe(0);
    expect(vm.host.state().rss!.table.slice(0, 4)).toEqual([0, 1, 0, 1]);
  });

  it('ioctl style: the same refusal as a plain EINVAL', () => {
    const vm = createVm({ vcpus: 4, ethtool: 'ioctl' });
    vm.ethtool('-X eth0 equal 4');
    expect(vm.ethtool('-L eth0 combined 2')).toMatchObject({ stderr: 'Cannot set device channel parameters: Invalid argument\n', status: 1 });
  });

  it('without a user table, re-attach rebuilds i mod N; with one, Linux 6.1 re-allocates it zeroed (all to queue 0)', () => {
    const vm = createVm({ vcpus: 4 });
    expect(vm.ethtool('-L eth0 combined 3').status).toBe(0);
    expect(vm.host.state().rss!.table.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(vm.ethtool('-X eth0 equal 2').status).toBe(0);
    expect(vm.ethtool('-L eth0 combined 4').status).toBe(0);
    const g = vm.rxfh();
    if (typeof g !== 'object') throw new Error(String(g));
    expect(g.configured).toBe(true);
    expect(g.indir.every((q) => q === 0)).toBe(true);
    expect(vm.host.state().rss!.table.every((q) => q === 0)).toBe(true);
  });

  it('the key survives detach/attach (netvsc_devinfo_get copies rss_key)', () => {
    const vm = createVm({ vcpus: 4 });
    const key = Array.from({ length: 40 }, (_, i) => (255 - i).toString(16).padStart(2, '0'));
    expect(vm.ethtool(`-X eth0 hkey ${key.join(':')}`).status).toBe(0);
    const before = vm.wire();
    expect(vm.ethtool('-L eth0 combined 2').status).toBe(0);
    expect(vm.wire(before).detaches).toBe(1);
    expect(hex(vm.host.state().rss!.key)).toBe(key.join(''));
    expect(vm.ethtool('-x eth0').stdout).toContain(`RSS hash key:\n${key.join(':')}\n`);
  });
});

describe('scanHex2 (glibc sscanf "%2x%n")', () => {
  it('reads two hex characters, counts skipped white space, takes a sign or 0x inside the width', () => {
    expect(scanHex2('ab:')).toEqual({ value: 0xab, len: 2 });
    expect(scanHex2('f')).toEqual({ value: 0xf, len: 1 });
    expect(scanHex2(' 1f')).toEqual({ value: 0x1f, len: 3 }); // white space is skipped outside the width
    expect(scanHex2('+a')).toEqual({ value: 0xa, len: 2 });
    expect(scanHex2('-1')).toEqual({ value: -1, len: 2 });
    expect(scanHex2('0x')).toEqual({ value: 0, len: 2 });
    expect(scanHex2('zz')).toBeUndefined();
    expect(scanHex2('')).toBeUndefined();
  });
});

describe('ETHTOOL_GRXFHINDIR (ethtool_get_rxfh_indir) sizes', () => {
  it('0 asks for the size; smaller than the table is EINVAL; equal or larger gets the table', () => {
    const vm = createVm({ vcpus: 4 });
    expect(kernelGetRxfhIndir(vm.ethtoolSystem, 'eth0', 0)).toEqual({ size: 128, indir: [] });
    expect(kernelGetRxfhIndir(vm.ethtoolSystem, 'eth0', 127)).toBe('EINVAL');
    const exact = kernelGetRxfhIndir(vm.ethtoolSystem, 'eth0', 128);
    expect(exact).toMatchObject({ size: 128 });
    expect(kernelGetRxfhIndir(vm.ethtoolSystem, 'eth0', 200)).toEqual(exact);
  });
});
