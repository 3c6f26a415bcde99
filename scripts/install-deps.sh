#!/usr/bin/env bash
# Installs the Debian packages that building, testing and benchmarking
# reprocheck need. Quiet and quick when everything is already present.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang
  libgit2-dev libarchive-dev libssl-dev libjansson-dev libcurl4-openssl-dev
  libyaml-dev libisal-dev libcunit1-dev zlib1g-dev libzstd-dev libxxhash-dev
  # tests: peer tools, the reference registry and its helpers
  git skopeo umoci buildah docker-registry apache2-utils openssl curl
  uidmap util-linux iproute2 python3 tar gzip zstd
  # reprocheck vary: libfaketime shifts the clock of the varied build
  faketime libfaketime
  # benchmarks
  isal time hyperfine
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 2
  fi
else
  sudo=()
fi

echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
