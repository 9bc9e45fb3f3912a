/**
 * Which `hv_netvsc` the model behaves like.
 *
 * - `linux-6.1` (default): Debian 6.1.192, read line by line (drivers/net/hyperv/*.c).
 * - `linux-4.2`: the 2015 driver that gained the ethtool channel operations (poster
 *   shared/seeds/000_bf257f2ab3ef2c43.txt; upstream 59995370dbca and b5960e6e2b5c, with
 *   8ebdcc52b9b8). What the spec states (shared/spec/nvsp-rndis-netvsc.md §6, §2.7, §1.4, §2.6) is
 *   modelled as stated; the rest of that driver's wire sequence comes from a reading of the 2015
 *   sources that could not be checked here and is marked `recollection` below.
 * @module
 */
import {
  NVSP_2_VSC_CAPABILITY,
  NVSP_PROTOCOL_VERSION_1,
  NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_6,
  NVSP_PROTOCOL_VERSION_61,
  linuxNdisConfigCapability,
} from '../protocol/nvsp.js';

/** A profile name. */
export type NetvscProfileName = 'linux-6.1' | 'linux-4.2';

/** The behaviour switches of one driver version. */
export interface NetvscProfile {
  /** The profile's name, as given in the driver option `profile`. */
  readonly name: NetvscProfileName;
  /** NVSP versions tried, newest first (6.1: netvsc.c `netvsc_connect_vsp` ver_list). */
  readonly nvspVersions: readonly number[];
  /** NDIS_CONFIG capability mask sent after a version is accepted. */
  ndisConfigCapability(nvspVersion: number, isolated: boolean): bigint;
  /** Transaction ids from the channel requestor (2020+, spec §1.4); otherwise request addresses go on the wire. */
  readonly requestor: boolean;
  /** Linux's checks of host messages (spec §2.7, "introduced ~2020–2021 for untrusted hosts"). */
  readonly validateHost: boolean;
  /** INIT_COMPLETE wait: `null` = no timeout (6.1); 4.2: 1 s (spec §2.6 "old kernels: 1 s"). */
  readonly initTimeoutNs: number | null;
  /** RNDIS request and SUBCHANNEL waits: `null` = none (6.1); 4.2: 5 s (recollection). */
  readonly requestTimeoutNs: number | null;
  /** Channel rules: max_chn, default num_chn, set_channels (spec §4.2, §5.2 / §6). */
  readonly channels: 'linux-6.1' | 'linux-4.2';
  /**
   * RNDIS bring-up queries. 6.1: MAX_FRAME, MAC, FRIENDLY_NAME, HW caps + offload SET,
   * MEDIA_CONNECT, LINK_SPEED, RSS caps. 4.2 (recollection): MAC, fixed offload SET, MEDIA_CONNECT, RSS caps.
   */
  readonly bringup: 'linux-6.1' | 'linux-4.2';
  /** RSS is programmed as a DISABLE SET followed by an enabling SET (6.1); 4.2: one enabling SET (recollection). */
  readonly rssDisableFirst: boolean;
  /**
   * Subchannels: 6.1 asks from a work item after probe (synchronously on attach) and waits until
   * every granted one was offered; 4.2 asks inside device add and does not wait for the offers
   * (that wait is b3e6b82a0099, later than 4.2 per spec §6).
   */
  readonly subchannels: 'linux-6.1' | 'linux-4.2';
  /** Buffer sizes: from section counts carried across re-attach (6.1), or fixed 16 MiB / 1 MiB (4.2, recollection). */
  readonly buffers: 'sections' | 'fixed';
  /** Receive/send GPADLs torn down after the channel close on VMBus ≥ 4.0 (6.1), always before it (4.2, recollection). */
  readonly gpadlTeardownAfterClose: boolean;
}

/** Linux 6.1.192 (the default). */
export const LINUX_6_1: NetvscProfile = Object.freeze({
  name: 'linux-6.1',
  nvspVersions: Object.freeze([
    NVSP_PROTOCOL_VERSION_61,
    NVSP_PROTOCOL_VERSION_6,
    NVSP_PROTOCOL_VERSION_5,
    NVSP_PROTOCOL_VERSION_4,
    NVSP_PROTOCOL_VERSION_2,
    NVSP_PROTOCOL_VERSION_1,
  ]),
  ndisConfigCapability: (v: number, isolated: boolean) => linuxNdisConfigCapability(v, { isolated }),
  requestor: true,
  validateHost: true,
  initTimeoutNs: null,
  requestTimeoutNs: null,
  channels: 'linux-6.1',
  bringup: 'linux-6.1',
  rssDisableFirst: true,
  subchannels: 'linux-6.1',
  buffers: 'sections',
  gpadlTeardownAfterClose: true,
});

/** Linux 4.2 (2015), see the module text for what is stated and what is recollected. */
export const LINUX_4_2: NetvscProfile = Object.freeze({
  name: 'linux-4.2',
  // NVSP 6 and 6.1 came later; 4.2 tried 5, 4, 2, 1 (recollection).
  nvspVersions: Object.freeze([NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_1]),
  // ieee8021q always, sriov from NVSP 5; no teaming or rsc bits yet (recollection).
  ndisConfigCapability: (v: number) =>
    NVSP_2_VSC_CAPABILITY.ieee8021q | (v >= NVSP_PROTOCOL_VERSION_5 ? NVSP_2_VSC_CAPABILITY.sriov : 0n),
  requestor: false,
  validateHost: false,
  initTimeoutNs: 1_000_000_000,
  requestTimeoutNs: 5_000_000_000,
  channels: 'linux-4.2',
  bringup: 'linux-4.2',
  rssDisableFirst: false,
  subchannels: 'linux-4.2',
  buffers: 'fixed',
  gpadlTeardownAfterClose: false,
});

/** The profile of a name. */
export function netvscProfile(name: NetvscProfileName = 'linux-6.1'): NetvscProfile {
  return name === 'linux-4.2' ? LINUX_4_2 : LINUX_6_1;
}
