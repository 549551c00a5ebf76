"""(question, filters) → ranked Evidence: dense (Chroma via langchain_chroma) + BM25, fused by RRF.

Filters: ``as_of`` keeps articles published on or before that date; ``source`` keeps one outlet.
Diversity: at most ``per_article`` chunks of one article in the results.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rag.embed import get_embedder
from rag.settings import Settings
from rag.store import Store, day_of, evidence_from
from rag.types import Evidence

RRF_K = 60


@dataclass(frozen=True)
class Query:
    question: str
    as_of: str | None = None
    source: str | None = None
    k: int = 8

    def describe(self) -> str:
        parts = []
        if self.as_of:
            parts.append(f"articles published on or before {self.as_of}")
        if self.source:
            parts.append(f"from {self.source}")
        return "all articles" if not parts else " ".join(parts)


def chroma_filter(query: Query) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if query.as_of:
        clauses.append({"day": {"$lte": day_of(query.as_of)}})
    if query.source:
        clauses.append({"source_key": query.source.lower()})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def dense_search(store: Store, query: Query, settings: Settings) -> list[Evidence]:
    total = store.count_chunks()
    if total == 0:
        return []
    vector = get_embedder(settings.embed_max_tokens, settings.embed_batch).embed([query.question])[0]
    k = min(settings.fetch_k, total)
    pairs = store.vectorstore.similarity_search_by_vector_with_relevance_scores(
        vector.tolist(), k=k, filter=chroma_filter(query)
    )
    return [evidence_from(doc.id or "", doc.page_content, doc.metadata, 1.0 - dist, "dense") for doc, dist in pairs]


def sparse_search(store: Store, query: Query, settings: Settings) -> list[Evidence]:
    max_day = day_of(query.as_of) if query.as_of else None
    hits = store.bm25_search(query.question, settings.fetch_k, max_day, query.source)
    found = store.get_chunks(chunk_id for chunk_id, _ in hits)

    def still_passes(meta: dict[str, Any]) -> bool:  # the stored metadata is the truth, not the index
        if max_day is not None and int(meta.get("day", 0)) > max_day:
            return False
        return not query.source or str(meta.get("source_key", "")) == query.source.lower()

    return [
        evidence_from(chunk_id, *found[chunk_id], score, "bm25")
        for chunk_id, score in hits
        if chunk_id in found and still_passes(found[chunk_id][1])
    ]


def fuse(rankings: list[list[Evidence]], k: int, per_article: int = 2) -> list[Evidence]:
    """Reciprocal rank fusion, then at most ``per_article`` chunks from any one article."""
    scores: dict[str, float] = defaultdict(float)
    best: dict[str, Evidence] = {}
    reasons: dict[str, list[str]] = defaultdict(list)
    for ranking in rankings:
        for rank, ev in enumerate(ranking):
            scores[ev.chunk_id] += 1.0 / (RRF_K + rank + 1)
            best.setdefault(ev.chunk_id, ev)
            reasons[ev.chunk_id].append(f"{ev.why}#{rank + 1}")
    ordered = sorted(scores, key=lambda cid: -scores[cid])
    taken: dict[str, int] = defaultdict(int)
    out: list[Evidence] = []
    for cid in ordered:
        ev = best[cid]
        if taken[ev.article_id] >= per_article:
            continue
        taken[ev.article_id] += 1
        out.append(_rescored(ev, scores[cid], " ".join(reasons[cid])))
        if len(out) == k:
            break
    return out


def _rescored(ev: Evidence, score: float, why: str) -> Evidence:
    from dataclasses import replace

    return replace(ev, score=score, why=why)


def retrieve(store: Store, query: Query, settings: Settings) -> list[Evidence]:
    rankings = [dense_search(store, query, settings)]
    if settings.hybrid:
        rankings.append(sparse_search(store, query, settings))
    return fuse(rankings, query.k)
