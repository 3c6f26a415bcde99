#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server, for tests on loopback only.

No real API server can run in the test environment, so this serves the one
endpoint `reprocheck cluster` uses, GET /api/v1/pods and
/api/v1/namespaces/NS/pods, over HTTPS on 127.0.0.1, shaped as the API
returns it: a PodList with metadata.continue, Status bodies for errors,
labelSelector (equality terms only) and limit. Like a real server it may
return fewer items than `limit`: at most --page-items per page, so that
small fixtures still page.

Authentication is either a bearer token (--token) or a client certificate
signed by --client-ca (mutual TLS). --expire once answers the first request
that carries a continue token with 410 Gone, as a server does when the
token's snapshot was compacted away; --expire always does so every time.

Each request is appended to --log as one line: the path with its query,
the HTTP status and the number of items returned. The chosen port is
written to --port-file once the server listens.
"""
import argparse
import base64
import http.server
import json
import os
import ssl
import sys
import threading
import urllib.parse

EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter."
)


def status_body(code, reason, message):
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def matches_selector(pod, selector):
    labels = pod.get("metadata", {}).get("labels", {})
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-stand-in"

    def log_message(self, format, *args):
        pass

    def send_json(self, code, body, items=0):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with self.server.lock:
            with open(self.server.options.log, "a") as log:
                log.write(f"{self.path} {code} {items}\n")

    def authorised(self):
        token = self.server.options.token
        if token is None:
            return True
        return self.headers.get("Authorization") == f"Bearer {token}"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if not self.authorised():
            self.send_json(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        if parts == ["api", "v1", "pods"]:
            namespace = None
        elif len(parts) == 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods":
            namespace = parts[3]
        else:
            self.send_json(404, status_body(404, "NotFound", "the server could not find the requested resource"))
            return
        self.list_pods(namespace, query)

    def list_pods(self, namespace, query):
        options = self.server.options
        token = query.get("continue", [None])[0]
        start = 0
        if token is not None:
            with self.server.lock:
                self.server.continues += 1
                expired = options.expire == "always" or (options.expire == "once" and self.server.continues == 1)
            if expired:
                self.send_json(410, status_body(410, "Expired", EXPIRED_MESSAGE))
                return
            start = json.loads(base64.b64decode(token))["start"]
        limit = int(query.get("limit", ["500"])[0])
        selector = query.get("labelSelector", [""])[0]
        pods = [
            pod
            for pod in self.server.pods
            if (namespace is None or pod["metadata"]["namespace"] == namespace) and matches_selector(pod, selector)
        ]
        count = min(limit, options.page_items)
        page = pods[start:start + count]
        metadata = {"resourceVersion": "4711"}
        if start + count < len(pods):
            metadata["continue"] = base64.b64encode(json.dumps({"rv": 4711, "start": start + count}).encode()).decode()
            metadata["remainingItemCount"] = len(pods) - start - count
        self.send_json(200, {"kind": "PodList", "apiVersion": "v1", "metadata": metadata, "items": page}, len(page))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", required=True, help="JSON array of pods, as the API stores them")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca", help="require a client certificate signed by this CA")
    parser.add_argument("--token", help="require this bearer token")
    parser.add_argument("--expire", choices=["never", "once", "always"], default="never")
    parser.add_argument("--page-items", type=int, default=2)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    options = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.cert, options.key)
    if options.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(options.client_ca)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.options = options
    server.lock = threading.Lock()
    server.continues = 0
    with open(options.pods) as pods:
        server.pods = json.load(pods)
    with open(options.port_file + ".tmp", "w") as port_file:
        port_file.write(str(server.server_address[1]))
    # The test waits for the port file, so it must appear complete.
    os.rename(options.port_file + ".tmp", options.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
