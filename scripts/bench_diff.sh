#!/usr/bin/env bash
# Times `reprocheck diff` on two images whose one layer (about 1 GiB of
# files) differs in a single file, and diffoscope on the same two layer
# tars, in the same run. Each tool runs once under GNU time for its wall
# time and peak RSS (%M). diffoscope gets REPRO_BENCH_TIMEOUT seconds
# (default 600); when it is missing it is installed with apt-get, and when
# it cannot be installed or does not finish in time, that is printed
# instead of its numbers.
#
# The layer holds REPRO_BENCH_MIB (default 1024) files of 1 MiB, half
# random bytes and half text, tarred with GNU tar (--sort=name, fixed
# mtime and owner) and compressed with `gzip -n -1`.
#
# Environment: REPRO_BUILD_DIR (default build-bench, built in release mode
# when missing), REPRO_BENCH_DIR (work folder, default a temporary one,
# removed at exit unless given), REPRO_BENCH_MIB, REPRO_BENCH_TIMEOUT.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${REPRO_BUILD_DIR:-$root/build-bench}
files=${REPRO_BENCH_MIB:-1024}
limit=${REPRO_BENCH_TIMEOUT:-600}

for tool in tar gzip python3 timeout /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench_diff: missing $tool; run scripts/install-deps.sh" >&2; exit 2; }
done

if [ ! -x "$build/reprocheck" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j 2 --target reprocheck >/dev/null
fi

if [ -n "${REPRO_BENCH_DIR:-}" ]; then
  work=$REPRO_BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/reprocheck-bench-diff.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# Writes an OCI layout DIR with the one gzip layer BLOB, streaming the blob.
make_layout() {
  python3 - "$1" "$2" "$3" <<'EOF'
import hashlib, json, os, shutil, sys
out, blob, tar = sys.argv[1:4]
def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + d[7:], "wb").write(data)
    return {"digest": d, "size": len(data)}
layer = digest(blob)
shutil.copyfile(blob, out + "/blobs/sha256/" + layer[7:])
config = json.dumps({"created": "2023-11-14T22:13:20Z", "architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [digest(tar)]}}).encode()
manifest = json.dumps({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **put(config)),
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer,
                "size": os.path.getsize(blob)}]}).encode()
index = {"schemaVersion": 2, "manifests": [dict(
    mediaType="application/vnd.oci.image.manifest.v1+json", **put(manifest))]}
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(out + "/index.json", "w").write(json.dumps(index))
EOF
}

if [ ! -f "$work/b/index.json" ]; then
  echo "bench_diff: writing $files MiB of files and two layers" >&2
  mkdir -p "$work/tree"
  python3 -c 'import sys; sys.stdout.write("a line of text for the diff benchmark\n" * 13798)' \
    | head -c 524288 >"$work/text"
  for ((i = 0; i < files; i++)); do
    dir=$work/tree/d$((i / 64))
    mkdir -p "$dir"
    { head -c 524288 /dev/urandom; cat "$work/text"; } >"$dir/f$i"
  done
  rm -f "$work/text"
  tar_opts=(--sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner --format=ustar)
  tar -C "$work/tree" "${tar_opts[@]}" -cf "$work/a.tar" .
  printf 'changed\n' >"$work/tree/d0/f1"
  tar -C "$work/tree" "${tar_opts[@]}" -cf "$work/b.tar" .
  rm -rf "$work/tree"
  gzip -n -1 -c "$work/a.tar" >"$work/a.tar.gz"
  gzip -n -1 -c "$work/b.tar" >"$work/b.tar.gz"
  make_layout "$work/a" "$work/a.tar.gz" "$work/a.tar"
  make_layout "$work/b" "$work/b.tar.gz" "$work/b.tar"
  rm -f "$work/a.tar.gz" "$work/b.tar.gz"
fi

# Runs a command under GNU time; prints "SECONDS PEAK_KIB STATUS".
measure() {
  local status=0
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || status=$?
  echo "$(tail -n 1 "$work/time.txt") $status"
}

read -r repro_s repro_kib repro_status < <(measure "$build/reprocheck" diff "oci:$work/a" "oci:$work/b")
echo "reprocheck diff: ${repro_s} s, peak ${repro_kib} KiB, exit $repro_status"
grep -E '^layer 0 ' "$work/out.txt" | head -n 3

if ! command -v diffoscope >/dev/null; then
  echo "bench_diff: installing diffoscope" >&2
  if ! timeout "$limit" apt-get install -y -qq --no-install-recommends diffoscope >/dev/null 2>&1; then
    echo "diffoscope: could not be installed"
    exit 0
  fi
fi
read -r dos_s dos_kib dos_status < <(measure timeout "$limit" diffoscope --no-progress \
  --text "$work/diffoscope.txt" "$work/a.tar" "$work/b.tar")
if [ "$dos_status" -eq 124 ]; then
  echo "diffoscope: did not finish within $limit s"
  exit 0
fi
echo "diffoscope $(diffoscope --version | cut -d' ' -f2): ${dos_s} s, peak ${dos_kib} KiB, exit $dos_status"
python3 -c "import sys; r, d = float(sys.argv[1]), float(sys.argv[2]); print(f'time ratio diffoscope/reprocheck: {d / r:.1f}' if r > 0 else 'reprocheck took < 0.01 s')" \
  "$repro_s" "$dos_s"
