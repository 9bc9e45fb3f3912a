#!/usr/bin/env python3
"""Helpers for `npm run fixtures:kernel` (scripts/fixtures-kernel.sh).

Subcommands:
  vmlinux BZIMAGE OUT          recover the ELF vmlinux (with .BTF) from an x86 bzImage
  scan-headers SRC_ROOT        print the struct/union/enum names defined in the four
                               Hyper-V headers of a kernel source tree (JSON)
  generate ...                 turn bpftool JSON dumps into fixtures/kernel/layouts.json

Only the Python standard library is used. Nothing here is derived from kernel code:
the layouts come from the BTF of Debian's compiled kernel, the name list from scanning
the headers for definitions (see fixtures/kernel/README.md).
"""

import argparse
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

# ---------------------------------------------------------------------------
# Which names to extract
# ---------------------------------------------------------------------------

# Headers scanned for definitions (paths inside a kernel source tree).
HEADERS = [
    "include/linux/hyperv.h",
    "drivers/hv/hyperv_vmbus.h",
    "drivers/net/hyperv/hyperv_net.h",
    "include/linux/rndis.h",
]

# Committed result of `scan-headers` over Debian's linux-source-6.1 (6.1.192-2).
# Regenerate with: python3 scripts/btf-layouts.py scan-headers /path/to/linux-6.1
# (fixtures-kernel.sh does this itself when KERNEL_SRC is set or --from-source is given,
# and prints any difference from this list.)
# Format: header -> list of "struct NAME" / "union NAME" / "enum NAME" / "enum@FIRST_ENUMERATOR".
HEADER_NAMES = {
  "drivers/hv/hyperv_vmbus.h": [
    "enum delay",
    "enum hvutil_device_state",
    "enum vmbus_connect_state",
    "enum vmbus_message_handler_type",
    "enum@VMBUS_MESSAGE_CONNECTION_ID",
    "struct hv_context",
    "struct hv_input_post_message",
    "struct hv_monitor_page",
    "struct hv_monitor_parameter",
    "struct hv_per_cpu_context",
    "struct vmbus_channel_message_table_entry",
    "struct vmbus_connection",
    "struct vmbus_msginfo",
    "union hv_monitor_trigger_group",
    "union hv_monitor_trigger_state"
  ],
  "drivers/net/hyperv/hyperv_net.h": [
    "enum ndis_per_pkt_info_type",
    "enum nvsp_6_pd_api_op",
    "enum nvsp_subchannel_operation",
    "enum nvsp_vm_datapath",
    "enum rndis_device_state",
    "enum rndis_per_pkt_info_interal_type",
    "enum@NVSP_MSG_TYPE_NONE",
    "enum@NVSP_STAT_NONE",
    "struct grp_affinity",
    "struct hv_netvsc_packet",
    "struct multi_recv_comp",
    "struct multi_send_data",
    "struct ndis_csum_offload",
    "struct ndis_encap_offload",
    "struct ndis_ipsecv1_offload",
    "struct ndis_ipsecv2_offload",
    "struct ndis_lsov1_offload",
    "struct ndis_lsov2_offload",
    "struct ndis_obj_header",
    "struct ndis_object_header",
    "struct ndis_offload",
    "struct ndis_offload_params",
    "struct ndis_pkt_8021q_info",
    "struct ndis_recv_scale_cap",
    "struct ndis_recv_scale_param",
    "struct ndis_rsc_offload",
    "struct ndis_tcp_ip_checksum_info",
    "struct ndis_tcp_lso_info",
    "struct net_device_context",
    "struct netvsc_channel",
    "struct netvsc_device",
    "struct netvsc_device_info",
    "struct netvsc_ethtool_pcpu_stats",
    "struct netvsc_ethtool_stats",
    "struct netvsc_reconfig",
    "struct netvsc_stats_rx",
    "struct netvsc_stats_tx",
    "struct netvsc_vf_pcpu_stats",
    "struct nvsc_rsc",
    "struct nvsp_1_message_revoke_receive_buffer",
    "struct nvsp_1_message_revoke_send_buffer",
    "struct nvsp_1_message_send_ndis_version",
    "struct nvsp_1_message_send_receive_buffer",
    "struct nvsp_1_message_send_receive_buffer_complete",
    "struct nvsp_1_message_send_rndis_packet",
    "struct nvsp_1_message_send_rndis_packet_complete",
    "struct nvsp_1_message_send_send_buffer",
    "struct nvsp_1_message_send_send_buffer_complete",
    "struct nvsp_1_receive_buffer_section",
    "struct nvsp_2_alloc_rxbuf",
    "struct nvsp_2_alloc_rxbuf_comp",
    "struct nvsp_2_free_rxbuf",
    "struct nvsp_2_send_ndis_config",
    "struct nvsp_2_vsc_capability",
    "struct nvsp_4_send_vf_association",
    "struct nvsp_4_sw_datapath",
    "struct nvsp_5_send_indirect_table",
    "struct nvsp_5_subchannel_complete",
    "struct nvsp_5_subchannel_request",
    "struct nvsp_6_pd_api_comp",
    "struct nvsp_6_pd_api_req",
    "struct nvsp_6_pd_batch_msg",
    "struct nvsp_6_pd_buf",
    "struct nvsp_message",
    "struct nvsp_message_header",
    "struct nvsp_message_init",
    "struct nvsp_message_init_complete",
    "struct rcondis_call_manager_parameters",
    "struct rcondis_indicate_status",
    "struct rcondis_media_parameters",
    "struct rcondis_mp_activate_vc_complete",
    "struct rcondis_mp_activate_vc_request",
    "struct rcondis_mp_create_vc",
    "struct rcondis_mp_create_vc_complete",
    "struct rcondis_mp_deactivate_vc_complete",
    "struct rcondis_mp_deactivate_vc_request",
    "struct rcondis_mp_delete_vc",
    "struct rcondis_mp_delete_vc_complete",
    "struct rcondis_mp_query_request",
    "struct rcondis_mp_set_request",
    "struct rcondis_specific_parameters",
    "struct recv_comp_data",
    "struct rndis_co_address_family",
    "struct rndis_config_parameter_info",
    "struct rndis_device",
    "struct rndis_diagnostic_info",
    "struct rndis_flowspec",
    "struct rndis_halt_request",
    "struct rndis_indicate_status",
    "struct rndis_initialize_complete",
    "struct rndis_initialize_request",
    "struct rndis_keepalive_complete",
    "struct rndis_keepalive_request",
    "struct rndis_message",
    "struct rndis_oobd",
    "struct rndis_packet",
    "struct rndis_per_packet_info",
    "struct rndis_pktinfo_id",
    "struct rndis_query_complete",
    "struct rndis_query_request",
    "struct rndis_reset_complete",
    "struct rndis_reset_request",
    "struct rndis_set_complete",
    "struct rndis_set_request",
    "union nvsp_1_message_uber",
    "union nvsp_2_message_uber",
    "union nvsp_4_message_uber",
    "union nvsp_5_message_uber",
    "union nvsp_6_message_uber",
    "union nvsp_all_messages",
    "union nvsp_message_init_uber",
    "union rndis_message_container"
  ],
  "include/linux/hyperv.h": [
    "enum hv_callback_mode",
    "enum hv_gpadl_type",
    "enum vmbus_channel_message_type",
    "enum vmbus_channel_state",
    "enum vmbus_device_type",
    "enum vmbus_packet_type",
    "struct gpa_range",
    "struct heartbeat_msg_data",
    "struct hv_device",
    "struct hv_dma_range",
    "struct hv_driver",
    "struct hv_mpb_array",
    "struct hv_multipage_buffer",
    "struct hv_page_buffer",
    "struct hv_ring_buffer",
    "struct hv_ring_buffer_debug_info",
    "struct hv_ring_buffer_info",
    "struct hv_util_service",
    "struct hyperv_pci_block_ops",
    "struct hyperv_service_callback",
    "struct ic_version",
    "struct icmsg_hdr",
    "struct icmsg_negotiate",
    "struct ictimesync_data",
    "struct ictimesync_ref_data",
    "struct shutdown_msg_data",
    "struct vmadd_remove_transfer_page_set",
    "struct vmadditional_data",
    "struct vmbus_channel",
    "struct vmbus_channel_close_channel",
    "struct vmbus_channel_gpadl_body",
    "struct vmbus_channel_gpadl_created",
    "struct vmbus_channel_gpadl_header",
    "struct vmbus_channel_gpadl_teardown",
    "struct vmbus_channel_gpadl_torndown",
    "struct vmbus_channel_initiate_contact",
    "struct vmbus_channel_message_header",
    "struct vmbus_channel_modifychannel",
    "struct vmbus_channel_modifychannel_response",
    "struct vmbus_channel_msginfo",
    "struct vmbus_channel_offer",
    "struct vmbus_channel_offer_channel",
    "struct vmbus_channel_open_channel",
    "struct vmbus_channel_open_result",
    "struct vmbus_channel_packet_multipage_buffer",
    "struct vmbus_channel_packet_page_buffer",
    "struct vmbus_channel_query_vmbus_version",
    "struct vmbus_channel_relid_released",
    "struct vmbus_channel_rescind_offer",
    "struct vmbus_channel_tl_connect_request",
    "struct vmbus_channel_version_response",
    "struct vmbus_channel_version_supported",
    "struct vmbus_close_msg",
    "struct vmbus_device",
    "struct vmbus_gpadl",
    "struct vmbus_packet_mpb_array",
    "struct vmbus_requestor",
    "struct vmbuspipe_hdr",
    "struct vmdata_gpa_direct",
    "struct vmestablish_gpadl",
    "struct vmgpadl_packet_header",
    "struct vmpacket_descriptor",
    "struct vmpacket_header",
    "struct vmteardown_gpadl",
    "struct vmtransfer_page_packet_header",
    "struct vmtransfer_page_range",
    "union hv_connection_id",
    "union vmpacket_largest_possible_header"
  ],
  "include/linux/rndis.h": []
}

# Names taken from the base (vmlinux) BTF: what ethtool -l/-L, -x/-X, -g, -S and the
# ethtool netlink path exchange with the kernel. Header given for documentation only.
BASE_NAMES = {
    "include/uapi/linux/ethtool.h": [
        "struct ethtool_channels",
        "struct ethtool_rxfh",
        "struct ethtool_rxfh_indir",
        "struct ethtool_rxnfc",
        "struct ethtool_rx_flow_spec",
        "union ethtool_flow_union",
        "struct ethtool_flow_ext",
        "struct ethtool_ringparam",
        "struct ethtool_stats",
        "struct ethtool_gstrings",
        "struct ethtool_sset_info",
        "struct ethtool_drvinfo",
        "struct ethtool_link_settings",
        "enum ethtool_stringset",
    ],
    "include/linux/ethtool.h": [
        "struct kernel_ethtool_ringparam",
        "struct ethtool_link_ksettings",
        "enum@ETH_RSS_HASH_TOP_BIT",
    ],
    "include/uapi/linux/ethtool_netlink.h": [
        "enum@ETHTOOL_MSG_USER_NONE",
        "enum@ETHTOOL_MSG_KERNEL_NONE",
        "enum@ETHTOOL_A_HEADER_UNSPEC",
        "enum@ETHTOOL_A_CHANNELS_UNSPEC",
        "enum@ETHTOOL_A_RINGS_UNSPEC",
        "enum@ETHTOOL_A_RSS_UNSPEC",
        "enum@ETHTOOL_A_STRSET_UNSPEC",
    ],
    "include/uapi/linux/netlink.h": [
        "struct nlmsghdr",
        "struct nlmsgerr",
        "struct nlattr",
    ],
    "include/uapi/linux/genetlink.h": [
        "struct genlmsghdr",
    ],
}

# ---------------------------------------------------------------------------
# vmlinux from bzImage
# ---------------------------------------------------------------------------


def cmd_vmlinux(args):
    with open(args.bzimage, "rb") as f:
        img = f.read()
    if img[0x202:0x206] != b"HdrS":
        sys.exit("vmlinux: %s has no x86 boot header ('HdrS' at 0x202)" % args.bzimage)
    setup_sects = img[0x1F1] or 4
    pm_start = (setup_sects + 1) * 512
    payload_offset, payload_length = struct.unpack_from("<II", img, 0x248)
    payload = img[pm_start + payload_offset: pm_start + payload_offset + payload_length]
    if payload.startswith(b"\xfd7zXZ\x00"):
        kind = "xz"
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        out = d.decompress(payload)
    elif payload.startswith(b"\x1f\x8b"):
        kind = "gzip"
        d = zlib.decompressobj(16 + 15)
        out = d.decompress(payload)
    elif payload.startswith(b"\x28\xb5\x2f\xfd"):
        kind = "zstd"
        if not shutil.which("zstd"):
            sys.exit("vmlinux: payload is zstd; install the 'zstd' package")
        out = subprocess.run(["zstd", "-dc"], input=payload, stdout=subprocess.PIPE,
                             check=False).stdout
    else:
        sys.exit("vmlinux: unknown payload compression, magic %s" % payload[:6].hex())
    if not out.startswith(b"\x7fELF"):
        sys.exit("vmlinux: decompressed payload is not an ELF file")
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, args.out)
    print("vmlinux: %s payload (%d bytes) -> %s (%d bytes)" % (kind, len(payload), args.out, len(out)))


# ---------------------------------------------------------------------------
# Header scan
# ---------------------------------------------------------------------------

_ATTR_WORDS = {"__packed", "__aligned", "__attribute__", "__randomize_layout",
               "__no_randomize_layout", "__designated_init", "__counted_by"}


def _strip_c(text):
    # comments -> a space, preprocessor lines (with continuations) -> blank
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    out = []
    cont = False
    for line in text.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def scan_header(text):
    toks = re.findall(r"[A-Za-z_]\w*|\S", _strip_c(text))
    names = set()
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in ("struct", "union", "enum"):
            j = i + 1
            # skip attributes between the keyword and the tag
            while j < len(toks) and toks[j] in _ATTR_WORDS:
                j += 1
                if j < len(toks) and toks[j] == "(":
                    depth = 0
                    while j < len(toks):
                        depth += toks[j] == "("
                        depth -= toks[j] == ")"
                        j += 1
                        if depth == 0:
                            break
            tag = None
            if j < len(toks) and re.match(r"[A-Za-z_]\w*$", toks[j]):
                tag = toks[j]
                j += 1
            if j < len(toks) and toks[j] == "{":
                if tag:
                    names.add("%s %s" % (t, tag))
                elif t == "enum" and j + 1 < len(toks):
                    names.add("enum@%s" % toks[j + 1])
            i = j if j > i else i + 1
            continue
        i += 1
    return sorted(names)


def scan_tree(root):
    res = {}
    for h in HEADERS:
        p = os.path.join(root, h)
        if not os.path.exists(p):
            res[h] = None
            continue
        with open(p, encoding="utf-8", errors="replace") as f:
            res[h] = scan_header(f.read())
    return res


def cmd_scan_headers(args):
    print(json.dumps(scan_tree(args.root), indent=2))


# ---------------------------------------------------------------------------
# BTF model
# ---------------------------------------------------------------------------


class BTF:
    """Types of one object: base (vmlinux) types plus, for a module, its split types."""

    def __init__(self, label, types, base=None):
        self.label = label
        self.types = dict(base.types) if base else {}
        self.own_ids = set()
        for t in types:
            self.types[t["id"]] = t
            self.own_ids.add(t["id"])
        self.base = base
        self.by_name = {}
        for tid in sorted(self.types):
            t = self.types[tid]
            k = t["kind"]
            name = t.get("name") or ""
            if k in ("STRUCT", "UNION"):
                if name:
                    self.by_name.setdefault(("struct" if k == "STRUCT" else "union", name), []).append(tid)
            elif k in ("ENUM", "ENUM64"):
                if name:
                    self.by_name.setdefault(("enum", name), []).append(tid)
                else:
                    vals = t.get("values") or []
                    if vals:
                        self.by_name.setdefault(("enum", "@" + vals[0]["name"]), []).append(tid)

    def lookup(self, kind, name):
        """ids of `kind name`, the object's own (split) types first."""
        ids = self.by_name.get((kind, name), [])
        return sorted(ids, key=lambda i: (i not in self.own_ids, i))

    # -- type helpers -------------------------------------------------------
    def t(self, tid):
        return self.types.get(tid) if tid else None

    def strip(self, tid):
        """follow typedef/const/volatile/restrict/type_tag."""
        seen = 0
        while tid:
            t = self.types[tid]
            if t["kind"] in ("TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"):
                tid = t["type_id"]
                seen += 1
                if seen > 64:
                    break
                continue
            break
        return tid

    def size(self, tid):
        tid = self.strip(tid)
        if not tid:
            return None
        t = self.types[tid]
        k = t["kind"]
        if k in ("INT", "STRUCT", "UNION", "ENUM", "ENUM64", "FLOAT", "DATASEC"):
            return t["size"]
        if k == "PTR":
            return 8
        if k == "ARRAY":
            es = self.size(t["type_id"])
            return None if es is None else es * t["nr_elems"]
        return None

    def align(self, tid, packed_cache):
        tid = self.strip(tid)
        if not tid:
            return 1
        t = self.types[tid]
        k = t["kind"]
        if k in ("INT", "ENUM", "ENUM64", "FLOAT"):
            return max(1, min(t["size"], 16))
        if k == "PTR":
            return 8
        if k == "ARRAY":
            return self.align(t["type_id"], packed_cache)
        if k in ("STRUCT", "UNION"):
            if packed_cache.get(tid):
                return 1
            a = 1
            for m in t.get("members", []):
                a = max(a, self.align(m["type_id"], packed_cache))
            return a
        return 1

    def text(self, tid):
        """C-ish type text."""
        if not tid:
            return "void"
        t = self.types[tid]
        k = t["kind"]
        name = t.get("name") or ""
        if k in ("INT", "FLOAT", "TYPEDEF"):
            return name
        if k in ("STRUCT", "UNION"):
            kw = "struct" if k == "STRUCT" else "union"
            return "%s %s" % (kw, name) if name else "%s <anon>" % kw
        if k in ("ENUM", "ENUM64"):
            return "enum %s" % name if name else "enum <anon>"
        if k == "FWD":
            kw = t.get("fwd_kind") or "struct"
            return "%s %s" % ("union" if kw == "union" else "struct", name)
        if k == "CONST":
            return "const " + self.text(t["type_id"])
        if k == "VOLATILE":
            return "volatile " + self.text(t["type_id"])
        if k == "RESTRICT":
            return self.text(t["type_id"]) + " restrict"
        if k == "TYPE_TAG":
            return self.text(t["type_id"])
        if k == "PTR":
            target = self.t(t["type_id"])
            if target and target["kind"] == "FUNC_PROTO":
                return self._proto(target, "(*)")
            return self.text(t["type_id"]) + " *"
        if k == "ARRAY":
            dims = []
            cur = t
            while cur and cur["kind"] == "ARRAY":
                dims.append("[%d]" % cur["nr_elems"])
                nxt = cur["type_id"]
                cur = self.t(nxt)
                last = nxt
            return self.text(last) + "".join(dims)
        if k == "FUNC_PROTO":
            return self._proto(t, "")
        return "<%s>" % k.lower()

    def _proto(self, t, declarator):
        params = t.get("params") or []
        ps = []
        for p in params:
            ps.append("..." if not p.get("type_id") else self.text(p["type_id"]))
        return "%s %s(%s)" % (self.text(t.get("ret_type_id")), declarator, ", ".join(ps) or "void")

    # -- layout -------------------------------------------------------------
    def members(self, tid, base_bits=0, via=None, packed_cache=None):
        """flattened member list of struct/union `tid`, offsets relative to the outer start."""
        t = self.types[tid]
        out = []
        for m in t.get("members", []):
            bits = base_bits + m["bits_offset"]
            bsz = m.get("bitfield_size") or 0
            name = m.get("name") or ""
            inner = self.strip(m["type_id"])
            it = self.t(inner)
            if not name and it and it["kind"] in ("STRUCT", "UNION") and not bsz:
                out.extend(self.members(inner, bits, "anon", packed_cache))
                continue
            f = {"name": name, "offset": bits // 8}
            if bsz:
                f["size"] = None
                f["bit_offset"] = bits
                f["bit_size"] = bsz
            else:
                f["size"] = self.size(m["type_id"])
                if bits % 8:
                    f["bit_offset"] = bits
            f["type"] = self.text(m["type_id"])
            if via:
                f["via"] = via
            # a named member declared with an anonymous struct/union type (not through a
            # typedef such as guid_t): give its members too
            direct = self.t(m["type_id"])
            while direct and direct["kind"] in ("CONST", "VOLATILE", "TYPE_TAG"):
                direct = self.t(direct["type_id"])
            if not bsz and direct and direct["kind"] in ("STRUCT", "UNION") and not direct.get("name"):
                f["fields"] = self.members(inner, bits, None, packed_cache)
            out.append(f)
        return out

    def layout_notes(self, tid, packed_cache):
        """holes / tail padding / whether natural alignment explains the layout."""
        t = self.types[tid]
        notes = {}
        if t["kind"] == "UNION":
            maxbits, maxalign = 0, 1
            for m in t.get("members", []):
                maxalign = max(maxalign, self.align(m["type_id"], packed_cache))
                maxbits = max(maxbits, m.get("bitfield_size") or (self.size(m["type_id"]) or 0) * 8)
            natural_size = -(-((maxbits + 7) // 8) // maxalign) * maxalign
            if t["size"] < natural_size:
                notes["packed"] = True
            elif t["size"] > natural_size:
                notes["extra_alignment"] = True
            return notes
        if t["kind"] != "STRUCT":
            return notes
        end_bits = 0
        holes = []
        tighter = False
        looser = False
        maxalign = 1
        for m in t.get("members", []):
            bits = m["bits_offset"]
            bsz = m.get("bitfield_size") or 0
            a = self.align(m["type_id"], packed_cache)
            maxalign = max(maxalign, a)
            sz = self.size(m["type_id"]) or 0
            if bsz:
                if bits > end_bits and (bits // 8) > ((end_bits + 7) // 8):
                    holes.append(((end_bits + 7) // 8, bits // 8 - (end_bits + 7) // 8))
                end_bits = max(end_bits, bits + bsz)
                continue
            prev_end = (end_bits + 7) // 8
            off = bits // 8
            natural = -(-prev_end // a) * a
            if off < natural:
                tighter = True
            elif off > natural:
                looser = True
            if off > prev_end:
                holes.append((prev_end, off - prev_end))
            end_bits = max(end_bits, bits + sz * 8)
        last = (end_bits + 7) // 8
        natural_size = -(-last // maxalign) * maxalign
        if t["size"] < natural_size:
            tighter = True
        elif t["size"] > natural_size:
            looser = True
        if holes:
            notes["holes"] = [{"offset": o, "size": s} for o, s in holes]
        if t["size"] > last:
            notes["tail_padding"] = t["size"] - last
        if tighter:
            notes["packed"] = True
        if looser and not tighter:
            notes["extra_alignment"] = True
        return notes


def struct_entry(btf, tid, packed_cache):
    t = btf.types[tid]
    e = {"kind": "struct" if t["kind"] == "STRUCT" else "union", "size": t["size"]}
    notes = btf.layout_notes(tid, packed_cache)
    e["fields"] = btf.members(tid, 0, None, packed_cache)
    e.update(notes)
    return e


def enum_entry(btf, tid):
    t = btf.types[tid]
    vals = {}
    for v in t.get("values") or []:
        val = v.get("val")
        if val is None and "val_lo32" in v:
            val = (v.get("val_hi32", 0) << 32) | v["val_lo32"]
        vals[v["name"]] = val
    return vals


def compute_packed(btf):
    """structs whose layout cannot come from natural alignment (inner types first)."""
    cache = {}

    def visit(tid, depth=0):
        if tid in cache or depth > 50:
            return
        cache[tid] = False
        for m in btf.types[tid].get("members", []):
            inner = btf.strip(m["type_id"])
            while inner and btf.types[inner]["kind"] == "ARRAY":
                inner = btf.strip(btf.types[inner]["type_id"])
            if inner and btf.types[inner]["kind"] in ("STRUCT", "UNION"):
                visit(inner, depth + 1)
        cache[tid] = bool(btf.layout_notes(tid, cache).get("packed"))

    return cache, visit


# ---------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------


def load_dump(path):
    """bpftool -j output; bpftool spells an empty name "(anon)": make it ""."""
    with open(path) as f:
        types = json.load(f)["types"]
    for t in types:
        for item in [t] + t.get("members", []) + t.get("params", []):
            if item.get("name") == "(anon)":
                item["name"] = ""
    return types


def parse_key(key):
    if key.startswith("enum@"):
        return "enum", "@" + key[5:], key
    kind, name = key.split(" ", 1)
    return kind, name, name if kind != "enum" else name


def cmd_generate(args):
    base = BTF("vmlinux", load_dump(args.vmlinux_json))
    objs = []
    for spec in args.module:
        label, path = spec.split("=", 1)
        objs.append(BTF(label, load_dump(path), base))

    if args.names_json:
        with open(args.names_json) as f:
            header_names = json.load(f)
    else:
        header_names = HEADER_NAMES

    wanted = []  # (key, header, search objects)
    for h in sorted(header_names):
        for key in header_names[h] or []:
            wanted.append((key, h, objs + [base]))
    for h in sorted(BASE_NAMES):
        for key in BASE_NAMES[h]:
            wanted.append((key, h, [base]))

    structs, enums, missing, conflicts, packed_list = {}, {}, [], [], []
    enum_sources = {}
    caches = {}
    for key, header, search in wanted:
        kind, name, outname = parse_key(key)
        found = []  # (label, entry)
        for btf in search:
            ids = btf.lookup(kind, name)
            if not ids:
                continue
            if btf.label not in caches:
                caches[btf.label] = compute_packed(btf)
            cache, visit = caches[btf.label]
            entries = []
            for tid in ids:
                if kind == "enum":
                    entries.append(enum_entry(btf, tid))
                else:
                    visit(tid)
                    entries.append(struct_entry(btf, tid, cache))
            uniq = []
            for e in entries:
                if e not in uniq:
                    uniq.append(e)
            if len(uniq) > 1:
                conflicts.append("%s: %d different definitions inside %s BTF (first one used)"
                                 % (key, len(uniq), btf.label))
            found.append((btf.label, uniq[0]))
        if not found:
            missing.append(key)
            continue
        first = found[0][1]
        for label, e in found[1:]:
            if e != first:
                conflicts.append("%s: %s and %s BTF disagree (%s used)" % (key, found[0][0], label, found[0][0]))
        labels = sorted({l for l, e in found if e == first})
        if kind == "enum":
            k = "enum@" + name[1:] if name.startswith("@") else name
            enums[k] = first
            enum_sources[k] = {"defined_in": header, "btf": labels}
        else:
            ent = dict(first)
            ent = {"kind": ent.pop("kind"), "size": ent.pop("size"), "defined_in": header,
                   "btf": labels, **ent}
            if name in structs:
                conflicts.append("%s: name used twice" % name)
            structs[name] = ent
            if ent.get("packed"):
                packed_list.append(name)

    with open(args.source_json) as f:
        source = json.load(f)
    doc = {
        "source": source,
        "structs": {k: structs[k] for k in sorted(structs)},
        "enums": {k: enums[k] for k in sorted(enums)},
        "enum_sources": {k: enum_sources[k] for k in sorted(enum_sources)},
        "missing": sorted(missing),
    }
    if conflicts:
        doc["conflicts"] = sorted(conflicts)
    text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.out)

    print("layouts: %d structs/unions, %d enums, %d missing -> %s (sha256 %s)"
          % (len(structs), len(enums), len(missing), args.out,
             hashlib.sha256(text.encode()).hexdigest()[:16]))
    if missing:
        print("layouts: missing from BTF: " + ", ".join(sorted(missing)))
    if packed_list:
        print("layouts: not explained by natural alignment (packed): " + ", ".join(sorted(packed_list)))
    for c in conflicts:
        print("layouts: WARNING " + c)
    if args.check:
        failed = run_checks(doc)
        if failed:
            sys.exit(1)


# Spot checks from shared/spec (kernel-btf.md); a failure means the extraction is wrong
# or the kernel changed in a way the simulator must look at.
CHECKS = [
    ("size", "nvsp_message", 40),
    ("size", "rndis_message", 52),
    ("size", "ndis_recv_scale_param", 40),
    ("holes", "ndis_recv_scale_param", [{"offset": 14, "size": 2}, {"offset": 22, "size": 2}]),
    ("size", "ndis_recv_scale_cap", 18),
    ("size", "hv_ring_buffer", 4096),
    ("offset", "hv_ring_buffer.feature_bits", 64),
    ("size", "vmbus_channel_offer_channel", 196),
    ("offset", "vmbus_channel_offer_channel.child_relid", 184),
    ("offset", "vmbus_channel_offer_channel.connection_id", 192),
    ("size", "vmbus_channel_open_channel", 148),
    ("size", "vmbus_channel_gpadl_header", 20),
    ("size", "vmpacket_descriptor", 16),
    ("size", "vmtransfer_page_packet_header", 32),
    ("size", "ethtool_channels", 36),
    ("enum", "enum@NVSP_MSG_TYPE_NONE.NVSP_MSG6_MAX", 136),
]


def run_checks(doc):
    failed = 0
    for what, path, want in CHECKS:
        got = None
        try:
            if what == "size":
                got = doc["structs"][path]["size"]
            elif what == "holes":
                got = doc["structs"][path].get("holes")
            elif what == "offset":
                s, fld = path.split(".", 1)
                got = next(f["offset"] for f in doc["structs"][s]["fields"] if f["name"] == fld)
            elif what == "enum":
                e, v = path.split(".", 1)
                got = doc["enums"][e][v]
        except (KeyError, StopIteration):
            got = "<absent>"
        ok = got == want
        failed += not ok
        print("check: %-4s %-7s %-45s = %s%s" % ("ok" if ok else "FAIL", what, path, json.dumps(got),
                                                "" if ok else " (expected %s)" % json.dumps(want)))
    return failed


def cmd_diff_names(args):
    with open(args.scanned) as f:
        scanned = json.load(f)
    diff = 0
    for h in sorted(set(scanned) | set(HEADER_NAMES)):
        a = set(HEADER_NAMES.get(h) or [])
        b = set(scanned.get(h) or [])
        for n in sorted(b - a):
            print("names: + %s (%s) not in the committed list" % (n, h))
            diff += 1
        for n in sorted(a - b):
            print("names: - %s (%s) no longer defined there" % (n, h))
            diff += 1
    if not diff:
        print("names: scanned headers match the committed list")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("vmlinux")
    a.add_argument("bzimage")
    a.add_argument("out")
    a.set_defaults(fn=cmd_vmlinux)
    a = sub.add_parser("scan-headers")
    a.add_argument("root")
    a.set_defaults(fn=cmd_scan_headers)
    a = sub.add_parser("diff-names")
    a.add_argument("scanned")
    a.set_defaults(fn=cmd_diff_names)
    a = sub.add_parser("generate")
    a.add_argument("--vmlinux-json", required=True)
    a.add_argument("--module", action="append", default=[], help="LABEL=bpftool-json (split BTF)")
    a.add_argument("--source-json", required=True)
    a.add_argument("--names-json", help="scan-headers output to use instead of the committed list")
    a.add_argument("--out", required=True)
    a.add_argument("--check", action="store_true", help="run the spec spot checks, exit 1 on failure")
    a.set_defaults(fn=cmd_generate)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
