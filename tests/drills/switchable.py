"""A front for the search server that the drills can switch between up and answering 503.

Staffroom's client talks to this front as it would to the cluster. Up, it passes each
request through to the real (or emulated) server and its answer back; in 503 mode it answers
every request with `503 Service Unavailable` and Elasticsearch's own error body, as a cluster
with no master or a load balancer with no healthy node does.
"""

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

UNAVAILABLE_BODY = json.dumps(
    {
        "error": {
            "type": "cluster_block_exception",
            "reason": "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered];",
        },
        "status": 503,
    }
).encode()

# Hop-by-hop headers are the front's own business, not the server's.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class SwitchableFront:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 9200
        self.unavailable = False
        self.answered_503 = 0
        self.passed = 0
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                if front.unavailable:
                    front.answered_503 += 1
                    self._answer(503, {"content-type": "application/json"}, UNAVAILABLE_BODY)
                    return
                front.passed += 1
                status, headers, answer = front.forward(
                    self.command, self.path, body, dict(self.headers)
                )
                self._answer(status, headers, answer)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass  # quiet in test output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            wanted = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(method, path, body=body, headers=wanted)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


@contextmanager
def switchable_front(upstream: str) -> Iterator[SwitchableFront]:
    front = SwitchableFront(upstream)
    thread = threading.Thread(target=front.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        front.server.shutdown()
        front.server.server_close()
        thread.join(timeout=5)
