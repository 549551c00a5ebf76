"""Sentence spans and token-budgeted chunks: offsets always point at the article text."""

from __future__ import annotations

import itertools

from rag.chunk import chunk_article, count_tokens, sentence_spans, split_sentences
from rag.ingest import make_article, parse_file
from tests.conftest import CORPUS


def test_sentence_splitter_keeps_abbreviations_together() -> None:
    text = 'Mr. Smith met U.S. officials at 5 p.m. Friday. He said "no." J. Doe agreed!\nNew paragraph'
    assert split_sentences(text) == [
        "Mr. Smith met U.S. officials at 5 p.m. Friday.",
        'He said "no."',
        "J. Doe agreed!",
        "New paragraph",
    ]


def test_spans_are_exact_offsets() -> None:
    text = "  First one.  Second one?\n\nThird one!  "
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip() and text[start:end]


def test_token_counting_is_offline_and_tolerates_special_tokens() -> None:
    assert count_tokens("Hello world") == 2
    assert count_tokens("text with <|endoftext|> inside") > 3


def test_chunks_cover_articles_sentence_aligned_within_budget() -> None:
    for path in sorted((CORPUS / "wikinews").glob("*.txt"))[:40]:
        [article], _ = parse_file(path)
        chunks = chunk_article(article, max_tokens=120)
        assert chunks, path
        sentence_starts = {s for s, _ in sentence_spans(article.text)}
        for previous, chunk in itertools.pairwise(chunks):
            assert previous.end <= chunk.start
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.start in sentence_starts
            assert chunk.id == f"{article.id}:{chunk.index}"
            if len(sentence_spans(chunk.text)) > 1:
                assert count_tokens(chunk.text) <= 120 + 5  # joins between sentences add at most a few


def test_chunk_header_carries_metadata() -> None:
    article = make_article("x", "Title here", "Agency", "2021-01-02", "", "One sentence. Two sentence.")
    [chunk] = chunk_article(article)
    assert chunk.header == "Title here — Agency — 2021-01-02"
    assert chunk.indexed_text.startswith("Title here")
