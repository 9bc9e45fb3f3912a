/**
 * Typed RNDIS messages built from OIDs and NDIS objects: what Linux `hv_netvsc` sends during
 * bring-up (RSS capabilities query, RSS SET, offload query/SET, packet filter, MAC change) and the
 * host messages that answer or interrupt it (status indications).
 *
 * Each builder returns a message value (encode it with `encodeRndis`); byte maps are in
 * shared/spec/nvsp-rndis-netvsc.md §3.9–3.15 and Appendix A.
 *
 * @module
 */
import { ProtocolError } from '../wire/errors.js';
import { OID } from './oids.js';
import {
  decodeConfigParameter,
  encodeConfigParameter,
  encodeNdisOffloadParamsInfo,
  encodeRssParameters,
  ndisOffloadQueryInput,
  ndisRssParameters,
  networkAddressParameter,
  rssCapabilitiesQueryInput,
  type NdisOffloadParams,
  type NdisRssParameters,
  type RndisConfigParameter,
} from './ndis.js';
import { encodePpiList, ppiList, type PpiElement } from './ppi.js';
import {
  rndis_packet,
  rndisIndicateStatus,
  rndisQueryRequest,
  rndisSetRequest,
  RNDIS_HEADER_SIZE,
  RNDIS_MSG,
  RNDIS_STATUS,
  type RndisIndicateStatus,
  type RndisQueryRequest,
  type RndisSetRequest,
} from './rndis.js';
import { needBytes, needU32, outBuffer, wr32 } from './rndis-util.js';

function u32le(v: number, what: string): Uint8Array {
  const b = new Uint8Array(4);
  wr32(b, 0, needU32('rndis_set_request', what, v));
  return b;
}

/**
 * SET OID_GEN_CURRENT_PACKET_FILTER (32 bytes: info_buflen 4 at body offset 20). Linux sets 0x0D
 * on open and 0 on close (§3.13).
 */
export function rndisPacketFilterSetRequest(req_id: number, filter: number): RndisSetRequest {
  return rndisSetRequest(req_id, OID.GEN_CURRENT_PACKET_FILTER, u32le(filter, 'filter'));
}

/** QUERY OID_GEN_RECEIVE_SCALE_CAPABILITIES with Linux's pre-filled 18-byte object (46 bytes). */
export function rndisRssCapabilitiesQuery(req_id: number): RndisQueryRequest {
  return rndisQueryRequest(req_id, OID.GEN_RECEIVE_SCALE_CAPABILITIES, rssCapabilitiesQueryInput());
}

/**
 * QUERY OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES with Linux's pre-filled object header: revision 3 /
 * 156 bytes for NVSP ≥ 5, 2 / 144 for NVSP 4, 1 / 112 below (rndis_filter.c `rndis_filter_query_device`).
 */
export function rndisOffloadCapabilitiesQuery(req_id: number, revision: 1 | 2 | 3): RndisQueryRequest {
  const size = revision === 3 ? 156 : revision === 2 ? 144 : 112;
  return rndisQueryRequest(req_id, OID.TCP_OFFLOAD_HARDWARE_CAPABILITIES, ndisOffloadQueryInput(revision, size));
}

/** SET OID_TCP_OFFLOAD_PARAMETERS (28-byte object, or 22 for NVSP ≤ 4). */
export function rndisOffloadParametersSetRequest(req_id: number, params: NdisOffloadParams, length: 28 | 22 = 28): RndisSetRequest {
  return rndisSetRequest(req_id, OID.TCP_OFFLOAD_PARAMETERS, encodeNdisOffloadParamsInfo(params, length));
}

/** SET OID_GEN_RNDIS_CONFIG_PARAMETER "NetworkAddress" = `mac` (100 bytes; §3.15). */
export function rndisSetMacAddressRequest(req_id: number, mac: Uint8Array | string): RndisSetRequest {
  return rndisSetRequest(req_id, OID.GEN_RNDIS_CONFIG_PARAMETER, encodeConfigParameter(networkAddressParameter(mac)));
}

/** SET OID_GEN_RNDIS_CONFIG_PARAMETER with any parameter. */
export function rndisConfigParameterSetRequest(req_id: number, parameter: RndisConfigParameter): RndisSetRequest {
  return rndisSetRequest(req_id, OID.GEN_RNDIS_CONFIG_PARAMETER, encodeConfigParameter(parameter));
}

/**
 * The config parameter of a SET OID_GEN_RNDIS_CONFIG_PARAMETER message.
 * @throws {@link ProtocolError} `BAD_VALUE` for another message or OID; the object's own errors.
 */
export function configParameterOf(msg: RndisSetRequest): RndisConfigParameter {
  if (msg.type !== 'SET' || msg.oid !== OID.GEN_RNDIS_CONFIG_PARAMETER) {
    throw new ProtocolError('BAD_VALUE', 'is not a SET of OID_GEN_RNDIS_CONFIG_PARAMETER', { struct: 'rndis_set_request', field: 'oid', value: msg.oid });
  }
  return decodeConfigParameter(msg.info_buf);
}

// ---------------------------------------------------------------------------------------------
// RSS SET (§3.10; the whole-message codec `rndisRssSetMessage` lives in ndis.ts)

/** The SET message value carrying `params` (Linux layout: object at body offset 20; 108 + 4N bytes). */
export function rndisRssSetRequest(req_id: number, params: NdisRssParameters): RndisSetRequest {
  return rndisSetRequest(req_id, OID.GEN_RECEIVE_SCALE_PARAMETERS, encodeRssParameters(params));
}

/** The RSS parameters a SET message carries (a convenience over {@link decodeRssSetRequest}). */
export function rssParametersOf(msg: RndisSetRequest): NdisRssParameters {
  if (msg.type !== 'SET' || msg.oid !== OID.GEN_RECEIVE_SCALE_PARAMETERS) {
    throw new ProtocolError('BAD_VALUE', 'is not a SET of OID_GEN_RECEIVE_SCALE_PARAMETERS', { struct: 'rndis_set_request', field: 'oid', value: msg.oid });
  }
  return ndisRssParameters.decode(msg.info_buf);
}

// ---------------------------------------------------------------------------------------------
// Status indications (§3.14)

/** INDICATE LINK_SPEED_CHANGE with the speed in units of 100 bit/s (Linux divides by 10000 → Mbit/s). */
export function rndisLinkSpeedIndication(speed100bps: number): RndisIndicateStatus {
  return rndisIndicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, u32le(speed100bps, 'speed'));
}

/** INDICATE MEDIA_CONNECT (no status buffer). */
export function rndisMediaConnectIndication(): RndisIndicateStatus {
  return rndisIndicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
}

/** INDICATE MEDIA_DISCONNECT (no status buffer). */
export function rndisMediaDisconnectIndication(): RndisIndicateStatus {
  return rndisIndicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
}

/** INDICATE NETWORK_CHANGE (Linux bounces the link). */
export function rndisNetworkChangeIndication(): RndisIndicateStatus {
  return rndisIndicateStatus(RNDIS_STATUS.NETWORK_CHANGE);
}

// ---------------------------------------------------------------------------------------------
// Data path (§3.12)

const PKT_DATA_OFFSET = rndis_packet.offsetOf('data_offset');
const PKT_DATA_LEN = rndis_packet.offsetOf('data_len');
const PKT_PPI_OFFSET = rndis_packet.offsetOf('per_pkt_info_offset');
const PKT_PPI_LEN = rndis_packet.offsetOf('per_pkt_info_len');

/** Length of the data PACKET {@link encodeRndisDataPacket} writes: 44 + PPI block + frame. */
export function rndisDataPacketLength(data: Uint8Array, ppis: readonly PpiElement[] = []): number {
  return RNDIS_HEADER_SIZE + rndis_packet.size + ppiList.encodingLength(ppis as PpiElement[]) + data.length;
}

/**
 * Encodes a data PACKET in one pass, laid out as Linux transmits it (PPI block at body offset 36,
 * frame right after, no OOB data): the same bytes as
 * `encodeRndis(rndisPacket(data, encodePpiList(ppis)))`, without the intermediate PPI buffer — the
 * guest's transmit hot path.
 */
export function encodeRndisDataPacket(data: Uint8Array, ppis: readonly PpiElement[] = [], buf?: Uint8Array, offset = 0): Uint8Array {
  needBytes('rndis_packet', 'data_len', data);
  const ppiLen = ppiList.encodingLength(ppis as PpiElement[]);
  const total = RNDIS_HEADER_SIZE + rndis_packet.size + ppiLen + data.length;
  needU32('rndis_message', 'msg_len', total);
  const out = outBuffer('rndis_packet', total, buf, offset);
  const p = offset + RNDIS_HEADER_SIZE;
  if (buf !== undefined) out.fill(0, offset, p + rndis_packet.size);
  wr32(out, offset, RNDIS_MSG.PACKET);
  wr32(out, offset + 4, total);
  wr32(out, p + PKT_DATA_OFFSET, rndis_packet.size + ppiLen);
  wr32(out, p + PKT_DATA_LEN, data.length);
  wr32(out, p + PKT_PPI_OFFSET, rndis_packet.size);
  wr32(out, p + PKT_PPI_LEN, ppiLen);
  if (ppiLen) encodePpiList(ppis, out, p + rndis_packet.size);
  out.set(data, p + rndis_packet.size + ppiLen);
  return out;
}
