/**
 * The playground page: boots a simulated VM in the browser from the visitor's choices, runs the
 * ethtool commands typed in, prints what ethtool prints and lists what crossed the VMBus rings.
 */
import type { EthtoolStyle, NetvscProfileName, WireSummary } from '../src/index.js';
import { PlaygroundSession, POSTER_CONFIG, POSTER_SESSION, PROFILES, STYLES, type CommandRecord, type PacketView, type PlaygroundConfig } from './session.js';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: #${id} missing from the page`);
  return e as T;
}

const form = el<HTMLFormElement>('config');
const vcpus = el<HTMLInputElement>('vcpus');
const queues = el<HTMLInputElement>('queues');
const profile = el<HTMLSelectElement>('profile');
const style = el<HTMLSelectElement>('style');
const cmdForm = el<HTMLFormElement>('command-form');
const cmd = el<HTMLInputElement>('command');
const terminal = el<HTMLPreElement>('terminal');
const exchange = el<HTMLDivElement>('exchange');
const status = el<HTMLParagraphElement>('status');
const posterButton = el<HTMLButtonElement>('poster');

for (const p of PROFILES) profile.append(new Option(p, p));
for (const s of STYLES) style.append(new Option(s, s));

let session: PlaygroundSession | undefined;

function readConfig(): PlaygroundConfig {
  return {
    vcpus: Number(vcpus.value),
    hostQueues: Number(queues.value),
    profile: profile.value as NetvscProfileName,
    ethtool: style.value as EthtoolStyle,
  };
}

function writeConfig(c: PlaygroundConfig): void {
  vcpus.value = String(c.vcpus);
  queues.value = String(c.hostQueues);
  profile.value = c.profile;
  style.value = c.ethtool;
}

/** Packet by packet: one line each, the decoded fields and hex dump when opened. */
function packetList(packets: readonly PacketView[]): HTMLElement {
  const list = document.createElement('div');
  list.className = 'packets';
  for (const p of packets) {
    const d = document.createElement('details');
    const s = document.createElement('summary');
    s.textContent = p.line.trim();
    s.title = p.line.trim();
    d.append(s);
    d.addEventListener('toggle', () => {
      if (!d.open || d.querySelector('pre')) return;
      const pre = document.createElement('pre');
      pre.textContent = p.detail();
      d.append(pre);
    });
    list.append(d);
  }
  return list;
}

function wireTable(title: string, w: WireSummary, packets: readonly PacketView[]): HTMLElement {
  const section = document.createElement('section');
  section.className = 'wire';
  const h = document.createElement('h3');
  h.textContent = title;
  section.append(h);
  const rows = PlaygroundSession.rows(w);
  if (rows.length === 0 && packets.length === 0) {
    const p = document.createElement('p');
    p.textContent = 'nothing crossed the rings';
    section.append(p);
    return section;
  }
  const count = document.createElement('p');
  count.className = 'count';
  count.textContent = `${packets.length} packets and channel messages, decoded (open one for its fields and bytes):`;
  section.append(count, packetList(packets));
  const table = document.createElement('table');
  table.innerHTML = '<thead><tr><th>direction</th><th>floor</th><th>message</th><th>count</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const v of [r.direction, r.floor, r.kind, String(r.count)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  const caption = document.createElement('p');
  caption.textContent = 'the netvsc driver\'s counters, by message kind:';
  section.append(caption, table);
  const extra = document.createElement('p');
  extra.textContent = `detach/attach cycles ${w.detaches}; subchannels asked ${w.subchannelsAsked}, granted ${w.subchannelsGranted}`;
  section.append(extra);
  return section;
}

function boot(): void {
  terminal.textContent = '';
  exchange.textContent = '';
  const c = readConfig();
  try {
    session = new PlaygroundSession(c);
  } catch (e) {
    session = undefined;
    status.textContent = `cannot boot: ${e instanceof Error ? e.message : String(e)}`;
    status.className = 'error';
    return;
  }
  status.className = '';
  status.textContent = `booted: ${c.vcpus} vCPUs, host offers ${c.hostQueues} queues, ${c.profile}, ethtool style ${session.vm.ethtoolStyle}`;
  exchange.append(wireTable('boot (netvsc probe)', session.bootWire(), session.bootPackets()));
}

function show(r: CommandRecord): void {
  terminal.textContent += r.transcript;
  terminal.scrollTop = terminal.scrollHeight;
  exchange.append(wireTable(`${r.command} → exit ${r.status}`, r.wire, r.packets));
  exchange.scrollTop = exchange.scrollHeight;
}

function run(line: string): void {
  if (!session) boot();
  if (!session) return;
  try {
    show(session.run(line));
  } catch (e) {
    // A simulator failure (a hang, a broken invariant) is a bug worth reporting: show it plainly.
    terminal.textContent += `$ ${line}\nnetvsc-sim: ${e instanceof Error ? e.message : String(e)}\n`;
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  boot();
});
cmdForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const line = cmd.value.trim();
  if (line === '') return;
  run(line);
  cmd.value = '';
});
posterButton.addEventListener('click', () => {
  writeConfig(POSTER_CONFIG);
  boot();
  for (const line of POSTER_SESSION) run(line);
});

writeConfig({ vcpus: 8, hostQueues: 64, profile: 'linux-6.1', ethtool: 'netlink' });
boot();
document.body.dataset.ready = 'true';
