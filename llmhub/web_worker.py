"""The web process's gunicorn worker: gunicorn's sync worker, closing finished connections at once.

gunicorn 27 closes every connection the careful way (RFC 9112 section 9.6): it half-closes, then
waits, up to 2 s, for the client to close its side, so that request bytes the server never read
cannot make the kernel answer with a reset that destroys the response on its way. A sync worker
serves nobody else meanwhile, so every request also paid for the client's scheduling: under
load that idle wait was a sixth of a worker's time (bench/api_bench.py, docs/PERFORMANCE.md).

Like nginx (`lingering_close on`), this worker lingers only when the client may still be
sending: when the request's body was not read to its end, or bytes are already waiting. Else no
unread byte can arrive (the worker answers one request per connection and says so), and it
closes at once. TLS keeps gunicorn's own handling.

The answers gunicorn writes itself (a request line it cannot parse: raw bytes that are not
ASCII, a NUL, a line too long; or an exception escaping the application) are HTML pages in
gunicorn's stock worker; this one writes them in the API's error shape (docs/API.md), JSON, so
an API client gets JSON whatever bytes it sends (issue 11, hostile paths).

    gunicorn --worker-class llmhub.web_worker.SyncWorker llmhub.wsgi
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.http.body import LengthReader
from gunicorn.workers import sync

from llmhub.api.errors import error_body

# The `code` of gunicorn's own answers, by status (the API's codes where it has one).
ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    501: "not_implemented",
}
MAX_MESSAGE = 200  # gunicorn's message quotes the request line, which may be 8 KB long


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's `util.write_error`, answering the API's error shape (llmhub.api.errors: a
    module without Django imports, so usable before the application is loaded)."""
    code = ERROR_CODES.get(status_int, "server_error" if status_int >= 500 else "bad_request")
    message = f"{reason}: {mesg}" if mesg else reason
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    body = json.dumps(error_body(code, message)).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class SyncWorker(sync.SyncWorker):
    def init_process(self) -> None:
        # In the worker process only: gunicorn's handle_error writes through `util.write_error`.
        util.write_error = write_json_error
        super().init_process()

    def handle_request(self, listener: Any, req: Any, client: socket.socket, addr: Any) -> None:
        super().handle_request(listener, req, client, addr)
        if not self.cfg.is_ssl and _read_to_the_end(req) and not _bytes_waiting(client):
            # The response is out and nothing unread can follow: gunicorn's lingering close
            # (in `handle`) then finds the socket closed and returns at once.
            client.close()


def _read_to_the_end(req: Any) -> bool:
    """The body had a length (0 for none) and all of it was read."""
    reader = getattr(getattr(req, "body", None), "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


def _bytes_waiting(client: socket.socket) -> bool:
    """Bytes already sent that nobody read (pipelined, or a body beyond what was read)."""
    try:
        return bool(client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False
    except OSError:  # reset or gone: there is no response left to protect
        return False
