"""Evidence → a one-paragraph briefing note where every sentence is a cited quote.

The core is :func:`summarize`, a pure function of plain texts (the ROUGE bench calls it on
Multi-News clusters, the briefs call it on stored articles, so what is measured is what ships):

1. split every document into sentences, take datelines off their front ("BRASÍLIA, Brazil – "),
   and drop what is not news prose (captions, bylines, tweets, "Click here", "available here",
   cookie notices, questions, quote-only lines, fragments under six words);
2. keep only sentences a reader can follow alone: one that leans on the sentence before it
   ("He said…", "This is…", "But…") is quoted together with that sentence, or not at all
   (:func:`rag.quote.context_need`);
3. score each candidate by centrality (TF-IDF cosine to the cluster's centroid), a lead prior
   (news puts the main fact first), and cross-document support (the same fact in other articles);
4. pick by maximal marginal relevance within the word budget, so no fact is said twice;
5. order: the lead fact first, then the rest by how early it comes in its article, and by
   date when the articles span several days.

Sentences are never cut in a brief (a sentence that does not fit is skipped, a shorter one may
fit), so an attribution such as "Japanese media reported that …" always stays with its claim.

Around the core, notes are written as an editor would sign them: relative dates carry the date
in an editor's bracket ("on Monday [15 Nov 2004]"), a topic whose sources span more than a few
days is told in date order and says when ("In January 2005, … By March 2007, …"), a day leads
with its biggest story and gives every other story its own sentence behind a transition, and
each article is one source marker however many of its sentences are quoted. Our own words are
only such lead-ins and the closing count of stories; every claim is a quote.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np

from rag.chunk import sentence_spans
from rag.cite import STOPWORDS, content_terms, is_supported, looks_like_instructions, make_citation
from rag.quote import (
    MONTH_NAMES,
    NEEDS_ANOTHER_SENTENCE,
    after_lead_in,
    common_words,
    context_need,
    dateline_end,
    known_date,
    with_dates,
    without_editor_brackets,
)
from rag.retrieve import Query, retrieve
from rag.settings import Settings
from rag.store import Store, day_of
from rag.types import Brief, Citation, Evidence

# ---------------------------------------------------------------- the pure core

MIN_WORDS, MAX_WORDS_PER_SENTENCE = 6, 60
MIN_TOPIC_SIMILARITY = 0.3  # a topic brief quotes only sentences at least this close to the topic
# Page furniture that scrapes keep: share buttons, cookie and subscription notices, captions.
_BOILERPLATE = re.compile(
    r"click here|\bcookies\b|subscribe to|sign up|newsletter|javascript|your browser|all rights reserved|"
    r"\bcopyright\b|©|\bphoto(graph)?s?\b *(:|by|courtesy)|\bimage:|getty images|\(AP Photo|"
    r"follow (us|him|her) (on|@)|https?://|www\.|tweet with a location|\bretweet|"
    r"read more|related:|advertisement|share this|terms of (use|service)|privacy policy|"
    r"contributed to this report|this (story|article) (has been|was) (updated|corrected)|"
    r"^(caption|watch|video|listen|see also|related|update|correction|clarification|editor['’]s note)\b|"
    r"^(explore|discover|join|get|learn more|find out more|shop|try|follow)\b|independently chosen|"
    r"we may (earn|receive)|earn us a commission|through our links|affiliate|in your inbox|"
    r"(earlier|previous) version of this (story|article)",
    re.IGNORECASE,
)
_TERMINAL = re.compile(r"""[.!]["'”’)\]]*$""")
_NEVER_QUOTED = frozenset({"absent", "caption", "byline", "question", "addressed"})


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
    support: float = 0.5  # best match in each other document, averaged
    dangling: float = 0.05  # penalty for a sentence that needs the one before it brought in
    relevance: float = 0.5  # topic briefs: weight of the closeness to the topic
    redundancy: float = 1.0  # MMR: weight of the closeness to what is already chosen
    near_duplicate: float = 0.8  # never pick a sentence this close to a chosen one
    filters: bool = True  # drop boilerplate, questions, quote-only lines and fragments
    standalone: bool = True  # a sentence that leans on the one before is quoted with it, or not at all
    lead_only: bool = False  # only each document's first quotable sentence (a lesser story in a day's note)
    order: Literal["lead-then-position", "selection", "document"] = "lead-then-position"


DEFAULT_KNOBS = Knobs()


@dataclass(frozen=True)
class _Unit:
    """One candidate: a sentence; a sentence with the one before it that it leans on; or a
    sentence that leans on the one before it (``after``), eligible once that one is in the note."""

    doc: int
    index: int  # number of its first sentence within its document
    spans: tuple[tuple[int, int], ...]
    text: str
    words: int
    leans: bool = False  # holds a sentence that needs the one before it
    after: tuple[int, int] | None = None  # the span it must follow, for a lone leaning sentence


def word_count(text: str) -> int:
    return len(text.split())


def is_news_prose(text: str) -> bool:
    """A sentence worth quoting: a whole declarative sentence, not page furniture, nothing that
    points at what a note cannot show ("available here", a caption, a byline)."""
    n = word_count(text)
    if n < MIN_WORDS or n > MAX_WORDS_PER_SENTENCE:
        return False
    if text.rstrip("\"”’' )").endswith("?") or not _TERMINAL.search(text):
        return False  # questions; headlines and captions have no full stop
    if not (text[0].isalnum() or text[0] in "\"“‘'("):
        return False  # "— Recommendations are…": a fragment of a list or a caption
    if _BOILERPLATE.search(text) or looks_like_instructions(text) or context_need(text) in _NEVER_QUOTED:
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) < 0.5 * len(letters)


def quotable_spans(text: str) -> list[tuple[int, int]]:
    """Every sentence of ``text`` with its dateline left out: ``text[start:end]`` starts at the
    sentence proper ("November 18, USA - William…" → "William…")."""
    spans = []
    for start, end in sentence_spans(text):
        start += dateline_end(text[start:end])
        if start < end:
            spans.append((start, end))
    return spans


NEXT_TO = 4  # at most this much whitespace between a sentence and the one before it (more: a gap in the text)


def _units(documents: Sequence[str], knobs: Knobs) -> list[_Unit]:
    units = []
    for d, text in enumerate(documents):
        index = 0
        previous: tuple[int, int] | None = None  # the sentence just before, if it is quotable prose
        alone = False  # …and stands alone
        for start, end in quotable_spans(text):
            sentence = text[start:end]
            if not knobs.filters and word_count(sentence) < 3:
                continue
            prose = is_news_prose(sentence) if knobs.filters else True
            need = context_need(sentence) if knobs.standalone and prose else None
            words = word_count(sentence)
            if prose and need is None:
                units.append(_Unit(d, index, ((start, end),), sentence, words))
            elif prose and need in NEEDS_ANOTHER_SENTENCE and previous is not None and start - previous[1] <= NEXT_TO:
                if alone:
                    both = text[previous[0] : end]
                    units.append(_Unit(d, index - 1, (previous, (start, end)), both, word_count(both), leans=True))
                units.append(_Unit(d, index, ((start, end),), sentence, words, leans=True, after=previous))
            previous, alone = ((start, end) if prose else None), prose and need is None
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
    score -= knobs.dangling * np.array([1.0 if u.leans else 0.0 for u in units])
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
    ``max_sentences`` caps the sentences quoted. A sentence that leans on the one before it is
    quoted right after that one, never alone.
    """
    units = _units(documents, knobs)
    if knobs.lead_only:
        first = {u.doc: u.index for u in reversed(units)}
        units = [u for u in units if u.index == first[u.doc]]
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
    groups: list[list[Picked]] = []  # what each chosen unit brought, a lone leaning sentence joining its group
    group_of: dict[tuple[int, tuple[int, int]], int] = {}  # (doc, span) of every sentence said → its group
    last_group = 0
    used = 0
    pool = set(range(len(units)))
    max_similarity = np.zeros(len(units), dtype=np.float32)
    room = max_sentences if max_sentences is not None else len(units) * 2
    while pool and used < max_words and len(group_of) < room:
        candidates = sorted(i for i in pool if units[i].after is None or (units[i].doc, units[i].after) in group_of)
        if not candidates:
            break
        mmr = score[candidates] - knobs.redundancy * max_similarity[candidates]
        best = candidates[int(np.argmax(mmr))]
        pool.discard(best)
        unit = units[best]
        if any((unit.doc, span) in group_of for span in unit.spans):
            continue  # holds a sentence already in the note
        if chosen and max_similarity[best] >= knobs.near_duplicate:
            continue  # a near-repeat of what is already said
        if (used + unit.words > max_words and overflow == "skip") or len(group_of) + len(unit.spans) > room:
            continue
        picks = _picks(documents, unit, float(score[best]))
        if unit.after is not None:
            last_group = group_of[(unit.doc, unit.after)]
            groups[last_group] += picks  # right after the sentence it leans on
        else:
            chosen.append(best)
            last_group = len(groups)
            groups.append(picks)
        group_of.update({(unit.doc, span): last_group for span in unit.spans})
        used += unit.words
        max_similarity = np.maximum(max_similarity, vectors @ vectors[best])
    if overflow == "cut" and used > max_words:
        groups[last_group] = _cut(groups[last_group], used - max_words)
    ordered = _order(groups, [units[i] for i in chosen], knobs.order, dates)
    return [p for group in ordered for p in group]


def _picks(documents: Sequence[str], unit: _Unit, score: float) -> list[Picked]:
    return [Picked(unit.doc, s, e, documents[unit.doc][s:e], score) for s, e in unit.spans]


def _cut(group: list[Picked], drop_words: int) -> list[Picked]:
    """The group without its last ``drop_words`` words (each part still an exact span of its document)."""
    keep = sum(word_count(p.text) for p in group) - drop_words
    kept = []
    for p in group:
        if keep <= 0:
            break
        matches = list(re.finditer(r"\S+", p.text))[:keep]
        end = matches[-1].end() if matches else 0
        kept.append(replace(p, end=p.start + end, text=p.text[:end]))
        keep -= len(matches)
    return kept


def first_quotable(documents: Sequence[str], max_words: int = MAX_WORDS_PER_SENTENCE) -> list[Picked]:
    """When no sentence passes as news prose (a headline-only article, a very short one), the first
    span of the first document that can still be quoted: three words or more within ``max_words``,
    standing alone, and nothing a note must never quote (page furniture, text to a model or
    dressed as our output). A stored article is then never left out of its day's note. Nothing
    when some sentence is news prose: then the budget or the topic left it out, on purpose."""
    if any(is_news_prose(text[s:e]) for text in documents for s, e in quotable_spans(text)):
        return []
    for d, text in enumerate(documents):
        for start, end in quotable_spans(text):
            span = text[start:end].strip()
            words = word_count(span)
            if words < 3 or words > max_words or _BOILERPLATE.search(span) or looks_like_instructions(span):
                continue
            if context_need(span) is None:
                begin = start + text[start:end].index(span)
                return [Picked(d, begin, begin + len(span), span, 0.0)]
    return []


def _order(groups: list[list[Picked]], units: list[_Unit], how: str, dates: Sequence[str] | None) -> list[list[Picked]]:
    """Lead fact first; then earlier reports first, and within them what articles say earlier.
    Sentences of a single article keep that article's order."""
    if how == "selection" or len(groups) < 2:
        return groups
    when = (lambda d: dates[d]) if dates else (lambda d: "")
    if how == "document" or len({u.doc for u in units}) == 1:  # one article: read in its own order
        key = sorted(range(len(groups)), key=lambda i: (when(units[i].doc), units[i].doc, units[i].spans[0]))
        return [groups[i] for i in key]
    rest = sorted(range(1, len(groups)), key=lambda i: (when(units[i].doc), units[i].index, units[i].doc))
    return [groups[0]] + [groups[i] for i in rest]


# ---------------------------------------------------------------- writing a note from picked sentences

FEW_DAYS = 3  # sources further apart than this are told in date order, each part saying when
LONG_GAP_DAYS = 180  # "By March 2007," rather than "In March 2007," after a gap this long


@dataclass(frozen=True)
class Line:
    """One sentence of a note: a quoted span of a stored chunk, maybe with our lead-in words before it."""

    ev: Evidence  # the chunk that holds the sentence
    start: int
    end: int
    lead_in: str = ""  # "In November 2005,", "Elsewhere,": ours, never a claim
    common: frozenset[str] = field(default=frozenset(), compare=False)  # ordinary words (see quote.common_words)

    @property
    def quote(self) -> str:
        return self.ev.text[self.start - self.ev.start : self.end - self.ev.start]

    @property
    def shown(self) -> str:
        """The sentence as the note shows it: relative dates dated in brackets, our lead-in first."""
        text = with_dates(self.quote, known_date(self.ev.published_at, self.ev.date_from))
        return after_lead_in(self.lead_in, text, self.common) if self.lead_in else text


def write(lines: Sequence[Line], numbers: dict[str, int] | None = None) -> tuple[str, list[Citation]]:
    """Lines → the paragraph and its citations. Each article gets one number (its first appearance
    decides it; ``numbers`` carries them over from what comes before), and a run of sentences from
    one article carries its marker once, at the end."""
    numbers = {} if numbers is None else numbers
    parts: list[str] = []
    citations: list[Citation] = []
    for i, line in enumerate(lines):
        n = numbers.setdefault(line.ev.article_id, len(numbers) + 1)
        citations.append(make_citation(n, line.ev, line.start, line.end))
        last_of_run = i + 1 == len(lines) or lines[i + 1].ev.article_id != line.ev.article_id
        parts.append(f"{line.shown} [{n}]" if last_of_run else line.shown)
    return " ".join(parts), citations


def _chunk_of(chunks: list[Evidence], start: int, end: int) -> Evidence:
    return next(e for e in chunks if e.start <= start and end <= e.end)


def lines_of(picked: Sequence[Picked], chunks: list[list[Evidence]], texts: Sequence[str]) -> list[Line]:
    common = common_words("\n".join(texts), STOPWORDS)
    return [Line(_chunk_of(chunks[p.doc], p.start, p.end), p.start, p.end, common=common) for p in picked]


def _day(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


def spans_days(lines: Sequence[Line], days: int = FEW_DAYS) -> bool:
    """Do the quoted articles lie more than ``days`` apart?"""
    known = [d for d in (_day(line.ev.published_at) for line in lines) if d]
    return bool(known) and (max(known) - min(known)).days > days


_MONTH = "|".join(MONTH_NAMES)
_EXPLICIT_DATE = re.compile(
    rf"\b(?:{_MONTH})(?: \d{{1,2}}(?:st|nd|rd|th)?)?,? \d{{4}}\b|\b\d{{1,2}} (?:{_MONTH}),? \d{{4}}\b"
)

_SAYS_WHEN = re.compile(
    r"^(?:Currently|Now|Today|Recently|Earlier|Later|Previously|Meanwhile|At present|So far|To date|This year|"
    r"Last (?:year|month|week)|In \d{4}|On (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b"
)


def when_label(day: date, by_month: bool) -> str:
    """ "November 2005" or "18 November 2004"."""
    month = f"{MONTH_NAMES[day.month - 1]} {day.year}"
    return month if by_month else f"{day.day} {month}"


def in_date_order(lines: Sequence[Line]) -> list[Line]:
    """The lines oldest first, each new date (or month, over a long span) led by when it happened:
    "In January 2005, … In April 2005, … By March 2007, …" (over weeks: "On 13 November 2004, …")."""
    ordered = sorted(lines, key=lambda line: (line.ev.published_at, line.ev.article_id, line.start))
    known = [d for d in (_day(line.ev.published_at) for line in ordered) if d]
    by_month = bool(known) and (max(known) - min(known)).days > 62
    out, said, previous = [], "", None
    for line in ordered:
        day = _day(line.ev.published_at)
        if day is None or (out and out[-1].ev.article_id == line.ev.article_id):
            out.append(line)  # undated, or the same article going on: no "In April 2005," before "Its …"
            continue
        label = when_label(day, by_month)
        if label == said or _EXPLICIT_DATE.search(line.quote) or _SAYS_WHEN.match(line.quote):
            out.append(line)  # already said, or the sentence says its own when ("on January 18, 2005", "Currently,")
            continue
        if not by_month:
            word = "On"
        elif previous is not None and (day - previous).days >= LONG_GAP_DAYS:
            word = "By"
        else:
            word = "In"
        out.append(replace(line, lead_in=f"{word} {label},"))
        said, previous = label, day
    return out


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
    max_sentences: int | None = None,
) -> Brief:
    """The brief of ``evidence`` (one story, or a topic's retrievals); a higher ``position_weight``
    favours each article's lead. Sources more than a few days apart are told in date order.
    With ``settings.llm == "openai"`` a model writes it instead."""
    texts, dates, chunks = _documents(evidence)
    knobs = DEFAULT_KNOBS if position_weight is None else replace(DEFAULT_KNOBS, position=position_weight)
    relevance = _topic_relevance(settings, topic) if topic else None
    picked = summarize(texts, max_words, relevance=relevance, dates=dates, max_sentences=max_sentences, knobs=knobs)
    if not picked and not topic:  # a story's note: its article, even if it holds no full sentence
        picked = first_quotable(texts, max_words)
    if not picked:
        return Brief(paragraph="", citations=(), title=title)
    if settings.llm == "openai":
        model_evidence = _chunks_of(picked, chunks, evidence)
        return llm_brief(model_evidence, settings, max_words, topic or title, title, max_sentences)
    lines = lines_of(picked, chunks, texts)
    if spans_days(lines):
        lines = in_date_order(lines)
    paragraph, citations = write(lines)
    return Brief(paragraph=paragraph, citations=tuple(citations), title=title)


ON_TOPIC_SHARE = 0.7  # a retrieved chunk stays in a topic brief if its similarity is this share of the best's


def on_topic(evidence: list[Evidence], settings: Settings, topic: str, share: float = ON_TOPIC_SHARE) -> list[Evidence]:
    """The retrieved chunks of the articles that are about the topic. Retrieval always returns k
    chunks; with one article on "Wang Yi visit to Tokyo" the rest (a Brazil–Korea meeting, 0.30
    against 0.61) only padded the note. An article counts by its closest chunk or its title (a
    later chunk of "First A380 enters commercial service" is still about the A380), relative to
    the best article, so short name queries (low for every chunk) keep theirs."""
    if len(evidence) < 2:
        return evidence
    from rag.embed import embedder_for

    embedder = embedder_for(settings)
    goal = embedder.embed([topic])[0]
    similarity = embedder.embed([f"{ev.title}\n{ev.text}" for ev in evidence]) @ goal
    closeness: dict[str, float] = {}
    for ev, sim in zip(evidence, similarity, strict=True):
        closeness[ev.article_id] = max(closeness.get(ev.article_id, -1.0), float(sim))
    best = max(closeness.values())
    if best <= 0:
        return evidence
    return [ev for ev in evidence if closeness[ev.article_id] >= share * best]


def brief_topic(
    store: Store, settings: Settings, topic: str, max_words: int | None = None, as_of: str | None = None
) -> Brief:
    evidence = on_topic(retrieve(store, Query(topic, as_of=as_of, k=12), settings), settings, topic)
    return compose(evidence, settings, max_words or settings.brief_words, topic=topic, title=topic)


# ---------------------------------------------------------------- timelines


@dataclass(frozen=True)
class Development:
    """One line of a timeline: when, the sentence as shown (with its markers), and its citations
    (the first is the sentence shown; the others are the same development in other articles)."""

    date: str
    text: str
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, object]:
        return {"date": self.date, "text": self.text, "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True)
class Timeline:
    topic: str
    developments: tuple[Development, ...] = ()

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(c for d in self.developments for c in d.citations)

    def to_dict(self) -> dict[str, object]:
        return {"topic": self.topic, "developments": [d.to_dict() for d in self.developments]}


SAME_DEVELOPMENT = 0.85  # sentences this close (MiniLM cosine) tell one development: merged
SAME_DEVELOPMENT_NEARBY = 0.6  # …or this close when reported within DEVELOPMENT_DAYS of each other
DEVELOPMENT_DAYS = 7
TIMELINE_K = 30
TIMELINE_ON_TOPIC_SHARE = 0.5  # wider than a brief's: each line must also name the topic (see timeline)
# An article's development: early in it and about the topic (a Boeing article's A380 sentence).
TIMELINE_KNOBS = replace(DEFAULT_KNOBS, position=1.0, relevance=1.0)


def timeline(
    store: Store,
    settings: Settings,
    topic: str,
    since: str | None = None,
    until: str | None = None,
    k: int = TIMELINE_K,
) -> Timeline:
    """One dated, cited line per development of ``topic``, oldest first: each article's most
    topical lead fact (naming more than half the topic's words, in it or in the article's title),
    with near-duplicate developments (the same news in several articles, or repeated days later)
    merged into the first report, which then cites them all."""
    from rag.embed import embedder_for

    if since and until and since > until:
        raise ValueError(f"--since {since} is after --until {until}: no article can match")
    query = Query(topic, as_of=until, since=since, k=k)
    found = on_topic(retrieve(store, query, settings), settings, topic, TIMELINE_ON_TOPIC_SHARE)
    # Whole articles, so each one's lead is there (retrieval may have brought only a later chunk).
    evidence = [ev for a in dict.fromkeys(ev.article_id for ev in found) for ev in store.article_chunks(a)]
    texts, _, chunks = _documents(evidence)
    relevance = _topic_relevance(settings, topic)
    wanted = set(content_terms(topic))
    firsts: list[Line] = []
    for d, text in enumerate(texts):
        picked = summarize([text], MAX_WORDS_PER_SENTENCE, relevance=relevance, max_sentences=1, knobs=TIMELINE_KNOBS)
        said = set(content_terms(" ".join([chunks[d][0].title, *(p.text for p in picked)])))
        if picked and 2 * len(wanted & said) > len(wanted):  # about the topic, not just near it
            firsts += [Line(_chunk_of(chunks[d], p.start, p.end), p.start, p.end) for p in picked]
    if not firsts:
        return Timeline(topic)
    by_article: dict[str, list[Line]] = {}  # a sentence brought in with the next one stays with it
    for line in firsts:
        by_article.setdefault(line.ev.article_id, []).append(line)
    units = sorted(by_article.values(), key=lambda unit: (unit[0].ev.published_at, unit[0].ev.article_id))
    vectors = embedder_for(settings).embed([" ".join(line.quote for line in unit) for unit in units])
    merged: list[list[int]] = []
    for i, unit in enumerate(units):
        for group in merged:
            head = units[group[0]]
            sim = float(vectors[i] @ vectors[group[0]])
            apart = _days_apart(head[0].ev.published_at, unit[0].ev.published_at)
            if sim >= SAME_DEVELOPMENT or (sim >= SAME_DEVELOPMENT_NEARBY and apart <= DEVELOPMENT_DAYS):
                group.append(i)
                break
        else:
            merged.append([i])
    numbers: dict[str, int] = {}
    developments = []
    for group in merged:
        head = units[group[0]]
        text, citations = write(head, numbers=numbers)
        for other in group[1:]:
            more = write(units[other], numbers=numbers)[1]
            citations += more
            text += f" [{more[-1].n}]"
        developments.append(Development(head[0].ev.published_at, text, tuple(citations)))
    return Timeline(topic, tuple(developments))


def _days_apart(a: str, b: str) -> int:
    da, db = _day(a), _day(b)
    return abs((da - db).days) if da and db else 10**6


# ---------------------------------------------------------------- stories of a day or a range


FOLLOW_UP_SIMILARITY = 0.5  # an article this close (stored vectors of the openings) continues a story
FOLLOW_UP_DAYS = 7


@dataclass(frozen=True)
class _Size:
    """What makes a story big: articles, sources, later follow-ups; then novelty, then length."""

    articles: int
    sources: int
    follow_ups: int = 0  # articles on it in the days after (when the store has them)
    earlier: int = 0  # articles on it in the days before: a follow-up ranks after a first report
    words: int = 0

    def key(self) -> tuple[int, ...]:
        return (-self.articles, -self.sources, -self.follow_ups, int(self.earlier > 0), -self.words)


def _openings(store: Store, first_day: int, last_day: int) -> tuple[list[str], np.ndarray, list[int]]:
    """Article ids, stored vectors of their first chunk, and day numbers, for the days given."""
    where = {"$and": [{"day": {"$gte": first_day}}, {"day": {"$lte": last_day}}, {"index": 0}]}
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    days: list[int] = []
    for got in store.pages(["embeddings", "metadatas"], where):
        embeddings = got.get("embeddings")
        if embeddings is None:
            continue
        for meta, vector in zip(got.get("metadatas") or [], embeddings, strict=False):
            ids.append(str(meta.get("article_id", "")))
            vectors.append(np.asarray(vector, dtype=np.float32))
            days.append(int(meta.get("day", 0)))
    return ids, (np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)), days


def _coverage(store: Store, groups: list[list[str]], first_day: int, last_day: int) -> list[tuple[int, int]]:
    """(earlier, later): per story, the other articles close to one of its own in the
    ``FOLLOW_UP_DAYS`` before ``first_day`` and after ``last_day``."""
    ids, vectors, days = _openings(store, first_day - FOLLOW_UP_DAYS, last_day + FOLLOW_UP_DAYS)
    if not ids:
        return [(0, 0)] * len(groups)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1.0, norms)
    row = {a: i for i, a in enumerate(ids)}
    out = []
    for group in groups:
        own = [row[a] for a in group if a in row]
        if not own:
            out.append((0, 0))
            continue
        close = (vectors @ vectors[own].T).max(axis=1) >= FOLLOW_UP_SIMILARITY
        earlier = sum(1 for i, c in enumerate(close) if c and days[i] < first_day)
        later = sum(1 for i, c in enumerate(close) if c and days[i] > last_day)
        out.append((earlier, later))
    return out


def stories(
    evidence: list[Evidence],
    settings: Settings,
    threshold: float = 0.55,
    store: Store | None = None,
) -> list[list[Evidence]]:
    """Chunks grouped into stories (articles whose openings are close), the biggest first: most
    articles, then most sources, then (with ``store``) most follow-ups in the next days, then a
    first report before a follow-up of an earlier story, then the longest."""
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
    coverage = [(0, 0)] * len(groups)
    if store is not None:
        days = [day_of(ev.published_at[:10]) for ev in evidence if _day(ev.published_at)]
        if days:
            coverage = _coverage(store, [[ids[i] for i in g] for g in groups], min(days), max(days))
    sizes = [
        _Size(
            articles=len(group),
            sources=len({by_article[ids[i]][0].source.lower() for i in group}),
            follow_ups=later,
            earlier=earlier,
            words=sum(word_count(ev.text) for i in group for ev in by_article[ids[i]]),
        )
        for group, (earlier, later) in zip(groups, coverage, strict=True)
    ]
    order = sorted(range(len(groups)), key=lambda g: (sizes[g].key(), texts[groups[g][0]]))
    return [[ev for i in groups[g] for ev in by_article[ids[i]]] for g in order]


def stories_of_day(store: Store, settings: Settings, day: str, threshold: float = 0.55) -> list[list[Evidence]]:
    """The day's chunks grouped into stories, the biggest first."""
    number = day_of(day)
    return stories(store.chunks_between(number, number), settings, threshold, store=store)


SECONDARY_STORY_KNOBS = replace(DEFAULT_KNOBS, position=1.0, lead_only=True)
STORY_KNOBS = replace(DEFAULT_KNOBS, position=0.6)  # a story told alone opens with what happened
LEAD_STORY_KNOBS = STORY_KNOBS
LEAD_STORY_SHARE = 0.5  # of a date brief's words, at most this much goes to the lead story when others exist
LEAD_STORY_SENTENCES = 3  # …in at most this many sentences (two when the day has three stories or more)
STORY_SENTENCES = 3  # a daily note per story: 1–3 sentences
OTHER_STORY_WORDS = 30  # a lesser story's lead longer than this is left to the daily file: more stories get told
# Lead-ins for a lesser story: a section when its words say so clearly (three cues or more), else a
# plain transition. Ours, never a claim.
SECTIONS = (
    ("In business,", r"shares?|stocks?|market|profits?|revenue|earnings|economy|economic|bank|banks|merger|"
     r"acquisition|sales|retailer|investors?|billion|bankrupt\w*|ceo|company|companies|firm|prices?|trade|buy"),
    ("In technology,", r"software|internet|online|computer\w*|microsoft|google|apple|search|web|windows|linux|"
     r"operating|beta|digital|chips?|smartphones?|app|apps|browser|email|spam|technolog\w*"),
    ("In sport,", r"match|matches|cricket|football|soccer|tennis|olympics?|championship|league|cup|tournament|"
     r"coach|players?|season|goals?|scored|wickets?|nba|nfl|fifa|grand prix|racing"),
    ("In science,", r"scientists?|researchers?|study|space|nasa|species|planet|astronom\w*|telescope|"
     r"physics|genes?|fossils?|climate|orbit"),
    ("In culture,", r"music|film|films|album|single|song|songs|band|movie|festival|actor|actress|singer|"
     r"artists?|concert|museum|novel|charts?|video"),
)  # fmt: skip
TRANSITIONS = ("Elsewhere,", "In other news,", "Meanwhile,", "Also,")


def section_of(text: str) -> str | None:
    """The section lead-in for a story ("In business,"), when three or more of its cue words occur."""
    best, hits = None, 2
    for lead_in, cues in SECTIONS:
        found = len({w.lower() for w in re.findall(rf"\b(?:{cues})\b", text, re.IGNORECASE)})
        if found > hits:
            best, hits = lead_in, found
    return best


def _transition(story: str, used: list[str]) -> str:
    section = section_of(story)
    if section and section not in used:
        return section
    plain = [t for t in TRANSITIONS if t not in used[-2:]]
    return plain[sum(1 for u in used if u in TRANSITIONS) % len(plain)]


def _stories_left(told: int, total: int, days: int) -> str:
    """Our closing count: "(9 stories; 5 more in the daily file)"."""
    if total < 2:
        return ""
    files = "daily file" if days == 1 else "daily files"
    more = f"; {total - told} more in the {files}" if told < total else ""
    return f" ({total} stories{more})"


def brief_stories(groups: list[list[Evidence]], settings: Settings, max_words: int, title: str, days: int = 1) -> Brief:
    """One paragraph over several stories: the biggest story's note first (two or three sentences),
    then one sentence for each next story behind a transition while words remain ("Elsewhere, …",
    "In business, …"); never two stories in one sentence, a story's sentences never split up, and
    a closing count of the stories the paragraph told and left for the daily file. Over several
    days, the lesser stories follow in date order, each new day saying so ("On 17 November 2004, …")."""
    if not groups:
        return Brief(paragraph="", citations=(), title=title)
    head = Brief(paragraph="")
    told: list[list[Line]] = []
    used = 0
    common = common_words("\n".join(ev.text for group in groups for ev in group), STOPWORDS)
    for rank, group in enumerate(groups):
        texts, dates, chunks = _documents(group)
        if rank == 0:
            budget = max(int(LEAD_STORY_SHARE * max_words), 1) if len(groups) > 1 else max_words
            if settings.llm == "openai":  # the model writes the lead story, asked about its headline
                head = compose(group, settings, budget, title=group[0].title)
                used += word_count(without_editor_brackets(_MARKS.sub("", head.paragraph)))
                if head.paragraph:
                    continue
            most = LEAD_STORY_SENTENCES if len(groups) < 3 else LEAD_STORY_SENTENCES - 1
            picked = summarize(texts, budget, dates=dates, max_sentences=most, knobs=LEAD_STORY_KNOBS)
        else:  # one sentence for a lesser story, its lead (which stands on its own), or none
            budget = min(max_words - used, OTHER_STORY_WORDS)
            picked = summarize(texts, budget, dates=dates, max_sentences=1, knobs=SECONDARY_STORY_KNOBS)
        picked = picked or first_quotable(texts, budget)
        if not picked:
            continue
        told.append([replace(line, common=common) for line in lines_of(picked, chunks, texts)])
        used += sum(word_count(p.text) for p in picked)
        if max_words - used < MIN_WORDS:
            break
    if days > 1 and told:  # the lead story first, then the others as the days went
        first, rest = (told[:1], told[1:]) if not head.paragraph else ([], told)
        told = first + sorted(rest, key=lambda story: story[0].ev.published_at)
    lines: list[Line] = []
    lead_ins: list[str] = []
    for story in told:
        day = _day(story[0].ev.published_at)
        lead_in = ""
        if days > 1 and day and f"On {when_label(day, by_month=False)}," not in lead_ins:
            lead_in = f"On {when_label(day, by_month=False)},"
        elif lines or head.paragraph:
            lead_in = _transition(f"{story[0].ev.title}\n{story[0].quote}", lead_ins)
        if lead_in:
            story = [replace(story[0], lead_in=lead_in), *story[1:]]
            lead_ins.append(lead_in)
        lines += story
    numbers = {c.doc_id: c.n for c in head.citations}
    paragraph, citations = write(lines, numbers=numbers)
    paragraph = " ".join(p for p in (head.paragraph, paragraph) if p)
    if not paragraph:
        return Brief(paragraph="", citations=(), title=title)
    paragraph += _stories_left(len(told) + bool(head.paragraph), len(groups), days)
    return Brief(paragraph=paragraph, citations=head.citations + tuple(citations), title=title)


def titles_between(store: Store, first_day: str, last_day: str) -> list[str]:
    """The titles of the articles stored for the days given (to say why a note came out empty)."""
    chunks = store.chunks_between(day_of(first_day), day_of(last_day))
    return list(dict.fromkeys(ev.title for ev in chunks))


def brief_date(
    store: Store,
    settings: Settings,
    day: str,
    max_words: int | None = None,
    groups: list[list[Evidence]] | None = None,
) -> Brief:
    """The day's note: leads with its biggest story, then one sentence per next story.
    ``groups``: the day's stories when the caller has them already (:func:`stories_of_day`)."""
    groups = stories_of_day(store, settings, day) if groups is None else groups
    return brief_stories(groups, settings, max_words or settings.brief_words, f"News of {day}")


def brief_range(store: Store, settings: Settings, since: str, until: str, max_words: int | None = None) -> Brief:
    """``brief --since D1 --until D2``: like a date brief over the days D1..D2 (inclusive)."""
    if since > until:
        raise ValueError(f"--since {since} is after --until {until}: no article can match")
    evidence = store.chunks_between(day_of(since), day_of(until))
    title = f"News of {since} to {until}"
    days = day_of(until) - day_of(since) + 1
    groups = stories(evidence, settings, store=store)
    return brief_stories(groups, settings, max_words or settings.brief_words, title, days=days)


def daily_briefs(
    store: Store,
    settings: Settings,
    day: str,
    max_words: int | None = None,
    max_stories: int | None = None,
    groups: list[list[Evidence]] | None = None,
) -> list[Brief]:
    """One note per story of the day, biggest first (all stories unless ``max_stories``): the
    headline, one to three sentences, each article one source."""
    briefs = []
    groups = stories_of_day(store, settings, day) if groups is None else groups
    for story in groups[:max_stories]:
        headline = story[0].title
        words = max_words or settings.brief_words
        briefs.append(
            compose(
                story,
                settings,
                words,
                title=headline,
                position_weight=STORY_KNOBS.position,
                max_sentences=STORY_SENTENCES,
            )
        )
    return [b for b in briefs if b.paragraph]


# ---------------------------------------------------------------- OpenAI-compatible mode


def _chunks_of(
    picked: list[Picked], chunks: list[list[Evidence]], evidence: list[Evidence], cap: int = 8
) -> list[Evidence]:
    """The model's evidence: the chunks holding the extractive picks first, then the rest, capped."""
    first = [_chunk_of(chunks[p.doc], p.start, p.end) for p in picked]
    ordered = list({e.chunk_id: e for e in first + list(evidence)}.values())
    return ordered[: max(cap, len(set(e.chunk_id for e in first)))]


def llm_brief(
    evidence: list[Evidence],
    settings: Settings,
    max_words: int,
    subject: str,
    title: str = "",
    max_sentences: int | None = None,
) -> Brief:
    """The model writes from numbered evidence, under the rules of ``prompts/brief_system.md``; its
    reply then gets the checks an extractive note gets: every sentence keeps a citation that passed
    the same support check as answers (unsupported ones are flagged ``supported=False``), sentences
    citing no passage are dropped, datelines are taken off sentences and quotes, relative dates get
    the bracket we compute (a model's own bracketed date is replaced), each article is one number,
    and whole sentences past the budget are dropped."""
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
    return checked_reply(answer.answer, list(answer.citations), max_words, title, max_sentences)


_MARKS = re.compile(r"\s*\[\d+\]")
_MARK_RUN = re.compile(r"(?:\s*\[\d+\])+")


def undateline(c: Citation) -> Citation:
    """The citation without the dateline its quote starts with (still an exact stored span)."""
    cut = dateline_end(c.quote)
    return replace(c, start=c.start + cut, quote=c.quote[cut:]) if cut else c


def checked_reply(
    text: str, citations: list[Citation], max_words: int, title: str, max_sentences: int | None = None
) -> Brief:
    """A model's cited sentences → a note: datelines off sentences and quotes, relative dates dated
    against the first cited article (a model's own bracketed date is replaced by ours), the support
    check run again on the sentence so cleaned (a dateline's place or a wrong date is gone), one number
    per article (1..n in order of first citation), and whole sentences up to the budget and to
    ``max_sentences`` (the first always)."""
    by_n = {c.n: undateline(c) for c in citations}
    numbers: dict[str, int] = {}
    kept: list[str] = []
    cited: dict[tuple[str, int, int], Citation] = {}
    used, cursor = 0, 0
    for run in _MARK_RUN.finditer(text):  # each sentence ends with its run of [n] markers
        sentence, cursor = text[cursor : run.end()], run.end()
        own = [by_n[int(m)] for m in re.findall(r"\[(\d+)\]", run.group(0)) if int(m) in by_n]
        claim = _MARKS.sub("", sentence).strip()
        claim = claim[dateline_end(claim) :]
        if not own or not claim:
            continue
        words = word_count(claim)
        if kept and (used + words > max_words or (max_sentences is not None and len(kept) >= max_sentences)):
            break
        first, plain = own[0], without_editor_brackets(claim)
        claim = with_dates(plain, known_date(first.published_at, first.date_from))
        for c in own:
            numbers.setdefault(c.doc_id, len(numbers) + 1)
            supported = c.supported or is_supported(plain, c.quote)  # checked again without the dateline and dates
            cited.setdefault((c.doc_id, c.start, c.end), replace(c, n=numbers[c.doc_id], supported=supported))
        kept.append(claim + "".join(f" [{n}]" for n in dict.fromkeys(numbers[c.doc_id] for c in own)))
        used += words
    return Brief(paragraph=" ".join(kept), citations=tuple(cited.values()), title=title)
