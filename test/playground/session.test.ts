/** The playground's model in Node: config checks, transcripts, decoded packets per command. */
import { describe, expect, it } from 'vitest';
import { checkConfig, PlaygroundSession, POSTER_CONFIG, POSTER_SESSION } from '../../playground/session.js';

describe('playground session', () => {
  it('refuses configs a visitor can type, with a sentence', () => {
    expect(checkConfig({ ...POSTER_CONFIG, vcpus: 0 })).toBe('vCPUs must be a whole number of at least 1 (got 0)');
    expect(checkConfig({ ...POSTER_CONFIG, hostQueues: 1.5 })).toBe('host queues must be a whole number of at least 1 (got 1.5)');
    expect(checkConfig({ ...POSTER_CONFIG, profile: 'linux-9' as never })).toBe('unknown kernel profile linux-9');
    expect(checkConfig({ ...POSTER_CONFIG, ethtool: 'nope' as never })).toBe('unknown ethtool style nope');
    expect(checkConfig(POSTER_CONFIG)).toBeUndefined();
    expect(() => new PlaygroundSession({ ...POSTER_CONFIG, vcpus: -1 })).toThrow(/vCPUs must be/);
  });

  it('runs the poster session: transcripts as a terminal shows them, packets only when the rings were used', () => {
    const s = new PlaygroundSession(POSTER_CONFIG);
    expect(s.bootPackets().length).toBeGreaterThan(10);
    expect(s.bootPackets().some((p) => p.line.includes('NVSP'))).toBe(true);
    const [show, set1, set1again, set0, showAgain] = POSTER_SESSION.map((l) => s.run(l));
    expect(show!.transcript.startsWith('$ ethtool -l eth0\nChannel parameters for eth0:\n')).toBe(true);
    expect(show!.packets).toEqual([]);
    expect(set1!).toMatchObject({ command: 'ethtool -L eth0 combined 1', status: 0, transcript: '$ ethtool -L eth0 combined 1\n' });
    expect(set1!.wire.detaches).toBe(1);
    expect(set1!.packets.length).toBeGreaterThan(0);
    expect(set1!.packets.some((p) => p.detail().includes('bytes ('))).toBe(true);
    expect(set1again!.status).toBe(1);
    expect(set1again!.packets).toEqual([]);
    expect(set0!.transcript).toBe('$ ethtool -L eth0 combined 0\nCannot set device channel parameters: Invalid argument\n');
    expect(showAgain!.transcript).toContain('Combined:\t1\n');
    expect(s.history).toHaveLength(5);
  });

  it('accepts a command without the leading ethtool, and reports a typo as ethtool does', () => {
    const s = new PlaygroundSession({ vcpus: 4, hostQueues: 64, profile: 'linux-6.1', ethtool: 'netlink' });
    expect(s.run('-l eth0').command).toBe('ethtool -l eth0');
    const bad = s.run('ethtool -l eth9');
    expect(bad.status).not.toBe(0);
    expect(bad.transcript.split('\n').length).toBeGreaterThan(2);
    expect(bad.rows).toEqual([]);
  });
});
