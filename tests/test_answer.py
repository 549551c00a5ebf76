"""End to end over a real embedded Chroma holding the bundled corpus (extractive generator)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rag.answer import ask, build_chain, extractive_answer
from rag.evaluate import citation_is_valid
from rag.index import ingest_paths
from rag.retrieve import Query, retrieve
from rag.store import open_store
from tests.conftest import CORPUS, ROOT, SEED_ID

MOTEGI_SENTENCE = (
    "Japanese media reported that Motegi would also raise concerns about China's beefed-up activity"
    " in the East China Sea."
)


def test_motegi_question_cites_the_wion_sentence(bundled_store, bundled_settings) -> None:
    answer = ask(bundled_store, bundled_settings, "What did Motegi plan to raise?")
    assert not answer.abstained
    assert "East China Sea" in answer.answer and "[1]" in answer.answer
    first = answer.citations[0]
    assert first.doc_id == SEED_ID
    assert first.quote == MOTEGI_SENTENCE
    assert first.source == "WION" and first.published_at == "2020-11-24"
    assert citation_is_valid(bundled_store, first)


def test_unanswerable_question_abstains(bundled_store, bundled_settings) -> None:
    answer = ask(bundled_store, bundled_settings, "What did Apple report as its revenue for fiscal 2020?")
    assert answer.abstained and answer.citations == ()
    assert "could not find" in answer.answer


def test_as_of_filter_excludes_later_articles(bundled_store, bundled_settings) -> None:
    answer = ask(bundled_store, bundled_settings, "What did Motegi plan to raise?", as_of="2020-11-01")
    assert SEED_ID not in {c.doc_id for c in answer.citations}
    evidence = retrieve(bundled_store, Query("Japan China", as_of="2004-11-17", k=10), bundled_settings)
    assert evidence and all(e.published_at <= "2004-11-17" for e in evidence)


def test_source_filter(bundled_store, bundled_settings) -> None:
    evidence = retrieve(bundled_store, Query("foreign minister visit", source="WION", k=5), bundled_settings)
    assert evidence and {e.source for e in evidence} == {"WION"}


def test_results_are_diverse(bundled_store, bundled_settings) -> None:
    evidence = retrieve(bundled_store, Query("Chinese submarine Japanese waters", k=8), bundled_settings)
    per_article: dict[str, int] = {}
    for e in evidence:
        per_article[e.article_id] = per_article.get(e.article_id, 0) + 1
    assert max(per_article.values()) <= 2


def test_chain_is_lcel_runnable(bundled_store, bundled_settings) -> None:
    from langchain_core.runnables import Runnable

    chain = build_chain(bundled_store, bundled_settings)
    assert isinstance(chain, Runnable)
    [a, b] = chain.batch(
        [Query("What did Motegi plan to raise?"), Query("Who resigned as prime minister of Macedonia?")]
    )
    assert a.citations and b.citations


def test_every_citation_is_a_stored_span(bundled_store, bundled_settings) -> None:
    """Property over the whole gold file: quote == article text[start:end], always."""
    rows = [json.loads(line) for line in (ROOT / "evals" / "bundled.jsonl").read_text().splitlines() if line.strip()]
    checked = 0
    for row in rows:
        answer = ask(bundled_store, bundled_settings, row["question"])
        for citation in answer.citations:
            assert citation_is_valid(bundled_store, citation), (row["id"], citation)
            checked += 1
    assert checked >= len(rows) // 2


def test_no_evidence_means_abstention(bundled_settings) -> None:
    answer = extractive_answer("Anything?", [], bundled_settings, "nothing")
    assert answer.abstained and "nothing" in answer.answer


def test_empty_question_is_refused(bundled_store, bundled_settings) -> None:
    with pytest.raises(ValueError, match="empty"):
        ask(bundled_store, bundled_settings, "   ")


def test_reingest_is_idempotent_and_updates_replace(tmp_path: Path, fresh_settings) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "seed.txt").write_text((CORPUS / f"{SEED_ID}.txt").read_text())
    (folder / "other.txt").write_text(
        "Short note\nWikinews\n2004-11-16\n\nThe council met on Monday. It agreed a budget."
    )
    first = ingest_paths([folder], fresh_settings)
    assert (first.added, first.skipped, first.failed) == (2, 0, 0)
    store = open_store(fresh_settings)
    chunks_before = store.count_chunks()
    again = ingest_paths([folder], fresh_settings)
    assert (again.added, again.updated, again.skipped) == (0, 0, 2)
    assert store.count_chunks() == chunks_before
    (folder / "other.txt").write_text("Short note\nWikinews\n2004-11-16\n\nThe council met on Tuesday instead.")
    changed = ingest_paths([folder], fresh_settings)
    assert (changed.updated, changed.skipped) == (1, 1)
    texts = [e.text for e in store.article_chunks("other")]
    assert texts == ["The council met on Tuesday instead."]


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path: Path, fresh_settings) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("A headline\nAgency\n2021-05-05\n\nThe bridge reopened on Monday.")
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\xff" * 100)
    (folder / "lines.jsonl").write_text('{"id": "j1", "title": "T", "body": "Ports closed."}\nnot json\n')
    report = ingest_paths([folder], fresh_settings)
    assert report.added == 2
    reasons = sorted(str(e) for e in report.errors)
    assert len(reasons) == 3
    assert any("empty.txt: empty file" in r for r in reasons)
    assert any("binary.txt: binary" in r for r in reasons)
    assert any("lines.jsonl:2: malformed JSON" in r for r in reasons)


def test_evidence_is_frozen(bundled_store, bundled_settings) -> None:
    [first, *_] = retrieve(bundled_store, Query("Motegi"), bundled_settings)
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass
        first.text = "changed"  # type: ignore[misc]
    assert replace(first, score=0.0).text == first.text


def test_bad_as_of_is_an_error_not_no_filter(bundled_store, bundled_settings) -> None:
    with pytest.raises(ValueError, match="not a date"):
        retrieve(bundled_store, Query("Motegi", as_of="last week"), bundled_settings)


def test_interrupted_ingest_leaves_a_consistent_keyword_index(tmp_path: Path, fresh_settings, monkeypatch) -> None:
    """Die after the first article: the stored chunks and the BM25 index still agree on a rerun."""
    from rag.store import Store

    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(
            f"Story {name}\nAgency\n2021-01-0{ord(name) - 96}\n\nThe {name} bridge closed."
        )
    real_write = Store.write_article
    calls = {"n": 0}

    def dying_write(self, article, chunks, vectors, *links_and_signature):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_write(self, article, chunks, vectors, *links_and_signature)

    monkeypatch.setattr(Store, "write_article", dying_write)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([folder], fresh_settings)
    store = open_store(fresh_settings)
    assert set(store.bm25().chunk_ids) == set(store.collection.get()["ids"])
    monkeypatch.setattr(Store, "write_article", real_write)
    report = ingest_paths([folder], fresh_settings)
    assert (report.added, report.skipped) == (2, 1)
    assert len(store.bm25().chunk_ids) == store.count_chunks() == 3
