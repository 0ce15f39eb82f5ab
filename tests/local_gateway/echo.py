"""An HTTP echo backend that answers like the demo backends (mendhak/http-https-echo, index.js).

Every method and path gets ``200`` and a JSON object with the request as the backend saw it: ``path``,
``headers`` (names lower-cased, as Node gives them), ``method``, ``body`` (the raw text), ``query``,
``hostname``, ``ip``, ``protocol``, ``os.hostname`` and, for ``application/json``, ``json``. The request
headers (or query arguments) ``x-set-response-status-code`` and ``x-set-response-delay-ms`` set the status and
hold the answer, as the image does. ``os.hostname`` is ``--hostname``: the first label of the target host,
which the Docker platform gives each echo container (gateway/platform/docker/backends.py).

Standard library only: ``python echo.py --listen 127.77.0.10:8089 --hostname nmt-service``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from urllib.parse import parse_qs, urlsplit

STATUS_HEADER = "x-set-response-status-code"
DELAY_HEADER = "x-set-response-delay-ms"


def query_object(query: str) -> dict[str, str | list[str]]:
    """Express's ``req.query`` for flat arguments: one value as a string, repeated ones as a list."""
    parsed = parse_qs(query, keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def as_int(value: str | list[str] | None) -> int | None:
    text = value[0] if isinstance(value, list) else value
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Node's server: Kong pools upstream connections
    os_hostname = "echo"

    def handle_one_request(self) -> None:
        """Every method is answered the same way (``app.all('*')``)."""
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.answer()
            self.wfile.flush()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def answer(self) -> None:
        url = urlsplit(self.path)
        body = read_body(self).decode("utf-8", errors="replace")
        query = query_object(url.query)
        headers = {name.lower(): value for name, value in self.headers.items()}
        host = headers.get("host", "")
        echo: dict[str, object] = {
            "path": url.path, "headers": headers, "method": self.command, "body": body, "cookies": {},
            "fresh": False, "hostname": host.rsplit(":", 1)[0] if not host.startswith("[") else host,
            "ip": self.client_address[0], "ips": [], "protocol": "http", "query": query, "subdomains": [],
            "xhr": False, "os": {"hostname": self.os_hostname}, "connection": {},
        }
        if headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
            with contextlib.suppress(ValueError):  # the image's JSON.parse would answer 500: not a case we test
                echo["json"] = json.loads(body)
        status = as_int(headers.get(STATUS_HEADER)) or as_int(query.get(STATUS_HEADER))
        delay = as_int(headers.get(DELAY_HEADER)) or as_int(query.get(DELAY_HEADER)) or 0
        if delay > 0:
            time.sleep(delay / 1000)
        payload = json.dumps(echo, indent=2).encode("utf-8")
        self.send_response(status if status is not None and 100 <= status < 600 else 200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: bodies and keys never reach a log (the image logs only with LOG_REQUESTS=true)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="ADDRESS:PORT")
    parser.add_argument("--hostname", required=True, help="what the answers give as os.hostname")
    args = parser.parse_args(argv)
    address, port = args.listen.rsplit(":", 1)
    Echo.os_hostname = args.hostname
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer((address, int(port)), Echo)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"echo {args.hostname} listening on {args.listen}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
