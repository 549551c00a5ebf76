"""(question, filters) → ranked Evidence: dense (Chroma via langchain_chroma) + BM25, fused.

- Fusion: reciprocal rank fusion of the two rankings, plus a recency prior (news questions are
  about what was published in the days before the as-of date), then articles are ranked by their
  best chunk plus a share of their second best (an article that matches twice is likelier the one).
- Filters: ``as_of``/``since`` (a date window) and ``source``. Dense search over-fetches ids and
  distances and filters them by the day and source columns the BM25 index keeps; a filter too
  selective for that ("this week") searches among the admitted ids. A Chroma ``where`` on the date
  made each query ~10× slower at 50k chunks.
- Diversity: at most ``per_article`` chunks of one article, and near-duplicate chunks (the same
  wire story in two outlets) are pushed down (maximal marginal relevance on word overlap).
- A "why"/"how" question reads more of its best article (:func:`with_more_of_the_article`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from rag.embed import embed_memoised, embedder_for, likeness
from rag.settings import Settings
from rag.store import UNKNOWN_DAY, Bm25Index, Store, copy_sources_key, day_of, evidence_from
from rag.types import Evidence, scores_as_ranked

RRF_K = 60
NEAR_DUPLICATE = 0.5
_WORD = re.compile(r"[a-z0-9]+")
OVERFETCH = 3  # dense candidates fetched per candidate kept, when filtering after the search
MAX_AMONG = 20_000  # admitted ids a search may be restricted to (SQLite's variable limit is 32,766)
_RECENT_CUE = re.compile(
    r"\b(latest|recent|recently|newest|this (week|month|year)|last (week|few days)|today|yesterday|currently|now)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Query:
    question: str
    as_of: str | None = None  # only articles published on or before (YYYY-MM-DD)
    source: str | None = None
    k: int = 8
    since: str | None = None  # only articles published on or after (YYYY-MM-DD)

    def describe(self) -> str:
        parts = []
        if self.since and self.as_of:
            parts.append(f"articles published from {self.since} to {self.as_of}")
        elif self.as_of:
            parts.append(f"articles published on or before {self.as_of}")
        elif self.since:
            parts.append(f"articles published on or after {self.since}")
        if self.source:
            parts.append(f"from {self.source}")
        return "all articles" if not parts else " ".join(parts)

    @property
    def max_day(self) -> int | None:
        return day_of(self.as_of) if self.as_of else None

    @property
    def min_day(self) -> int | None:
        return day_of(self.since) if self.since else None

    def admits(self, meta: dict[str, Any]) -> bool:
        """Does a stored chunk pass the filters? (The stored metadata is the truth, not any index.)"""
        day = int(meta.get("day", 0))
        if self.max_day is not None and day > self.max_day:
            return False
        if self.min_day is not None and day < self.min_day:
            return False
        if not self.source:
            return True
        key = self.source.lower()
        own = str(meta.get("source_key", meta.get("source", ""))).lower()
        return own == key or f"|{key}|" in copy_sources_key(meta)

    @property
    def filtered(self) -> bool:
        return bool(self.as_of or self.since or self.source)


def dense_search(store: Store, query: Query, settings: Settings) -> list[Evidence]:
    """Nearest chunks by meaning (unread: see :func:`unread`), filtered after an over-fetch, or
    searched among the admitted ids when that finds too few (a "this week" window)."""
    index = store.bm25()
    total = len(index.chunk_ids)
    if total == 0:
        return []
    vector = embed_memoised([query.question])[0].tolist()  # the reader compares the question again
    want = min(settings.fetch_k, total)
    nearest = store.nearest(vector, min(total, want * OVERFETCH) if query.filtered else want)
    if query.filtered:
        admitted = index.admitted(query.max_day, query.min_day, query.source)
        # An id the index does not know yet (written since it was built) is kept: its metadata decides later.
        nearest = [(c, d) for c, d in nearest if (row := index.rows.get(c)) is None or admitted[row]]
        count = int(admitted.sum())
        if len(nearest) < want and len(nearest) < count:
            if count <= MAX_AMONG:
                nearest = store.nearest(vector, want, among=[index.chunk_ids[row] for row in np.flatnonzero(admitted)])
            else:  # too many ids for one query: over-fetch in proportion to how few are admitted
                wider = store.nearest(vector, min(total, math.ceil(2 * want * total / count)))
                nearest = [(c, d) for c, d in wider if (row := index.rows.get(c)) is None or admitted[row]]
    return [unread(index, chunk_id, 1.0 - distance, "dense") for chunk_id, distance in nearest[:want]]


def sparse_search(store: Store, query: Query, settings: Settings) -> list[Evidence]:
    hits = store.bm25_search(query.question, settings.fetch_k, query.max_day, query.source, query.min_day)
    index = store.bm25()
    return [unread(index, chunk_id, score, "bm25") for chunk_id, score in hits]


def unread(index: Bm25Index, chunk_id: str, score: float, why: str) -> Evidence:
    """A ranked chunk before its text and metadata are fetched: fusion needs only its id, article
    and day, and fetching them for all 200 candidates cost more than both searches."""
    row = index.rows.get(chunk_id)
    day = int(index.days[row]) if row is not None else UNKNOWN_DAY
    published = date.fromordinal(day).isoformat() if 1 <= day <= date.max.toordinal() else ""
    article_id = chunk_id.rsplit(":", 1)[0]
    return Evidence(chunk_id, article_id, "", "", published, "", "", 0, 0, score, why)


def read_fetched(store: Store, query: Query) -> Callable[[list[Evidence]], list[Evidence]]:
    """Fills unread candidates with their stored text and metadata, dropping any the store's
    metadata (the truth, not the index) does not admit or no longer holds."""

    def fill(ranked: list[Evidence]) -> list[Evidence]:
        found = store.get_chunks(ev.chunk_id for ev in ranked)
        return [
            evidence_from(ev.chunk_id, *found[ev.chunk_id], ev.score, ev.why)
            for ev in ranked
            if ev.chunk_id in found and query.admits(found[ev.chunk_id][1])
        ]

    return fill


def recency_bonuses(query: Query, rankings: list[list[Evidence]], settings: Settings) -> dict[str, float]:
    """Per-chunk recency bonus (added to the fused score).

    With an as-of date (or none: today), ``exp(-age/recency_days)`` scaled by ``recency_weight``,
    doubled for "latest…" questions. A "latest…" question with no date prefers the newest of the
    30 most relevant chunks by *rank of publication date*: counting days from the newest candidate
    would let one stray recent article flatten everyone else's bonus.
    """
    cue = bool(_RECENT_CUE.search(query.question))
    candidates = {ev.chunk_id: ev for ranking in rankings for ev in ranking}
    if settings.recency_weight <= 0 or not candidates or query.since:
        return {}  # a window ("this week") already says when: within it, relevance alone ranks
    if cue and not query.as_of:
        relevance: dict[str, float] = defaultdict(float)
        for ranking in rankings:
            for rank, ev in enumerate(ranking):
                relevance[ev.chunk_id] += 1.0 / (RRF_K + rank + 1)
        relevant = sorted(relevance, key=lambda c: -relevance[c])[:30]
        today = date.today().toordinal()  # an article dated in the future is not the latest news
        days = sorted({d for c in relevant if (d := _day(candidates[c])) is not None and d <= today}, reverse=True)
        newness = {day: rank for rank, day in enumerate(days)}
        weight = 2.0 * settings.recency_weight
        return {c: weight * math.exp(-newness[d] / 3.0) for c in relevant if (d := _day(candidates[c])) in newness}
    reference = day_of(query.as_of) if query.as_of else date.today().toordinal()
    return {
        cid: recency_bonus(None if (day := _day(ev)) is None else reference - day, settings, cue)
        for cid, ev in candidates.items()
    }


def _day(ev: Evidence) -> int | None:
    try:
        return date.fromisoformat(ev.published_at[:10]).toordinal()
    except ValueError:
        return None


def recency_bonus(age_days: int | None, settings: Settings, recent_cue: bool) -> float:
    """exp(-age/τ), scaled to one RRF list's top score; doubled when the question asks for the latest.

    An article dated after the reference day (the as-of date, else today) gets no bonus: a wrong or
    planted future date must never crowd out real coverage.
    """
    if age_days is None or age_days < 0 or settings.recency_weight <= 0:
        return 0.0
    weight = settings.recency_weight * (2.0 if recent_cue else 1.0)
    return weight * math.exp(-age_days / settings.recency_days)


def fuse(
    rankings: list[list[Evidence]],
    k: int,
    per_article: int = 2,
    bonus: dict[str, float] | None = None,
    second_chunk_weight: float = 0.0,
    redundancy: float = 0.0,
    fill: Callable[[list[Evidence]], list[Evidence]] | None = None,
) -> list[Evidence]:
    """Reciprocal rank fusion (+ per-chunk bonus), article aggregation, and a diverse top ``k``
    (chosen from the best candidates after ``fill`` has read them: see :func:`unread`)."""
    scores: dict[str, float] = defaultdict(float)
    best: dict[str, Evidence] = {}
    reasons: dict[str, list[str]] = defaultdict(list)
    for ranking in rankings:
        for rank, ev in enumerate(ranking):
            scores[ev.chunk_id] += 1.0 / (RRF_K + rank + 1)
            best.setdefault(ev.chunk_id, ev)
            reasons[ev.chunk_id].append(f"{ev.why}#{rank + 1}")
    for cid, extra in (bonus or {}).items():
        if cid in scores:
            scores[cid] += extra
    # An article's best chunk also carries a share of its second best.
    by_article: dict[str, list[str]] = defaultdict(list)
    for cid in sorted(scores, key=lambda c: -scores[c]):
        by_article[best[cid].article_id].append(cid)
    for cids in by_article.values():
        if len(cids) > 1:
            scores[cids[0]] += second_chunk_weight * scores[cids[1]]
    ordered = sorted(scores, key=lambda cid: -scores[cid])
    size, taken, pool = pool_size(k), 0, []
    while len(pool) < size and taken < len(ordered):  # read more when reading dropped some (a stale index)
        batch = [_rescored(best[c], scores[c], " ".join(reasons[c])) for c in ordered[taken : taken + size - len(pool)]]
        taken += len(batch)
        pool.extend(fill(batch) if fill else batch)
    return _diverse(pool, k, per_article, redundancy)


def pool_size(k: int) -> int:
    """Candidates the diverse top ``k`` is chosen from."""
    return max(4 * k, 40)


def _diverse(ranked: list[Evidence], k: int, per_article: int, redundancy: float) -> list[Evidence]:
    """Greedy MMR: a chunk that nearly repeats a chosen chunk of another article (word Jaccard ≥
    ``NEAR_DUPLICATE``: the same wire copy in two outlets) loses ``redundancy`` × the top score."""
    pool = ranked[: pool_size(k)]
    if redundancy <= 0:
        return _capped(pool, k, per_article)
    terms = {ev.chunk_id: set(_WORD.findall(ev.text.lower())) for ev in pool}
    top = pool[0].score if pool else 1.0
    taken: dict[str, int] = defaultdict(int)
    out: list[Evidence] = []
    overlap = dict.fromkeys(terms, 0.0)  # each candidate's largest overlap with a chosen chunk of another article

    def value(ev: Evidence) -> float:
        worst = overlap[ev.chunk_id]
        return ev.score - (redundancy * top * worst if worst >= NEAR_DUPLICATE else 0.0)

    while pool and len(out) < k:
        choice = max(pool, key=value)
        pool.remove(choice)
        if taken[choice.article_id] < per_article:
            taken[choice.article_id] += 1
            out.append(choice)
            for ev in pool:  # only the new choice can raise an overlap
                if ev.article_id != choice.article_id:
                    pair = _jaccard(terms[ev.chunk_id], terms[choice.chunk_id])
                    overlap[ev.chunk_id] = max(overlap[ev.chunk_id], pair)
    return out


def _capped(ranked: list[Evidence], k: int, per_article: int) -> list[Evidence]:
    taken: dict[str, int] = defaultdict(int)
    out: list[Evidence] = []
    for ev in ranked:
        if taken[ev.article_id] < per_article:
            taken[ev.article_id] += 1
            out.append(ev)
            if len(out) == k:
                break
    return out


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _rescored(ev: Evidence, score: float, why: str) -> Evidence:
    return replace(ev, score=score, why=why)


# ---------------------------------------------------------------- reranking (a seam, off by default)

Reranker = Callable[[Query, list[Evidence], Settings], list[Evidence]]


def rerank_by_sentences(query: Query, evidence: list[Evidence], settings: Settings) -> list[Evidence]:
    """Re-order chunks by their best sentence's cosine to the question, blended with the fused rank.

    Measured on RealTime QA (bench/RESULTS.md): it costs ~0.3–1 s a question and did not beat the
    fused ranking, so it stays off; it is here to show how a cross-encoder would plug in.
    """
    from rag.cite import sentences_of

    sentences = [s for s in sentences_of(evidence) if len(s.text) >= 20]
    if not sentences:
        return evidence
    vectors = embedder_for(settings).embed([query.question] + [s.text for s in sentences])
    best: dict[int, float] = defaultdict(float)
    for sentence, vector in zip(sentences, vectors[1:], strict=True):
        best[sentence.evidence_index] = max(best[sentence.evidence_index], float(vector @ vectors[0]))
    order = sorted(range(len(evidence)), key=lambda i: -(best[i] + 1.0 / (1 + i)))
    return [evidence[i] for i in order]


RERANKERS: dict[str, Reranker] = {"none": lambda query, evidence, settings: evidence, "sentences": rerank_by_sentences}


def with_more_of_the_article(
    store: Store, evidence: list[Evidence], most: int = 3, wanted: Sequence[Callable[[str], object]] = ()
) -> list[Evidence]:
    """Up to ``most`` more chunks of the best-ranked article (the nearest to its best chunk), placed
    right after it: a "why" is answered by the paragraphs around the event, which share few words
    with the question ("China is increasingly being seen as a competitor" for "why did Japan reduce
    aid to China?"). With ``wanted``, only chunks passing the first of its tests that any chunk
    passes (none passing: nothing is added)."""
    if not evidence:
        return evidence
    best = evidence[0].article_id
    held = [(e.start, e.end) for e in evidence if e.article_id == best]
    unread = [
        replace(chunk, score=evidence[0].score, why="same article")
        for chunk in store.article_chunks(best)
        if not any(start < chunk.end and chunk.start < end for start, end in held)
    ]
    if wanted:
        unread = next((kept for test in wanted if (kept := [c for c in unread if test(c.text)])), [])
    nearest = sorted(unread, key=lambda chunk: abs(chunk.start - evidence[0].start))[:most]
    return [evidence[0], *sorted(nearest, key=lambda chunk: chunk.start), *evidence[1:]]


def with_title_prior(question: str, evidence: list[Evidence], weight: float) -> list[Evidence]:
    """Chunks re-ordered with ``weight`` × the cosine of the question and their article's headline
    added to the fused score: a headline names what the story is about, where a chunk may mention it
    in passing ("5 things to know for June 13" names a dozen stories). The weight is fitted by
    ``bench/fit_title_prior.py``, cross-validated by week (bench/RESULTS.md)."""
    if weight <= 0 or len(evidence) < 2:
        return evidence
    titles = list(dict.fromkeys(e.title for e in evidence))
    bonus = {title: weight * alike for title, alike in zip(titles, likeness(question, titles), strict=True)}
    rescored = [
        replace(e, score=ranked + bonus[e.title], why=f"{e.why} title")
        for e, ranked in zip(evidence, scores_as_ranked(evidence), strict=True)
    ]
    return sorted(rescored, key=lambda e: -e.score)


def retrieve(store: Store, query: Query, settings: Settings) -> list[Evidence]:
    rankings = [dense_search(store, query, settings)] if settings.dense or not settings.hybrid else []
    if settings.hybrid:
        rankings.append(sparse_search(store, query, settings))
    bonus = recency_bonuses(query, rankings, settings)
    if settings.reranker not in RERANKERS:
        raise ValueError(f"unknown reranker {settings.reranker!r}; choose one of {', '.join(RERANKERS)}")
    depth = query.k if settings.reranker == "none" else max(query.k, settings.rerank_depth)
    fused = fuse(
        rankings,
        depth,
        bonus=bonus,
        second_chunk_weight=settings.second_chunk_weight,
        redundancy=settings.redundancy,
        fill=read_fetched(store, query),
    )
    fused = with_title_prior(query.question, fused, settings.title_weight)
    return RERANKERS[settings.reranker](query, fused, settings)[: query.k]
