#!/usr/bin/env bash
# Checks `reprocheck cluster` end to end. No Kubernetes API server can run
# here, so kube_apiserver.py stands in for one: it serves pod lists shaped
# as the API returns them, over real HTTPS on 127.0.0.1, with certificates
# made below by openssl. The pods run on three nodes whose runtimes report
# imageIDs as containerd, CRI-O and dockershim do. The stand-in pages at two
# pods a page, requires a bearer token or a client certificate, and can
# expire continue tokens. The digest list is written by hand with fixed
# digests.
. "$(dirname "$0")/lib.sh"

require_program python3 openssl
require_cli_command cluster

apiserver=$REPRO_SOURCE_DIR/tests/integration/kube_apiserver.py
work=$TEST_TMP/work
mkdir -p "$work/certs"

# --- digests -----------------------------------------------------------------

HELLO_INDEX=sha256:5d91ac56b7e2a6069368e0068777236815004f4cbbc025264f70a428068d2e9f
HELLO_AMD64=sha256:125140eacfb6726647d515c68a244959407b2efad80017f4d85d41b97f7bb633
HELLO_AMD64_CONFIG=sha256:9e6811097971656ddfb0b8004f502f3200f955669296666a806b65414fa4f570
HELLO_ARM64=sha256:27e4ab7098bd6ac17adafab55391f1fdc4b11a3a88f8a3585f70d605e0ec7766
HELLO_ARM64_CONFIG=sha256:50cdcc910bfd6f560598ee3e97fb913107b00071fa9ede10b9adff33423fecd3
HELLO2_AMD64=sha256:ab7a9f826c294f4664a41bd1f96ea8d6400de307676113eaba11bbe1e219cb08
HELLO2_AMD64_CONFIG=sha256:06bc0aa5467919286af9aea6193b1dec6ad2bc5ae6d526b53facd2123efd4554
TOOLS=sha256:526b9a25cd6f9e345de527ffc66294b663aa5cb029ffbabe76c1606df53722c1
TOOLS_CONFIG=sha256:9fd260091ea2ac03362eb68f071349876539ec40a5814550661e962b13249d91
ENVOY=sha256:d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa
BUSYBOX=sha256:7c3a6f7d9e2c1b0a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a

cat >"$work/reprocheck-digests.json" <<EOF
{
  "schemaVersion": 1,
  "releases": [
    {
      "tag": "v1.0.0",
      "commit": "4f1c0e2d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e",
      "sourceDateEpoch": 1733000000,
      "images": [
        {
          "name": "hello",
          "reference": "registry.example.com/acme/hello:v1.0.0",
          "index": "$HELLO_INDEX",
          "platforms": [
            {"platform": "linux/amd64", "manifest": "$HELLO_AMD64", "config": "$HELLO_AMD64_CONFIG", "layers": []},
            {"platform": "linux/arm64", "manifest": "$HELLO_ARM64", "config": "$HELLO_ARM64_CONFIG", "layers": []}
          ]
        },
        {
          "name": "tools",
          "reference": "registry.example.com/acme/tools:v1.0.0",
          "platforms": [
            {"platform": "linux/amd64", "manifest": "$TOOLS", "config": "$TOOLS_CONFIG", "layers": []}
          ]
        }
      ]
    },
    {
      "tag": "v1.1.0",
      "commit": "5f1c0e2d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e",
      "sourceDateEpoch": 1733100000,
      "images": [
        {
          "name": "hello",
          "reference": "registry.example.com/acme/hello:v1.1.0",
          "platforms": [
            {"platform": "linux/amd64", "manifest": "$HELLO2_AMD64", "config": "$HELLO2_AMD64_CONFIG", "layers": []}
          ]
        }
      ]
    }
  ]
}
EOF
digests=$work/reprocheck-digests.json

# --- pods --------------------------------------------------------------------
#
# shop runs on a containerd node, billing on a CRI-O node and legacy on a
# Docker node through dockershim; each runtime reports imageID its own way.

python3 - "$work/pods.json" "$work/kubectl-pods.json" <<EOF
import json, sys

def container_status(name, image, image_id, runtime):
    status = {"name": name, "image": image, "imageID": image_id, "ready": True, "restartCount": 0,
              "started": True, "state": {"running": {"startedAt": "2024-12-01T10:00:00Z"}},
              "containerID": runtime + "://" + "0f" * 32}
    if not image_id:
        status.update({"imageID": "", "ready": False, "started": False, "containerID": None,
                       "state": {"waiting": {"reason": "ContainerCreating"}}})
        del status["containerID"]
    return status

def pod(namespace, name, node, runtime, containers, init=(), ephemeral=(), labels=None, phase="Running"):
    def spec_entry(c):
        return {"name": c[0], "image": c[1], "imagePullPolicy": "IfNotPresent",
                "resources": {}, "terminationMessagePath": "/dev/termination-log"}
    item = {
        "metadata": {"name": name, "namespace": namespace, "uid": "6b1f" + "0" * 28,
                     "resourceVersion": "4711", "creationTimestamp": "2024-12-01T09:59:00Z",
                     "labels": labels or {},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name + "-rs",
                                          "uid": "7c2e" + "0" * 28, "controller": True}]},
        "spec": {"nodeName": node, "restartPolicy": "Always", "serviceAccountName": "default",
                 "containers": [spec_entry(c) for c in containers]},
        "status": {"phase": phase, "hostIP": "10.0.0.7", "podIP": "10.244.1.9",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [container_status(c[0], c[2], c[3], runtime) for c in containers]},
    }
    if init:
        item["spec"]["initContainers"] = [spec_entry(c) for c in init]
        item["status"]["initContainerStatuses"] = [container_status(c[0], c[2], c[3], runtime) for c in init]
    if ephemeral:
        item["spec"]["ephemeralContainers"] = [dict(spec_entry(c), targetContainerName=containers[0][0]) for c in ephemeral]
        item["status"]["ephemeralContainerStatuses"] = [container_status(c[0], c[2], c[3], runtime) for c in ephemeral]
    return item

hello = "registry.example.com/acme/hello:v1.0.0"
tools = "registry.example.com/acme/tools:v1.0.0"
pods = [
    pod("shop", "web-7d9f8", "node-a", "containerd",
        [("hello", hello, hello, "registry.example.com/acme/hello@$HELLO_INDEX"),
         ("envoy", "envoyproxy/envoy:v1.29.1", "docker.io/envoyproxy/envoy:v1.29.1", "docker.io/envoyproxy/envoy@$ENVOY")],
        init=[("migrate", tools, tools, "registry.example.com/acme/tools@$TOOLS")],
        ephemeral=[("debugger-x7k", "busybox:1.36", "docker.io/library/busybox:1.36", "docker.io/library/busybox@$BUSYBOX")],
        labels={"app": "web"}),
    pod("shop", "web-7d9f9", "node-a", "containerd",
        [("hello", hello, hello, "registry.example.com/acme/hello@$HELLO_AMD64")], labels={"app": "web"}),
    pod("shop", "cron-28901", "node-a", "containerd",
        [("hello", hello, hello, "")], labels={"app": "cron"}, phase="Pending"),
    pod("billing", "api-0", "node-b", "cri-o",
        [("hello", hello, hello, "registry.example.com/acme/hello@$HELLO_ARM64")], labels={"app": "api"}),
    pod("billing", "api-1", "node-b", "cri-o",
        [("hello", hello, hello, "registry.example.com/acme/hello@$HELLO2_AMD64")], labels={"app": "api"}),
    pod("legacy", "hello-legacy", "node-c", "docker",
        [("hello", hello, hello, "docker-pullable://registry.example.com/acme/hello@$HELLO_AMD64")],
        init=[("migrate", tools, tools, "docker-pullable://registry.example.com/acme/tools@$TOOLS")]),
    pod("legacy", "local-build", "node-c", "docker",
        [("hello", "hello:dev", "hello:dev", "docker://$HELLO_AMD64_CONFIG")]),
]
json.dump(pods, open(sys.argv[1], "w"), indent=1)
# kubectl get pods -o json prints a List whose items carry kind and apiVersion.
listed = [dict({"apiVersion": "v1", "kind": "Pod"}, **p) for p in pods]
json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": listed},
          open(sys.argv[2], "w"), indent=4)
EOF

# --- certificates ------------------------------------------------------------

make_certificates() {
  local dir=$work/certs
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=test-cluster-ca -keyout "$dir/ca.key" -out "$dir/ca.crt"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=other-ca -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=kube-apiserver \
    -keyout "$dir/server.key" -out "$dir/server.csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=auditor" \
    -keyout "$dir/client.key" -out "$dir/client.csr"
  printf 'extendedKeyUsage=clientAuth\n' >"$dir/client.ext"
  openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/client.ext" -out "$dir/client.crt"
}
make_certificates >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; fail "openssl failed"; exit 1; }

# --- stand-in API servers ----------------------------------------------------

TOKEN=integration-token-5f2b9c
declare -A PORT

# Starts a stand-in named NAME with extra ARGS and records its port.
start_apiserver() {
  local name=$1; shift
  python3 "$apiserver" --pods "$work/pods.json" --cert "$work/certs/server.crt" \
    --key "$work/certs/server.key" --port-file "$work/$name.port" --log "$work/$name.log" "$@" \
    2>"$work/$name.stderr" &
  on_exit kill "$!"
}

wait_for_port() {
  local name=$1 tries=0
  while [ ! -s "$work/$name.port" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
      cat "$work/$name.stderr" >&2
      fail "stand-in '$name' did not start"
      exit 1
    fi
    sleep 0.05
  done
  PORT[$name]=$(cat "$work/$name.port")
}

start_apiserver token --token "$TOKEN"
start_apiserver mtls --client-ca "$work/certs/ca.crt"
start_apiserver once --token "$TOKEN" --expire once
start_apiserver always --token "$TOKEN" --expire always
for name in token mtls once always; do
  wait_for_port "$name"
done
closed_port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')

# --- kubeconfig --------------------------------------------------------------

ca_data=$(base64 -w0 "$work/certs/ca.crt")
cat >"$work/plugin.sh" <<EOF
#!/bin/sh
# An exec credential plugin: prints a token for the cluster it is asked about.
test "\$1" = --cluster || exit 5
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2999-12-31T00:00:00Z"}}\n' "\$PLUGIN_TOKEN"
EOF
chmod +x "$work/plugin.sh"
printf '%s\n' "$TOKEN" >"$work/token-file"

cluster_entry() {
  printf -- '- name: %s\n  cluster:\n    server: https://127.0.0.1:%s\n    %s\n' "$1" "$2" "$3"
}
context_entry() {
  printf -- '- name: %s\n  context: {cluster: %s, user: %s%s}\n' "$1" "$2" "$3" "${4:+, namespace: $4}"
}

{
  echo "apiVersion: v1"
  echo "kind: Config"
  echo "current-context: token"
  echo "clusters:"
  cluster_entry token "${PORT[token]}" "certificate-authority-data: $ca_data"
  cluster_entry mtls "${PORT[mtls]}" "certificate-authority: certs/ca.crt"
  cluster_entry once "${PORT[once]}" "certificate-authority-data: $ca_data"
  cluster_entry always "${PORT[always]}" "certificate-authority-data: $ca_data"
  cluster_entry closed "$closed_port" "certificate-authority-data: $ca_data"
  cluster_entry other-ca "${PORT[token]}" "certificate-authority: certs/other-ca.crt"
  echo "contexts:"
  context_entry token token bearer shop
  context_entry mtls mtls certificate legacy
  context_entry exec token plugin billing
  context_entry once once bearer
  context_entry always always bearer
  context_entry closed closed bearer
  context_entry wrong-token token wrong
  context_entry other-ca other-ca bearer
  context_entry no-certificate mtls bearer
  echo "users:"
  echo "- name: bearer"
  echo "  user: {tokenFile: token-file}"
  echo "- name: wrong"
  echo "  user: {token: not-the-$TOKEN}"
  echo "- name: certificate"
  echo "  user: {client-certificate: certs/client.crt, client-key: certs/client.key}"
  echo "- name: plugin"
  echo "  user:"
  echo "    exec:"
  echo "      apiVersion: client.authentication.k8s.io/v1beta1"
  echo "      command: ./plugin.sh"
  echo "      args: [--cluster]"
  echo "      env: [{name: PLUGIN_TOKEN, value: $TOKEN}]"
} >"$work/kubeconfig"
kubeconfig=$work/kubeconfig

# --- helpers -----------------------------------------------------------------

# Prints a Python expression evaluated on the JSON document on stdout (d).
json_value() {
  python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
print(eval(sys.argv[1]))' "$1" <<<"$CLI_STDOUT"
}

# Prints "namespace/pod/container:kind=status" for every container, sorted.
statuses() {
  json_value '" ".join(sorted(c["namespace"] + "/" + c["pod"] + "/" + c["container"] + ":" + c["kind"] + "=" + c["status"] for c in d["containers"]))'
}

counts() {
  json_value '" ".join(k + "=" + str(v) for k, v in d["counts"].items())'
}

requests_with_continue() {
  grep -c 'continue=' "$work/$1.log" || true
}

# --- containerd, paged, bearer token from a tokenFile --------------------------

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --json
expect_status 1
expect_eq "$(json_value 'd["status"]')" fail "token: top-level status"
expect_eq "$(json_value 'd["namespace"]')" shop "token: namespace from the context"
expect_eq "$(json_value 'd["server"]')" "https://127.0.0.1:${PORT[token]}" "token: server"
expect_eq "$(json_value 'd["source"]')" "kubeconfig '$kubeconfig', context 'token'" "token: source"
expect_eq "$(counts)" "containers=6 identical=3 unlisted=2 mismatch=0 error=1" "token: counts"
expect_eq "$(statuses)" "shop/cron-28901/hello:container=error shop/web-7d9f8/debugger-x7k:ephemeral=unlisted shop/web-7d9f8/envoy:container=unlisted shop/web-7d9f8/hello:container=identical shop/web-7d9f8/migrate:init=identical shop/web-7d9f9/hello:container=identical" "token: statuses"
expect_eq "$(json_value '[c for c in d["containers"] if c["pod"] == "web-7d9f8" and c["container"] == "hello"][0]["matched"]')" index "token: containerd imageID names the index"
expect_eq "$(json_value '[c for c in d["containers"] if c["container"] == "envoy"][0]["reason"]')" \
  "digest list '$digests' has no index, manifest or config $ENVOY" "token: unlisted reason"
expect_eq "$(grep -c '^/api/v1/namespaces/shop/pods?limit=500' "$work/token.log")" 2 "token: two pages of shop"
expect_eq "$(requests_with_continue token)" 1 "token: one continue request"
if grep -qF "$TOKEN" <<<"$CLI_STDOUT$CLI_STDERR"; then fail "token: the token appears in the output"; else pass; fi

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig"
expect_status 1
expect_stdout_contains "NAMESPACE  POD         CONTAINER     KIND       IMAGE                                   STATUS"
expect_stdout_contains "shop       web-7d9f8   debugger-x7k  ephemeral  busybox:1.36                            unlisted"
expect_stdout_contains "6 containers: 3 identical, 2 unlisted, 0 mismatch, 1 error"
expect_stderr_line "warning: 1 containers could not be checked"

# A pending container has no imageID, so it has no verdict: with no finding
# elsewhere the run is an error, never a pass.
run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --selector app=cron --json
expect_status 2
expect_eq "$(json_value 'd["status"]')" error "pending: top-level status"
expect_eq "$(counts)" "containers=1 identical=0 unlisted=0 mismatch=0 error=1" "pending: counts"
expect_stderr_line "1 containers could not be checked"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --selector app=web --json
expect_status 1
expect_eq "$(counts)" "containers=5 identical=3 unlisted=2 mismatch=0 error=0" "selector: counts"
expect_eq "$(grep -c 'labelSelector=app%3Dweb' "$work/token.log")" 1 "selector: sent to the server"

# --- every namespace: containerd, CRI-O and dockershim ------------------------

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --all-namespaces --json
expect_status 1
expect_eq "$(json_value 'd["namespace"]')" None "all: namespace"
expect_eq "$(counts)" "containers=11 identical=7 unlisted=2 mismatch=1 error=1" "all: counts"
expect_eq "$(grep -c '^/api/v1/pods?limit=500' "$work/token.log")" 4 "all: four pages"

# --- CRI-O with a token from an exec plugin ----------------------------------

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context exec --json
expect_status 1
expect_eq "$(statuses)" "billing/api-0/hello:container=identical billing/api-1/hello:container=mismatch" "exec: statuses"
expect_eq "$(json_value '[c["platform"] for c in d["containers"] if c["pod"] == "api-0"][0]')" linux/arm64 "exec: CRI-O platform manifest"
expect_eq "$(json_value '[c["reason"] for c in d["containers"] if c["pod"] == "api-1"][0]')" \
  "image 'registry.example.com/acme/hello:v1.0.0' names image 'hello' of release 'v1.0.0', which does not list $HELLO2_AMD64" \
  "exec: mismatch reason"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context exec --tag v1.1.0 --json
expect_status 1
expect_eq "$(statuses)" "billing/api-0/hello:container=unlisted billing/api-1/hello:container=identical" "exec: statuses for v1.1.0"

# --- dockershim with a client certificate (mutual TLS) -------------------------

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context mtls --json
expect_status 0
expect_eq "$(json_value 'd["status"]')" pass "mtls: top-level status"
expect_eq "$(statuses)" "legacy/hello-legacy/hello:container=identical legacy/hello-legacy/migrate:init=identical legacy/local-build/hello:container=identical" "mtls: statuses"
expect_eq "$(json_value '[c["matched"] for c in d["containers"] if c["pod"] == "local-build"][0]')" config "mtls: docker:// names the config"

# --- KUBECONFIG and in-cluster settings ---------------------------------------

CLI_STATUS=0
KUBECONFIG=$TEST_TMP/missing:$kubeconfig "$REPRO_BIN" cluster --digests "$digests" --context mtls \
  >"$TEST_TMP/cli.stdout" 2>"$TEST_TMP/cli.stderr" || CLI_STATUS=$?
CLI_STDOUT=$(cat "$TEST_TMP/cli.stdout"); CLI_STDERR=$(cat "$TEST_TMP/cli.stderr"); CLI_ARGS="cluster (KUBECONFIG)"
expect_status 0
expect_stdout_contains "3 containers: 3 identical, 0 unlisted, 0 mismatch, 0 error"

mkdir -p "$work/serviceaccount"
cp "$work/certs/ca.crt" "$work/serviceaccount/ca.crt"
printf '%s' "$TOKEN" >"$work/serviceaccount/token"
printf 'billing' >"$work/serviceaccount/namespace"
CLI_STATUS=0
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=${PORT[token]} \
  REPROCHECK_SERVICE_ACCOUNT_DIR=$work/serviceaccount \
  "$REPRO_BIN" cluster --digests "$digests" --in-cluster --json \
  >"$TEST_TMP/cli.stdout" 2>"$TEST_TMP/cli.stderr" || CLI_STATUS=$?
CLI_STDOUT=$(cat "$TEST_TMP/cli.stdout"); CLI_STDERR=$(cat "$TEST_TMP/cli.stderr"); CLI_ARGS="cluster --in-cluster"
expect_status 1
expect_eq "$(json_value 'd["source"]')" "in-cluster service account" "in-cluster: source"
expect_eq "$(counts)" "containers=2 identical=1 unlisted=0 mismatch=1 error=0" "in-cluster: counts"

# --- expired continue tokens --------------------------------------------------

run_cli -v cluster --digests "$digests" --kubeconfig "$kubeconfig" --context once --all-namespaces --json
expect_status 1
expect_eq "$(counts)" "containers=11 identical=7 unlisted=2 mismatch=1 error=1" "once: counts after the restart"
expect_eq "$(grep -c ' 410 ' "$work/once.log")" 1 "once: one 410"
expect_eq "$(grep -c '^/api/v1/pods?limit=500 200' "$work/once.log")" 2 "once: the first page twice"
expect_stderr_line "warning: a continue token expired, so the pod listing restarted from the first page"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context always --all-namespaces --json
expect_status 2
expect_eq "$(json_value 'd["status"]')" error "always: top-level status"
expect_stderr_line "^reprocheck: API server 'https://127.0.0.1:${PORT[always]}' expired the pod list's continue token twice \(HTTP 410 Gone\)"
expect_eq "$(grep -c ' 410 ' "$work/always.log")" 2 "always: two 410s"

# --- pods from kubectl's JSON output ------------------------------------------

run_cli cluster --digests "$digests" --pods-json "$work/kubectl-pods.json" --json
expect_status 1
expect_eq "$(counts)" "containers=11 identical=7 unlisted=2 mismatch=1 error=1" "pods-json file: counts"
expect_eq "$(json_value 'd["source"]')" "pods-json '$work/kubectl-pods.json'" "pods-json file: source"

CLI_STATUS=0
"$REPRO_BIN" cluster --digests "$digests" --pods-json - --namespace legacy \
  <"$work/kubectl-pods.json" >"$TEST_TMP/cli.stdout" 2>"$TEST_TMP/cli.stderr" || CLI_STATUS=$?
CLI_STDOUT=$(cat "$TEST_TMP/cli.stdout"); CLI_STDERR=$(cat "$TEST_TMP/cli.stderr"); CLI_ARGS="cluster --pods-json -"
expect_status 0
expect_stdout_contains "legacy     local-build   hello      container  hello:dev                               identical"
expect_stdout_contains "3 containers: 3 identical, 0 unlisted, 0 mismatch, 0 error"

# --- bad input: each is a clear error and status 2 -----------------------------

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context staging
expect_status 2
expect_stderr_line "^reprocheck: kubeconfig '$kubeconfig' has no context 'staging'; contexts present: token, mtls, exec, once, always, closed, wrong-token, other-ca, no-certificate$"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context closed
expect_status 2
expect_stderr_line "^reprocheck: connecting to API server 'https://127.0.0.1:$closed_port' failed: .*(refused|Couldn't connect)"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context wrong-token --json
expect_status 2
expect_stderr_line "^reprocheck: API server 'https://127.0.0.1:${PORT[token]}' rejected the credentials \(HTTP 401 Unauthorized\): Unauthorized: check the token or client certificate of kubeconfig '$kubeconfig'$"
if grep -qF "not-the-$TOKEN" <<<"$CLI_STDOUT$CLI_STDERR"; then fail "wrong token: the token appears in the output"; else pass; fi

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context other-ca
expect_status 2
expect_stderr_line "^reprocheck: connecting to API server 'https://127.0.0.1:${PORT[token]}' failed: .*certificate"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --context no-certificate
expect_status 2
expect_stderr_line "^reprocheck: connecting to API server 'https://127.0.0.1:${PORT[mtls]}' failed: .*if it requires a client certificate, set client-certificate and client-key for the user\\)$"

head -c 900 "$work/kubectl-pods.json" >"$work/truncated.json"
run_cli cluster --digests "$digests" --pods-json "$work/truncated.json"
expect_status 2
expect_stderr_line "^reprocheck: malformed pod list '$work/truncated.json': "

printf '{"apiVersion":"v1","kind":"ServiceList","items":[]}' >"$work/services.json"
run_cli cluster --digests "$digests" --pods-json "$work/services.json"
expect_status 2
expect_stderr_line "^reprocheck: pod list '$work/services.json': 'kind' is 'ServiceList', expected List, PodList or Pod$"

run_cli cluster --digests "$digests" --kubeconfig "$kubeconfig" --tag v9
expect_status 2
expect_stderr_line "^reprocheck: digest list '$digests' has no entry for tag 'v9'; tags present: v1.0.0, v1.1.0$"

run_cli cluster --digests "$digests" --pods-json "$work/kubectl-pods.json" --selector app=web
expect_status 2
expect_stderr_line "^reprocheck: --selector needs the API server"

run_cli cluster --digests "$digests" --namespace a --all-namespaces
expect_status 2
expect_stderr_line "^reprocheck: --namespace and --all-namespaces exclude each other$"
