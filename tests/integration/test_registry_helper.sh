#!/usr/bin/env bash
# Checks scripts/registry.sh in both modes: skopeo pushes the umoci fixture
# over TLS with credentials, reads the same manifest back, is turned away
# with a wrong password, and stop closes the port.
. "$(dirname "$0")/lib.sh"

require_program docker-registry htpasswd openssl curl
use_fixtures

registry_script=$REPRO_SOURCE_DIR/scripts/registry.sh

# Stops the registry in DIR on exit too, in case a check stops the script.
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

port_is_open() {
  python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1"
}

check_push_and_read() {
  local mode=$1 reference="docker://$REGISTRY_HOST/fixture/umoci:v1"
  local digest

  expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$REGISTRY_CA" "https://$REGISTRY_HOST/v2/")" \
    401 "$mode: /v2/ without credentials"
  expect_success "$mode: skopeo copy to the registry" skopeo copy -q \
    --dest-cert-dir "$REGISTRY_CERT_DIR" --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
    "$(fixture_spec umoci)" "$reference"
  digest=$(skopeo inspect --raw --cert-dir "$REGISTRY_CERT_DIR" \
    --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "$reference" | sha256_of)
  expect_eq "$digest" "$(fixture_value umoci manifest)" "$mode: manifest digest read back"
  expect_failure "$mode: skopeo inspect with a wrong password" skopeo inspect --raw \
    --cert-dir "$REGISTRY_CERT_DIR" --creds "$REGISTRY_USER:wrong" "$reference"
  expect_failure "$mode: skopeo inspect without the CA" skopeo inspect --raw \
    --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "$reference"
}

check_stop() {
  local dir=$1 port=${REGISTRY_HOST#*:}
  expect_success "stop $dir" bash "$registry_script" stop "$dir"
  expect_failure "port $port open after stop" port_is_open "$port"
  expect_failure "registry process alive after stop" kill -0 "$REGISTRY_PID"
  expect_failure "env file left after stop" test -e "$dir/env"
}

start_registry start "$TEST_TMP/basic"
expect_eq "${REGISTRY_HOST%%:*}" 127.0.0.1 "basic: registry address"
expect_success "basic: bcrypt htpasswd entry" grep -q "^$REGISTRY_USER:[$]2y[$]" "$TEST_TMP/basic/htpasswd"
check_push_and_read basic
check_stop "$TEST_TMP/basic"

start_registry start-bearer "$TEST_TMP/bearer"
challenge=$(curl -s -D - -o /dev/null --cacert "$REGISTRY_CA" "https://$REGISTRY_HOST/v2/" |
  tr -d '\r' | grep -i '^www-authenticate:' || true)
expect_eq "$challenge" \
  "www-authenticate: Bearer realm=\"$TOKEN_REALM\",service=\"reprocheck-test-registry\"" "bearer: challenge"
check_push_and_read bearer
expect_success "bearer: push token scope" \
  grep -qx 'path=/token service=reprocheck-test-registry scope=repository:fixture/umoci:pull,push credentials=ok' "$TOKEN_LOG"
expect_success "bearer: wrong password logged as invalid" grep -q 'credentials=invalid$' "$TOKEN_LOG"
expect_failure "bearer: password in the token log" grep -qF "$REGISTRY_PASSWORD" "$TOKEN_LOG"
token_pid=$TOKEN_PID
check_stop "$TEST_TMP/bearer"
expect_failure "token server alive after stop" kill -0 "$token_pid"
