"""The eval suite: metric arithmetic, the bundled gold set, and RealTime QA on a small real slice."""

from __future__ import annotations

import json
import random

import pytest

from rag.evaluate import QuestionResult, evaluate, gold_rank, load_gold, normalise, summarise
from rag.index import ingest_paths
from rag.settings import load_settings
from tests.conftest import DATASETS, ROOT

RTQA = DATASETS / "realtimeqa-2022"


def test_normalise_and_gold_rank() -> None:
    assert normalise("“Squid Game”") == "squid game"
    assert normalise("US$85 billion.") == "us$85 billion"
    row = {"evidence": [{"doc_id": "b"}]}
    assert gold_rank(row, [("a", "A"), ("b", "B")]) == 2
    assert gold_rank(row, [("a", "A")]) is None


def _row(rank: int | None, gold: str | None, abstained: bool) -> QuestionResult:
    return QuestionResult("q", "?", gold, "", abstained, rank, None, False, False, None, True, 0.0)


def test_summary_arithmetic() -> None:
    rows = [_row(1, "x", False), _row(3, "x", False), _row(None, "x", True), _row(None, None, True)]
    m = summarise(rows)
    assert m["hits@1"] == round(1 / 3, 4) and m["hits@5"] == round(2 / 3, 4)
    assert m["mrr@10"] == round((1 + 1 / 3) / 3, 4)
    assert m["abstention_on_unanswerable"] == 1.0 and m["false_abstention"] == round(1 / 3, 4)


def test_bundled_gold_set_floors(bundled_store, bundled_settings) -> None:
    """Floors well under today's numbers: a drop below them is a regression, not noise."""
    result = evaluate(bundled_store, bundled_settings, load_gold(ROOT / "evals" / "bundled.jsonl"))
    m = result.metrics
    assert m["citation_span_validity"] == 1.0
    assert m["hits@5"] >= 0.9 and m["mrr@10"] >= 0.8
    assert m["cited_article_is_gold"] >= 0.7 and m["answer_contains_gold"] >= 0.45
    assert m["abstention_on_unanswerable"] >= 0.5 and m["false_abstention"] <= 0.2


@pytest.mark.dataset
@pytest.mark.skipif(not RTQA.exists(), reason="../shared/datasets/realtimeqa-2022 is absent")
def test_realtimeqa_slice(tmp_path) -> None:
    """Real news questions on a small slice: their gold articles plus random distractors."""
    questions = [json.loads(line) for line in (RTQA / "queries-dev.jsonl").read_text().splitlines()][:12]
    gold_ids = {e["doc_id"] for q in questions for e in q["evidence"]}
    records = [json.loads(line) for line in (RTQA / "corpus.jsonl").open()]
    rng = random.Random(7)
    distractors = rng.sample([r for r in records if r["id"] not in gold_ids], 30)
    subset = tmp_path / "slice.jsonl"
    subset.write_text("\n".join(json.dumps(r) for r in records if r["id"] in gold_ids or r in distractors))
    settings = load_settings(home=tmp_path / "store")
    report = ingest_paths([subset], settings)
    assert report.failed == 0
    from rag.store import open_store

    result = evaluate(open_store(settings), settings, questions)
    m = result.metrics
    assert m["citation_span_validity"] == 1.0
    assert m["hits@5"] >= 0.6 and m["multiple_choice_questions"] == len(questions)


def test_gold_file_errors_are_readable(tmp_path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="no gold questions"):
        load_gold(empty)
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"id": "a", "question": "Q?"}\n{"id": "b", "answer": "x"}\n')
    with pytest.raises(ValueError, match=r"missing\.jsonl:2: .*'question'"):
        load_gold(missing)
