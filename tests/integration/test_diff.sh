#!/usr/bin/env bash
# reprocheck diff through the CLI: exact output lines and exit statuses on
# image pairs from make-diff-fixtures.sh, --semantic and --ignore, --json,
# an umoci image against the same tree built by reprocheck, and bad input.
. "$(dirname "$0")/lib.sh"

require_cli_command diff
require_program python3 umoci git

fx=$TEST_TMP/fx
REPRO_BIN=$REPRO_BIN bash "$FIXTURE_SCRIPTS/make-diff-fixtures.sh" "$fx" \
  || { fail "make-diff-fixtures.sh failed"; exit 1; }

# Runs diff on case CASE with extra ARGS.
diff_case() {
  local name=$1; shift
  run_cli diff "oci:$fx/$name/a" "oci:$fx/$name/b" "$@"
}

expect_stdout() {
  expect_eq "$CLI_STDOUT" "$1" "stdout of 'reprocheck $CLI_ARGS'"
}

# identical images: one manifest digest, so no blob is read, and the
# summary says so
run_cli diff "oci:$fx/gzip-level/a" "oci:$fx/gzip-level/a"
expect_status 0
expect_stdout "no differences
1 layer with the same digest in both images was not read; 'reprocheck validate' checks that blobs match their digests"

# an unclamped mtime, with its hint
diff_case mtime-unclamped
expect_status 1
expect_stdout "OBJECT   PATH          FIELD  A                     B
layer 0  etc/app.conf  mtime  2023-11-14T22:13:20Z  2023-11-14T23:13:20Z
  hint: the mtime in image B is later than image A's created time 2023-11-14T22:13:20Z: a file written during the build was not clamped to SOURCE_DATE_EPOCH
1 difference"

# --semantic and --ignore count what they drop, and the status follows the rest
diff_case mtime-unclamped --semantic
expect_status 0
expect_stdout "no differences
1 difference ignored: 1 mtime"
diff_case mtime-unclamped --ignore mtime
expect_status 0
expect_stdout "no differences
1 difference ignored: 1 mtime"
diff_case order-reversed --ignore file-order
expect_status 0
expect_stdout "no differences
1 difference ignored: 1 file-order"
diff_case build-path --ignore 'etc/build-*'
expect_status 0
expect_stdout "no differences
2 differences ignored: 2 etc/build-*"
diff_case xattr-one-side --semantic
expect_status 1
expect_stdout_contains "layer 0  usr/bin/app  xattr.user.origin  -  build-host"
expect_stdout_contains "1 difference ignored: 1 tar-format"

# configs and compression
diff_case config-created
expect_status 1
expect_stdout_contains "config  created             value  2023-11-14T22:13:20Z  2024-01-02T03:04:05Z"
expect_stdout_contains "  hint: the image creation time differs: if both images come from one commit, the build did not set it from SOURCE_DATE_EPOCH"
diff_case hardlink-chain
expect_status 1
expect_stdout_contains "layer 0  data/c  hardlink  data/a  data/b"
diff_case layer-count
expect_status 1
expect_stdout_contains "the layer counts differ (1 and 2): the squashed file trees were compared too"
expect_stdout_contains "squashed  etc/hosts           removed  regular"

# --json
diff_case gzip-level --json
expect_status 1
expect_eq "$(python3 -c 'import json,sys; d=json.load(sys.stdin); x=d["differences"][0]
print(d["status"], d["identical"], x["object"], x["field"], x["a"], x["b"], d["a"]["platform"])' \
  <<<"$CLI_STDOUT")" "fail False layer 0 gzip.xfl 4 2 linux/amd64" "diff --json fields"
diff_case gzip-level --json --ignore compression
expect_status 0
expect_eq "$(python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["status"], d["identical"], d["ignored"])' <<<"$CLI_STDOUT")" \
  "pass True {'total': 1, 'counts': {'compression': 1}}" "diff --json ignored counts"

# umoci against reprocheck's writer: the same files, other image metadata
diff_case umoci-writer
expect_status 1
expect_stdout_contains "layer 0   /                      removed  directory  -"
expect_stdout_contains "config    history[0].created_by  value    tree       reprocheck: recipe layer copy"
expect_stdout_contains "4 differences"
diff_case umoci-writer --semantic --ignore annotations
expect_status 1
expect_stdout_contains "2 differences ignored: 1 history, 1 annotations"

# bad input
run_cli diff "oci:$fx/missing" "oci:$fx/gzip-level/a"
expect_status 2
expect_stderr_line "^reprocheck: .*missing"
run_cli diff "oci:$fx/missing" "oci:$fx/gzip-level/a" --json
expect_status 2
expect_eq "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <<<"$CLI_STDOUT")" \
  "error" "diff --json status on a missing source"
diff_case gzip-level --ignore bogus
expect_status 2
expect_stderr_line "^reprocheck: unknown --ignore name 'bogus'"
run_cli diff "oci:$fx/gzip-level/a"
expect_status 2
expect_stderr_line "expected two sources"
diff_case gzip-level --platform linux/arm64
expect_status 2
