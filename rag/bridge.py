"""Questions that name a thing by what it did: "Who succeeded the Apple co-founder who died in 2011?"

Retrieval and the reader look for the question's words, and the article that answers may name the
co-founder (Steve Jobs) without ever describing him so. When such a question is declined, the
description is asked about first ("Who was the Apple co-founder who died in 2011?"), its short
answer put in its place ("Who succeeded Steve Jobs?"), and that question asked. The answer cites
both steps. A step that is not answered leaves the first decline as it was, so this can only turn
a decline into an answer that two cited readings support.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rag.types import Answer

_WH = frozenset({"who", "whom", "whose", "which", "what", "when", "where", "why", "how"})
_RELATIVE = frozenset({"who", "that", "which"})
# What a description's noun phrase is made of, read leftwards from its noun: "the Apple co-founder"
_IN_PHRASE = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM", "PUNCT", "PART"})
MAX_NAME_WORDS = 6  # a longer "answer" is no name to put in the question's place


@dataclass(frozen=True)
class Bridge:
    """A description in a question, and the question that asks what it describes."""

    phrase: str  # "the Apple co-founder who died in October 2011"
    question: str  # "Who was the Apple co-founder who died in October 2011?"

    def put(self, question: str, name: str) -> str:
        """The question with the description replaced by what it describes."""
        return question.replace(self.phrase, name, 1)


def find_bridge(question: str) -> Bridge | None:
    """The first definite description made by a relative clause whose relative pronoun is its
    subject ("the comedy that took $44.7 million"), outside the asked-for phrase and in a question
    that does not just ask what the description is ("Who was the minister who visited Tokyo?")."""
    from rag.nlp import parse

    doc = parse(question)
    wh = next((t for t in doc if t.lower_ in _WH), None)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if wh is None or root is None or root.lemma_ == "be":
        return None
    for clause in doc:
        if clause.dep_ != "relcl":
            continue
        noun, words = clause.head, list(clause.subtree)
        subjects = (c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass"))
        relative = next((c for c in subjects if c.lower_ in _RELATIVE), None)
        if relative is None or words[0].i <= wh.i <= words[-1].i or wh.head.i == noun.i or wh.i == noun.i:
            continue  # the wh-word's own phrase, or a clause asking something itself
        start = noun.i
        while start > 0 and doc[start - 1].pos_ in _IN_PHRASE and doc[start - 1].lower_ not in _WH:
            start -= 1
        if doc[start].lower_ != "the":
            continue  # "a company that …" describes no one thing
        described = " ".join(t.text for t in doc[start + 1 : noun.i + 1]).replace(" - ", "-")
        rest = doc[relative.i + 1 : words[-1].i + 1].text
        asked = f"Who was the {described} who {rest}?" if relative.lower_ == "who" else f"Which {described} {rest}?"
        return Bridge(doc[start : words[-1].i + 1].text, asked)
    return None


def bridged(question: str, declined: Answer, ask: Callable[[str], Answer]) -> Answer:
    """A declined question with a description answered in two steps (see the module), else the decline."""
    bridge = find_bridge(question) if declined.abstained else None
    if bridge is None:
        return declined
    first = ask(bridge.question)
    short = first.short_answer
    if first.abstained or short is None or len(short.text.split()) > MAX_NAME_WORDS:
        return declined
    second = ask(bridge.put(question, short.text))
    if second.abstained:
        return declined
    step = replace(next(c for c in first.citations if c.n == short.n), n=len(second.citations) + 1)
    why = f"(Reading “{bridge.phrase}” as {short.text}: “{step.quote}” [{step.n}])"
    return replace(second, question=question, answer=f"{second.answer} {why}", citations=(*second.citations, step))
