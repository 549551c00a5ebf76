"""An ingest killed at any point leaves nothing half-done: re-running it ends in the same store as
one clean run — no half-indexed article, no duplicate chunk, no orphaned BM25 entry, links intact.

Kill points are deterministic (just before the N-th write to Chroma, via tests/kill_ingest.py) plus
one real SIGKILL at a random moment. Inputs mix formats: Wikinews text, Markdown, JSON lines, an
RSS feed, a PDF and a near-duplicate pair (stored once, linked).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.ingest import path_id
from tests.conftest import CORPUS, ROOT
from tests.test_dedup import OTHER, WIRE, copy_of, write
from tests.test_formats import tiny_pdf

pytestmark = pytest.mark.timeout(900)

KILLER = ROOT / "tests" / "kill_ingest.py"
ENV = dict(os.environ, NO_COLOR="1", ORT_DISABLE_TELEMETRY="1", ANONYMIZED_TELEMETRY="False")

SNAPSHOT = """
import json, sys
from rag.settings import load_settings
from rag.store import open_store
store = open_store(load_settings(home=sys.argv[1]))
ids, docs, metas = store.get_all(include=["documents", "metadatas"])
markers = {m["article_id"]: [m["content_hash"], m["n_chunks"], m.get("duplicates", "")]
           for m in metas if m["index"] == 0}
complete = all(sum(1 for m in metas if m["article_id"] == a) == v[1] for a, v in markers.items())
bm25 = sorted(store.bm25().chunk_ids)
print(json.dumps({"ids": sorted(ids), "n_records": len(ids), "texts": sorted(docs), "markers": markers,
                  "complete": complete, "bm25": bm25}))
"""


def inputs(folder: Path, wikinews: int) -> list[Path]:
    """A mix of formats: Wikinews .txt, a near-duplicate .md pair, and a .jsonl export."""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder, "ap-storm", "Storm capsizes trawlers off Valdoria; 14 rescued", "AP", "2024-03-05", WIRE)
    write(folder, "cnn-storm", "Storm capsizes trawlers off Valdoria, 14 rescued", "CNN", "2024-03-05", copy_of(WIRE))
    records = [
        {
            "id": "council",
            "title": "Brennick library",
            "source": "Brennick Post",
            "published_at": "2024-03-06",
            "body": OTHER,
        },
        {
            "id": "council-2",
            "title": "Brennick housing plan",
            "source": "Brennick Post",
            "published_at": "2024-03-07",
            "body": OTHER.replace("library", "housing estate").replace("bus depot", "old gasworks"),
        },
    ]
    (folder / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    items = "".join(
        f"<item><title>Harbour notice {n}</title><pubDate>Tue, 0{n} Apr 2024 08:00:00 GMT</pubDate>"
        f"<description>{html.escape(OTHER.replace('Brennick', f'Harbourtown {n}'))}</description></item>"
        for n in (1, 2)
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>{items}</channel></rss>'
    (folder / "gazette.rss").write_text(feed)  # full-text entries without links: nothing to fetch
    (folder / "report.pdf").write_bytes(
        tiny_pdf(["Quarry safety report", "The Hollins quarry reopened after its inspection."], created="D:20240402")
    )
    return [folder, *sorted((CORPUS / "wikinews").glob("*.txt"))[:wikinews]]


def newsbrief(store: Path, paths: list[Path], kill_at: int = 0) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(KILLER), "--store", str(store), "ingest", "-q", *map(str, paths)]
    env = dict(ENV, KILL_AT_WRITE=str(kill_at))
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


def snapshot(store: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SNAPSHOT, str(store)], capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def assert_whole(state: dict[str, object], reference: dict[str, object]) -> None:
    assert state["complete"], "an article is missing some of its chunks"
    assert state["n_records"] == len(set(state["ids"])) == reference["n_records"], "duplicate or missing chunks"
    assert state["ids"] == reference["ids"]
    assert state["texts"] == reference["texts"]
    assert state["markers"] == reference["markers"]  # same content hashes and near-duplicate links
    assert state["bm25"] == state["ids"], "BM25 holds chunks Chroma does not (or misses some)"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, object], int]:
    folder = tmp_path_factory.mktemp("crash")
    paths = inputs(folder / "in", wikinews=5)
    done = newsbrief(folder / "clean", paths)
    assert done.returncode == 0, done.stderr[-3000:]
    writes = int(re.findall(r"writes=(\d+)", done.stderr)[-1])
    state = snapshot(folder / "clean")
    ap, cnn = (path_id(folder / "in" / name) for name in ("ap-storm.md", "cnn-storm.md"))
    assert cnn in state["markers"][ap][2]  # the copy is linked, not stored
    assert not any(i.startswith(f"{cnn}:") for i in state["ids"])
    return paths, state, writes


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_killed_at_a_write_then_rerun_is_whole(
    reference: tuple[list[Path], dict[str, object], int], tmp_path: Path, fraction: float
) -> None:
    paths, expected, writes = reference
    kill_at = max(1, round(fraction * writes))
    killed = newsbrief(tmp_path / "store", paths, kill_at)
    assert killed.returncode == 137, (kill_at, writes, killed.stderr[-2000:])
    rerun = newsbrief(tmp_path / "store", paths)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_whole(snapshot(tmp_path / "store"), expected)
    again = newsbrief(tmp_path / "store", paths)  # and a third run has nothing left to do
    assert "0 chunks written" in again.stdout, again.stdout


def test_real_sigkill_at_a_random_moment(tmp_path: Path) -> None:
    paths = inputs(tmp_path / "in", wikinews=25)
    clean = newsbrief(tmp_path / "clean", paths)
    assert clean.returncode == 0, clean.stderr[-3000:]
    expected = snapshot(tmp_path / "clean")
    command = [sys.executable, "-m", "rag", "--store", str(tmp_path / "store"), "ingest", "-q", *map(str, paths)]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(random.Random().uniform(3.0, 8.0))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    rerun = newsbrief(tmp_path / "store", paths)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_whole(snapshot(tmp_path / "store"), expected)
