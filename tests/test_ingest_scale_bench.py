"""bench/ingest_scale.py's pure parts: the re-dated corpus copies, rank metrics and the projection
(the bench itself ingests for hours: see bench/RESULTS.md)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_bench():
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module("ingest_scale")


def test_copies_are_the_corpus_whole_years_later_with_ids_of_their_own() -> None:
    bench = load_bench()
    records = [
        {"id": "a", "published_at": "2022-06-17", "url": "https://x.example/a", "body": "Text."},
        {"id": "b", "published_at": "2024-02-29T10:00:00", "url": "", "body": "Leap."},
    ]
    grown = bench.redated_corpus(records, 3)
    assert len(grown) == 6 and grown[:2] == records
    assert [r["published_at"] for r in grown[2:]] == [
        "2023-06-17",
        "2025-02-28T10:00:00",
        "2024-06-17",
        "2026-02-28T10:00:00",
    ]
    assert len({r["id"] for r in grown}) == 6 and grown[2]["id"] == "a-y1"
    assert grown[2]["url"] == "https://x.example/a#y1" and grown[3]["url"] == ""
    assert all(r["body"] == records[i % 2]["body"] for i, r in enumerate(grown))
    assert records[0]["published_at"] == "2022-06-17"  # the originals are not changed


def test_rank_metrics() -> None:
    bench = load_bench()
    metrics = bench.rank_metrics([1, 2, None, 6])
    assert metrics == pytest.approx({"hits1": 0.25, "hits5": 0.5, "mrr10": (1 + 0.5 + 1 / 6) / 4})
    assert bench.rank_metrics([]) == {"hits1": None, "hits5": None, "mrr10": None}


def test_projection_extrapolates_the_measured_rows() -> None:
    bench = load_bench()
    rows = [
        bench.Row(size=f"×{k}", pipeline="newsbrief", articles=1000 * k, ingest_s=360.0 * k, store_mib=100.0 * k,
                  peak_rss_mib=800 + 10.0 * k, p50_ms=40.0 * k**0.5)
        for k in (1, 2, 4)
    ]  # fmt: skip
    lines = bench.projection(rows, targets=[100_000])
    assert lines[2].startswith("| 100,000 | 10.0 | 9.8 | 1.76 | 400 |")
    assert "articles^0.50" in lines[-1]
    assert bench.projection(rows[:1]) == ["(a projection needs at least two scales)"]
