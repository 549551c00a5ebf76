"""The linguistic layer: the faster settings of rag.nlp change no annotation."""

from __future__ import annotations

import importlib

from rag.nlp import MODEL, parse_many, pipeline

SENTENCES = [
    "Apple named Tim Cook its chief executive on Wednesday, after Steve Jobs resigned.",
    "Japan's foreign minister Toshimitsu Motegi planned to raise the issue of the Senkaku Islands.",
    "The companies left 1,200 workers without pay, the union said on 3 March 2021.",
    "She replaces Daniel Akerson, who led General Motors through its bankruptcy.",
    "Prices of wheat and maize rose by 12% in Kenya's markets this week.",
]


def _annotations(doc) -> list[tuple]:
    return [(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, t.morph.key, t.ent_type_, t.ent_iob_) for t in doc]


def test_tuned_pipeline_annotates_as_the_stock_model_does():
    stock = importlib.import_module(MODEL).load()
    expected = [_annotations(doc) for doc in stock.pipe(SENTENCES)]
    assert [_annotations(doc) for doc in parse_many(SENTENCES)] == expected
    assert [_annotations(doc) for doc in pipeline().pipe(SENTENCES)] == expected  # parsed afresh, the same


def test_speed_settings_are_in_force():
    """The settings that make parsing faster are really applied (they change no annotation, so the
    test above cannot tell)."""
    from rag.nlp import _blas

    nlp = pipeline()
    parse_many(["A sentence to load the model."])
    assert nlp.get_pipe("tok2vec").model.ops.use_blis is False  # numpy's matrix product
    assert all(
        isinstance(words, frozenset) for words in nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index").values()
    )
    assert any(info["user_api"] == "blas" for info in _blas().info())  # the one-thread limit has a library to limit


def test_lemmas_of_irregular_and_regular_forms():
    doc = parse_many(["The companies left and paid their workers."])[0]
    assert [t.lemma_ for t in doc if t.is_alpha] == ["the", "company", "leave", "and", "pay", "their", "worker"]
