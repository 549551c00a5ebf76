"""The BM25 rebuild an ingest ends with, alone: wall time and memory on an existing store.

    python bench/bm25_build.py STORE [STORE ...]

Each store is measured in a fresh process (peak RSS is per process): resident memory after the
store opens, before bm25s builds its matrix (pages read and tokenised), after, and the peak. The
index is built in memory and not saved: the store is left as it was.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def resident_mib() -> int:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) // 1024


def peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measure(home: str) -> dict[str, object]:
    """Build the index of ``home`` in this process and report what it cost."""
    import bm25s

    from rag.settings import load_settings
    from rag.store import open_store

    phases: dict[str, object] = {"store": home}
    index = bm25s.BM25.index

    def measured_index(self: object, *args: object, **kwargs: object) -> object:
        phases["before_matrix_mib"] = resident_mib()
        return index(self, *args, **kwargs)

    bm25s.BM25.index = measured_index  # type: ignore[method-assign]
    store = open_store(load_settings(home=home))
    phases["opened_mib"] = resident_mib()
    started = time.perf_counter()
    built = store._build_bm25("bench")
    phases |= {
        "chunks": len(built.chunk_ids),
        "seconds": round(time.perf_counter() - started, 1),
        "after_mib": resident_mib(),
        "peak_mib": peak_mib(),
    }
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stores", nargs="+")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.stores[0])))
        return
    for home in args.stores:
        done = subprocess.run([sys.executable, __file__, "--worker", home], capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
