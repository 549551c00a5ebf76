"""Citations: build them from stored spans, renumber them, and check claims against them.

A citation is data: the answer text carries ``[n]``; the citation carries the article span.
Every quote is cut from a retrieved chunk's text by offsets, so it always equals the article
text between ``start`` and ``end``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.chunk import sentence_spans
from rag.types import Citation, Evidence

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_NUMBER = re.compile(r"\d[\d,.]*")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "said",
        "says",
        "say",
        "according",
        "new",
        "one",
        "two",
        "recently",
        "week",
        "year",
        "years",
        "last",
        "first",
        "latest",
        "still",
    ]
)


def words(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A light suffix stripper: enough to match "raise/raised/raising", no library needed."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def numbers(text: str) -> set[str]:
    return {n.rstrip(".,").replace(",", "") for n in _NUMBER.findall(text)}


def proper_names(text: str) -> set[str]:
    """Capitalised words, the names a claim must not change.

    A sentence's first word is capitalised anyway: it counts only when it does not look like a
    common word (not a stopword, not an -ly adverb).
    """
    names: set[str] = set()
    for start, end in sentence_spans(text):
        tokens = _WORD.findall(text[start:end])
        for position, token in enumerate(tokens):
            word = token.lower().strip("'’-")
            if not token[:1].isupper() or word in STOPWORDS or len(word) < 2:
                continue
            if position == 0 and (word.endswith("ly") or len(word) < 3):
                continue
            names.add(word)
    return names


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved chunk, with absolute offsets into its article."""

    evidence_index: int
    start: int
    end: int
    text: str


def sentences_of(evidence: list[Evidence]) -> list[Sentence]:
    out: list[Sentence] = []
    for index, ev in enumerate(evidence):
        for start, end in sentence_spans(ev.text):
            out.append(Sentence(index, ev.start + start, ev.start + end, ev.text[start:end]))
    return out


def make_citation(n: int, ev: Evidence, start: int, end: int, supported: bool = True) -> Citation:
    """A citation of ``ev``'s article from ``start`` to ``end``; refuses spans outside the chunk."""
    if not (ev.start <= start < end <= ev.end):
        raise ValueError(f"span {start}-{end} is outside chunk {ev.chunk_id} ({ev.start}-{ev.end})")
    quote = ev.text[start - ev.start : end - ev.start]
    return Citation(
        n=n,
        doc_id=ev.article_id,
        title=ev.title,
        source=ev.source,
        published_at=ev.published_at,
        quote=quote,
        start=start,
        end=end,
        url=ev.url,
        supported=supported,
        date_from=ev.date_from,
        also_reported_by=ev.also_reported_by,
        provenance=ev.provenance,
    )


_INSTRUCTIONS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|system)\s+(?:instructions|prompts?|rules|messages)"
    r"|\byou\s+are\s+now\b|\b(?:system\s+prompt|jailbreak)\b"
    r"|\b(?:answer|reply|respond)\s+(?:to\s+)?every\s+question\s+with\b",
    re.IGNORECASE,
)


# Our own output's marks: citation markers, numbered source lines, "Sources:", "Answer:", our decline.
_OUR_FORMAT = re.compile(
    r"\[\d{1,2}\]"
    r"|^\s*(?:sources?|answer|short answer|citations?|references?|closest coverage|latest coverage)\s*:"
    r"|\b(?:not found in (?:articles|all articles|the corpus)|understood as:)"
    r"|\s[—–-]\s\d{4}-\d{2}-\d{2}(?:\s[—–-]\s|\s*$)",
    re.IGNORECASE | re.MULTILINE,
)


def imitates_our_output(text: str) -> bool:
    """Text dressed as our own output (``[1]`` markers, "Sources:" lines, "Answer:"): quoting it would
    pass a planted claim off as a citation of ours."""
    return bool(_OUR_FORMAT.search(text))


def looks_like_instructions(text: str) -> bool:
    """Text addressed to a language model ("Ignore all previous instructions…") or imitating our own
    output format. Such a sentence in an article is still stored and searchable, but never quoted as
    an answer or a brief."""
    return bool(_INSTRUCTIONS.search(text)) or imitates_our_output(text)


def lexical_support(claim: str, quote: str) -> float:
    """Share of the claim's content terms found in the quote (0..1)."""
    claim_terms = set(content_terms(claim))
    if not claim_terms:
        return 1.0
    return len(claim_terms & set(content_terms(quote))) / len(claim_terms)


SEMANTIC_SUPPORT = 0.8  # cosine (MiniLM) at which a paraphrase counts as support without shared words


def is_supported(claim: str, quote: str, threshold: float = 0.5, similarity: float | None = None) -> bool:
    """Supported: its numbers and names are all in the quote, and most of its words are too — or,
    for a paraphrase, its meaning is close (``similarity``: cosine of the two embeddings)."""
    quote_lower = quote.lower()
    if not numbers(claim) <= numbers(quote):
        return False
    if not all(name in quote_lower for name in proper_names(claim)):
        return False
    return lexical_support(claim, quote) >= threshold or (similarity is not None and similarity >= SEMANTIC_SUPPORT)


FALLBACK_DATES = {"file-time": "file time", "feed-time": "the feed's date", "http-time": "the server's date"}


def date_label(c: Citation | Evidence) -> str:
    """The date, saying so when it is only a fallback, and how the text got here when a reader
    should know: "2019-05-06 (date from file time), uploaded in the app, 2026-12-02"."""
    if not c.published_at:
        return "undated" + provenance_label(c)
    fallback = FALLBACK_DATES.get(c.date_from)
    return c.published_at + (f" (date from {fallback})" if fallback else "") + provenance_label(c)


def provenance_label(c: Citation | Evidence) -> str:
    """ ", headline only (page not fetched)" / ", uploaded in the app, 2026-12-02", or ""."""
    return f", {c.provenance}" if c.provenance else ""


def copies_label(c: Citation | Evidence) -> str:
    """ " (also reported by AP, CNN)" for an article with linked near-duplicate copies, else ""."""
    return f" (also reported by {', '.join(c.also_reported_by)})" if c.also_reported_by else ""


def source_line(c: Citation) -> str:
    """Source, date and copies, e.g. "WION, 2020-11-24 (also reported by Kyodo)"."""
    if c.published_at:
        return f"{c.source}, {date_label(c)}{copies_label(c)}"
    return f"{c.source}{provenance_label(c)}{copies_label(c)}"


def is_web(url: str) -> bool:
    """Only http(s) links are written (a ``javascript:`` URL from a hostile page never is)."""
    return url.startswith(("http://", "https://"))


def by_article(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by the article they quote, in order of first citation."""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.doc_id, []).append(c)
    return list(groups.values())


def markers(group: Sequence[Citation]) -> str:
    """ "[1]" for an article quoted three times under one number, "[1][2]" for two numbers."""
    return "".join(f"[{n}]" for n in dict.fromkeys(c.n for c in group))


def link(url: str) -> str:
    """ " <https://…>" for a web address, "" otherwise."""
    return f" <{url}>" if is_web(url) else ""


def clipped(text: str, limit: int = 160) -> str:
    """The text cut at a word before ``limit`` characters, with "…" when cut."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def sources_text(citations: Sequence[Citation], declined: bool = False) -> str:
    """The sources under a note in a terminal: each article once, its address, then each quote. A
    quote that supports no claim is flagged; under a decline, none is meant to (it is the closest
    coverage found, not an answer)."""
    lines = []
    for group in by_article(citations):
        c = group[0]
        lines.append(f"{markers(group)} {c.title} — {source_line(c)}{link(c.url)}")
        numbered = len({q.n for q in group}) > 1  # which quote is [1] and which [2]
        for q in group:
            flag = "" if q.supported or declined else " (unsupported)"
            lines.append(f"    {f'[{q.n}] ' if numbered else ''}“{q.quote}”{flag}")
    return "\n".join(lines)
