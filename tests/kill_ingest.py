"""Run ``newsbrief`` but die like a SIGKILL just before the N-th write to Chroma.

Used by tests/test_crash_safety.py: ``KILL_AT_WRITE=N python tests/kill_ingest.py --store S ingest …``.
``KILL_AT_WRITE=0`` never dies and prints ``writes=K`` (how many write calls a clean run makes).
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chromadb.api.models.Collection import Collection

KILL_AT = int(os.environ.get("KILL_AT_WRITE", "0"))
calls = 0


def counting(name: str) -> None:
    original = getattr(Collection, name)

    def write(self: Collection, *args: object, **kwargs: object) -> object:
        global calls
        calls += 1
        if calls == KILL_AT:
            os._exit(137)  # no cleanup, no flush, no atexit: as abrupt as SIGKILL
        return original(self, *args, **kwargs)

    setattr(Collection, name, write)


for method in ("add", "upsert", "update", "delete", "modify"):
    counting(method)
atexit.register(lambda: print(f"writes={calls}", file=sys.stderr))

from rag.cli import app  # noqa: E402

app(prog_name="newsbrief")
