#!/bin/bash
# Installs what Plinth needs to build and test on Debian 12. Quiet when all is there,
# so `make check` stays fast on a machine that has run it before.
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config libglib2.0-dev libostree-dev libcurl4-openssl-dev
  libsystemd-dev libarchive-dev libgpgme-dev libjson-c-dev librpm-dev libsolv-dev
  libsolvext-dev
  # tools the tests drive: real ostree, rpm, repos, HTTP server, keys
  ostree rpm createrepo-c nginx gnupg dnf libcap2-bin attr zstd dbus python3
  busybox-static file curl cpio bc openssl
  # plinth-provision's Azure test builds OVF media (ISO 9660)
  genisoimage
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
