#!/usr/bin/env bash
# Starts and stops a private docker-registry (Debian's package of the
# reference registry, distribution 2.8) on 127.0.0.1 for tests.
#
#   registry.sh start DIR         TLS and htpasswd (bcrypt) Basic auth
#   registry.sh start-bearer DIR  TLS and Bearer tokens: `auth: silly` plus
#                                 scripts/token-server.py as the token realm
#   registry.sh stop DIR          SIGTERM to the processes started for DIR
#
# DIR receives the storage, a CA and server certificate, the config, logs
# and DIR/env, which a test sources:
#   REGISTRY_HOST=127.0.0.1:PORT   REGISTRY_CA=DIR/ca/ca.crt
#   REGISTRY_CERT_DIR=DIR/ca       (for skopeo --cert-dir: holds only ca.crt)
#   REGISTRY_USER, REGISTRY_PASSWORD, REGISTRY_PID
#   TOKEN_REALM, TOKEN_PID, TOKEN_LOG (start-bearer only)
# start returns once the registry returns 401 for /v2/, the challenge of an
# authenticated registry.
set -euo pipefail

scripts=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: registry.sh start|start-bearer|stop DIR" >&2
  exit 2
}

# Reports an error and exits, stopping a token server that this run started.
die() {
  echo "registry: $*" >&2
  if [ -n "${token_pid:-}" ]; then
    kill -TERM "$token_pid" 2>/dev/null || true
  fi
  exit 1
}

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

port_open() {
  python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1"
}

# Makes a CA and a server certificate for localhost, 127.0.0.1 and ::1.
make_certificates() {
  local dir=$1
  mkdir -p "$dir/ca" "$dir/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=reprocheck test CA" -keyout "$dir/tls/ca.key" -out "$dir/ca/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout "$dir/tls/server.key" -out "$dir/tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' \
    >"$dir/tls/server.ext"
  openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/ca/ca.crt" -CAkey "$dir/tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/tls/server.ext" -out "$dir/tls/server.crt" 2>/dev/null
}

write_config() {
  local dir=$1 port=$2 auth=$3
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  draintimeout: 1s
  tls:
    certificate: $dir/tls/server.crt
    key: $dir/tls/server.key
$auth
EOF
}

# Starts the token server and sets token_port and token_pid.
start_token_server() {
  local dir=$1 waited
  rm -f "$dir/token.port"
  TOKEN_SERVER_PASSWORD=$password python3 "$scripts/token-server.py" \
    --port-file "$dir/token.port" --cert "$dir/tls/server.crt" --key "$dir/tls/server.key" \
    --user "$user" --log "$dir/token.log" </dev/null >>"$dir/token-server.out" 2>&1 &
  token_pid=$!
  for ((waited = 0; waited < 100; waited++)); do
    [ -s "$dir/token.port" ] && break
    kill -0 "$token_pid" 2>/dev/null || die "token server exited, see $dir/token-server.out"
    sleep 0.1
  done
  [ -s "$dir/token.port" ] || die "token server did not start within 10 s"
  token_port=$(cat "$dir/token.port")
}

# Starts the registry on a free port; retries when another process takes the
# port between the check and the bind. Sets port and registry_pid.
start_registry() {
  local dir=$1 auth=$2 attempt waited code
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$(free_port)
    write_config "$dir" "$port" "$auth"
    docker-registry serve "$dir/config.yml" </dev/null >>"$dir/registry.log" 2>&1 &
    registry_pid=$!
    for ((waited = 0; waited < 100; waited++)); do
      kill -0 "$registry_pid" 2>/dev/null || break
      code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca/ca.crt" \
        "https://127.0.0.1:$port/v2/" || true)
      [ "$code" = 401 ] && return 0
      sleep 0.1
    done
    if kill -0 "$registry_pid" 2>/dev/null; then
      kill -TERM "$registry_pid"
      die "registry on port $port did not return 401 for /v2/ within 10 s (last status: $code), see $dir/registry.log"
    fi
  done
  die "registry failed to start 5 times, see $dir/registry.log"
}

start() {
  local mode=$1 dir=$2 auth
  mkdir -p "$dir/storage"
  dir=$(cd "$dir" && pwd)
  [ -f "$dir/env" ] && die "'$dir' already has a registry; stop it first"

  make_certificates "$dir"
  user=reprocheck
  password=$(openssl rand -hex 16)
  token_pid= token_port=

  if [ "$mode" = start ]; then
    htpasswd -Bbn "$user" "$password" >"$dir/htpasswd"
    auth=$(printf 'auth:\n  htpasswd:\n    realm: reprocheck-test\n    path: %s' "$dir/htpasswd")
  else
    start_token_server "$dir"
    auth=$(printf 'auth:\n  silly:\n    realm: https://127.0.0.1:%s/token\n    service: reprocheck-test-registry' \
      "$token_port")
  fi
  start_registry "$dir" "$auth"

  {
    echo "REGISTRY_HOST=127.0.0.1:$port"
    echo "REGISTRY_CA=$dir/ca/ca.crt"
    echo "REGISTRY_CERT_DIR=$dir/ca"
    echo "REGISTRY_USER=$user"
    echo "REGISTRY_PASSWORD=$password"
    echo "REGISTRY_PID=$registry_pid"
    if [ -n "$token_pid" ]; then
      echo "TOKEN_REALM=https://127.0.0.1:$token_port/token"
      echo "TOKEN_PID=$token_pid"
      echo "TOKEN_LOG=$dir/token.log"
    fi
  } >"$dir/env.tmp"
  mv "$dir/env.tmp" "$dir/env"
}

# Sends SIGTERM to PID if it still runs the program whose command line
# contains MARK (guarding against a reused PID), then waits for it to exit.
stop_process() {
  local pid=$1 mark=$2 waited
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark" || return 0
  kill -TERM "$pid"
  for ((waited = 0; waited < 100; waited++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "process $pid did not exit within 10 s of SIGTERM"
}

stop() {
  local dir=$1 waited
  [ -f "$dir/env" ] || die "no registry recorded in '$dir' (no env file)"
  dir=$(cd "$dir" && pwd)
  # shellcheck source=/dev/null
  . "$dir/env"

  stop_process "$REGISTRY_PID" "$dir/config.yml"
  stop_process "${TOKEN_PID:-}" "$dir/token.port"
  for ((waited = 0; waited < 100; waited++)); do
    port_open "${REGISTRY_HOST#*:}" || break
    sleep 0.1
  done
  port_open "${REGISTRY_HOST#*:}" && die "port ${REGISTRY_HOST#*:} still open after stop"
  rm -f "$dir/env"
}

[ $# -eq 2 ] || usage
case $1 in
  start | start-bearer) start "$1" "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
