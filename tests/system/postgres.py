"""A private PostgreSQL cluster for fault tests: initdb in a temporary directory, the server
started as one process on its own port, stopped (and started again) by its PID.

The shared PostgreSQL of the machine is never touched. As root (a container), the cluster
belongs to the `postgres` system user, as initdb refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from flags.tests.support.services import free_port

INITDB_OPTIONS = ["--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]
# A throwaway cluster: durability off, only the loopback address.
SERVER_OPTIONS = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="]
SERVER_OPTIONS += ["-c", "fsync=off", "-c", "max_connections=50"]


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found


def port_for_faults() -> int:
    """A free port: from LLMHUB_FAULT_PORTS ("22000-22099") when set, else any the OS gives."""
    span = os.environ.get("LLMHUB_FAULT_PORTS")
    if not span:
        return free_port()
    low, high = (int(part) for part in span.split("-"))
    for port in range(low, high + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in LLMHUB_FAULT_PORTS={span}")


class PrivatePostgres:
    def __init__(self) -> None:
        # Its own directory under /tmp: pytest's tmp_path is private to root (mode 0700).
        self.directory = Path(tempfile.mkdtemp(prefix="llmhub-pg-"))
        self.data = self.directory / "data"
        self.port = port_for_faults()
        self.process: subprocess.Popen[bytes] | None = None
        self._user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        if self._user is not None:
            record = pwd.getpwnam(self._user)
            os.chown(self.directory, record.pw_uid, record.pw_gid)
        subprocess.run(
            [_binary("initdb"), "-D", str(self.data), "-U", "postgres", *INITDB_OPTIONS],
            check=True,
            capture_output=True,
            user=self._user,
        )

    def start(self) -> None:
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [_binary("postgres"), "-D", str(self.data), "-p", str(self.port), *SERVER_OPTIONS],
            stdout=log,
            stderr=log,
            user=self._user,
        )
        self._wait_accepting()

    def _wait_accepting(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError((self.directory / "server.log").read_text()[-3000:])
            ready = subprocess.run(
                [_binary("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not accept connections on {self.port}")

    def stop(self) -> None:
        """Fast shutdown by PID (SIGINT): sessions are cut, as in a failover or a restart."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def running_cluster(database: str = "llmhub") -> Iterator[PrivatePostgres]:
    """A started private cluster holding an empty `database`, removed afterwards."""
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database}")
        yield server
    finally:
        server.remove()
