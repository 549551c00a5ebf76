"""Reranking the evidence by how it reads, and the decision: answer (with a short answer and the
sentences to quote) or decline, saying what the evidence lacks."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rag.chunk import sentence_spans
from rag.cite import STOPWORDS, clipped, content_terms
from rag.question import (
    DATE,
    MANNER,
    PERSON,
    QUOTE,
    REASON,
    THING,
    Frame,
)
from rag.reader.sentences import (
    EXPECTED,
    STRONG_CUE,
    TIME_LEADS,
    TIME_UNITS,
    ScoredSentence,
    has_event,
    name_coverage,
    named_in,
    reason_cues,
    says,
    score_sentences,
)
from rag.reader.spans import Span, as_written, find_spans, place_keys, span_key
from rag.reader.weights import Weights, load_weights
from rag.types import Evidence, scores_as_ranked


@dataclass(frozen=True)
class Reading:
    frame: Frame
    sentences: tuple[ScoredSentence, ...]  # best first
    span: Span | None  # the short answer (factoid questions)
    support: tuple[ScoredSentence, ...]  # the sentences to quote, best first
    confidence: float  # 0..1: how sure the evidence answers the question
    missing: tuple[str, ...]  # what the evidence lacks ("the event 'succeed'"), empty when answered
    features: dict[str, float] = field(default_factory=dict)
    answered: bool = False


# ---------------------------------------------------------------- coverage and the decision


_UPCOMING = re.compile(r"\b(?:upcoming|forthcoming)\s+(?:[\w’']+\s+)?$")  # "her upcoming meeting"
_COMING = re.compile(r"\s+(?:will|would|is due|are due|is set to|are set to|is scheduled|is expected|are expected)\b")


def only_expected(frame: Frame, text: str) -> bool:
    """Does the sentence report the question's event as merely expected ("is expected to resign")?

    A question that itself asks about a plan ("What will…", "plans to") accepts expectations.
    """
    if frame.future or not frame.events:
        return False
    lowered = text.lower()
    for event in frame.events:
        match = re.search(rf"\b{re.escape(event)}\w*", lowered)
        if not match:
            continue
        before = lowered[max(0, match.start() - 60) : match.start()]
        clause = re.split(r"[,;:]|\b(?:but|and|after|when|as)\b", before)[-1]
        # "the official sentence will be announced": the event named as a noun, then what is to come
        coming = _COMING.match(lowered[match.end() : match.end() + 40]) or _UPCOMING.search(before)
        return bool(EXPECTED.search(clause) or coming)
    return False


def reports_event(frame: Frame, text: str) -> bool:
    """Does some sentence of the text report the question's event as having happened (or, for a
    question about a plan, as planned)?"""
    sentences = (text[start:end] for start, end in sentence_spans(text))
    return any(has_event(frame, s) and not only_expected(frame, s) for s in sentences)


STALE_DAYS = 28  # coverage this old (or older) is fully stale for a question about recent news


def staleness(frame: Frame, article: Evidence) -> float:
    """For a question about recent news ("recently", "latest", "this week"): how old the answering
    article is, from 0 (published on the as-of day) to 1 (``STALE_DAYS`` or older); 0 for any
    question that does not ask for recent news, however old its answer."""
    if not frame.recent or not frame.as_of:
        return 0.0
    return min(1.0, _days_between(frame.as_of, article.published_at) / STALE_DAYS)


def newest_coverage(frame: Frame, evidence: Sequence[Evidence], eligible: Sequence[str]) -> str:
    """The publication day of the newest of the ``eligible`` articles (those that could answer: see
    ``_answering_articles``), never after the as-of day (today when none): a future date is an error."""
    until = frame.as_of or date.today().isoformat()
    wanted = set(eligible)
    days = (e.published_at[:10] for e in evidence if e.article_id in wanted and e.published_at[:10] <= until)
    return max(days, default="")


def superseded(frame: Frame, article: Evidence, newest: str) -> float:
    """How much newer the newest coverage of the subject is than the answering article, from 0 (it
    is the newest) to 1 (``STALE_DAYS`` or more): an answer from an old story while newer ones were
    found is likelier an earlier, other event than the one asked about. 0 for a question naming a
    year: it asks about that time, and a newer look back is no newer news."""
    if _YEAR.search(frame.question):
        return 0.0
    return min(1.0, _days_between(newest, article.published_at) / STALE_DAYS)


def _days_between(later: str, earlier: str) -> int:
    """Whole days from ``earlier`` to ``later`` (ISO dates or timestamps); 0 when either is not a date
    or ``earlier`` is the later one."""
    try:
        return max(0, (date.fromisoformat(later[:10]) - date.fromisoformat(earlier[:10])).days)
    except ValueError:
        return 0


def term_coverage(frame: Frame, text: str) -> float:
    """The share of the question's content words (stems) in the answering article's retrieved text:
    coverage of a neighbouring story shares the names but not what happened to them."""
    if not frame.terms:
        return 1.0
    return len(frame.terms & set(content_terms(text))) / len(frame.terms)


def _subjects(frame: Frame) -> list[str]:
    """The question's named things that are its subject: countries and states qualify a question
    ("in the US") more often than they name what it is about."""
    places = place_keys("country", "state")
    return [n for n in frame.names if span_key(n) not in places]


def _answering_articles(frame: Frame, evidence: Sequence[Evidence]) -> list[str]:
    """The articles an answer may come from, best-ranked first: those that name the question's
    subject and are from or about the years it names, when any is (an article about something
    else, or another year, cannot answer for it), else all."""
    ranked = list(dict.fromkeys(e.article_id for e in evidence))
    subjects, years = _subjects(frame), set(_YEAR.findall(frame.question))
    if not subjects and not years:
        return ranked
    texts: dict[str, str] = {}
    for e in evidence:
        texts[e.article_id] = f"{texts.get(e.article_id, f'{e.published_at} {e.title}')} {e.text}".lower()
    eligible = [
        a
        for a in ranked
        if (not subjects or any(named_in(frame, n, texts[a]) for n in subjects))
        and (not years or years & set(_YEAR.findall(texts[a])))
    ]
    return eligible or ranked


def read(frame: Frame, evidence: Sequence[Evidence], weights: Weights | None = None) -> Reading:
    """Score sentences and spans, and decide whether the evidence answers the question."""
    weights = weights or load_weights()
    scored = score_sentences(frame, evidence, weights)
    if not scored:
        return Reading(frame, (), None, (), 0.0, ("no sentence of what was found can be quoted",))
    eligible = _answering_articles(frame, evidence)
    scored, all_scored = answering_sentences(frame, scored, evidence, weights, eligible)
    spans = find_spans(frame, scored, evidence, weights) if frame.factoid or frame.kind == REASON else []
    lead, span = _lead(frame, scored, spans, evidence)
    if span is not None and frame.kind not in STRONG_CUE:
        span = _anchored(span, all_scored, evidence, frame.question, weights.citation_headline)
        lead = span.sentence
    support = _support(frame, lead, scored, evidence)
    article = evidence[lead.sentence.evidence_index]
    # The event may sit anywhere in the article's retrieved text (its title, the sentences around the
    # answer: "She played for the Storm" answers a question naming Sue Bird).
    context = " ".join([article.title, *(e.text for e in evidence if e.article_id == article.article_id)])
    event = has_event(frame, context, _lemmas([s.sentence.text for s in support]))
    # A reason or a way answers even for a plan ("why did Japan propose to cut aid"); a fact must have happened.
    expected = frame.kind not in (REASON, MANNER) and only_expected(frame, lead.sentence.text)
    # Whether anything found reports the event at all: news retells an event in many words
    # ("seized" as "found", "moving" as "relocating"), so a missing word lowers confidence, not more.
    reported = event or not frame.events or has_event(frame, " ".join(f"{e.title} {e.text}" for e in evidence))
    newest = newest_coverage(frame, evidence, eligible)  # the newest coverage of the subject found
    features = {
        "sentence": lead.score,
        "names": name_coverage(frame, context),
        "event": 1.0 if event else 0.0,
        "expected": 1.0 if expected else 0.0,
        "stale": staleness(frame, article),
        "superseded": superseded(frame, article, newest),
        "terms": term_coverage(frame, context),
        "votes": span.features.get("votes", 0.0) if span else 0.0,
        **_closeness(frame.question, lead.sentence.text, article.title),
    }
    confidence = 1.0 / (1.0 + math.exp(-Weights.score(weights.confidence, features)))
    missing = _gaps(frame, evidence, article, context, lead, support, span, expected)
    asked = " or ".join(f"“{w}”" for w in frame.event_words)
    # the article an answer would come from, by name: the closest coverage a decline quotes may be another
    candidate = f"the best-matching article, “{clipped(article.title, 60)}” ({article.published_at[:10]}),"
    unreported = ("none of the articles found" if not reported else f"{candidate} never") + (
        f" says it happened ({asked})"
    )
    if not event and event_defined(frame):
        # "When did X step down", "Who succeeded X": the answer is defined by the event, so a date or a
        # person from an article that does not report it is a guess, however well the rest matches
        missing.append(unreported)
    answered = confidence >= weights.threshold and not missing
    if not answered and not reported and frame.factoid and unreported not in missing:
        missing.insert(0, unreported)  # the reader of a decline is told why
    if not answered and not expected and any(only_expected(frame, s.sentence.text) for s in scored[:8]):
        missing.append("the articles found only expect it to happen")  # "Akerson will step down …"
    if not answered and features["superseded"] >= 1.0:  # the reader of a decline is told why
        named = any(candidate in m for m in missing)  # the article is named once: "…, never says it; it predates …"
        missing.append(f"{'it' if named else candidate} predates newer coverage ({newest})")
    if not answered and not missing:
        missing.append("the sentences found do not state it clearly enough to answer")
    return Reading(frame, tuple(scored), span, support, confidence, tuple(missing), features, answered)


def answering_sentences(
    frame: Frame,
    scored: Sequence[ScoredSentence],
    evidence: Sequence[Evidence],
    weights: Weights,
    eligible: Sequence[str] | None = None,
) -> tuple[tuple[ScoredSentence, ...], tuple[ScoredSentence, ...]]:
    """The sentences an answer may stand on (those of the best-ranked answering articles), and those of
    every answering article (where its citation may be anchored).

    A sentence of the tenth article that happens to hold a span of the right kind is likelier a
    bystander than the answer.
    """
    eligible = _answering_articles(frame, evidence) if eligible is None else eligible
    leading = set(eligible[: weights.lead_articles])
    every = tuple(s for s in scored if evidence[s.sentence.evidence_index].article_id in eligible) or tuple(scored)
    lead = tuple(s for s in scored if evidence[s.sentence.evidence_index].article_id in leading) or tuple(scored)
    return lead, every


_QUOTE_MARK = re.compile(r"[“”\"]")
_SAID = r"(?:said|says|told|stated|claimed|explained|wrote|complained|argued|insisted)"


@lru_cache(maxsize=512)
def _quoted_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """Where ``text`` (a chunk) is inside quotation marks; a quotation may run across sentences."""
    ranges: list[tuple[int, int]] = []
    opened: int | None = None
    for mark in _QUOTE_MARK.finditer(text):
        if opened is None and mark.group(0) == "”":  # the chunk starts inside a quotation
            ranges.append((0, mark.end()))
        elif opened is None:
            opened = mark.start()
        elif mark.group(0) != "“":
            ranges.append((opened, mark.end()))
            opened = None
    if opened is not None:
        ranges.append((opened, len(text)))
    return tuple(ranges)


def _unquoted(item: ScoredSentence, evidence: Sequence[Evidence]) -> str:
    """The sentence with what is inside quotation marks blanked: a cue there is the speaker's own
    reasoning, often about something else ("because it is so easy to do")."""
    chunk = evidence[item.sentence.evidence_index]
    offset = item.sentence.start - chunk.start
    chars = list(item.sentence.text)
    for start, end in _quoted_ranges(chunk.text):
        for n in range(max(0, start - offset), min(len(chars), end - offset)):
            chars[n] = " "
    return "".join(chars)


def _main_word(name: str) -> str:
    """A name's last word, matched whole ("Johnson" is not "John", "Truss" not "trust")."""
    return re.escape(name.split()[-1]) if name.split() else "$^"


def _names_subject(subjects: Sequence[str], text: str) -> bool:
    return any(re.search(rf"\b{_main_word(n)}\b", text, re.I) for n in subjects)


def _subject_speaks(subjects: Sequence[str], text: str) -> bool:
    """Is the subject the one speaking: "Truss said …", "said Kostov", "quoted Kostov … to have said"?"""
    for name in subjects:
        word = _main_word(name)
        # "said Kostov", "quoted Kostov": the one after the verb speaks; "told Kostov": he is told
        if re.search(
            rf"\b{word}\b[^.;“”\"]{{0,60}}?\b{_SAID}\b|\b(?:{_SAID}|quoted)(?<!told)\s+(?:\w+\s+)?{word}\b", text
        ):
            return True
    return False


def _reason_lead(frame: Frame, scored: Sequence[ScoredSentence], evidence: Sequence[Evidence]) -> ScoredSentence:
    """The sentence that states the reason (or the way), not the one restating the event, from the
    articles of the three best sentences, in this order: an outright cue ("because", "due to",
    "through") with the question's event and naming its subject; one naming its subject; for a "why",
    the subject's own words in an article reporting the event but not restating it ("The BBC quoted
    Kostov … to have said "there is no will for genuine teamwork""); an outright cue with the event;
    any outright cue; a cue that is more than a time word; any cue."""
    articles = {evidence[s.sentence.evidence_index].article_id for s in scored[:3]}
    near = [s for s in scored if evidence[s.sentence.evidence_index].article_id in articles]
    subjects = _subjects(frame)
    outright = [s for s in near if STRONG_CUE[frame.kind].search(_unquoted(s, evidence))]
    with_event = [s for s in outright if frame.events and s.features.get("event")]
    about = [s for s in outright if _names_subject(subjects, s.sentence.text)]
    reporting = {evidence[s.sentence.evidence_index].article_id for s in near if s.features.get("event")}
    stated = [
        s
        for s in near
        if frame.kind == REASON
        and (not frame.events or evidence[s.sentence.evidence_index].article_id in reporting)
        and not s.features.get("event")  # "I am resigning," Truss said: the event again
        and _subject_speaks(subjects, s.sentence.text)
    ]
    cued = [s for s in near if s.features.get("cue")]
    motive = [s for s in cued if _another_reason(frame, s, evidence)]  # "since hitting a record" is when
    tiers = ([s for s in with_event if any(s is a for a in about)], about, stated, with_event, outright, motive, cued)
    return next((s for tier in tiers for s in tier), scored[0])


def event_defined(frame: Frame) -> bool:
    """Is the answer defined by the question's event: a date ("when did X step down") or a person in a
    role of it ("who succeeded X", "whom did X replace")?"""
    return bool(frame.events) and (frame.kind == DATE or (frame.kind == PERSON and bool(frame.role)))


EVENT_SPAN_SHARE = 2 / 3  # a span from a sentence reporting the event must score this close to the best
_DENIED_OR_IF = re.compile(r"\b(?:not|never|no longer)\b|n['’]t\b|^\W*(?:if|unless)\b", re.I)
_SUBJECT_PRONOUN = re.compile(r"^\W*(?:he|she|they)\b", re.I)


def _reports_it(frame: Frame, span: Span, best: Span, subjects: Sequence[str]) -> bool:
    """Does the span come from a sentence reporting the question's event about its subject, in the
    asked-for role, as having happened ("She replaces Daniel Akerson"; not "Akerson succeeded Ed
    Whitacre" for "who succeeded Akerson", "his chief of staff stepped down", "did not resign",
    "if executed"), and score close to the best span?"""
    text = span.sentence.sentence.text
    return (
        span.score >= EVENT_SPAN_SHARE * best.score
        and span.features.get("role") != 0.0
        and bool(span.sentence.features.get("event"))
        and (not subjects or _names_subject(subjects, text) or bool(_SUBJECT_PRONOUN.match(text)))
        and not _DENIED_OR_IF.search(text)
        and not only_expected(frame, text)
    )


def _lead(
    frame: Frame, scored: Sequence[ScoredSentence], spans: Sequence[Span], evidence: Sequence[Evidence]
) -> tuple[ScoredSentence, Span | None]:
    """The sentence the answer stands on, and the short answer cut from it."""
    if frame.kind in STRONG_CUE:
        lead = _reason_lead(frame, scored, evidence)
        return lead, next((s for s in spans if s.sentence is lead), None)
    best = spans[0] if spans else None
    # "What did X <verb>?" is answered by what X <verb>s: the object of the question's own event
    # ("Motegi would raise concerns about …" for "what did Motegi plan to raise?"), not a name the
    # story repeats ("China").
    if best is not None and frame.kind == THING and frame.role == "patient":
        best = next((s for s in spans if s.features.get("role") == 1.0), best)
    # "Whom did Barra replace?", "When did Ridge step down?": the answer is defined by the event, so it
    # comes from a sentence reporting it ("She replaces Daniel Akerson"), not from a better-matching
    # one about someone else ("Fritz Henderson, the Chief Executive Officer of General Motors")
    if best is not None and event_defined(frame):
        subjects = _subjects(frame)
        best = next((s for s in spans if _reports_it(frame, s, best, subjects)), best)
    span = as_written(frame, best, spans) if best is not None else None
    lead = span.sentence if span else scored[0]
    if frame.kind == QUOTE:  # "what did X say": X's own words lead, when the evidence has them
        lead = next((s for s in scored if says(frame, s.sentence.text)), lead)
    return lead, span


def _anchored(
    span: Span, scored: Sequence[ScoredSentence], evidence: Sequence[Evidence], question: str, headline_weight: float
) -> Span:
    """The same short answer, cited from the article that states it and is most about it.

    The answer is chosen by reading several articles; among those stating it in a sentence that reads
    nearly as well as the answer's own, the citation goes to the best retrieval score plus
    ``headline_weight`` × the cosine of the question and the article's headline: the story about the
    asked thing, not a digest that names it in passing ("5 things to know for June 17"). The weight is
    fitted by ``bench/fit_citation.py``, cross-validated by week (bench/RESULTS.md).
    """
    pattern = _same_answer(span)
    first: dict[str, tuple[Evidence, float]] = {}  # each article's best-ranked chunk, its score as ranked
    for e, ranked in zip(evidence, scores_as_ranked(evidence), strict=True):
        first.setdefault(e.article_id, (e, ranked))
    rank = {article: n for n, article in enumerate(first)}

    def article_of(item: ScoredSentence) -> str:
        return evidence[item.sentence.evidence_index].article_id

    stating = {article_of(span.sentence): span}
    for item in sorted(scored, key=lambda s: (rank[article_of(s)], -s.score)):
        # one that merely names the answer ("Tim Cook will speak on Monday") does not support it
        if article_of(item) in stating or item.score < SECOND_SENTENCE_SHARE * span.sentence.score:
            continue
        match = pattern.search(item.sentence.text)
        if match and _counts_the_same(span, item.sentence.text, match.start(), match.end()):
            start = item.sentence.start + match.start()
            end = start + len(match.group(1))
            stating[article_of(item)] = Span(match.group(1), start, end, item, span.score, span.features)
    if len(stating) == 1:
        return span
    headline = dict.fromkeys(stating, 0.0)
    if headline_weight:
        from rag.embed import likeness

        headline = dict(zip(stating, likeness(question, [first[a][0].title for a in stating]), strict=True))
    # ties go to the better-ranked article
    return stating[max(stating, key=lambda a: (first[a][1] + headline_weight * headline[a], -rank[a]))]


def _same_answer(span: Span) -> re.Pattern[str]:
    """The short answer as another sentence must write it to state it too: a name with its own
    capitals ("US", not "told us"; "May", not "may"), a word in either case at a sentence's start."""
    text = span.text
    head = re.escape(text[0]) if text[0].isupper() else f"[{re.escape(text[0].lower())}{re.escape(text[0].upper())}]"
    return re.compile(rf"(?<!\w)({head}{re.escape(text[1:])})(?!\w)")


def _counts_the_same(span: Span, sentence: str, start: int, end: int) -> bool:
    """A number or an amount states the same answer only beside a word of the answer's own: "killed 12
    people" and "12 people died", not "struck at 12 local time". A name needs no such check."""
    if re.search(r"[^\W\d_]", span.text):
        return True
    own = span.sentence.sentence
    at, to = span.start - own.start, span.end - own.start
    return bool(_beside(own.text, at, to) & _beside(sentence, start, end))


def _beside(text: str, start: int, end: int) -> set[str]:
    """The two words on either side of text[start:end], lower case."""
    before = re.findall(r"[^\W\d_]+", text[:start])[-2:]
    after = re.findall(r"[^\W\d_]+", text[end:])[:2]
    return {w.lower() for w in (*before, *after)} - STOPWORDS


def _gaps(
    frame: Frame,
    evidence: Sequence[Evidence],
    article: Evidence,
    context: str,
    lead: ScoredSentence,
    support: Sequence[ScoredSentence],
    span: Span | None,
    expected: bool,
) -> list[str]:
    """What the evidence lacks to answer, in words for the reader of a decline; empty when nothing."""
    everything = " ".join(f"{e.title} {e.text}" for e in evidence)
    missing = []
    # The years a question names: all somewhere in what was found, and one in the answering article.
    years = set(_YEAR.findall(frame.question))
    found_years = set(_YEAR.findall(f"{everything} {' '.join(e.published_at for e in evidence)}"))
    own_years = set(_YEAR.findall(f"{context} {article.published_at}"))
    if years and (years - found_years or not years & own_years):
        missing.append("nothing found is from or about " + " or ".join(sorted(years)))
    # Named things anywhere in what was found, or the corpus has nothing on them; countries and
    # states qualify a question ("in the US") more often than they name its subject.
    absent = [n for n in frame.names if not named_in(frame, n, everything.lower())]
    subjects = _subjects(frame)
    if [n for n in absent if n in subjects]:
        missing.append("nothing found names " + " or ".join(absent))
    elif subjects and not any(
        named_in(frame, n, context.lower()) for n in subjects
    ):  # "Who succeeded Hari Kostov?" answered from an article that never names him
        missing.append("the article that answers does not name " + " or ".join(subjects))
    if frame.factoid and span is None:
        missing.append(f"no {frame.kind} of the kind asked for in the sentences found")
    if expected:
        missing.append("the articles found only expect it to happen")
    if frame.kind is None and lead.features.get("lexical", 0.0) < KEYWORD_COVERAGE:
        # Not a question ("<script>alert(1)</script>", a pasted page): a sentence must hold most of its words
        missing.append("no sentence holds most of its words")
    if len(frame.question.split()) > MAX_QUESTION_WORDS:
        missing.append(f"it is {len(frame.question.split())} words long, not one question")
    if frame.kind == QUOTE and not any(says(frame, s.sentence.text) for s in support):
        missing.append(f"no statement by {frame.speaker or 'them'} in the articles found")
    return missing


_CONTINUED_QUOTE = re.compile(r"^[“\"]|[,”\"]\s*(he|she|they|it)\s+(said|says|added|told)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
KEYWORD_COVERAGE = 2 / 3  # a search with no question word needs this share of its words in the sentence
MAX_QUESTION_WORDS = 80  # longer input is a pasted text, not a question
SECOND_SENTENCE_SHARE = 0.8  # a second sentence is quoted when it scores this close to the lead


def _closeness(question: str, sentence: str, headline: str) -> dict[str, float]:
    """How alike the question reads to the answering sentence and to its article's headline."""
    from rag.embed import embed_memoised

    asked, said, titled = embed_memoised([question, sentence, headline or question])
    return {"similarity": float(asked @ said), "headline": float(asked @ titled) if headline else 0.0}


def _lemmas(texts: Sequence[str]) -> list[str]:
    from rag.nlp import parse_many

    return [t.lemma_ for doc in parse_many(list(texts)) for t in doc]


def _support(
    frame: Frame, lead: ScoredSentence, scored: Sequence[ScoredSentence], evidence: Sequence[Evidence]
) -> tuple[ScoredSentence, ...]:
    """The lead sentence, and one more when it adds what the lead lacks (the named things) or scores close."""
    chosen = [lead]
    if frame.kind == QUOTE:  # the quote that follows "Wang stressed …": '"…," he said.'
        following = [
            s
            for s in scored
            if s.sentence.evidence_index == lead.sentence.evidence_index
            and 0 <= s.sentence.start - lead.sentence.end <= 2
            and _CONTINUED_QUOTE.search(s.sentence.text)
        ]
        return (lead, *following[:1])
    lead_article = evidence[lead.sentence.evidence_index].article_id
    if frame.kind in STRONG_CUE:  # another reason (or way) from the same article, not the restated event
        others = [
            s
            for s in scored
            if s is not lead
            and evidence[s.sentence.evidence_index].article_id == lead_article
            and _another_reason(frame, s, evidence, floor=0.5 * lead.score)
            and _overlap(s, lead) < 0.6
        ]
        return (lead, *others[:1])
    lead_names = name_coverage(frame, lead.sentence.text)
    for other in scored[:8]:
        if other is lead or len(chosen) >= 2:
            continue
        same_article = evidence[other.sentence.evidence_index].article_id == lead_article
        adds_names = same_article and name_coverage(frame, other.sentence.text) > lead_names
        close = other.score >= SECOND_SENTENCE_SHARE * lead.score and _overlap(other, lead) < 0.6
        if adds_names or close:
            chosen.append(other)
    return tuple(chosen)


_TIME_CUES = frozenset({"following", "over", "amid"})  # a time when followed by one
_A_TIME = re.compile(
    rf"\s+(?:the\s+)?(?:{TIME_LEADS}|\d+|an?\s+(?:hour|day|week|month|year)|"
    rf"(?:mon|tues|wednes|thurs|fri|satur|sun)day|{TIME_UNITS})\b",
    re.I,
)


def _another_reason(frame: Frame, item: ScoredSentence, evidence: Sequence[Evidence], floor: float = 0.0) -> bool:
    """Does the sentence give a reason (or a way) of its own, outside its quotations: an outright cue,
    or, reading at least ``floor`` well, a reason cue that is more than a time word? (A "by" alone is
    no way: "shares rose by 3 percent".)"""
    text = _unquoted(item, evidence)
    if STRONG_CUE[frame.kind].search(text):
        return True
    if frame.kind != REASON or item.score < floor:
        return False
    return any(not _says_when(cue) for cue in reason_cues(frame, text))


def _says_when(cue: re.Match[str]) -> bool:
    """Is the cue a time word: "after", "since", or "over"/"amid"/"following" a time ("over the past
    two months"), not a cause ("recalled over fire risks")?"""
    word = cue.group(0).lower()
    return word in ("after", "since") or (word in _TIME_CUES and bool(_A_TIME.match(cue.string, cue.end())))


def _overlap(a: ScoredSentence, b: ScoredSentence) -> float:
    first, second = set(content_terms(a.sentence.text)), set(content_terms(b.sentence.text))
    return len(first & second) / max(1, min(len(first), len(second)))
