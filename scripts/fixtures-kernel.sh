#!/usr/bin/env bash
# npm run fixtures:kernel — regenerate fixtures/kernel/layouts.json from the BTF of
# Debian's compiled kernel (see fixtures/kernel/README.md).
#
# Options / environment:
#   --from-source            also download linux-source-X.Y (same version) and rescan the
#                            Hyper-V headers for the struct/enum name list
#   KERNEL_SRC=/path         rescan the headers of an existing source tree instead
#   KERNEL_META=pkg          metapackage to resolve (default linux-image-amd64;
#                            e.g. linux-image-cloud-amd64)
#   KERNEL_IMAGE=pkg         skip resolution and use this versioned image package
#   KERNEL_CACHE=dir         download/extraction cache (default .cache/kernel)
#   OUT=file                 output (default fixtures/kernel/layouts.json)
set -euo pipefail

say() { printf 'fixtures:kernel: %s\n' "$*"; }
# cached_deb DIR PACKAGE VERSION -> path of DIR/PACKAGE_*.deb with that version, or nothing
cached_deb() {
  local f
  for f in "$1/$2"_*.deb; do
    if [ -e "$f" ] && [ "$(dpkg-deb -f "$f" Version 2>/dev/null)" = "$3" ]; then echo "$f"; return 0; fi
  done
  return 0
}
# fetch_deb DIR PACKAGE VERSION -> downloads (apt-get download) unless cached; prints the path
fetch_deb() {
  local deb
  deb="$(cached_deb "$1" "$2" "$3")"
  if [ -z "$deb" ]; then
    say "apt-get download $2=$3" >&2
    (cd "$1" && apt-get download -q -o APT::Sandbox::User=root "$2=$3" >/dev/null)
    deb="$(cached_deb "$1" "$2" "$3")"
    [ -n "$deb" ] || die "apt-get download $2=$3 did not produce a .deb"
  else
    say "cached: $deb" >&2
  fi
  echo "$deb"
}
die() { printf 'fixtures:kernel: error: %s\n' "$*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FROM_SOURCE=0
for arg in "$@"; do
  case "$arg" in
    --from-source) FROM_SOURCE=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

META="${KERNEL_META:-linux-image-amd64}"
CACHE="${KERNEL_CACHE:-$ROOT/.cache/kernel}"
OUT="${OUT:-$ROOT/fixtures/kernel/layouts.json}"
PY=/usr/bin/python3   # Debian's own python3 (has lzma); not a pyenv/venv shim
START=$(date +%s)

[ -r /etc/debian_version ] || die "needs a Debian machine (apt-get, dpkg-deb)"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "run as root (apt-get install is needed)"
  SUDO="sudo"
fi

# --- 1. tools -----------------------------------------------------------------
need=()
command -v bpftool >/dev/null 2>&1 || need+=(bpftool)
[ -x "$PY" ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if ! apt-cache show "${need[0]}" >/dev/null 2>&1; then
    say "apt-get update (package lists are empty)"
    $SUDO apt-get update -qq
  fi
  say "apt-get install -y ${need[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
BPFTOOL_VERSION="$(bpftool version 2>/dev/null | head -n1)"
say "tool: $BPFTOOL_VERSION; python: $($PY --version 2>&1)"

# --- 2. resolve and download the image package ---------------------------------
if [ -z "${KERNEL_IMAGE:-}" ]; then
  if [ -z "$(apt-cache policy "$META" 2>/dev/null | awk '/Candidate:/ {print $2}')" ]; then
    say "apt-get update (no candidate for $META)"
    $SUDO apt-get update -qq
  fi
  KERNEL_IMAGE="$(apt-cache depends "$META" 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')"
  [ -n "$KERNEL_IMAGE" ] || die "cannot resolve $META to a versioned linux-image package"
  say "resolved $META -> $KERNEL_IMAGE"
fi
CANDIDATE="$(apt-cache policy "$KERNEL_IMAGE" | awk '/Candidate:/ {print $2}')"
[ -n "$CANDIDATE" ] && [ "$CANDIDATE" != "(none)" ] || die "$KERNEL_IMAGE has no candidate version"

mkdir -p "$CACHE"
DEB="$(fetch_deb "$CACHE" "$KERNEL_IMAGE" "$CANDIDATE")"
PKG_NAME="$(dpkg-deb -f "$DEB" Package)"
PKG_VERSION="$(dpkg-deb -f "$DEB" Version)"
DEB_SHA256="$(sha256sum "$DEB" | cut -d' ' -f1)"
say "package $PKG_NAME $PKG_VERSION sha256 $DEB_SHA256"

# --- 3. extract boot/vmlinuz + the two modules, recover vmlinux -----------------
WORK="$CACHE/${PKG_NAME}_${PKG_VERSION}"
if [ "$(cat "$WORK/.done" 2>/dev/null)" != "$DEB_SHA256" ]; then
  say "extracting vmlinuz, hv_netvsc.ko, hv_vmbus.ko from the .deb"
  rm -rf "$WORK"; mkdir -p "$WORK/x"
  dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$WORK/x" --wildcards \
    './boot/vmlinuz-*' '*/hv_netvsc.ko*' '*/hv_vmbus.ko*'
  for m in hv_netvsc hv_vmbus; do
    src="$(find "$WORK/x" -name "$m.ko*" | head -n1)"
    [ -n "$src" ] || die "$m.ko not in $PKG_NAME"
    case "$src" in
      *.ko) cp "$src" "$WORK/$m.ko" ;;
      *.ko.xz) xz -dc "$src" >"$WORK/$m.ko" ;;
      *.ko.zst) command -v zstd >/dev/null || $SUDO apt-get install -y -qq zstd >/dev/null
                zstd -qdc "$src" >"$WORK/$m.ko" ;;
      *.ko.gz) gzip -dc "$src" >"$WORK/$m.ko" ;;
      *) die "unexpected module file $src" ;;
    esac
    say "  ${src#"$WORK/x/"}"
  done
  VMLINUZ="$(find "$WORK/x/boot" -name 'vmlinuz-*' | head -n1)"
  [ -n "$VMLINUZ" ] || die "no boot/vmlinuz-* in $PKG_NAME"
  say "  ${VMLINUZ#"$WORK/x/"}"
  "$PY" scripts/btf-layouts.py vmlinux "$VMLINUZ" "$WORK/vmlinux"
  rm -rf "$WORK/x"
  echo "$DEB_SHA256" >"$WORK/.done"
else
  say "cached: $WORK/{vmlinux,hv_netvsc.ko,hv_vmbus.ko}"
fi

# --- 4. BTF dumps ---------------------------------------------------------------
say "bpftool btf dump (vmlinux, hv_netvsc.ko, hv_vmbus.ko split on vmlinux)"
bpftool -j btf dump file "$WORK/vmlinux" >"$WORK/vmlinux.btf.json"
for m in hv_netvsc hv_vmbus; do
  bpftool -j -B "$WORK/vmlinux" btf dump file "$WORK/$m.ko" >"$WORK/$m.btf.json"
done

# --- 5. name list ----------------------------------------------------------------
NAMES_ARGS=()
if [ "$FROM_SOURCE" = 1 ] && [ -z "${KERNEL_SRC:-}" ]; then
  SRCPKG="linux-source-$(echo "$PKG_VERSION" | cut -d. -f1-2)"
  SRCDIR="$CACHE/${SRCPKG}_${PKG_VERSION}"
  if [ ! -e "$SRCDIR/.done" ]; then
    SRCDEB="$(fetch_deb "$CACHE" "$SRCPKG" "$PKG_VERSION")"
    rm -rf "$SRCDIR"; mkdir -p "$SRCDIR"
    dpkg-deb --fsys-tarfile "$SRCDEB" | tar -x -C "$SRCDIR" --wildcards './usr/src/linux-source-*.tar.xz'
    TARBALL="$(find "$SRCDIR" -name 'linux-source-*.tar.xz' | head -n1)"
    say "extracting the Hyper-V headers from $(basename "$TARBALL")"
    tar -xJf "$TARBALL" -C "$SRCDIR" --wildcards --strip-components=1 \
      '*/include/linux/hyperv.h' '*/drivers/hv/hyperv_vmbus.h' \
      '*/drivers/net/hyperv/hyperv_net.h' '*/include/linux/rndis.h'
    rm -rf "$SRCDIR/usr"
    touch "$SRCDIR/.done"
  fi
  KERNEL_SRC="$SRCDIR"
fi
if [ -n "${KERNEL_SRC:-}" ]; then
  say "scanning headers under $KERNEL_SRC"
  "$PY" scripts/btf-layouts.py scan-headers "$KERNEL_SRC" >"$WORK/names.json"
  "$PY" scripts/btf-layouts.py diff-names "$WORK/names.json"
  NAMES_ARGS=(--names-json "$WORK/names.json")
else
  say "name list: committed list in scripts/btf-layouts.py (6.1 headers)"
fi

# --- 6. layouts.json --------------------------------------------------------------
"$PY" - "$WORK/source.json" "$PKG_NAME" "$PKG_VERSION" "$DEB_SHA256" "$BPFTOOL_VERSION" <<'EOF'
import json, sys
out, pkg, ver, sha, tool = sys.argv[1:]
json.dump({"package": pkg, "version": ver, "sha256": sha,
           "modules": ["hv_netvsc.ko", "hv_vmbus.ko"],
           "generated_by": "npm run fixtures:kernel", "tool": tool}, open(out, "w"))
EOF
mkdir -p "$(dirname "$OUT")"
"$PY" scripts/btf-layouts.py generate --check \
  --vmlinux-json "$WORK/vmlinux.btf.json" \
  --module "hv_netvsc.ko=$WORK/hv_netvsc.btf.json" \
  --module "hv_vmbus.ko=$WORK/hv_vmbus.btf.json" \
  --source-json "$WORK/source.json" "${NAMES_ARGS[@]}" --out "$OUT"

say "done in $(( $(date +%s) - START )) s: ${OUT#"$ROOT/"}"
