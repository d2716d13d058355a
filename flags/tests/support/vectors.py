"""Where the shared test vectors are: $LLMHUB_SHARED, beside the checkout, or /work/shared.

Missing vectors are a failure, not a skip: the tests that read them are the point.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]


def vectors_dir() -> Path:
    for folder in (os.environ.get("LLMHUB_SHARED"), CHECKOUT.parent / "shared", "/work/shared"):
        if folder and (Path(folder) / "vectors").is_dir():
            return Path(folder) / "vectors"
    raise FileNotFoundError("test vectors not found: set LLMHUB_SHARED to the shared folder")
