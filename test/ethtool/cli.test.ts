/**
 * The command-line surface: help and version texts, command strings split as a shell would, how
 * the two output streams merge, and arguments C could not even represent.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ETHTOOL_STYLES, HELP_4_2, HELP_6_1, HELP_6_15, PIPE_BUFFER_SIZE, ethtoolArgv, mergeOutput, runEthtool, shellWords, staticSystem } from '../../src/ethtool/index.js';
import { captureSystem, veth } from './fakes.js';

const helpFixture = (v: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/ethtool/help/ethtool-${v}-h.txt`, import.meta.url)), 'utf8');

describe('-h / --help', () => {
  it('the embedded texts are the captured outputs of the compiled usage printers', () => {
    expect(HELP_4_2).toBe(helpFixture('4.2'));
    expect(HELP_6_1).toBe(helpFixture('6.1'));
    expect(HELP_6_15).toBe(helpFixture('6.15'));
  });
  it.each([
    ['netlink', HELP_6_1],
    ['ioctl', HELP_6_1],
    ['legacy', HELP_4_2],
    ['netlink-6.15', HELP_6_15],
    ['ioctl-6.15', HELP_6_15],
  ] as const)('%s prints its version’s help, exit 0, extra words ignored', (style, text) => {
    const { system } = captureSystem({ rx: 1, tx: 1 });
    for (const argv of [['-h'], ['--help'], ['-h', 'eth0', 'whatever']]) {
      expect(runEthtool(argv, system, { style })).toMatchObject({ stdout: text, stderr: '', status: 0, simulated: true });
    }
  });
  it('mentions the channel commands with the 6.1 layout', () => {
    expect(HELP_6_1.split('\n')[0]).toBe('ethtool version 6.1');
    expect(HELP_6_1).toContain('        ethtool [ FLAGS ] -L|--set-channels DEVNAME\tSet Channels\n               [ rx N ]\n');
    expect(HELP_6_1.endsWith('\t-I|--include-statistics\t\trequest device statistics related to the command (not supported by all commands)\n')).toBe(true);
  });
  it('--json -h: 6.1 bad arguments, 6.15 "JSON output not available"', () => {
    const { system } = captureSystem({ rx: 1, tx: 1 });
    expect(runEthtool('--json -h', system).stderr).toBe('ethtool: bad command line argument(s)\nFor more information run ethtool -h\n');
    expect(runEthtool('--json -h', system, { style: 'netlink-6.15' }).stderr).toBe(
      'ethtool: bad command line argument(s)\nJSON output not available for this subcommand\nFor more information run ethtool -h\n',
    );
  });
});

describe('command strings', () => {
  it('splits like a shell: quotes, escapes, comments; the program name is optional', () => {
    expect(shellWords(`ethtool -l '*'`)).toEqual({ ok: true, words: ['ethtool', '-l', '*'] });
    expect(shellWords(`a "b c" d\\ e 'f"g' "h\\"i" # comment`)).toEqual({ ok: true, words: ['a', 'b c', 'd e', 'f"g', 'h"i'] });
    expect(shellWords(`x '' ""`)).toEqual({ ok: true, words: ['x', '', ''] });
    expect(shellWords(`a#b`)).toEqual({ ok: true, words: ['a#b'] });
    expect(ethtoolArgv('/usr/sbin/ethtool -l eth0')).toEqual({ ok: true, args: ['-l', 'eth0'] });
    expect(ethtoolArgv('-l eth0')).toEqual({ ok: true, args: ['-l', 'eth0'] });
  });
  it('reports what needs a real shell instead of guessing', () => {
    expect(shellWords(`ethtool -l eth0 | cat`).ok).toBe(false);
    expect(shellWords(`ethtool -l $IF`).ok).toBe(false);
    expect(shellWords(`ethtool -l 'eth0`).ok).toBe(false);
    const { system } = captureSystem({ rx: 1, tx: 1 });
    const r = runEthtool(`ethtool -l eth0 2>&1`, system);
    expect(r).toMatchObject({ stdout: '', status: 2, simulated: false });
    expect(r.stderr).toMatch(/^netvsc-sim: /);
  });
  it('a string and the equivalent argv give the same result', () => {
    const { system } = captureSystem({ rx: 1, tx: 1 });
    expect(runEthtool(`ethtool -L eth0 combined ""`, system)).toEqual(runEthtool(['-L', 'eth0', 'combined', ''], system));
  });
  it('an argument holding a NUL is cut there, as C sees it', () => {
    const { system } = captureSystem({ rx: 1, tx: 1 });
    expect(runEthtool(['-l', 'eth0\0junk'], system).stdout).toBe(runEthtool(['-l', 'eth0'], system).stdout);
  });
});

describe('merged output', () => {
  it('a pipe holds stdout back until exit, a terminal shows write order with CR LF', () => {
    const { system } = captureSystem({ rx: 1, tx: 1 });
    const r = runEthtool('-l lo', system, { style: 'ioctl' });
    expect(mergeOutput(r.writes, 'pipe')).toBe('Cannot get device channel parameters: Operation not supported\nChannel parameters for lo:\n');
    expect(mergeOutput(r.writes, 'tty')).toBe('Channel parameters for lo:\r\nCannot get device channel parameters: Operation not supported\r\n');
  });
  it('a pipe lets stdout through in 4096-byte blocks once the buffer overflows', () => {
    const writes = [
      { fd: 1 as const, data: 'a'.repeat(PIPE_BUFFER_SIZE) },
      { fd: 2 as const, data: 'E' },
      { fd: 1 as const, data: 'b' },
      { fd: 2 as const, data: 'F' },
    ];
    expect(mergeOutput(writes, 'pipe')).toBe('E' + 'a'.repeat(PIPE_BUFFER_SIZE) + 'F' + 'b');
  });
  it('every result is the concatenation of its writes', () => {
    const { system } = captureSystem({ rx: 1, tx: 1 });
    for (const style of ETHTOOL_STYLES) {
      const r = runEthtool('-l nosuchdev', system, { style });
      expect(r.writes.filter((w) => w.fd === 1).map((w) => w.data).join('')).toBe(r.stdout);
      expect(r.writes.filter((w) => w.fd === 2).map((w) => w.data).join('')).toBe(r.stderr);
    }
  });
});

describe('wildcard dumps over many devices', () => {
  it('prints every device with channel support in dump order, separated by blank lines', () => {
    const devs = Array.from({ length: 40 }, (_, i) => veth(`v${i}`, i + 1, { rx: 2, tx: 2 }, { rx: 1, tx: 2 }));
    const r = runEthtool(['-l', '*'], staticSystem(devs.reverse()));
    expect(r.status).toBe(0);
    const blocks = r.stdout.split('\nChannel parameters for ').slice(1);
    expect(blocks.map((b) => b.slice(0, b.indexOf(':')))).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`));
  });
});
