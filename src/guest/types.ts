/**
 * Public value types of the netvsc guest driver model: options, channel counts, warnings, counters.
 * @module
 */
import type { NetvscProfileName } from './profile.js';

/**
 * The counts `get_channels` reports and `set_channels` receives: the fields of
 * `struct ethtool_channels` (include/uapi/linux/ethtool.h) with the kernel's names, as the ethtool
 * floor's `EthtoolChannels` has them.
 */
export interface NetvscChannels {
  /** Maximum receive-only queues: always 0 (netvsc has combined queues only). */
  max_rx: number;
  /** Maximum transmit-only queues: always 0. */
  max_tx: number;
  /** Maximum "other" (link/misc interrupt) channels: always 0. */
  max_other: number;
  /** Maximum combined queues: `netvsc_device.max_chn` (6.1: min(host RSS queues, vCPUs, 64); 1 without RSS); 0 without a device. */
  max_combined: number;
  /** Receive-only queues: reported as 0; `set_channels` rejects a non-zero value with EINVAL. */
  rx_count: number;
  /** Transmit-only queues: reported as 0; `set_channels` rejects a non-zero value with EINVAL. */
  tx_count: number;
  /** "Other" channels: reported as 0; `set_channels` rejects a non-zero value with EINVAL. */
  other_count: number;
  /** Combined queues in use: `netvsc_device.num_chn` (primary included); the count `ethtool -L combined N` asks for. */
  combined_count: number;
}

/** What Linux logs (netdev_err / netdev_warn) and the model records instead. */
export type NetvscWarningCode =
  // netvsc_send_completion
  | 'COMPLETION_INVALID_TRANSACTION_ID'
  | 'COMPLETION_UNEXPECTED'
  | 'COMPLETION_NULL_REQUEST'
  | 'COMPLETION_TOO_SHORT'
  | 'COMPLETION_UNKNOWN_TYPE'
  | 'RNDIS_PKT_COMPLETE_STATUS'
  // netvsc_receive
  | 'RECV_NVSP_TOO_SHORT'
  | 'RECV_UNKNOWN_NVSP_TYPE'
  | 'RECV_XFER_OFFSET_TOO_SMALL'
  | 'RECV_BAD_PAGESET_ID'
  | 'RECV_BAD_RANGE_COUNT'
  | 'RECV_RANGE_OUT_OF_BUFFER'
  | 'RECV_RANGE_TOO_BIG'
  | 'RECV_COMP_RING_FULL'
  // netvsc_receive_inband, netvsc_send_table, netvsc_send_vf, netvsc_process_raw_pkt
  | 'INBAND_TOO_SHORT'
  | 'SEND_TABLE_TOO_SHORT'
  | 'SEND_TABLE_BAD_COUNT'
  | 'SEND_TABLE_BAD_OFFSET'
  | 'VF_ASSOCIATION_TOO_SHORT'
  | 'VF_ASSOCIATION_IGNORED'
  | 'UNHANDLED_PACKET_TYPE'
  // rndis_filter_receive and friends
  | 'RNDIS_MSG_TOO_SHORT'
  | 'RNDIS_BAD_MSG_LEN'
  | 'RNDIS_UNHANDLED_TYPE'
  | 'RNDIS_RESPONSE_UNINITIALIZED'
  | 'RNDIS_RESPONSE_TOO_SHORT'
  | 'RNDIS_RESPONSE_OVERFLOW'
  | 'RNDIS_RESPONSE_UNMATCHED'
  | 'RNDIS_PKT_TOO_SHORT'
  | 'RNDIS_PKT_BAD_DATA_OFFSET'
  | 'RNDIS_PKT_DATA_OVERFLOW'
  | 'RNDIS_PPI_INVALID'
  | 'RNDIS_PPI_INFINITE_LOOP'
  | 'NAPI_POLL_ENDLESS'
  | 'RNDIS_RSC_DROP'
  | 'RX_NOT_REGISTERED'
  | 'INDICATE_TOO_SHORT'
  | 'INDICATE_BAD_LINK_SPEED'
  // device operations
  | 'QUERY_FAILED'
  | 'INIT_FAILED'
  | 'HWCAPS_INVALID'
  | 'OFFLOAD_SET_FAILED'
  | 'RSS_SET_FAILED'
  | 'SUBCHANNEL_SEND_FAILED'
  | 'SUBCHANNEL_REQUEST_FAILED'
  | 'SUBCHANNEL_INVALID_COUNT'
  | 'SUBCHANNEL_TIMEOUT'
  | 'SUBCHANNEL_OPEN_FAILED'
  | 'CHANNEL_OPEN_FAILED'
  | 'NVSP_CONNECT_FAILED'
  | 'RECV_BUF_FAILED'
  | 'SEND_BUF_FAILED'
  | 'REVOKE_FAILED'
  | 'GPADL_TEARDOWN_FAILED'
  | 'RING_NOT_EMPTY'
  | 'SEND_FAILED'
  | 'PROBE_FAILED'
  | 'RESTORE_FAILED'
  | 'COMBINED_CLAMPED'
  /** The kernel would crash here (NULL dereference, division by zero, BUG_ON): the flow stops for good. */
  | 'OOPS';

/** One recorded warning. */
export interface NetvscWarning {
  /** Which Linux check or failure fired (the codes are grouped by the Linux function that logs them). */
  readonly code: NetvscWarningCode;
  /** Virtual time (ns). */
  readonly time: number;
  /** Queue (channel index) when the warning is about one. */
  readonly queue?: number;
  /** A number or short text Linux prints with it (a length, a type, a status). */
  readonly detail?: number | string;
}

/** Counters of one netdev (they survive detach/attach; per-queue ones are indexed by queue). */
export interface NetvscStats {
  /** Guest→host messages by kind: NVSP type names (`NVSP_MSG1_TYPE_SEND_RNDIS_PKT`), RNDIS types and OIDs (`RNDIS_MSG_SET OID_GEN_RECEIVE_SCALE_PARAMETERS`). */
  readonly sent: Record<string, number>;
  /** Host→guest messages by kind: VMBus packet kind and NVSP type, RNDIS type. */
  readonly received: Record<string, number>;
  /** NVSP SUBCHANNEL requests sent (`NVSP_MSG5_TYPE_SUBCHANNEL`, op ALLOCATE). */
  subchannelRequests: number;
  /** Subchannels asked for in total over all SUBCHANNEL requests (`num_chn - 1` each time). */
  subchannelsAsked: number;
  /** Subchannels the host granted in total (`num_subchannels` of successful completions). */
  subchannelsGranted: number;
  /** Frames handed up the stack, by receive queue (`netvsc_recv_callback`; 64 entries, `VRSS_CHANNEL_MAX`). */
  readonly rxPackets: number[];
  /** Bytes of the frames in {@link rxPackets}, by receive queue (whole frame, RSC fragments summed). */
  readonly rxBytes: number[];
  /** Data frames whose send completion arrived, by transmit queue (counted at completion, not at send). */
  readonly txPackets: number[];
  /** Bytes of the packets in {@link txPackets}, by transmit queue. */
  readonly txBytes: number[];
  /** Frames dropped on transmit (netdev `tx_dropped`). */
  txDropped: number;
  /** Transmit attempts refused because the queue was stopped or the ring full (NETDEV_TX_BUSY). */
  txBusy: number;
  /** Transfer-page packets whose receive completion carried FAIL (one per packet, however many of its ranges failed). */
  rxFailed: number;
  /** Device teardowns by set_channels (6.1 `netvsc_detach`; 4.2 removes the device in place). */
  detaches: number;
  /** Device re-adds by set_channels, the restore after a failed one included (successful or not). */
  attaches: number;
}

/**
 * Per-netdev counters beside {@link NetvscStats}: Linux's driver-private ethtool counters the
 * model's paths move (`ndev_ctx->eth_stats`, shown by `ethtool -S`) and one the model adds.
 */
export interface NetvscEthStats {
  /** `tx_send_full`: a frame small enough for a send section found none free and went by page ranges. */
  txSendFull: number;
  /** `tx_busy`: netvsc_xmit got -EAGAIN from the ring and returned NETDEV_TX_BUSY (a frame offered to a stopped queue never reaches the driver). */
  txBusy: number;
  /** `tx_no_space`: the ring was full with nothing in flight to free it (-EAGAIN turned into -ENOSPC): the frame is dropped. */
  txNoSpace: number;
  /** `stop_queue`: netvsc_send_pkt stopped the queue (ring below 10% free after a send, or full). */
  stopQueue: number;
  /** `wake_queue`: the queue was woken (a send completion left over 20% free or nothing in flight, or nothing was in flight when it stopped). */
  wakeQueue: number;
  /** `rx_comp_busy`: a receive completion could not be written (ring full); it stays queued for the next poll. */
  rxCompBusy: number;
  /** Not a Linux counter: `__netdev_notify_peers` calls (gratuitous ARP), made when MEDIA_CONNECT arrives while the link is already up. */
  notifyPeers: number;
}

/** Options of the driver (module parameters and the VM around it). */
export interface NetvscOptions {
  /** Which driver to behave like (default `linux-6.1`). */
  readonly profile?: NetvscProfileName;
  /** `num_online_cpus()` (default 1). */
  readonly vcpus?: number;
  /** CPUs in the primary channel's NUMA node (4.2's default channel rule; default `vcpus`). */
  readonly numaNodeCpus?: number;
  /** Module parameter `ring_size` in 4 KiB pages (default 128; below 64 is raised to 64). */
  readonly ringSize?: number;
  /** Netdev MTU before the host's MAXIMUM_FRAME_SIZE (default 1500). */
  readonly mtu?: number;
  /** An isolated (SNP/TDX) guest: no SR-IOV bit, NVSP 6.1 required, VF messages ignored. */
  readonly isolated?: boolean;
  /** An ifalias already set before probe (skips the FRIENDLY_NAME query). */
  readonly ifalias?: string;
  /** Interface names by probe order (default `eth0`, `eth1`, …). */
  readonly name?: (index: number) => string;
  /** Bring each interface up after probe, as the VM's init does at boot (default true). */
  readonly autoOpen?: boolean;
  /** Delay between the end of probe and that `ip link set up` (default 1 ms of virtual time). */
  readonly openDelayNs?: number;
  /** Called for every frame delivered up the stack, with its receive queue. */
  readonly onReceive?: (dev: { readonly name: string }, queue: number, frame: Uint8Array) => void;
  /** Receive buffer sections asked at probe (`ethtool -G rx`; default 9709 = 16 MiB / 1728-byte sections). */
  readonly recvSections?: number;
  /** Send buffer sections asked at probe (`ethtool -G tx`; default 170 = 1 MiB / 6144-byte sections). */
  readonly sendSections?: number;
}
