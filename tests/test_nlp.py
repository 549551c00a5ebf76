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
    # the second sight of each word comes from the lemma memo, and reads the same
    assert [_annotations(doc) for doc in pipeline().pipe(SENTENCES)] == expected


def test_lemmas_of_irregular_and_regular_forms():
    doc = parse_many(["The companies left and paid their workers."])[0]
    assert [t.lemma_ for t in doc if t.is_alpha] == ["the", "company", "leave", "and", "pay", "their", "worker"]
