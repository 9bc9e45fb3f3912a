-- netvsc.lua: a Wireshark/tshark dissector for the pcapng captures netvsc-sim writes
-- (`netvsc-sim --pcap FILE ...`). Written for netvsc-sim; MIT like the rest of the project.
--
--   tshark -X lua_script:docs/wireshark/netvsc.lua -V -r capture.pcapng
--   wireshark -X lua_script:docs/wireshark/netvsc.lua capture.pcapng
--   (or copy it into your personal Lua plugins folder)
--
-- Each packet (link type LINKTYPE_USER0) is one record of src/trace/pcapng.ts:
--   u32 magic "NVSM", u8 version (1), u8 direction (0 guest->host, 1 host->guest),
--   u8 kind (0 ring packet, 1 channel-management message), u8 payload count,
--   u32 relid, u16 subchannel index (0xffff: none), u16 0, u32 body length, the body
--   (the framed VMBus packet, or the VMBus channel message), then per payload:
--   u8 source (0 GPA-direct pages, 1 receive buffer, 2 send buffer), u8[3] 0, u32 length,
--   the RNDIS message the packet points at.
-- All fields are little-endian. Layouts follow include/linux/hyperv.h (vmpacket_descriptor,
-- vmbus_channel_* messages), drivers/net/hyperv/hyperv_net.h (NVSP, ndis_recv_scale_*),
-- include/linux/rndis.h (RNDIS) as documented in the project's shared/spec notes.

local netvsc = Proto("netvsc", "netvsc-sim VMBus record")
local p_vmbus = Proto("netvsc_vmbus", "VMBus packet")
local p_chmsg = Proto("netvsc_chmsg", "VMBus channel message")
local p_nvsp = Proto("netvsc_nvsp", "NVSP (Network Virtual Service Protocol)")
local p_rndis = Proto("netvsc_rndis", "RNDIS")
local p_rss = Proto("netvsc_rss", "NDIS RSS object")

local DIRECTIONS = { [0] = "guest->host", [1] = "host->guest" }
local KINDS = { [0] = "ring packet", [1] = "channel message" }
local SOURCES = { [0] = "GPA-direct pages", [1] = "receive buffer", [2] = "send buffer" }

local PKT_TYPES = { [6] = "VM_PKT_DATA_INBAND", [7] = "VM_PKT_DATA_USING_XFER_PAGES", [9] = "VM_PKT_DATA_USING_GPA_DIRECT", [11] = "VM_PKT_COMP" }

local CHANNELMSG = {
  [1] = "OFFERCHANNEL", [2] = "RESCIND_CHANNELOFFER", [3] = "REQUESTOFFERS", [4] = "ALLOFFERS_DELIVERED",
  [5] = "OPENCHANNEL", [6] = "OPENCHANNEL_RESULT", [7] = "CLOSECHANNEL", [8] = "GPADL_HEADER",
  [9] = "GPADL_BODY", [10] = "GPADL_CREATED", [11] = "GPADL_TEARDOWN", [12] = "GPADL_TORNDOWN",
  [13] = "RELID_RELEASED", [14] = "INITIATE_CONTACT", [15] = "VERSION_RESPONSE", [16] = "UNLOAD",
  [17] = "UNLOAD_RESPONSE", [21] = "TL_CONNECT_REQUEST", [22] = "MODIFYCHANNEL",
  [23] = "TL_CONNECT_RESULT", [24] = "MODIFYCHANNEL_RESPONSE",
}

local NVSP_TYPES = {
  [1] = "INIT", [2] = "INIT_COMPLETE",
  [100] = "SEND_NDIS_VER", [101] = "SEND_RECV_BUF", [102] = "SEND_RECV_BUF_COMPLETE", [103] = "REVOKE_RECV_BUF",
  [104] = "SEND_SEND_BUF", [105] = "SEND_SEND_BUF_COMPLETE", [106] = "REVOKE_SEND_BUF",
  [107] = "SEND_RNDIS_PKT", [108] = "SEND_RNDIS_PKT_COMPLETE",
  [125] = "SEND_NDIS_CONFIG", [126] = "ALLOC_RXBUF", [127] = "ALLOC_RXBUF_COMP", [128] = "FREE_RXBUF",
  [129] = "SEND_VF_ASSOCIATION", [130] = "SWITCH_DATA_PATH", [131] = "OID_QUERY_EX", [132] = "OID_QUERY_EX_COMP",
  [133] = "SUBCHANNEL", [134] = "SEND_INDIRECTION_TABLE", [135] = "PD_API", [136] = "PD_POST_BATCH",
}
local NVSP_STAT = { [0] = "NONE", [1] = "SUCCESS", [2] = "FAIL", [3] = "PROTOCOL_TOO_NEW", [4] = "PROTOCOL_TOO_OLD", [5] = "INVALID_RNDIS_PKT", [6] = "BUSY", [7] = "PROTOCOL_UNSUPPORTED" }
local SUBCHANNEL_OPS = { [0] = "NONE", [1] = "ALLOCATE" }

local RNDIS_TYPES = {
  [0x00000001] = "PACKET", [0x00000002] = "INIT", [0x80000002] = "INIT_C", [0x00000003] = "HALT",
  [0x00000004] = "QUERY", [0x80000004] = "QUERY_C", [0x00000005] = "SET", [0x80000005] = "SET_C",
  [0x00000006] = "RESET", [0x80000006] = "RESET_C", [0x00000007] = "INDICATE",
  [0x00000008] = "KEEPALIVE", [0x80000008] = "KEEPALIVE_C",
}
local RNDIS_STATUS = {
  [0x00000000] = "RNDIS_STATUS_SUCCESS", [0xc0000001] = "RNDIS_STATUS_FAILURE", [0xc00000bb] = "RNDIS_STATUS_NOT_SUPPORTED",
  [0xc0010015] = "RNDIS_STATUS_INVALID_DATA", [0x4001000b] = "RNDIS_STATUS_MEDIA_CONNECT", [0x4001000c] = "RNDIS_STATUS_MEDIA_DISCONNECT",
  [0x40010013] = "RNDIS_STATUS_LINK_SPEED_CHANGE", [0x40010018] = "RNDIS_STATUS_NETWORK_CHANGE",
  [0x40020006] = "RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG",
}
-- OID names (src/protocol/oids.ts; test/trace checks this table against it).
local OIDS = {
  [0x00010101] = "OID_GEN_SUPPORTED_LIST",
  [0x00010106] = "OID_GEN_MAXIMUM_FRAME_SIZE",
  [0x00010107] = "OID_GEN_LINK_SPEED",
  [0x0001010e] = "OID_GEN_CURRENT_PACKET_FILTER",
  [0x00010114] = "OID_GEN_MEDIA_CONNECT_STATUS",
  [0x00010203] = "OID_GEN_RECEIVE_SCALE_CAPABILITIES",
  [0x00010204] = "OID_GEN_RECEIVE_SCALE_PARAMETERS",
  [0x00020216] = "OID_GEN_FRIENDLY_NAME",
  [0x01010101] = "OID_802_3_PERMANENT_ADDRESS",
  [0x01010102] = "OID_802_3_CURRENT_ADDRESS",
  [0x01010103] = "OID_802_3_MULTICAST_LIST",
  [0x01010104] = "OID_802_3_MAXIMUM_LIST_SIZE",
  [0x0101010a] = "OID_OFFLOAD_ENCAPSULATION",
  [0xfc01020b] = "OID_TCP_OFFLOAD_CURRENT_CONFIG",
  [0xfc01020c] = "OID_TCP_OFFLOAD_PARAMETERS",
  [0xfc01020d] = "OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES",
}
local OID_RSS_CAPS, OID_RSS_PARAMS = 0x00010203, 0x00010204

local f = netvsc.fields
f.magic = ProtoField.uint32("netvsc.magic", "Magic", base.HEX)
f.version = ProtoField.uint8("netvsc.version", "Record version")
f.direction = ProtoField.uint8("netvsc.direction", "Direction", base.DEC, DIRECTIONS)
f.kind = ProtoField.uint8("netvsc.kind", "Kind", base.DEC, KINDS)
f.npayloads = ProtoField.uint8("netvsc.payloads", "Payloads")
f.relid = ProtoField.uint32("netvsc.relid", "Channel relid")
f.subchannel = ProtoField.uint16("netvsc.subchannel", "Subchannel index")
f.body_len = ProtoField.uint32("netvsc.body_len", "Body length")
f.psource = ProtoField.uint8("netvsc.payload.source", "Payload source", base.DEC, SOURCES)
f.plen = ProtoField.uint32("netvsc.payload.len", "Payload length")

local v = p_vmbus.fields
v.type = ProtoField.uint16("netvsc.vmbus.type", "Type", base.DEC, PKT_TYPES)
v.offset8 = ProtoField.uint16("netvsc.vmbus.offset8", "Data offset (8-byte units)")
v.len8 = ProtoField.uint16("netvsc.vmbus.len8", "Length (8-byte units)")
v.flags = ProtoField.uint16("netvsc.vmbus.flags", "Flags", base.HEX)
v.trans_id = ProtoField.uint64("netvsc.vmbus.trans_id", "Transaction id")
v.xfer_pageset = ProtoField.uint16("netvsc.vmbus.xfer_pageset_id", "Transfer page set id")
v.range_cnt = ProtoField.uint32("netvsc.vmbus.range_cnt", "Ranges")
v.range_count = ProtoField.uint32("netvsc.vmbus.range.byte_count", "Range byte count")
v.range_offset = ProtoField.uint32("netvsc.vmbus.range.byte_offset", "Range byte offset")
v.pfn = ProtoField.uint64("netvsc.vmbus.range.pfn", "PFN", base.HEX)

local c = p_chmsg.fields
c.msgtype = ProtoField.uint32("netvsc.chmsg.type", "Message type", base.DEC, CHANNELMSG)
c.child_relid = ProtoField.uint32("netvsc.chmsg.child_relid", "child_relid")

local n = p_nvsp.fields
n.msg_type = ProtoField.uint32("netvsc.nvsp.type", "Message type", base.DEC, NVSP_TYPES)
n.status = ProtoField.uint32("netvsc.nvsp.status", "Status", base.DEC, NVSP_STAT)
n.min_ver = ProtoField.uint32("netvsc.nvsp.min_protocol_ver", "Min protocol version", base.HEX)
n.max_ver = ProtoField.uint32("netvsc.nvsp.max_protocol_ver", "Max protocol version", base.HEX)
n.gpadl = ProtoField.uint32("netvsc.nvsp.gpadl_handle", "GPADL handle", base.HEX)
n.buf_id = ProtoField.uint16("netvsc.nvsp.id", "Buffer id", base.HEX)
n.sections = ProtoField.uint32("netvsc.nvsp.num_sections", "Sections")
n.section_size = ProtoField.uint32("netvsc.nvsp.section_size", "Section size")
n.channel_type = ProtoField.uint32("netvsc.nvsp.channel_type", "Channel type", base.DEC, { [0] = "data", [1] = "control" })
n.section_index = ProtoField.uint32("netvsc.nvsp.send_buf_section_index", "Send buffer section index", base.HEX)
n.send_size = ProtoField.uint32("netvsc.nvsp.send_buf_section_size", "Send buffer section size")
n.subch_op = ProtoField.uint32("netvsc.nvsp.subchannel.op", "Subchannel operation", base.DEC, SUBCHANNEL_OPS)
n.subch_requested = ProtoField.uint32("netvsc.nvsp.subchannel.requested", "Subchannels requested")
n.subch_granted = ProtoField.uint32("netvsc.nvsp.subchannel.granted", "Subchannels granted")
n.tab_count = ProtoField.uint32("netvsc.nvsp.indirection.count", "Send indirection table entries")
n.tab_offset = ProtoField.uint32("netvsc.nvsp.indirection.offset", "Send indirection table offset")
n.tab_entry = ProtoField.uint32("netvsc.nvsp.indirection.entry", "Entry")
n.ndis_major = ProtoField.uint32("netvsc.nvsp.ndis_major_ver", "NDIS major version")
n.ndis_minor = ProtoField.uint32("netvsc.nvsp.ndis_minor_ver", "NDIS minor version")
n.mtu = ProtoField.uint32("netvsc.nvsp.mtu", "MTU")
n.capability = ProtoField.uint64("netvsc.nvsp.capability", "Capability", base.HEX)

local r = p_rndis.fields
r.msg_type = ProtoField.uint32("netvsc.rndis.type", "Message type", base.HEX, RNDIS_TYPES)
r.msg_len = ProtoField.uint32("netvsc.rndis.msg_len", "Message length")
r.req_id = ProtoField.uint32("netvsc.rndis.req_id", "Request id")
r.status = ProtoField.uint32("netvsc.rndis.status", "Status", base.HEX, RNDIS_STATUS)
r.oid = ProtoField.uint32("netvsc.rndis.oid", "OID", base.HEX, OIDS)
r.info_len = ProtoField.uint32("netvsc.rndis.info_buflen", "Information buffer length")
r.info_off = ProtoField.uint32("netvsc.rndis.info_buf_offset", "Information buffer offset")
r.data_off = ProtoField.uint32("netvsc.rndis.data_offset", "Data offset")
r.data_len = ProtoField.uint32("netvsc.rndis.data_len", "Data length")
r.ppi_off = ProtoField.uint32("netvsc.rndis.per_pkt_info_offset", "Per-packet info offset")
r.ppi_len = ProtoField.uint32("netvsc.rndis.per_pkt_info_len", "Per-packet info length")
r.major = ProtoField.uint32("netvsc.rndis.major_ver", "Major version")
r.minor = ProtoField.uint32("netvsc.rndis.minor_ver", "Minor version")
r.max_xfer = ProtoField.uint32("netvsc.rndis.max_xfer_size", "Max transfer size")

local s = p_rss.fields
s.obj_type = ProtoField.uint8("netvsc.rss.hdr.type", "Object type", base.HEX, { [0x88] = "RSS_CAPABILITIES", [0x89] = "RSS_PARAMETERS" })
s.obj_rev = ProtoField.uint8("netvsc.rss.hdr.rev", "Revision")
s.obj_size = ProtoField.uint16("netvsc.rss.hdr.size", "Size")
s.flag = ProtoField.uint16("netvsc.rss.flag", "Flags", base.HEX)
s.base_cpu = ProtoField.uint16("netvsc.rss.base_cpu_number", "Base CPU")
s.hashinfo = ProtoField.uint32("netvsc.rss.hashinfo", "Hash information", base.HEX)
s.tabsize = ProtoField.uint16("netvsc.rss.indirect_tabsize", "Indirection table size (bytes)")
s.taboffset = ProtoField.uint32("netvsc.rss.indirect_taboffset", "Indirection table offset")
s.keysize = ProtoField.uint16("netvsc.rss.hashkey_size", "Hash key size")
s.keyoffset = ProtoField.uint32("netvsc.rss.hashkey_offset", "Hash key offset")
s.queues = ProtoField.uint32("netvsc.rss.queues", "Queues in the indirection table")
s.entry = ProtoField.uint32("netvsc.rss.indirection_entry", "Indirection entry")
s.key = ProtoField.bytes("netvsc.rss.hash_key", "Hash key")
s.cap_flag = ProtoField.uint32("netvsc.rss.cap_flag", "Capability flags", base.HEX)
s.num_int_msg = ProtoField.uint32("netvsc.rss.num_int_msg", "Interrupt messages")
s.num_recv_que = ProtoField.uint32("netvsc.rss.num_recv_que", "Receive queues")
s.num_tabent = ProtoField.uint16("netvsc.rss.num_indirect_tabent", "Indirection table entries")

local eth = Dissector.get("eth_withoutfcs")

local function name_of(t, code)
  return t[code] or string.format("0x%x", code)
end

-- The RSS parameters object of OID_GEN_RECEIVE_SCALE_PARAMETERS (ndis_recv_scale_param).
local function dissect_rss_params(tvb, tree)
  if tvb:len() < 40 then return "" end
  local t = tree:add(p_rss, tvb(), "RSS parameters (ndis_recv_scale_param)")
  t:add_le(s.obj_type, tvb(0, 1)); t:add_le(s.obj_rev, tvb(1, 1)); t:add_le(s.obj_size, tvb(2, 2))
  t:add_le(s.flag, tvb(4, 2)); t:add_le(s.base_cpu, tvb(6, 2)); t:add_le(s.hashinfo, tvb(8, 4))
  t:add_le(s.tabsize, tvb(12, 2)); t:add_le(s.taboffset, tvb(16, 4))
  t:add_le(s.keysize, tvb(20, 2)); t:add_le(s.keyoffset, tvb(24, 4))
  local tabsize, taboff = tvb(12, 2):le_uint(), tvb(16, 4):le_uint()
  local keysize, keyoff = tvb(20, 2):le_uint(), tvb(24, 4):le_uint()
  local entries, maxq = 0, -1
  if taboff + tabsize <= tvb:len() and tabsize > 0 then
    local tt = t:add(p_rss, tvb(taboff, tabsize), string.format("Indirection table (%d entries)", math.floor(tabsize / 4)))
    for i = 0, math.floor(tabsize / 4) - 1 do
      local e = tvb(taboff + 4 * i, 4):le_uint()
      if e > maxq then maxq = e end
      tt:add_le(s.entry, tvb(taboff + 4 * i, 4)):prepend_text(string.format("[%d] ", i))
      entries = entries + 1
    end
  end
  t:add(s.queues, maxq + 1):set_generated()
  if keyoff + keysize <= tvb:len() and keysize > 0 then t:add(s.key, tvb(keyoff, keysize)) end
  return string.format(" RSS table=%d queues=%d key=%d", entries, maxq + 1, keysize)
end

-- The RSS capabilities object (ndis_recv_scale_cap), in a QUERY_C.
local function dissect_rss_caps(tvb, tree)
  if tvb:len() < 18 then return "" end
  local t = tree:add(p_rss, tvb(0, 18), "RSS capabilities (ndis_recv_scale_cap)")
  t:add_le(s.obj_type, tvb(0, 1)); t:add_le(s.obj_rev, tvb(1, 1)); t:add_le(s.obj_size, tvb(2, 2))
  t:add_le(s.cap_flag, tvb(4, 4)); t:add_le(s.num_int_msg, tvb(8, 4)); t:add_le(s.num_recv_que, tvb(12, 4))
  t:add_le(s.num_tabent, tvb(16, 2))
  return string.format(" RSS_CAPS queues=%d", tvb(12, 4):le_uint())
end

-- One RNDIS message; returns a summary for the Info column.
local function dissect_rndis(tvb, pinfo, tree)
  if tvb:len() < 8 then return "" end
  local mtype, mlen = tvb(0, 4):le_uint(), tvb(4, 4):le_uint()
  local name = name_of(RNDIS_TYPES, mtype)
  local t = tree:add(p_rndis, tvb(), "RNDIS " .. name)
  t:add_le(r.msg_type, tvb(0, 4)); t:add_le(r.msg_len, tvb(4, 4))
  local len = tvb:len()
  local info = " RNDIS " .. name
  local function u32(o) return (o + 4 <= len) and tvb(o, 4):le_uint() or nil end
  if mtype == 0x1 and len >= 44 then -- PACKET: offsets count from byte 8
    t:add_le(r.data_off, tvb(8, 4)); t:add_le(r.data_len, tvb(12, 4))
    t:add_le(r.ppi_off, tvb(36, 4)); t:add_le(r.ppi_len, tvb(40, 4))
    local doff, dlen = 8 + u32(8), u32(12)
    if dlen > 0 and doff + dlen <= len then
      eth:call(tvb(doff, dlen):tvb(), pinfo, tree)
      info = info .. string.format(" len=%d", dlen)
    end
  elseif (mtype == 0x4 or mtype == 0x5) and len >= 28 then -- QUERY / SET
    t:add_le(r.req_id, tvb(8, 4)); t:add_le(r.oid, tvb(12, 4))
    t:add_le(r.info_len, tvb(16, 4)); t:add_le(r.info_off, tvb(20, 4))
    local oid, ilen, ioff = u32(12), u32(16), 8 + u32(20)
    info = info .. " " .. name_of(OIDS, oid)
    if mtype == 0x5 and oid == OID_RSS_PARAMS and ilen > 0 and ioff + ilen <= len then
      info = info .. dissect_rss_params(tvb(ioff, ilen):tvb(), t)
    end
  elseif mtype == 0x80000004 and len >= 24 then -- QUERY_C
    t:add_le(r.req_id, tvb(8, 4)); t:add_le(r.status, tvb(12, 4))
    t:add_le(r.info_len, tvb(16, 4)); t:add_le(r.info_off, tvb(20, 4))
    local ilen, ioff = u32(16), 8 + u32(20)
    if ilen >= 18 and ioff + ilen <= len and tvb(ioff, 1):uint() == 0x88 then
      info = info .. dissect_rss_caps(tvb(ioff, ilen):tvb(), t)
    end
  elseif (mtype == 0x80000005 or mtype == 0x80000008) and len >= 16 then -- SET_C / KEEPALIVE_C
    t:add_le(r.req_id, tvb(8, 4)); t:add_le(r.status, tvb(12, 4))
    info = info .. " " .. name_of(RNDIS_STATUS, u32(12))
  elseif mtype == 0x2 and len >= 24 then -- INIT
    t:add_le(r.req_id, tvb(8, 4)); t:add_le(r.major, tvb(12, 4)); t:add_le(r.minor, tvb(16, 4)); t:add_le(r.max_xfer, tvb(20, 4))
  elseif mtype == 0x80000002 and len >= 24 then -- INIT_C
    t:add_le(r.req_id, tvb(8, 4)); t:add_le(r.status, tvb(12, 4)); t:add_le(r.major, tvb(16, 4)); t:add_le(r.minor, tvb(20, 4))
  elseif (mtype == 0x3 or mtype == 0x8) and len >= 12 then -- HALT / KEEPALIVE
    t:add_le(r.req_id, tvb(8, 4))
  elseif mtype == 0x7 and len >= 12 then -- INDICATE
    t:add_le(r.status, tvb(8, 4))
    info = info .. " " .. name_of(RNDIS_STATUS, u32(8))
  end
  return info
end

-- One NVSP message (direction decides the meaning of message 133).
local function dissect_nvsp(tvb, tree, dir)
  if tvb:len() < 4 then return "" end
  local mt = tvb(0, 4):le_uint()
  local name = name_of(NVSP_TYPES, mt)
  local t = tree:add(p_nvsp, tvb(), "NVSP " .. name)
  t:add_le(n.msg_type, tvb(0, 4))
  local len = tvb:len()
  local info = " NVSP " .. name
  local function has(b) return len >= 4 + b end
  if mt == 1 and has(8) then
    t:add_le(n.min_ver, tvb(4, 4)); t:add_le(n.max_ver, tvb(8, 4))
  elseif mt == 2 and has(12) then
    t:add_le(n.status, tvb(12, 4))
  elseif mt == 100 and has(8) then
    t:add_le(n.ndis_major, tvb(4, 4)); t:add_le(n.ndis_minor, tvb(8, 4))
  elseif (mt == 101 or mt == 104) and has(6) then
    t:add_le(n.gpadl, tvb(4, 4)); t:add_le(n.buf_id, tvb(8, 2))
  elseif mt == 102 and has(8) then
    t:add_le(n.status, tvb(4, 4)); t:add_le(n.sections, tvb(8, 4))
  elseif mt == 105 and has(8) then
    t:add_le(n.status, tvb(4, 4)); t:add_le(n.section_size, tvb(8, 4))
  elseif mt == 107 and has(12) then
    t:add_le(n.channel_type, tvb(4, 4)); t:add_le(n.section_index, tvb(8, 4)); t:add_le(n.send_size, tvb(12, 4))
  elseif mt == 108 and has(4) then
    t:add_le(n.status, tvb(4, 4))
  elseif mt == 125 and has(16) then
    t:add_le(n.mtu, tvb(4, 4)); t:add_le(n.capability, tvb(12, 8))
  elseif mt == 133 and has(8) then
    if dir == 0 then
      t:add_le(n.subch_op, tvb(4, 4)); t:add_le(n.subch_requested, tvb(8, 4))
      info = string.format(" NVSP SUBCHANNEL %s num=%d", name_of(SUBCHANNEL_OPS, tvb(4, 4):le_uint()), tvb(8, 4):le_uint())
    else
      t:add_le(n.status, tvb(4, 4)); t:add_le(n.subch_granted, tvb(8, 4))
      info = string.format(" NVSP SUBCHANNEL COMPLETE %s granted=%d", name_of(NVSP_STAT, tvb(4, 4):le_uint()), tvb(8, 4):le_uint())
    end
  elseif mt == 134 and has(8) then
    t:add_le(n.tab_count, tvb(4, 4)); t:add_le(n.tab_offset, tvb(8, 4))
    local count, off = tvb(4, 4):le_uint(), 4 + tvb(8, 4):le_uint()
    if off + 4 * count <= len then
      for i = 0, count - 1 do t:add_le(n.tab_entry, tvb(off + 4 * i, 4)):prepend_text(string.format("[%d] ", i)) end
    end
  end
  return info
end

-- The framed VMBus packet: descriptor, then the NVSP message at offset8 * 8.
local function dissect_vmbus(tvb, tree, dir)
  if tvb:len() < 16 then return "" end
  local t = tree:add(p_vmbus, tvb(), "VMBus packet")
  local ptype, off8 = tvb(0, 2):le_uint(), tvb(2, 2):le_uint()
  t:add_le(v.type, tvb(0, 2)); t:add_le(v.offset8, tvb(2, 2)); t:add_le(v.len8, tvb(4, 2))
  t:add_le(v.flags, tvb(6, 2)); t:add_le(v.trans_id, tvb(8, 8))
  if ptype == 7 and tvb:len() >= 24 then
    t:add_le(v.xfer_pageset, tvb(16, 2)); t:add_le(v.range_cnt, tvb(20, 4))
    local cnt = tvb(20, 4):le_uint()
    for i = 0, cnt - 1 do
      local o = 24 + 8 * i
      if o + 8 > tvb:len() then break end
      t:add_le(v.range_count, tvb(o, 4)); t:add_le(v.range_offset, tvb(o + 4, 4))
    end
  elseif ptype == 9 and tvb:len() >= 24 then
    t:add_le(v.range_cnt, tvb(20, 4))
    local o, cnt = 24, tvb(20, 4):le_uint()
    for _ = 1, cnt do
      if o + 8 > tvb:len() then break end
      local bc, bo = tvb(o, 4):le_uint(), tvb(o + 4, 4):le_uint()
      t:add_le(v.range_count, tvb(o, 4)); t:add_le(v.range_offset, tvb(o + 4, 4))
      o = o + 8
      local pages = math.floor((bo + bc + 4095) / 4096)
      for _ = 1, pages do
        if o + 8 > tvb:len() then break end
        t:add_le(v.pfn, tvb(o, 8)); o = o + 8
      end
    end
  end
  local info = " " .. (PKT_TYPES[ptype] or "VM_PKT_?"):gsub("^VM_PKT_", "")
  local at = off8 * 8
  if at > 0 and at < tvb:len() then info = info .. dissect_nvsp(tvb(at):tvb(), tree, dir) end
  return info
end

function netvsc.dissector(tvb, pinfo, tree)
  if tvb:len() < 20 or tvb(0, 4):le_uint() ~= 0x4d53564e then return 0 end
  pinfo.cols.protocol = "NETVSC"
  local dir, kind, npay = tvb(5, 1):uint(), tvb(6, 1):uint(), tvb(7, 1):uint()
  local relid, sub, blen = tvb(8, 4):le_uint(), tvb(12, 2):le_uint(), tvb(16, 4):le_uint()
  local t = tree:add(netvsc, tvb(0, 20), "netvsc-sim record")
  t:add_le(f.magic, tvb(0, 4)); t:add_le(f.version, tvb(4, 1)); t:add_le(f.direction, tvb(5, 1))
  t:add_le(f.kind, tvb(6, 1)); t:add_le(f.npayloads, tvb(7, 1)); t:add_le(f.relid, tvb(8, 4))
  t:add_le(f.subchannel, tvb(12, 2)); t:add_le(f.body_len, tvb(16, 4))
  pinfo.cols.src = dir == 0 and "guest" or "host"
  pinfo.cols.dst = dir == 0 and "host" or "guest"
  if 20 + blen > tvb:len() then return tvb:len() end
  local info
  if kind == 1 then
    local ct = tree:add(p_chmsg, tvb(20, blen), "VMBus channel message")
    local mt = blen >= 4 and tvb(20, 4):le_uint() or 0
    ct:add_le(c.msgtype, tvb(20, 4))
    -- Messages that start with child_relid right after the 8-byte header.
    local RELID_FIRST = { [2] = true, [5] = true, [6] = true, [7] = true, [8] = true, [10] = true, [11] = true, [13] = true, [22] = true }
    if blen >= 12 and RELID_FIRST[mt] then ct:add_le(c.child_relid, tvb(28, 4)) end
    info = "CHANNELMSG " .. name_of(CHANNELMSG, mt)
  else
    info = string.format("ch%d relid %d", sub, relid) .. dissect_vmbus(tvb(20, blen):tvb(), tree, dir)
  end
  local o = 20 + blen
  for _ = 1, npay do
    if o + 8 > tvb:len() then break end
    local plen = tvb(o + 4, 4):le_uint()
    local pt = tree:add(netvsc, tvb(o, 8), "Payload in guest memory")
    pt:add_le(f.psource, tvb(o, 1)); pt:add_le(f.plen, tvb(o + 4, 4))
    o = o + 8
    if o + plen > tvb:len() then break end
    info = info .. dissect_rndis(tvb(o, plen):tvb(), pinfo, tree)
    o = o + plen
  end
  pinfo.cols.info = info
  return tvb:len()
end

local encap = (wtap_encaps and wtap_encaps.USER0) or wtap.USER0
DissectorTable.get("wtap_encap"):add(encap, netvsc)
