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
            short_answer=str(data.get("short_answer") or ""),
        )


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

_PRONOUNS = {"he": "person", "him": "person", "his": "person", "she": "person", "her": "person", "hers": "person"}
_CONTEXT = re.compile(r"\s*\(in the story about (.*)\)\?$")


def _spelled_names(text: str, skip: set[str]) -> list[str]:
    """The names of ``text`` in reading order, spelled as written, possessives dropped; none in ``skip``.

    Name words next to each other are one name ("Steve Jobs", not "Steve" and "Jobs"), skipped only
    when all its words are (a question about a "job" still carries Steve Jobs). The words of each
    name taken are added to ``skip``, so a later source does not repeat it.
    """
    names = _names(text)
    groups: list[list[str]] = []
    end = -1  # where the last name word ended, while the next one may continue its name
    for match in _TOKEN.finditer(text):
        token = match.group(0).strip("'’-")
        if token.lower() not in names:
            end = -1
            continue
        bare = re.sub(r"['’]s$", "", token)
        if groups and end >= 0 and not text[end : match.start()].strip():
            groups[-1].append(bare)
        else:
            groups.append([bare])
        end = match.end() if bare == token else -1  # a possessive ends the name
    out = []
    for group in groups:
        keys = [w.lower() for w in group]
        if all(k in skip or stem(k) in skip for k in keys):
            continue
        skip.update(keys + [stem(k) for k in keys])
        out.append(" ".join(group))
    return out


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
    sentences = [s for text in texts for s in split_sentences(text) if pattern.search(s)][:12]
    longest = short
    for doc in parse_many(sentences):
        for ent in doc.ents:
            if ent.label_ in ("PERSON", "ORG", "GPE") and pattern.search(ent.text) and len(ent.text) > len(longest):
                longest = re.sub(r"['’]s?$", "", ent.text.strip())  # "Steve Jobs's", "Steve Jobs'": Steve Jobs
    return longest if len(longest.split()) <= 4 else short


_COPULAR_WHO = re.compile(r"\W*who(?:['’]s|\s+(?:is|was|are|were|will be|has been|had been))\b", re.I)


def answered_person(turn: Turn) -> str:
    """The person a turn's answer named, when the question asked who did something or who someone is
    ("Who succeeded Steve Jobs?", "Who is Apple's CEO?" → "Tim Cook"): a following "he" or "she"
    means them. Empty when it asked whom another acted on ("Who did Biden meet?": "he" is Biden).
    """
    if not turn.short_answer:
        return ""
    from rag.question import PERSON, analyse

    question = _CONTEXT.sub("?", turn.standalone)
    frame = analyse(question)
    if frame.kind != PERSON or not (frame.role == "agent" or _COPULAR_WHO.match(question)):
        return ""
    return turn.short_answer


def condense_extractive(question: str, history: Sequence[Turn], articles: Sequence[str] = ()) -> str:
    """A readable standalone question from the follow-up and the previous turn (deterministic).

    - the leading "And"/"But" is dropped and the question capitalised;
    - a short name is completed from the turn and the articles it cited ("Wang" → "Wang Yi");
    - "he"/"she" become the person the previous turn answered with, when it asked who did something
      or who someone is ("Who succeeded Steve Jobs?" → "Tim Cook"), else the previous question's first name;
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
    tokens = _TOKEN.findall(base)
    referent = ""
    if _PRONOUNS.keys() & {t.lower() for t in tokens}:
        referent = answered_person(last) or next(iter(_spelled_names(previous, set())), "")
    rewritten = []
    for token in tokens:
        lowered = token.lower()
        if lowered in _PRONOUNS and referent:
            rewritten.append(referent + ("'s" if lowered in ("his", "hers") else ""))
        else:
            rewritten.append(token)
    text = base
    for original, new in zip(tokens, rewritten, strict=True):
        if original != new:
            text = re.sub(rf"\b{re.escape(original)}\b", new, text, count=1)
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
