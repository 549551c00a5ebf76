"""Evidence → a one-paragraph briefing note where every sentence is a cited quote.

The core is :func:`summarize`, a pure function of plain texts (the ROUGE bench calls it on
Multi-News clusters, the briefs call it on stored articles, so what is measured is what ships):

1. split every document into sentences and drop what is not news prose (captions, tweets,
   "Click here", cookie notices, questions, quote-only lines, fragments under six words);
2. score each sentence by centrality (TF-IDF cosine to the cluster's centroid), a lead prior
   (news puts the main fact first), and cross-document support (the same fact in other articles);
3. pick by maximal marginal relevance within the word budget, so no fact is said twice;
4. order: the lead fact first, then the rest by how early it comes in its article, and by
   date when the articles span several days (chronological where it matters).

Sentences are never cut in a brief (a sentence that does not fit is skipped, a shorter one may
fit), so an attribution such as "Japanese media reported that …" always stays with its claim.

A date or date-range brief groups the articles into stories, leads with the biggest story
(most articles and sources, most central), and never interleaves sentences of unrelated stories.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from rag.chunk import sentence_spans
from rag.cite import content_terms, looks_like_instructions, make_citation
from rag.retrieve import Query, retrieve
from rag.settings import Settings
from rag.store import Store, day_of
from rag.types import Brief, Citation, Evidence

# ---------------------------------------------------------------- the pure core

MIN_WORDS, MAX_WORDS_PER_SENTENCE = 6, 60
MIN_TOPIC_SIMILARITY = 0.3  # a topic brief quotes only sentences at least this close to the topic
_DANGLING = re.compile(
    r"^(It|He|She|They|This|That|These|Those|His|Her|Their|Its|But|And|However|Also|Meanwhile|"
    r"The (official|company|man|woman|group))\b"
)
# Page furniture that scrapes keep: share buttons, cookie and subscription notices, captions.
_BOILERPLATE = re.compile(
    r"click here|\bcookies\b|subscribe to|sign up|newsletter|javascript|your browser|all rights reserved|"
    r"\bcopyright\b|©|\bphoto(graph)?s?\b *(:|by|courtesy)|\bimage:|getty images|\(AP Photo|"
    r"follow (us|him|her) (on|@)|https?://|www\.|tweet with a location|\bretweet|"
    r"read more|related:|advertisement|share this|terms of (use|service)|privacy policy|"
    r"contributed to this report|this (story|article) (has been|was) (updated|corrected)|"
    r"^(caption|watch|video|listen|see also|related|update)\b",
    re.IGNORECASE,
)
_TERMINAL = re.compile(r"""[.!]["'”’)\]]*$""")


@dataclass(frozen=True)
class Picked:
    """A chosen sentence: ``documents[doc][start:end] == text`` (an exact span, so it can be cited)."""

    doc: int
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Knobs:
    """How sentences are scored and picked. Defaults tuned on the Multi-News validation split."""

    centrality: float = 1.0  # cosine to the cluster centroid (TF-IDF)
    position: float = 0.15  # lead prior: weight of 1/(1 + index/position_scale)
    position_scale: float = 4.0
    support: float = 0.3  # best match in each other document, averaged
    dangling: float = 0.1  # penalty for "He said…", "It was…" openers (read badly out of context)
    relevance: float = 0.5  # topic briefs: weight of the closeness to the topic
    redundancy: float = 1.0  # MMR: weight of the closeness to what is already chosen
    near_duplicate: float = 0.8  # never pick a sentence this close to a chosen one
    filters: bool = True  # drop boilerplate, questions, quote-only lines and fragments
    order: Literal["lead-then-position", "selection", "document"] = "lead-then-position"


DEFAULT_KNOBS = Knobs()


@dataclass(frozen=True)
class _Unit:
    doc: int
    index: int  # sentence number within its document
    start: int
    end: int
    text: str
    words: int


def word_count(text: str) -> int:
    return len(text.split())


def is_news_prose(text: str) -> bool:
    """A sentence worth quoting: a whole declarative sentence, not page furniture."""
    n = word_count(text)
    if n < MIN_WORDS or n > MAX_WORDS_PER_SENTENCE:
        return False
    if text.rstrip("\"”’' )").endswith("?") or not _TERMINAL.search(text):
        return False  # questions; headlines and captions have no full stop
    if _BOILERPLATE.search(text) or looks_like_instructions(text):
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) < 0.5 * len(letters)


def _units(documents: Sequence[str], filters: bool) -> list[_Unit]:
    units = []
    for d, text in enumerate(documents):
        index = 0
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if not filters and word_count(sentence) < 3:
                continue
            if filters and not is_news_prose(sentence):
                index += 1
                continue
            units.append(_Unit(d, index, start, end, sentence, word_count(sentence)))
            index += 1
    return units


def _tfidf(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows over content terms (light stemming, stopwords out)."""
    bags = [Counter(content_terms(t)) for t in texts]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    vocab = {t: i for i, t in enumerate(df)}
    n = len(texts)
    matrix = np.zeros((n, len(vocab)), dtype=np.float32)
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            matrix[row, vocab[term]] = (1 + math.log(count)) * math.log((1 + n) / (1 + df[term]))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _scores(units: list[_Unit], vectors: np.ndarray, knobs: Knobs) -> np.ndarray:
    centre = vectors.sum(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    score = knobs.centrality * (vectors @ centre)
    index = np.array([u.index for u in units], dtype=np.float32)
    score += knobs.position / (1.0 + index / knobs.position_scale)
    docs = np.array([u.doc for u in units])
    others = [d for d in np.unique(docs)]
    if knobs.support and len(others) > 1:
        similarity = vectors @ vectors.T
        support = np.zeros(len(units), dtype=np.float32)
        for d in others:
            best = similarity[:, docs == d].max(axis=1)
            support += np.where(docs == d, 0.0, best)
        score += knobs.support * support / (len(others) - 1)
    score -= knobs.dangling * np.array([1.0 if _DANGLING.match(u.text) else 0.0 for u in units])
    return score


def summarize(
    documents: Sequence[str],
    max_words: int,
    *,
    relevance: Callable[[list[str]], Sequence[float]] | None = None,
    min_relevance: float = MIN_TOPIC_SIMILARITY,
    dates: Sequence[str] | None = None,
    overflow: Literal["skip", "cut"] = "skip",
    max_sentences: int | None = None,
    knobs: Knobs = DEFAULT_KNOBS,
) -> list[Picked]:
    """The sentences of ``documents`` that best brief them within ``max_words``, in reading order.

    ``relevance`` scores sentence texts against a topic (sentences below ``min_relevance`` are
    never quoted); ``dates`` (ISO, one per document) put later reports after earlier ones.
    ``overflow="skip"`` keeps whole sentences only (briefs); ``"cut"`` adds sentences until the
    budget is reached and cuts the last one at it (the ROUGE bench, same rule for every system).
    """
    units = _units(documents, knobs.filters)
    if not units or max_words <= 0:
        return []
    vectors = _tfidf([u.text for u in units])
    score = _scores(units, vectors, knobs)
    if relevance is not None:
        closeness = np.asarray(relevance([u.text for u in units]), dtype=np.float32)
        score = score + knobs.relevance * closeness
        keep = closeness >= min_relevance
        units = [u for u, k in zip(units, keep, strict=True) if k]
        vectors, score = vectors[keep], score[keep]
        if not units:
            return []
    chosen: list[int] = []
    used = 0
    pool = set(range(len(units)))
    max_similarity = np.zeros(len(units), dtype=np.float32)
    while pool and used < max_words and (max_sentences is None or len(chosen) < max_sentences):
        candidates = sorted(pool)
        mmr = score[candidates] - knobs.redundancy * max_similarity[candidates]
        best = candidates[int(np.argmax(mmr))]
        pool.discard(best)
        if chosen and max_similarity[best] >= knobs.near_duplicate:
            continue  # a near-repeat of what is already said
        if used + units[best].words > max_words and overflow == "skip":
            continue
        chosen.append(best)
        used += units[best].words
        max_similarity = np.maximum(max_similarity, vectors @ vectors[best])
    picked = [Picked(units[i].doc, units[i].start, units[i].end, units[i].text, float(score[i])) for i in chosen]
    if overflow == "cut" and used > max_words:
        picked[-1] = _cut(picked[-1], units[chosen[-1]].words - (used - max_words))
    return _order(picked, [units[i] for i in chosen], knobs.order, dates)


def _cut(p: Picked, keep_words: int) -> Picked:
    """The first ``keep_words`` words of a picked sentence (still an exact span of its document)."""
    matches = list(re.finditer(r"\S+", p.text))[:keep_words]
    end = matches[-1].end() if matches else 0
    return replace(p, end=p.start + end, text=p.text[:end])


def _order(picked: list[Picked], units: list[_Unit], how: str, dates: Sequence[str] | None) -> list[Picked]:
    """Lead fact first; then earlier reports first, and within them what articles say earlier."""
    if how == "selection" or len(picked) < 2:
        return picked
    when = (lambda d: dates[d]) if dates else (lambda d: "")
    if how == "document":
        key = sorted(range(len(picked)), key=lambda i: (when(picked[i].doc), picked[i].doc, picked[i].start))
        return [picked[i] for i in key]
    rest = sorted(range(1, len(picked)), key=lambda i: (when(picked[i].doc), units[i].index, picked[i].doc))
    return [picked[0]] + [picked[i] for i in rest]


# ---------------------------------------------------------------- briefs of stored evidence


def _documents(evidence: list[Evidence]) -> tuple[list[str], list[str], list[list[Evidence]]]:
    """Evidence → one text per article with the article's own offsets (gaps filled by newlines,
    which end a sentence as the chunk boundary does), its date, and its chunks."""
    by_article: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_article.setdefault(ev.article_id, []).append(ev)
    texts, dates, chunks = [], [], []
    for group in by_article.values():
        group = sorted({ev.chunk_id: ev for ev in group}.values(), key=lambda e: e.start)
        parts, cursor = [], 0
        for ev in group:
            if ev.start < cursor:  # overlapping chunks: keep the part not yet written
                parts.append(ev.text[cursor - ev.start :])
            else:
                parts.append("\n" * (ev.start - cursor) + ev.text)
            cursor = max(cursor, ev.end)
        texts.append("".join(parts))
        dates.append(group[0].published_at)
        chunks.append(group)
    return texts, dates, chunks


def _cite(picked: list[Picked], chunks: list[list[Evidence]], first_n: int = 1) -> tuple[list[str], list[Citation]]:
    parts, citations = [], []
    for p in picked:
        ev = next(e for e in chunks[p.doc] if e.start <= p.start and p.end <= e.end)
        n = first_n + len(citations)
        citations.append(make_citation(n, ev, p.start, p.end))
        parts.append(f"{p.text} [{n}]")
    return parts, citations


def _topic_relevance(settings: Settings, topic: str) -> Callable[[list[str]], Sequence[float]]:
    from rag.embed import embedder_for

    def relevance(texts: list[str]) -> Sequence[float]:
        embedder = embedder_for(settings)
        return embedder.embed(texts) @ embedder.embed([topic])[0]

    return relevance


def compose(
    evidence: list[Evidence],
    settings: Settings,
    max_words: int,
    topic: str | None = None,
    title: str = "",
    position_weight: float | None = None,
) -> Brief:
    """The brief of ``evidence`` (one story, or a topic's retrievals); a higher ``position_weight``
    favours each article's lead. With ``settings.llm == "openai"`` a model writes it instead."""
    texts, dates, chunks = _documents(evidence)
    knobs = DEFAULT_KNOBS if position_weight is None else replace(DEFAULT_KNOBS, position=position_weight)
    relevance = _topic_relevance(settings, topic) if topic else None
    picked = summarize(texts, max_words, relevance=relevance, dates=dates, knobs=knobs)
    if not picked:
        return Brief(paragraph="", citations=(), title=title)
    if settings.llm == "openai":
        return llm_brief(_chunks_of(picked, chunks, evidence), settings, max_words, topic or title, title)
    parts, citations = _cite(picked, chunks)
    return Brief(paragraph=" ".join(parts), citations=tuple(citations), title=title)


ON_TOPIC_SHARE = 0.7  # a retrieved chunk stays in a topic brief if its similarity is this share of the best's


def on_topic(evidence: list[Evidence], settings: Settings, topic: str) -> list[Evidence]:
    """The retrieved chunks that are about the topic. Retrieval always returns k chunks; with one
    article on "Wang Yi visit to Tokyo" the rest (a Brazil–Korea meeting, 0.30 against 0.61) only
    padded the note. Relative to the best chunk, so short name queries (low for every chunk) keep theirs."""
    if len(evidence) < 2:
        return evidence
    from rag.embed import embedder_for

    embedder = embedder_for(settings)
    similarity = embedder.embed([f"{ev.title}\n{ev.text}" for ev in evidence]) @ embedder.embed([topic])[0]
    best = float(similarity.max())
    if best <= 0:
        return evidence
    return [ev for ev, sim in zip(evidence, similarity, strict=True) if float(sim) >= ON_TOPIC_SHARE * best]


def brief_topic(
    store: Store, settings: Settings, topic: str, max_words: int | None = None, as_of: str | None = None
) -> Brief:
    evidence = on_topic(retrieve(store, Query(topic, as_of=as_of, k=12), settings), settings, topic)
    return compose(evidence, settings, max_words or settings.brief_words, topic=topic, title=topic)


# ---------------------------------------------------------------- stories of a day or a range


def stories(evidence: list[Evidence], settings: Settings, threshold: float = 0.55) -> list[list[Evidence]]:
    """Chunks grouped into stories (articles whose openings are close), the biggest first:
    most articles, then most sources, then most central to the whole set, then longest."""
    from rag.embed import embedder_for

    by_article: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_article.setdefault(ev.article_id, []).append(ev)
    if not by_article:
        return []
    ids = list(by_article)
    for a in ids:
        by_article[a].sort(key=lambda e: e.start)
    texts = [f"{by_article[a][0].title}\n{by_article[a][0].text}" for a in ids]
    vectors = embedder_for(settings).embed(texts)
    groups: list[list[int]] = []
    for i in range(len(ids)):
        for group in groups:
            if float(vectors[i] @ vectors[group[0]]) >= threshold:
                group.append(i)
                break
        else:
            groups.append([i])
    centre = vectors.mean(axis=0)

    def importance(group: list[int]) -> tuple[float, ...]:
        sources = {by_article[ids[i]][0].source.lower() for i in group}
        central = float(vectors[group].mean(axis=0) @ centre)
        length = sum(len(ev.text) for i in group for ev in by_article[ids[i]])
        return (-len(group), -len(sources), -round(central, 3), -length)

    groups.sort(key=lambda g: (importance(g), texts[g[0]]))
    return [[ev for i in group for ev in by_article[ids[i]]] for group in groups]


def stories_of_day(store: Store, settings: Settings, day: str, threshold: float = 0.55) -> list[list[Evidence]]:
    """The day's chunks grouped into stories, the biggest first."""
    number = day_of(day)
    return stories(store.chunks_between(number, number), settings, threshold)


SECONDARY_STORY_KNOBS = replace(DEFAULT_KNOBS, position=1.0)
LEAD_STORY_SHARE = 0.6  # of a date brief's words, at most this much goes to the lead story when others exist


def brief_stories(groups: list[list[Evidence]], settings: Settings, max_words: int, title: str) -> Brief:
    """One paragraph over several stories: the biggest story's note first, then the best
    sentence of each next story while words remain; a story's sentences are never split up."""
    if not groups:
        return Brief(paragraph="", citations=(), title=title)
    if settings.llm == "openai":
        return compose(groups[0], settings, max_words, title=title)
    parts: list[str] = []
    citations: list[Citation] = []
    used = 0
    for rank, group in enumerate(groups):
        budget = max_words - used
        if rank == 0 and len(groups) > 1:
            budget = max(int(LEAD_STORY_SHARE * max_words), 1)
        texts, dates, chunks = _documents(group)
        if rank == 0:
            picked = summarize(texts, budget, dates=dates)
        else:  # one sentence for a lesser story, its lead (which stands on its own), or none
            picked = summarize(texts, max_words, dates=dates, max_sentences=1, knobs=SECONDARY_STORY_KNOBS)
        if not picked or sum(word_count(p.text) for p in picked) > budget:
            continue
        more, cited = _cite(picked, chunks, first_n=len(citations) + 1)
        parts += more
        citations += cited
        used += sum(word_count(p.text) for p in picked)
        if max_words - used < MIN_WORDS:
            break
    return Brief(paragraph=" ".join(parts), citations=tuple(citations), title=title)


def brief_date(store: Store, settings: Settings, day: str, max_words: int | None = None) -> Brief:
    """The day's note: leads with its biggest story, then one sentence per next story."""
    return brief_stories(
        stories_of_day(store, settings, day), settings, max_words or settings.brief_words, f"News of {day}"
    )


def brief_range(store: Store, settings: Settings, since: str, until: str, max_words: int | None = None) -> Brief:
    """``brief --since D1 --until D2``: like a date brief over the days D1..D2 (inclusive)."""
    if since > until:
        raise ValueError(f"--since {since} is after --until {until}: no article can match")
    evidence = store.chunks_between(day_of(since), day_of(until))
    title = f"News of {since} to {until}"
    return brief_stories(stories(evidence, settings), settings, max_words or settings.brief_words, title)


def daily_briefs(
    store: Store, settings: Settings, day: str, max_words: int | None = None, max_stories: int | None = None
) -> list[Brief]:
    """One brief per story of the day, most important first (all stories unless ``max_stories``)."""
    briefs = []
    for story in stories_of_day(store, settings, day)[:max_stories]:
        headline = story[0].title
        briefs.append(compose(story, settings, max_words or settings.brief_words, title=headline))
    return [b for b in briefs if b.paragraph]


# ---------------------------------------------------------------- OpenAI-compatible mode


def _chunks_of(
    picked: list[Picked], chunks: list[list[Evidence]], evidence: list[Evidence], cap: int = 8
) -> list[Evidence]:
    """The model's evidence: the chunks holding the extractive picks first, then the rest, capped."""
    first = [next(e for e in chunks[p.doc] if e.start <= p.start and p.end <= e.end) for p in picked]
    ordered = list({e.chunk_id: e for e in first + list(evidence)}.values())
    return ordered[: max(cap, len(set(e.chunk_id for e in first)))]


def llm_brief(evidence: list[Evidence], settings: Settings, max_words: int, subject: str, title: str = "") -> Brief:
    """The model writes from numbered evidence; every sentence keeps a citation that passed the
    same support check as answers (unsupported ones are flagged ``supported=False``), sentences
    citing no passage are dropped, and whole sentences past the budget are dropped."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from rag.answer import chat_model, format_passages, load_prompt, parse_reply

    if not evidence:
        return Brief(paragraph="", citations=(), title=title)
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("brief_system.md").replace("{words}", str(max_words))),
            ("human", load_prompt("brief_user.md")),
        ]
    )
    reply = (prompt | chat_model(settings) | StrOutputParser()).invoke(
        {"passages": format_passages(evidence), "subject": subject}
    )
    answer = parse_reply(subject, reply, evidence)
    if answer.abstained:
        return Brief(paragraph="", citations=(), title=title)
    return _fit_cited(answer.answer, list(answer.citations), max_words, title)


_MARKS = re.compile(r"((?:\s*\[\d+\])+)")


def _fit_cited(text: str, citations: list[Citation], max_words: int, title: str) -> Brief:
    """Keep whole cited sentences up to the budget (the first always), renumbered 1..n."""
    sentences = [s for s in re.split(r"(?<=\])\s+(?!\[)", text) if s.strip()]
    kept, used = [], 0
    for sentence in sentences:
        words = word_count(_MARKS.sub("", sentence))
        if kept and used + words > max_words:
            break
        kept.append(sentence)
        used += words
    by_n = {c.n: c for c in citations}
    renumber: dict[int, int] = {}
    for sentence in kept:
        for raw in re.findall(r"\[(\d+)\]", sentence):
            renumber.setdefault(int(raw), len(renumber) + 1)
    paragraph = re.sub(r"\[(\d+)\]", lambda m: f"[{renumber[int(m.group(1))]}]", " ".join(kept))
    cited = tuple(replace(by_n[old], n=new) for old, new in renumber.items() if old in by_n)
    return Brief(paragraph=paragraph, citations=cited, title=title)
