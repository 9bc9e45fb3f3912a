import { VRSS_SEND_TAB_SIZE } from '../protocol/nvsp.js';

/**
 * Constants of Linux's `hv_netvsc` (Debian 6.1.192: drivers/net/hyperv/hyperv_net.h, netvsc.c,
 * netvsc_drv.c, rndis_filter.c; shared/spec/nvsp-rndis-netvsc.md §1.5, §2.9, §4.1).
 * @module
 */

/** Most channels (and netdev queues) a netvsc device has (`VRSS_CHANNEL_MAX`). */
export const VRSS_CHANNEL_MAX = 64;
/** Channels asked for at probe (`VRSS_CHANNEL_DEFAULT`; 6.1.192 — mainline raised it to 16 in 2024). */
export const VRSS_CHANNEL_DEFAULT = 8;
/** Receive section size asked for (`NETVSC_RECV_SECTION_SIZE`). */
export const NETVSC_RECV_SECTION_SIZE = 1728;
/** Send section size asked for (`NETVSC_SEND_SECTION_SIZE`). */
export const NETVSC_SEND_SECTION_SIZE = 6144;
/** Default receive buffer (`NETVSC_RECEIVE_BUFFER_DEFAULT`, 16 MiB). */
export const NETVSC_RECEIVE_BUFFER_DEFAULT = 16 * 1024 * 1024;
/** Default send buffer (`NETVSC_SEND_BUFFER_DEFAULT`, 1 MiB). */
export const NETVSC_SEND_BUFFER_DEFAULT = 1024 * 1024;
/** Default receive sections (`NETVSC_DEFAULT_RX` = 16 MiB / 1728 = 9709). */
export const NETVSC_DEFAULT_RX = Math.floor(NETVSC_RECEIVE_BUFFER_DEFAULT / NETVSC_RECV_SECTION_SIZE);
/** Default send sections (`NETVSC_DEFAULT_TX` = 1 MiB / 6144 = 170). */
export const NETVSC_DEFAULT_TX = Math.floor(NETVSC_SEND_BUFFER_DEFAULT / NETVSC_SEND_SECTION_SIZE);
/** Receive buffer cap for NVSP ≤ 2 hosts (`NETVSC_RECEIVE_BUFFER_SIZE_LEGACY`, 15 MiB). */
export const NETVSC_RECEIVE_BUFFER_SIZE_LEGACY = 15 * 1024 * 1024;
/** Smallest MTU and smallest section size the driver accepts (`NETVSC_MTU_MIN` = ETH_MIN_MTU). */
export const NETVSC_MTU_MIN = 68;
/**
 * `KMALLOC_MAX_SIZE` on x86-64 Linux 6.1 with SLUB: `1 << (MAX_ORDER + PAGE_SHIFT - 1)` with
 * MAX_ORDER 11, 4 MiB (include/linux/slab.h). A larger `kzalloc` returns NULL.
 */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** `NETVSC_MTU`: max_mtu is this minus the Ethernet header for NVSP ≥ 2. */
export const NETVSC_MTU = 65535;
/** Ethernet header length (`ETH_HLEN`). */
export const ETH_HLEN = 14;
/** Default MTU (`ETH_DATA_LEN`). */
export const ETH_DATA_LEN = 1500;
/** Module parameter `ring_size` default, in 4 KiB pages (netvsc_drv.c). */
export const NETVSC_RING_SIZE_DEFAULT = 128;
/** Smallest `ring_size` accepted; smaller values are raised (`RING_SIZE_MIN`). */
export const NETVSC_RING_SIZE_MIN = 64;
/** RSC fragments a transfer-page packet may carry (`NVSP_RSC_MAX`). */
export const NVSP_RSC_MAX = 562;
/** `NETVSC_XFER_HEADER_SIZE(n)`: transfer-page header with n ranges. */
export const netvscXferHeaderSize = (ranges: number): number => 24 + 8 * ranges;
/** Largest inbound packet a netvsc channel accepts (`NETVSC_MAX_PKT_SIZE` = 4624). */
export const NETVSC_MAX_PKT_SIZE = netvscXferHeaderSize(NVSP_RSC_MAX) + 40 + 4 * VRSS_SEND_TAB_SIZE;
/** `NETVSC_MIN_OUT_MSG_SIZE`: descriptor + nvsp_message. */
export const NETVSC_MIN_OUT_MSG_SIZE = 16 + 40;
/** `NETVSC_MIN_IN_MSG_SIZE`: a descriptor. */
export const NETVSC_MIN_IN_MSG_SIZE = 16;

/** `netvsc_rqstor_size(ringbytes)` (hyperv_net.h): requestor slots of a netvsc channel. */
export function netvscRqstorSize(ringBytes: number): number {
  return Math.floor(ringBytes / NETVSC_MIN_OUT_MSG_SIZE) + Math.floor(ringBytes / NETVSC_MIN_IN_MSG_SIZE);
}

/** `VMBUS_RING_SIZE(ring_size * 4096)`: one direction's ring bytes (header page included from 32 KiB). */
export function netvscRingBytes(ringSizePages: number): number {
  const pages = Math.max(ringSizePages, NETVSC_RING_SIZE_MIN);
  const payload = pages * 4096;
  // VMBUS_HEADER_ADJ: a header page is added only below 8 × 4 KiB
  const adj = payload >= 8 * 4096 ? 0 : 4096;
  return Math.ceil((payload + adj) / 4096) * 4096;
}

/** `RETRY_US_LO`, `RETRY_US_HI`, `RETRY_MAX` (hyperv_net.h): the ring-drain poll of close/detach. */
export const RETRY_US_LO = 5000;
/** `RETRY_US_HI`: upper bound of the ring-drain sleep, 10000 µs (hyperv_net.h). */
export const RETRY_US_HI = 10000;
/** `RETRY_MAX`: maximum ring-drain poll attempts, 2000 (hyperv_net.h). */
export const RETRY_MAX = 2000;
/** NAPI budget (`NAPI_POLL_WEIGHT`). */
export const NAPI_POLL_WEIGHT = 64;
/** `LINKCHANGE_INT` = 2 × HZ: link events are handled at most one per 2 s. */
export const LINKCHANGE_INT_NS = 2_000_000_000;
/** `sizeof(struct rndis_message)`: header plus the largest body (INIT_C). */
export const RNDIS_MESSAGE_STRUCT_SIZE = 52;
/**
 * Where a request's RNDIS message sits in its `struct rndis_request` (rndis_filter.c): after
 * list_head (16), completion (32), response_msg (52), response_ext (4096), padding to 8, and the
 * 32-byte hv_netvsc_packet — byte 4232, i.e. page 1 offset 136 of the 8384-byte object, which
 * kmalloc takes from the page allocator (order 2, page aligned).
 */
export const RNDIS_REQUEST_MSG_OFFSET = 4232;
/** Pages of one `struct rndis_request` allocation (8384 bytes → an order-2 block). */
export const RNDIS_REQUEST_PAGES = 4;
/** RNDIS header + the largest PPI set Linux reserves in front of a frame (`RNDIS_AND_PPI_SIZE`). */
export const RNDIS_AND_PPI_SIZE = 52 + 64;
/** Bytes of each PPI Linux adds on transmit (12-byte header + u32 value). */
export const NDIS_PPI_U32_SIZE = 16;
/** `NBL_HASH_VALUE` PPI type (= PACKET_CANCEL_ID, 8). */
export const NBL_HASH_VALUE = 8;
/** `IEEE_8021Q_INFO` PPI type. */
export const IEEE_8021Q_INFO = 6;
/** `TCPIP_CHKSUM_PKTINFO` PPI type. */
export const TCPIP_CHKSUM_PKTINFO = 0;
/** Internal `RNDIS_PKTINFO_ID` PPI type (with the internal bit). */
export const RNDIS_PKTINFO_ID = 1;
