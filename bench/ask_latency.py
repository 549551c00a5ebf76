"""Warm `ask` latency on an existing store: p50/p95 over gold questions (extractive generator).

NEWSBRIEF_HOME=/tmp/rtqa-store python bench/ask_latency.py ../shared/datasets/realtimeqa-2022/queries-dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from rag.answer import ask
from rag.settings import load_settings
from rag.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    settings = load_settings()
    store = open_store(settings)
    rows = [json.loads(line) for line in args.gold.read_text().splitlines() if line.strip()][: args.limit]
    ask(store, settings, rows[0]["question"])  # warm: model session, BM25 index, Chroma segments
    timings = []
    for row in rows:
        started = time.perf_counter()
        ask(store, settings, row["question"], as_of=row.get("question_date"))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    print(
        f"chunks={store.count_chunks()} questions={len(timings)} "
        f"p50={statistics.median(timings):.0f} ms p95={p95:.0f} ms max={timings[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
