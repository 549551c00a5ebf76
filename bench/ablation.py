"""What each retrieval idea is worth: the eval suite re-run with one step added at a time.

Rows: BM25 only → dense only → both fused (RRF) → + recency prior → + article aggregation
(best chunk + a share of the second) → + near-duplicate MMR (= today's defaults). Every row is
as-of filtered and answers with the extractive generator, so the answer metrics move too.

    NEWSBRIEF_HOME=/tmp/rtqa/home python bench/ablation.py ../shared/datasets/realtimeqa-2022/queries-dev.jsonl

Prints a Markdown table and appends it, with the machine and the command, to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

from rag.evaluate import evaluate, load_gold
from rag.settings import load_settings
from rag.store import open_store

OFF = {"recency_weight": 0.0, "second_chunk_weight": 0.0, "redundancy": 0.0}
STEPS: list[tuple[str, dict[str, object]]] = [
    ("BM25 only", {**OFF, "dense": False}),
    ("dense only", {**OFF, "hybrid": False}),
    ("fused (RRF)", OFF),
    ("+ recency prior", {"second_chunk_weight": 0.0, "redundancy": 0.0}),
    ("+ article aggregation", {"redundancy": 0.0}),
    ("+ near-duplicate MMR (defaults)", {}),
]
COLUMNS = [
    "hits@1",
    "hits@5",
    "hits@10",
    "mrr@10",
    "answer_contains_gold",
    "multiple_choice_accuracy",
    "cited_article_is_gold",
    "citation_span_validity",
    "false_abstention",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N questions.")
    parser.add_argument("--no-append", action="store_true", help="Print only; do not append to bench/RESULTS.md.")
    args = parser.parse_args()
    if not args.gold.exists():
        sys.exit(f"{args.gold}: not found (the RealTime QA data lives in ../shared/datasets)")
    gold = load_gold(args.gold)[: args.limit]
    base = load_settings()
    store = open_store(base)
    header = "| step | " + " | ".join(COLUMNS) + " | s/question |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 2)]
    print(f"{store.count_chunks()} chunks, {len(gold)} questions", flush=True)
    for name, changes in STEPS:
        started = time.perf_counter()
        metrics = evaluate(store, base.with_(**changes), gold).metrics
        cells = [f"{metrics[c]:.3f}" if isinstance(metrics[c], float) else str(metrics[c]) for c in COLUMNS]
        per_question = (time.perf_counter() - started) / len(gold)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {per_question:.2f} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    if not args.no_append:
        command = "NEWSBRIEF_HOME=… python " + " ".join(sys.argv)
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        section = (
            f"\n## {datetime.now():%Y-%m-%d} — retrieval ablation ({len(gold)} questions, "
            f"{store.count_chunks()} chunks)\n\nMachine: {machine}. Command: `{command}`\n\n{table}\n"
        )
        with (Path(__file__).parent / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(section)


if __name__ == "__main__":
    main()
