"""The reader's fitted weights: linear scores of sentences, spans, articles and choices, and the
answer/decline threshold. Fitted by ``bench/fit_reader.py`` (week-wise cross-validation on RealTime
QA dev) into ``rag/data/reader_weights.json``; nothing here is tuned by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "data" / "reader_weights.json"


@dataclass(frozen=True)
class Weights:
    """Linear weights of the sentence, span and answer-confidence scores (see bench/fit_reader.py)."""

    sentence: dict[str, float]
    span: dict[str, float]
    confidence: dict[str, float]
    threshold: float  # answer when the confidence (a probability) reaches this
    choice: dict[str, float] = field(default_factory=lambda: {"support": 1.0, "lift": 3.0, "span": 0.5})
    nota: float = 0.0  # "None of the above" when no listed choice's support reaches this
    lead_articles: int = 2  # the answer is cut from this many best-ranked articles (fitted among 1-3)
    # the citation goes to the article stating the answer with the best retrieval score + this ×
    # cosine(question, headline); fitted by bench/fit_citation.py
    citation_headline: float = 0.0

    @staticmethod
    def score(weights: dict[str, float], features: dict[str, float]) -> float:
        return weights.get("bias", 0.0) + sum(weights.get(name, 0.0) * value for name, value in features.items())


DEFAULT_WEIGHTS = Weights(
    sentence={"lexical": 1.0, "names": 0.5, "event": 0.5, "cue": 0.4, "rank": 0.4, "lead": 0.1},
    span={
        "sentence": 1.0,
        "kind": 0.6,
        "votes": 0.6,
        "near": 0.4,
        "focus": 0.3,
        "title": 0.2,
        "role": 0.5,
        "type": 0.0,
    },
    confidence={
        "bias": -2.0,
        "sentence": 2.0,
        "names": 1.5,
        "event": 1.0,
        "expected": -1.5,
        "stale": -1.0,
        "superseded": 0.0,
        "terms": 0.0,
        "votes": 0.0,
        "similarity": 0.0,
        "headline": 0.0,
    },
    threshold=0.5,
)


@cache
def load_weights(path: Path = WEIGHTS_FILE) -> Weights:
    """The fitted weights; the defaults above when no fit has been written yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DEFAULT_WEIGHTS
    return Weights(
        data["sentence"],
        data["span"],
        data["confidence"],
        float(data["threshold"]),
        data.get("choice", DEFAULT_WEIGHTS.choice),
        float(data.get("nota", 0.0)),
        int(data.get("lead_articles", 2)),
        float(data.get("citation_headline", 0.0)),
    )
