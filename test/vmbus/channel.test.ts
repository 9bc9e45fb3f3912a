import { describe, expect, it } from 'vitest';
import { GuestChannelRings, HostChannelRings, splitRings } from '../../src/vmbus/channel.js';
import { decodePacket, type VmbusPacket } from '../../src/vmbus/packet.js';

const PAGE = 4096;
const inband = (len: number, flags = 1): VmbusPacket => ({ kind: 'inband', flags, trans_id: 0n, payload: new Uint8Array(len) });

function pair(sendPages = 2, recvPages = 2, rqstorSize = 0) {
  const mem = new Uint8Array((sendPages + recvPages) * PAGE);
  const guest = new GuestChannelRings(mem, { sendPages, recvPages }, { rqstorSize, maxPktSize: 4624 });
  const { send, recv } = splitRings(mem, { sendPages, recvPages });
  const host = new HostChannelRings(send, recv);
  return { mem, guest, host };
}

describe('channel rings', () => {
  it('initialises both ring headers (indices 0, feature_bits 1), outbound ring first', () => {
    const mem = new Uint8Array(5 * PAGE).fill(0xee);
    new GuestChannelRings(mem, { sendPages: 3, recvPages: 2 });
    for (const at of [0, 3 * PAGE]) {
      expect([...mem.subarray(at, at + 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect([...mem.subarray(at + 64, at + 68)]).toEqual([1, 0, 0, 0]);
    }
  });

  it('splitRings refuses a layout that does not match the memory or leaves a ring under 2 pages', () => {
    expect(() => splitRings(new Uint8Array(4 * PAGE), { sendPages: 2, recvPages: 3 })).toThrow(expect.objectContaining({ code: 'RING_GEOMETRY' }));
    expect(() => splitRings(new Uint8Array(3 * PAGE), { sendPages: 1, recvPages: 2 })).toThrow(expect.objectContaining({ code: 'RING_GEOMETRY' }));
  });

  it('with a requestor, a completion-requested packet carries the next id and the caller value is kept', () => {
    const { guest, host } = pair(2, 2, 2);
    expect(guest.send(inband(8), 0xaan)).toEqual({ ok: true, signal: true, transId: 1n });
    expect(guest.send(inband(8), 0xbbn)).toEqual({ ok: true, signal: false, transId: 2n });
    expect(guest.send(inband(8), 0xccn)).toEqual({ ok: false, error: 'EAGAIN' }); // requestor full
    expect(guest.send(inband(8, 0), 0xddn)).toMatchObject({ ok: true, transId: 0xddn }); // no completion: id as given
    const ids: bigint[] = [];
    for (let r = host.inbound.read(); r; r = host.inbound.read()) ids.push(decodePacket(r.packet).trans_id);
    expect(ids).toEqual([1n, 2n, 0xddn]);
    expect(guest.requestor.take(2n)).toBe(0xbbn);
    expect(guest.send(inband(8), 0xeen)).toMatchObject({ transId: 2n });
  });

  it('flags other than exactly 1 do not take a request id (Linux tests equality, not the bit)', () => {
    const { guest } = pair(2, 2, 4);
    expect(guest.send(inband(8, 3), 0x77n)).toMatchObject({ ok: true, transId: 0x77n });
    expect(guest.requestor.outstanding).toBe(0);
  });

  it('a full ring is EAGAIN and takes no request id', () => {
    const { guest } = pair(2, 2, 64);
    let n = 0;
    while (guest.send(inband(1000), BigInt(n)).ok) n++;
    expect(n).toBe(3); // 4096-byte data area: 3 × (1016 + 8); a fourth would leave < 8 bytes free
    expect(guest.requestor.outstanding).toBe(3);
    expect(guest.send(inband(1000), 99n)).toEqual({ ok: false, error: 'EAGAIN' });
    expect(guest.requestor.outstanding).toBe(3);
  });

  it('the host writes, the guest reads with Linux clamping (packets above max_pkt_size are cut)', () => {
    const { guest, host } = pair(2, 3);
    expect(host.send({ kind: 'completion', flags: 0, trans_id: 5n, payload: new Uint8Array(5000) })).toMatchObject({ ok: true, signal: true });
    const p = guest.inbound.first()!;
    expect(p.bytes.length).toBe(4624);
    expect(p.len8).toBe(4624 / 8);
  });
});
