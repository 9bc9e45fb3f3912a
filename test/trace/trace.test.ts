/**
 * Traces (src/trace): the tracer observes without changing what flows, decodes every layer of the
 * `ethtool -L` exchange (VMBus, NVSP, RNDIS from guest memory, the RSS object), labels the boot,
 * and its text, JSON-lines and pcapng renderings carry the same records.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../../src/session/vm.js';
import { decodePacket } from '../../src/vmbus/packet.js';
import {
  TRACE_FRAME_HEADER,
  TRACE_FRAME_MAGIC,
  encodeTraceFrame,
  formatTrace,
  formatTraceJsonLines,
  renderPcapng,
  renderTraceJsonLines,
  renderTraceText,
  toPcapng,
  type TraceRecord,
} from '../../src/trace/index.js';

const layer = (r: TraceRecord, name: string) => r.layers.find((l) => l.layer === name);

describe('tracer', () => {
  it('observes only: a traced and an untraced VM run the same exchange at the same virtual times', () => {
    const plain = createVm({ vcpus: 4, seed: 3 });
    const traced = createVm({ vcpus: 4, seed: 3, trace: true });
    const a = plain.ethtool('-L eth0 combined 2');
    const b = traced.ethtool('-L eth0 combined 2');
    expect(b).toEqual(a);
    expect(traced.wire()).toEqual(plain.wire());
    expect(traced.bus.scheduler.now).toBe(plain.bus.scheduler.now);
    expect(traced.trace().records.length).toBeGreaterThan(50);
    // Same seed, same records.
    const again = createVm({ vcpus: 4, seed: 3, trace: true });
    again.ethtool('-L eth0 combined 2');
    expect(formatTraceJsonLines(again.trace().records)).toBe(formatTraceJsonLines(traced.trace().records));
  });

  it('decodes the subchannel request, the grant and the RSS parameters of ethtool -L eth0 combined 2', () => {
    const vm = createVm({ vcpus: 4, trace: true });
    expect(vm.ethtool('-L eth0 combined 2').status).toBe(0);
    const recs = vm.trace().records;
    const req = recs.find((r) => r.direction === 'guest-to-host' && layer(r, 'NVSP')?.summary === 'SUBCHANNEL ALLOCATE num=1');
    expect(req, 'NVSP SUBCHANNEL ALLOCATE num=1').toBeDefined();
    expect(req!.summary).toMatch(/^VMBUS INBAND tid=\d+ rc \| NVSP SUBCHANNEL ALLOCATE num=1$/);
    const grant = recs.find((r) => r.direction === 'host-to-guest' && layer(r, 'NVSP')?.fields.name === 'SUBCHANNEL_COMPLETE');
    expect(layer(grant!, 'NVSP')!.fields).toMatchObject({ status: 1, num_subchannels: 1 });
    expect(grant!.seq).toBeGreaterThan(req!.seq);
    const rss = recs.filter((r) => layer(r, 'RNDIS')?.summary.startsWith('SET OID_GEN_RECEIVE_SCALE_PARAMETERS'));
    expect(rss.length).toBeGreaterThan(0);
    const obj = layer(rss.at(-1)!, 'OID')!;
    expect(obj.summary).toMatch(/^RSS flag=0x[0-9a-f]+ hashinfo=0x[0-9a-f]+ table=128 queues=2 key=40$/);
    const table = obj.fields.indirection_table as number[];
    expect(table).toHaveLength(128);
    expect(new Set(table)).toEqual(new Set([0, 1]));
    expect(rss.at(-1)!.payloads[0]!.source).toBe('gpa-direct');
    // Host RNDIS completions come from the receive buffer (set up before the tracer started).
    const setC = recs.find((r) => layer(r, 'RNDIS')?.summary.startsWith('SET_C'));
    expect(setC!.payloads[0]!.source).toBe('receive-buffer');
    expect(layer(setC!, 'VMBUS')!.fields.kind).toBe('xfer-pages');
    // Channel-management messages: the subchannel's offer.
    expect(recs.some((r) => r.kind === 'channel-message' && r.summary.startsWith('CHANNELMSG OFFERCHANNEL') && r.summary.includes('subchannel=1'))).toBe(true);
    // Every ring record's bytes are the framed packet.
    for (const r of recs.filter((x) => x.kind === 'packet')) {
      expect(decodePacket(r.bytes).kind).toBe(layer(r, 'VMBUS')!.fields.kind);
      expect(r.channel).toBeGreaterThanOrEqual(0);
      expect(r.relid).toBeGreaterThan(0);
    }
  });

  it("trace: 'boot' records the boot under the phase 'boot', then the commands unlabelled", () => {
    const vm = createVm({ vcpus: 4, trace: 'boot' });
    const boot = vm.trace().records;
    expect(boot.length).toBeGreaterThan(0);
    expect(boot.every((r) => r.phase === 'boot')).toBe(true);
    expect(boot[0]!.summary).toBe('CHANNELMSG INITIATE_CONTACT');
    expect(boot.some((r) => r.summary.endsWith('NVSP SUBCHANNEL ALLOCATE num=3'))).toBe(true);
    const n = vm.trace().nextSeq;
    vm.trace().phase('ethtool -L eth0 combined 1');
    vm.ethtool('-L eth0 combined 1');
    const cmd = vm.trace().since(n);
    expect(cmd.length).toBeGreaterThan(0);
    expect(cmd.every((r) => r.phase === 'ethtool -L eth0 combined 1')).toBe(true);
    expect(formatTrace(vm.trace().records)).toMatch(/^# boot\n[\s\S]*\n# ethtool -L eth0 combined 1\n/);
  });

  it('the hypervisor hook: packets are reported only while someone observes', () => {
    const vm = createVm({ vcpus: 2 });
    const hv = vm.bus.hypervisor;
    expect(hv.observed).toBe(false);
    const seen: string[] = [];
    const remove = hv.addTap((e) => seen.push(e.kind));
    expect(hv.observed).toBe(true);
    vm.ethtool('-L eth0 combined 1');
    expect(new Set(seen)).toEqual(new Set(['packet', 'post', 'message', 'signal', 'interrupt']));
    remove();
    expect(hv.observed).toBe(false);
    const n = seen.length;
    vm.ethtool('-L eth0 combined 2');
    expect(seen).toHaveLength(n);
  });

  it('vm.trace() started late traces from then on; stop() ends recording', () => {
    const vm = createVm({ vcpus: 2 });
    vm.ethtool('-L eth0 combined 1');
    const t = vm.trace();
    expect(t.records).toHaveLength(0);
    vm.ethtool('-L eth0 combined 2');
    const n = t.records.length;
    expect(n).toBeGreaterThan(0);
    t.stop();
    expect(t.active).toBe(false);
    vm.ethtool('-L eth0 combined 1');
    expect(t.records).toHaveLength(n);
  });
});

describe('renderings', () => {
  const vm = createVm({ vcpus: 4, trace: true });
  vm.ethtool('-L eth0 combined 2');
  const records = vm.trace().records;

  it('text: one line per message with direction and channel; repeated lines folded; -v adds fields and hex', () => {
    const text = formatTrace(records);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(records.length); // GPADL_BODY runs folded
    expect(text).toMatch(/\n +\d+\.\d{3}us {2}guest→host {2}ch0 {2}VMBUS INBAND tid=\d+ rc \| NVSP SUBCHANNEL ALLOCATE num=1\n/);
    expect(text).toMatch(/CHANNELMSG GPADL_BODY gpadl=\d+ {2}\(×\d+\)\n/);
    expect(text).toMatch(/RNDIS SET OID_GEN_RECEIVE_SCALE_PARAMETERS req=\d+ info=\d+ \| OID RSS /);
    const verbose = formatTrace(records.slice(0, 5), { verbose: true });
    expect(verbose).toMatch(/\n {4}VMBUS:\n {6}kind = /);
    expect(verbose).toMatch(/\n {6}0000 {2}([0-9a-f]{2} ){15}[0-9a-f]{2} {2}/);
  });

  it('JSON lines: one parseable object per record with hex bytes', () => {
    const lines = formatTraceJsonLines(records).trimEnd().split('\n');
    expect(lines).toHaveLength(records.length);
    const objs = lines.map((l) => JSON.parse(l) as { seq: number; bytes: string; layers: { layer: string }[]; direction: string });
    objs.forEach((o, i) => {
      expect(o.seq).toBe(records[i]!.seq);
      expect(o.bytes).toBe(Buffer.from(records[i]!.bytes).toString('hex'));
      expect(o.layers.length).toBe(records[i]!.layers.length);
    });
    const two = renderTraceJsonLines([
      { name: 'a', records: records.slice(0, 2) },
      { name: 'b', records: records.slice(0, 1) },
    ]);
    expect(two.trimEnd().split('\n').map((l) => (JSON.parse(l) as { vm: string }).vm)).toEqual(['a', 'a', 'b']);
    expect(renderTraceText([{ name: 'a', records: records.slice(0, 1) }, { name: 'b', records: [] }])).toMatch(/^## a\n.*\n## b\n$/);
  });

  it('pcapng: SHB, one LINKTYPE_USER0 interface per channel, one EPB per record with direction flags', () => {
    const file = toPcapng(records);
    const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let at = 0;
    const blocks: { type: number; body: DataView; start: number }[] = [];
    while (at < file.length) {
      const type = dv.getUint32(at, true);
      const len = dv.getUint32(at + 4, true);
      expect(len % 4).toBe(0);
      expect(dv.getUint32(at + len - 4, true)).toBe(len);
      blocks.push({ type, body: new DataView(file.buffer, file.byteOffset + at + 8, len - 12), start: at });
      at += len;
    }
    expect(at).toBe(file.length);
    expect(blocks[0]!.type).toBe(0x0a0d0d0a);
    expect(blocks[0]!.body.getUint32(0, true)).toBe(0x1a2b3c4d);
    const idbs = blocks.filter((b) => b.type === 1);
    const channels = new Set(records.map((r) => (r.kind === 'channel-message' ? 'ctl' : `${r.relid}:${r.channel}`)));
    expect(idbs).toHaveLength(channels.size);
    for (const i of idbs) expect(i.body.getUint16(0, true)).toBe(147);
    const epbs = blocks.filter((b) => b.type === 6);
    expect(epbs).toHaveLength(records.length);
    epbs.forEach((e, k) => {
      const r = records[k]!;
      const caplen = e.body.getUint32(12, true);
      const data = new Uint8Array(e.body.buffer, e.body.byteOffset + 20, caplen);
      expect(Array.from(data)).toEqual(Array.from(encodeTraceFrame(r)));
      const ts = (BigInt(e.body.getUint32(4, true)) << 32n) | BigInt(e.body.getUint32(8, true));
      expect(Number(ts)).toBe(r.time);
      // epb_flags option right after the padded data: code 2, length 4, value 1 (in) / 2 (out).
      const opt = 20 + caplen + ((4 - (caplen % 4)) % 4);
      expect(e.body.getUint16(opt, true)).toBe(2);
      expect(e.body.getUint32(opt + 4, true)).toBe(r.direction === 'guest-to-host' ? 2 : 1);
    });
    const multi = renderPcapng([
      { name: 'one', records },
      { name: 'two', records },
    ]);
    expect(multi.length).toBeGreaterThan(file.length);
  });

  it('the record frame: NVSM header, the body, then the RNDIS payloads', () => {
    const r = records.find((x) => x.payloads.length > 0)!;
    const f = encodeTraceFrame(r);
    const dv = new DataView(f.buffer);
    expect(dv.getUint32(0, true)).toBe(TRACE_FRAME_MAGIC);
    expect(f[4]).toBe(1);
    expect(f[5]).toBe(r.direction === 'guest-to-host' ? 0 : 1);
    expect(f[7]).toBe(r.payloads.length);
    expect(dv.getUint32(8, true)).toBe(r.relid);
    expect(dv.getUint32(16, true)).toBe(r.bytes.length);
    const at = TRACE_FRAME_HEADER + r.bytes.length;
    expect(dv.getUint32(at + 4, true)).toBe(r.payloads[0]!.bytes.length);
    expect(Array.from(f.subarray(at + 8, at + 8 + r.payloads[0]!.bytes.length))).toEqual(Array.from(r.payloads[0]!.bytes));
  });
});
