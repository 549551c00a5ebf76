"""Question → Frame: what is asked for, about what, and over which days (pure, one parse per question).

A frame says what an answer must hold before we give it:
- the **kind** of thing asked for ("who" → a person, "how much … pay" → an amount, "which
  country" → a place, "why" → a reason), as spaCy entity labels where there are such;
- the **named things** the question is about (they must be in the evidence, and are never the answer);
- the **event** (the verb or noun the question turns on: "succeeded", "resigned", "raise");
- the **window** its own time words set ("this week" = the 7 days up to the as-of date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.chunk import sentence_spans
from rag.cite import content_terms, stem
from rag.quote import MONTH_NAMES, WEEKDAYS

# ---------------------------------------------------------------- the kind of answer asked for

PERSON, ORGANIZATION, PLACE, DATE, NUMBER, MONEY, PERCENT, WORK, THING = (
    "person",
    "organization",
    "place",
    "date",
    "number",
    "money",
    "percent",
    "work",
    "thing",
)
REASON, MANNER, QUOTE, YESNO = "reason", "manner", "quote", "yesno"
# Kinds with a short answer (a span) as opposed to a sentence (reasons, ways, quotes, yes/no).
EVENT = "event"
FACTOID = frozenset({PERSON, ORGANIZATION, PLACE, DATE, NUMBER, MONEY, PERCENT, WORK, THING, EVENT})

LABELS: dict[str, frozenset[str]] = {
    PERSON: frozenset({"PERSON"}),
    ORGANIZATION: frozenset({"ORG"}),
    PLACE: frozenset({"GPE", "LOC", "FAC"}),
    DATE: frozenset({"DATE", "TIME"}),
    NUMBER: frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
    MONEY: frozenset({"MONEY"}),
    PERCENT: frozenset({"PERCENT"}),
    WORK: frozenset({"WORK_OF_ART"}),
    THING: frozenset({"PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "ORG", "NORP", "LANGUAGE", "FAC"}),
    EVENT: frozenset({"EVENT"}),
}


def _nouns(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The noun after "which"/"what" names the kind: "which country" asks for a place. Nouns not listed
# ask for a thing (a noun phrase), e.g. "which virus", "which measure".
FOCUS_KINDS: dict[str, frozenset[str]] = {
    PERSON: _nouns(
        "person people man woman boy girl star singer actor actress player official leader celebrity athlete "
        "president ceo executive chief minister politician senator governor judge director author writer rapper "
        "musician artist comedian host coach quarterback candidate king queen prince princess member lawmaker "
        "billionaire founder investor entrepreneur journalist reporter scientist astronaut pope monarch successor "
        "winner suspect victim personality legend icon designer chef nominee justice secretary chairman spokesperson "
        "teenager child son daughter wife husband mother father heir head pitcher golfer driver boxer swimmer gymnast "
        "skater sprinter runner cyclist tennis-player"
    ),
    ORGANIZATION: _nouns(
        "company firm airline retailer chain team school university college party agency brand platform network "
        "bank organization organisation league club carrier automaker carmaker manufacturer maker store restaurant "
        "service website newspaper outlet broadcaster studio union business startup corporation conglomerate giant "
        "insurer lender exchange franchise supermarket grocer channel magazine publisher charity nonprofit "
        "institution hospital court government department ministry regulator lab laboratory band group"
    ),
    PLACE: _nouns(
        "country nation state city town village continent region place island county province capital territory "
        "area location park border district neighborhood neighbourhood coast river lake mountain sea ocean "
        "destination airport stadium venue site kingdom republic community port beach desert forest valley "
        "volcano glacier bay peninsula"
    ),
    DATE: _nouns("date day year month time week decade century season"),
    NUMBER: _nouns(
        "number amount total toll score age magnitude size count height distance temperature length weight "
        "speed population margin"
    ),
    EVENT: _nouns("tournament championship competition festival event race summit ceremony awards hurricane storm"),
    MONEY: _nouns("price cost sum value salary fine fee wage budget revenue"),
    PERCENT: _nouns("percentage percent share rate proportion stake"),
    WORK: _nouns(
        "show movie film book song album series novel play musical episode documentary podcast poem painting "
        "sitcom drama memoir single"
    ),
}
_FOCUS_KIND = {noun: kind for kind, nouns in FOCUS_KINDS.items() for noun in nouns}


def noun_kind(noun: str) -> str | None:
    """The kind of thing a noun names, if known: "co-founders" → person (a hyphenated noun is its last part)."""
    return _FOCUS_KIND.get(singular(noun.lower().rsplit("-", 1)[-1]))


_WH_FOCUS = re.compile(
    r"\b(?:which|what|how\s+many|how\s+much)\s+"
    # "what was the …", "what was Christine Gregoire's margin …": the noun after the article or name
    r"(?:(?:is|was|are|were|will be)\s+(?:the|a|an|(?-i:[A-Z])[\w.'’-]*(?:\s+(?-i:[A-Z])[\w.'’-]*){0,3}['’]s)\s+)?"
    r"(?:(?:kind|type|sort)s?\s+of\s+|of\s+the\s+following\s+)?([^?,;]*)",
    re.I,
)
_THEIR_NAME = re.compile(r"\bwhat(?:['’]s| is| was) (?:his|her) (?:full |first |last )?name\b")
# "What did a single track cost?" (but not "what did the flood cost in lives", nor "charge … with")
_WHAT_IT_COST = re.compile(r"\bwhat (?:did|does|do|will|would) (?:[\w'’$.-]+ ){1,8}?cost\b(?! (?:\w+ )?in\b)")
_HOW = re.compile(r"\bhow\s+(many|much|long|old|far|big|high|fast|soon|often|large|tall|deep)\b", re.I)
_MONEY_CUE = re.compile(
    r"\b(cost|costs|pay|paid|spend|spent|price|worth|fined?|raise[ds]?|sell|sold|earn|earned|owe|charge[ds]?|"
    r"salary|wage|bid|offer|donat\w+|lose|lost|save[ds]?|budget|fund\w*|invest\w*|\$|dollars?|money|loan)\b",
    re.I,
)
_SAY = re.compile(
    r"\bwhat\s+(?:did|does|do|has|have|will|had)\s+(.{1,80}?)\s+(?:say|said|tell|told|respond|reply|argue|claim|"
    r"write|tweet|announce|warn|declare)\b",
    re.I,
)
_YESNO = re.compile(
    r"^(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should)\b(?!.*\b(?:who|what|which|when|"
    r"where|why|how)\b)",
    re.I,
)
_FUTURE = re.compile(
    r"\b(will|would|plans?|planned|planning|expected|set to|going to|could|may|might|soon|upcoming|next|"
    r"aims?|intends?|proposed?|considering|hopes?|wants?)\b",
    re.I,
)

# ---------------------------------------------------------------- the event

# Verbs that carry no event of their own: the event is their object ("announced his retirement").
LIGHT_VERBS = _nouns(
    "be do have get make take go come become say tell announce report reveal claim declare confirm show see "
    "use give put call happen occur include accord know receive begin start continue help try want need plan "
    "expect set find keep let seem follow hold remain stand"
)
# Verbs of intent: no event of their own when they govern another verb ("agreed to pay", "failed to
# pass"), their own otherwise ("Who refused the prize?", "Which bank failed?").
INTENT_VERBS = _nouns("agree decide intend attempt manage vow promise refuse fail hope")
# Verbs of measure: the answer is the amount, no event need be reported ("How much did the deal cost?")
_MEASURES = _nouns("cost total weigh last measure amount number equal")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")

# Nouns that are no event of their own ("take place", "hundreds of reports", "what stake").
_NOT_EVENTS = _nouns(
    "hundred thousand million billion dozen number lot couple handful place part step action effect way "
    "kind type sort amount share percentage percent date day time year name stake role"
)

# ---------------------------------------------------------------- time words

_WEEKDAYS = tuple(day.lower() for day in WEEKDAYS)
_MONTHS = tuple(month.lower() for month in MONTH_NAMES)
_TIME_WORDS = re.compile(
    r"\b(this week|last week|past week|yesterday|today|tonight|this month|last month|this year|last year|"
    rf"in (?:{'|'.join(_MONTHS)})\s+\d{{4}}|in \d{{4}}|on (?:{'|'.join(_WEEKDAYS)}))\b",
    re.I,
)


@dataclass(frozen=True)
class Window:
    """The first day the question's own time words allow (ISO date; None = unbounded)."""

    since: str | None = None
    words: str = ""  # the time words, as asked ("this week")

    @property
    def bounded(self) -> bool:
        return self.since is not None


def window_of(question: str, as_of: date) -> Window:
    """ "this week" → the 7 days up to ``as_of``; "yesterday", "on Monday", "this month", "in 2021" likewise.

    Events are reported on or after they happen, so each bound is a *since*: an article of 2022 may
    still tell what happened "in 2021".
    """
    match = _TIME_WORDS.search(question)
    if not match:
        return Window()
    words = match.group(1).lower()
    if words == "last year" and re.search(r"\b(the|over|past)\s+last year", question, re.I):
        words = "past year"
    since: date | None = None
    if words in ("this week", "past week"):
        since = as_of - timedelta(days=6)
    elif words == "past year":
        since = as_of - timedelta(days=365)
    elif words == "last week":
        since = as_of - timedelta(days=13)
    elif words == "yesterday":
        since = as_of - timedelta(days=1)
    elif words in ("today", "tonight"):
        since = as_of
    elif words == "this month":
        since = as_of.replace(day=1)
    elif words == "last month":
        first = as_of.replace(day=1)
        since = (first - timedelta(days=1)).replace(day=1)
    elif words == "this year":
        since = as_of.replace(month=1, day=1)
    elif words == "last year":
        since = date(as_of.year - 1, 1, 1)
    elif words.startswith("on "):
        weekday = _WEEKDAYS.index(words[3:])
        # the last such day before the as-of date (asked on a Monday, "on Monday" may be a week ago)
        since = as_of - timedelta(days=(as_of.weekday() - weekday) % 7 or 7)
    elif words.startswith("in "):
        parts = words[3:].split()
        year = int(parts[-1])
        if len(parts) == 2:
            month = _MONTHS.index(parts[0]) + 1
            since = date(year, month, 1)
        else:
            since = date(year, 1, 1)
        if since > as_of:
            return Window(None, match.group(1))  # asks about a time after the as-of date
    return Window(since.isoformat() if since else None, match.group(1))


# ---------------------------------------------------------------- the frame


@dataclass(frozen=True)
class Frame:
    question: str
    kind: str | None  # one of the kinds above; None: a plain "what" with no telling noun
    labels: frozenset[str]  # spaCy entity labels of the asked-for kind (empty: any noun phrase)
    focus: str  # the noun after which/what ("show"), "" when none
    names: tuple[str, ...]  # named things in the question, as written ("Steve Jobs", "Apple")
    terms: frozenset[str]  # content terms (rag.cite stems) of the question
    events: frozenset[str]  # stems of the event words ("succe", "resign")
    future: bool  # the question asks about a plan or an expectation ("will", "plans to")
    window: Window
    speaker: str = ""  # for "what did X say": X
    role: str = ""  # the asked-for thing's part in the event: "agent" (who did it), "patient" (to whom/what)
    plural: bool = False  # several are asked for ("which two countries")
    event_words: tuple[str, ...] = ()  # the event words as asked ("succeeded")
    as_of: str = ""  # the day the question is asked as of (its time words count from it)
    recent: bool = False  # it asks about fresh news ("recently", "latest", "this week")
    # a superlative the answer is picked by, and the words it goes with: ("most", "confirmed", "case")
    # for "which state has the most confirmed cases?"
    superlative: tuple[str, ...] = ()
    # capitals the question makes act, standing for their governments ("did Beijing give Tokyo")
    governments: frozenset[str] = frozenset()

    @property
    def factoid(self) -> bool:
        return self.kind in FACTOID


def _last_question(question: str) -> str:
    """The interrogative sentence of a quiz-style question ("Context. Which X …?"); the chunker's
    sentence splitter knows abbreviations ("Roe v. Wade", "U.S. Army")."""
    text = question.strip()
    parts = [text[start:end].strip() for start, end in sentence_spans(text)] or [text]
    asking = [p for p in parts if p.rstrip().endswith("?")] or parts
    return asking[-1]


def _focus(asking: str, tags: dict[str, str]) -> str:
    """The noun naming the asked-for kind: "Which wildly popular show" → "show"; "which country's
    leader" → "country"."""
    match = _WH_FOCUS.search(asking)
    if not match:
        return ""
    run: list[str] = []
    for token in _WORD.findall(match.group(1))[:7]:
        word = token.lower()
        possessive = word.endswith(("'s", "’s"))
        word = word[:-2] if possessive else word
        tag = tags.get(token, tags.get(token[:-2] if possessive else token, ""))
        if tag in ("NOUN", "PROPN") or noun_kind(word):
            run.append(word)
        elif any(run):  # the noun phrase ended: "which product early next month" asks for a product
            break
        elif tag in ("ADJ", "ADV", "NUM", "") or (tag == "VERB" and word.endswith(("ed", "ing"))):
            run.append("")  # a modifier ("wildly popular", "embattled"): the noun comes later
        else:
            break
        if possessive:  # "which country's prime minister": the country is asked for
            return singular(word)
    nouns = [w for w in run if w]
    for word in reversed(nouns):  # the head first ("awards show" → show), then its modifiers
        if noun_kind(word):
            return singular(word)
    return singular(nouns[-1]) if nouns else ""


def singular(word: str) -> str:
    """ "macs" → "mac", "companies" → "company", "boxes" → "box"; "paris" and "bus" stay."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


_RECENT = re.compile(r"\b(recently|recent|latest|newest|currently|so far|right now|just)\b", re.I)
_WH = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how)\b", re.I)


def kind_of(question: str, focus: str) -> str | None:
    """The kind of answer asked for, from the first wh-word and the focus noun.

    The first wh-word is the question's own: in "What share of the vote did he get when he was
    re-elected?", "when" opens a side clause and the question asks for a share.
    """
    q = question.lower()
    if _SAY.search(question):
        return QUOTE
    wh = _WH.search(q)
    word = wh.group(1) if wh else ""
    if word == "how":
        if how := _HOW.match(q, wh.start()):  # type: ignore[union-attr]
            amount = how.group(1)
            if amount == "much":
                return MONEY if _MONEY_CUE.search(q) else NUMBER
            return DATE if amount in ("long", "soon", "often") else NUMBER
        return MANNER
    if word == "why" or re.search(
        r"\bwhat (?:led|prompted|caused|drove|made)\b|\bfor what reason\b"
        r"|\b(?:due to|because of|owing to|as a result of) what\s*\?\s*$",  # "… warm this winter due to what?"
        q,
    ):
        return REASON
    if focus in ("reason", "cause", "purpose", "motive", "explanation", "grounds"):
        return REASON
    if focus in ("way", "method", "means"):
        return MANNER
    if word == "what" and _THEIR_NAME.search(q):  # "… was booted from her House seat. What is her name?"
        return PERSON
    if word == "what" and _WHAT_IT_COST.search(q):  # "What did a single track cost?" asks a price
        return MONEY
    if word == "when" or (word in ("what", "which") and focus in ("date", "day", "year", "month", "time")):
        return DATE
    if word == "where":
        return PLACE
    if word in ("which", "what") and focus:
        return noun_kind(focus) or THING
    if word in ("who", "whom", "whose"):
        return PERSON
    if not word and _YESNO.search(question.strip()):
        return YESNO
    if word == "what":
        return THING
    return None


def analyse(question: str, as_of: date | None = None) -> Frame:
    """The frame of a question; ``as_of`` (default today) anchors its time words."""
    from rag.nlp import parse

    question = " ".join(question.split())
    asking = _last_question(question)
    doc = parse(question)
    tags = {t.text: t.pos_ for t in doc}
    focus = _focus(asking, tags)
    kind = kind_of(asking, focus)
    names = _names(doc)
    events = _events(doc, asking)
    window = window_of(question, as_of or date.today())
    speaker = ""
    if kind == QUOTE and (say := _SAY.search(asking)):
        speaker = say.group(1)
    return Frame(
        question=question,
        kind=kind,
        labels=LABELS.get(kind or "", frozenset()),
        focus=focus,
        names=names,
        terms=frozenset(content_terms(question)),
        events=frozenset(stem(w.lower()) for w in events),
        event_words=tuple(events),
        future=bool(_FUTURE.search(asking)),
        window=_main_clause_window(doc, window),
        as_of=(as_of or date.today()).isoformat(),
        recent=bool(_RECENT.search(question)) or window.bounded,
        speaker=speaker,
        role=_role(doc, asking),
        superlative=_superlative(doc, question.rfind(asking)),
        governments=_governments(doc, names),
        plural=bool(re.search(r"\b(?:which|what)\s+(?:two|three|both|several)\b", asking, re.I))
        # "which countries", not "how many countries" (a count is one number) nor "which of the following
        # cities" (one of them)
        or (
            kind not in _AMOUNTS
            and not re.search(r"\b(?:which|what)\s+of\b", asking, re.I)
            and any(singular(w) == focus != w for w in wh_phrase(asking))
        ),
    )


_AMOUNTS = frozenset({NUMBER, MONEY, PERCENT, DATE})


def wh_phrase(question: str) -> list[str]:
    """The first words of the asking clause's wh-phrase, as ``_focus`` reads it ("which US cities saw",
    "how many migrant workers died"): where the asked-for noun is, not a name later in the question
    ("to buy Spirit Airlines")."""
    match = _WH_FOCUS.search(_last_question(question))
    return re.findall(r"[a-z]+", match.group(1).lower())[:4] if match else []


_WH_WORDS = frozenset({"who", "whom", "what", "which", "whose"})


def _main_clause_window(doc: object, window: Window) -> Window:
    """A date written out ("in October 2011") bounds the evidence only when it dates the question's
    own event: in "Who succeeded the co-founder who died in October 2011?" it dates the death, and
    the succession may have been reported before it. Words relative to the as-of date ("this week")
    always bound it."""
    if not window.words.lower().startswith("in "):
        return window
    year = window.words.split()[-1]
    for token in doc:  # type: ignore[attr-defined]
        if token.text != year:
            continue
        head = token
        while head.dep_ not in ("ROOT",) and head.head is not head:
            if head.dep_ in _SIDE_CLAUSES - {"prep", "pobj", "npadvmod", "amod"}:
                return Window()
            head = head.head
    return window


# A capital standing for its government ("What did Beijing tell Tokyo?"), for the capitals news uses so:
# the country's whole name or its people's word names it (never "us" for Washington, nor "North
# Korea" for Seoul). Only where the question makes the capital act (``Frame.governments``).
CAPITALS = {
    "washington": ("united states", "u.s.", "america", "american"), "beijing": ("china", "chinese"),
    "moscow": ("russia", "russian", "kremlin"), "tokyo": ("japan", "japanese"), "kyiv": ("ukraine", "ukrainian"),
    "kiev": ("ukraine", "ukrainian"), "seoul": ("south korea", "south korean"),
    "pyongyang": ("north korea", "north korean"), "tehran": ("iran", "iranian"),
    "brussels": ("european union", "eu", "european commission"), "london": ("britain", "british", "uk", "u.k."),
    "paris": ("france", "french"), "berlin": ("germany", "german"), "ottawa": ("canada", "canadian"),
    "canberra": ("australia", "australian"), "new delhi": ("india", "indian"), "islamabad": ("pakistan", "pakistani"),
    "kabul": ("afghanistan", "afghan"), "ankara": ("turkey", "turkish"), "riyadh": ("saudi arabia", "saudi"),
    "cairo": ("egypt", "egyptian"), "havana": ("cuba", "cuban"), "caracas": ("venezuela", "venezuelan"),
    "taipei": ("taiwan", "taiwanese"), "damascus": ("syria", "syrian"), "baghdad": ("iraq", "iraqi"),
    "hanoi": ("vietnam", "vietnamese"), "manila": ("philippines", "philippine", "filipino"),
    "minsk": ("belarus", "belarusian"), "warsaw": ("poland", "polish"), "rome": ("italy", "italian"),
    "madrid": ("spain", "spanish"),
}  # fmt: skip
_ACTING = frozenset({"nsubj", "nsubjpass", "dobj", "dative", "iobj"})


def _governments(doc: object, names: tuple[str, ...]) -> frozenset[str]:
    """The question's capitals that act, as a government does: the subject or object of a verb, or
    the one something is given to ("What did Beijing give Tokyo?", "sanctions against Moscow"); not a
    place ("in Cairo", "a Tokyo restaurant", "governor of Washington")."""

    def acts(token: object) -> bool:
        if token.dep_ == "conj":  # type: ignore[attr-defined]  # "between Beijing and Tokyo"
            return acts(token.head)  # type: ignore[attr-defined]
        if token.dep_ == "pobj":  # type: ignore[attr-defined]
            return token.head.lower_ in ("to", "against", "with", "between")  # type: ignore[attr-defined]
        return token.dep_ in _ACTING  # type: ignore[attr-defined]

    return frozenset(t.text for t in doc if t.lower_ in CAPITALS and t.text in names and acts(t))  # type: ignore[attr-defined]


def _superlative(doc: object, start: int) -> tuple[str, ...]:
    """The asking clause's superlative (spaCy's JJS/RBS tag) and the lemmas of the words it qualifies:
    "the most confirmed cases" → ("most", "confirm", "case"); "the seat most likely to flip" → ("most",
    "likely"). Empty when there is none, or it is ranked ("the second most cases")."""
    for token in doc:  # type: ignore[attr-defined]
        if token.idx < start or token.tag_ not in ("JJS", "RBS"):
            continue
        qualified = superlative_words(token)
        return (token.lower_, *qualified) if qualified and not is_ranked(token) else ()
    return ()


def is_ranked(token: object) -> bool:
    """Is the superlative ranked by an ordinal before it ("the second most cases")?"""
    return token.i > 0 and token.doc[token.i - 1].ent_type_ == "ORDINAL"  # type: ignore[attr-defined]


_QUALIFYING = frozenset({"ADJ", "NOUN", "PROPN", "VERB"})


def superlative_words(token: object) -> tuple[str, ...]:
    """The lemmas of the words after a superlative, through the noun it qualifies ("most gold medals" →
    gold, medal; "highest inflation rate" → inflation, rate), with "per" when a rate follows ("most
    cases per capita"): what tells one superlative from another."""
    doc, words = token.doc, []  # type: ignore[attr-defined]
    for word in doc[token.i + 1 : token.i + 5]:  # type: ignore[attr-defined]
        if word.pos_ not in _QUALIFYING:
            break
        words.append(word.lemma_.lower())
        if word.pos_ in ("NOUN", "PROPN") and word.dep_ != "compound":
            if word.i + 1 < len(doc) and doc[word.i + 1].lower_ == "per":
                words.append("per")
            break
    return tuple(words)


def _role(doc: object, asking: str) -> str:
    """Is the wh-phrase the doer of the event ("Who succeeded Jobs?": agent), what it acts on ("What
    did Motegi plan to raise?", "Which country was shaken…": patient) or whom it goes to ("Who did
    Apple sell the unit to?": recipient)?"""
    if re.search(r"\bto\s*\?\s*$", asking) or re.match(r"\W*to\s+(?:which|what|whom)\b", asking, re.I):
        return "recipient"  # "Which firm did DaimlerChrysler sell the Chrysler Group to?"
    start = len(doc.text) - len(asking) if doc.text.endswith(asking) else 0  # type: ignore[attr-defined]
    for token in doc:  # type: ignore[attr-defined]
        if token.idx < start or token.lower_ not in _WH_WORDS:
            continue
        phrase = token.head if token.dep_ in ("det", "poss") else token
        if token.lower_ == "whom" or (phrase.dep_ == "nsubj" and _another_subject(phrase)):
            return "patient"  # the small model reads "Whom did Barra replace?" as "whom" replacing
        if phrase.dep_ == "nsubj":
            return "agent"
        if phrase.dep_ in ("dobj", "nsubjpass", "attr", "oprd"):
            return "patient"
        return ""
    return ""


def _another_subject(phrase: object) -> bool:
    """Has the verb another subject than the wh-phrase ("Who did Barra replace", parsed as two)?"""
    return any(c.dep_ == "nsubj" and c.i != phrase.i for c in phrase.head.children)  # type: ignore[attr-defined]


_NOT_NAMES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})
# Capitalised words that are not the subject of a question: titles, days and months.
_NOT_NAME_WORDS = (
    _nouns(
        "president queen king prince princess speaker rep sen gov dr mr mrs ms first lady pope secretary minister "
        "chief ceo chairman who whom what which whose when where why how"
    )
    | frozenset(_WEEKDAYS)
    | frozenset(_MONTHS)
)


def _names(doc: object) -> tuple[str, ...]:
    """Named things: the parse's entities (not dates or numbers), then runs of proper nouns outside them."""
    names: list[str] = []
    covered: set[int] = set()
    for ent in doc.ents:  # type: ignore[attr-defined]
        if ent.label_ in _NOT_NAMES:
            continue
        text = re.sub(r"^(?:the|a|an)\s+", "", ent.text, flags=re.I).strip(" '’\"“”")
        text = re.sub(r"['’]s$", "", text)
        if text and text.lower() not in _NOT_NAME_WORDS:
            names.append(text + _model_number(doc, ent.end))
            covered.update(range(ent.start, ent.end))
    run = ""
    for token in doc:  # type: ignore[attr-defined]
        # "Mar-a-Lago", "Covid-19": pieces written together belong to one name
        joined = run and not doc[token.i - 1].whitespace_ and (token.is_alpha or token.text == "-")  # type: ignore[index]
        if token.i not in covered and (token.pos_ == "PROPN" or joined) and token.i > 0:
            run += token.text_with_ws
            continue
        if run:
            names.append(run.rstrip() + _model_number(doc, token.i))
        run = ""
    if run:
        names.append(run)
    cleaned = [re.sub(r"['’]s$", "", n.strip(" -")) for n in names]
    models = {n.split()[-1] for n in cleaned if re.search(r"\s\d{1,4}$", n)}  # "787" of "Boeing 787"
    return tuple(dict.fromkeys(n for n in cleaned if len(n) > 1 and not _calendar_or_title(n) and n not in models))


def _model_number(doc: object, after: int) -> str:
    """ " 5" when a name is followed by its model number ("iPhone 5", "Boeing 787"): the iPhone 4 is
    not the thing asked about."""
    if after < len(doc) and doc[after].pos_ == "NUM" and re.fullmatch(r"\d{1,4}", doc[after].text):  # type: ignore[arg-type,index]
        previous = doc[after - 1]  # type: ignore[index]
        if previous.whitespace_ and not re.fullmatch(r"(?:19|20)\d\d", doc[after].text):  # type: ignore[index]
            return " " + doc[after].text  # type: ignore[index]
    return ""


def _calendar_or_title(name: str) -> bool:
    """ "Whom", "Secretary", "mid-November": capitalised, but no name of a thing."""
    parts = re.findall(r"[a-z]+", name.lower())
    return name.lower() in _NOT_NAME_WORDS or any(p in _MONTHS or p in _WEEKDAYS for p in parts)


# Clauses that describe rather than assert: their verbs are not the question's event
# ("Who was prime minister *when the Nikkei sank*?", "the show *that was renewed*").
_SIDE_CLAUSES = frozenset({"advcl", "relcl", "acl", "csubj", "pcomp", "prep", "pobj", "amod", "npadvmod"})


def _events(doc: object, asking: str) -> list[str]:
    """The lemmas the question turns on, in its main clause only: its root verb, or when that is a
    light verb ("announced his retirement", "plan to raise") its object or the verb it governs."""
    start = len(doc.text) - len(asking) if doc.text.endswith(asking) else 0  # type: ignore[attr-defined]
    roots = [t for t in doc if t.dep_ == "ROOT" and t.idx >= start]  # type: ignore[attr-defined]
    events: list[str] = []
    for root in roots:
        frontier = [root]
        while frontier:
            token = frontier.pop(0)
            lemma = token.lemma_.lower()
            governs = any(c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX") for c in token.children)
            light = lemma in LIGHT_VERBS or (lemma in INTENT_VERBS and governs)
            # "Where did Mary Barra study?": the small model reads a bare verb after "did <name>" as a noun
            misread = (
                token is root
                and token.pos_ == "NOUN"
                and any(c.dep_ == "aux" and c.lemma_ == "do" for c in token.children)
                and lemma not in _MEASURES  # "How much did the deal cost?" asks an amount, not whether it happened
            )
            if (token.pos_ == "VERB" or misread) and not light:
                particle = next((c.lower_ for c in token.children if c.dep_ == "prt"), "")
                events.append(f"{lemma} {particle}" if particle else lemma)  # "step down"
                continue
            if token.pos_ == "NOUN" and token is not root and lemma not in _NOT_EVENTS:
                events.append(lemma)
                continue
            if token is root or light:  # look through light verbs and "be"
                frontier.extend(
                    c for c in token.children if c.dep_ in ("xcomp", "ccomp", "dobj", "attr", "conj", "oprd")
                )
    return [e for e in dict.fromkeys(events) if len(stem(e)) > 2]
