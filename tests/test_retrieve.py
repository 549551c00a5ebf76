"""Retrieval: filters applied after the dense search, the recency prior, article aggregation, MMR."""

from __future__ import annotations

from datetime import date

import pytest

from rag.answer import ask
from rag.cite import is_supported
from rag.retrieve import Query, fuse, recency_bonus, recency_bonuses, retrieve, with_title_prior
from rag.settings import load_settings
from rag.types import Evidence


def _ev(chunk_id: str, text: str = "text", published_at: str = "2022-06-10", score: float = 0.0) -> Evidence:
    article = chunk_id.split(":")[0]
    return Evidence(chunk_id, article, article.upper(), "Src", published_at, "", text, 0, len(text), score, "t")


def test_query_admits_by_window_and_source() -> None:
    query = Query("q", as_of="2022-06-16", since="2022-06-01", source="CNN")
    day = date(2022, 6, 10).toordinal()
    assert query.admits({"day": day, "source_key": "cnn"})
    assert not query.admits({"day": day + 30, "source_key": "cnn"})  # after as-of
    assert not query.admits({"day": day - 30, "source_key": "cnn"})  # before since
    assert not query.admits({"day": day, "source_key": "usa today"})
    assert query.describe() == "articles published from 2022-06-01 to 2022-06-16 from CNN"


def test_recency_prefers_recent_articles_and_fades() -> None:
    settings = load_settings()
    assert recency_bonus(0, settings, False) == pytest.approx(settings.recency_weight)
    assert recency_bonus(60, settings, False) < 0.02 * settings.recency_weight
    assert recency_bonus(0, settings, True) == pytest.approx(2 * settings.recency_weight)  # "latest …"
    assert recency_bonus(None, settings, False) == 0.0
    # With equal ranks elsewhere, the bonus decides.
    old, new = _ev("old:0", published_at="2022-05-01"), _ev("new:0", published_at="2022-06-15")
    ranked = fuse([[old, new], [new, old]], k=2, bonus={"new:0": 0.01, "old:0": 0.0})
    assert [e.article_id for e in ranked] == ["new", "old"]


def test_latest_questions_prefer_the_newest_relevant_article() -> None:
    settings = load_settings()
    old, newer, stray = (
        _ev("old:0", published_at="2008-10-06"),
        _ev("newer:0", published_at="2010-05-07"),
        _ev("stray:0", published_at="2013-12-10"),
    )
    rankings = [[old, newer, stray]]
    bonus = recency_bonuses(Query("What is the latest on the Dow Jones?"), rankings, settings)
    # One stray 2013 article does not flatten the rest: 2010 still beats 2008.
    assert bonus["stray:0"] > bonus["newer:0"] > bonus["old:0"] > 0
    dated = recency_bonuses(Query("Dow Jones", as_of="2010-05-08"), [[old, newer]], settings)
    assert dated["newer:0"] > 100 * dated["old:0"]
    assert recency_bonuses(Query("Dow Jones"), rankings, settings.with_(recency_weight=0.0)) == {}


def test_an_article_matching_twice_outranks_one_matching_once() -> None:
    a0, a1, b0 = _ev("a:0"), _ev("a:1"), _ev("b:0")
    # b is first in one list, a's two chunks come second and third in both.
    rankings = [[b0, a0, a1], [b0, a1, a0]]
    assert fuse(rankings, k=3)[0].article_id == "b"
    assert fuse(rankings, k=3, second_chunk_weight=1.0)[0].article_id == "a"


def test_the_headline_prior_moves_up_the_story_the_question_is_about() -> None:
    """Off by default (it ranks better but costs abstention before the news broke: bench/RESULTS.md)."""
    from dataclasses import replace

    digest = replace(_ev("a:0", score=0.030), title="5 things to know for June 13: gun laws, Covid, the Fed")
    story = replace(_ev("b:0", score=0.029), title="Squid Game renewed for a second season on Netflix")
    question = "Which wildly popular show was recently green lit for a new season?"
    assert [e.article_id for e in with_title_prior(question, [digest, story], 0.0)] == ["a", "b"]
    assert [e.article_id for e in with_title_prior(question, [digest, story], 0.015)] == ["b", "a"]
    assert load_settings().title_weight == 0.0
    # the near-duplicate demotion of the order given stands: a copy (b) demoted below c stays below it
    first, copy, other = (
        replace(_ev(c, score=s), title="Same headline") for c, s in (("a:0", 0.05), ("b:0", 0.049), ("c:0", 0.03))
    )
    assert [e.article_id for e in with_title_prior(question, [first, other, copy], 1e-9)] == ["a", "c", "b"]


def test_candidates_the_store_no_longer_admits_are_replaced_by_the_next() -> None:
    """Fusion ranks unread candidates; reading drops any the store's metadata does not admit (an
    index older than the store), and the next candidates are read instead."""
    ranked = [_ev(f"a{n}:0") for n in range(60)]

    def fill(batch: list[Evidence]) -> list[Evidence]:
        return [e for e in batch if int(e.article_id[1:]) % 2]  # every other one is gone

    chosen = fuse([ranked], k=8, fill=fill)
    assert len(chosen) == 8 and all(int(e.article_id[1:]) % 2 for e in chosen)


def test_near_duplicates_of_another_outlet_are_pushed_down() -> None:
    wire = "The earthquake struck near Khost early on Wednesday, killing more than 1,000 people, officials said."
    first, copy, other = _ev("cnn:0", wire), _ev("usat:0", wire), _ev("bbc:0", "Aid groups scrambled to reach victims.")
    rankings = [[first, copy, other]]
    plain = fuse(rankings, k=2)
    assert [e.article_id for e in plain] == ["cnn", "usat"]
    diverse = fuse(rankings, k=2, redundancy=0.5)
    assert [e.article_id for e in diverse] == ["cnn", "bbc"]


def test_since_filter_on_the_store(bundled_store, bundled_settings) -> None:
    evidence = retrieve(bundled_store, Query("Japan China", since="2008-01-01", k=10), bundled_settings)
    assert evidence and all(e.published_at >= "2008-01-01" for e in evidence)
    window = retrieve(
        bundled_store, Query("Japan China", since="2004-11-01", as_of="2004-11-30", k=10), bundled_settings
    )
    assert window and all("2004-11-01" <= e.published_at <= "2004-11-30" for e in window)


def test_a_selective_filter_still_finds_its_articles(bundled_store, bundled_settings) -> None:
    """One source out of many: too few survive the over-fetch, so the dense search runs again among
    that source's chunks only (a Chroma ``where`` on them was ~10x slower)."""
    evidence = retrieve(bundled_store, Query("weather", source="WION", k=5), bundled_settings)
    assert evidence and {e.source for e in evidence} == {"WION"}
    assert any("dense" in e.why for e in evidence)
    assert all(e.text and e.title for e in evidence)  # read from the store once ranked


def test_an_empty_window_says_what_was_searched(bundled_store, bundled_settings) -> None:
    answer = ask(bundled_store, bundled_settings, "What did Motegi plan to raise?", since="2025-01-01")
    assert answer.abstained and "on or after 2025-01-01" in answer.answer
    with pytest.raises(ValueError, match="after --as-of"):
        ask(bundled_store, bundled_settings, "Motegi", as_of="2020-01-01", since="2021-01-01")


def test_support_needs_numbers_and_names_even_for_close_paraphrases() -> None:
    quote = "The magnitude 5.9 quake struck during the early hours of Wednesday near the city of Khost."
    paraphrase = "A 5.9-magnitude earthquake hit close to Khost in the small hours."
    assert not is_supported(paraphrase, quote)  # too few shared words on their own
    assert is_supported(paraphrase, quote, similarity=0.85)  # the embedding check accepts the paraphrase
    assert not is_supported("A 6.1-magnitude earthquake hit close to Khost.", quote, similarity=0.95)
    assert not is_supported("A 5.9-magnitude earthquake hit close to Kabul.", quote, similarity=0.95)


def test_reranker_seam(bundled_store, bundled_settings) -> None:
    """Off by default; "sentences" re-orders the fused top by best-sentence similarity."""
    from tests.conftest import SEED_ID

    query = Query("What did Motegi plan to raise?", k=4)
    reranked = retrieve(bundled_store, query, bundled_settings.with_(reranker="sentences"))
    assert len(reranked) == 4 and SEED_ID in {e.article_id for e in reranked}
    with pytest.raises(ValueError, match="unknown reranker"):
        retrieve(bundled_store, query, bundled_settings.with_(reranker="cross-encoder"))


def test_the_bm25_index_built_page_by_page_equals_one_built_at_once(bundled_store, monkeypatch) -> None:
    """The store tokenises each page into one shared vocabulary and packs the ids (memory); the
    index must be the one ``bm25s.tokenize`` over every text would give, since queries use it."""
    import bm25s
    import numpy as np

    texts = []
    for got in bundled_store.pages(["documents", "metadatas"], page=2000):
        pairs = zip(got["documents"], got["metadatas"], strict=True)
        texts += [f"{meta.get('header', '')}\n{text}" for text, meta in pairs]
    whole = bm25s.BM25(k1=0.9, b=0.4)
    whole.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    monkeypatch.setattr(type(bundled_store), "BM25_PAGE", 50)  # many pages, one vocabulary
    paged = bundled_store._build_bm25("test").retriever
    assert paged.vocab_dict == whole.vocab_dict
    assert all(np.array_equal(paged.scores[key], whole.scores[key]) for key in ("data", "indices", "indptr"))


def test_a_why_question_reads_the_chunks_nearest_its_best_one() -> None:
    """Chunks 5, 6 and 8 of a ten-chunk article sit around the best one (7): not chunks 0-2."""
    from rag.retrieve import with_more_of_the_article

    def chunk(article: str, n: int) -> Evidence:
        return Evidence(f"{article}:{n}", article, "T", "S", "2024-01-01", "", f"text {n}", 100 * n, 100 * n + 90, 0.0)

    class Chunks:
        def article_chunks(self, article_id: str) -> list[Evidence]:
            return [chunk(article_id, n) for n in range(10)]

    found = [chunk("a", 7), chunk("b", 0), chunk("a", 3)]
    read = with_more_of_the_article(Chunks(), found, most=3)  # type: ignore[arg-type]
    assert [e.chunk_id for e in read] == ["a:7", "a:5", "a:6", "a:8", "b:0", "a:3"]  # 5 and 9 tie: the first
    assert {e.why for e in read[1:4]} == {"same article"}


def test_packed_tokens_read_like_a_list() -> None:
    import numpy as np

    from rag.store import PackedTokens

    tokens = PackedTokens(np.array([1, 2, 3, 4], dtype=np.int32), np.array([0, 2, 2, 4]))
    assert list(tokens) == [[1, 2], [], [3, 4]] and len(tokens) == 3
    assert tokens[-1] == [3, 4] and tokens[:2] == [[1, 2], []]
    with pytest.raises(IndexError):
        tokens[3]
