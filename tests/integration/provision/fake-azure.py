#!/usr/bin/env python3
"""Fake Azure IMDS and WireServer for plinth-provision's tests, on 127.0.0.1 only.

    fake-azure.py SCRIPT.json LOG.jsonl PORTFILE

SCRIPT maps an endpoint ("imds", "goalstate", "health") to a list of responses
given in order; the last one repeats. A response is a status code, or an object
{"status": N, "body": "..."}. Every request is appended to LOG as one JSON line
(time, method, path, headers, body), so tests can check what the client sent.
Requests that miss a header the real service requires get 400, as the real one does.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

script = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
counters = {}
lock = threading.Lock()

GOAL_STATE = """<?xml version="1.0" encoding="utf-8"?>
<GoalState xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="goalstate10.xsd">
  <Version>2012-11-30</Version>
  <Incarnation>7</Incarnation>
  <Machine><ExpectedState>Started</ExpectedState><StopRolesDeadlineHint>300000</StopRolesDeadlineHint></Machine>
  <Container>
    <ContainerId>c6d5e2a8-3b1f-4e0c-9d7a-2f8b1e4c6a90</ContainerId>
    <RoleInstanceList>
      <RoleInstance>
        <InstanceId>896d1a3b-7c2e-4f5a-b8d9-0e1f2a3b4c5d._aks-node-0</InstanceId>
        <State>Started</State>
      </RoleInstance>
    </RoleInstanceList>
  </Container>
</GoalState>
"""


def next_response(endpoint):
    with lock:
        seq = script.get(endpoint, [200])
        i = counters.get(endpoint, 0)
        counters[endpoint] = i + 1
        r = seq[min(i, len(seq) - 1)]
    if isinstance(r, int):
        r = {"status": r}
    return r


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, body):
        entry = {"time": time.monotonic(), "method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", "replace")}
        with lock, open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, body=b"", ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self):
        if self.path.startswith("/metadata/instance/compute/userData"):
            if self.headers.get("Metadata") != "true" or "api-version=" not in self.path:
                return self.reply(400, b"missing Metadata header or api-version")
            r = next_response("imds")
            return self.reply(r["status"], r.get("body", "").encode())
        if self.path.startswith("/machine"):
            if self.headers.get("x-ms-version") != "2012-11-30":
                return self.reply(400, b"missing x-ms-version")
            if self.command == "GET" and "comp=goalstate" in self.path:
                r = next_response("goalstate")
                return self.reply(r["status"], r.get("body", GOAL_STATE).encode(), "text/xml")
            if self.command == "POST" and "comp=health" in self.path:
                r = next_response("health")
                return self.reply(r["status"])
        return self.reply(404)

    def do_GET(self):
        self.record(b"")
        self.route()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.record(body)
        self.route()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
server.serve_forever()
