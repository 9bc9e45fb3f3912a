/**
 * NDIS object identifiers (OIDs) carried by RNDIS QUERY and SET messages, with their names.
 *
 * Values are the ones Linux defines (include/linux/rndis.h `RNDIS_OID_*`, drivers/net/hyperv/hyperv_net.h
 * `OID_*`, Debian 6.1.192) plus the few a NetVSP host knows beyond them (openvmm
 * vm/devices/net/netvsp/src/rndisprot.rs) and `OID_SWITCH_NIC_REQUEST` (0x00010270, the OID of
 * CVE-2021-28476: meant for host-internal switch extensions, never for guests; a host should
 * recognise it and refuse it — shared/spec/peers.md §A5).
 *
 * Names follow NDIS (`OID_GEN_LINK_SPEED`), without the `RNDIS_` prefix rndis.h adds. Connection-
 * oriented OIDs (`OID_GEN_CO_*`) reuse the numbers of the general ones and are not listed.
 *
 * @example
 * ```ts
 * OID.GEN_RECEIVE_SCALE_PARAMETERS; // 0x00010204
 * oidName(0x00010204); // 'OID_GEN_RECEIVE_SCALE_PARAMETERS'
 * oidName(0x12345678); // '0x12345678'
 * ```
 *
 * @module
 */

/** OID values by name (the name without its `OID_` prefix). */
export const OID = {
  // General objects (rndis.h).
  /** `OID_GEN_SUPPORTED_LIST` (0x00010101): query: the OIDs the device supports, an array of u32. */
  GEN_SUPPORTED_LIST: 0x00010101,
  /** `OID_GEN_HARDWARE_STATUS` (0x00010102): query: the hardware state (u32 NDIS_HARDWARE_STATUS, 0 = ready). */
  GEN_HARDWARE_STATUS: 0x00010102,
  /** `OID_GEN_MEDIA_SUPPORTED` (0x00010103): query: the media types the device can use (u32 array; 0 = 802.3). */
  GEN_MEDIA_SUPPORTED: 0x00010103,
  /** `OID_GEN_MEDIA_IN_USE` (0x00010104): query: the media type in use (u32 array; 0 = 802.3). */
  GEN_MEDIA_IN_USE: 0x00010104,
  /** `OID_GEN_MAXIMUM_LOOKAHEAD` (0x00010105): query: largest lookahead the device can provide, in bytes. */
  GEN_MAXIMUM_LOOKAHEAD: 0x00010105,
  /**
   * `OID_GEN_MAXIMUM_FRAME_SIZE` (0x00010106): query: largest frame payload (header excluded: the MTU) in bytes; Linux
   * queries it at add and lowers a larger MTU.
   */
  GEN_MAXIMUM_FRAME_SIZE: 0x00010106,
  /**
   * `OID_GEN_LINK_SPEED` (0x00010107): query: link speed as a u32 in 100 bit/s units; Linux queries it at add for
   * NVSP ≥ 5 and reports it ÷ 10000 as Mbit/s.
   */
  GEN_LINK_SPEED: 0x00010107,
  /** `OID_GEN_TRANSMIT_BUFFER_SPACE` (0x00010108): query: bytes of transmit buffer memory on the device. */
  GEN_TRANSMIT_BUFFER_SPACE: 0x00010108,
  /** `OID_GEN_RECEIVE_BUFFER_SPACE` (0x00010109): query: bytes of receive buffer memory on the device. */
  GEN_RECEIVE_BUFFER_SPACE: 0x00010109,
  /** `OID_GEN_TRANSMIT_BLOCK_SIZE` (0x0001010a): query: transmit buffer allocation unit, in bytes. */
  GEN_TRANSMIT_BLOCK_SIZE: 0x0001010a,
  /** `OID_GEN_RECEIVE_BLOCK_SIZE` (0x0001010b): query: receive buffer allocation unit, in bytes. */
  GEN_RECEIVE_BLOCK_SIZE: 0x0001010b,
  /** `OID_GEN_VENDOR_ID` (0x0001010c): query: the vendor's IEEE OUI (3 bytes) and a vendor-assigned NIC index (1 byte). */
  GEN_VENDOR_ID: 0x0001010c,
  /** `OID_GEN_VENDOR_DESCRIPTION` (0x0001010d): query: the vendor's description of the device, a zero-terminated ASCII string. */
  GEN_VENDOR_DESCRIPTION: 0x0001010d,
  /**
   * `OID_GEN_CURRENT_PACKET_FILTER` (0x0001010e): query/set: the receive filter, a u32 of {@link NDIS_PACKET_TYPE} bits;
   * Linux sets 0x0D at open and 0 at close.
   */
  GEN_CURRENT_PACKET_FILTER: 0x0001010e,
  /** `OID_GEN_CURRENT_LOOKAHEAD` (0x0001010f): query/set: the lookahead size in use, in bytes. */
  GEN_CURRENT_LOOKAHEAD: 0x0001010f,
  /** `OID_GEN_DRIVER_VERSION` (0x00010110): query: the NDIS version the driver uses (u16, major in the high byte). */
  GEN_DRIVER_VERSION: 0x00010110,
  /** `OID_GEN_MAXIMUM_TOTAL_SIZE` (0x00010111): query: largest packet including the header, in bytes. */
  GEN_MAXIMUM_TOTAL_SIZE: 0x00010111,
  /** `OID_GEN_PROTOCOL_OPTIONS` (0x00010112): set: protocol option flags (`NDIS_PROT_OPTION_*`). */
  GEN_PROTOCOL_OPTIONS: 0x00010112,
  /** `OID_GEN_MAC_OPTIONS` (0x00010113): query: MAC option flags (`NDIS_MAC_OPTION_*`). */
  GEN_MAC_OPTIONS: 0x00010113,
  /**
   * `OID_GEN_MEDIA_CONNECT_STATUS` (0x00010114): query: link state as a u32 {@link RNDIS_MEDIA_STATE} (0 connected, 1
   * disconnected); Linux queries it at add.
   */
  GEN_MEDIA_CONNECT_STATUS: 0x00010114,
  /** `OID_GEN_MAXIMUM_SEND_PACKETS` (0x00010115): query: most packets the device accepts in one send request. */
  GEN_MAXIMUM_SEND_PACKETS: 0x00010115,
  /** `OID_GEN_VENDOR_DRIVER_VERSION` (0x00010116): query: the vendor's driver version (u32, major in the high 16 bits). */
  GEN_VENDOR_DRIVER_VERSION: 0x00010116,
  /** `OID_GEN_SUPPORTED_GUIDS` (0x00010117): query: the WMI GUID-to-OID mappings the device supports. */
  GEN_SUPPORTED_GUIDS: 0x00010117,
  /** `OID_GEN_NETWORK_LAYER_ADDRESSES` (0x00010118): set: the protocol addresses bound to the adapter. */
  GEN_NETWORK_LAYER_ADDRESSES: 0x00010118,
  /** `OID_GEN_TRANSPORT_HEADER_OFFSET` (0x00010119): set: where the transport header starts in the packets a protocol sends. */
  GEN_TRANSPORT_HEADER_OFFSET: 0x00010119,
  /** `OID_GEN_MEDIA_CAPABILITIES` (0x00010201): query: medium capabilities (`NDIS_MEDIA_CAP_TRANSMIT`/`_RECEIVE`). */
  GEN_MEDIA_CAPABILITIES: 0x00010201,
  /** `OID_GEN_PHYSICAL_MEDIUM` (0x00010202): query: the physical medium type (`NdisPhysicalMedium*`). */
  GEN_PHYSICAL_MEDIUM: 0x00010202,
  // RSS (hyperv_net.h).
  /**
   * `OID_GEN_RECEIVE_SCALE_CAPABILITIES` (0x00010203): query: the NIC's RSS capabilities, an 18-byte
   * `ndis_recv_scale_cap` (NDIS 6.0+); Linux queries it at add for NVSP ≥ 5.
   */
  GEN_RECEIVE_SCALE_CAPABILITIES: 0x00010203,
  /**
   * `OID_GEN_RECEIVE_SCALE_PARAMETERS` (0x00010204): set: the RSS parameters object with indirection table and key (NDIS
   * 6.0+); Linux sends it disabled, then enabled.
   */
  GEN_RECEIVE_SCALE_PARAMETERS: 0x00010204,
  // NDIS 6 link objects (openvmm rndisprot.rs).
  /** `OID_GEN_MAX_LINK_SPEED` (0x00010206): query: the highest transmit and receive link speeds, u64 bits/s each (NDIS 6.0+). */
  GEN_MAX_LINK_SPEED: 0x00010206,
  /** `OID_GEN_LINK_STATE` (0x00010207): query: the current link state object, `NDIS_LINK_STATE` (NDIS 6.0+). */
  GEN_LINK_STATE: 0x00010207,
  /** `OID_GEN_LINK_PARAMETERS` (0x00010208): set: link parameters (duplex, speed, pause), `NDIS_LINK_PARAMETERS` (NDIS 6.0+). */
  GEN_LINK_PARAMETERS: 0x00010208,
  /** `OID_GEN_INTERRUPT_MODERATION` (0x00010209): query/set: interrupt moderation settings (NDIS 6.0+). */
  GEN_INTERRUPT_MODERATION: 0x00010209,
  /** `OID_GEN_MACHINE_NAME` (0x0001021a): set: the host name of the machine, UTF-16 (NDIS 6.0+). */
  GEN_MACHINE_NAME: 0x0001021a,
  /**
   * `OID_GEN_RNDIS_CONFIG_PARAMETER` (0x0001021b): set: one named configuration parameter
   * (`rndis_config_parameter_info`); Linux sets "NetworkAddress" to change the MAC.
   */
  GEN_RNDIS_CONFIG_PARAMETER: 0x0001021b,
  /** `OID_GEN_VLAN_ID` (0x0001021c): query/set: the VLAN id the NIC tags and filters with (NDIS 6.0+). */
  GEN_VLAN_ID: 0x0001021c,
  /** Host-internal vSwitch OID (CVE-2021-28476); a guest must never be allowed to set it. */
  SWITCH_NIC_REQUEST: 0x00010270,
  // Required statistics.
  /** `OID_GEN_XMIT_OK` (0x00020101): statistic: frames sent without error. */
  GEN_XMIT_OK: 0x00020101,
  /** `OID_GEN_RCV_OK` (0x00020102): statistic: frames received without error. */
  GEN_RCV_OK: 0x00020102,
  /** `OID_GEN_XMIT_ERROR` (0x00020103): statistic: frames that failed to send. */
  GEN_XMIT_ERROR: 0x00020103,
  /** `OID_GEN_RCV_ERROR` (0x00020104): statistic: frames received with errors. */
  GEN_RCV_ERROR: 0x00020104,
  /** `OID_GEN_RCV_NO_BUFFER` (0x00020105): statistic: frames missed for lack of receive buffers. */
  GEN_RCV_NO_BUFFER: 0x00020105,
  // Optional statistics.
  /** `OID_GEN_DIRECTED_BYTES_XMIT` (0x00020201): statistic: bytes sent in directed (unicast) frames. */
  GEN_DIRECTED_BYTES_XMIT: 0x00020201,
  /** `OID_GEN_DIRECTED_FRAMES_XMIT` (0x00020202): statistic: directed (unicast) frames sent. */
  GEN_DIRECTED_FRAMES_XMIT: 0x00020202,
  /** `OID_GEN_MULTICAST_BYTES_XMIT` (0x00020203): statistic: bytes sent in multicast frames. */
  GEN_MULTICAST_BYTES_XMIT: 0x00020203,
  /** `OID_GEN_MULTICAST_FRAMES_XMIT` (0x00020204): statistic: multicast frames sent. */
  GEN_MULTICAST_FRAMES_XMIT: 0x00020204,
  /** `OID_GEN_BROADCAST_BYTES_XMIT` (0x00020205): statistic: bytes sent in broadcast frames. */
  GEN_BROADCAST_BYTES_XMIT: 0x00020205,
  /** `OID_GEN_BROADCAST_FRAMES_XMIT` (0x00020206): statistic: broadcast frames sent. */
  GEN_BROADCAST_FRAMES_XMIT: 0x00020206,
  /** `OID_GEN_DIRECTED_BYTES_RCV` (0x00020207): statistic: bytes received in directed (unicast) frames. */
  GEN_DIRECTED_BYTES_RCV: 0x00020207,
  /** `OID_GEN_DIRECTED_FRAMES_RCV` (0x00020208): statistic: directed (unicast) frames received. */
  GEN_DIRECTED_FRAMES_RCV: 0x00020208,
  /** `OID_GEN_MULTICAST_BYTES_RCV` (0x00020209): statistic: bytes received in multicast frames. */
  GEN_MULTICAST_BYTES_RCV: 0x00020209,
  /** `OID_GEN_MULTICAST_FRAMES_RCV` (0x0002020a): statistic: multicast frames received. */
  GEN_MULTICAST_FRAMES_RCV: 0x0002020a,
  /** `OID_GEN_BROADCAST_BYTES_RCV` (0x0002020b): statistic: bytes received in broadcast frames. */
  GEN_BROADCAST_BYTES_RCV: 0x0002020b,
  /** `OID_GEN_BROADCAST_FRAMES_RCV` (0x0002020c): statistic: broadcast frames received. */
  GEN_BROADCAST_FRAMES_RCV: 0x0002020c,
  /** `OID_GEN_RCV_CRC_ERROR` (0x0002020d): statistic: frames received with a CRC (FCS) error. */
  GEN_RCV_CRC_ERROR: 0x0002020d,
  /** `OID_GEN_TRANSMIT_QUEUE_LENGTH` (0x0002020e): statistic: packets waiting in the transmit queue. */
  GEN_TRANSMIT_QUEUE_LENGTH: 0x0002020e,
  /** `OID_GEN_GET_TIME_CAPS` (0x0002020f): query: the device's time-stamping capabilities. */
  GEN_GET_TIME_CAPS: 0x0002020f,
  /** `OID_GEN_GET_NETCARD_TIME` (0x00020210): query: the device's current time value. */
  GEN_GET_NETCARD_TIME: 0x00020210,
  /** `OID_GEN_NETCARD_LOAD` (0x00020211): query: the device's current load. */
  GEN_NETCARD_LOAD: 0x00020211,
  /** `OID_GEN_DEVICE_PROFILE` (0x00020212): query: the device profile. */
  GEN_DEVICE_PROFILE: 0x00020212,
  /** `OID_GEN_INIT_TIME_MS` (0x00020213): statistic: how long the driver took to initialise, in ms. */
  GEN_INIT_TIME_MS: 0x00020213,
  /** `OID_GEN_RESET_COUNTS` (0x00020214): statistic: how many times the device has been reset. */
  GEN_RESET_COUNTS: 0x00020214,
  /** `OID_GEN_MEDIA_SENSE_COUNTS` (0x00020215): statistic: how many connect/disconnect events the device has seen. */
  GEN_MEDIA_SENSE_COUNTS: 0x00020215,
  /**
   * `OID_GEN_FRIENDLY_NAME` (0x00020216): query: the adapter's friendly name (UTF-16); Linux queries it at add and uses
   * it as ifalias unless it is "Network Adapter".
   */
  GEN_FRIENDLY_NAME: 0x00020216,
  /** `OID_GEN_MINIPORT_INFO` (0x00020217): query: driver information flags. */
  GEN_MINIPORT_INFO: 0x00020217,
  /** `OID_GEN_RESET_VERIFY_PARAMETERS` (0x00020218): set: reset the device and re-verify its configuration parameters. */
  GEN_RESET_VERIFY_PARAMETERS: 0x00020218,
  /** `OID_GEN_BYTES_RCV` (0x00020219): statistic: bytes received. */
  GEN_BYTES_RCV: 0x00020219,
  /** `OID_GEN_BYTES_XMIT` (0x0002021a): statistic: bytes sent. */
  GEN_BYTES_XMIT: 0x0002021a,
  /** `OID_GEN_RCV_DISCARDS` (0x0002021b): statistic: received frames discarded. */
  GEN_RCV_DISCARDS: 0x0002021b,
  /** `OID_GEN_XMIT_DISCARDS` (0x0002021c): statistic: frames discarded instead of being sent. */
  GEN_XMIT_DISCARDS: 0x0002021c,
  /** `OID_TCP_RSC_STATISTICS` (0x0002021d): statistic: receive segment coalescing (RSC) counters (NDIS 6.30). */
  TCP_RSC_STATISTICS: 0x0002021d,
  // 802.3 (Ethernet).
  /**
   * `OID_802_3_PERMANENT_ADDRESS` (0x01010101): query: the device's permanent MAC (6 bytes); Linux queries it at add and
   * fails on more than 6 bytes.
   */
  '802_3_PERMANENT_ADDRESS': 0x01010101,
  /** `OID_802_3_CURRENT_ADDRESS` (0x01010102): query: the MAC in use (6 bytes). */
  '802_3_CURRENT_ADDRESS': 0x01010102,
  /** `OID_802_3_MULTICAST_LIST` (0x01010103): query/set: the multicast address list (6 bytes per address). */
  '802_3_MULTICAST_LIST': 0x01010103,
  /** `OID_802_3_MAXIMUM_LIST_SIZE` (0x01010104): query: most addresses the multicast list can hold. */
  '802_3_MAXIMUM_LIST_SIZE': 0x01010104,
  /** `OID_802_3_MAC_OPTIONS` (0x01010105): query: 802.3-specific MAC options. */
  '802_3_MAC_OPTIONS': 0x01010105,
  /**
   * `OID_OFFLOAD_ENCAPSULATION` (0x0101010a): set: the frame encapsulation task offload must assume,
   * `NDIS_OFFLOAD_ENCAPSULATION` (NDIS 6.0+).
   */
  OFFLOAD_ENCAPSULATION: 0x0101010a,
  /** `OID_802_3_ADD_MULTICAST_ADDRESS` (0x01010208): set: add one multicast address (NDIS 6; not in Linux's headers). */
  '802_3_ADD_MULTICAST_ADDRESS': 0x01010208,
  /** `OID_802_3_DELETE_MULTICAST_ADDRESS` (0x01010209): set: remove one multicast address (NDIS 6; not in Linux's headers). */
  '802_3_DELETE_MULTICAST_ADDRESS': 0x01010209,
  /** `OID_802_3_RCV_ERROR_ALIGNMENT` (0x01020101): statistic: frames received with an alignment error. */
  '802_3_RCV_ERROR_ALIGNMENT': 0x01020101,
  /** `OID_802_3_XMIT_ONE_COLLISION` (0x01020102): statistic: frames sent after exactly one collision. */
  '802_3_XMIT_ONE_COLLISION': 0x01020102,
  /** `OID_802_3_XMIT_MORE_COLLISIONS` (0x01020103): statistic: frames sent after more than one collision. */
  '802_3_XMIT_MORE_COLLISIONS': 0x01020103,
  /** `OID_802_3_XMIT_DEFERRED` (0x01020201): statistic: frames sent after a deferral. */
  '802_3_XMIT_DEFERRED': 0x01020201,
  /** `OID_802_3_XMIT_MAX_COLLISIONS` (0x01020202): statistic: frames not sent because of excessive collisions. */
  '802_3_XMIT_MAX_COLLISIONS': 0x01020202,
  /** `OID_802_3_RCV_OVERRUN` (0x01020203): statistic: frames lost to receive overrun. */
  '802_3_RCV_OVERRUN': 0x01020203,
  /** `OID_802_3_XMIT_UNDERRUN` (0x01020204): statistic: frames lost to transmit underrun. */
  '802_3_XMIT_UNDERRUN': 0x01020204,
  /** `OID_802_3_XMIT_HEARTBEAT_FAILURE` (0x01020205): statistic: frames sent without a heartbeat (SQE) signal. */
  '802_3_XMIT_HEARTBEAT_FAILURE': 0x01020205,
  /** `OID_802_3_XMIT_TIMES_CRS_LOST` (0x01020206): statistic: times carrier sense was lost while sending. */
  '802_3_XMIT_TIMES_CRS_LOST': 0x01020206,
  /** `OID_802_3_XMIT_LATE_COLLISIONS` (0x01020207): statistic: collisions detected late in a frame. */
  '802_3_XMIT_LATE_COLLISIONS': 0x01020207,
  // Task offload (hyperv_net.h, NDIS 6).
  /**
   * `OID_TCP_OFFLOAD_CURRENT_CONFIG` (0xfc01020b): query: the task offloads currently enabled, an `NDIS_OFFLOAD` object
   * (NDIS 6.0+).
   */
  TCP_OFFLOAD_CURRENT_CONFIG: 0xfc01020b,
  /**
   * `OID_TCP_OFFLOAD_PARAMETERS` (0xfc01020c): set: enable/disable task offloads, an `ndis_offload_params` object (28 or
   * 22 bytes); Linux sets it at add, failure aborts the add.
   */
  TCP_OFFLOAD_PARAMETERS: 0xfc01020c,
  /**
   * `OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES` (0xfc01020d): query: the offload capabilities, an `ndis_offload` object
   * (112/144/156 bytes by revision); Linux queries it at add.
   */
  TCP_OFFLOAD_HARDWARE_CAPABILITIES: 0xfc01020d,
  /**
   * `OID_TCP_CONNECTION_OFFLOAD_CURRENT_CONFIG` (0xfc01020e): query: the TCP connection (chimney) offload configuration;
   * unused by netvsc.
   */
  TCP_CONNECTION_OFFLOAD_CURRENT_CONFIG: 0xfc01020e,
  /**
   * `OID_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES` (0xfc01020f): query: the TCP connection (chimney) offload
   * capabilities; unused by netvsc.
   */
  TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES: 0xfc01020f,
  // Plug and Play / power management (rndis.h).
  /** `OID_PNP_CAPABILITIES` (0xfd010100): query: the device's power-management and wake-up capabilities. */
  PNP_CAPABILITIES: 0xfd010100,
  /** `OID_PNP_SET_POWER` (0xfd010101): set: move the device to a power state (D0–D3). */
  PNP_SET_POWER: 0xfd010101,
  /** `OID_PNP_QUERY_POWER` (0xfd010102): query: whether the device can move to a power state. */
  PNP_QUERY_POWER: 0xfd010102,
  /** `OID_PNP_ADD_WAKE_UP_PATTERN` (0xfd010103): set: add a wake-on-LAN pattern. */
  PNP_ADD_WAKE_UP_PATTERN: 0xfd010103,
  /** `OID_PNP_REMOVE_WAKE_UP_PATTERN` (0xfd010104): set: remove a wake-on-LAN pattern. */
  PNP_REMOVE_WAKE_UP_PATTERN: 0xfd010104,
  /** `OID_PNP_ENABLE_WAKE_UP` (0xfd010106): set: which wake-up events are enabled. */
  PNP_ENABLE_WAKE_UP: 0xfd010106,
} as const;

/** The name of an OID key in {@link OID}. */
export type OidKey = keyof typeof OID;

const NAMES: ReadonlyMap<number, string> = new Map(
  (Object.entries(OID) as [string, number][]).map(([k, v]) => [v, `OID_${k}`]),
);

/**
 * The NDIS name of an OID (`OID_GEN_LINK_SPEED`), or its value as 8-digit hex (`0x12345678`) when
 * netvsc-sim does not know it.
 */
export function oidName(oid: number): string {
  return NAMES.get(oid) ?? `0x${(oid >>> 0).toString(16).padStart(8, '0')}`;
}

/** True when `oid` is one of the OIDs listed in {@link OID}. */
export function isKnownOid(oid: number): boolean {
  return NAMES.has(oid);
}
