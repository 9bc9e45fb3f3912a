/**
 * The scripted peers as a user imports them from `netvsc-sim/testing`: a scripted guest driving the
 * NetVSP host step by step, and a scripted host serving the Linux netvsc driver.
 */
import { describe, expect, it } from 'vitest';
import { ScriptedGuest, ScriptedHost, bringUp, type ScriptedHostOptions } from '../../src/testing/index.js';
import { createBus } from '../../src/vmbus/bus.js';
import { registerNetvscDriver } from '../../src/guest/netvsc-drv.js';
import { rndisQueryRequest } from '../../src/protocol/rndis.js';
import { OID } from '../../src/protocol/oids.js';
import { spawn } from '../../src/vmbus/scheduler.js';

describe('scripted guest (tests a host)', () => {
  it('brings the host up with 4 channels step by step: NVSP 6.1, buffers, RNDIS, 3 subchannels, RSS', () => {
    const g = new ScriptedGuest({ seed: 3 });
    const up = bringUp(g, { channels: 4 });
    expect(up).toMatchObject({ version: 0x60001, granted: 3 });
    const s = g.host.state();
    expect(s).toMatchObject({ phase: 'ready', rndis: 'operational', queues: 4 });
    expect(s.channelsOpen).toEqual([0, 1, 2, 3]);
    expect(s.rss?.table.slice(0, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('speaks raw bytes: an NVSP type the host does not know is fatal for the channel (openvmm behaviour)', () => {
    const g = new ScriptedGuest();
    bringUp(g);
    g.nvsp(0, Uint8Array.of(0xff, 0xff, 0, 0));
    g.run();
    expect(g.host.counters.fatal).toEqual({ UNKNOWN_TYPE: 1 });
    // a dead channel answers nothing more
    expect(g.rndisRequest(rndisQueryRequest(99, OID.GEN_MAXIMUM_FRAME_SIZE))).toBeUndefined();
  });
});

describe('scripted host (tests a guest)', () => {
  /** A 4-vCPU Linux guest booted against a scripted host with `options`. */
  const boot = (options: ScriptedHostOptions) => {
    const bus = createBus({ seed: 1 });
    const host = new ScriptedHost(bus, options);
    const driver = registerNetvscDriver(bus.guest, { vcpus: 4 });
    bus.guest.connect();
    bus.run();
    return { bus, host, dev: driver.devices[0]! };
  };

  it('serves the Linux driver through boot and records what it said, in order', () => {
    const { host, dev } = boot({ queues: 4 });
    const names = host.guestNames((e) => e.what !== 'vmbus');
    expect(names[0]).toMatch(/INIT$/);
    expect(names.some((n) => n.includes('SUBCHANNEL'))).toBe(true);
    expect(host.rss.length).toBeGreaterThan(0);
    expect(dev.openChannels).toBe(4);
  });

  it('clearLogs forgets the log, not the state: the next exchange is logged from scratch', () => {
    const { bus, host, dev } = boot({ queues: 4 });
    const bootRss = host.rss.length;
    host.clearLogs();
    expect([host.wire.length, host.rss.length, host.filters.length, host.recvCompletions.length, host.txFrames.size]).toEqual([0, 0, 0, 0, 0]);
    const done = spawn(dev.setChannels({ ...dev.getChannels(), combined_count: 2 }));
    bus.run();
    expect(done.value).toBe(0);
    expect(host.guestNames((e) => e.what !== 'vmbus')[0]).toBe('NVSP_MSG1_TYPE_SEND_RNDIS_PKT'); // the detach's packet filter 0
    expect(host.rss.length).toBe(bootRss);
    expect(host.rss.at(-1)!.indirection_table.slice(0, 4)).toEqual([0, 1, 0, 1]);
  });

  it('misbehaves on request: a refused subchannel request leaves the guest on one channel', () => {
    const { dev } = boot({ queues: 4, subchannels: () => ({ status: 2, granted: 0 }) });
    expect(dev.getChannels().combined_count).toBe(1);
  });
});
