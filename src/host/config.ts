/**
 * Configuration of the simulated NetVSP host: what the host offers (MAC, MTU, link, NVSP versions,
 * queues, indirection-table size), how it answers subchannel requests, and the faults it injects.
 * Every choice is deterministic: delays are virtual nanoseconds, "shuffled" offer orders draw from
 * the bus scheduler's seeded generator.
 *
 * Defaults follow openvmm's NetVSP (vm/devices/net/netvsp/src/lib.rs: `NicBuilder::build`,
 * `Adapter`, 64 queues at most per vNIC, send sections of 6144 bytes) and Hyper-V's visible values
 * (00:15:5d MAC prefix, "Network Adapter" friendly name, 10 Gbit/s).
 *
 * @module
 */
import { isNvspVersion, NVSP_PROTOCOL_VERSIONS } from '../protocol/nvsp.js';

/** How many subchannels the host grants when asked (NVSP 133 ALLOCATE). */
export type NetvspSubchannelGrant =
  /** All requested, as openvmm does whenever the request is below its queue count. */
  | 'grant-all'
  /** None: the completion carries NVSP_STAT_FAIL and 0. */
  | 'refuse'
  /** Hostile: SUCCESS with more than requested (Linux answers -EINVAL). */
  | 'grant-more'
  /** At most this many (a host short of queues); SUCCESS with min(requested, n). */
  | { readonly grantFewer: number };

/** The host's subchannel behaviour. Rules that hold whatever the policy: see `NetvspHost`. */
export interface NetvspSubchannelPolicy {
  /** Default `'grant-all'`. */
  readonly grant?: NetvspSubchannelGrant;
  /** Extra subchannels a `'grant-more'` host claims (default 1). */
  readonly extra?: number;
  /** Virtual ns between the request and its completion (a late answer; default 0). */
  readonly answerDelay?: number;
  /** Order of the offers of the granted subchannels (default `'ascending'` by index). */
  readonly offerOrder?: 'ascending' | 'descending' | 'shuffled';
  /** Virtual ns between the completion and the first offer (default 0). */
  readonly offerDelay?: number;
  /** Virtual ns between consecutive offers (default 0). */
  readonly offerInterval?: number;
}

/**
 * Selects host completions of one NVSP message type: every one (`nth` absent) or only the nth
 * (1-based) the host sends of that type over its life.
 */
export interface NetvspCompletionMatch {
  /** The completion's message type (2 INIT_COMPLETE, 102, 105, 108, 133, …; 0 for an empty completion). */
  readonly msgType: number;
  readonly nth?: number;
}

/** When to rescind a channel by itself (fault injection). */
export interface NetvspRescindFault {
  /**
   * `'subchannel-request'`: right after the host answers an NVSP 133 request;
   * `'subchannel-offers'`: right after it offers the granted subchannels;
   * `'rss-enable'`: right after it accepts an enabling RSS SET.
   */
  readonly on: 'subchannel-request' | 'subchannel-offers' | 'rss-enable';
  /** The primary (which takes its subchannels with it) or a subchannel index. */
  readonly target: 'primary' | number;
  /** Virtual ns after the trigger (default 0). */
  readonly delay?: number;
  /** Fire on the nth trigger only (default 1: the first). */
  readonly nth?: number;
}

/** Deterministic fault injection. */
export interface NetvspFaults {
  /** NVSP versions answered with INIT_COMPLETE status 0 even though supported (the guest tries the next). */
  readonly refuseVersions?: readonly number[];
  /**
   * OIDs answered with a failure status (default RNDIS_STATUS_FAILURE) and no data: their QUERY,
   * their SET, or both when `request` is absent.
   */
  readonly failOids?: readonly { readonly oid: number; readonly request?: 'query' | 'set'; readonly status?: number }[];
  /** Completions never sent (the guest waits forever). */
  readonly dropCompletions?: readonly NetvspCompletionMatch[];
  /** Completions sent late. */
  readonly delayCompletions?: readonly (NetvspCompletionMatch & { readonly delay: number })[];
  /** A channel rescinded by the host during reconfiguration. */
  readonly rescind?: NetvspRescindFault;
}

/** A frame the guest transmitted, as the host took it off a channel. */
export interface NetvspTxFrame {
  readonly time: number;
  /** Subchannel index of the channel it came on (0 = primary). */
  readonly channel: number;
  /** The Ethernet frame (a copy). */
  readonly frame: Uint8Array;
  /** IEEE 802.1Q tag from the per-packet info, if any. */
  readonly vlan?: { readonly id: number; readonly priority: number };
  /** Offloads the guest asked for in the per-packet info. */
  readonly offload: { readonly checksum: boolean; readonly lso: boolean; readonly mss?: number };
}

/** What `createNetvspHost` accepts; every field has a default. */
export interface NetvspConfig {
  /** Instance GUID of the NIC (primary and subchannels share it). */
  readonly instance?: string;
  /** Permanent MAC address (text `aa:bb:cc:dd:ee:ff` or 6 bytes); default 00:15:5d:00:00:01. */
  readonly mac?: string | Uint8Array;
  /** Largest frame payload the host reports (OID_GEN_MAXIMUM_FRAME_SIZE cap); default 1500. */
  readonly mtu?: number;
  /** Link speed in bit/s (OID_GEN_LINK_SPEED reports it in 100 bit/s units); default 10 Gbit/s. */
  readonly linkSpeed?: number;
  /** Link state at start (OID_GEN_MEDIA_CONNECT_STATUS); default up. */
  readonly linkUp?: boolean;
  /** OID_GEN_FRIENDLY_NAME (Linux ignores the Hyper-V default "Network Adapter"). */
  readonly friendlyName?: string;
  /**
   * NVSP versions the host accepts (default all six: 1, 2, 4, 5, 6, 6.1). Use
   * {@link nvspVersionsUpTo} to simulate an older host.
   */
  readonly nvspVersions?: readonly number[];
  /**
   * Queues the host has: the RSS capabilities' `num_recv_que`; a subchannel request for this many
   * or more is refused. 1..64 (openvmm clamps to 64 per vNIC); default 64.
   */
  readonly maxQueues?: number;
  /** Entries of the host's indirection table (`num_indirect_tabent`), 1..65535; default 128. */
  readonly indirectionTableSize?: number;
  /** Send-buffer section size given in SEND_SEND_BUF_COMPLETE; default 6144. */
  readonly sendSectionSize?: number;
  /**
   * Whose message sizes to write: `'hyperv'` (28-byte NVSP messages before 6.1, 40 from 6.1; the
   * send table after a full 40-byte message, 104 bytes) or `'openvmm'` (32 / 40; the compact
   * 76-byte send table). Default `'hyperv'`.
   */
  readonly peer?: 'hyperv' | 'openvmm';
  /** Subchannel behaviour. */
  readonly subchannels?: NetvspSubchannelPolicy;
  /** Fault injection. */
  readonly faults?: NetvspFaults;
  /** Accept a NetworkAddress config parameter (MAC change); default true. */
  readonly allowMacChange?: boolean;
  /** Send INDICATE TASK_OFFLOAD_CURRENT_CONFIG after an offload SET, as openvmm does; default true. */
  readonly indicateOffloadChange?: boolean;
  /** Events kept in `NetvspHost.events` (older ones are not recorded past it); default 10000, 0 = none. */
  readonly maxEvents?: number;
  /** Called for every frame the guest transmits. */
  readonly onTransmit?: (frame: NetvspTxFrame) => void;
}

/** A config with every default applied (`NetvspHost.config`). */
export interface ResolvedNetvspConfig {
  readonly instance: string;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly linkSpeed: number;
  readonly linkUp: boolean;
  readonly friendlyName: string;
  readonly nvspVersions: readonly number[];
  readonly maxQueues: number;
  readonly indirectionTableSize: number;
  readonly sendSectionSize: number;
  readonly peer: 'hyperv' | 'openvmm';
  readonly subchannels: Required<Omit<NetvspSubchannelPolicy, 'grant'>> & { readonly grant: NetvspSubchannelGrant };
  readonly faults: Required<Omit<NetvspFaults, 'rescind'>> & { readonly rescind: NetvspRescindFault | null };
  readonly allowMacChange: boolean;
  readonly indicateOffloadChange: boolean;
  readonly maxEvents: number;
  readonly onTransmit: ((frame: NetvspTxFrame) => void) | null;
}

/** The instance GUID used when none is configured. */
export const NETVSP_DEFAULT_INSTANCE = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f';
/** Most queues (channels) per vNIC (openvmm `NETVSP_MAX_SUBCHANNELS_PER_VNIC`). */
export const NETVSP_MAX_QUEUES = 64;
/** Send-buffer section size (openvmm answers 6144 in SEND_SEND_BUF_COMPLETE). */
export const NETVSP_SEND_SECTION_SIZE = 6144;

/** The versions a host accepts when its newest is `newest` (e.g. `nvspVersionsUpTo(0x40000)` = 1, 2, 4). */
export function nvspVersionsUpTo(newest: number): number[] {
  if (!isNvspVersion(newest)) throw new RangeError(`nvspVersionsUpTo: 0x${newest.toString(16)} is not an NVSP version`);
  return NVSP_PROTOCOL_VERSIONS.filter((v) => v <= newest);
}

function parseMac(mac: string | Uint8Array): Uint8Array {
  if (mac instanceof Uint8Array) {
    if (mac.length !== 6) throw new RangeError('NetvspConfig.mac: 6 bytes expected');
    return Uint8Array.from(mac);
  }
  const hex = mac.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new RangeError(`NetvspConfig.mac: ${JSON.stringify(mac)} is not a MAC address`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function int(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`NetvspConfig.${name}: ${v} is not an integer in ${min}..${max}`);
  return v;
}

function delay(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`NetvspConfig.${name}: ${v} is not a delay in virtual ns`);
  return v;
}

/**
 * Applies the defaults and checks the values.
 * @throws RangeError for a value the host cannot take (an unknown NVSP version, a MAC that is not
 *   one, a count out of range). `maxQueues` above 64 is clamped to 64, as openvmm clamps it.
 */
export function resolveNetvspConfig(config: NetvspConfig = {}): ResolvedNetvspConfig {
  const versions = config.nvspVersions ?? NVSP_PROTOCOL_VERSIONS;
  for (const v of versions) {
    if (!isNvspVersion(v)) throw new RangeError(`NetvspConfig.nvspVersions: 0x${(v >>> 0).toString(16)} is not an NVSP version`);
  }
  const maxQueuesIn = int('maxQueues', config.maxQueues, NETVSP_MAX_QUEUES, 1, 0xffff);
  const sc = config.subchannels ?? {};
  const grant = sc.grant ?? 'grant-all';
  if (typeof grant === 'object') int('subchannels.grant.grantFewer', grant.grantFewer, 0, 0, NETVSP_MAX_QUEUES - 1);
  else if (grant !== 'grant-all' && grant !== 'refuse' && grant !== 'grant-more') {
    throw new RangeError(`NetvspConfig.subchannels.grant: ${String(grant)} is not a policy`);
  }
  const f = config.faults ?? {};
  for (const d of f.delayCompletions ?? []) delay('faults.delayCompletions.delay', d.delay);
  if (f.rescind) delay('faults.rescind.delay', f.rescind.delay);
  const peer = config.peer ?? 'hyperv';
  if (peer !== 'hyperv' && peer !== 'openvmm') throw new RangeError(`NetvspConfig.peer: ${String(peer)} is not 'hyperv' or 'openvmm'`);
  const linkSpeed = config.linkSpeed ?? 10_000_000_000;
  if (!Number.isSafeInteger(linkSpeed) || linkSpeed < 0 || linkSpeed / 100 > 0xffffffff) {
    throw new RangeError(`NetvspConfig.linkSpeed: ${linkSpeed} bit/s does not fit OID_GEN_LINK_SPEED (u32 of 100 bit/s)`);
  }
  return {
    instance: (config.instance ?? NETVSP_DEFAULT_INSTANCE).toLowerCase(),
    mac: parseMac(config.mac ?? '00:15:5d:00:00:01'),
    mtu: int('mtu', config.mtu, 1500, 68, 65521),
    linkSpeed,
    linkUp: config.linkUp ?? true,
    friendlyName: config.friendlyName ?? 'Network Adapter',
    nvspVersions: [...versions],
    maxQueues: Math.min(maxQueuesIn, NETVSP_MAX_QUEUES),
    indirectionTableSize: int('indirectionTableSize', config.indirectionTableSize, 128, 1, 0xffff),
    sendSectionSize: int('sendSectionSize', config.sendSectionSize, NETVSP_SEND_SECTION_SIZE, 68, 0x7fffffff),
    peer,
    subchannels: {
      grant,
      extra: int('subchannels.extra', sc.extra, 1, 1, NETVSP_MAX_QUEUES),
      answerDelay: delay('subchannels.answerDelay', sc.answerDelay),
      offerOrder: sc.offerOrder ?? 'ascending',
      offerDelay: delay('subchannels.offerDelay', sc.offerDelay),
      offerInterval: delay('subchannels.offerInterval', sc.offerInterval),
    },
    faults: {
      refuseVersions: [...(f.refuseVersions ?? [])],
      failOids: [...(f.failOids ?? [])],
      dropCompletions: [...(f.dropCompletions ?? [])],
      delayCompletions: [...(f.delayCompletions ?? [])],
      rescind: f.rescind ?? null,
    },
    allowMacChange: config.allowMacChange ?? true,
    indicateOffloadChange: config.indicateOffloadChange ?? true,
    maxEvents: int('maxEvents', config.maxEvents, 10_000, 0, Number.MAX_SAFE_INTEGER),
    onTransmit: config.onTransmit ?? null,
  };
}
