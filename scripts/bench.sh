#!/usr/bin/env bash
# Runs every benchmark and prints its table; docs/BENCHMARKS.md records the
# results with the machine they were measured on. Each benchmark measures
# its peer tools in the same run, so the ratios compare like with like.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
echo "== layer reading: reprocheck digest and validate against openssl, igzip and coreutils"
bash "$here/bench_layer.sh"
echo "== layer building: reprocheck layer writer against tar --sort=name | gzip -n"
bash "$here/bench_build.sh"
echo "== diff: reprocheck diff against diffoscope on a 1 GiB layer that differs in one file"
bash "$here/bench_diff.sh"
echo "== registry checks: reprocheck registry against skopeo inspect"
bash "$here/bench_registry.sh"
