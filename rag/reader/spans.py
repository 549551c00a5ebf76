"""Short-answer candidates: entities and phrases of the asked-for kind in the best sentences (parsed
with spaCy), scored on their sentence, their kind, their part in the question's event, their
closeness to the question's words, and how often the evidence repeats them."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from rag.cite import STOPWORDS, stem, words
from rag.question import (
    DATE,
    EVENT,
    MANNER,
    MONEY,
    NUMBER,
    ORGANIZATION,
    PERCENT,
    PERSON,
    PLACE,
    QUOTE,
    REASON,
    THING,
    WORK,
    Frame,
    wh_phrase,
)
from rag.quote import WEEKDAYS
from rag.reader.sentences import TIME_LEADS, TIME_UNITS, ScoredSentence, is_demonym, is_event
from rag.reader.superlatives import repeats_superlative, superlative_subjects
from rag.reader.weights import Weights
from rag.types import Evidence

PARSED_SENTENCES = 10  # sentences parsed for spans: the parse is the costly step (~3 ms a sentence)


@dataclass(frozen=True)
class Span:
    """A short answer: ``text`` is the article text from ``start`` to ``end`` (absolute offsets)."""

    text: str
    start: int
    end: int
    sentence: ScoredSentence
    score: float
    features: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


_SECONDARY: dict[str, frozenset[str]] = {
    PERSON: frozenset({"ORG"}),
    ORGANIZATION: frozenset({"PERSON", "PRODUCT", "GPE", "FAC"}),
    PLACE: frozenset({"ORG", "NORP"}),
    WORK: frozenset({"PRODUCT", "ORG", "PERSON", "EVENT"}),
    NUMBER: frozenset({"DATE", "TIME"}),
    MONEY: frozenset({"CARDINAL"}),
    PERCENT: frozenset({"CARDINAL"}),
    DATE: frozenset({"CARDINAL", "QUANTITY"}),  # "how long a suspension?" "30 games"
    EVENT: frozenset({"ORG", "FAC", "WORK_OF_ART", "PRODUCT", "GPE"}),  # "Macworld Conference" is often an ORG
    THING: frozenset({"PERSON", "GPE", "LOC"}),
}
_QUOTED = re.compile(r"[“\"]([^”\"]{2,80})[”\"]")
# "What was the plan called?", "What is the name of the plan?": the words after "called" name it
_ASKS_A_NAME = re.compile(
    r"\bwhat\s+(?:is|was|are|were)\s+the\s+name\s+of\b|\b(?:called|named|dubbed|known\s+as)\s*\?\s*$", re.I
)
# A name after "called": a quoted one whole ("called 'Way Forward'"), else capitalised words joined by
# "of"/"the" ("called Artemis 1", "called BA.5", "called Bank of America"), not by "and" (a new clause)
_CALLED = re.compile(
    r"\b(?:called|named|dubbed|known as|nicknamed|titled|branded)\s+(?:the\s+)?"
    r"(?:[“‘\"']([^”’\"']{2,60})[”’\"']|([A-Z0-9][\w&-]*(?:\.\w+)*(?:\s+(?:of\s+|the\s+)?[A-Z0-9][\w&-]*(?:\.\w+)*){0,4}))"
)
_TIME_PHRASE = re.compile(rf"^(?:the\s+)?(?:{TIME_LEADS}|nearly|almost|about|\d+)\b|\b(?:{TIME_UNITS})$", re.I)
_REASON_PHRASE = re.compile(
    r"\b(?:because of|due to|owing to|as a result of|over|amid|following|citing)\s+"  # "after three years" is when
    r"((?:[\w’'\-]+\s+){0,5}?[\w’'\-]+?)(?=[,.;:]|\s+(?:and|that|which|who|in|on|at|from|after|as|with|when)\b|$)",
    re.I,
)


@dataclass(frozen=True)
class _Candidate:
    text: str
    start: int  # offsets into the sentence
    end: int
    kind_fit: float  # 1: of the asked-for kind; 0.5: a near kind
    # of the very shape the question asks for: two names joined ("Sweden and Finland") for "which two
    # countries", the words after "called" ("called Power8") for "what was the plan called?"
    shaped: bool = False
    vague: bool = False  # a count without a number ("millions")
    # the subject of the question's superlative ("California has the most cases"): the share of the
    # question's qualifying words the sentence repeats (0: not such a subject)
    superlative: float = 0.0


def span_key(text: str) -> str:
    """A span's comparison key: lower case, articles, possessives and punctuation removed."""
    text = re.sub(r"['’]s\b", "", text.lower())
    kept = [w for w in re.findall(r"[a-z0-9.%$]+", text) if w not in ("the", "a", "an")]
    return " ".join(kept).strip(".")


CONTINENTS = frozenset(
    {"africa", "antarctica", "asia", "australia", "europe", "north america", "south america", "oceania", "americas"}
)


# Countries as news names them, beside the ISO names ("Russian Federation", "Türkiye"): the UK's
# nations, short, everyday and former names.
_EVERYDAY_COUNTRIES = frozenset({
    "uk", "u.k", "britain", "great britain", "england", "scotland", "wales", "northern ireland", "us", "u.s",
    "usa", "u.s.a", "america", "russia", "soviet union", "iran", "syria", "holland", "turkey", "ivory coast",
    "cote d'ivoire", "kosovo", "uae", "dr congo", "drc", "cape verde", "macedonia", "vatican", "vatican city",
    "holy see", "swaziland", "burma", "east timor", "taiwan", "palestine", "brunei", "bosnia", "laos",
    "east germany", "west germany", "republic of ireland", "macau",
})  # fmt: skip


@cache
def place_names(kind: str) -> frozenset[str]:
    """Country or US-state names, lower case: pycountry's ISO lists (current and former countries,
    each also without its qualifier: "Korea, Republic of" → "korea", which names either Korea) and
    everyday names. A "country" in these lists may be a territory ("Saint Helena", "Antarctica")."""
    import pycountry

    if kind == "state":
        return frozenset(s.name.lower() for s in pycountry.subdivisions.get(country_code="US") if s.type == "State")
    names = set()
    for country in (*pycountry.countries, *pycountry.historic_countries):
        for attribute in ("name", "common_name", "official_name"):
            if value := getattr(country, attribute, None):
                names.update((value.lower(), value.lower().split(",")[0]))
    return frozenset(names | _EVERYDAY_COUNTRIES)


@cache
def place_keys(*kinds: str) -> frozenset[str]:
    """``place_names`` of the kinds as span keys ("U.S." and "the Netherlands" compare as spans do)."""
    return frozenset(span_key(name) for kind in kinds for name in place_names(kind))


@cache
def _gazetteer(focus: str) -> re.Pattern[str] | None:
    """Country (or US state) names as written with capitals, for "which country/state" questions."""
    kind = {"country": "country", "nation": "country", "state": "state"}.get(focus)
    if not kind:
        return None
    names = sorted((n for n in place_names(kind) if len(n) > 3), key=len, reverse=True)
    titled = (" ".join(w[:1].upper() + w[1:] for w in n.split()) for n in names)
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in titled) + r")\b")


def _inside_a_longer_name(doc: object, match: re.Match[str]) -> bool:
    """Is a country's name part of another name: "Scotland Yard", "New England Patriots", "the Korea
    Herald" (but "Sri Lanka's", read by the small model as a person, is still Sri Lanka)?"""
    return any(
        ent.start_char <= match.start() and match.end() <= ent.end_char and span_key(ent.text) != span_key(match[0])
        for ent in doc.ents  # type: ignore[attr-defined]
    )


# "Which town?", not "where?": RealTime QA's "where" answers are the state or the country ("Idaho"
# for Coeur d'Alene, Idaho); a town asked for is written with its region.
_TOWN_FOCUS = frozenset({"city", "town", "village"})
_LIST_GOES_ON = re.compile(r",? (?:and )?[A-Z]")
_REGION_AFTER = re.compile(r", ((?:[A-Z]\w*\s?){1,3})(?=[.;:)!?]|,? [a-z]|$)")


def _region_end(doc: object, start: int, end: int) -> int:
    """A town's end, extended over the US state or country written after it ("Everett, Washington"),
    unless the town is itself a region, a list's first item ("Bolivia, Brazil, Chile"), or the region
    starts the next clause ("After talks in Beijing, Russia agreed": the parse makes Russia the
    subject of "agreed", not a word about Beijing)."""
    text = doc.text  # type: ignore[attr-defined]
    match = _REGION_AFTER.match(text, end)
    regions = place_keys("country", "state")
    if not match or span_key(match.group(1)) not in regions or span_key(text[start:end]) in regions:
        return end
    if _LIST_GOES_ON.match(text, match.end(1)):
        return end
    words = [t for t in doc if match.start(1) <= t.idx < match.end(1)]  # type: ignore[attr-defined]
    heads = [t.head for t in words if not match.start(1) <= t.head.idx < match.end(1)]
    return match.end(1) if heads and all(start <= h.idx < end for h in heads) else end


def with_region(frame: Frame, span: Span) -> Span:
    """A town answering "which town?" as written with its region: "Everett, Washington", whether the
    span was the town or the region after it. Scoring is untouched: the words added are the same
    place's address."""
    if frame.kind != PLACE or frame.focus not in _TOWN_FOCUS:
        return span
    from rag.nlp import parse

    sentence = span.sentence.sentence
    doc = parse(sentence.text)  # memoised: the candidate sentences were parsed for the spans
    start, end = span.start - sentence.start, span.end - sentence.start
    town = re.search(r"(?<![\w’'])((?:[A-Z][\w.]*\s?){1,3}), $", sentence.text[:start])
    if town and _region_end(doc, town.start(1), town.end(1)) == end:  # "Everett, Washington"
        start = town.start(1)
    else:
        end = _region_end(doc, start, end)
    if (start, end) == (span.start - sentence.start, span.end - sentence.start):
        return span
    return replace(span, text=sentence.text[start:end], start=sentence.start + start, end=sentence.start + end)


# "Which official / head of state / member of the administration …?" asks for someone by office: the
# answer names the office too, as the sentence writes it ("UK Prime Minister Boris Johnson")
_OFFICE_FOCUS = frozenset({
    "official", "head", "leader", "member", "minister", "lawmaker", "senator", "governor", "politician",
    "president", "chancellor", "secretary", "representative", "congressman", "congresswoman", "mayor",
    "diplomat", "monarch", "premier",
})  # fmt: skip


_NOT_A_TITLE = frozenset({"former", "outgoing", "incoming", "late", "then", "new", "ex", "embattled", "current"})


def with_office(frame: Frame, span: Span) -> Span:
    """A person asked for by office, written with the title before the name ("President Joe Biden"):
    the words before it that the parse attaches to the name. Scoring is untouched."""
    if frame.kind != PERSON or frame.focus not in _OFFICE_FOCUS:
        return span
    from rag.nlp import parse

    sentence = span.sentence.sentence
    doc = parse(sentence.text)  # memoised: the candidate sentences were parsed for the spans
    start, end = span.start - sentence.start, span.end - sentence.start
    inside = [t for t in doc if start <= t.idx < end]  # type: ignore[attr-defined]
    if not inside:
        return span
    first, held = inside[0].i, {t.i for t in inside}
    while first > 0 and (before := doc[first - 1]).dep_ in ("compound", "amod", "nmod") and before.head.i in held:  # type: ignore[index]
        if before.pos_ not in ("PROPN", "NOUN", "ADJ") or not before.text[:1].isupper():
            break  # a title is capitalised ("Prime Minister", "Rep."); "the" or "former" is not
        first -= 1
        held.add(first)
    while first < inside[0].i and doc[first].lower_ in _NOT_A_TITLE:  # type: ignore[index]
        first += 1  # "Former President Donald Trump" (at a sentence's start): the title is "President"
    if first == inside[0].i:
        return span
    start = doc[first].idx  # type: ignore[index]
    return replace(span, text=sentence.text[start:end], start=sentence.start + start)


def _place_fit(frame: Frame, text: str, fit: float) -> float | None:
    """For "which country/continent": 1 for a name of that kind (whatever the small model's label),
    else 0: no other thing answers ("Trump" for "what country elected …", "European" for "which
    continent"); for "which state" (a US state, or another country's) at most 0.5; for "which city",
    a country or state fits less than the label says."""
    focus = frame.focus
    key = span_key(text)
    if focus in ("country", "nation"):
        return 1.0 if key in place_keys("country") else 0.0
    if focus == "state":
        return 1.0 if key in place_keys("state") else min(fit, 0.5)
    if focus == "continent":
        return 1.0 if key in CONTINENTS else 0.0
    if focus in ("city", "town", "capital"):  # "from which city": Toulouse, not France, nor the Journal
        return 0.3 if key in place_keys("country", "state") | CONTINENTS else fit
    return None


@lru_cache(maxsize=256)
def _question_words(frame: Frame) -> tuple[frozenset[str], frozenset[str]]:
    """The words of the question's named things (and the word part of a hyphenated one: "Covid" of
    "Covid-19"), and its stemmed content words but the asked-for kind's own noun (no sign of
    repeating the question: "Kansas City" for "which city")."""
    named = frozenset(w.lower() for n in frame.names for w in words(n))
    named |= {part for w in named if len(parts := _word_parts(w)) == 1 for part in parts}
    return named, frozenset(frame.terms) - _focus_stems(frame.focus)


def _word_parts(word: str) -> list[str]:
    """The word parts of a hyphenated name with one: "Covid" of "Covid-19" (but "Newton-John" and
    "Guinea-Bissau" join two names, each of which alone names someone or somewhere else)."""
    return [part for part in word.split("-") if part.isalpha() and len(part) > 2] if "-" in word else []


@cache
def _focus_stems(focus: str | None) -> frozenset[str]:
    """The focus noun's stems, singular and plural: the light stemmer cuts "features" to "featur"."""
    return frozenset(stem(form) for w in words(focus or "") for form in (w, f"{w}s"))


def _asked(frame: Frame, text: str) -> bool:
    """Is the span (mostly) something the question already names? The asked-for kind's own noun
    counts only when the span has nothing else: "Kansas City" answers "which city", "condiment"
    does not answer "which condiment"."""
    span_words = [w for w in words(text) if w not in STOPWORDS]
    if not span_words:
        return True
    initials = {"".join(w[0] for w in n.split() if w[:1].isupper()).lower() for n in frame.names}
    if text.replace(".", "").lower() in initials - {""}:  # "GM" for "General Motors"
        return True
    named, terms = _question_words(frame)
    places = frame.kind == PLACE  # "Chinese" names China; "Maria" does not name Marie
    inside = [w in named or stem(w) in terms or (places and _demonym_of(w, named)) for w in span_words]
    focus = _focus_stems(frame.focus)
    if all(found or stem(w) in focus for w, found in zip(span_words, inside, strict=True)):
        return True
    # the words naming the kind are no sign either way: "Columbia University" for "which Ivy League
    # university", "Yosemite National Park" for "which national park"
    kind_words = _kind_phrase(frame)
    own = [found for w, found in zip(span_words, inside, strict=True) if stem(w) not in kind_words]
    return not own or sum(own) / len(own) >= 0.5


@lru_cache(maxsize=256)
def _kind_phrase(frame: Frame) -> frozenset[str]:
    """The stems of the question's words from its "which"/"what" to its focus noun ("national park")."""
    if not frame.focus:
        return frozenset()
    match = re.search(
        rf"\b(?:which|what)\s+((?:[\w'’-]+\s+){{0,3}}?){re.escape(frame.focus[:4])}", frame.question, re.I
    )
    return _focus_stems(frame.focus) | (frozenset(stem(w) for w in words(match.group(1))) if match else frozenset())


def _demonym_of(word: str, named: frozenset[str]) -> bool:
    """Does the question name the place by its people's word ("Chinese" for China, "Ukrainian" for
    Ukraine, "Swedish" for Sweden; not "Austin" for Australia, "Indiana" for India)?"""
    return any(is_demonym(n, word) for n in named)


def _candidates(frame: Frame, doc: object) -> list[_Candidate]:
    """Entities and phrases of the asked-for kind in one parsed sentence."""
    kind = frame.kind or THING
    primary = frame.labels
    secondary = _SECONDARY.get(kind, frozenset())
    text = doc.text  # type: ignore[attr-defined]
    out: list[_Candidate] = []
    ents = [e for e in doc.ents if e.label_ in primary or e.label_ in secondary]  # type: ignore[attr-defined]
    for ent in ents:
        fit = 1.0 if ent.label_ in primary else 0.5
        start = _with_currency(text, ent.start_char) if ent.label_ in ("MONEY", "CARDINAL") else ent.start_char
        end = ent.end_char
        if kind in _NAMED_KINDS:
            start, end, person = _proper_name(doc, ent)
            # before a title and a person's name: "Columbia University Provost Mary Boyce" names the
            # university; "US House Speaker Nancy Pelosi" qualifies the question's own subject (its
            # title is the question's words), "French President Emmanuel Macron" a person, not a place
            if person is not None and (fit < 1.0 or _asked(frame, text[end:person])):
                continue
        if kind == PLACE and not frame.focus and (bearing := _BEARING.search(text[:start])):
            start = bearing.start()  # "where?" "southwest of Okinawa" (but "which city?" "Lviv")
        if kind == THING and ent.label_ == "NORP":
            end = _modified_noun_end(ent)  # "British" names no thing; "British pound" does
        found = text[start:end]  # "$8.9bn", not "8.9bn"
        if kind == PLACE and (place := _place_fit(frame, found, fit)) is not None:
            fit = place
            if not fit:
                continue
        if (shape := UNIT_SHAPE.get(kind)) and not shape.search(text[start : ent.end_char + 12]):
            continue  # a share without "%" or "percent", an amount without a currency: not of the kind
        if kind == NUMBER and ent.label_ in _NO_AGE and _HOW_OLD.search(frame.question):
            continue  # "how old is he?": an age counts years, it is no speed, size, sum or share ("186 mph")
        if kind == DATE and _BARE_UNIT.fullmatch(found) and not _HOW_LONG.search(frame.question):
            continue  # "in a decade" is a length of time: no answer to "when?" (but to "how long?")
        if kind == NUMBER and not _COUNT.search(found):
            continue  # "Friday" is no answer to "how many months"
        if kind == NUMBER and ent.label_ in ("DATE", "TIME") and _CALENDAR.search(found):
            continue  # "October 25" is a day, not a count ("how many passengers"); "25 days" may be one
        if kind == NUMBER and frame.focus and _counts_another(frame, doc, start, end):
            continue  # "Thailand's three southern provinces" is no answer to "how many cranes … over its provinces"
        vague = kind == NUMBER and not _EXACT_COUNT.search(found)  # "millions", "dozens": not the number asked for
        if vague:
            fit = min(fit, 0.5)
        # a share or an amount, by its label and as written ("more than 21 million iPod players" has no
        # currency, whatever the small model's MONEY label says)
        unit = UNIT_SHAPE.get(ent.label_.lower())
        if unit and not unit.search(text[start : ent.end_char + 12]):
            unit = None
        if unit and _HOW_MANY.search(frame.question) and not unit.search(frame.focus):
            continue  # "78 percent" is no answer to "how many iPods", nor "$5" or "9%" to "how many points"
        if ent.label_ == "CARDINAL" and _after_a_name(text[max(0, start - 20) : start]):
            continue  # the "4" of "iPhone 4", the "787" of "Boeing 787": part of a name, not a count
        out.append(_Candidate(found, start, end, fit, vague=vague))
    if kind in (PERSON, ORGANIZATION) and frame.focus:  # of the kind by the sentence's word, whatever its label
        called = {(n.start_char, n.end_char) for n in _called_the_focus(frame, doc)}
        out = [replace(c, kind_fit=1.0) if (c.start, c.end) in called else c for c in out]
        _add_new(out, text, called)
    if kind == PLACE:  # "lifting off from Toulouse in France": a place by its address, whatever its label
        _add_new(out, text, _addressed_places(doc))
    if kind == PLACE and (gazetteer := _gazetteer(frame.focus)):  # the small model reads "Sri Lanka's" as a person
        found_places = (m.span() for m in gazetteer.finditer(text) if not _inside_a_longer_name(doc, m))
        _add_new(out, text, found_places)
    if frame.plural:  # "Which two countries …": "Sweden and Finland"
        for first, second in itertools.pairwise(ents):
            between = text[first.end_char : second.start_char]
            if between.strip() not in ("and", "&", ",", ", and") or first.label_ != second.label_:
                continue
            if kind == PLACE and 0.0 in (_place_fit(frame, first.text, 1.0), _place_fit(frame, second.text, 1.0)):
                continue  # "Democrats and Republicans" are no two countries
            joined = text[first.start_char : second.end_char]
            out.append(_Candidate(joined, first.start_char, second.end_char, 1.0, shaped=True))
    if kind == THING and _asks_a_name(frame.question):
        for match in _CALLED.finditer(text):  # "a restructuring program at Airbus, called Power8"
            group = 1 if match.group(1) else 2
            start, end = match.span(group)
            if _names_the_asked_thing(frame, doc, match.start(), start, end):
                out.append(_Candidate(match.group(group), start, end, 1.0, shaped=True))
    if kind in (WORK, THING):
        for match in _QUOTED.finditer(text):
            out.append(_Candidate(match.group(1), match.start(1), match.end(1), 1.0 if kind == WORK else 0.8))
    if kind == THING:
        for chunk in doc.noun_chunks:  # type: ignore[attr-defined]
            if chunk.root.pos_ in ("PRON", "NUM") or chunk.root.lemma_.lower() in STOPWORDS:
                continue
            if chunk.root.ent_type_ in _NOT_THINGS:
                continue  # "Tuesday", "$5", "60%": a date or a quantity is not the thing asked for
            body = chunk
            while len(body) > 1 and body[0].pos_ in ("DET", "PRON"):
                body = body[1:]
            out.append(_Candidate(body.text, body.start_char, body.end_char, 0.6))
            if whole := _with_complement(doc, body):  # "fears of a recession", "a ban on assault weapons"
                out.append(_Candidate(whole.text, whole.start_char, whole.end_char, 0.6))
    if kind == REASON:
        for match in _REASON_PHRASE.finditer(text):
            if not _TIME_PHRASE.search(match.group(1)):  # "over the past two months" says when
                out.append(_Candidate(match.group(1), match.start(1), match.end(1), 1.0))
    if kind == THING and frame.role == "patient":  # "What did Motegi plan to raise?": what "raise" acts on
        for token in doc:  # type: ignore[attr-defined]
            if token.pos_ == "VERB" and is_event(frame, token.lemma_):
                for child in token.children:
                    if child.dep_ in ("dobj", "attr") and child.pos_ not in ("PRON",):
                        span = doc[child.left_edge.i : child.right_edge.i + 1]  # type: ignore[index]
                        if 0 < len(span) <= 15:
                            out.append(_Candidate(span.text, span.start_char, span.end_char, 0.8))
    # "“Succession” earned the most nominations of any show": the subject of the question's own
    # superlative answers "which show received the most nominations?", whatever else is named; it is of
    # the asked-for kind when the clause says so ("Pennsylvania … remains the seat most likely")
    for subject, of_the_kind, share in superlative_subjects(frame, doc) if frame.superlative else ():
        out = [
            replace(c, superlative=share, kind_fit=1.0 if of_the_kind else c.kind_fit)
            if c.start <= subject.idx < c.end
            else c
            for c in out
        ]
    trimmed = (_trim(frame, c) for c in out)
    return [c for c in trimmed if c.text.strip() and not _asked(frame, c.text)]


@lru_cache(maxsize=256)
def _asks_a_name(question: str) -> bool:
    return bool(_ASKS_A_NAME.search(question))


@lru_cache(maxsize=256)
def _named_noun(question: str) -> str:
    """The noun whose name the question asks, from its parse: "the name of the plan announced by
    Airbus" → plan, "What was Ford's plan called?" → plan; "" for "What is it called?"."""
    from rag.nlp import parse

    for token in parse(question):
        if token.lower_ == "name":
            for of in (c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"):
                return next((p.lemma_.lower() for p in of.children if p.dep_ == "pobj"), "")
        if token.lemma_ in ("call", "name", "dub", "know") and token.tag_ in ("VBN", "VBD"):
            if token.dep_ in ("acl", "relcl"):
                return token.head.lemma_.lower()
            subject = next((c for c in token.children if c.dep_ == "nsubjpass"), None)
            return subject.lemma_.lower() if subject is not None and subject.pos_ != "PRON" else ""
    return ""


def _names_the_asked_thing(frame: Frame, doc: object, cue_start: int, start: int, end: int) -> bool:
    """Is the name after "called" (at start:end) given to the thing asked about? Only when the parse
    makes it what "called" names ("a plan called Power8", "is called Power8", "known as BA.5"; not
    "Biden called Putin"), and not when the sentence gives it to another thing the question mentions
    ("an asteroid called Dimorphos" for "What was the name of the mission?"; a "restructuring
    program, called Power8" may name the question's "plan")."""
    cue = next((t for t in doc if t.idx == cue_start), None)  # type: ignore[attr-defined]
    if cue is None:
        return False
    named = [c for c in cue.children if c.dep_ == "oprd"]
    named += [p for c in cue.children if c.dep_ == "prep" and c.lower_ == "as" for p in c.children if p.dep_ == "pobj"]
    if not any(start <= t.idx < end for n in named for t in n.subtree):
        return False
    thing = cue.head if cue.dep_ in ("acl", "relcl", "appos", "advcl") else None
    if thing is None:
        thing = next((c for c in cue.children if c.dep_ == "nsubjpass"), None)
    if thing is None or thing.pos_ == "PRON":
        return True
    word, noun = stem(thing.lemma_.lower()), _named_noun(frame.question)
    return not noun or word in _focus_stems(noun) or word not in frame.terms


# "from Toulouse in France", "in Cawker City, Kansas": a name after a preposition of place, written with
# its country or US state
_ADDRESSED = re.compile(
    r"\b(?:in|at|from|near|to)\s+((?:[A-Z][\w'’.-]+\s){0,2}[A-Z][\w'’.-]+)(?:,\s+|\s+in\s+)((?:[A-Z][\w'’.-]+\s?){1,3})"
)


def _addressed_places(doc: object) -> list[tuple[int, int]]:
    """Places the small model may tag as people ("Toulouse"), found by the address that follows them; a
    name it tags as an organisation or a people ("Airbus in France", "Chinese in Peru") is not one."""
    text = doc.text  # type: ignore[attr-defined]
    regions = place_keys("country", "state")
    found = []
    for match in _ADDRESSED.finditer(text):
        start, end = match.span(1)
        if span_key(match.group(2)) not in regions or span_key(match.group(1)) in regions:
            continue
        labels = {t.ent_type_ for t in doc if start <= t.idx < end}  # type: ignore[attr-defined]
        if labels <= {"", "PERSON", "GPE", "LOC", "FAC"}:
            found.append((start, end))
    return found


def _add_new(out: list[_Candidate], text: str, spans: Iterable[tuple[int, int]]) -> None:
    """Add the spans (of the asked-for kind) that are not candidates already."""
    taken = {(c.start, c.end) for c in out}
    out += [_Candidate(text[start:end], start, end, 1.0) for start, end in spans if (start, end) not in taken]


def _called_the_focus(frame: Frame, doc: object) -> list[object]:
    """Names the sentence itself calls the asked-for noun, which the small model may not tag: "Serge
    Vohor, the Prime Minister of Vanuatu" and "Prime Minister Serge Vohor" for "which prime minister"."""
    focus = _focus_stems(frame.focus)
    names = []
    for token in doc:  # type: ignore[attr-defined]
        name = token.head
        if token.dep_ not in ("appos", "compound") or stem(token.lemma_.lower()) not in focus:
            continue
        if name.pos_ != "PROPN" or name.ent_type_ in frame.labels or (token.dep_ == "compound") != (token.i < name.i):
            continue
        first = name.i
        floor = token.i + 1 if token.dep_ == "compound" else 0  # the title itself ("Prime Minister") is no name
        while first > floor and doc[first - 1].pos_ == "PROPN" and doc[first - 1].dep_ == "compound":  # type: ignore[index]
            first -= 1
        if token.dep_ == "compound" and first != floor:
            continue  # the title is not right before the name: the parse joined two phrases
        names.append(doc[first : name.i + 1])  # type: ignore[index]
    return names


_APPROXIMATELY = re.compile(
    r"(?:an? |the )?(?:additional|another|further|more than|less than|fewer than|over|under|about|around|"
    r"roughly|nearly|almost|approximately|estimated|some|up to|at least|as many as|as much as)\s+",
    re.I,
)
# Lower-case words the small model takes into an amount ("a married couple $233,610"), before its figure
_WORDS_BEFORE_A_FIGURE = re.compile(r"^(?:[a-z][\w-]*\s+)+(?=(?:[A-Z]{1,3})?[$€£¥]|\d)")
_TRAILING = re.compile(r"(?:\s*['’]s|[\s.,;:!?]+)$")
_INITIALS = re.compile(r"\b(?:[A-Z]\.){2,}$")  # "U.S.", "D.C.": the last full stop is part of the name
# Words before a span that point at it rather than name it: "these 187", "only baby wipes", "no Bed
# Bath & Beyond" (lower case only: "No Time to Die" is a title).
_POINTING = re.compile(r"^(?:(?i:these|those|this|that|only|just|all|both|the|an?)|no|every|each)\s+(?=\S)")
_AGED = re.compile(r"^(\d[\d,.]*)-(?:years?|months?|weeks?|days?)-old$", re.I)  # "17-year-old" for "how old"


_COMPLEMENT_PREPOSITIONS = frozenset({"of", "on", "about", "over", "against", "for"})
MAX_COMPLEMENT_TOKENS = 12


def _with_complement(doc: object, chunk: object) -> object | None:
    """A noun phrase with the prepositional phrase that completes it ("fears" → "fears of a recession
    in the United States"), when there is one and it stays short."""
    root = chunk.root  # type: ignore[attr-defined]
    preps = [c for c in root.rights if c.dep_ == "prep" and c.lower_ in _COMPLEMENT_PREPOSITIONS]
    if not preps or preps[0].i != chunk.end:  # type: ignore[attr-defined]
        return None
    end = preps[0].right_edge.i + 1
    if end - chunk.start > MAX_COMPLEMENT_TOKENS:  # type: ignore[attr-defined]
        return None
    return doc[chunk.start : end]  # type: ignore[attr-defined,index]


_HOW_MANY = re.compile(r"\bhow\s+many\b", re.I)
_HOW_OLD = re.compile(r"\bhow\s+old\b", re.I)
_HOW_LONG = re.compile(r"\bhow\s+(?:long|often)\b", re.I)
_NO_AGE = frozenset({"QUANTITY", "MONEY", "PERCENT"})
_NOT_THINGS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"})


def _modified_noun_end(ent: object) -> int:
    """Where the noun a nationality adjective modifies ends ("British" → "British pound"), else the
    entity's own end."""
    root = ent.root  # type: ignore[attr-defined]
    head = root.head
    if root.dep_ in ("amod", "compound") and head.pos_ in ("NOUN", "PROPN") and head.i > root.i:
        return head.idx + len(head.text)
    return ent.end_char  # type: ignore[attr-defined]


def _trim(frame: Frame, candidate: _Candidate) -> _Candidate:
    """The span without what is not the answer: a possessive ("Sri Lanka's"), end punctuation, and
    for "how many years" the unit the question already gave ("12 years" → "12")."""
    text, start = candidate.text, candidate.start
    while (match := _TRAILING.search(text)) and match.start() > 0 and not _INITIALS.search(text):
        text = text[: match.start()]
    while pointing := _POINTING.match(text):
        text, start = text[pointing.end() :], start + pointing.end()
    if frame.kind == NUMBER and (aged := _AGED.match(text)):
        text = aged.group(1)
    if frame.kind in (NUMBER, MONEY, PERCENT) and (lead := _APPROXIMATELY.match(text)) and lead.end() < len(text):
        text, start = text[lead.end() :], start + lead.end()  # "an additional US$5 billion" → "US$5 billion"
    if frame.kind in (NUMBER, MONEY, PERCENT) and (words_before := _WORDS_BEFORE_A_FIGURE.match(text)):
        text, start = text[words_before.end() :], start + words_before.end()  # "couple $233,610" → "$233,610"
    if frame.kind == NUMBER and frame.focus and re.search(r"\d", text):
        unit = re.search(rf"\s+{re.escape(frame.focus)}s?$", text, re.I)
        text = text[: unit.start()] if unit and unit.start() > 0 else text
    if text == candidate.text:
        return candidate
    return replace(candidate, text=text, start=start, end=start + len(text))


_NAMED_KINDS = frozenset({ORGANIZATION, PLACE, WORK, EVENT})


def _proper_name(doc: object, ent: object) -> tuple[int, int, int | None]:
    """The whole proper name an entity is part of (the small model often tags "Cleveland" of
    "Cleveland Browns" alone), and where a person's name starts when the run of proper nouns after it
    reaches one ("Columbia University Provost Mary Boyce")."""
    first, last = ent.start, ent.end - 1  # type: ignore[attr-defined]
    while first > 0 and doc[first - 1].pos_ == "PROPN" and doc[first - 1].ent_iob_ != "O":  # type: ignore[index]
        first -= 1
    run = last
    while run + 1 < len(doc) and doc[run + 1].pos_ == "PROPN":  # type: ignore[arg-type, index]
        run += 1
    # a run reaching a person's name is a title before the name: "Columbia University Provost Mary Boyce"
    person = next((i for i in range(last + 1, run + 1) if doc[i].ent_type_ == "PERSON"), None)  # type: ignore[index]
    if person is None:
        last = run
    return doc[first].idx, doc[last].idx + len(doc[last]), None if person is None else doc[person].idx  # type: ignore[index]


def _role_fit(frame: Frame, doc: object, candidate: _Candidate) -> float:
    """1 when the span plays the asked-for part in the question's event ("Who succeeded Jobs?" → the
    doer of "succeed"), 0 when it plays the other part ("She replaces Akerson": Akerson is replaced),
    0.5 when the sentence does not tell. For a person asked for by office, the office the sentence
    gives them decides instead, unless they play the other part (``_office_fit``)."""
    span = doc.char_span(candidate.start, candidate.end, alignment_mode="expand")  # type: ignore[attr-defined]
    if span is None:
        return 0.5
    token = span.root
    while token.dep_ in ("compound", "flat", "appos", "amod", "nmod", "conj") and token.head is not token:
        token = token.head
    part = _event_part(frame, token)
    office = _office_fit(frame, doc, token) if part != 0.0 else None
    return part if office is None else office


def _event_part(frame: Frame, token: object) -> float:
    """The part the name whose head word is ``token`` plays in the question's event: 1 the asked-for
    one, 0 the other, 0.5 untold."""
    if not frame.role or not frame.events:
        return 0.5
    verb, role = token.head, ""  # type: ignore[attr-defined]
    if token.dep_ == "nsubj":
        role = "agent"
    elif token.dep_ in ("dobj", "nsubjpass", "attr", "oprd"):
        role = "patient"
    elif token.dep_ == "pobj" and token.head.lower_ == "by" and token.head.dep_ == "agent":
        role, verb = "agent", token.head.head
    elif token.dep_ == "pobj" and token.head.lower_ == "to" and token.head.dep_ in ("dative", "prep"):
        role, verb = "recipient", token.head.head  # "selling it to … Cerberus Capital Management"
    if not role or not is_event(frame, verb.lemma_):
        return 0.5
    return 1.0 if role == frame.role else 0.0


# Verbs that give their object an office ("GM named Barra as chief executive"): the "as" is the
# object's; with any other verb ("Solso will replace Akerson as chairman") it is the subject's
_NAMING_VERBS = frozenset(
    [
        "name",
        "appoint",
        "elect",
        "hire",
        "choose",
        "pick",
        "select",
        "promote",
        "tap",
        "install",
        "make",
        "nominate",
        "confirm",
        "designate",
    ]
)
# Leaving an office is not taking it ("Kalanick resigned as chief executive"); "step" only with down
# or aside ("stepped in as chief executive" takes it)
_LEAVING_VERBS = frozenset(["resign", "quit", "retire", "leave", "step", "depart", "exit", "oust", "fire", "remove"])


def _leaves(verb: object) -> bool:
    """Does the verb leave an office ("resigned", "stepped down"), not take one ("stepped in")?"""
    lemma = verb.lemma_.lower()  # type: ignore[attr-defined]
    if lemma == "step":
        return any(c.dep_ == "prt" and c.lower_ in ("down", "aside") for c in verb.children)  # type: ignore[attr-defined]
    return lemma in _LEAVING_VERBS


def _offices_given(token: object) -> list[str]:
    """The phrases a clause makes the name whose head word is ``token``: "X will be/become the …",
    "X replaced Y as …", "named X (as) …" (or, with a leaving verb, the office X left)."""
    verb = token.head  # type: ignore[attr-defined]
    children = list(verb.children)
    naming = verb.lemma_.lower() in _NAMING_VERBS
    given = list(token.children)  # type: ignore[attr-defined]
    if token.dep_ in ("nsubj", "nsubjpass"):  # type: ignore[attr-defined]
        given += [c for c in children if c.dep_ in ("attr", "oprd")]
        if not naming or not any(c.dep_ in ("dobj", "oprd") for c in children):
            given += [c for c in children if c.dep_ == "prep" and c.lower_ == "as"]
    elif token.dep_ in ("dobj", "oprd") and naming:  # type: ignore[attr-defined]
        given += [c for c in children if c.dep_ == "oprd" or (c.dep_ == "prep" and c.lower_ == "as")]
    phrases = [c for c in given if c.dep_ in ("attr", "oprd") or (c.dep_ == "prep" and c.lower_ == "as")]
    return [c.doc[c.left_edge.i : c.right_edge.i + 1].text for c in phrases]


# Offices a question may ask a person for, as sentences write them ("CEO", "chairwoman")
_OFFICES = {
    "chief executive": r"chief executive(?: officer)?|ceo",
    "chairman": r"chair(?:man|woman|person)?",
    "president": r"president",
    "vice president": r"vice[ -]president",
    "chief financial officer": r"chief financial officer|cfo|finance chief",
    "chief operating officer": r"chief operating officer|coo",
    "director": r"(?<!managing )(?<!film )(?<!art )(?<!creative )director",
    "managing director": r"managing director",
    "prime minister": r"prime minister|premier(?!\s+league)",
    "chancellor": r"chancellor",
    "governor": r"(?<!lieutenant )governor",
    "mayor": r"mayor",
    "speaker": r"(?<!keynote )speaker",
    "head coach": r"(?:head )?coach",
    "manager": r"(?<!general )(?<!campaign )manager",
    "captain": r"captain",
    "editor": r"editor",
}
_OFFICE = re.compile(r"\b(?:" + "|".join(f"(?P<o{n}>{w})" for n, w in enumerate(_OFFICES.values())) + r")\b", re.I)
_OFFICE_NAMES = tuple(_OFFICES)
# "… replaced Akerson as GM chief executive", "… set to chair Sears Holdings": the office the event is about
_AS_OFFICE = re.compile(
    r"\bas\s+(?:(?:the|its|their|his|her|a|an|new|next|interim|acting)\s+|[A-Z][\w.&'’-]*\s+|\w+['’]s\s+){0,3}$"
)
# "Who was set to chair Sears?", "Who chairs the Fed?": the question's own verb, not a relative clause's
# ("Who criticised the man who chairs the Fed?") nor a title ("Fed chair Jerome Powell")
_CHAIR_VERB = re.compile(
    r"^(?i:who|which\s+\w+)\s+(?:(?:will|would|is|was|were|set|to|going|expected|due|now)\s+){0,4}"
    r"(?:chairs?|chaired)\s+(?:the\s+)?[A-Z]"
)


# A qualified office is another office: "deputy chairman", "assistant head coach", "co-CEO", "ex-CEO"
_QUALIFIED = re.compile(r"\b(?:deputy|vice|assistant|associate|co|ex)[ -]$", re.I)


def offices_in(text: str) -> list[tuple[str, int, int]]:
    """The offices a text names, unqualified: (office, start, end)."""
    return [
        (_OFFICE_NAMES[int(m.lastgroup[1:])], m.start(), m.end())  # type: ignore[index]
        for m in _OFFICE.finditer(text)
        if not _QUALIFIED.search(text, 0, m.start())
    ]


@lru_cache(maxsize=256)
def asked_office(question: str) -> str:
    """The office a question asks a person for, when it names the event's office ("Who replaced
    Akerson as GM chief executive?" → "chief executive"); "" when none."""
    for office, start, _ in offices_in(question):
        if _AS_OFFICE.search(question[:start]):
            return office
    return "chairman" if _CHAIR_VERB.match(question) else ""


def _office_fit(frame: Frame, doc: object, token: object) -> float | None:
    """For a question asking a person for an office ("as GM chief executive"): 1 when the sentence
    gives the name that office ("named Mary Barra as its new chief executive", "Lampert will become the
    chairman"), 0 when another ("Lacy will be the new chief executive" for who chairs; "relinquish his
    chairman role, to be replaced by … Solso" for who replaced him as chief executive), None when it
    does not tell. The name's own title ("current director Theodore Solso") says what they were."""
    asked = asked_office(frame.question) if frame.kind == PERSON else ""
    if not asked:
        return None
    given = [office for phrase in _offices_given(token) for office, _, _ in offices_in(phrase)]
    if given and _leaves(token.head):  # type: ignore[attr-defined]
        # "Kalanick resigned as chief executive": the office he left, which is the asked one only for
        # a question about leaving it ("Who resigned as Uber's chief executive?")
        asks_leaving = any(event.split()[0] in _LEAVING_VERBS for event in frame.events)
        return None if asked not in given or asks_leaving else 0.0
    if given:
        return 1.0 if asked in given else 0.0
    own = range(token.left_edge.idx, token.right_edge.idx + len(token.right_edge))  # type: ignore[attr-defined]
    others = {
        office
        for office, start, _ in offices_in(doc.text)  # type: ignore[attr-defined]
        if start not in own and not _someone_elses(doc, start)
    }
    return 0.0 if others and asked not in others else None


_SAYING = frozenset(["say", "tell", "add", "announce", "state", "confirm", "report", "note"])


def _someone_elses(doc: object, start: int) -> bool:
    """Is the office written at ``start`` another person's title or description ("former chairman
    Arthur Levinson said", "Akerson, who was also chairman") or a speaker's ("Apple's chairman said")?
    Such an office says nothing about the office the event gave."""
    token = next((t for t in doc if t.idx <= start < t.idx + len(t)), None)  # type: ignore[attr-defined]
    if token is None:
        return False
    if token.dep_ == "nsubj" and token.head.lemma_ in _SAYING:
        return True
    return any(ancestor.ent_type_ == "PERSON" for ancestor in token.ancestors)


_SIGNS = "[$€£¥₹]"
_CURRENCIES = r"(?:dollars?|euros?|pounds?|yen|yuan|rupees?|francs?|kronor|krona|rubles?|roubles?|won|pesos?)"
# What an answer of the kind looks like, in the span or just after it ("88.93%", "$19 million", "6 percent").
UNIT_SHAPE = {
    PERCENT: re.compile(r"%|\bper ?cent|\bpercentage points?\b", re.I),
    MONEY: re.compile(rf"{_SIGNS}|\b{_CURRENCIES}\b", re.I),
}
# An amount or a share anywhere in a text: a number with its unit ("won" alone is a verb, "200
# pounds" of weight has no currency sign but passes: a rare false hit only skips reading on).
AMOUNT_SHAPE = {
    PERCENT: re.compile(r"\d\s?%|\d\s*per ?cent|\d\s*percentage points?", re.I),
    MONEY: re.compile(
        rf"{_SIGNS}\s?\d|\d[\d.,]*\s*(?:million|billion|trillion|bn|m)?\s+(?:[A-Z][a-z]+\s+)?{_CURRENCIES}\b", re.I
    ),
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?)\b"
)
# A unit of time alone ("a decade", "weeks"), a length; "the season" may name one (kept)
_BARE_UNIT = re.compile(
    r"(?:an? )?(?:years?|months?|weeks?|days?|hours?|decades?|quarters?|centur(?:y|ies)|seasons?|period|"
    r"while|time)",
    re.I,
)
_CALENDAR = re.compile(
    rf"\b{_MONTH}\.?\s+\d|\d\s+{_MONTH}|\b(?:{'|'.join(WEEKDAYS)})\b|^(?:19|20)\d\d$",
    re.I,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    "eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|half"
)
_EXACT_COUNT = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)  # a number
_COUNT = re.compile(rf"\d|\b(?:{_NUMBER_WORDS}|hundreds|thousands|millions|billions|dozens?|a few|several)\b", re.I)
_MODEL_NAME = re.compile(r"\b([A-Za-z][\w-]*)\s$")


def _after_a_name(before: str) -> bool:
    """Does a number follow a capitalised name word ("iPhone 4", "Boeing 787"), not a function word?"""
    match = _MODEL_NAME.search(before)
    return bool(match) and any(c.isupper() for c in match.group(1)) and match.group(1).lower() not in STOPWORDS


_BEARING = re.compile(r"(?<!the )\b(?:north|south|east|west)(?:-?(?:east|west))?\s+of\s+$", re.I)  # not "the north of"
_CURRENCY = re.compile(rf"(?:US|A|C|HK|NZ|S)?{_SIGNS}\s?$")


def _with_currency(text: str, start: int) -> int:
    """Where an amount starts once the currency sign before it is included ("US$" in "US$85 billion")."""
    match = _CURRENCY.search(text[max(0, start - 4) : start])
    return start - len(match.group(0)) if match else start


def _nearness(frame: Frame, doc: object, candidate: _Candidate) -> float:
    """1 when the span stands next to the question's words in its sentence, falling with distance."""
    named, terms = _question_words(frame)
    positions = [
        t.idx  # type: ignore[attr-defined]
        for t in doc  # type: ignore[attr-defined]
        if t.is_alpha and (t.lower_ in named or stem(t.lower_) in terms or stem(t.lemma_.lower()) in frame.events)
    ]
    if not positions:
        return 0.0
    gap = min(
        0 if candidate.start <= p <= candidate.end else min(abs(p - candidate.start), abs(p - candidate.end))
        for p in positions
    )
    return 1.0 / (1.0 + gap / 30.0)  # characters: ~5 words away scores 0.5


def _has_focus(frame: Frame, doc: object, candidate: _Candidate) -> float:
    """Whether the span goes with the asked-for noun. A number goes with the noun it counts: for "How
    many baby swings", "2 million MamaRoo swings", not "220,000 RockaRoo rockers" beside them."""
    if not frame.focus:
        return 0.0
    if frame.kind == NUMBER:
        counted = _counted_nouns(doc, candidate)
        if counted:
            return 1.0 if any(stem(noun) in _focus_stems(frame.focus) for noun in counted) else 0.0
    text = doc.text  # type: ignore[attr-defined]
    window = text[max(0, candidate.start - 40) : candidate.end + 40].lower()
    return 1.0 if re.search(rf"\b{re.escape(frame.focus[:5])}", window) else 0.0


def _counts_another(frame: Frame, doc: object, start: int, end: int) -> bool:
    """Does the number at start:end count a thing the question names as other than the asked-for one?
    Not when the asked-for noun labels it: "a magnitude 5.9 earthquake" measures, it counts no quake."""
    counted = _counted_nouns(doc, _Candidate("", start, end, 0.0))
    if not counted or any(stem(noun) in _focus_stems(frame.focus) for noun in counted):
        return False
    number = next(t for t in doc if start <= t.idx < end)  # type: ignore[attr-defined]
    labels = [t.lower_ for t in number.head.children if t.dep_ in ("nmod", "compound") and t.i < number.i]
    labels += [doc[number.i - 1].lower_] if number.i else []  # type: ignore[index]  # however it is parsed
    if any(stem(label) in _focus_stems(frame.focus) for label in labels):
        return False
    # the counted noun (as lemma and as written) is another of the question's words, not one of those
    # naming the asked-for thing ("How many migrant workers died?": "6,500 migrants" still count)
    return any(stem(noun) in frame.terms - _asked_thing_stems(frame) for noun in counted[:2])


@lru_cache(maxsize=256)
def _asked_thing_stems(frame: Frame) -> frozenset[str]:
    """The stems of the wh-phrase's words up to the asked-for noun ("migrant workers", "iPhone units")."""
    phrase = wh_phrase(frame.question)
    end = next((n for n, w in enumerate(phrase) if stem(w) in _focus_stems(frame.focus)), None)
    return frozenset(stem(w) for w in phrase[: end + 1]) if end is not None else frozenset()


def _counted_nouns(doc: object, candidate: _Candidate) -> list[str]:
    """The noun a number counts and the nouns compounded with it ("21 million iPod players" → player,
    players, ipod); none when it counts nothing."""
    inside = [t for t in doc if candidate.start <= t.idx < candidate.end]  # type: ignore[attr-defined]
    if not inside:
        return []
    last = inside[-1]
    head = last.head
    if last.dep_ not in ("nummod", "quantmod") or head.pos_ != "NOUN" or head.i < last.i:
        return []
    compounds = [t for t in head.children if t.dep_ == "compound" and t.i > last.i]
    # as lemma and as written: the question's own word may be an irregular plural ("women")
    return [w for t in (head, *compounds) for w in (t.lemma_.lower(), t.lower_)]


def find_spans(
    frame: Frame, scored: Sequence[ScoredSentence], evidence: Sequence[Evidence], weights: Weights
) -> list[Span]:
    """Candidate short answers from the best sentences, best first."""
    from rag.nlp import parse_many

    top = list(scored[:PARSED_SENTENCES])
    if not top or frame.kind in (QUOTE, MANNER, None) or frame.kind == "yesno":
        return []
    if frame.superlative:  # a sentence repeating the question's superlative is read, however it scored
        top += [s for s in scored[PARSED_SENTENCES:] if repeats_superlative(frame, s.sentence.text)][:3]
    docs = parse_many([s.sentence.text for s in top])
    best_sentence = max(s.score for s in top) or 1.0
    found: list[tuple[ScoredSentence, _Candidate, object]] = []
    for item, doc in zip(top, docs, strict=True):
        found.extend((item, c, doc) for c in _candidates(frame, doc))
    keys = [span_key(c.text) for _, c, _ in found]
    # when the evidence has a span of the asked-for shape, any other is at best half an answer ("which
    # two countries": one of them), or none ("what was the plan called?": a name not said to be one)
    shaped = any(c.shaped for _, c, _ in found)
    unshaped_fit = 0.0 if _asks_a_name(frame.question) else 0.5
    headlines = {i: f" {span_key(e.title)} " for i, e in enumerate(evidence)}
    type_fit = _type_fit(frame, {k: c.text for (_, c, _), k in zip(found, keys, strict=True) if k})
    rows = []
    other_counts: set[int] = set()  # numbers the parse says count another noun than the asked-for one
    for (item, candidate, doc), key in zip(found, keys, strict=True):
        if not key:
            continue
        repeats = {id(other) for (other, _, _), k in zip(found, keys, strict=True) if k == key or _contains(k, key)}
        features = {
            "sentence": item.score / best_sentence,
            "kind": candidate.kind_fit if candidate.shaped or not shaped else min(candidate.kind_fit, unshaped_fit),
            "votes": min(1.0, (len(repeats) - 1) / 2.0),
            "near": _nearness(frame, doc, candidate),
            "focus": _has_focus(frame, doc, candidate),
            "role": _role_fit(frame, doc, candidate),
            # in its own article's headline: a word of another story's headline is a bystander's
            "title": 1.0 if f" {key} " in headlines[item.sentence.evidence_index] else 0.0,
            "type": type_fit.get(key, 0.0),
        }
        rows.append((item, candidate, features))
        if frame.kind == NUMBER and not features["focus"] and _counted_nouns(doc, candidate):
            other_counts.add(id(candidate))
    # "Millions of baby swings" is no answer to "how many baby swings" when the evidence counts them
    # exactly ("2 million MamaRoo swings"): a vague count of the asked-for thing loses its kind then, and
    # so does a count of another thing ("banned at least 2,500 times" when "1,586 book titles" were)
    if any(not c.vague and f["kind"] == 1.0 and f["focus"] == 1.0 for _, c, f in rows):
        for _, candidate, features in rows:
            if (candidate.vague and features["focus"] == 1.0) or id(candidate) in other_counts:
                features["kind"] = 0.0
    # "“Succession” earned the most nominations": the subject of the question's superlative, when of the
    # asked-for kind, is the answer; any other span loses its kind ("Ted Lasso", named more often, was
    # not said to have them), as does one said to have a looser superlative ("the most medals" for
    # "the most gold medals")
    fullest = max((c.superlative for _, c, f in rows if f["kind"] == 1.0), default=0.0)
    if fullest:
        for _, candidate, features in rows:
            if candidate.superlative < fullest:
                features["kind"] = 0.0
    spans = []
    for item, candidate, features in rows:
        start = item.sentence.start + candidate.start
        score = Weights.score(weights.span, features)
        spans.append(Span(candidate.text, start, start + len(candidate.text), item, score, features))
    spans.sort(key=lambda s: -s.score)
    return spans


_TYPED_KINDS = frozenset({THING, ORGANIZATION, PLACE, WORK, EVENT})
_KIND_NOUN = {PLACE: "place"}  # "where" names no noun: a span is compared with the kind itself


def _type_fit(frame: Frame, texts: dict[str, str]) -> dict[str, float]:
    """How much each span reads as an instance of the question's focus noun ("condiment": mustard, not
    French): the cosine of the two under the embedding model, which knows kinds no label set has."""
    noun = frame.focus or _KIND_NOUN.get(frame.kind or "", "")
    if frame.kind not in _TYPED_KINDS or not noun or not texts:
        return {}
    from rag.embed import embed_memoised

    focus, *vectors = embed_memoised([noun, *texts.values()])
    return {key: max(0.0, float(focus @ v)) for key, v in zip(texts, vectors, strict=True)}


def _contains(longer: str, shorter: str) -> bool:
    """ "tim cook" repeats "cook"; a one-letter or numeric fragment repeats nothing."""
    return len(shorter) > 3 and f" {shorter} " in f" {longer} "


# What completes an organisation's short name without naming another thing ("Dartmouth College").
_ORGANIZATION_WORDS = frozenset({
    "college", "university", "school", "institute", "airways", "airlines", "air", "inc", "corp", "corporation",
    "company", "co", "group", "holdings", "bank", "motors", "club", "fc", "association", "foundation", "party",
    "automotive", "industries", "international", "enterprises", "technologies", "systems", "partners", "ltd",
    "limited", "plc", "llc", "ag", "sa", "gmbh",
})  # fmt: skip


_NAME = re.compile(r"[\w&.'’]+(?: [\w&.'’]+)*")


def _same_thing(kind: str | None, best: Span, fuller: Span) -> bool:
    """Does the fuller spelling name the same thing? A person's full name always does; an
    organisation's when the added words designate it ("Dartmouth College"), or lead it in the same
    text ("Seattle Storm"; elsewhere "Financial Times" is another paper than the "Times"); a common
    noun's when nouns compounded with it make it precise in the same text ("dinosaur tracks"); a
    longer place or product is another thing ("West Virginia", "PET Sprite")."""
    if kind == PERSON:
        return True
    short, full = span_key(best.text).split(), span_key(fuller.text).split()
    if kind == THING:  # a common noun and the nouns compounded with it (see _compound_core)
        same_text = fuller.sentence.sentence.evidence_index == best.sentence.sentence.evidence_index
        return same_text and fuller.text.islower() and full[len(full) - len(short) :] == short
    if kind != ORGANIZATION or len(full) - len(short) > 2 or not _NAME.fullmatch(fuller.text):
        return False  # "San Jose - Cisco" is a dateline and a name, not a longer name
    if full[: len(short)] == short and all(w in _ORGANIZATION_WORDS for w in full[len(short) :]):
        return True
    same_text = fuller.sentence.sentence.evidence_index == best.sentence.sentence.evidence_index
    return same_text and full[len(full) - len(short) :] == short


def _compound_core(span: Span) -> Span:
    """A noun phrase cut to its last noun and the nouns compounded with it: "newer dinosaur tracks" →
    "dinosaur tracks" (an adjective or an "of" phrase would make it another answer)."""
    from rag.nlp import parse

    sentence = span.sentence.sentence
    doc = parse(sentence.text)
    start, end = span.start - sentence.start, span.end - sentence.start
    inside = [t for t in doc if start <= t.idx < end]
    if not inside:
        return span
    first = inside[-1]
    while first.i > inside[0].i and doc[first.i - 1].dep_ == "compound":
        first = doc[first.i - 1]
    cut = first.idx
    if cut == start:
        return span
    return replace(span, text=sentence.text[cut:end], start=sentence.start + cut)


def as_written(frame: Frame, best: Span, spans: Sequence[Span]) -> Span:
    """The short answer spelled as the articles write it: a person's or an organisation's fullest
    spelling ("Gronkowski" → "Rob Gronkowski"; for other kinds a longer span is another thing:
    "Virginia" → "West Virginia"), a town with its region ("Everett, Washington"), someone asked for
    by office with the title ("President Joe Biden"). Scoring is untouched."""
    return with_office(frame, with_region(frame, fullest(best, spans, frame.kind)))


def fullest(best: Span, spans: Sequence[Span], kind: str | None) -> Span:
    """The fullest spelling of the best span elsewhere in the evidence: "Gronkowski" → "Rob Gronkowski",
    "Dartmouth" → "Dartmouth College"."""
    words_best = set(span_key(best.text).split())
    if kind == THING:
        if not best.text.islower():
            return best
        tail = f" {span_key(best.text)}"
        spans = [_compound_core(s) for s in spans if f" {span_key(s.text)}".endswith(tail)]
    options = [
        s
        for s in spans
        if set(span_key(s.text).split()) > words_best
        and _same_thing(kind, best, s)
        and len(s.text.split()) <= len(best.text.split()) + 3
        and s.features.get("kind", 0) >= best.features.get("kind", 0)
        and s.sentence.score >= 0.5 * best.sentence.score
    ]
    fuller = max(options, key=lambda s: (len(s.text), s.score), default=best)
    return best if fuller is best else replace(fuller, score=best.score)
