#!/usr/bin/env bash
# Times the layer reader on one gzip layer of real files against the shell
# pipelines that compute the same two digests:
#   openssl dgst -sha256 BLOB; igzip -dc BLOB | openssl dgst -sha256
#   sha256sum BLOB;            gzip -dc BLOB | sha256sum
# The layer is about 768 MiB of files copied from /usr/lib and /usr/share,
# tarred and compressed with `gzip -n`, inside an OCI layout. Each command
# runs REPRO_BENCH_RUNS times (default 3) on a warm page cache. The script
# prints the best wall time, its peak RSS (GNU time %M) and the ratios.
#
# Environment: REPRO_BUILD_DIR (default build-bench, built in release mode
# when missing), REPRO_BENCH_DIR (work folder, default a temporary one,
# removed at exit unless given), REPRO_BENCH_MIB (default 768).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${REPRO_BUILD_DIR:-$root/build-bench}
runs=${REPRO_BENCH_RUNS:-3}
target_mib=${REPRO_BENCH_MIB:-768}

for tool in igzip openssl gzip sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench_layer: missing $tool; run scripts/install-deps.sh" >&2; exit 2; }
done

if [ ! -x "$build/bench_layer_read" ] || [ ! -x "$build/reprocheck" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j 2 --target bench_layer_read reprocheck >/dev/null
fi

if [ -n "${REPRO_BENCH_DIR:-}" ]; then
  work=$REPRO_BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/reprocheck-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

layout=$work/layout
if [ ! -f "$layout/index.json" ]; then
  echo "bench_layer: copying ${target_mib} MiB of files from /usr/lib and /usr/share" >&2
  rm -rf "$work/tree" "$layout"
  mkdir -p "$work/tree" "$layout/blobs/sha256"
  find /usr/lib /usr/share -xdev -type f -readable -size -256M -printf '%s\t%p\n' \
    2>/dev/null > "$work/candidates" || true
  sort -t "$(printf '\t')" -k2 "$work/candidates" |
    awk -F '\t' -v limit=$((target_mib << 20)) \
      '{ if (total < limit) { total += $1; print $2 } }' > "$work/files"
  # A file that cannot be read is left out; the layer is still about the size asked for.
  tar -cf - --files-from="$work/files" 2>/dev/null | tar -C "$work/tree" -xf - || true
  tar -C "$work/tree" --sort=name -cf - . | gzip -n > "$work/layer.tar.gz"
  rm -rf "$work/tree"

  layer_digest=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
  diff_id=$(gzip -dc "$work/layer.tar.gz" | sha256sum | cut -d' ' -f1)
  layer_size=$(stat -c %s "$work/layer.tar.gz")
  mv "$work/layer.tar.gz" "$layout/blobs/sha256/$layer_digest"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$diff_id" > "$work/config.json"
  config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  config_size=$(stat -c %s "$work/config.json")
  mv "$work/config.json" "$layout/blobs/sha256/$config_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" > "$work/manifest.json"
  manifest_digest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
  manifest_size=$(stat -c %s "$work/manifest.json")
  mv "$work/manifest.json" "$layout/blobs/sha256/$manifest_digest"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
    "$manifest_digest" "$manifest_size" > "$layout/index.json"
fi

blob=$(ls -S "$layout"/blobs/sha256/* | head -1)
cat "$blob" > /dev/null
echo "bench_layer: blob $(basename "$blob"), $(stat -c %s "$blob") bytes" >&2

# Prints "SECONDS KIB" for the best of $runs runs of the command.
best_of() {
  local best="" line
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>&1
    line=$(tail -1 "$work/time")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best=$line
    fi
  done
  echo "$best"
}

reader=$(best_of "$build/bench_layer_read" "$blob")
reader_contents=$(best_of "$build/bench_layer_read" "$blob" --hash-contents)
cli_digest=$(best_of "$build/reprocheck" digest "oci:$layout:bench")
cli_validate=$(best_of "$build/reprocheck" validate "oci:$layout:bench")
openssl_igzip=$(best_of sh -c 'openssl dgst -sha256 "$1"; igzip -dc "$1" | openssl dgst -sha256' sh "$blob")
coreutils_gzip=$(best_of sh -c 'sha256sum "$1"; gzip -dc "$1" | sha256sum' sh "$blob")

ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2f", a / b }'; }

echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
printf '%-46s %8s %10s %8s\n' command seconds peak_KiB ratio
printf '%-46s %8s %10s %8s\n' "bench_layer_read" ${reader} "$(ratio "$reader" "$openssl_igzip")"
printf '%-46s %8s %10s %8s\n' "bench_layer_read --hash-contents" ${reader_contents} \
  "$(ratio "$reader_contents" "$openssl_igzip")"
printf '%-46s %8s %10s %8s\n' "reprocheck digest" ${cli_digest} "$(ratio "$cli_digest" "$openssl_igzip")"
printf '%-46s %8s %10s %8s\n' "reprocheck validate" ${cli_validate} "$(ratio "$cli_validate" "$openssl_igzip")"
printf '%-46s %8s %10s %8s\n' "openssl dgst + igzip -dc | openssl dgst" ${openssl_igzip} 1.00
printf '%-46s %8s %10s %8s\n' "sha256sum + gzip -dc | sha256sum" ${coreutils_gzip} \
  "$(ratio "$coreutils_gzip" "$openssl_igzip")"
