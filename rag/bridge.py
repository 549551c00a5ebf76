"""Questions that name a thing by what it did: "Who succeeded the Apple co-founder who died in 2011?"

Retrieval and the reader look for the question's words, and the article that answers may name the
co-founder (Steve Jobs) without ever describing him so. When such a question is declined, the
description is asked about first ("Which Apple co-founder died in 2011?"), its short answer put in
its place ("Who succeeded Steve Jobs?"), and that question asked. The answer cites both steps. A
step that is not answered, or a first step whose quotes do not describe its answer so, leaves the
first decline as it was: this only turns a decline into an answer that two cited readings support.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from rag.types import Answer

_WH = frozenset({"who", "whom", "whose", "which", "what", "when", "where", "why", "how"})
_RELATIVE = frozenset({"who", "that", "which"})
# What a description's noun phrase is made of, read leftwards from its noun: "the Apple co-founder"
_IN_PHRASE = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM", "PUNCT", "PART"})
# A phrase after the description's own arguments that belongs to the main event: "succeeded … as CEO"
_MAIN_CLAUSE_PREPOSITIONS = frozenset({"as", "for"})
_DATES = frozenset({"DATE", "TIME"})
MAX_NAME_WORDS = 6  # a longer "answer" is no name to put in the question's place


@dataclass(frozen=True)
class Bridge:
    """A description in a question, the question that asks what it describes, and what a sentence
    must hold to say that a thing is so described."""

    phrase: str  # "the Apple co-founder who died in October 2011"
    question: str  # "Which Apple co-founder died in October 2011?"
    anchors: tuple[str, ...] = ()  # its clause's names and amounts, not its dates: ("44.7",)
    verb: str = ""  # the lemma of its verb: "die"
    names: tuple[str, ...] = ()  # the names its noun takes: ("Apple",) for "the Apple co-founder"

    def put(self, question: str, name: str) -> str:
        """The question with the description replaced by what it describes."""
        return question.replace(self.phrase, name, 1)

    def describes(self, sentence: str, title: str = "") -> bool:
        """Does the sentence describe a thing so: its clause's names and amounts, and its verb unless an
        amount pins it down ("That movie raked in $44.7 million" for "the comedy that took $44.7
        million"); the names its noun takes there or in the article's headline ("She replaces Daniel
        Akerson, who was appointed … in 2009" in "Mary Barra appointed as General Motors chief")?"""
        from rag.nlp import parse

        lowered, headline = sentence.lower(), f"{sentence} {title}".lower()
        if not all(_has_word(lowered, w) for w in self.anchors):
            return False
        if not all(_has_word(headline, w) for w in self.names):
            return False
        amount = any(ch.isdigit() for w in self.anchors for ch in w)
        return amount or not self.verb or any(t.lemma_.lower() == self.verb for t in parse(sentence))


_BACK = re.compile(r"\W*(?:that|this|these|those|the|it|its|he|his|she|her|they|their)\b", re.I)


def refers_to(sentence: str, name: str) -> bool:
    """Is the sentence about the named one: it names them (or their last name), or it refers back to
    them ("That movie raked in …") and names no person, who could be the one described instead
    ("Jobs died on Wednesday" is not about Tim Cook)?"""
    if _has_word(sentence.lower(), name) or _has_word(sentence.lower(), name.split()[-1]):
        return True
    from rag.nlp import parse

    return bool(_BACK.match(sentence)) and not any(e.label_ == "PERSON" for e in parse(sentence).ents)


def _has_word(lowered: str, word: str) -> bool:
    from rag.reader.sentences import written_in

    return written_in(word.lower(), lowered)


def find_bridge(question: str) -> Bridge | None:
    """The first definite description made by a relative clause whose relative pronoun is its
    subject ("the comedy that took $44.7 million"), when it is not the asked-for thing, does not
    refer to it ("… the state's constitution that …" for "which state") and leaves the question its
    main verb; none in a question that asks what the description is ("Who was the minister who …?")."""
    from rag.nlp import parse
    from rag.question import PERSON, noun_kind

    doc = parse(question)
    wh = next((t for t in doc if t.lower_ in _WH), None)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if wh is None or root is None or root.lemma_ in ("be", "do"):
        return None  # "Who was the X who …" asks what it describes; a root "did" is a misparse
    # the asked-for noun: "which state", "in which state" (the small model may not attach it)
    asked = wh.head if wh.dep_ == "det" else next((t for t in doc[wh.i + 1 : wh.i + 4] if t.pos_ == "NOUN"), wh)
    for clause in doc:
        if clause.dep_ != "relcl":
            continue
        noun = clause.head
        subjects = (c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass"))
        relative = next((c for c in subjects if c.lower_ in _RELATIVE), None)
        if relative is None:
            continue
        start = noun.i
        while start > 0 and doc[start - 1].pos_ in _IN_PHRASE and doc[start - 1].lower_ not in _WH:
            start -= 1
        end = _clause_end(clause)
        phrase = doc[start:end]
        if doc[start].lower_ != "the" or any(start <= t.i < end for t in (wh, asked, root)):
            continue  # "a company that …" describes no one thing; the asked-for phrase; the main verb
        if asked.pos_ == "NOUN" and any(t.lemma_ == asked.lemma_ for t in phrase):
            continue  # "… the state's constitution that would have outlawed abortion" for "which state"
        if any(t.dep_ in ("ccomp", "csubj") for t in phrase):
            continue  # the clause swallowed another: "the company that makes the iPhone release the iPad"
        described = doc[start + 1 : noun.i + 1].text
        rest = doc[relative.i + 1 : end].text
        person = relative.lower_ == "who" and noun_kind(noun.text) != PERSON
        asked_text = f"Who was the {described} who {rest}?" if person else f"Which {described} {rest}?"
        anchors = tuple(
            dict.fromkeys(
                t.text
                for t in doc[clause.i + 1 : end]
                if t.ent_type_ not in _DATES and (t.pos_ == "PROPN" or any(ch.isdigit() for ch in t.text))
            )
        )
        names = tuple(t.text for t in doc[start : noun.i] if t.pos_ == "PROPN")
        return Bridge(phrase.text, asked_text, anchors, clause.lemma_.lower(), names)
    return None


def _clause_end(clause: object) -> int:
    """Where a relative clause ends: its last word, or before an "as …" or "for …" after its own
    arguments ("who died in 2011 | as the company's CEO": the role is the main event's)."""
    last = max(t.i for t in clause.subtree) + 1  # type: ignore[attr-defined]
    after = [c for c in clause.children if c.i > clause.i and c.dep_ != "punct"]  # type: ignore[attr-defined]
    cut = next((c.i for c in after[1:] if c.dep_ == "prep" and c.lower_ in _MAIN_CLAUSE_PREPOSITIONS), last)
    return min(cut, last)


def bridged(question: str, declined: Answer, ask: Callable[[str], Answer]) -> Answer:
    """A declined question with a description answered in two steps (see the module), else the decline.

    The first step counts only when its answer's article, in the quotes it gives, both names the
    answer and describes it so, in a quote about it ("Apple Inc. co-founder Steve Jobs has died";
    "That movie raked in $44.7 million"): an answer from an article that only names it, describes
    another ("the Microsoft co-founder who died") or describes someone else ("Jobs died" for Tim
    Cook) keeps the decline. Both quotes are cited.
    """
    bridge = find_bridge(question) if declined.abstained else None
    if bridge is None:
        return declined
    first = ask(bridge.question)
    short = first.short_answer
    if first.abstained or short is None or len(short.text.split()) > MAX_NAME_WORDS:
        return declined
    quotes = [c for c in first.citations if c.doc_id == short.doc_id]
    naming = next((c for c in quotes if _has_word(c.quote.lower(), short.text)), None)
    about = [c for c in quotes if refers_to(c.quote, short.text)]
    describing = next((c for c in about if bridge.describes(c.quote, c.title)), None)
    if naming is None or describing is None:
        return declined
    second = ask(bridge.put(question, short.text))
    if second.abstained:
        return declined
    steps = [replace(c, n=len(second.citations) + n) for n, c in enumerate(dict.fromkeys([naming, describing]), 1)]
    quoted = " ".join(f"“{c.quote}” [{c.n}]" for c in steps)
    why = f"(Reading “{bridge.phrase}” as {short.text}: {quoted})"
    return replace(second, question=question, answer=f"{second.answer} {why}", citations=(*second.citations, *steps))
