"""Sentences of the evidence, scored as answers on cheap signals (no parse): the question's words,
its named things and its event in the sentence, a sentence of the asked-for kind (a number for "how
many", a reason cue for "why"), the rank of its chunk, and whether it leads its article."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rag.cite import STOPWORDS, Sentence, content_terms, looks_like_instructions, sentences_of, stem, words
from rag.question import (
    CAPITALS,
    DATE,
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
    singular,
)
from rag.quote import MAX_DATELINE_CHARS, MONTH_NAMES, WEEKDAYS, dateline_end
from rag.reader.weights import Weights
from rag.types import Evidence

MIN_WORDS = 5  # shorter "sentences" are captions and datelines ("General Motors logo.")

_DATE_CUE = re.compile(
    rf"\b({'|'.join(MONTH_NAMES + WEEKDAYS)}|\d{{4}}|yesterday|today|"
    r"tomorrow|week|month|year|next|soon|later|earlier)\b",
    re.I,
)
_NUMBER_CUE = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|millions?|billions?|"
    r"percent|half|third|quarter)\b",
    re.I,
)
REASON_CUE = re.compile(
    r"\b(because|due to|owing to|thanks to|as a result|result of|after|amid|over|in order to|so that|"
    r"reasons?|caused|causing|blamed|citing|cited|following|prompted|led to|resulting|fears?|concerns?|"
    r"since|aims? to|to (?:help|avoid|protect|prevent|reduce|ensure|address|save|curb|boost|stop|counter)|"
    # a motive stated as a judgement: "is seen as a competitor", "criticised for", "frustration at"
    r"(?:is|are|was|were|been|being)\s+(?:\w+ly\s+)?(?:seen|perceived) as|critici[sz](?:e[sd]?|ing|m)|"
    r"resent(?:ful|ment|ed|s)?|frustrat(?:ed|ion|ing)|accus(?:e[sd]?|ing|ations?))\b",
    re.I,
)
MANNER_CUE = re.compile(r"\b(by|through|using|via|with the help of|by means of|method|way|how)\b", re.I)
# Words that state a reason or a way outright ("because", "due to", "through"), as opposed to the
# cues above that only may ("after", "over").
STRONG_CUE = {
    REASON: re.compile(
        r"\b(because|due to|owing to|out of|the reasons?|reasons? for|as a result of|in response to|caused by|"
        r"blamed|citing|so that|in order to|in protest|over concerns?|amid concerns?|(?<=\w\s)following|resulted from|"
        r"prompted by|led to|stems? from|(?:driven|fuell?ed|spurred|triggered|sparked) by)\b",
        re.I,
    ),
    MANNER: re.compile(r"\b(through|by (?:\w+ing|means of)|using|via|with the help of|performed|set up)\b", re.I),
}
_SPEECH = re.compile(
    r"[\"“”]|\b(said|says|told|stressed|added|noted|warned|urged|stated|argued|insisted|announced|declared|"
    r"wrote|tweeted|according to)\b",
    re.I,
)
# A sentence that reports the event as only expected: "is expected to resign", "plans to", "may".
# A plain "will" is left out: "Tim Cook will be succeeding Jobs" reports a decision, not a guess.
EXPECTED = re.compile(
    r"\b(expected|expects|plans?|planned|planning|poised|likely|unlikely|hopes?|hoped|aims?|intends?|"
    r"intended|threatens?|threatened|considering|considers|proposed|proposes|wants?|wanted|seeks?|sought|"
    r"could|may|might|would|set to|scheduled|preparing|rumou?red|reportedly|possible|possibly|"
    r"potential|potentially)\b",
    re.I,
)


@dataclass(frozen=True)
class ScoredSentence:
    sentence: Sentence
    score: float
    features: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


# Short forms newsrooms use interchangeably with the long ones.
ALIASES = {
    "us": ("united states", "america", "u.s.", "american"),
    "u.s.": ("united states", "america", "us", "american"),
    "united states": ("us", "u.s.", "america", "american"),
    "uk": ("britain", "british", "united kingdom", "england", "u.k."),
    "britain": ("uk", "british", "united kingdom", "england"),
    "eu": ("european union", "europe", "european"),
    "un": ("united nations", "u.n."),
    "u.n.": ("united nations", "un"),
    "fed": ("federal reserve",),
}
# People's words that do not end as most do (``is_demonym`` reads the rest: Chinese, Swedish …).
_IRREGULAR_PEOPLE = {
    "greece": "greek", "peru": "peruvian", "norway": "norwegian", "argentina": "argentine", "portugal": "portuguese",
    "cyprus": "cypriot", "congo": "congolese", "serbia": "serb", "croatia": "croat", "thailand": "thai",
    "afghanistan": "afghan", "netherlands": "dutch", "france": "french", "spain": "spanish", "philippines": "filipino",
    "switzerland": "swiss", "denmark": "danish", "poland": "polish", "finland": "finnish", "turkey": "turkish",
    "britain": "british", "england": "english", "wales": "welsh", "scotland": "scottish", "ireland": "irish",
    "iceland": "icelandic", "paris": "parisian", "london": "londoner", "new york": "new yorker",
}  # fmt: skip
_KIN = _IRREGULAR_PEOPLE | {people: place for place, people in _IRREGULAR_PEOPLE.items()}


def written_in(word: str, lowered: str) -> bool:
    """The (lower-case) word or phrase as a whole ("u.s." in "the u.s. said" and "u.s.a."; "un" not in "fund")."""
    end = "" if word.endswith(".") else r"(?!\w)"
    return bool(re.search(rf"(?<!\w){re.escape(word)}{end}", lowered))


def named_in(frame: Frame, name: str, lowered: str) -> bool:
    """``is_named_in`` for one of the question's names, a capital it makes act standing for its country."""
    return is_named_in(name, lowered, government=name in frame.governments)


def is_named_in(name: str, lowered: str, government: bool = False) -> bool:
    """Is a named thing in the text? Any of its longer words will do ("Jobs" for "Steve Jobs"), in any
    form (``names_word``: Chinese for China, not Austin for Australia nor Barroso for Barra); "US"
    matches "United States"."""
    key = name.lower()
    if key in ALIASES and any(written_in(a, lowered) for a in (key, *ALIASES[key])):
        return True
    model = re.search(r"\s(\d{1,4})$", name)  # "iPhone 5": the model number must be there too
    if model:  # beside its name, or anywhere when it is distinctive: "Boeing … 787 Dreamliner"
        number = model.group(1)
        beside = rf"{re.escape(name.split()[-2].lower()[:4])}[\w'’]*[\s-]*{number}\b"
        if not re.search(beside, lowered) and not (len(number) >= 3 and re.search(rf"\b{number}\b", lowered)):
            return False
    if (kin := _KIN.get(key)) and re.search(rf"\b{re.escape(kin)}", lowered):  # "Greece" in "Greek voters"
        return True
    if government and any(written_in(w, lowered) for w in CAPITALS.get(key, ())):  # "Tokyo": Japan, the Japanese
        return True
    plain = words(_unaccented(name))
    text = lowered if lowered.isascii() else _unaccented(lowered)
    for part in [w for w in plain if len(w) > 2 and w not in STOPWORDS] or plain:
        for form in dict.fromkeys((part, singular(part))):  # "Macs" is found as "mac", "Companies" as "company"
            if any(names_word(form, word) for word in re.findall(rf"\b{re.escape(form[:4])}[\w-]*", text)):
                return True
    return False


def _unaccented(text: str) -> str:
    """ "almería" → "almeria": news spells names with and without their accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


PEOPLE_ENDINGS = ("n", "an", "ian", "ean", "ese", "ish", "i", "ic")  # Russian, Chinese, Israeli …
_INFLECTED = re.compile(r"(?:e?s|['’]s|-[\w-]*|\d+)?")  # "jobs", "kmart's", "covid-19": the same name
_UNINFLECTED = re.compile(r"(?:-[\w-]*|['’]s|s)$")  # "israelis", "chinese-made" → "israeli", "chinese"


def is_demonym(people: str, place: str) -> bool:
    """Is the word its people's word for the place ("chinese"/"china", "swedish"/"sweden",
    "german"/"germany")? The two share a stem, the people's word ends as such words do (or the place
    adds one letter), and the place adds at most two letters (not "austin" for "australia",
    "indiana" for "india")."""
    pairs = zip(people, place, strict=False)
    common = next((i for i, (x, y) in enumerate(pairs) if x != y), min(len(people), len(place)))
    added, ending = len(place) - common, people[common:]
    return common >= 4 and ((ending in PEOPLE_ENDINGS and added <= 2) or (not ending and added == 1))


def names_word(part: str, word: str) -> bool:
    """Does a text word name the name's part: the part itself, inflected ("jobs", "kmart's"), its
    word before a hyphen ("covid" for "covid-19"), or its people's word, either way ("australian"
    for "australia")? Not another name sharing its first letters ("barroso" for "barra")."""
    if word.startswith(part) and _INFLECTED.fullmatch(word[len(part) :]):
        return True
    base = _UNINFLECTED.sub("", word)
    for form in {word, base}:
        if len(form) >= 4 and re.fullmatch(rf"{re.escape(form)}-\d\w*", part):  # "covid" of "covid-19"
            return True
        if is_demonym(form, part) or is_demonym(part, form) or _KIN.get(form) == part:
            return True
    return False


def name_coverage(frame: Frame, text: str) -> float:
    if not frame.names:
        return 1.0
    lowered = text.lower()
    return sum(named_in(frame, n, lowered) for n in frame.names) / len(frame.names)


def has_event(frame: Frame, text: str, lemmas: Sequence[str] = ()) -> bool:
    """Does the text hold the question's event (a word sharing its stem: resign/resigned/resignation;
    with ``lemmas`` from a parse, irregular forms too: paid → pay)?"""
    if not frame.events:
        return True
    from rag.nlp import irregular_forms

    for phrase in (e for e in frame.event_words if " " in e):  # "step down": stepped down, steps down
        verb, particle = phrase.split(" ", 1)
        if re.search(rf"\b{re.escape(stem(verb))}\w*\s+(?:\w+\s+)?{re.escape(particle)}\b", text, re.I):
            return True
    irregular = irregular_forms()
    found = words(text)
    stems = {stem(w) for w in found} | {stem(irregular[w]) for w in found if w in irregular}
    stems |= {stem(lemma.lower()) for lemma in lemmas}
    return any(is_event(frame, s) for s in stems)


def is_event(frame: Frame, word: str) -> bool:
    """Does the word (or lemma) share a stem with the question's event: resign/resigned/resignation?"""
    word = stem(word.lower())
    return any(word.startswith(e) or (len(word) >= 5 and e.startswith(word)) for e in frame.events)


_PURPOSE = re.compile(r"^(?:aims? )?to ", re.I)
# Words that make a phrase a time ("the past two months", "several weeks"), not a cause
TIME_LEADS = r"past|last|next|coming|previous|recent|first|few|several"
TIME_UNITS = r"years?|months?|weeks?|days?|hours?|decades?|weekend|night|morning"


def reason_cues(frame: Frame, text: str) -> list[re.Match[str]]:
    """The reason cues of a sentence, but no purpose naming the question's own event: "has proposed
    to reduce aid" restates "why did Japan reduce aid", it gives no reason ("was prompted by" still
    does)."""
    cues = []
    for match in REASON_CUE.finditer(text):
        cue = match.group(0).lower()
        if _PURPOSE.match(cue) and is_event(frame, cue.split()[-1]):
            continue
        cues.append(match)
    return cues


def kind_cue(frame: Frame, text: str) -> float:
    """Does the sentence hold something of the asked-for kind (cheap, before any parse)?"""
    kind = frame.kind
    if kind in (NUMBER, MONEY, PERCENT):
        return 1.0 if _NUMBER_CUE.search(text) else 0.0
    if kind == DATE:
        return 1.0 if _DATE_CUE.search(text) else 0.0
    if kind == REASON:
        return 1.0 if reason_cues(frame, text) else 0.0
    if kind == MANNER:
        return 1.0 if MANNER_CUE.search(text) else 0.0
    if kind == QUOTE:
        return 1.0 if says(frame, text) else 0.0
    if kind in (PERSON, ORGANIZATION, PLACE, WORK, THING):
        asked = {w.lower() for n in frame.names for w in words(n)} | set(frame.terms)
        capitalised = re.findall(r"(?<![.!?]\s)\b[A-Z][a-zA-Z’'\-]+", text[1:])
        new = [c for c in capitalised if c.lower() not in asked and stem(c.lower()) not in asked]
        quoted = kind in (WORK, THING) and re.search(r"[“\"][^”\"]{2,60}[”\"]", text)
        return 1.0 if new or quoted else 0.0
    return 0.0


_SPEECH_VERB = re.compile(
    r"\b(said|says|told|tells|stressed|added|noted|warned|urged|stated|argued|insisted|announced|declared|"
    r"wrote|tweeted|called for|asked|replied|responded|explained|acknowledged|admitted|emphasi[sz]ed)\b",
    re.I,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w’'\-]+")
# "The BBC quoted Kostov, who …, to have said": the one quoted speaks, not the one quoting; not
# "quoted Kostov's spokesman as saying" nor "quoted Obama aides"
_QUOTED = re.compile(
    r"\bquot(?:ed|es|ing)\s+((?:[A-Z][\w\-]+\s?)+?)(?:,[^,]{0,80},)?\s*(?:as saying|as having said|to have said)\b"
)


def says(frame: Frame, text: str) -> bool:
    """Does the sentence report the asked-about speaker saying something ("Wang stressed …", "said Wang")?

    The speaker must be the nearest name before a speech verb in its clause, or follow it directly,
    so "at a meeting with Wang, Motegi said" is Motegi speaking, not Wang.
    """
    if not frame.speaker:
        return bool(_SPEECH.search(text))
    if any(named_in(frame, frame.speaker, m.group(1).lower()) for m in _QUOTED.finditer(text)):
        return True
    for match in _SPEECH_VERB.finditer(text):
        before = re.split(r"[,;:“”\"]", text[max(0, match.start() - 80) : match.start()])[-1]
        names = _CAPITALISED.findall(before)
        if names and named_in(frame, frame.speaker, names[-1].lower()):
            return True
        after = text[match.end() : match.end() + 40]
        following = _CAPITALISED.findall(after)
        if following and after.lstrip()[:1].isupper() and named_in(frame, frame.speaker, following[0].lower()):
            return True
    return False


def is_quotable(text: str) -> bool:
    """A sentence we may quote as an answer: prose, not a caption, a question or text aimed at us."""
    stripped = text.rstrip("\"”’' )")
    return len(text.split()) >= MIN_WORDS and not stripped.endswith("?") and not looks_like_instructions(text)


def sentence_features(frame: Frame, sentence: Sentence, evidence: Evidence) -> dict[str, float]:
    text = sentence.text
    question_terms = set(frame.terms)
    found = question_terms & set(content_terms(text))
    return {
        "lexical": len(found) / len(question_terms) if question_terms else 0.0,
        "names": name_coverage(frame, text),
        "event": 1.0 if frame.events and has_event(frame, text) else 0.0,
        "cue": kind_cue(frame, text),
        "rank": 1.0 / (1 + sentence.evidence_index),
        "lead": 1.0 if _opens_article(sentence, evidence) else 0.0,
    }


def without_dateline(sentence: Sentence) -> Sentence:
    """The sentence from where it begins after a dateline ("New York CNN Business — Subway is …"):
    still an exact span of the article, and its place names are not mistaken for an answer."""
    offset = dateline_end(sentence.text)
    return replace(sentence, start=sentence.start + offset, text=sentence.text[offset:]) if offset else sentence


def _opens_article(sentence: Sentence, evidence: Evidence) -> bool:
    """The article's first sentence (its dateline aside): news leads carry the main fact."""
    before = evidence.text[: sentence.start - evidence.start].strip()
    return evidence.start == 0 and len(before) <= MAX_DATELINE_CHARS


def score_sentences(frame: Frame, evidence: Sequence[Evidence], weights: Weights) -> list[ScoredSentence]:
    scored = []
    for sentence in map(without_dateline, sentences_of(list(evidence))):
        if not is_quotable(sentence.text):
            continue
        features = sentence_features(frame, sentence, evidence[sentence.evidence_index])
        scored.append(ScoredSentence(sentence, Weights.score(weights.sentence, features), features))
    scored.sort(key=lambda s: -s.score)
    return scored
