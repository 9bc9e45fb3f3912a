/**
 * The `netvsc-sim` command line, run as a user runs it (the built dist/bin/netvsc-sim.js; `npm test`
 * builds first). Its contract is used by external checks: options, commands, exit statuses.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli } from '../../src/bin/cli-args.js';

const bin = fileURLToPath(new URL('../../dist/bin/netvsc-sim.js', import.meta.url));
// the spec's captures sit beside the checkout (../shared), or at /work/shared when CI clones elsewhere
const mergedOrder = [fileURLToPath(new URL('../../../shared/spec/captures/merged-order', import.meta.url)), '/work/shared/spec/captures/merged-order'].find((d) => existsSync(d))!;
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [bin, ...args], { input: input ?? '', encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
};

describe('netvsc-sim CLI', () => {
  it('--help prints the usage on stdout and exits 2 (the contract); no command or a bad option prints it on stderr and exits 2', () => {
    const help = run(['--help']);
    expect(help.status).toBe(2);
    expect(help.stdout).toMatch(/^usage: netvsc-sim \[options\] <command>/);
    for (const bad of [[], ['--frobnicate', 'demo']]) {
      const r = run(bad);
      expect({ bad, status: r.status }).toEqual({ bad, status: 2 });
      expect(r.stderr).toContain('usage: netvsc-sim');
      expect(r.stderr.split('\n')[0]).toMatch(/^netvsc-sim: /);
    }
  });

  it('ethtool ARGS prints ethtool stdout and stderr and exits with its status', () => {
    const show = run(['--vcpus', '8', 'ethtool', '-l', 'eth0']);
    expect(show.status).toBe(0);
    expect(show.stdout).toBe(
      'Channel parameters for eth0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t8\nCurrent hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t8\n',
    );
    const refused = run(['ethtool', '-L', 'eth0', 'combined', '0']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      'netlink error: requested channel counts would result in no RX or TX channel being configured (offset 36)\nnetlink error: Invalid argument\n',
    );
    expect(run(['ethtool', '-l', 'nosuchdev']).status).not.toBe(0);
  });

  it('options shape the VM: host queues, NVSP version, interface name, ethtool style', () => {
    expect(run(['--vcpus', '16', '--host-queues', '4', 'ethtool', '-l', 'eth0']).stdout).toContain('Combined:\t4\n');
    expect(run(['--vcpus', '16', '--nvsp', '4', 'ethtool', '-l', 'eth0']).stdout).toContain('Combined:\t1\n');
    expect(run(['--vcpus', '16', '--nvsp', '0x50000', 'ethtool', '-l', 'eth0']).stdout).toContain('Combined:\t8\n');
    expect(run(['--ifname', 'ens3', 'ethtool', '-l', 'ens3']).stdout).toContain('Channel parameters for ens3:');
    const ioctl = run(['--ethtool', 'ioctl', 'ethtool', '-l', 'eth0']);
    expect(ioctl.stdout).toContain('RX:\t\t0\n');
    expect(ioctl.stdout.endsWith('\n\n')).toBe(true);
  });

  it('session reads command lines from stdin and runs them on one VM; --json gives one array', () => {
    const input = 'ethtool -L eth0 combined 2\n# a comment\n\nethtool -l eth0\n';
    const plain = run(['session'], input);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^\$ ethtool -L eth0 combined 2\n\$ ethtool -l eth0\nChannel parameters for eth0:/);
    expect(plain.stdout).toContain('Combined:\t2\n');
    const json = run(['session', '--json'], input);
    const entries = JSON.parse(json.stdout);
    expect(entries.map((e: { command: string; status: number }) => [e.command, e.status])).toEqual([
      ['ethtool -L eth0 combined 2', 0],
      ['ethtool -l eth0', 0],
    ]);
    expect(Object.keys(entries[0])).toEqual(['command', 'stdout', 'stderr', 'status']);
    // one object per line between the brackets, each line valid JSON on its own
    const lines = json.stdout.trimEnd().split('\n');
    expect([lines[0], lines.at(-1)]).toEqual(['[', ']']);
    expect(lines.slice(1, -1).map((l: string) => JSON.parse(l.replace(/,$/, '')))).toEqual(entries);
    expect(run(['session', '--json'], '').stdout).toBe('[]\n');
  });

  it('the same seed gives the same session output', () => {
    const input = 'ethtool -L eth0 combined 3\nethtool -l eth0\n';
    expect(run(['--seed', '7', 'session', '--json'], input).stdout).toBe(run(['--seed', '7', 'session', '--json'], input).stdout);
  });

  it('demo replays the 2015 poster session three ways with wire summaries', () => {
    const r = run(['demo']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('== 2015: Linux 4.2 with the vRSS patches, the ethtool of 2015');
    expect(r.stdout).toContain('no channel parameters changed, aborting');
    expect(r.stdout).toContain('== Today: Linux 6.1 (Debian 12), ethtool 6.1 over netlink');
    expect(r.stdout).toMatch(/\[exit 0; wire: \d+ guest→host and \d+ host→guest messages/);
    expect(r.stdout).toContain('What changed since 2015:');
    // the contract: the demo ends with its closing note; every -L it runs has its wire summary
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('  whole bring-up again (NVSP, buffers, RNDIS queries, NVSP 133 for the subchannels, RSS SET).');
    const lines = r.stdout.split('\n');
    lines.forEach((l, i) => {
      if (/^\$ ethtool (-L|--set-channels) /.test(l)) expect(lines.slice(i + 1).find((x) => x.startsWith('   [exit ')), l).toBeDefined();
    });
    expect(r.stdout.indexOf('== Watch RSS spread')).toBeLessThan(r.stdout.indexOf('What changed since 2015:'));
  });

  it('ethtool into a pipe or file with 2>&1: stderr before the block-buffered stdout, byte for byte as the captures', () => {
    for (const [style, dev, capture] of [
      ['ioctl', 'lo', 'ioctl-6.1-l-lo'],
      ['ioctl', 'nosuchdev', 'ioctl-6.1-l-nosuchdev'],
      ['netlink', 'lo', 'nl-6.1-l-lo'],
      ['netlink', 'nosuchdev', 'nl-6.1-l-nosuchdev'],
    ] as const) {
      const sh = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" --ethtool ${style} ethtool -l ${dev} 2>&1; echo "rc=$?"`], { encoding: 'utf8', timeout: 60_000 });
      expect(sh.stdout, capture).toBe(readFileSync(join(mergedOrder, `${capture}.pipe-merged`), 'utf8'));
    }
  });

  it('linux-4.2 has no ethtool netlink: --ethtool netlink-6.15 falls back to ioctl-6.15 as netlink falls back to ioctl', () => {
    for (const argv of [['-L', 'eth0', 'combined', '65'], ['-L', 'eth0', 'combined', '0'], ['--json', '-l', 'eth0'], ['-l', 'eth0']]) {
      const nl = run(['--profile', 'linux-4.2', '--ethtool', 'netlink-6.15', 'ethtool', ...argv]);
      const io = run(['--profile', 'linux-4.2', '--ethtool', 'ioctl-6.15', 'ethtool', ...argv]);
      expect(nl, argv.join(' ')).toEqual(io);
    }
    // the 2015 driver clamps 65 to its maximum and succeeds; netlink's core check would have refused it
    expect(run(['--profile', 'linux-4.2', '--ethtool', 'netlink-6.15', 'ethtool', '-L', 'eth0', 'combined', '65']).status).toBe(0);
  });

  it('rejects bad options and commands with a message naming them', () => {
    for (const [bad, msg] of [
      [['--vcpus'], /--vcpus needs a value/],
      [['--vcpus', 'x', 'demo'], /'x' is not a whole number/],
      [['--vcpus', '0', 'demo'], /out of range/],
      [['--nvsp', '3', 'demo'], /'3' is not an NVSP version/],
      [['--nvsp', '0x50001', 'demo'], /0x50001 is not an NVSP version/],
      [['--profile', 'linux-5.0', 'demo'], /linux-5.0/],
      [['--ethtool', 'nl', 'demo'], /'nl' is not netlink, ioctl, legacy, netlink-6.15 or ioctl-6.15/],
      [['--ifname', 'a/b', 'demo'], /not a valid interface name/],
      [['fly'], /unknown command 'fly'/],
      [['demo', 'extra'], /takes no arguments/],
      [['session', '--yaml'], /session takes only --json/],
    ] as const) {
      const r = parseCli(bad);
      expect(r.kind).toBe('error');
      expect(r.kind === 'error' && r.message).toMatch(msg);
    }
  });

  it('--ethtool netlink-6.15 gives ethtool 6.15, whose -l takes --json; 6.1 and ioctl refuse it as those ethtools do', () => {
    const json = run(['--ethtool', 'netlink-6.15', 'ethtool', '--json', '-l', 'eth0']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{ ifname: 'eth0', 'combined-max': 4, combined: 4 }]);
    const old = run(['ethtool', '--json', '-l', 'eth0']);
    expect([old.status, old.stdout, old.stderr]).toEqual([1, '', 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n']);
    const io = run(['--ethtool', 'ioctl-6.15', 'ethtool', '--json', '-l', 'eth0']);
    expect(io.status).toBe(1);
    expect(io.stderr).toMatch(/'--json' can be used only with netlink/);
  });

  it('parses options only before the command', () => {
    expect(parseCli(['ethtool', '--vcpus', '2'])).toMatchObject({ kind: 'run', command: 'ethtool', args: ['--vcpus', '2'] });
    expect(parseCli(['--vcpus=3', 'demo'])).toMatchObject({ kind: 'run', options: { vcpus: 3 } });
    expect(parseCli(['--ifname', 'lo', 'demo'])).toMatchObject({ kind: 'error' });
  });
});
