#!/usr/bin/env bash
# reprocheck against real registries and a lying one: push and read with
# skopeo both ways over TLS with Basic and Bearer auth, the registry command
# on a digest list, each client guard against a server that lies, and bad
# input (unreachable host, wrong credentials, unknown repository or tag).
. "$(dirname "$0")/lib.sh"

require_cli_command push
require_cli_command registry
require_program docker-registry htpasswd openssl curl
use_fixtures

registry_script=$REPRO_SOURCE_DIR/scripts/registry.sh
lying_server=$REPRO_SOURCE_DIR/tests/integration/lying_registry.py

start_registry() {
  local mode=$1 dir=$2
  bash "$registry_script" "$mode" "$dir"
  on_exit stop_if_running "$dir"
  # shellcheck source=/dev/null
  . "$dir/env"
}

stop_if_running() {
  [ ! -f "$1/env" ] || bash "$registry_script" stop "$1"
}

json_get() {
  python3 -c 'import json,sys
value=json.load(sys.stdin)
for key in sys.argv[1:]: value=value[int(key) if key.isdigit() else key]
print(value if not isinstance(value, (list, dict)) else json.dumps(value))' "$@"
}

skopeo_digest() {
  skopeo inspect --raw --cert-dir "$REGISTRY_CERT_DIR" \
    --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "docker://$1" | sha256_of
}

# Fails when the password or the Basic auth string shows in the last output.
expect_no_secret() {
  local what=$1 secret
  for secret in "$REGISTRY_PASSWORD" "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)"; do
    if grep -qF -- "$secret" <<<"$CLI_STDOUT$CLI_STDERR"; then
      fail "$what: a secret appears in the output"
    else
      pass
    fi
  done
}

umoci_manifest=$(fixture_value umoci manifest)
multi_index=$(fixture_value multi index)

# --- Basic auth, credentials from a Docker config ---------------------------
start_registry start "$TEST_TMP/basic"
host=$REGISTRY_HOST
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$host" \
  "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)" >"$TEST_TMP/config.json"
global=(--registry-config "$TEST_TMP/config.json" --ca-file "$REGISTRY_CA")

run_cli "${global[@]}" push "$(fixture_spec umoci)" "$host/acme/umoci:v1.0.0"
expect_status 0
expect_eq "$CLI_STDOUT" "$host/acme/umoci@$umoci_manifest" "push output"
expect_eq "$(skopeo_digest "$host/acme/umoci:v1.0.0")" "$umoci_manifest" "skopeo reads the pushed manifest"

run_cli "${global[@]}" push --json "$(fixture_spec multi)" "$host/acme/multi:v1.0.0"
expect_status 0
expect_eq "$(json_get digest <<<"$CLI_STDOUT")" "$multi_index" "push --json index digest"
expect_eq "$(skopeo_digest "$host/acme/multi:v1.0.0")" "$multi_index" "skopeo reads the pushed index"

# A second push skips every blob; a push to another repository mounts them.
run_cli "${global[@]}" push --json "$(fixture_spec umoci)" "$host/acme/umoci:again"
expect_eq "$(json_get blobs <<<"$CLI_STDOUT")" '{"uploaded": 0, "skipped": 3, "mounted": 0}' "second push skips blobs"
run_cli "${global[@]}" push --json "docker://$host/acme/umoci:v1.0.0" "$host/mirror/umoci:v1"
expect_status 0
expect_eq "$(json_get blobs <<<"$CLI_STDOUT")" '{"uploaded": 0, "skipped": 0, "mounted": 3}' "push mounts blobs"

# skopeo pushes, reprocheck reads the same digests.
skopeo copy -q --dest-cert-dir "$REGISTRY_CERT_DIR" --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
  "$(fixture_spec umoci)" "docker://$host/skopeo/umoci:v1"
run_cli "${global[@]}" digest --json "docker://$host/skopeo/umoci:v1"
expect_status 0
expect_eq "$(json_get images 0 manifest digest <<<"$CLI_STDOUT")" "$(skopeo_digest "$host/skopeo/umoci:v1")" "digest of a skopeo push"
expect_eq "$(json_get images 0 layers 1 diffId <<<"$CLI_STDOUT")" "$(fixture_values umoci diff_id | tail -n 1)" "diff_id read from the registry"
run_cli "${global[@]}" digest --json --platform linux/arm64 "$host/acme/multi:v1.0.0"
expect_status 0
expect_eq "$(json_get images 0 index <<<"$CLI_STDOUT")" "$multi_index" "bare reference: index"
expect_eq "$(json_get images 0 platform <<<"$CLI_STDOUT")" "linux/arm64" "bare reference: platform"
run_cli "${global[@]}" validate "docker://$host/acme/umoci@$umoci_manifest"
expect_status 0

# The registry command on a digest list of the pushed images.
multi_amd64=$(fixture_values multi child | awk '$2 == "linux/amd64" {print $1}')
cat >"$TEST_TMP/digests.json" <<JSON
{"schemaVersion": 1, "releases": [{"tag": "v1.0.0", "commit": "$(printf '%040d' 0)", "sourceDateEpoch": 1700000000,
 "images": [
  {"name": "umoci", "reference": "$host/acme/umoci", "platforms": [{"platform": "linux/amd64",
   "manifest": "$umoci_manifest", "config": "$(fixture_value umoci config)", "layers": []}]},
  {"name": "multi", "reference": "$host/acme/multi:v1.0.0", "index": "$multi_index",
   "platforms": [{"platform": "linux/amd64", "manifest": "$multi_amd64",
   "config": "$(fixture_value umoci config)", "layers": []}]}]}]}
JSON
run_cli "${global[@]}" registry --digests "$TEST_TMP/digests.json" --tag v1.0.0
expect_status 0
expect_stdout_contains "v1.0.0       umoci                linux/amd64      identical  $umoci_manifest"
run_cli "${global[@]}" registry --json --digests "$TEST_TMP/digests.json"
expect_eq "$(json_get status <<<"$CLI_STDOUT")" pass "registry --json status"
expect_eq "$(json_get images 0 reference <<<"$CLI_STDOUT")" "$host/acme/umoci:v1.0.0" "release tag added to the reference"
expect_eq "$(json_get images 1 index actual <<<"$CLI_STDOUT")" "$multi_index" "registry --json index"

# Another image under the same tag is a mismatch; a missing tag is missing.
run_cli "${global[@]}" push "$(fixture_spec umoci-insert)" "$host/acme/umoci:v1.0.0"
run_cli "${global[@]}" registry --json --digests "$TEST_TMP/digests.json"
expect_status 1
expect_eq "$(json_get images 0 status <<<"$CLI_STDOUT")" mismatch "mismatch after another push"
expect_eq "$(json_get images 0 platforms 0 manifest actual <<<"$CLI_STDOUT")" "$(fixture_value umoci-insert manifest)" "mismatch names the served manifest"
expect_eq "$(json_get images 1 status <<<"$CLI_STDOUT")" identical "other image unaffected"
sed 's|acme/multi:v1.0.0|acme/multi:v9|' "$TEST_TMP/digests.json" >"$TEST_TMP/missing.json"
run_cli "${global[@]}" registry --digests "$TEST_TMP/missing.json"
expect_status 1
expect_stdout_contains "v1.0.0       multi                linux/amd64      missing"
expect_stderr_line "MANIFEST_UNKNOWN"

# Bad input: no verdict, status 2, and no secret in any message.
run_cli "${global[@]}" digest "docker://$host/acme/nothing:v1"
expect_status 2
expect_stderr_line "manifest 'v1' of '$host/acme/nothing': HTTP 404: (NAME_UNKNOWN|MANIFEST_UNKNOWN)"
run_cli "${global[@]}" digest "docker://$host/acme/umoci:nope"
expect_status 2
expect_stderr_line "HTTP 404: MANIFEST_UNKNOWN"
run_cli --ca-file "$REGISTRY_CA" digest "docker://$host/acme/umoci:v1.0.0"
expect_status 2
expect_stderr_line "asks for credentials and none are known"
run_cli "${global[@]}" digest "docker://127.0.0.1:1/acme/umoci:v1"
expect_status 2
expect_stderr_line "https://127.0.0.1:1/v2/acme/umoci/manifests/v1 failed: .*(onnect|refused)"
run_cli --registry-config "$TEST_TMP/config.json" digest "docker://$host/acme/umoci:v1.0.0"
expect_status 2
expect_stderr_line "TLS: .*pass the registry's CA with --ca-file"
REPROCHECK_REGISTRY_USER=$REGISTRY_USER REPROCHECK_REGISTRY_PASSWORD=wrong-$REGISTRY_PASSWORD \
  run_cli -vv --ca-file "$REGISTRY_CA" digest "docker://$host/acme/umoci:v1.0.0"
expect_status 2
expect_stderr_line "rejected the credentials"
expect_no_secret "wrong password"
run_cli -vv "${global[@]}" push "$(fixture_spec umoci)" "$host/acme/umoci:v1.0.0"
expect_no_secret "verbose push"
bash "$registry_script" stop "$TEST_TMP/basic"

# --- Bearer tokens ----------------------------------------------------------
start_registry start-bearer "$TEST_TMP/bearer"
export REPROCHECK_REGISTRY_USER=$REGISTRY_USER REPROCHECK_REGISTRY_PASSWORD=$REGISTRY_PASSWORD
run_cli --ca-file "$REGISTRY_CA" push "$(fixture_spec multi)" "$REGISTRY_HOST/bearer/multi:v1"
expect_status 0
expect_eq "$(skopeo_digest "$REGISTRY_HOST/bearer/multi:v1")" "$multi_index" "bearer: skopeo reads the index"
tokens_before=$(wc -l <"$TOKEN_LOG")
run_cli --ca-file "$REGISTRY_CA" digest --json "docker://$REGISTRY_HOST/bearer/multi:v1"
expect_status 0
expect_eq "$(tail -n +$((tokens_before + 1)) "$TOKEN_LOG")" \
  'path=/token service=reprocheck-test-registry scope=repository:bearer/multi:pull credentials=ok' \
  "bearer: one token for the whole digest run"
expect_eq "$(json_get images 0 index <<<"$CLI_STDOUT")" "$multi_index" "bearer: digest"
expect_success "bearer: push scope requested" \
  grep -qx 'path=/token service=reprocheck-test-registry scope=repository:bearer/multi:pull,push credentials=ok' "$TOKEN_LOG"
REPROCHECK_REGISTRY_PASSWORD=wrong run_cli -vv --ca-file "$REGISTRY_CA" digest "docker://$REGISTRY_HOST/bearer/multi:v1"
expect_status 2
expect_stderr_line "requesting a token for '$REGISTRY_HOST' from https://127.0.0.1:[0-9]+/token: HTTP 401"
expect_no_secret "bearer: wrong password"
unset REPROCHECK_REGISTRY_USER REPROCHECK_REGISTRY_PASSWORD
bash "$registry_script" stop "$TEST_TMP/bearer"

# --- A registry that lies ---------------------------------------------------
start_lying() {
  local mode=$1 dir=$TEST_TMP/lying-$1 waited pid
  mkdir -p "$dir"
  python3 "$lying_server" --layout "$FIXTURES/umoci" --ref v1 --mode "$mode" \
    --port-file "$dir/port" --log "$dir/requests.log" ${2:+--storage-port-file "$2"} 2>>"$dir/server.err" &
  pid=$!
  on_exit kill "$pid"
  for ((waited = 0; waited < 100; waited++)); do
    [ -s "$dir/port" ] && break
    sleep 0.05
  done
  lying_host=127.0.0.1:$(cat "$dir/port")
}

start_lying wrong-digest
run_cli --insecure-registry "$lying_host" digest "docker://$lying_host/x/umoci:v1"
expect_status 1
expect_stderr_line "Docker-Content-Digest is sha256:[0-9a-f]{64}, but the content received hashes to $umoci_manifest"

start_lying altered-body
run_cli --insecure-registry "$lying_host" digest "docker://$lying_host/x/umoci@$umoci_manifest"
expect_status 1
expect_stderr_line "the registry sent content whose digest is sha256:[0-9a-f]{64}, not $umoci_manifest"

start_lying truncated-blob
run_cli --insecure-registry "$lying_host" digest "docker://$lying_host/x/umoci:v1"
expect_status 1
expect_stderr_line "the registry sends 403 bytes, but its descriptor's size is 404"

start_lying storage
storage_port_file=$TEST_TMP/lying-storage/port
start_lying redirect "$storage_port_file"
REPROCHECK_REGISTRY_USER=someone REPROCHECK_REGISTRY_PASSWORD=secret-value \
  run_cli --insecure-registry "$lying_host" digest --json "docker://$lying_host/x/umoci:v1"
expect_status 0
expect_eq "$(json_get images 0 manifest digest <<<"$CLI_STDOUT")" "$umoci_manifest" "redirect: manifest"
expect_success "redirect: the registry got credentials" \
  grep -q 'redirect GET /v2/x/umoci/blobs/.* authorization=yes' "$TEST_TMP/lying-redirect/requests.log"
expect_success "redirect: storage served the blobs" grep -q 'storage GET /storage/' "$TEST_TMP/lying-storage/requests.log"
expect_failure "redirect: Authorization forwarded to the storage host" \
  grep -q 'authorization=yes' "$TEST_TMP/lying-storage/requests.log"

start_lying retry-after
started=$(date +%s%N)
run_cli -v --insecure-registry "$lying_host" digest "docker://$lying_host/x/umoci:v1"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
expect_status 0
expect_stderr_line "retrying https?://$lying_host/v2/x/umoci/manifests/v1 in 1000 ms"
expect_eq "$(grep -c 'GET /v2/x/umoci/manifests/v1' "$TEST_TMP/lying-retry-after/requests.log")" 2 "retry-after: requests"
if [ "$elapsed_ms" -ge 1000 ]; then pass; else fail "retry-after: finished in $elapsed_ms ms, before Retry-After"; fi

# --- A plain-HTTP registry, named with --insecure-registry ------------------
# push and a parallel registry run must both switch to plain HTTP and pass;
# without the option the error says the server seems to speak plain HTTP.
plain=$TEST_TMP/plain
mkdir -p "$plain/storage"
plain_port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
cat >"$plain/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $plain/storage
http:
  addr: 127.0.0.1:$plain_port
  draintimeout: 1s
YAML
docker-registry serve "$plain/config.yml" >"$plain/registry.log" 2>&1 &
plain_pid=$!
on_exit kill "$plain_pid"
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$plain_port/v2/" >/dev/null && break
  sleep 0.1
done
plain_host=127.0.0.1:$plain_port

run_cli --insecure-registry "$plain_host" push --json "$(fixture_spec umoci)" "$plain_host/acme/a:v1"
expect_status 0
expect_eq "$(json_get status <<<"$CLI_STDOUT")" "pass" "plain HTTP push status"
expect_eq "$(json_get digest <<<"$CLI_STDOUT")" "$umoci_manifest" "plain HTTP push digest"
for name in b c d; do
  run_cli --insecure-registry "$plain_host" push "$(fixture_spec umoci)" "$plain_host/acme/$name:v1"
  expect_status 0
done
python3 - "$TEST_TMP/plain-list.json" "$plain_host" "$umoci_manifest" \
  "$(fixture_value umoci config)" <<'PY'
import json, sys
path, host, manifest, config = sys.argv[1:5]
images = [{"name": n, "reference": "%s/acme/%s:v1" % (host, n),
           "platforms": [{"platform": "linux/amd64", "manifest": manifest, "config": config,
                          "layers": []}]} for n in "abcd"]
json.dump({"schemaVersion": 1, "releases": [{"tag": "v1", "commit": "0" * 40,
           "sourceDateEpoch": 0, "images": images}]}, open(path, "w"))
PY
run_cli --insecure-registry "$plain_host" registry --digests "$TEST_TMP/plain-list.json" --jobs 4 --json
expect_status 0
expect_eq "$(python3 -c 'import json,sys; print(sorted(i["status"] for i in json.load(sys.stdin)["images"]))' <<<"$CLI_STDOUT")" \
  "['identical', 'identical', 'identical', 'identical']" "plain HTTP parallel registry check"
run_cli digest "docker://$plain_host/acme/a:v1"
expect_status 2
expect_stderr_line "seems to speak plain HTTP: if you trust it, pass --insecure-registry HOST:PORT"
