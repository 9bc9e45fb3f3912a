/**
 * The simulated kernel entry points on their own: SIOCETHTOOL over `struct ethtool_channels` bytes
 * and the ethtool netlink family over message bytes, including byte images of the messages and the
 * paths ethtool itself never exercises (short buffers, unknown commands, ifindex lookups).
 */
import { describe, expect, it } from 'vitest';
import {
  ETHTOOL_GCHANNELS,
  ETHTOOL_SCHANNELS,
  EXTACK,
  checkSetChannels,
  decodeEthtoolChannels,
  dumpOrder,
  encodeEthtoolChannels,
  ethnl,
  ethnlRequest,
  ethtoolChannelsStruct,
  ethtoolIoctl,
  maxRxfhChannel,
  runEthtool,
  staticSystem,
  zeroChannels,
} from '../../src/ethtool/index.js';
import { netvsc, noChannels, tap, veth } from './fakes.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

describe('struct ethtool_channels', () => {
  it('is 36 bytes with the uapi field offsets', () => {
    expect(ethtoolChannelsStruct.size).toBe(36);
    expect(ethtoolChannelsStruct.layout.fields.map((f) => [f.name, f.offset])).toEqual([
      ['cmd', 0], ['max_rx', 4], ['max_tx', 8], ['max_other', 12], ['max_combined', 16],
      ['rx_count', 20], ['tx_count', 24], ['other_count', 28], ['combined_count', 32],
    ]);
    const b = encodeEthtoolChannels(ETHTOOL_SCHANNELS, { ...zeroChannels(), max_combined: 4, combined_count: 1 });
    expect(hex(b)).toBe('3d000000' + '00000000'.repeat(3) + '04000000' + '00000000'.repeat(3) + '01000000');
    expect(decodeEthtoolChannels(b)).toMatchObject({ cmd: 0x3d, max_combined: 4, combined_count: 1 });
  });
});

describe('SIOCETHTOOL (dev_ioctl / dev_ethtool)', () => {
  const mk = () => {
    const nv = netvsc('eth0', 2, { maxChn: 4, numChn: 2 });
    return { nv, sys: staticSystem([noChannels('lo', 1), nv, tap('tap0', 3, 0)]) };
  };
  it('GCHANNELS fills the user buffer', () => {
    const { sys } = mk();
    const buf = encodeEthtoolChannels(ETHTOOL_GCHANNELS, zeroChannels());
    expect(ethtoolIoctl(sys, 'eth0', buf)).toBe(0);
    expect(decodeEthtoolChannels(buf)).toEqual({ cmd: ETHTOOL_GCHANNELS, ...zeroChannels(), max_combined: 4, combined_count: 2 });
  });
  it('reads the command word first (EFAULT before ENODEV on 6.1), a short struct is EFAULT', () => {
    const { sys } = mk();
    expect(ethtoolIoctl(sys, 'nosuchdev', new Uint8Array(2))).toBe('EFAULT');
    expect(ethtoolIoctl(sys, 'nosuchdev', new Uint8Array(2), { core: 'linux-4.2' })).toBe('ENODEV');
    const short = new Uint8Array(8);
    new DataView(short.buffer).setUint32(0, ETHTOOL_GCHANNELS, true);
    expect(ethtoolIoctl(sys, 'eth0', short)).toBe('EFAULT');
    new DataView(short.buffer).setUint32(0, ETHTOOL_SCHANNELS, true);
    expect(ethtoolIoctl(sys, 'eth0', short)).toBe('EFAULT');
  });
  it('answers EOPNOTSUPP for other commands and devices without the ops', () => {
    const { sys } = mk();
    expect(ethtoolIoctl(sys, 'eth0', encodeEthtoolChannels(0x3e, zeroChannels()))).toBe('EOPNOTSUPP');
    expect(ethtoolIoctl(sys, 'lo', encodeEthtoolChannels(ETHTOOL_GCHANNELS, zeroChannels()))).toBe('EOPNOTSUPP');
    expect(ethtoolIoctl(sys, 'tap0', encodeEthtoolChannels(ETHTOOL_SCHANNELS, { ...zeroChannels(), combined_count: 1 }))).toBe('EOPNOTSUPP');
  });
  it('orders ENODEV (absent), EPERM, ENODEV (not present) as 6.1 does, and as 2015 did', () => {
    const { sys, nv } = mk();
    nv.present = false;
    const set = () => encodeEthtoolChannels(ETHTOOL_SCHANNELS, { ...zeroChannels(), combined_count: 3 });
    expect(ethtoolIoctl(sys, 'eth9', set(), { capNetAdmin: false })).toBe('ENODEV');
    expect(ethtoolIoctl(sys, 'eth0', set(), { capNetAdmin: false })).toBe('EPERM');
    expect(ethtoolIoctl(sys, 'eth0', set(), { capNetAdmin: false, core: 'linux-4.2' })).toBe('ENODEV');
    expect(ethtoolIoctl(sys, 'eth0', encodeEthtoolChannels(ETHTOOL_GCHANNELS, zeroChannels()), { capNetAdmin: false })).toBe('ENODEV');
  });
  it('cuts an alias suffix off the name', () => {
    const { sys } = mk();
    expect(ethtoolIoctl(sys, 'eth0:backup', encodeEthtoolChannels(ETHTOOL_GCHANNELS, zeroChannels()))).toBe(0);
  });
  it('SCHANNELS: no change is 0 without the driver; checks before the driver; the 2015 core passes everything', () => {
    const { sys, nv } = mk();
    const req = (combined: number) => encodeEthtoolChannels(ETHTOOL_SCHANNELS, { ...zeroChannels(), max_combined: 4, combined_count: combined });
    expect(ethtoolIoctl(sys, 'eth0', req(2))).toBe(0);
    expect(ethtoolIoctl(sys, 'eth0', req(5))).toBe('EINVAL');
    expect(ethtoolIoctl(sys, 'eth0', req(0))).toBe('EINVAL');
    expect(nv.setCalls).toEqual([]);
    expect(ethtoolIoctl(sys, 'eth0', req(3))).toBe(0);
    expect(nv.setCalls.map((c) => c.combined_count)).toEqual([3]);
    expect(ethtoolIoctl(sys, 'eth0', req(3), { core: 'linux-4.2' })).toBe(0);
    expect(ethtoolIoctl(sys, 'eth0', req(0), { core: 'linux-4.2' })).toBe('EINVAL');
    expect(nv.setCalls.map((c) => c.combined_count)).toEqual([3, 3, 0]);
  });
});

describe('ethtool netlink family', () => {
  it("builds ethtool's SET request and the kernel's extended ack byte for byte", () => {
    const req = new ethnl.NlMsgBuilder(ethnl.ETHTOOL_GENL_FAMILY_ID, ethnl.NLM_F_REQUEST | ethnl.NLM_F_ACK, 1, 0).genl(ethnl.ETHTOOL_MSG_CHANNELS_SET, 1);
    const nest = req.nestStart(ethnl.ETHTOOL_A_CHANNELS_HEADER);
    req.putStrz(ethnl.ETHTOOL_A_HEADER_DEV_NAME, 'eth0').nestEnd(nest);
    expect(req.length).toBe(36); // the first channel attribute of a request for "eth0" sits at offset 36
    req.putU32(ethnl.ETHTOOL_A_CHANNELS_COMBINED_COUNT, 0);
    const msg = req.finish();
    expect(hex(msg)).toBe(hex(bytes(`
      2c000000 1400 0500 01000000 00000000
      12 01 0000
      1000 0180  0900 0200 65746830 00000000
      0800 0900 00000000`)));
    const nv = netvsc('eth0', 2, { maxChn: 4, numChn: 4 });
    const out = ethnlRequest(staticSystem([nv]), msg);
    expect(out.length).toBe(1);
    const ack = out[0]!;
    const text = new TextEncoder().encode(EXTACK.noRxTx);
    const msgAttrLen = 4 + text.length + 1;
    const total = 16 + 4 + msg.length + ((msgAttrLen + 3) & ~3) + 8;
    const h = ethnl.nlmsghdr.decode(ack, 0);
    expect(h).toEqual({ nlmsg_len: total, nlmsg_type: ethnl.NLMSG_ERROR, nlmsg_flags: ethnl.NLM_F_ACK_TLVS, nlmsg_seq: 1, nlmsg_pid: 0 });
    expect(new DataView(ack.buffer, ack.byteOffset).getInt32(16, true)).toBe(-22);
    expect(hex(ack.subarray(20, 20 + msg.length))).toBe(hex(msg)); // the whole request is echoed
    expect(ethnl.decodeAck(ack)).toEqual({ errno: 22, msg: EXTACK.noRxTx, offset: 36 });
    expect(nv.setCalls).toEqual([]);
  });

  it('answers a GET with the reply (header nest, then only the non-zero MAX/COUNT pairs) and a capped ack', () => {
    const req = new ethnl.NlMsgBuilder(ethnl.ETHTOOL_GENL_FAMILY_ID, ethnl.NLM_F_REQUEST | ethnl.NLM_F_ACK, 7, 0).genl(ethnl.ETHTOOL_MSG_CHANNELS_GET, 1);
    const n = req.nestStart(ethnl.ETHTOOL_A_CHANNELS_HEADER);
    req.putStrz(ethnl.ETHTOOL_A_HEADER_DEV_NAME, 'eth0').nestEnd(n);
    const [reply, ack] = ethnlRequest(staticSystem([netvsc('eth0', 2, { maxChn: 4, numChn: 4 })]), req.finish());
    expect(hex(reply!)).toBe(hex(bytes(`
      3c000000 1400 0000 07000000 00000000
      12 01 0000
      1800 0180  0800 0100 02000000  0900 0200 65746830 00000000
      0800 0500 04000000
      0800 0900 04000000`)));
    expect(ethnl.nlmsghdr.decode(ack!, 0)).toMatchObject({ nlmsg_len: 36, nlmsg_type: ethnl.NLMSG_ERROR, nlmsg_flags: ethnl.NLM_F_CAPPED, nlmsg_seq: 7 });
    expect(ethnl.decodeAck(ack!)).toEqual({ errno: 0 });
  });

  const getBy = (attrs: (b: InstanceType<typeof ethnl.NlMsgBuilder>) => void, cmd = ethnl.ETHTOOL_MSG_CHANNELS_GET, flags = ethnl.NLM_F_REQUEST | ethnl.NLM_F_ACK) => {
    const b = new ethnl.NlMsgBuilder(ethnl.ETHTOOL_GENL_FAMILY_ID, flags, 1, 0).genl(cmd, 1);
    attrs(b);
    return b.finish();
  };
  const sys = staticSystem([noChannels('lo', 1), veth('eth0', 2, { rx: 4, tx: 4 }, { rx: 1, tx: 1 })]);
  const lastAck = (out: Uint8Array[]) => ethnl.decodeAck(out[out.length - 1]!);

  it('finds devices by ifindex, and checks that a name given too matches', () => {
    const byIndex = (i: number, name?: string) =>
      getBy((b) => {
        const n = b.nestStart(1);
        b.putU32(ethnl.ETHTOOL_A_HEADER_DEV_INDEX, i);
        if (name) b.putStrz(ethnl.ETHTOOL_A_HEADER_DEV_NAME, name);
        b.nestEnd(n);
      });
    expect(ethnlRequest(sys, byIndex(2)).length).toBe(2);
    expect(lastAck(ethnlRequest(sys, byIndex(9)))).toEqual({ errno: 19, msg: EXTACK.noDeviceIndex, offset: 24 });
    expect(lastAck(ethnlRequest(sys, byIndex(2, 'lo')))).toEqual({ errno: 19, msg: EXTACK.nameIndexMismatch, offset: 20 });
  });
  it('missing or empty headers, malformed attributes, unknown commands and families', () => {
    expect(lastAck(ethnlRequest(sys, getBy(() => {})))).toEqual({ errno: 22 });
    expect(lastAck(ethnlRequest(sys, getBy(() => {}, ethnl.ETHTOOL_MSG_CHANNELS_SET)))).toEqual({ errno: 22, msg: EXTACK.headerMissing });
    expect(lastAck(ethnlRequest(sys, getBy((b) => b.nestEnd(b.nestStart(1)))))).toEqual({ errno: 22, msg: EXTACK.noDevice, offset: 20 });
    const bad = getBy((b) => b.putRaw(new Uint8Array([0xff, 0, 1, 0])));
    expect(lastAck(ethnlRequest(sys, bad))).toEqual({ errno: 22 });
    expect(lastAck(ethnlRequest(sys, getBy(() => {}, 40)))).toEqual({ errno: 95 });
    const other = getBy(() => {});
    new DataView(other.buffer).setUint16(4, 0x30, true);
    expect(lastAck(ethnlRequest(sys, other))).toEqual({ errno: 2 });
    expect(ethnlRequest(sys, new Uint8Array(10))).toEqual([]);
  });
  it('a dump skips devices without channel support and ends with NLMSG_DONE', () => {
    const out = ethnlRequest(sys, getBy((b) => b.nestEnd(b.nestStart(1)), ethnl.ETHTOOL_MSG_CHANNELS_GET, ethnl.NLM_F_REQUEST | ethnl.NLM_F_ACK | ethnl.NLM_F_DUMP));
    expect(out.length).toBe(1);
    const msgs = ethnl.splitMessages(out[0]!);
    expect(msgs.map((m) => m.type)).toEqual([ethnl.ETHTOOL_GENL_FAMILY_ID, ethnl.NLMSG_DONE]);
    expect(msgs[0]!.flags).toBe(ethnl.NLM_F_MULTI);
  });
  it('dump order follows the ifindex hash buckets', () => {
    const d = (i: number) => noChannels(`d${i}`, i);
    expect(dumpOrder([d(300), d(2), d(44), d(257), d(1)]).map((x) => x.ifindex)).toEqual([257, 1, 2, 300, 44]); // 257 and 1 share bucket 1; the newer (higher) is first
  });
});

describe('core checks (kernel-core)', () => {
  it('maxRxfhChannel: missing ops and size 0 are EOPNOTSUPP, get_rxfh errors pass through, else the highest entry', () => {
    const base = noChannels('x', 1);
    expect(maxRxfhChannel(base)).toBe('EOPNOTSUPP');
    expect(maxRxfhChannel({ ...base, getRxfhIndirSize: () => 0, getRxfh: () => [] })).toBe('EOPNOTSUPP');
    expect(maxRxfhChannel({ ...base, getRxfhIndirSize: () => 4, getRxfh: () => 'EIO' })).toBe('EIO');
    expect(maxRxfhChannel({ ...base, getRxfhIndirSize: () => 4, getRxfh: () => [0, 7, 2, 1, 99] })).toBe(7);
  });
  it('AF_XDP range uses u16 on the ioctl path and u32 on netlink', () => {
    const dev = { ...noChannels('x', 1), xskPoolQueues: () => [5] };
    const cur = { ...zeroChannels(), max_combined: 0x10010, combined_count: 0x10010 };
    const next = { ...cur, combined_count: 0x10002 };
    // netlink: [0x10002, 0x10010) does not contain 5; ioctl: [2, 16) after truncation does.
    expect(checkSetChannels(dev, next, cur, 'netlink')).toBeUndefined();
    expect(checkSetChannels(dev, next, cur, 'ioctl')).toEqual({ errno: 'EINVAL', reason: 'xsk' });
  });
});

describe('where the kernel takes RTNL (EthtoolSystem.rtnlLock)', () => {
  // a system whose RTNL is held for ever: the hook throws where the command would block
  const blocked = (devices: Parameters<typeof staticSystem>[0]) => ({
    ...staticSystem(devices),
    rtnlLock: () => {
      throw new Error('blocked on RTNL');
    },
  });
  const run = (argv: string, style: 'netlink' | 'ioctl', devices = [netvsc('eth0', 2, { maxChn: 4, numChn: 2 }), noChannels('lo', 1)]) => {
    try {
      return runEthtool(argv, blocked(devices), { style }).status;
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('ioctl: dev_ethtool holds RTNL around the lookup, so every device-naming command blocks, even an unknown name', () => {
    for (const argv of ['-l eth0', '-l eth9', '-l lo', '-L eth0 combined 1', '-x eth0', '-S eth0']) expect(run(argv, 'ioctl'), argv).toBe('blocked on RTNL');
  });

  it('netlink: the header lookup and the op check come first (ENODEV, EOPNOTSUPP without RTNL), then RTNL', () => {
    expect(run('-l eth9', 'netlink')).toBe(1);
    expect(run('-L lo combined 1', 'netlink')).toBe(1);
    expect(run('-l eth0', 'netlink')).toBe('blocked on RTNL');
    expect(run('-l lo', 'netlink')).toBe('blocked on RTNL');
    expect(run('-L eth0 combined 1', 'netlink')).toBe('blocked on RTNL');
  });

  it('the userspace-only paths never reach the kernel', () => {
    for (const style of ['netlink', 'ioctl'] as const) {
      expect(run('-L eth0 combined x', style)).toBe(1);
      expect(run('--help', style)).toBe(0);
    }
  });
});
