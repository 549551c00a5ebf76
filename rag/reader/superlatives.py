"""The question's superlative, read in a sentence: who or what it says has it.

"Which show received the most nominations?" is answered by the subject of the clause that repeats
"the most nominations" ("“Succession” earned the most nominations of any show"), when the clause
states it outright and uses no qualifying words the question does not. The question's side is
``rag.question.Frame.superlative`` (read by ``superlative_words``).
"""

from __future__ import annotations

import re

from rag.cite import stem
from rag.question import Frame, is_ranked, superlative_words


def repeats_superlative(frame: Frame, text: str) -> bool:
    """Might the text repeat the question's superlative (its word, then the word it qualifies within
    three words)? A cheap look before a parse, which decides (``superlative_subjects``)."""
    word, *qualified = frame.superlative
    return bool(re.search(rf"\b{re.escape(word)}\s+(?:\S+\s+){{0,2}}{re.escape(stem(qualified[-1]))}", text, re.I))


_PREDICTING = frozenset({"predict", "expect", "forecast", "project", "hope", "want", "aim"})


def superlative_subjects(frame: Frame, doc: object) -> list[tuple[object, bool, float]]:
    """Who or what the sentence says has the question's superlative, and whether it calls it the
    asked-for noun: "California has the most cases" (for "the most confirmed cases": a superlative may
    leave out the question's words, never add its own: "the highest interest rate" is no answer for
    the highest inflation rate); "Pennsylvania … remains the seat most likely to flip" (the seat).
    Not when the clause ranks, denies, doubts or predicts it ("the second most", "one of the most", "no
    longer has", "could win", "polls predicted X would win the most votes"). Each comes with the share
    of the question's qualifying words its sentence repeats ("the most medals": half of "the most gold
    medals")."""
    word, *qualified = frame.superlative
    found = []
    for token in doc:  # type: ignore[attr-defined]
        if token.lower_ != word or not _superlative_stated(doc, token):
            continue
        said = superlative_words(token)
        if not said or said[-1] != qualified[-1] or not set(said) <= set(qualified):
            continue
        verb = token
        while verb.pos_ not in ("VERB", "AUX") and verb.head is not verb:
            verb = verb.head
        if not _asserted(verb):
            continue
        children = list(verb.children)
        # "… also earned Cillian Murphy best actor": the one it went to, not the film that earned it
        subject = next((c for c in children if c.dep_ == "dative"), None) or next(
            (c for c in children if c.dep_ in ("nsubj", "nsubjpass")), None
        )
        if subject is not None and subject.left_edge.i <= token.i <= subject.right_edge.i:
            # "the biggest recipient of Japan's aid is India": the superlative is the subject, the
            # answer what it is said to be
            linked = verb.lemma_ in ("be", "remain", "become")
            subject = next((c for c in children if c.dep_ == "attr"), None) if linked else None
        if subject is None:
            continue
        named = {said[-1]} | {c.lemma_.lower() for c in children if c.dep_ == "attr"}
        found.append((subject, bool(frame.focus) and frame.focus in named, len(set(said)) / len(set(qualified))))
    return found


def _superlative_stated(doc: object, token: object) -> bool:
    """Is the superlative outright: not ranked ("second most") nor one of several ("one of the most",
    "among the most")?"""
    before = " ".join(t.lower_ for t in doc[max(0, token.i - 3) : token.i])  # type: ignore[attr-defined, index]
    return not is_ranked(token) and not re.search(r"\b(?:one of|among)\b", before)


def _asserted(verb: object) -> bool:
    """Does the clause state it as so: no negation or "no longer", no modal ("could win"), not what
    someone predicted or hoped ("polls had predicted Smith would win")?"""
    children = list(verb.children)  # type: ignore[attr-defined]
    if any(c.dep_ == "neg" or c.lower_ == "longer" or c.tag_ == "MD" for c in children):
        return False
    head = verb
    while head.dep_ in ("ccomp", "xcomp") and head.head is not head:  # type: ignore[attr-defined]
        head = head.head
        if head.lemma_.lower() in _PREDICTING:
            return False
    return True
