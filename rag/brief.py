"""Evidence → a one-paragraph briefing note where every sentence is a cited quote.

Sentences are chosen by centrality (closeness to the centre of all candidates, and to the topic),
with maximal-marginal-relevance so no fact is said twice, trimmed to a word budget, then put
back in reading order: earlier articles first, and within an article in the article's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.cite import Sentence, make_citation, sentences_of
from rag.embed import get_embedder
from rag.retrieve import Query, retrieve
from rag.settings import Settings
from rag.store import Store, day_of
from rag.types import Brief, Citation, Evidence

MIN_CHARS, MAX_WORDS_PER_SENTENCE = 40, 60
MIN_TOPIC_SIMILARITY = 0.3  # a topic brief quotes only sentences at least this close to the topic
_DANGLING = re.compile(
    r"^(It|He|She|They|This|That|These|Those|His|Her|Their|Its|But|And|However|Also|Meanwhile|"
    r"The (official|company|man|woman|group))\b"
)


def word_count(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class _Candidate:
    sentence: Sentence
    vector: np.ndarray
    score: float
    article_id: str


def _candidates(
    evidence: list[Evidence], settings: Settings, topic: str | None, position_weight: float = 0.15
) -> list[_Candidate]:
    sentences = [
        s
        for s in sentences_of(evidence)
        if len(s.text) >= MIN_CHARS and word_count(s.text) <= MAX_WORDS_PER_SENTENCE and not s.text.endswith("?")
    ]
    if not sentences:
        return []
    embedder = get_embedder(settings.embed_max_tokens, settings.embed_batch)
    vectors = embedder.embed([s.text for s in sentences])
    centre = vectors.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    score = vectors @ centre
    on_topic = np.ones(len(sentences), dtype=bool)
    if topic:
        similarity = vectors @ embedder.embed([topic])[0]
        score = 0.5 * score + 0.5 * similarity
        on_topic = similarity >= MIN_TOPIC_SIMILARITY  # off-topic retrievals never reach the note
    # News puts the main fact first: early sentences score higher; sentences that lean on an
    # earlier one ("It was…", "He said…") read badly out of context and score lower.
    position = np.array([np.exp(-s.start / 600.0) for s in sentences])
    dangling = np.array([1.0 if _DANGLING.match(s.text) else 0.0 for s in sentences])
    score = score + position_weight * position - 0.2 * dangling
    return [
        _Candidate(s, v, float(x), evidence[s.evidence_index].article_id)
        for s, v, x, keep in zip(sentences, vectors, score, on_topic, strict=True)
        if keep
    ]


def select_sentences(candidates: list[_Candidate], max_words: int, diversity: float = 0.7) -> list[_Candidate]:
    """MMR within a word budget: a sentence that does not fit is skipped, a shorter one may."""
    chosen: list[_Candidate] = []
    used = 0
    pool = list(candidates)
    while pool:

        def mmr(c: _Candidate) -> float:
            redundancy = max((float(c.vector @ s.vector) for s in chosen), default=0.0)
            same_article = sum(1 for s in chosen if s.article_id == c.article_id)
            return diversity * c.score - (1 - diversity) * redundancy - 0.1 * same_article

        best = max(pool, key=mmr)
        pool.remove(best)
        if chosen and max(float(best.vector @ s.vector) for s in chosen) > 0.9:
            continue  # a near-repeat of what is already said
        words = word_count(best.sentence.text)
        if used + words > max_words:
            continue
        chosen.append(best)
        used += words
    return chosen


def compose(
    evidence: list[Evidence],
    settings: Settings,
    max_words: int,
    topic: str | None = None,
    title: str = "",
    position_weight: float = 0.15,
) -> Brief:
    """The brief of ``evidence``; a higher ``position_weight`` favours each article's lead."""
    candidates = _candidates(evidence, settings, topic, position_weight)
    chosen = select_sentences(candidates, max_words)
    if not chosen:
        return Brief(paragraph="", citations=(), title=title)
    order = {ev.article_id: (ev.published_at, i) for i, ev in reversed(list(enumerate(evidence)))}
    chosen.sort(key=lambda c: (order[evidence[c.sentence.evidence_index].article_id], c.sentence.start))
    citations: list[Citation] = []
    parts = []
    for c in chosen:
        n = len(citations) + 1
        citations.append(make_citation(n, evidence[c.sentence.evidence_index], c.sentence.start, c.sentence.end))
        parts.append(f"{c.sentence.text} [{n}]")
    return Brief(paragraph=" ".join(parts), citations=tuple(citations), title=title)


def brief_topic(
    store: Store, settings: Settings, topic: str, max_words: int | None = None, as_of: str | None = None
) -> Brief:
    evidence = retrieve(store, Query(topic, as_of=as_of, k=12), settings)
    return compose(evidence, settings, max_words or settings.brief_words, topic=topic, title=topic)


def brief_date(store: Store, settings: Settings, day: str, max_words: int | None = None) -> Brief:
    number = day_of(day)
    evidence = store.chunks_between(number, number)
    # A day holds unrelated stories: their leads say more than the day's "centre" does.
    return compose(evidence, settings, max_words or settings.brief_words, title=f"News of {day}", position_weight=0.5)


def stories_of_day(store: Store, settings: Settings, day: str, threshold: float = 0.55) -> list[list[Evidence]]:
    """The day's chunks grouped into stories: articles whose text is close are one story."""
    number = day_of(day)
    evidence = store.chunks_between(number, number)
    by_article: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_article.setdefault(ev.article_id, []).append(ev)
    if not by_article:
        return []
    ids = list(by_article)
    texts = [f"{by_article[a][0].title}\n{by_article[a][0].text}" for a in ids]
    vectors = get_embedder(settings.embed_max_tokens, settings.embed_batch).embed(texts)
    stories: list[list[int]] = []
    for i in range(len(ids)):
        for story in stories:
            if float(vectors[i] @ vectors[story[0]]) >= threshold:
                story.append(i)
                break
        else:
            stories.append([i])
    # More articles on a story: more important; then the longer coverage; then the title.
    stories.sort(key=lambda s: (-len(s), -sum(len(texts[i]) for i in s), texts[s[0]]))
    return [[ev for i in story for ev in by_article[ids[i]]] for story in stories]


def daily_briefs(
    store: Store, settings: Settings, day: str, max_words: int | None = None, max_stories: int | None = None
) -> list[Brief]:
    """One brief per story of the day, most important first (all stories unless ``max_stories``)."""
    briefs = []
    for story in stories_of_day(store, settings, day)[:max_stories]:
        headline = story[0].title
        briefs.append(compose(story, settings, max_words or settings.brief_words, title=headline))
    return [b for b in briefs if b.paragraph]


def daily_markdown(day: str, briefs: list[Brief]) -> str:
    """The daily brief file: one section a story, its paragraph, then its numbered sources."""
    lines = [f"# Daily brief — {day}", ""]
    if not briefs:
        lines.append("No articles in the corpus were published on this day.")
    for brief in briefs:
        lines += [f"## {brief.title}", "", brief.paragraph, "", "Sources:", ""]
        for c in brief.citations:
            link = f" <{c.url}>" if c.url else ""
            lines.append(f"{c.n}. {c.title} — {c.source}, {c.published_at}{link}: “{c.quote}”")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
