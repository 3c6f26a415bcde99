#!/usr/bin/env python3
"""A Bearer token endpoint on 127.0.0.1 for test registries.

The registry runs with `auth: silly`, which challenges with
`Bearer realm=...,service=...,scope=...` and accepts any token, so this
server only has to check the client's Basic credentials and return
{"token": ..., "access_token": ...}. Each request is logged to --log as one
line with the service, the scope and the credential check result; passwords
and tokens are never logged.

The password comes from the TOKEN_SERVER_PASSWORD environment variable so
that it does not show in the process list. The chosen port is written to
--port-file once the server listens.
"""

import argparse
import base64
import binascii
import http.server
import json
import os
import secrets
import ssl
import sys
import time
import urllib.parse


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True, help="file that receives the port")
    parser.add_argument("--cert", required=True, help="PEM server certificate")
    parser.add_argument("--key", required=True, help="PEM server key")
    parser.add_argument("--user", required=True, help="user name that gets tokens")
    parser.add_argument("--log", required=True, help="request log file")
    return parser.parse_args()


def credential_status(header, user, password):
    """Return 'ok', 'missing' or 'invalid' for an Authorization header."""
    if not header:
        return "missing"
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "invalid"
    try:
        given_user, _, given_password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "invalid"
    if secrets.compare_digest(given_user, user) and secrets.compare_digest(given_password, password):
        return "ok"
    return "invalid"


def make_handler(options, password, log):
    class TokenHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            status = credential_status(self.headers.get("Authorization"), options.user, password)
            log.write(f"path={url.path} service={','.join(query.get('service', []))} "
                      f"scope={' '.join(query.get('scope', []))} credentials={status}\n")
            log.flush()

            if url.path != "/token":
                self.send_json(404, {"error": "not found"})
            elif status != "ok":
                self.send_json(401, {"error": f"credentials {status}"},
                               {"WWW-Authenticate": 'Basic realm="test token server"'})
            else:
                token = secrets.token_hex(16)
                self.send_json(200, {"token": token, "access_token": token, "expires_in": 300,
                                     "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

        def send_json(self, code, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            # Requests go to the request log above, without headers.
            pass

    return TokenHandler


def main():
    options = parse_arguments()
    password = os.environ.get("TOKEN_SERVER_PASSWORD")
    if not password:
        print("token-server: TOKEN_SERVER_PASSWORD is not set", file=sys.stderr)
        return 2

    log = open(options.log, "a", encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(options, password, log))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.cert, options.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)

    temporary = options.port_file + ".tmp"
    with open(temporary, "w", encoding="utf-8") as port_file:
        port_file.write(f"{server.server_address[1]}\n")
    os.rename(temporary, options.port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
