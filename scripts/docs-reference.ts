/**
 * Generates docs/protocol-reference.md from the declarations themselves: every exported
 * `StructCodec` of the vmbus and protocol floors, with its byte map (`codec.layout`), and the
 * message type numbers as the floors export them. Nothing here is typed by hand, so the reference
 * cannot drift from the codecs; test/docs/reference.test.ts fails when the checked-in file is stale.
 *
 * Run it with `npm run docs:reference` (scripts/docs-run.mjs writes the file).
 */
import * as vmbus from '../src/vmbus/index.js';
import * as protocol from '../src/protocol/index.js';
import type { StructLayout } from '../src/wire/index.js';

/** A struct codec as found among a floor's exports. */
interface FoundStruct {
  readonly exportName: string;
  readonly layout: StructLayout;
}

function structsOf(ns: Record<string, unknown>): FoundStruct[] {
  const out: FoundStruct[] = [];
  for (const [exportName, v] of Object.entries(ns)) {
    if (typeof v !== 'object' || v === null) continue;
    const c = v as { layout?: StructLayout; size?: unknown; declaration?: unknown };
    if (c.layout && Array.isArray(c.layout.fields) && typeof c.size === 'number' && Array.isArray(c.declaration)) {
      out.push({ exportName, layout: c.layout });
    }
  }
  return out.sort((a, b) => a.layout.name.localeCompare(b.layout.name));
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** One struct: its size and a byte map, with compiler padding and unnamed gaps made visible. */
export function renderStruct(s: FoundStruct): string {
  const { layout } = s;
  const lines = [`### \`${layout.name}\``, '', `${layout.size} bytes — \`${s.exportName}\` (\`.layout\`, \`.encode\`, \`.decode\`).`, ''];
  lines.push('| bytes | offset | size | field | type |', '|---|---|---|---|---|');
  let at = 0;
  const fields = [...layout.fields].sort((a, b) => a.offset - b.offset);
  for (const f of fields) {
    if (f.offset > at) lines.push(`| ${at}–${f.offset - 1} | ${hex(at)} | ${f.offset - at} | *(padding)* | |`);
    const range = f.size === 0 ? `${f.offset} (empty)` : f.size === 1 ? `${f.offset}` : `${f.offset}–${f.offset + f.size - 1}`;
    lines.push(`| ${range} | ${hex(f.offset)} | ${f.size} | \`${f.name}\` | \`${f.type}\` |`);
    at = Math.max(at, f.offset + f.size);
  }
  if (layout.size > at) lines.push(`| ${at}–${layout.size - 1} | ${hex(at)} | ${layout.size - at} | *(padding)* | |`);
  return lines.join('\n');
}

function constantsTable(title: string, entries: readonly (readonly [string, number])[]): string {
  const rows = [...entries].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  return [`| ${title} | decimal | hex |`, '|---|---|---|', ...rows.map(([k, v]) => `| \`${k}\` | ${v} | ${hex(v)} |`)].join('\n');
}

function numericExports(ns: Record<string, unknown>, re: RegExp): [string, number][] {
  return Object.entries(ns).filter((e): e is [string, number] => re.test(e[0]) && typeof e[1] === 'number');
}

interface Group {
  readonly title: string;
  readonly intro: string;
  readonly match: (name: string) => boolean;
}

const VMBUS_GROUPS: readonly Group[] = [
  { title: 'VMBus channel messages', intro: 'Posted through the hypervisor (`HvPostMessage`), each starting with `vmbus_channel_message_header`.', match: (n) => n.startsWith('vmbus_channel_') && !n.startsWith('vmbus_channel_packet') },
  { title: 'VMBus packets', intro: 'What a ring carries: a `vmpacket_descriptor` and what follows it (`offset8`/`len8` count 8-byte units).', match: (n) => /^(vmpacket|vmtransfer|vmdata|vmbus_channel_packet|vmbus_packet|gpa_range|hv_mpb|hv_page|hv_multipage)/.test(n) },
  { title: 'Rings and hypervisor messages', intro: 'The ring control page and the SynIC message slots.', match: () => true },
];

const PROTOCOL_GROUPS: readonly Group[] = [
  { title: 'NVSP messages', intro: 'Carried as in-band VMBus packets; every one is the 4-byte `nvsp_message_header` and a union padded to `nvsp_message` (40 bytes).', match: (n) => n.startsWith('nvsp_') || n === 'recv_comp_msg' },
  { title: 'RNDIS messages', intro: 'Carried in the send buffer or in an `NVSP_MSG1_TYPE_SEND_RNDIS_PKT` page buffer; each starts with `msg_type` and `msg_len`, little-endian.', match: (n) => n.startsWith('rndis_') },
  { title: 'NDIS objects', intro: 'OID payloads (RSS, offloads), each starting with an `ndis_object_header`.', match: () => true },
];

function renderGroups(structs: readonly FoundStruct[], groups: readonly Group[]): string {
  const left = new Set(structs);
  const parts: string[] = [];
  for (const g of groups) {
    const mine = [...left].filter((s) => g.match(s.layout.name));
    if (mine.length === 0) continue;
    for (const s of mine) left.delete(s);
    parts.push(`## ${g.title}`, '', g.intro, '', ...mine.map((s) => `${renderStruct(s)}\n`));
  }
  return parts.join('\n');
}

/** The whole reference page. */
export function renderProtocolReference(): string {
  const channelMsg = Object.entries(vmbus.CHANNELMSG as Record<string, number>).filter(([k]) => k !== 'CHANNELMSG_COUNT');
  const nvspTypes = numericExports(protocol, /^NVSP_MSG\d?_TYPE_/);
  const rndisTypes = Object.entries(protocol.RNDIS_MSG as Record<string, number>).map(([k, v]) => [`RNDIS_MSG_${k}`, v] as const);
  return [
    '<!-- GENERATED by `npm run docs:reference` (scripts/docs-reference.ts) from the codecs\' declarations. Do not edit by hand. -->',
    '',
    '# Protocol reference',
    '',
    'Every message the simulator puts on the wire, as the struct codecs declare it. Offsets and sizes',
    'come from each codec\'s `.layout` (the declaration, cross-checked against the Debian 6.1.192',
    'kernel\'s BTF by test/conformance — see [fidelity](fidelity.md)). All integers are little-endian.',
    '',
    '## Message type numbers',
    '',
    '### VMBus channel messages (`vmbus_channel_message_header.msgtype`)',
    '',
    constantsTable('message', channelMsg),
    '',
    '### NVSP (`nvsp_message_header.msg_type`)',
    '',
    constantsTable('message', nvspTypes),
    '',
    '### RNDIS (`msg_type`)',
    '',
    constantsTable('message', rndisTypes),
    '',
    renderGroups(structsOf(vmbus), VMBUS_GROUPS),
    renderGroups(structsOf(protocol), PROTOCOL_GROUPS),
  ].join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
