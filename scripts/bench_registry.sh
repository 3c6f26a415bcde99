#!/usr/bin/env bash
# Times `reprocheck registry` over a digest list of REPRO_BENCH_IMAGES
# images (default 50) on a local docker-registry (scripts/registry.sh: TLS
# and htpasswd auth) against the same check done with one `skopeo inspect
# --raw` per image, its sha256 compared with the listed manifest digest, in
# the same run. Each side runs REPRO_BENCH_RUNS times (default 3); the best
# wall time and the ratio skopeo / reprocheck are printed.
#
# The images are the umoci fixture pushed to bench/image-N:v1, so every
# check reads one manifest of the same size. skopeo checks only the
# manifest digest; reprocheck also parses the manifest and compares the
# config digest.
#
# Environment: REPRO_BUILD_DIR (default build-bench, built in release mode
# when missing), REPRO_BENCH_IMAGES, REPRO_BENCH_RUNS.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${REPRO_BUILD_DIR:-$root/build-bench}
images=${REPRO_BENCH_IMAGES:-50}
runs=${REPRO_BENCH_RUNS:-3}

for tool in docker-registry skopeo umoci htpasswd openssl curl python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "bench_registry: missing $tool; run scripts/install-deps.sh" >&2; exit 2; }
done
if [ ! -x "$build/reprocheck" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j 2 --target reprocheck >/dev/null
fi
reprocheck=$build/reprocheck

work=$(mktemp -d "${TMPDIR:-/tmp}/reprocheck-bench-registry.XXXXXX")
cleanup() {
  [ ! -f "$work/registry/env" ] || bash "$root/scripts/registry.sh" stop "$work/registry"
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/fixtures/scripts/make-images.sh" "$work/fixtures"
bash "$root/scripts/registry.sh" start "$work/registry"
# shellcheck source=/dev/null
. "$work/registry/env"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY_HOST" \
  "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)" >"$work/config.json"
global=(--registry-config "$work/config.json" --ca-file "$REGISTRY_CA")

manifest=$(awk '$1 == "umoci" && $2 == "manifest" {print $3}' "$work/fixtures/expected.txt")
config=$(awk '$1 == "umoci" && $2 == "config" {print $3}' "$work/fixtures/expected.txt")
{
  echo '{"schemaVersion": 1, "releases": [{"tag": "v1", "commit": "'"$(printf '%040d' 0)"'",'
  echo ' "sourceDateEpoch": 1700000000, "images": ['
  for ((i = 0; i < images; i++)); do
    "$reprocheck" "${global[@]}" -q push "oci:$work/fixtures/umoci:v1" \
      "$REGISTRY_HOST/bench/image-$i:v1" >/dev/null
    [ "$i" -eq 0 ] || echo ','
    echo '{"name": "image-'"$i"'", "reference": "'"$REGISTRY_HOST/bench/image-$i"'",'
    echo ' "platforms": [{"platform": "linux/amd64", "manifest": "'"$manifest"'",'
    echo ' "config": "'"$config"'", "layers": []}]}'
  done
  echo ']}]}'
} >"$work/digests.json"

skopeo_check() {
  local i digest
  for ((i = 0; i < images; i++)); do
    digest=sha256:$(skopeo inspect --raw --cert-dir "$REGISTRY_CERT_DIR" \
      --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "docker://$REGISTRY_HOST/bench/image-$i:v1" |
      sha256sum | cut -c1-64)
    [ "$digest" = "$manifest" ] || { echo "bench_registry: skopeo read $digest for image-$i" >&2; return 1; }
  done
}

reprocheck_check() {
  "$reprocheck" "${global[@]}" registry --digests "$work/digests.json" >/dev/null
}

best_time() {
  local best='' run start elapsed
  for ((run = 0; run < runs; run++)); do
    start=$(date +%s%N)
    "$@"
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$best" ] || [ "$elapsed" -lt "$best" ]; then best=$elapsed; fi
  done
  echo "$best"
}

reprocheck_ms=$(best_time reprocheck_check)
skopeo_ms=$(best_time skopeo_check)
python3 - "$images" "$runs" "$reprocheck_ms" "$skopeo_ms" <<'PY'
import sys
images, runs, ours, theirs = (int(value) for value in sys.argv[1:])
print(f"| command | images | best ms of {runs} | ms per image |")
print("|---|---|---|---|")
print(f"| reprocheck registry | {images} | {ours} | {ours / images:.1f} |")
print(f"| skopeo inspect --raw, one per image | {images} | {theirs} | {theirs / images:.1f} |")
print(f"ratio skopeo / reprocheck: {theirs / max(ours, 1):.1f}")
PY
