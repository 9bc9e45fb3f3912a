/**
 * Replays every real ethtool capture (../shared/spec/captures/cases.json: ethtool 6.1 over netlink
 * and over ioctl, ethtool 6.15 over netlink and with --disable-netlink) against fake devices that
 * reproduce the captured namespace, comparing stdout, stderr, exit status and eth0's channel
 * counts afterwards byte for byte. Also the stream interleaving captures (merged-order/) and the
 * extended-ack offsets by name length (offsets/).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EthtoolStyle, mergeOutput, runEthtool, staticSystem } from '../../src/ethtool/index.js';
import { captureSystem, veth } from './fakes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const capturesDir = [join(root, '../shared/spec/captures'), '/work/shared/spec/captures'].find((d) => existsSync(join(d, 'cases.json')))!;

interface Capture {
  readonly command: string;
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly eth0_after: string;
}
const cases = JSON.parse(readFileSync(join(capturesDir, 'cases.json'), 'utf8')) as Record<string, Record<string, Capture>>;

/** Which simulator style reproduces which captured variant (ioctl-6.15 = 6.15 run with --disable-netlink, which is in its command). */
const STYLE: Record<string, EthtoolStyle> = { 'nl-6.1': 'netlink', 'ioctl-6.1': 'ioctl', 'nl-6.15': 'netlink-6.15', 'ioctl-6.15': 'netlink-6.15' };

function parseCounts(s: string): { rx: number; tx: number } {
  const m = /^RX:(\d+) TX:(\d+)$/.exec(s);
  if (!m) throw new Error(`bad eth0 state ${s}`);
  return { rx: Number(m[1]), tx: Number(m[2]) };
}

/**
 * eth0's counts before a case. The capture script reset eth0 to 1 RX / 1 TX before every case that
 * uses it (the `unmodified` lines of cases 04/08/... show 1/1); cases on other devices leave eth0
 * as the previous case left it, which is then also its state afterwards.
 */
function before(c: Capture): { rx: number; tx: number } {
  const words = c.command.split(' ');
  return words.includes('eth0') || words.includes('*') ? { rx: 1, tx: 1 } : parseCounts(c.eth0_after);
}

const all = Object.entries(cases).flatMap(([name, variants]) => Object.entries(variants).map(([variant, c]) => ({ name, variant, c })));

describe('captured ethtool runs, replayed byte for byte', () => {
  it('covers every case and variant of cases.json', () => {
    expect(Object.keys(cases).length).toBe(47);
    expect(all.length).toBe(47 * 4);
    expect(new Set(all.map((x) => x.variant))).toEqual(new Set(Object.keys(STYLE)));
  });

  it.each(all.map((x) => [`${x.name} [${x.variant}] ${x.c.command}`, x] as const))('%s', (_label, { variant, c }) => {
    const { system, eth0 } = captureSystem(before(c));
    const r = runEthtool(c.command, system, { style: STYLE[variant]! });
    expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual({ stdout: c.stdout, stderr: c.stderr, status: c.rc });
    expect(`RX:${eth0.cur.rx} TX:${eth0.cur.tx}`).toBe(c.eth0_after);
    expect(r.simulated).toBe(true);
  });
});

describe('stdout/stderr interleaving (merged-order/)', () => {
  const dir = join(capturesDir, 'merged-order');
  const files = readdirSync(dir);
  it('has the six captures', () => expect(files.length).toBe(6));
  it.each(files)('%s', (file) => {
    const m = /^(nl|ioctl)-6\.1-l-(\w+)\.(pipe|pty)-merged$/.exec(file)!;
    const [, path, dev, mode] = m;
    const { system } = captureSystem({ rx: 1, tx: 1 });
    const r = runEthtool(['-l', dev!], system, { style: path === 'nl' ? 'netlink' : 'ioctl' });
    const expected = readFileSync(join(dir, file), 'utf8');
    // The capture script appended "rc=N" after pipe runs; the pty runs were recorded through `script`.
    const got = mode === 'pipe' ? mergeOutput(r.writes, 'pipe') + `rc=${r.status}\n` : mergeOutput(r.writes, 'tty');
    expect(got).toBe(expected);
  });
});

describe('extended-ack offsets by device-name length (offsets/)', () => {
  const lines = readFileSync(join(capturesDir, 'offsets/offsets-by-name-length.txt'), 'utf8').trimEnd().split('\n');
  it('has 24 measurements', () => expect(lines.length).toBe(24));
  it.each(lines)('%s', (line) => {
    const m = /^(\S+)\s+len=\d+\s+(.+?)\s{2,}(netlink error: .*)$/.exec(line)!;
    const [, name, params, message] = m;
    const dev = veth(name!, 2, { rx: 4, tx: 4 }, { rx: 1, tx: 1 });
    const r = runEthtool(['-L', name!, ...params!.split(' ')], staticSystem([dev]), { style: 'netlink' });
    expect(r.stderr).toBe(`${message}\nnetlink error: Invalid argument\n`);
    expect(r.status).toBe(1);
    expect(dev.setCalls).toEqual([]);
  });
});
