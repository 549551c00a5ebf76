"""What makes a quoted sentence readable on its own: pure functions of one sentence (no I/O).

Briefs and answers quote stored sentences verbatim, so a reader meets each one out of its article.
Three things then go wrong, and this module finds them:

- **Datelines.** "BRASÍLIA, Brazil – The president…" or "(CNN) The popular…": :func:`dateline_end`
  gives the offset where the sentence proper begins, so a citation can start there and still be
  an exact span (``quote == text[start + offset:end]``).
- **Relative dates.** "on Monday", "today", "last year" mean nothing without the article's date:
  :func:`date_notes` resolves them against the publication date and :func:`with_dates` shows the
  result as an editor's bracket inside the quote ("on Monday [15 Nov 2004]"); the quoted words
  stay as written, and nothing is added when the date is unknown.
- **Sentences that lean on others.** "He said…", "The move…", "available here", captions, bylines
  and questions: :func:`context_need` says why a sentence cannot stand alone (``None`` when it can).

Also here, because notes need them with the above: :func:`after_lead_in` (our "In November 2005,"
before a quote), :func:`shown_as` (is a quote in a paragraph, our brackets aside) and
:func:`check_day` (a typed day, or why it is not one: "2004-02-30: that day does not exist").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTHS = tuple(name[:3] for name in MONTH_NAMES)
_MONTH_NAMES = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# ---------------------------------------------------------------- datelines

_DASH = r"\s*(?:--|[–—-])\s*"
_AGENCY = (
    r"(?:CNN(?: Business| Sport| Travel| Politics)?|AP|Reuters|AFP|UPI|Bloomberg|Xinhua|Kyodo|dpa|"
    r"PTI|IANS|ANI|BBC|WION|TASS|Yonhap|NPR|CBS News|NBC News|ABC News)"
)
_CAP_WORD = r"[A-ZÀ-ÖØ-Þ][\w.'’À-ÿ-]*"  # a capitalised word ("Fla.", "St.", "Brasília")
_UPPER_WORD = r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ.'’-]+"  # an all-caps word of two letters or more ("BRASÍLIA")
_PLACE = rf"{_CAP_WORD}(?: {_CAP_WORD}){{0,3}}"
_DATELINES = (
    # "(CNN) —", "(CNN) The …", "(Reuters) - "
    re.compile(rf"\({_AGENCY}\)(?:{_DASH}|\s+)"),
    # "WASHINGTON —", "ST. PETERSBURG, Fla. (AP) —", "BRASÍLIA, Brazil – ", "SEOUL, South Korea —"
    re.compile(rf"{_UPPER_WORD}(?: {_UPPER_WORD}){{0,3}}(?:, {_PLACE})?(?: \({_AGENCY}\))?{_DASH}"),
    # "Lviv, Ukraine (CNN) —", "New York (CNN Business) The …", "London (CNN)–"
    re.compile(rf"{_PLACE}(?:, {_PLACE})? \({_AGENCY}\)(?:{_DASH}|\s+)"),
    # "New York CNN Business —" (a scrape that lost the parentheses)
    re.compile(rf"{_PLACE}(?:, {_PLACE})? {_AGENCY}{_DASH}"),
    # "November 18, USA - ", "Nov. 18, 2004, Brisbane, Australia – ", "Wednesday, November 17, 2004 - "
    re.compile(
        rf"(?:(?:{'|'.join(WEEKDAYS)}), )?{_MONTH_NAMES} \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?"
        rf"(?:, {_PLACE}){{0,2}}{_DASH}"
    ),
    # "Cannes, France — " (a place and its country or state, nothing else before the dash)
    re.compile(rf"{_CAP_WORD}(?: {_CAP_WORD})?, {_CAP_WORD}(?: {_CAP_WORD})?{_DASH}"),
)
MAX_DATELINE_CHARS = 70


def dateline_end(sentence: str) -> int:
    """Where the sentence proper begins after a leading dateline; 0 when there is none.

    ``sentence[dateline_end(sentence):]`` is the quotable sentence: for a citation of
    ``text[start:end]``, cite ``text[start + dateline_end(text[start:end]):end]`` instead.
    A dateline is short, made of places, dates and a news agency, ends at a dash (or right after
    "(CNN)"), and is followed by the sentence, which starts with a capital, a digit or a quote mark.
    """
    for pattern in _DATELINES:
        match = pattern.match(sentence)
        if not match or match.end() > MAX_DATELINE_CHARS:
            continue
        rest = sentence[match.end() :]
        if rest[:1].isupper() or rest[:1].isdigit() or rest[:1] in "\"“‘'":
            return match.end()
    return 0


# ---------------------------------------------------------------- relative dates


@dataclass(frozen=True)
class DateNote:
    """A relative date in a sentence: ``sentence[start:end]`` ("on Monday") means ``label`` ("15 Nov 2004")."""

    start: int
    end: int
    label: str
    day_word: bool  # a day ("today", "Monday"), not a month or a year


def day_label(day: date) -> str:
    """A date as the bracket shows it: "15 Nov 2004" (no locale involved)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_label(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


_WEEKDAY = "|".join(WEEKDAYS)
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
_RELATIVE = re.compile(
    rf"\b(?P<rel>(?:(?P<which>last|next|this|on|since|until|by|from|before|after)\s+)?"
    rf"(?P<weekday>{_WEEKDAY})(?:['’]s)?{_PART_OF_DAY}"
    r"|(?P<day>(?:earlier |later )?(?:today|tonight|yesterday|tomorrow)(?:['’]s)?"
    r"|this (?:morning|afternoon|evening)|last night)"
    r"|(?P<span>(?:earlier |later )?(?P<when>last|this|next) (?P<unit>year|month)(?:['’]s)?))\b",
    re.IGNORECASE,
)
# A weekday already followed or preceded by its calendar date needs no bracket.
_EXPLICIT_AFTER = re.compile(
    rf"^,?\s*\(?(?:(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH_NAMES}|{_MONTH_NAMES}\s+\d{{1,2}}\b|\d{{4}}\b)",
    re.IGNORECASE,
)
_EXPLICIT_BEFORE = re.compile(rf"(?:{_MONTH_NAMES}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{4}}),?\s*$", re.IGNORECASE)
_GENERIC_TODAY = re.compile(
    r"today['’]s\s+(?:best|top|biggest|leading|young|modern|most|world|society|youth|standards|technology|"
    r"generation|economy|market|artists|kids|children|music|culture|politics|media)\b",
    re.IGNORECASE,
)
_PAREN_WEEKDAY = re.compile(rf"^\s*\((?:{_WEEKDAY})\)")
_BRACKET_FOLLOWS = re.compile(r"^\s*\[")
# Named days that are events, not dates relative to the article ("Black Friday", "Super Tuesday").
_EVENT_PREFIX = re.compile(
    r"\b(?:Black|Good|Super|Ash|Cyber|Bloody|Holy|Easter|Maundy|Shrove|Giving|Palm|Fat|Blue)\s+$"
)
# Words in the clause before a weekday that put it ahead of the publication date.
_FUTURE = re.compile(
    r"\b(?:will|shall|won['’]t|is to|are to|is due|are due|due to|scheduled|slated|expected to|plans? to|"
    r"planned|planning|going to|would|start(?:s|ing)?|begin(?:s|ning)?|from|upcoming|to be held|"
    r"set to (?!have))\b|['’]ll\b",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"[,;:]\s|\b(?:and|but|after|before|when|while)\s", re.IGNORECASE)


def _clause_before(sentence: str, start: int) -> str:
    """The words of the clause that leads up to position ``start`` (back to a comma or conjunction)."""
    before = sentence[max(0, start - 80) : start]
    cuts = [m.end() for m in _CLAUSE_START.finditer(before)]
    return before[cuts[-1] :] if cuts else before


def _weekday_date(sentence: str, match: re.Match[str], published: date) -> date | None:
    weekday = WEEKDAYS.index(match.group("weekday").capitalize())
    which = (match.group("which") or "").lower()
    back = (published.weekday() - weekday) % 7  # days back to the latest such weekday, 0 = that day
    ahead = (weekday - published.weekday()) % 7
    if which == "last":
        return published - timedelta(days=back or 7)
    if which == "next":
        return published + timedelta(days=ahead or 7)
    if which in ("since", "after") or not _FUTURE.search(_clause_before(sentence, match.start())):
        return published - timedelta(days=back)
    return published + timedelta(days=ahead)


def _span_label(match: re.Match[str], published: date) -> str:
    step = {"last": -1, "this": 0, "next": 1}[match.group("when").lower()]
    if match.group("unit").lower() == "year":
        return f"in {published.year + step}"  # never a bare "[2003]", which reads as a source marker
    month = published.month - 1 + step
    return month_label(date(published.year + month // 12, month % 12 + 1, 1))


def date_notes(sentence: str, published: date | None) -> list[DateNote]:
    """The relative dates of ``sentence`` resolved against ``published`` (none when it is ``None``).

    "today"/"tonight"/"this morning" → the publication day; "yesterday"/"last night" → the day
    before; "tomorrow" → the day after; a weekday → the latest such day on or before publication,
    or the next one on or after it when its clause speaks of the future ("will meet on Thursday",
    "starting on Monday"), "last Monday"/"next Monday" → the week before/after; "last year",
    "this month" → a year or a month. A weekday that already carries its date ("Monday,
    November 15"), a named day ("Black Friday"), "USA Today" and a phrase already followed by a
    bracket are left alone.
    """
    if published is None:
        return []
    notes: list[DateNote] = []
    covered = 0  # the end of the last phrase read: the "(Thursday)" of "today (Thursday)" is part of it
    for match in _RELATIVE.finditer(sentence):
        if match.start() < covered:
            continue
        before, after = sentence[: match.start()], sentence[match.end() :]
        end = match.end()
        if match.group("weekday"):
            if _EXPLICIT_AFTER.match(after) or _EXPLICIT_BEFORE.search(before) or _EVENT_PREFIX.search(before):
                continue
            label, day_word = day_label(_weekday_date(sentence, match, published)), True
        elif match.group("day"):
            word = match.group("day")
            if word[:1] == "T" and match.start() > 0 and not before.rstrip().endswith((".", '"', "“")):
                continue  # "USA Today", "the Today show": a name, not a date
            if _EXPLICIT_AFTER.match(after) or _GENERIC_TODAY.match(word + after):
                continue  # "returned today, November 13, 2004"; "today's best selling artists" (of our time)
            low = word.lower()
            shift = -1 if ("yesterday" in low or low == "last night") else 1 if "tomorrow" in low else 0
            label, day_word = day_label(published + timedelta(days=shift)), True
            paren = _PAREN_WEEKDAY.match(after)
            if paren:
                end += paren.end()  # "today (Thursday) [18 Nov 2004]"
        else:
            if re.match(r"^\s*(?:,\s*)?\d{4}\b", after):
                continue  # "this year, 2004"
            label, day_word = _span_label(match, published), False
        covered = end
        if _BRACKET_FOLLOWS.match(sentence[end:]):
            continue  # already dated (a model's reply, or a shown quote)
        notes.append(DateNote(match.start("rel"), end, label, day_word))
    return notes


def with_dates(sentence: str, published: date | None, start: int = 0, end: int | None = None) -> str:
    """The sentence (or its part ``start:end``, read in the whole sentence: "Thursday" in "will meet
    on Thursday" is the one after) with each relative date ending in it followed by its date in an
    editor's bracket: "was convicted Thursday [18 Nov 2004]". The quoted words are unchanged; only
    brackets are added."""
    end = len(sentence) if end is None else end
    out, cursor = [], start
    for note in date_notes(sentence, published):
        if start < note.end <= end:  # a note may begin before the part: "on Thursday" for "Thursday"
            out += [sentence[cursor : note.end], f" [{note.label}]"]
            cursor = note.end
    return "".join(out) + sentence[cursor:end]


_EDITOR_BRACKET = re.compile(rf" \[(?:\d{{1,2}} )?(?:{'|'.join(MONTHS)}) \d{{4}}\]| \[in \d{{4}}\]")


def without_editor_brackets(text: str) -> str:
    """``text`` with the brackets :func:`with_dates` adds taken out again."""
    return _EDITOR_BRACKET.sub("", text)


def undated_day_words(shown: str) -> list[str]:
    """Relative day words in a shown sentence that carry no bracketed date (for the readability bench:
    with a dated article this should always be empty)."""
    far_future = date(9999, 1, 1) - timedelta(days=400)  # any real date: only *which* words need one
    return [shown[n.start : n.end] for n in date_notes(shown, far_future) if n.day_word]


def known_date(published_at: str, date_from: str = "") -> date | None:
    """The publication date when it is known well enough to resolve "today" against: a real date
    that is not the file's modification time (a guess, not the day the article appeared)."""
    if not published_at or date_from in ("file-time", "unknown"):
        return None
    try:
        return date.fromisoformat(published_at[:10])
    except ValueError:
        return None


def check_day(value: str) -> str:
    """``value`` as an ISO day ("2004-11-18"), or a ``ValueError`` that says what is wrong: not a
    date at all, or a day the calendar does not have ("2004-02-30: that day does not exist
    (February 2004 has 29 days)")."""
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    shape = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if shape and 1 <= int(shape[2]) <= 12:
        year, month = int(shape[1]), int(shape[2])
        days = calendar.monthrange(year, month)[1]
        raise ValueError(f"{text}: that day does not exist ({calendar.month_name[month]} {year} has {days} days)")
    if shape:
        raise ValueError(f"{text}: that day does not exist (there is no month {shape[2]})")
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


# ---------------------------------------------------------------- sentences that stand alone

Need = Literal["pronoun", "connective", "absent", "caption", "byline", "question", "addressed", "unattributed"]

_PRONOUN_OPENER = re.compile(
    r"^[\"“‘']?(?:He|She|It|They|We|I|You|His|Her|Its|Their|Our|My|Your|Him|Them|Us|This|That|These|Those|"
    r"Such|Both|Here|The latter|The former|The same|Another|Neither|Either)\b(?!-)(?! (?:who|which|that|with)\b)"
)
_ANAPHORIC_NP = re.compile(
    r"^(?:The|This|That|These|Those|Such a|Such)\s+(?:(?:latest|new|recent|surprise|controversial|proposed|"
    r"two|three|four|five)\s+)?(?:move|moves|decision|announcement|deal|plan|incident|attack|measure|step|"
    r"proposal|agreement|ruling|change|changes|comments|remarks|statement|report|news|event|company|firm|"
    r"group|man|woman|men|women|official|officials|spokesman|spokeswoman|victim|victims|suspect|suspects|"
    r"pair|trio|couple|latter|former|two|three|issue|case|situation|development|claim|claims|figure|"
    r"figures|number|numbers|one|ones|others|rest|result|results|plane|aircraft|vessel|device|organisation|"
    r"organization|agency|country|city|team|player|singer|actor|star|woman's|man's|remark|comment|assessment|"
    r"speech|visit|trip|meeting|talks|intrusion|announcements|victory|defeat|loss|deal's|bill|law|order|letter)\b"
)
_CONNECTIVE_OPENER = re.compile(
    r"^(?:But|And|Or|So|Yet|However|Also|Still|Instead|Meanwhile|Moreover|Furthermore|Nevertheless|"
    r"Nonetheless|Besides|Likewise|Similarly|Otherwise|Then|Thus|Therefore|Hence|Consequently|"
    r"Afterwards|Additionally|In addition|At the same time|On the other hand|In response|As a result|"
    r"Despite this|Because of this|After that|Even so|Even then|By contrast|In contrast|In turn|Again|"
    r"(?:A|One|Two|Three|A few|Several) (?:hours?|days?|weeks?|months?|years?) (?:later|earlier|before)|"
    r"(?:Hours|Days|Weeks|Months|Years|Moments|Minutes) (?:later|earlier|before)|The (?:next|following|previous) "
    r"(?:day|week|month|year|morning|night)|That (?:day|week|month|year|night|morning))\b"
)
# A short opening phrase, then a pronoun subject: "In a statement, he said…", "According to them, …".
_PRONOUN_AFTER_INTRO = re.compile(
    r"^(?:[\w’'()-]+\s+){0,15}[\w’'()-]+,\s+(?:he|she|they|it|we|i)\b|^According to (?:him|her|them|it)\b"
)
# "their's" with nothing after it: the thing it stands for is in an earlier sentence.
_ELLIPTIC_POSSESSIVE = re.compile(r"\b(?:theirs|their's|their’s|ours|hers|yours)\b|\bdid so\b|\bdo so\b", re.I)
_ABSENT = re.compile(
    r"\b(?:available|found|read|watch|see|listen|click|download|tap|sign up|shown)\s+(?:it\s+|them\s+|more\s+)?"
    r"(?:here|below|above)\b|\bsee (?:below|above|the (?:video|photo|chart|map|graphic))\b|\bpictured\b|"
    r"\b(?:the|this|these) (?:video|photo|photos|image|images|picture|pictures|chart|map|graphic|clip|gallery)"
    r" (?:above|below)\b|\b(?:above|below)\s*[.:]?\s*$|\bas follows\b|\bthe following\b|\bthis (?:video|photo|clip)\b|"
    r"^(?:Read|Watch|Listen to|View|See|Click|Download|Subscribe to)\s+"
    r"(?:the|his|her|their|our|a|an|this|it|more|all)\b",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"^(?:Photo|Image|Caption|File photo|Pictured|Above|Below|Left|Right|Top|Bottom)\b\s*[:|—-]|"
    r"\((?:AP|Reuters|AFP|Getty)? ?(?:Photo|Image)\b|\b(?:left to right|from left)\b|"
    r"\b(?:Getty Images|AP Photo|Reuters/|AFP via Getty|file photo)\b|\bPhoto(?:graph)?: ",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:By|Written by|Reporting by|Story by|Reported by|Edited by|Additional reporting by|Compiled by)\s+[A-Z]|"
    r"^(?:Staff|Wire) report\b|\bcontributed to this report\b|^Contributing:|\bis a (?:reporter|correspondent|"
    r"writer|columnist|editor) (?:for|at|with)\b|^Follow (?:him|her|them|us) on\b|\bcan be reached at\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?[\"'”’)\]]*\s*$")
# Words to the reader, not news: "If you've waited…, now's your time.", "Purchases you make…".
_ADDRESSED = re.compile(r"^(?:[\w’',-]+\s+){0,5}(?:you|your|you['’](?:ve|re|ll|d))\b", re.IGNORECASE)
# A whole quotation with no speaker in the sentence: who said it is in another sentence.
_WHOLE_QUOTE = re.compile(r"^[\"“‘].*[.!?][\"”’]\s*$", re.DOTALL)
_ATTRIBUTION = re.compile(r"\b(?:said|says|say|told|tells|added|adds|wrote|writes|according to|asked|announced)\b")
# "It is unclear whether…", "It seemed that…": an empty "it" that points at nothing before.
_EMPTY_IT = re.compile(
    r"^It(?:['’]s| is| was| has been| had been| will be| would be| remains| remained| seems| seemed| appears|"
    r" appeared| may be| might be| could be)(?: not| also| still| now| already)?(?: \w+ly)?(?: \w+)?"
    r" (?:that|to|whether|if|how|why|when|who|what|as if)\b"
)
# A quotation its own sentence attributes to a named speaker: '"We will win," said Jane Smith.'
_NAMED_QUOTE = re.compile(
    r"^[\"“‘].*?[,.!?—-][\"”’]\s*(?:(?:said|says|added|told \w+|wrote|according to)\s+(?:[a-z]+\s+){0,4}[A-Z]"
    r"|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*\s+(?:said|says|added|wrote|told))"
)

NEEDS_ANOTHER_SENTENCE: frozenset[str] = frozenset({"pronoun", "connective", "unattributed"})


def context_need(sentence: str) -> Need | None:
    """Why ``sentence`` cannot be quoted on its own, or ``None`` when a reader can follow it alone.

    ``"pronoun"``: it opens with a pronoun, a demonstrative or an anaphoric phrase ("He",
    "This", "The move", "In a statement, he said") or leans on an earlier noun ("their's");
    ``"connective"``: it opens with a word that answers the previous sentence ("But", "However").
    ``"unattributed"``: a whole quotation with no speaker in it. All three are readable next to
    the sentence before them. ``"absent"`` (it points at something the note cannot show:
    "available here", "see below", "pictured"), ``"caption"``, ``"byline"``, ``"question"`` and
    ``"addressed"`` (it speaks to the reader: "If you've waited…") are never quotable.
    """
    text = sentence.strip()
    if _QUESTION.search(text):
        return "question"
    if _BYLINE.search(text):
        return "byline"
    if _CAPTION.search(text):
        return "caption"
    if _ABSENT.search(text):
        return "absent"
    if not text.startswith(('"', "“", "‘", "'")) and _ADDRESSED.match(text):
        return "addressed"
    if _WHOLE_QUOTE.match(text) and not _ATTRIBUTION.search(text):
        return "unattributed"
    if _CONNECTIVE_OPENER.match(text):
        return "connective"
    if _EMPTY_IT.match(text) or _NAMED_QUOTE.match(text):
        return None
    if (
        _PRONOUN_OPENER.match(text)
        or _ANAPHORIC_NP.match(text)
        or _PRONOUN_AFTER_INTRO.match(text)
        or _ELLIPTIC_POSSESSIVE.search(text)
    ):
        return "pronoun"
    return None


def stands_alone(sentence: str) -> bool:
    """Can a reader follow ``sentence`` without the sentences around it?"""
    return context_need(sentence) is None


# ---------------------------------------------------------------- our words before a quote


_LEAD_STOPWORDS = frozenset({"a", "an", "the", "in", "on", "at", "after", "before", "according", "during", "with"})


def after_lead_in(
    lead_in: str, sentence: str, common: frozenset[str] = frozenset(), stopwords: frozenset[str] = _LEAD_STOPWORDS
) -> str:
    """``lead_in`` ("In November 2005,") joined to a quoted sentence, its first letter lowered when
    its first word is an ordinary word ("the A380…", "television reporter…"), kept otherwise
    ("Airbus unveiled…", and any word we cannot tell from a name: a wrong capital reads better
    than a lower-cased name).

    ``common`` holds the lower-case words the caller knows to be ordinary (see :func:`common_words`);
    a word before a capitalised one is a title ("President Joe Biden") and keeps its capital unless
    it is one of ``stopwords`` ("The A380"); "I", acronyms and words with inner capitals or digits
    ("MSN", "McCain", "A380") keep theirs.
    """
    first = re.match(r"[\"“‘']?([A-Za-z][\w’'-]*)(?=[\s,;:])", sentence)  # a word, not "M&M’s" or "U.S."
    word = first.group(1) if first else ""
    plain = word.replace("'", "").replace("’", "").replace("-", "")
    after = sentence[first.end() :].lstrip(" ") if first else ""
    title_of_name = after[:1].isupper()  # "President Joe Biden", "Prime Minister…": a title keeps its capital
    ordinary = (word.lower() in stopwords) or (word.lower() in common and not title_of_name and len(word) > 1)
    if first and plain.isalpha() and word[1:] == word[1:].lower() and ordinary:
        at = first.start(1)
        sentence = sentence[:at] + sentence[at].lower() + sentence[at + 1 :]
    return f"{lead_in} {sentence}"


_LOWER_WORD = re.compile(r"\b[a-z][a-z’'-]*\b")


def common_words(text: str, stopwords: frozenset[str] = frozenset()) -> frozenset[str]:
    """The words ``text`` writes in lower case somewhere, plus ``stopwords``: ordinary words, which
    may lose their capital after our lead-in words."""
    return frozenset(_LOWER_WORD.findall(text)) | stopwords


def shown_as(quote: str, shown: str) -> bool:
    """Does the paragraph text ``shown`` hold ``quote`` — verbatim apart from our editor's brackets
    and a first letter lowered after our lead-in words?"""
    plain = without_editor_brackets(shown)
    return quote in plain or (quote[:1].lower() + quote[1:]) in plain
