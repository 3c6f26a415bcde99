#!/usr/bin/env bash
# Times building one layer from a tree of 20,000 real files (about 200 MiB)
# with reprocheck's deterministic layer writer, against the tar and gzip
# pipeline that gives the same kind of layer:
#   tar --sort=name --mtime=@N --owner=0 --group=0 --numeric-owner | gzip -n
# Both run in the same invocation, best of REPRO_BENCH_RUNS (default 3).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${REPRO_BUILD_DIR:-$root/build-bench}
runs=${REPRO_BENCH_RUNS:-3}
file_count=${REPRO_BENCH_FILES:-20000}
target_mib=${REPRO_BENCH_TREE_MIB:-200}
epoch=1700000000

if [ ! -x "$build/bench_layer_write" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j 2 --target bench_layer_write >/dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/reprocheck-bench-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Small files first, in path order, then larger ones until the tree reaches
# its size; the mix resembles an application's installed files.
find /usr/share /usr/lib -xdev -type f -readable -size -2M -printf '%s\t%p\n' 2>/dev/null |
  sort -t "$(printf '\t')" -k2 >"$work/candidates" || true
awk -F '\t' -v count="$file_count" -v limit=$((target_mib << 20)) '
  $1 < 16384 && small < count - 3000 { small++; total += $1; print $2; next }
  $1 >= 16384 { large[++n] = $1 "\t" $2 }
  END {
    for (i = 1; i <= n && small + picked < count; i++) {
      split(large[i], part, "\t")
      if (total >= limit) break
      total += part[1]; picked++; print part[2]
    }
  }' "$work/candidates" >"$work/files"
mkdir "$work/tree"
tar -cf - --files-from="$work/files" 2>/dev/null | tar -C "$work/tree" -xf - || true
files=$(find "$work/tree" -type f | wc -l)
bytes=$(du -sb "$work/tree" | cut -f1)
echo "bench_build: tree of $files files, $bytes bytes" >&2

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

writer=$(best_of "$build/bench_layer_write" "$work/tree" "$epoch" "$work/layer.tar.gz")
pipeline=$(best_of sh -c 'tar -C "$1" --sort=name --mtime=@"$2" --owner=0 --group=0 \
  --numeric-owner -cf - . | gzip -n > "$3"' sh "$work/tree" "$epoch" "$work/pipeline.tar.gz")

ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2f", a / b }'; }
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "tree: $files files, $bytes bytes"
printf '%-58s %8s %10s %8s\n' command seconds peak_KiB ratio
printf '%-58s %8s %10s %8s\n' "bench_layer_write (reprocheck layer writer)" ${writer} \
  "$(ratio "$writer" "$pipeline")"
printf '%-58s %8s %10s %8s\n' "tar --sort=name --mtime --owner=0 ... | gzip -n" ${pipeline} 1.00
