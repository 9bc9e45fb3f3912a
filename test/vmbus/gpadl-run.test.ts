import { describe, expect, it } from 'vitest';
import { GpadlAssembly, encodeLinuxGpadl, encodeLinuxGpadlRun } from '../../src/vmbus/gpadl.js';
import { vmbus_channel_gpadl_body, vmbus_channel_gpadl_header } from '../../src/vmbus/messages.js';

describe('encodeLinuxGpadlRun messages', () => {
  it('are disjoint, each exactly its message, for a 16 MiB buffer', () => {
    const pages = 4096;
    const msgs = encodeLinuxGpadlRun(2, 0xe1e11, pages * 4096, 0x4000, pages);
    const pfns = Array.from({ length: pages }, (_, i) => BigInt(0x4000 + i));
    const want = encodeLinuxGpadl({ childRelid: 2, gpadl: 0xe1e11, size: pages * 4096, pfns });
    expect(msgs.map((m) => m.length)).toEqual(want.map((m) => m.length));
    msgs[1]!.fill(0xff); // one message changed: the others keep their bytes
    expect(msgs[0]).toEqual(want[0]);
    expect(msgs[2]).toEqual(want[2]);
    expect(msgs.at(-1)).toEqual(want.at(-1));
  });

  it('assemble on the host into one range with every page, odd tails ignored', () => {
    const msgs = encodeLinuxGpadlRun(1, 7, 100 * 4096, 0x10, 100);
    const a = new GpadlAssembly(vmbus_channel_gpadl_header.decode(msgs[0]!));
    let r = a.append(msgs[0]!.subarray(vmbus_channel_gpadl_header.size));
    for (const m of msgs.slice(1)) {
      // a body with 3 stray bytes after its last whole word: they are not range data
      const padded = new Uint8Array(m.length + 3).fill(0xee);
      padded.set(m);
      r = a.append(padded.subarray(vmbus_channel_gpadl_body.size));
    }
    expect(r.state).toBe('done');
    if (r.state !== 'done') return;
    expect(r.ranges).toHaveLength(1);
    expect(r.ranges[0]!.pfns).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(0x10 + i)));
  });
});
