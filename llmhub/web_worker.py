"""The web process's gunicorn worker: gunicorn's sync worker, closing finished connections at once.

gunicorn 27 closes every connection the careful way (RFC 9112 section 9.6): it half-closes, then
waits, up to 2 s, for the client to close its side, so that request bytes the server never read
cannot make the kernel answer with a reset that destroys the response on its way. A sync worker
serves nobody else meanwhile, so every request also paid for the client's scheduling: under
load that idle wait was a sixth of a worker's time (bench/api_bench.py, docs/PERFORMANCE.md).

Like nginx (`lingering_close on`), this worker lingers only when the client may still be
sending: when the request's body was not read to its end, or bytes are already waiting. Else no
unread byte can arrive (the worker answers one request per connection and says so), and it
closes at once. Errors and TLS keep gunicorn's own handling.

    gunicorn --worker-class llmhub.web_worker.SyncWorker llmhub.wsgi
"""

from __future__ import annotations

import socket
from typing import Any

from gunicorn.http.body import LengthReader
from gunicorn.workers import sync


class SyncWorker(sync.SyncWorker):
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
