"""Where the shared test vectors are: $LLMHUB_SHARED, beside the checkout, /work/shared, or
else the byte-for-byte copies in tests/vectors (for CI machines without the shared folder).
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]


COPIES = CHECKOUT / "tests" / "vectors"


def shared_vectors_dir() -> Path | None:
    for folder in (os.environ.get("LLMHUB_SHARED"), CHECKOUT.parent / "shared", "/work/shared"):
        if folder and (Path(folder) / "vectors").is_dir():
            return Path(folder) / "vectors"
    return None


def vectors_dir() -> Path:
    return shared_vectors_dir() or COPIES
