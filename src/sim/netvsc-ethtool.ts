/**
 * The netvsc `ethtool_ops` this VM exposes beyond channel counts: RSS (get/set_rxfh, get_rxnfc
 * GRXRINGS, the key size) and statistics (get_sset_count / get_strings / get_ethtool_stats), over
 * the guest driver model. Written from a reading of Linux 6.1.192 drivers/net/hyperv/netvsc_drv.c
 * (`netvsc_stats`, `vf_stats`, `pcpu_stats`, `netvsc_get_sset_count`, `netvsc_get_strings`,
 * `netvsc_get_ethtool_stats`, `netvsc_get_pcpu_stats`, `netvsc_get_rxnfc`, `netvsc_get_rxfh`,
 * `netvsc_rss_indir_size`, `netvsc_get_rxfh_key_size`).
 * @module
 */
import type { NetvscNetdev } from '../guest/index.js';
import { ETH_RSS_HASH_TOP } from '../guest/index.js';

/** `NETVSC_HASH_KEYLEN`. */
export const NETVSC_HASH_KEYLEN = 40;

/** `netvsc_stats[]` names (the `eth_stats` counters), in the driver's order. */
export const NETVSC_GLOBAL_STATS = [
  'tx_scattered',
  'tx_no_memory',
  'tx_no_space',
  'tx_too_big',
  'tx_busy',
  'tx_send_full',
  'rx_comp_busy',
  'rx_no_memory',
  'stop_queue',
  'wake_queue',
  'vlan_error',
] as const;

/** `vf_stats[]` names. */
export const NETVSC_VF_STATS = ['vf_rx_packets', 'vf_rx_bytes', 'vf_tx_packets', 'vf_tx_bytes', 'vf_tx_dropped'] as const;

/** Per-queue names (`netvsc_get_strings`), 8 per channel. */
export const NETVSC_QUEUE_STATS = ['tx_queue_%u_packets', 'tx_queue_%u_bytes', 'tx_queue_%u_xdp_xmit', 'rx_queue_%u_packets', 'rx_queue_%u_bytes', 'rx_queue_%u_xdp_drop', 'rx_queue_%u_xdp_redirect', 'rx_queue_%u_xdp_tx'] as const;

/** `pcpu_stats[]` names, one group per present CPU. */
export const NETVSC_PCPU_STATS = ['cpu%u_rx_packets', 'cpu%u_rx_bytes', 'cpu%u_tx_packets', 'cpu%u_tx_bytes', 'cpu%u_vf_rx_packets', 'cpu%u_vf_rx_bytes', 'cpu%u_vf_tx_packets', 'cpu%u_vf_tx_bytes'] as const;

/** `netvsc_get_strings(ETH_SS_STATS)`; ENODEV without a device (`netvsc_get_sset_count`). */
export function netvscStatsStrings(dev: NetvscNetdev, presentCpus: number): string[] | 'ENODEV' {
  const nv = dev.nvdev;
  if (!nv) return 'ENODEV';
  const names: string[] = [...NETVSC_GLOBAL_STATS, ...NETVSC_VF_STATS];
  for (let q = 0; q < nv.numChn; q++) for (const f of NETVSC_QUEUE_STATS) names.push(f.replace('%u', String(q)));
  for (let cpu = 0; cpu < presentCpus; cpu++) for (const f of NETVSC_PCPU_STATS) names.push(f.replace('%u', String(cpu)));
  return names;
}

/**
 * `netvsc_get_ethtool_stats`: the `eth_stats` counters the model keeps (tx_no_space, tx_busy,
 * tx_send_full, rx_comp_busy, stop_queue, wake_queue; the model never takes the paths behind the
 * others — scatter, memory, oversize, VLAN errors — which stay 0), the VF sums (no
 * VF: 0), per channel of the current device what crossed its ring (packets/bytes; no XDP: 0), and
 * per present CPU the channels' sums by the CPU their interrupts target.
 */
export function netvscEthtoolStats(dev: NetvscNetdev, presentCpus: number): bigint[] {
  const nv = dev.nvdev;
  if (!nv) return [];
  const e = dev.ethStats;
  const global: Record<(typeof NETVSC_GLOBAL_STATS)[number], number> = {
    tx_scattered: 0,
    tx_no_memory: 0,
    tx_no_space: e.txNoSpace,
    tx_too_big: 0,
    tx_busy: e.txBusy,
    tx_send_full: e.txSendFull,
    rx_comp_busy: e.rxCompBusy,
    rx_no_memory: 0,
    stop_queue: e.stopQueue,
    wake_queue: e.wakeQueue,
    vlan_error: 0,
  };
  const out: bigint[] = NETVSC_GLOBAL_STATS.map((n) => BigInt(global[n]));
  for (let i = 0; i < NETVSC_VF_STATS.length; i++) out.push(0n);
  const pcpu = Array.from({ length: presentCpus }, () => [0, 0, 0, 0]);
  for (let q = 0; q < nv.numChn; q++) {
    const c = nv.chanTable[q]!;
    out.push(BigInt(c.txPackets), BigInt(c.txBytes), 0n, BigInt(c.rxPackets), BigInt(c.rxBytes), 0n, 0n, 0n);
    const cpu = pcpu[c.channel.targetCpu];
    if (cpu) {
      cpu[0]! += c.rxPackets;
      cpu[1]! += c.rxBytes;
      cpu[2]! += c.txPackets;
      cpu[3]! += c.txBytes;
    }
  }
  for (const [rp, rb, tp, tb] of pcpu) out.push(BigInt(rp!), BigInt(rb!), BigInt(tp!), BigInt(tb!), 0n, 0n, 0n, 0n);
  return out;
}

/** `netvsc_get_rxfh`: Toeplitz, rx_table, the saved key; ENODEV without a device. */
export function netvscRxfhConfig(dev: NetvscNetdev): { indir: number[]; key: Uint8Array; hfunc: number } | 'ENODEV' | 'EOPNOTSUPP' {
  const indir = dev.getRxfh();
  if (typeof indir === 'string') return indir === 'ENODEV' ? 'ENODEV' : 'EOPNOTSUPP';
  return { indir, key: Uint8Array.from(dev.rssKey ?? new Uint8Array(NETVSC_HASH_KEYLEN)), hfunc: ETH_RSS_HASH_TOP };
}
