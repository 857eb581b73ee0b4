#!/usr/bin/python3
"""A stand-in for the kubelet's /pods endpoint, and for the two reads of the
Kubernetes API server d4c-enrich makes, for the d4c-enrich tests.

    kubelet-double.py --cert CRT --key KEY --token-file FILE --pods FILE \
        --port-file FILE [--namespace-uid UID] [--node FILE] [--api-forbidden]

Serves HTTPS on 127.0.0.1 (a free port, written to --port-file once it
listens). GET /pods answers the JSON document in --pods, read at each
request, when the request carries "Authorization: Bearer <token>" with the
token in --token-file; 401 otherwise, as the kubelet does. With
--namespace-uid, GET /api/v1/namespaces/kube-system answers a Namespace
with that metadata.uid; with --node, GET /api/v1/nodes/NAME answers the
Node document in FILE when NAME is its metadata.name (404 otherwise), as
the API server does; --api-forbidden answers both with 403 (no RBAC).
Every request is logged on stderr with its path and status.
"""
import argparse
import http.server
import json
import os
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--pods", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--namespace-uid")
    ap.add_argument("--node")
    ap.add_argument("--api-forbidden", action="store_true")
    a = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(a.token_file) as f:
                token = f.read().strip()
            if self.headers.get("Authorization") != "Bearer " + token:
                self.answer(401, b"Unauthorized\n", "text/plain")
                return
            if self.path.startswith("/api/") and a.api_forbidden:
                self.answer(403, json.dumps({
                    "kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "reason": "Forbidden", "code": 403,
                    "message": "forbidden: cannot get resource at %s" % self.path}).encode(),
                    "application/json")
                return
            if self.path == "/api/v1/namespaces/kube-system" and a.namespace_uid:
                self.answer(200, json.dumps({
                    "kind": "Namespace", "apiVersion": "v1",
                    "metadata": {"name": "kube-system", "uid": a.namespace_uid}}).encode(),
                    "application/json")
                return
            if self.path.startswith("/api/v1/nodes/") and a.node:
                with open(a.node) as f:
                    node = json.load(f)
                if self.path == "/api/v1/nodes/" + node["metadata"]["name"]:
                    self.answer(200, json.dumps(node).encode(), "application/json")
                    return
            if self.path != "/pods":
                self.answer(404, b"404 page not found\n", "text/plain")
                return
            with open(a.pods, "rb") as f:
                self.answer(200, f.read(), "application/json")

        def answer(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("kubelet-double: %s\n" % (fmt % args))
            sys.stderr.flush()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
