"""The ROUGE bench (bench/rouge_briefs.py): the length rule, and a 3-cluster smoke run when the data is there."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets" / "multinews-sample" / "clusters.jsonl"


def _bench():
    spec = importlib.util.spec_from_file_location("rouge_briefs", ROOT / "bench" / "rouge_briefs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fit_adds_whole_sentences_then_cuts_the_last_at_the_budget() -> None:
    ranked = [((2, 0), "one two three four"), ((0, 0), "five six seven"), ((1, 0), "eight nine")]
    assert _bench().fit(ranked, 6) == [((2, 0), "one two three four"), ((0, 0), "five six")]
    assert _bench().fit(ranked, 4) == [((2, 0), "one two three four")]


@pytest.mark.skipif(not DATA.exists(), reason="Multi-News sample not present (../shared/datasets)")
def test_bench_smoke_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_text(encoding="utf-8")
    assert _bench().main(["--limit", "3", "--no-append"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert rows[0] == "| system | R-1 | R-2 | R-L | clusters | seconds |"
    systems = [r.split("|")[1].strip() for r in rows[2:]]
    assert systems == ["newsbrief summarize (ours)", "LexRank", "TextRank", "LSA", "lead sentences round-robin"]
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 6 and cells[4] == "3"
        assert all(re.fullmatch(r"\d+\.\d+", c) and 0 < float(c) < 100 for c in cells[1:4])
    assert results.read_text(encoding="utf-8") == before  # --no-append leaves the results file alone
