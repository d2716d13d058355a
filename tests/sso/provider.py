"""The real OpenID provider the sign-in tests start: tests/oidc/provider.mjs on Node.

`npm ci` installs the pinned `oidc-provider` (tests/oidc/package-lock.json) when it is missing;
.ci/run does it up front. The process is stopped by its PID.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flags.tests.support.services import _wait_for_port
from tests.system.postgres import port_for_faults

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "llmhub"
CLIENT_SECRET = "llmhub-test-client-secret"
API_AUDIENCE = "https://llmhub.test/api"
CLI_CLIENT_ID = "llmhub-cli"
CLI_REDIRECT = "http://127.0.0.1/cli-callback"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {
        "password": "alice-pw",
        "email": "alice@example.com",
        "name": "Alice Liddell",
        "groups": ["dev-team", "/platform/admins"],
    },
    "bob": {
        "password": "bob-pw",
        "email": "bob@example.com",
        "name": "Bob Marley",
        "groups": ["sales"],
    },
}


def ensure_installed() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Node 20+ and npm are needed for the OIDC tests)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, capture_output=True
    )


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def oidc_provider(
    site_url: str,
    *,
    clock_offset_seconds: int = 0,
    access_token_ttl: int = 600,
    accounts: dict[str, dict[str, Any]] | None = None,
) -> Iterator[Provider]:
    """A provider whose client `llmhub` may send users back to `site_url`."""
    ensure_installed()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (Node 20+ is needed for the OIDC tests)")
    port = port_for_faults()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{site_url}/oidc/callback/"],
                "post_logout_redirect_uris": [f"{site_url}/admin/login/"],
            },
            {  # a command-line tool getting API tokens: public, PKCE only
                "client_id": CLI_CLIENT_ID,
                "token_endpoint_auth_method": "none",
                "redirect_uris": [CLI_REDIRECT],
            },
        ],
        "accounts": accounts or ACCOUNTS,
        "clock_offset_seconds": clock_offset_seconds,
        "access_token_ttl": access_token_ttl,
        "api_audience": API_AUDIENCE,
    }
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder, "config.json")
        config_path.write_text(json.dumps(config))
        log = Path(folder, "provider.log")
        with log.open("wb") as out:
            process = subprocess.Popen(
                [node, "provider.mjs", str(config_path)], cwd=OIDC_DIR, stdout=out, stderr=out
            )
        provider = Provider(f"http://127.0.0.1:{port}", process, log)
        try:
            try:
                _wait_for_port(port, timeout=20)
            except RuntimeError:
                raise RuntimeError(f"the OIDC provider did not start: {log.read_text()}") from None
            yield provider
        finally:
            provider.stop()
