#!/usr/bin/env bash
# reprocheck digest and validate against images made by umoci, skopeo and
# buildah: the digests must agree with `skopeo inspect --raw`, with the
# blobs' own sha256 on disk and with expected.txt; each planted fault must
# make validate exit 1 and name the object; bad input must exit 2.
. "$(dirname "$0")/lib.sh"

require_cli_command digest
require_cli_command validate
use_fixtures


# Prints a field of each layer of the first image, one a line.
layer_fields() {
  python3 -c 'import json,sys
for layer in json.load(sys.stdin)["images"][0]["layers"]: print(layer[sys.argv[1]])' "$1"
}

check_fixture_digests() {
  local name=$1 spec manifest skopeo_manifest expected_layers actual_layers
  spec=$(fixture_spec "$name")
  run_cli digest --json "$spec"
  expect_status 0
  manifest=$(json_get images 0 manifest digest <<<"$CLI_STDOUT")
  expect_eq "$manifest" "$(fixture_value "$name" manifest)" "$name manifest digest"
  expect_eq "$(json_get images 0 config digest <<<"$CLI_STDOUT")" \
    "$(fixture_value "$name" config)" "$name config digest"
  expect_eq "$(json_get status <<<"$CLI_STDOUT")" "pass" "$name top-level status"

  # skopeo reads the same source now, independently of expected.txt.
  skopeo_manifest=$(skopeo inspect --raw "$spec" | sha256_of)
  expect_eq "$manifest" "$skopeo_manifest" "$name manifest digest against skopeo inspect --raw"

  expected_layers=$(fixture_values "$name" layer | cut -d' ' -f1)
  actual_layers=$(layer_fields digest <<<"$CLI_STDOUT")
  expect_eq "$actual_layers" "$expected_layers" "$name layer digests"
  expect_eq "$(layer_fields diffId <<<"$CLI_STDOUT")" "$(fixture_values "$name" diff_id)" \
    "$name diff_ids"
  expect_eq "$(layer_fields size <<<"$CLI_STDOUT")" \
    "$(fixture_values "$name" layer | cut -d' ' -f2)" "$name layer sizes"

  run_cli validate "$spec"
  expect_status 0
  expect_stdout_contains "$manifest  valid: "
}

for name in umoci oci-archive docker-archive zstd buildah; do
  if ! fixture_has "$name"; then
    echo "note: no '$name' fixture was made, so its checks are skipped"
    continue
  fi
  check_fixture_digests "$name"
done

# The blobs on disk hash to the digests reprocheck prints for a layout.
run_cli digest --json "$(fixture_spec umoci)"
for digest in $(layer_fields digest <<<"$CLI_STDOUT"); do
  expect_eq "$(sha256_of "$(blob_path "$FIXTURES/umoci" "$digest")")" "$digest" \
    "umoci layer blob on disk"
done

# The text form prints the same digests.
run_cli digest "$(fixture_spec umoci)"
expect_status 0
expect_stdout_contains "manifest $(fixture_value umoci manifest)  application/vnd.oci.image.manifest.v1+json"
expect_stdout_contains "         diff_id $(fixture_values umoci diff_id | head -n 1)"

# Progress: nothing on stderr when it is not a terminal, a redrawn line on
# a terminal (script(1) gives the command a pseudo-terminal), and one log
# line per layer with -v.
run_cli validate "$(fixture_spec umoci)"
expect_eq "$CLI_STDERR" "" "stderr of validate when it is not a terminal"
if command -v script >/dev/null; then
  on_terminal=$(script -qec "'$REPRO_BIN' validate '$(fixture_spec umoci)'" /dev/null | tr '\r' '\n')
  grep -q "reading layer 2/2: 0.0 of 0.0 MiB" <<<"$on_terminal" && pass ||
    fail "no progress line on a terminal: $on_terminal"
fi
run_cli -v digest "$(fixture_spec umoci)"
expect_status 0
expect_stderr_line "^reprocheck: read layer 1/2: 404 bytes$"
expect_stderr_line "^reprocheck: read layer 2/2: 345 bytes$"

# A multi-platform index: default platform, one platform, all platforms.
multi=$(fixture_spec multi)
run_cli digest --json "$multi"
expect_status 0
expect_eq "$(json_get images 0 platform <<<"$CLI_STDOUT")" "linux/amd64" "multi default platform"
expect_eq "$(json_get images 0 index <<<"$CLI_STDOUT")" "$(fixture_value multi index)" \
  "multi index digest"
run_cli digest --json --platform linux/arm64 "$multi"
expect_status 0
expect_eq "$(json_get images 0 platform <<<"$CLI_STDOUT")" "linux/arm64" "multi arm64 platform"
expect_eq "$(json_get images 0 manifest digest <<<"$CLI_STDOUT")" \
  "$(fixture_values multi child | awk '$2 == "linux/arm64" { print $1 }')" "multi arm64 manifest"
run_cli digest --json --all-platforms "$multi"
expect_status 0
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))' <<<"$CLI_STDOUT")" \
  "2" "multi image count without the attestation"
run_cli validate --all-platforms "$multi"
expect_status 0
run_cli digest --platform linux/s390x "$multi"
expect_status 2
expect_stderr_line "linux/s390x"

# umoci 0.4.7 insert writes a tar without end-of-archive blocks: invalid.
run_cli validate "$(fixture_spec umoci-insert)"
expect_status 1
expect_stdout_contains "format: layer 0 ($(fixture_value umoci-insert layer | cut -d' ' -f1))"

# Planted faults: validate exits 1 and names the object and both values.
first_layer=$(fixture_values umoci layer | head -n 1 | cut -d' ' -f1)
first_diff_id=$(fixture_values umoci diff_id | head -n 1)

layout=$(fixture_corrupt flip-byte)
run_cli validate --json "oci:$layout:v1"
expect_status 1
expect_eq "$(json_get status <<<"$CLI_STDOUT")" "fail" "flip-byte top-level status"
expect_eq "$(json_get images 0 status <<<"$CLI_STDOUT")" "invalid" "flip-byte image status"
expect_stdout_contains "layer 0 ($first_layer)"
run_cli digest "oci:$layout:v1"
expect_status 1
expect_stderr_line "layer 0 \($first_layer\)"

layout=$(fixture_corrupt truncate-blob)
run_cli validate --json "oci:$layout:v1"
expect_status 1
expect_eq "$(json_get images 0 problems 0 check <<<"$CLI_STDOUT")" "size" "truncated blob check"
expect_stdout_contains "layer 0 ($first_layer)"

layout=$(fixture_corrupt wrong-diffid)
run_cli validate --json "oci:$layout:v1"
expect_status 1
expect_eq "$(json_get images 0 problems 0 check <<<"$CLI_STDOUT")" "diff_id" "wrong diff_id check"
expect_eq "$(json_get images 0 problems 0 actual <<<"$CLI_STDOUT")" "$first_diff_id" \
  "wrong diff_id: the computed value"
expect_ne "$(json_get images 0 problems 0 expected <<<"$CLI_STDOUT")" "$first_diff_id" \
  "wrong diff_id: the planted value"

layout=$(fixture_corrupt wrong-size)
run_cli validate --json "oci:$layout:v1"
expect_status 1
expect_eq "$(json_get images 0 problems 0 check <<<"$CLI_STDOUT")" "size" "wrong size check"

layout=$(fixture_corrupt traversal)
run_cli validate "oci:$layout:v1"
expect_status 1
expect_stdout_contains "unsafe_path: "
expect_stdout_contains "../evil"

layout=$(fixture_corrupt duplicate-path)
run_cli validate --json "oci:$layout:v1"
expect_status 1
expect_stdout_contains '"check":"duplicate_path"'

layout=$(fixture_corrupt bomb)
run_cli validate --max-layer-size 64M "oci:$layout:v1"
expect_status 2
expect_stderr_line "67108864"
expect_stderr_line "raise the limit with --max-layer-size$"
run_cli digest --max-layer-size 64M "oci:$layout:v1"
expect_status 2

layout=$(fixture_corrupt malformed-json)
run_cli validate "oci:$layout:v1"
expect_status 2
expect_stderr_line "index.json"

# Help names every option with what it sets.
run_cli help digest
expect_status 0
expect_stdout_contains "  --max-layer-size SIZE   stop reading a layer that inflates to more than SIZE"
expect_stdout_contains "  --all-platforms         every platform image of an index, attestations excepted"
run_cli help verify
expect_stdout_contains "  --published SRC   the published image, read to explain a mismatch file by file;"

# Bad input: one line naming the value, exit status 2.
run_cli digest "oci:$TEST_TMP/missing:v1"
expect_status 2
expect_stderr_line "^reprocheck: '$TEST_TMP/missing' not found: expected an OCI image layout directory$"
run_cli digest "docker-archive:$FIXTURES/umoci-oci.tar"
expect_status 2
expect_stderr_line "is an OCI archive, not a docker-archive: read it as 'oci-archive:$FIXTURES/umoci-oci.tar'"
run_cli --bogus digest "$(fixture_spec umoci)"
expect_status 2
expect_stderr_line "^reprocheck: unknown global option '--bogus'"
run_cli digest "floppy:/dev/fd0"
expect_status 2
expect_stderr_line "unknown source type 'floppy'"
mkdir "$TEST_TMP/not-a-layout"
run_cli validate "oci:$TEST_TMP/not-a-layout"
expect_status 2
expect_stderr_line "not an OCI image layout"
run_cli digest
expect_status 2
expect_stderr_line "missing SOURCE"
run_cli digest --max-layer-size 12Q "$(fixture_spec umoci)"
expect_status 2
expect_stderr_line "invalid --max-layer-size '12Q'"
run_cli digest --platform LINUX "$(fixture_spec umoci)"
expect_status 2

# An index.json whose digest names an unsupported algorithm.
cp -R "$FIXTURES/umoci" "$TEST_TMP/md5"
python3 - "$TEST_TMP/md5/index.json" <<'PY'
import json, sys
path = sys.argv[1]
index = json.load(open(path))
index["manifests"][0]["digest"] = "md5:d41d8cd98f00b204e9800998ecf8427e"
json.dump(index, open(path, "w"))
PY
run_cli validate "oci:$TEST_TMP/md5:v1"
expect_status 2
expect_stderr_line "unsupported digest algorithm 'md5'"
