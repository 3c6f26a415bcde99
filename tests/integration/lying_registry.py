#!/usr/bin/env python3
"""A registry on 127.0.0.1 that serves one image from an OCI layout and
lies in one chosen way, so that tests can prove each client guard.

Modes:
  honest           serve the image as it is
  wrong-digest     send a Docker-Content-Digest that is not the content's
  altered-body     serve the manifest with a space added, also when asked by digest
  truncated-blob   send each layer blob without its last byte
  redirect         ask for Basic credentials, and redirect blob requests to a
                   second server on another host name (--storage-port-file)
  retry-after      reply 429 with Retry-After: 1 to the first request of each manifest
  storage          be that second server: serve blobs, record headers

Every request's method, path and Authorization presence (never its value)
is appended to --log. The manifest is served under every tag.
"""

import argparse
import hashlib
import http.server
import json
import os
import sys


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", required=True, help="OCI layout with the image")
    parser.add_argument("--ref", required=True, help="ref name of the image in index.json")
    parser.add_argument("--mode", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--storage-port-file", help="port of the storage server (redirect mode)")
    return parser.parse_args()


def find_manifest(layout, ref):
    with open(os.path.join(layout, "index.json"), encoding="utf-8") as index_file:
        index = json.load(index_file)
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            return entry["digest"], entry["mediaType"]
    raise SystemExit(f"lying_registry: no ref {ref} in {layout}")


def read_blob(layout, digest):
    algorithm, encoded = digest.split(":", 1)
    path = os.path.join(layout, "blobs", algorithm, encoded)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as blob:
        return blob.read()


def make_handler(options, log):
    manifest_digest, media_type = find_manifest(options.layout, options.ref)
    manifest = read_blob(options.layout, manifest_digest)
    seen_paths = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def record(self):
            has_auth = "yes" if self.headers.get("Authorization") else "no"
            log.write(f"{options.mode} {self.command} {self.path} authorization={has_auth}\n")
            log.flush()

        def send(self, code, body=b"", headers=None):
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def not_found(self, code_name):
            body = json.dumps({"errors": [{"code": code_name, "message": "not here"}]}).encode()
            self.send(404, body, {"Content-Type": "application/json"})

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            self.record()
            if options.mode == "retry-after" and "/manifests/" in self.path and \
                    self.path not in seen_paths:
                seen_paths.add(self.path)
                self.send(429, b"", {"Retry-After": "1"})
                return
            if options.mode == "redirect" and not self.headers.get("Authorization"):
                self.send(401, b"", {"WWW-Authenticate": 'Basic realm="lying registry"'})
                return
            if self.path.startswith("/storage/"):
                self.serve_blob(self.path.rsplit("/", 1)[1])
            elif self.path == "/v2/":
                self.send(200, b"{}", {"Content-Type": "application/json"})
            elif "/manifests/" in self.path:
                self.serve_manifest()
            elif "/blobs/" in self.path:
                self.serve_blob(self.path.rsplit("/", 1)[1])
            else:
                self.not_found("NAME_UNKNOWN")

        def serve_manifest(self):
            body, claimed = manifest, manifest_digest
            if options.mode == "altered-body":
                body = manifest.replace(b"}", b" }", 1)
            if options.mode == "wrong-digest":
                claimed = "sha256:" + hashlib.sha256(b"another manifest").hexdigest()
            self.send(200, body, {"Content-Type": media_type, "Docker-Content-Digest": claimed})

        def serve_blob(self, digest):
            blob = read_blob(options.layout, digest)
            if blob is None:
                self.not_found("BLOB_UNKNOWN")
                return
            if options.mode == "redirect":
                with open(options.storage_port_file, encoding="utf-8") as port_file:
                    port = port_file.read().strip()
                self.send(307, b"", {"Location": f"http://localhost:{port}/storage/{digest}"})
                return
            if options.mode == "truncated-blob" and b'"layers"' not in blob and b"rootfs" not in blob:
                blob = blob[:-1]
            self.send(200, blob, {"Content-Type": "application/octet-stream"})

        def log_message(self, format, *args):
            pass

    return Handler


def main():
    options = parse_arguments()
    log = open(options.log, "a", encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(options, log))
    temporary = options.port_file + ".tmp"
    with open(temporary, "w", encoding="utf-8") as port_file:
        port_file.write(f"{server.server_address[1]}\n")
    os.rename(temporary, options.port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
