"""The small immutable records every stage passes along.

Data flows one way: Article → Chunk → Evidence → Answer/Brief, with Citations pointing back
into the article text by character offsets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

# Article.provenance values (shown wherever the article is cited).
UPLOADED = "uploaded in the app"  # followed by ", <upload day>"
HEADLINE_ONLY = "headline only (page not fetched)"


@dataclass(frozen=True)
class Article:
    """One news article, its text cleaned of page boilerplate."""

    id: str
    title: str
    source: str
    published_at: str  # ISO date, "" when unknown
    url: str
    text: str
    content_hash: str
    path: str = ""
    # Where published_at came from: text | metadata | feed | feed-time | http-time | file-time | unknown
    date_from: str = "text"
    byline: str = ""  # the author(s), when the page or feed names them
    # A feed entry's fingerprint when the text came from its linked page ("" otherwise): an
    # unchanged entry is not fetched again on the next ingest of that feed.
    feed_entry: str = ""
    # How the text got here, when a reader should know (shown with every citation): "uploaded in
    # the app, 2026-12-02", "headline only (page not fetched)"; "" for an ordinary article.
    provenance: str = ""


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned span of an article: ``article.text[start:end] == text``."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    header: str  # "title — source — date", prepended for embedding and BM25

    @property
    def indexed_text(self) -> str:
        return f"{self.header}\n{self.text}"


@dataclass(frozen=True)
class Evidence:
    """A retrieved chunk with its article metadata and why it was retrieved."""

    chunk_id: str
    article_id: str
    title: str
    source: str
    published_at: str
    url: str
    text: str
    start: int
    end: int
    score: float
    why: str = ""
    date_from: str = ""  # how published_at was found (see Article.date_from)
    also_reported_by: tuple[str, ...] = ()  # sources of near-duplicate copies linked to this article
    duplicate_ids: tuple[str, ...] = ()  # article ids of those copies
    provenance: str = ""  # see Article.provenance


def scores_as_ranked(evidence: Sequence[Evidence]) -> list[float]:
    """Each chunk's score capped by the one before it: the order retrieval gave holds the
    near-duplicate demotion, a chunk's own score does not."""
    ranked, ceiling = [], math.inf
    for e in evidence:
        ceiling = min(ceiling, e.score)
        ranked.append(ceiling)
    return ranked


@dataclass(frozen=True)
class Citation:
    """A quoted span of a stored article. ``quote`` equals the article text from start to end."""

    n: int
    doc_id: str
    title: str
    source: str
    published_at: str
    quote: str
    start: int
    end: int
    url: str = ""
    supported: bool = True
    date_from: str = ""  # "file-time", "feed-time", …: the date is a fallback, say so when showing it
    also_reported_by: tuple[str, ...] = ()
    provenance: str = ""  # see Article.provenance: "uploaded in the app, 2026-12-02", …

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ShortAnswer:
    """The asked-for thing itself ("Tim Cook"): a span of citation ``n``'s article, ``start``..``end``."""

    text: str
    n: int
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    searched: str = ""  # what was searched, shown when abstaining
    short_answer: ShortAnswer | None = None

    def to_dict(self) -> dict[str, object]:
        short = self.short_answer
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": short.text if short else None,
            "short_answer_span": asdict(short) if short else None,
            "abstained": self.abstained,
            "searched": self.searched,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class Brief:
    paragraph: str
    citations: tuple[Citation, ...] = ()
    title: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"paragraph": self.paragraph, "citations": [c.to_dict() for c in self.citations]}
