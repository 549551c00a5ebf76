"""Follow-up questions: "And what did Wang say?" is resolved against the earlier turns first.

Retrieval sees one question at a time, so a follow-up that leans on earlier turns (a pronoun, a
leading "And", a bare "Why?") is first *condensed* into a standalone question:

- ``extractive`` (offline, deterministic): the follow-up with its short names completed and its
  pronoun resolved, plus the names of the previous turn and of the article it cited, e.g. "What
  did Wang Yi say (in the story about Motegi, China and Japan)?". Retrieval searches for the whole
  of it; the extractive answerer then picks sentences by the follow-up's own words,
  among the chunks about that subject (the carried names would otherwise pull it back to the
  previous answer's sentence).
- ``openai``: the model rewrites the question from the recent turns; an error or an empty reply
  falls back to the extractive rewrite, so a conversation never breaks on the rewrite.

The CLI keeps conversations as small JSON files under ``<home>/sessions/``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from langchain_core.runnables import Runnable, RunnableLambda

from rag.chunk import split_sentences
from rag.cite import STOPWORDS, content_terms, proper_names, stem, words
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer, Evidence

log = logging.getLogger(__name__)

MAX_TURNS = 6  # turns kept in a session file
CONTEXT_TURNS = 3  # turns the model sees when rewriting
MAX_CARRIED = 3  # names the extractive rewrite carries over (more drown the follow-up's own words)

_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # a file name that cannot pass for an option
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")  # as rag.cite splits words, keeping the spelling
# Words that point back at an earlier turn. "it/this/that…" are weaker: "that" is often a conjunction.
_PERSONAL = frozenset(["he", "she", "they", "him", "her", "them", "his", "hers", "their", "theirs"])
_DEMONSTRATIVE = frozenset(["it", "its", "this", "that", "these", "those", "there"])
_LEADS = ("and", "but", "so", "also", "then", "what about", "how about", "what else", "anything else")
_DROPPED_LEADS = frozenset(["and", "but", "so", "also", "then"])  # "what about X" still asks something
# Imperatives capitalised at the start of a question are not names ("Tell me about …").
_NOT_NAMES = frozenset(["tell", "explain", "describe", "show", "give", "list", "summarize", "summarise", "name"])
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Turn:
    """One exchange: what was asked, what was searched for, what was answered and cited."""

    question: str
    standalone: str
    answer: str
    doc_ids: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    short_answer: str = ""  # the asked-for thing, when one was answered ("Tim Cook")

    @classmethod
    def from_answer(cls, question: str, standalone: str, answer: Answer) -> Turn:
        cited = {c.doc_id: c.title for c in answer.citations}  # cited articles, first cited first
        short = answer.short_answer.text if answer.short_answer and not answer.abstained else ""
        return cls(question, standalone, answer.answer, tuple(cited), tuple(cited.values()), short)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "doc_ids": list(self.doc_ids), "titles": list(self.titles)}

    @classmethod
    def from_dict(cls, data: dict) -> Turn:
        question = str(data["question"])
        return cls(
            question=question,
            standalone=str(data.get("standalone") or question),
            answer=str(data.get("answer", "")),
            doc_ids=tuple(str(d) for d in data.get("doc_ids", ())),
            titles=tuple(str(t) for t in data.get("titles", ())),
            short_answer=str(data["short_answer"]) if "short_answer" in data else _short_of(str(data.get("answer"))),
        )


def _short_of(answer: str) -> str:
    """The short answer an answer leads with ("Tim Cook. “…” [1]" → "Tim Cook"), for sessions saved
    before turns kept it; empty for a decline or an answer that leads with a quote."""
    match = re.match(r"([^“”\[\]]{1,80}?)\.\s+“", answer)
    return "" if not match or answer.startswith("Not found") else match.group(1)


# ---------------------------------------------------------------- does the question lean on history?


def _names(text: str) -> set[str]:
    return proper_names(text) - _NOT_NAMES


def _leading(question: str) -> str | None:
    lowered = " ".join(words(question))
    return next((lead for lead in _LEADS if lowered == lead or lowered.startswith(lead + " ")), None)


def needs_context(question: str) -> bool:
    """True when the question cannot be searched on its own: it points back at earlier turns.

    Signs: a leading "And"/"What about"…, a personal pronoun, a very short question, a
    demonstrative ("that deal") with no name and few words of its own, or no name and at most
    two content words ("Who will be the chief executive?"): news questions name their subject.
    """
    tokens = set(words(question))
    if not tokens:
        return False
    if _leading(question) or _PERSONAL & tokens:
        return True
    own_terms = [t for t in content_terms(question) if t not in _NOT_NAMES]
    if _names(question):
        return False
    if len(words(question)) <= 3:
        return True  # "Why?", "When was that?", "How much?"
    return len(own_terms) <= (3 if _DEMONSTRATIVE & tokens else 2)


# ---------------------------------------------------------------- the extractive rewrite

_PRONOUNS = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she", "hers": "she"}  # pronoun → gender
_HE = re.compile(r"\b(?:he|him|his|himself)\b", re.I)
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.I)
# What a carried name can be: not a date ("Tuesday"), a number or an amount
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
_CONTEXT = re.compile(r"\s*\(in the story about (.*)\)\?$")


def _spelled_names(text: str, skip: set[str]) -> list[str]:
    """The names of ``text`` in reading order, spelled as written, possessives dropped; none in ``skip``.

    A name is what the parser found as one ("Steve Jobs", "New York", not "Congress Tuesday"), or
    a capitalised word it missed. One is skipped when all its words are in ``skip``, or its last word
    is ("Prime Minister Gordon Brown" once "Brown" is asked about; a question about a "job" still
    carries Steve Jobs). The words of each name taken are added to ``skip``, so a later source does
    not repeat it.
    """
    from rag.nlp import parse
    from rag.question import PERSON, noun_kind

    names = _names(text)
    found: list[tuple[int, str]] = []
    covered: set[int] = set()  # where the parser found an entity, a name or not ("Tuesday")
    for ent in parse(text).ents:
        covered.update(range(ent.start_char, ent.end_char))
        if ent.label_ in _NAME_LABELS and not _all_stopwords(ent.text):  # not "Whom", read as a person
            found.append((ent.start_char, _bare(ent.text)))
    end = -1  # where the last missed name word ended: the next one continues it ("Dalai Lama")
    for match in _TOKEN.finditer(text):
        word = match.group(0).lower().strip("'’-")
        if match.start() in covered or word not in names or noun_kind(word) == PERSON:  # not "President"
            end = -1
            continue
        bare = _bare(match.group(0))
        if end >= 0 and not text[end : match.start()].strip():
            found[-1] = (found[-1][0], f"{found[-1][1]} {bare}")
        else:
            found.append((match.start(), bare))
        end = match.end() if bare == match.group(0).strip("'’-") else -1  # a possessive ends the name
    out = []
    for _, name in sorted(found):
        keys = [w.lower() for w in name.split()]
        if not keys or all(k in skip or stem(k) in skip for k in keys) or (len(keys) > 1 and keys[-1] in skip):
            continue
        skip.update(keys + [stem(k) for k in keys])
        out.append(name)
    return out


def _all_stopwords(text: str) -> bool:
    return all(w in STOPWORDS for w in words(text))


def _bare(name: str) -> str:
    """ "the United States" → "United States", "Steve Jobs'" → "Steve Jobs"."""
    name = re.sub(r"^the\s+", "", name.strip(" '’-\"“”"), flags=re.I)
    return re.sub(r"['’]s?$", "", name).strip()


def _strip_lead(question: str) -> str:
    """ "And what did Wang say?" → "what did Wang say" ("What about …" is kept: it is the question)."""
    text = question.strip().rstrip("?!. ").strip()
    lead = _leading(text)
    if lead in _DROPPED_LEADS:
        text = re.sub(rf"^\W*{lead}\b[\s,]*", "", text, flags=re.IGNORECASE)
    return text or question.strip()


def full_name(short: str, texts: Sequence[str]) -> str:
    """The fullest spelling of a name in the conversation's texts: "Wang" → "Wang Yi".

    A longer person, organisation or place name holding the short one as a whole word, as the
    parser found it in the earlier turns and the articles they cited; the short name when none does.
    """
    from rag.nlp import parse_many

    pattern = re.compile(rf"\b{re.escape(short)}\b")
    longest = short
    for doc in parse_many(_sentences_naming(short, texts)):
        for ent in doc.ents:
            if ent.label_ in ("PERSON", "ORG", "GPE") and pattern.search(ent.text) and len(ent.text) > len(longest):
                longest = re.sub(r"['’]s?$", "", ent.text.strip())  # "Steve Jobs's", "Steve Jobs'": Steve Jobs
    return longest if len(longest.split()) <= 4 else short


_WHO_IS = re.compile(r"\W*who(?:['’]s|\s+(?:is|was|are|were|will be|has been|had been))\b", re.I)
# "Who did Merkel criticise?": another is the subject, whatever the small model's parse says
_WHOM_ANOTHER_DID = re.compile(r"\W*whom?\s+(?:did|does|do|will|would|has|had|could|can|should|might)\s+\w", re.I)


def answered_person(turn: Turn, texts: Sequence[str] = ()) -> str:
    """The person a turn's answer named, when the question asked who did something or who someone is
    ("Who succeeded Steve Jobs?", "Who is Apple's CEO?" → "Tim Cook"): a following "he" or "she"
    means them. Empty when it asked whom another acted on ("Who did Biden meet?": "he" is Biden), or
    the answer is no one person ("U.S. Navy SEALs", "Bill Gates and Paul Allen", "the 44th President").
    """
    short = turn.short_answer
    if not short or " and " in short or not short[:1].isupper() or len(short.split()) > 4:
        return ""
    from rag.question import PERSON, analyse

    question = _CONTEXT.sub("?", turn.standalone)
    if _WHOM_ANOTHER_DID.match(question):
        return ""
    frame = analyse(question)
    if frame.kind != PERSON or not (frame.role == "agent" or _WHO_IS.match(question)):
        return ""
    return short if _is_person(short, [turn.answer, *texts]) else ""


def _sentences_naming(name: str, texts: Sequence[str], limit: int = 12) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return [s for text in texts for s in split_sentences(text) if pattern.search(s)][:limit]


def _is_person(name: str, texts: Sequence[str]) -> bool:
    """Does the parser read the name as a person where the texts use it?"""
    from rag.nlp import parse_many

    docs = parse_many(_sentences_naming(name, texts, limit=4))
    return any(ent.label_ == "PERSON" and name in ent.text for doc in docs for ent in doc.ents)


_THIRD_PERSON = re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", re.I)


def gender(name: str, texts: Sequence[str], others: Sequence[str] = ()) -> str:
    """ "he" or "she", as the texts refer back to the person: the first pronoun after their name in
    its sentence before another person's name, else the first of the next sentence when no one else
    came between ("She replaces Daniel Akerson, who is leaving. He cited family": Akerson is "he"; in
    "Merkel met Nicolas Sarkozy; he told her", the "he" is Sarkozy's). Empty when the texts do not
    tell."""
    sentences = [s for text in texts for s in split_sentences(text)]
    last = name.split()[-1]  # another is known by their last name, or their full one when it is the same
    others_pattern = "|".join(re.escape(o if o.split()[-1] == last else o.split()[-1]) for o in others if o != name)
    another = re.compile(rf"\b(?:{others_pattern})\b") if others_pattern else None
    said: list[str] = []
    for n, sentence in enumerate(sentences):
        if (end := _mentioned(name, sentence)) is None:
            continue
        rest = sentence[end:]
        cut = another.search(rest) if another else None
        said += _THIRD_PERSON.findall(rest[: cut.start()] if cut else rest)[:1]  # "he told her": he
        if not cut and not _THIRD_PERSON.search(rest):
            following = " ".join(sentences[n + 1 : n + 2])
            met = another.search(following) if another else None
            said += _THIRD_PERSON.findall(following[: met.start()] if met else following)[:1]
    he, she = sum(bool(_HE.fullmatch(w)) for w in said), sum(bool(_SHE.fullmatch(w)) for w in said)
    return "he" if he > she else "she" if she > he else ""


def _mentioned(name: str, sentence: str) -> int | None:
    """Where the person's first mention in the sentence ends: their name, or their last name alone
    ("Akerson plans …") but not after another first name ("Michelle Obama" is not Barack Obama;
    a title may stand there: "President Obama")."""
    from rag.question import PERSON, noun_kind

    own = set(name.split())
    for match in re.finditer(rf"\b{re.escape(name.split()[-1])}\b", sentence):
        before = sentence[: match.start()].split()[-1:]
        other = before and before[0].isalpha() and before[0][:1].isupper() and before[0] not in own
        if not other or noun_kind(before[0]) == PERSON:
            return match.end()
    return None


def _persons(text: str) -> list[str]:
    """The people a text names, in order, as the parser reads them (not "Whom", read as a person)."""
    from rag.nlp import parse

    found = (_bare(e.text) for e in parse(text).ents if e.label_ == "PERSON" and not _all_stopwords(e.text))
    return list(dict.fromkeys(found))


def referent(pronoun: str, last: Turn, articles: Sequence[str] = ()) -> str:
    """Whom a follow-up's "he" or "she" means: the first of the person answered (when the question
    asked who did it or who someone is), the question's people, the answer itself if a person, and the
    people its quotes name, whom the turn's texts call by that pronoun ("Whom did Mary Barra replace?"
    Daniel Akerson; "Why is he leaving?" means Akerson), else the first the texts do not tell about;
    else any name the quotes give that the texts call so. None when the texts call every one of them
    otherwise (the pronoun stays); the question's first name when it names no person."""
    previous = _CONTEXT.sub("?", last.standalone)
    # split once: every candidate's gender and person reading looks through the same sentences
    texts = [s for text in (last.answer, *articles) for s in split_sentences(text)]
    quoted = _MARKER.sub("", last.answer)
    answer = [last.short_answer] if last.short_answer and _is_person(last.short_answer, texts) else []
    # the question's people, those its rewrite carried too ("… (in the story about Mary Barra)")
    candidates = [answered_person(last, articles), *_persons(last.standalone), *answer, *_persons(quoted)]
    candidates = list(dict.fromkeys(c for c in candidates if c))
    said = {c: gender(c, texts, candidates) for c in candidates}
    # one the texts call so; else one they do not tell about; else a name the small model did not
    # read as a person, whom the texts call so ("Dino Rossi won; he …")
    fitting = next((c for c in candidates if said[c] == pronoun), "")
    fitting = fitting or next((c for c in candidates if not said[c]), "")
    fitting = fitting or next((n for n in _spelled_names(quoted, set()) if gender(n, texts) == pronoun), "")
    if fitting or candidates:  # every one the texts call otherwise: the pronoun stays as asked
        return fitting
    return next(iter(_spelled_names(previous, set())), "")


def condense_extractive(question: str, history: Sequence[Turn], articles: Sequence[str] = ()) -> str:
    """A readable standalone question from the follow-up and the previous turn (deterministic).

    - the leading "And"/"But" is dropped and the question capitalised;
    - a short name is completed from the turn and the articles it cited ("Wang" → "Wang Yi");
    - the first "he"/"she" becomes whom it means (``referent``): "Who succeeded Steve Jobs?" (Tim
      Cook), "When did he become CEO?" means Tim Cook;
    - the previous subject is added at the end: "What did Wang Yi say (in the story about Motegi)?"

    One turn back is enough: the previous standalone question already carries what came before it.
    With no names to carry, the previous question's content words are carried instead.
    """
    if not history:
        return question
    last = history[-1]
    previous = _CONTEXT.sub("?", last.standalone)
    texts = [previous, _MARKER.sub("", last.answer), *last.titles, *articles]
    base = _strip_lead(question)
    text = base
    # the first pronoun only ("When will Tom Ridge leave his position?")
    pronoun = next((m for m in _TOKEN.finditer(base) if m.group(0).lower() in _PRONOUNS), None)
    word = pronoun.group(0).lower() if pronoun else ""
    if pronoun and (person := referent(_PRONOUNS[word], last, articles)):
        from rag.nlp import parse

        # "her" is a possessive where the parser tags it so ("her role"; not "tell her", "let her go")
        owner = word in ("his", "hers") or (
            word == "her" and any(t.tag_ == "PRP$" and t.idx == pronoun.start() for t in parse(base))
        )
        replacement = person + ("'s" if owner else "")
        text = f"{base[: pronoun.start()]}{replacement}{base[pronoun.end() :]}"
    for name in _spelled_names(text, set()):
        fuller = full_name(name, texts)
        if fuller != name and fuller.lower() not in text.lower():
            text = re.sub(rf"\b{re.escape(name)}\b", fuller, text, count=1)
    text = text[:1].upper() + text[1:]
    own = [re.sub(r"['’]s$", "", w) for w in words(text)]  # "Tim Cook's job" has said "Cook"
    skip = set(own) | {stem(w) for w in own}
    carried = _spelled_names(previous, skip)
    if last.titles:
        carried += _spelled_names(last.titles[0], skip)
    if not carried:  # no names: the previous question's own words, as one topic ("shares falling")
        terms = dict.fromkeys(w for w in words(previous) if w not in STOPWORDS and len(w) > 1)
        carried = [" ".join([w for w in terms if w not in skip and stem(w) not in skip][:3])]
    if not carried[0]:
        return f"{text}?"
    shown = carried[:MAX_CARRIED]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return f"{text} (in the story about {listed})?"


def focus_of(standalone: str) -> tuple[str, list[str]]:
    """The rewritten question's own part and the names it carried: ("What did Wang Yi say?", ["Motegi"])."""
    match = _CONTEXT.search(standalone)
    if not match:
        return standalone, []
    return standalone[: match.start()] + "?", [n.strip() for n in re.split(r",| and ", match.group(1)) if n.strip()]


# ---------------------------------------------------------------- the model rewrite


_CONDENSE_HUMAN = "<conversation>\n{history}\n</conversation>\n\nFollow-up question: {question}"


def _fenced(text: str) -> str:
    """Earlier answers quote articles: they must not close the conversation fence or open tags."""
    return text.replace("<", "(").replace(">", ")")


def format_history(history: Sequence[Turn], turns: int = CONTEXT_TURNS, answer_chars: int = 400) -> str:
    """The last turns as plain text for the model, citation markers dropped, answers shortened."""
    blocks = []
    for turn in history[-turns:]:
        answer = _MARKER.sub("", turn.answer).strip()
        if len(answer) > answer_chars:
            answer = answer[:answer_chars].rsplit(" ", 1)[0] + " …"
        lines = [f"User: {turn.question}", f"Assistant: {answer}"]
        if turn.titles:
            lines.append(f"Sources: {'; '.join(turn.titles[:3])}")
        blocks.append(_fenced("\n".join(lines)))
    return "\n\n".join(blocks)


def condense_chain(settings: Settings) -> Runnable:
    """prompt | ChatOpenAI | text, built like ``rag.answer.openai_chain`` (same server, same key)."""

    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from rag.answer import chat_model, load_prompt

    prompt = ChatPromptTemplate.from_messages(
        [("system", load_prompt("condense_question.md")), ("human", _CONDENSE_HUMAN)]
    )
    return prompt | chat_model(settings) | StrOutputParser()


def _clean_reply(reply: str) -> str:
    """The model's standalone question: its first line, without a label or quotes."""
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    line = re.sub(r"^(standalone question|question|rewritten question)\s*:\s*", "", line, flags=re.IGNORECASE)
    return " ".join(line.strip("\"'“”‘’` ").split())


def condense_openai(question: str, history: Sequence[Turn], settings: Settings, articles: Sequence[str] = ()) -> str:
    """One standalone question written by the model; the extractive rewrite if that fails."""
    if not history:
        return question
    try:
        reply = condense_chain(settings).invoke({"history": format_history(history), "question": question})
    except Exception as exc:  # any server trouble: the conversation goes on with the offline rewrite
        log.warning("condensing the follow-up failed (%s: %s); using the extractive rewrite", type(exc).__name__, exc)
        return condense_extractive(question, history, articles)
    standalone = _clean_reply(reply)
    if not standalone or "NOT_FOUND" in standalone or len(standalone) > 400:
        return condense_extractive(question, history, articles)
    return standalone


# ---------------------------------------------------------------- resolving and answering


def resolve(question: str, history: Sequence[Turn], settings: Settings, articles: Sequence[str] = ()) -> str:
    """The question to search for: unchanged unless it leans on earlier turns, else condensed.

    ``articles``: text of the articles the last turn cited, where short names are completed.
    """
    question = " ".join(question.split())
    if not history or not needs_context(question):
        return question
    if settings.llm == "openai":
        return condense_openai(question, history, settings, articles)
    return condense_extractive(question, history, articles)


def resolver(settings: Settings) -> Runnable:
    """LCEL: {"question", "history", "articles"?} → standalone question."""
    return RunnableLambda(
        lambda state: resolve(state["question"], state.get("history") or (), settings, state.get("articles") or ())
    )


def on_topic(evidence: list[Evidence], names: Sequence[str]) -> list[Evidence]:
    """Chunks whose article mentions one of the names; all of them when none does."""
    wanted = {n.lower() for n in names}
    kept = [ev for ev in evidence if wanted & set(words(f"{ev.title} {ev.text}"))]
    return kept or evidence


def ask_followup(
    store: Store,
    settings: Settings,
    question: str,
    history: Sequence[Turn],
    as_of: str | None = None,
    source: str | None = None,
    k: int | None = None,
    *,
    since: str | None = None,
) -> tuple[Answer, str]:
    """Answer a question in a conversation; returns the answer and the standalone question used.

    The answer carries the question as asked. For an extractive rewrite, retrieval searches for the
    rewrite plus the title of the article the last turn cited, keeps to chunks naming the
    follow-up's or the carried names, and the answer is read against the follow-up's own part.
    """
    from rag.answer import ask, build_chain
    from rag.retrieve import Query

    question = " ".join(question.split())
    cited = history[-1].doc_ids[:2] if history else ()
    articles = [" ".join(ev.text for ev in store.article_chunks(doc_id)) for doc_id in cited]
    standalone = resolver(settings).invoke({"question": question, "history": list(history), "articles": articles})
    focus, carried = focus_of(standalone)
    if standalone == question or settings.llm == "openai" or not carried:
        answer = ask(store, settings, standalone, as_of, source, k, since=since)
    else:
        query = Query(question=focus, as_of=as_of, source=source, k=k or settings.k, since=since)
        titles = " ".join(history[-1].titles[:1])
        names = [*carried, *proper_names(focus)]
        answer = build_chain(
            store,
            settings,
            search=lambda q: f"{q} {' '.join(carried)} {titles}",
            keep=lambda evidence: on_topic(evidence, names),
        ).invoke(query)
    return replace(answer, question=question), standalone


# ---------------------------------------------------------------- CLI sessions


def session_path(settings: Settings, session_id: str) -> Path:
    """``<home>/sessions/<id>.json``; the id is a file name, so only letters, digits, - and _."""
    if not _SESSION_ID.fullmatch(session_id or ""):
        raise ValueError(
            f"invalid session id {session_id!r}: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit (e.g. japan-china)"
        )
    return settings.home / "sessions" / f"{session_id}.json"


def load_session(settings: Settings, session_id: str) -> list[Turn]:
    """The session's turns, oldest first; none for a new session."""
    path = session_path(settings, session_id)
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Turn.from_dict(item) for item in data["turns"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot read session {session_id!r} at {path} ({exc}); start afresh with --forget") from exc


def save_session(settings: Settings, session_id: str, turns: Sequence[Turn], keep: int = MAX_TURNS) -> Path:
    """Write the last ``keep`` turns atomically (a crash never leaves half a file)."""
    path = session_path(settings, session_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"session": session_id, "turns": [t.to_dict() for t in list(turns)[-keep:]]}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def forget_session(settings: Settings, session_id: str) -> bool:
    """Delete the session's file; False when there was none."""
    path = session_path(settings, session_id)
    if not path.exists():
        return False
    path.unlink()
    return True
