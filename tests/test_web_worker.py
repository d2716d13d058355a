"""The web worker closes a finished connection at once, and still lingers when the client may
be sending: real gunicorn, one worker, real sockets."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from flags.tests.support.services import free_port
from telemetry.tests.worker import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = """
def application(environ, start_response):
    body = b"hello"  # never reads the request body
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [body]
"""
STOCK = "sync"
OURS = "llmhub.web_worker.SyncWorker"


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
    except OSError:
        return False
    return True


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    (tmp_path / "hello_app.py").write_text(APP)
    started: list[subprocess.Popen[bytes]] = []

    def start(worker_class: str) -> int:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hello_app:application", "--workers", "1",
             "--worker-class", worker_class, "--bind", f"127.0.0.1:{port}",
             "--pythonpath", f"{tmp_path},{ROOT}"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(process)
        wait_for(lambda: _answers(port), timeout=20, interval=0.1, what="gunicorn to answer")
        return port

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _response(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"hello"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _second_request_seconds(port: int, first: bytes) -> float:
    """Send `first` and read its response but keep the socket open (a client slow to close);
    then time a second client's whole request."""
    with socket.create_connection(("127.0.0.1", port)) as lazy:
        lazy.sendall(first)
        assert _response(lazy).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.read() == b"hello"
        return time.monotonic() - started


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
# A body announced but not yet sent, which the application never reads.
UNREAD_BODY = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"


def test_stock_sync_worker__waits_for_a_slow_client_to_close(serve) -> None:
    """Why this worker exists: gunicorn's own waits (up to 2 s) before the next request."""
    assert _second_request_seconds(serve(STOCK), GET) > 1.5


def test_finished_request__closed_at_once_next_client_served(serve) -> None:
    assert _second_request_seconds(serve(OURS), GET) < 0.5


def test_unread_body__still_lingers_so_the_response_is_not_reset(serve) -> None:
    """Bytes of the body may still arrive: closing now could reset the response away."""
    assert _second_request_seconds(serve(OURS), UNREAD_BODY) > 1.5


def test_connection_closed_after_the_response(serve) -> None:
    port = serve(OURS)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(GET)
        assert _response(sock).endswith(b"hello")
        sock.settimeout(2)
        assert sock.recv(1) == b""  # the server closed its side


def test_bytes_waiting__seen_without_being_consumed() -> None:
    """The check that keeps the lingering close for pipelined or unread bytes."""
    from llmhub.web_worker import _bytes_waiting

    ours, peer = socket.socketpair()
    with ours, peer:
        assert _bytes_waiting(ours) is False  # nothing sent
        peer.sendall(b"GET /next HTTP/1.1\r\n")
        assert _bytes_waiting(ours) is True
        assert ours.recv(100) == b"GET /next HTTP/1.1\r\n"  # peeked, not consumed
        peer.close()
        assert _bytes_waiting(ours) is False  # the peer closed: nothing left to protect


def test_pipelined_request__the_response_arrives_whole(serve) -> None:
    """A client that sends a second request behind the first gets the first answer whole."""
    port = serve(OURS)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(GET + GET)
        data = b""
        sock.settimeout(3)
        while chunk := sock.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello")


@pytest.mark.parametrize(
    ("request_line", "status", "code"),
    [
        (b"GET /api/v1/features/\xff HTTP/1.1", 400, "bad_request"),  # not ASCII
        (b"GET /api/v1/features/a\x00b HTTP/1.1", 400, "bad_request"),  # NUL
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1", 414, "uri_too_long"),  # beyond the default 4094
    ],
)
def test_request_line_gunicorn_refuses__json_error_shape(
    serve, request_line: bytes, status: int, code: str
) -> None:
    """gunicorn answers these itself, before any application: in the API's error shape."""
    import json

    port = serve(OURS)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == code
