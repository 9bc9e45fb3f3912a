// A toy NetVSP guest: binds the synthetic NIC, opens its channel and negotiates the NVSP version,
// newest first, the way hv_netvsc does. It is "the user's own driver" the tests below check.
import { HV_NIC_GUID, decodeNvsp, encodeNvsp } from 'netvsc-sim';

export const TOY_VERSIONS = [0x60001, 0x60000, 0x50000, 0x40000, 0x30002, 0x2];

export function attachToyGuest(bus) {
  const toy = { version: 0, tried: [], errors: 0, channel: null };
  let next = 0;
  const tryNext = () => {
    const v = TOY_VERSIONS[next++];
    if (v === undefined) return;
    toy.tried.push(v);
    const payload = encodeNvsp({ type: 'INIT', min_protocol_ver: v, max_protocol_ver: v }, { peer: 'linux' });
    toy.channel.sendPacket({ kind: 'inband', flags: 1, trans_id: 0n, payload }, BigInt(next));
  };
  const onPackets = (ch) => {
    for (let p = ch.rings.inbound.first(); p; p = ch.rings.inbound.next()) {
      const bytes = p.bytes.subarray(p.offset8 * 8, p.len8 * 8);
      let msg;
      try {
        msg = decodeNvsp(bytes, { from: 'host', version: 0 });
      } catch {
        toy.errors++; // a message we cannot read: count it, never crash
        continue;
      }
      if (msg.type !== 'INIT_COMPLETE' || toy.version) continue;
      if (msg.status === 1) toy.version = toy.tried[toy.tried.length - 1];
      else tryNext();
    }
    ch.closeRead();
  };
  bus.guest.registerDriver({
    name: 'toy-netvsc',
    ifType: HV_NIC_GUID,
    probe: (ch, g) => {
      toy.channel = ch;
      const opened = g.open(ch, { sendRingSize: 16384, recvRingSize: 16384, maxPktSize: 4096, callback: onPackets });
      return opened;
    },
  });
  toy.start = tryNext;
  return toy;
}
