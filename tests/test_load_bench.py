"""A small run of bench/load.py (the bench itself runs far longer: see bench/RESULTS.md)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_bench():
    """bench/load.py as the module ``load`` (its worker processes import it by that name)."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module("load")


def test_stray_folders_are_counted(tmp_path: Path) -> None:
    bench = load_bench()
    folder = tmp_path / "bm25" / "newsbrief"
    (folder / "gen-a").mkdir(parents=True)
    (folder / ".build.lock").touch()
    assert bench.stray_folders(tmp_path) == []
    (folder / "gen-b").mkdir()
    (folder / ".build-x1").mkdir()
    (tmp_path / "bm25" / "newsbrief.1a2b3c4d.tmp").mkdir()
    assert len(bench.stray_folders(tmp_path)) == 3


def test_the_bm25_phase_runs_clean_on_a_small_store(tmp_path: Path) -> None:
    from rag.index import ingest_paths
    from rag.settings import load_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Harbour bridge opens\nGazette\n2021-05-04\n\nThe harbour bridge opened, the council said.\n"
    )
    home = tmp_path / "store"
    assert ingest_paths([corpus], load_settings(home=home)).failed == 0
    bench = load_bench()
    result = bench.phase_bm25(home, processes=2, rounds=2)
    assert result.ok and result.operations == 4, (result.errors, result.extra)
    assert result.row().startswith("| bm25 | 2 processes rebuilding BM25 at once, 2 generations | 4 | 0 |")
    report = bench.report([result], "python bench/load.py --phases bm25", "a test store")
    assert bench.HEADING in report and "| bm25 |" in report
